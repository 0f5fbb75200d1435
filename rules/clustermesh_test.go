package rules

import (
	"strings"
	"testing"

	"github.com/eks-cilium/eks-cilium/stackconfig"
	"github.com/eks-cilium/eks-cilium/stackconfig/stackconfigtest"
)

// meshMember is a valid mesh member: the valid base stack named "euw1", with the load
// balancer controller and clusterMesh id 1 peering with "use1".
func meshMember() stackconfig.Config {
	cfg := stackconfigtest.Valid()
	cfg.Stack = "euw1"
	cfg.Addons = &stackconfig.AddonsConfig{AwsLoadBalancerController: &stackconfig.AwsLoadBalancerControllerConfig{Version: "3.5.0", ReplicaCount: 2}}
	m := stackconfig.Default[stackconfig.ClusterMeshConfig]()
	m.Id, m.Peers = 1, []string{"use1"}
	cfg.ClusterMesh = &m
	return cfg
}

func TestCheckClusterMesh_AcceptsValidMembers(t *testing.T) {
	for name, edit := range map[string]func(*stackconfig.Config){
		"not a member, no controller": func(c *stackconfig.Config) { c.ClusterMesh, c.Addons = nil, nil },
		"peering, defaults":           func(*stackconfig.Config) {},
		"no peers yet":                func(c *stackconfig.Config) { c.ClusterMesh.Peers = nil },
		"highest id of 255":           func(c *stackconfig.Config) { c.ClusterMesh.Id = 255 },
		"highest id of 511":           func(c *stackconfig.Config) { c.ClusterMesh.Id, c.ClusterMesh.MaxConnectedClusters = 511, 511 },
		"32-character cluster name":   func(c *stackconfig.Config) { c.Cluster.Name = strings.Repeat("a", 31) + "1" },
		"one-character cluster name":  func(c *stackconfig.Config) { c.Cluster.Name = "a" },
		"transit gateway, 17 hex":     func(c *stackconfig.Config) { tgw(c, "tgw-0123456789abcdef0") },
		"transit gateway, 8 hex":      func(c *stackconfig.Config) { tgw(c, "tgw-0123abcd") },
		"other Cilium values untouched": func(c *stackconfig.Config) {
			c.Cilium.Values = map[string]any{"tls": map[string]any{"secretsNamespace": map[string]any{"create": false}}, "MTU": 8500}
		},
	} {
		t.Run(name, func(t *testing.T) {
			cfg := meshMember()
			edit(&cfg)
			if _, probs := CheckClusterMesh(cfg); len(probs) != 0 {
				t.Errorf("refused a valid member: %v", probs)
			}
		})
	}
}

func tgw(c *stackconfig.Config, id string) {
	c.ClusterMesh.Connectivity, c.ClusterMesh.TransitGatewayId = stackconfig.ConnectivityTransitGateway, id
}

func TestCheckClusterMesh_RefusesWhatCiliumOrThePlanCannotTake(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(*stackconfig.Config)
		key     string
		mention string
	}{
		{"id 0 is reserved", func(c *stackconfig.Config) { c.ClusterMesh.Id = 0 }, keyMeshID, "reserves cluster ID 0"},
		{"id above 255", func(c *stackconfig.Config) { c.ClusterMesh.Id = 256 }, keyMeshID, "1 to 255"},
		{"id above 511", func(c *stackconfig.Config) { c.ClusterMesh.Id, c.ClusterMesh.MaxConnectedClusters = 512, 511 }, keyMeshID, "1 to 511"},
		{"maxConnectedClusters 300", func(c *stackconfig.Config) { c.ClusterMesh.MaxConnectedClusters = 300 }, keyMeshMaxConnected, "255 or 511"},
		{"name over 32 characters", func(c *stackconfig.Config) { c.Cluster.Name = strings.Repeat("a", 33) }, keyClusterName, "33 characters"},
		{"default name over 32 characters", func(c *stackconfig.Config) { c.Stack = "payments-production-eu-west" }, keyClusterName, "derived from the stack name"},
		{"upper-case name", func(c *stackconfig.Config) { c.Cluster.Name = "Prod-EU" }, keyClusterName, "lower-case"},
		{"name ends with a dash", func(c *stackconfig.Config) { c.Cluster.Name = "prod-" }, keyClusterName, "lower-case"},
		{"name default", func(c *stackconfig.Config) { c.Cluster.Name = "default" }, keyClusterName, "\"default\""},
		{"unknown connectivity", func(c *stackconfig.Config) { c.ClusterMesh.Connectivity = "vpn" }, keyMeshConnectivity, "must be one of"},
		{"transit gateway without id", func(c *stackconfig.Config) { tgw(c, "") }, keyMeshTransitGatewayID, "transit gateway ID"},
		{"transit gateway id of a VPC", func(c *stackconfig.Config) { tgw(c, "vpc-0123abcd") }, keyMeshTransitGatewayID, "transit gateway ID"},
		{"transit gateway id with peering", func(c *stackconfig.Config) { c.ClusterMesh.TransitGatewayId = "tgw-0123abcd" }, keyMeshTransitGatewayID, "only with connectivity transitGateway"},
		{"peer is itself", func(c *stackconfig.Config) { c.ClusterMesh.Peers = []string{"use1", "euw1"} }, keyMeshPeers + "[1]", "itself"},
		{"peer twice", func(c *stackconfig.Config) { c.ClusterMesh.Peers = []string{"use1", "use1"} }, keyMeshPeers + "[1]", "repeats"},
		{"peer not a stack name", func(c *stackconfig.Config) { c.ClusterMesh.Peers = []string{"org/eks-cilium/use1"} }, keyMeshPeers + "[0]", "stack name"},
		{"existing VPC", func(c *stackconfig.Config) {
			c.Vpc.Id, c.Vpc.PrivateSubnetIds, c.Vpc.PublicSubnetIds = "vpc-0123abcd", []string{"subnet-0123abcd", "subnet-0123abce"}, []string{"subnet-0123abcf", "subnet-0123abc0"}
		}, keyVpcID, "creates"},
		{"no load balancer controller", func(c *stackconfig.Config) { c.Addons = nil }, keyAddonsLBC, "NLB"},
		{"hand-set cluster.id", func(c *stackconfig.Config) { c.Cilium.Values = map[string]any{"cluster": map[string]any{"id": 7}} }, stackconfig.KeyCiliumValues + ".cluster.id", "set by"},
		{"hand-set CA bundle", func(c *stackconfig.Config) {
			c.Cilium.Values = map[string]any{"tls": map[string]any{"caBundle": map[string]any{"enabled": true}}}
		}, stackconfig.KeyCiliumValues + ".tls.caBundle.enabled", "set by"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := meshMember()
			tt.edit(&cfg)
			_, probs := CheckClusterMesh(cfg)
			if len(probs) != 1 {
				t.Fatalf("want exactly one refusal of %s, got %v", tt.key, probs)
			}
			if probs[0].Key != tt.key || !strings.Contains(probs[0].String(), tt.mention) {
				t.Errorf("got %s, want %s mentioning %q", probs[0], tt.key, tt.mention)
			}
		})
	}
}
