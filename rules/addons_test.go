package rules

import (
	"strings"
	"testing"

	"github.com/eks-cilium/eks-cilium/stackconfig"
)

// addonsStack is a valid stack with both add-ons: two node groups of at most 3 nodes each.
func addonsStack() stackconfig.Config {
	cfg := stackconfig.Defaults()
	cfg.Stack, cfg.Region = "dev", "eu-west-1"
	for _, name := range []string{"a", "b"} {
		ng := stackconfig.Default[stackconfig.NodeGroupConfig]()
		ng.Name, ng.InstanceTypes, ng.MinSize, ng.DesiredSize, ng.MaxSize = name, []string{"t3.medium"}, 1, 2, 3
		cfg.NodeGroups = append(cfg.NodeGroups, ng)
	}
	cfg.Addons = &stackconfig.AddonsConfig{
		MetricsServer:             &stackconfig.MetricsServerConfig{Version: "3.13.1", Replicas: 1},
		AwsLoadBalancerController: &stackconfig.AwsLoadBalancerControllerConfig{Version: "3.5.0", ReplicaCount: 2},
	}
	return cfg
}

func TestCheckAddons_AcceptsPinnedVersionsAndReplicasTheNodesHold(t *testing.T) {
	for name, edit := range map[string]func(*stackconfig.Config){
		"both add-ons, chart defaults": func(*stackconfig.Config) {},
		"no add-ons key":               func(c *stackconfig.Config) { c.Addons = nil },
		"empty add-ons key":            func(c *stackconfig.Config) { c.Addons = &stackconfig.AddonsConfig{} },
		"replicas up to every node": func(c *stackconfig.Config) {
			c.Addons.MetricsServer.Replicas, c.Addons.AwsLoadBalancerController.ReplicaCount = 6, 6
		},
		"pre-release metrics-server chart": func(c *stackconfig.Config) { c.Addons.MetricsServer.Version = "3.14.0-rc.1" },
		"Karpenter adds nodes beyond the groups": func(c *stackconfig.Config) {
			c.Karpenter = &stackconfig.KarpenterConfig{Version: "1.14.1"}
			c.Addons.MetricsServer.Replicas = 9
		},
		"long cluster name without the controller": func(c *stackconfig.Config) {
			c.Cluster.Name = strings.Repeat("c", 90)
			c.Addons.AwsLoadBalancerController = nil
		},
	} {
		t.Run(name, func(t *testing.T) {
			cfg := addonsStack()
			edit(&cfg)
			if _, probs := CheckAddons(cfg); len(probs) != 0 {
				t.Errorf("refused a valid stack: %v", probs)
			}
		})
	}
}

func TestCheckAddons_RefusesWhatCannotRunOrCannotBePinned(t *testing.T) {
	for _, tc := range []struct {
		name     string
		edit     func(*stackconfig.Config)
		key      string
		contains []string
	}{
		{"floating metrics-server version", func(c *stackconfig.Config) { c.Addons.MetricsServer.Version = "^3.13" },
			"eks-cilium:addons.metricsServer.version", []string{`"^3.13"`, "exact", "3.13.1"}},
		{"metrics-server version with v", func(c *stackconfig.Config) { c.Addons.MetricsServer.Version = "v3.13.1" },
			"eks-cilium:addons.metricsServer.version", []string{"exact"}},
		{"metrics-server version missing", func(c *stackconfig.Config) { c.Addons.MetricsServer.Version = "" },
			"eks-cilium:addons.metricsServer.version", []string{"(unset)"}},
		{"controller chart without its policy", func(c *stackconfig.Config) { c.Addons.AwsLoadBalancerController.Version = "3.4.0" },
			"eks-cilium:addons.awsLoadBalancerController.version", []string{`"3.4.0"`, "IAM policy", "use one of 3.5.0", "lbcpolicy"}},
		{"controller version latest", func(c *stackconfig.Config) { c.Addons.AwsLoadBalancerController.Version = "latest" },
			"eks-cilium:addons.awsLoadBalancerController.version", []string{"exact chart version"}},
		{"more metrics-server replicas than nodes", func(c *stackconfig.Config) { c.Addons.MetricsServer.Replicas = 7 },
			"eks-cilium:addons.metricsServer.replicas", []string{`"7"`, "node of its own", "at most 6"}},
		{"controller default replicas on a one-node cluster", func(c *stackconfig.Config) {
			c.NodeGroups = c.NodeGroups[:1]
			c.NodeGroups[0].MaxSize, c.NodeGroups[0].DesiredSize = 1, 1
		}, "eks-cilium:addons.awsLoadBalancerController.replicaCount", []string{`"2"`, "at most 1"}},
		{"negative replicas", func(c *stackconfig.Config) { c.Addons.AwsLoadBalancerController.ReplicaCount = -1 },
			"eks-cilium:addons.awsLoadBalancerController.replicaCount", []string{`"-1"`, "1 or more"}},
		{"no region for the controller", func(c *stackconfig.Config) { c.Region = "" },
			"aws:region", []string{"IMDS"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := addonsStack()
			tc.edit(&cfg)
			_, probs := CheckAddons(cfg)
			if len(probs) != 1 {
				t.Fatalf("want exactly one problem at %s, got %v", tc.key, probs)
			}
			p := probs[0]
			if p.Key != tc.key {
				t.Errorf("problem names %s, want %s", p.Key, tc.key)
			}
			if p.Fix == "" {
				t.Errorf("problem has no fix: %v", p)
			}
			for _, want := range tc.contains {
				if !strings.Contains(p.String(), want) {
					t.Errorf("%q does not mention %q", p.String(), want)
				}
			}
		})
	}
}
