package guard

import (
	"strings"
	"testing"

	"github.com/eks-cilium/eks-cilium/stackconfig"
)

func TestCheck_GuardsTheMeshIdentityOfARunningCluster(t *testing.T) {
	member := func(id, max int) *stackconfig.ClusterMeshConfig {
		return &stackconfig.ClusterMeshConfig{Id: id, MaxConnectedClusters: max, Connectivity: stackconfig.ConnectivityPeering}
	}
	tests := []struct {
		name     string
		was      *DeployedMesh
		now      *stackconfig.ClusterMeshConfig
		rename   bool
		refused  []string
		warnSays string
	}{
		{name: "unchanged member", was: &DeployedMesh{ID: 3, MaxConnectedClusters: 255}, now: member(3, 255)},
		{name: "never a member", was: nil, now: nil},
		{name: "new ID refused", was: &DeployedMesh{ID: 3, MaxConnectedClusters: 255}, now: member(4, 255), refused: []string{"eks-cilium:clusterMesh.id"}},
		{name: "new maxConnectedClusters refused", was: &DeployedMesh{ID: 3, MaxConnectedClusters: 255}, now: member(3, 511), refused: []string{"eks-cilium:clusterMesh.maxConnectedClusters"}},
		{name: "joining warns to restart workloads", was: nil, now: member(3, 255), warnSays: "0 becomes 3"},
		{name: "leaving warns to restart workloads", was: &DeployedMesh{ID: 3, MaxConnectedClusters: 255}, now: nil, warnSays: "3 becomes 0"},
		{name: "a replaced cluster starts afresh", was: &DeployedMesh{ID: 3, MaxConnectedClusters: 255}, now: member(9, 511), rename: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prev := deployed()
			prev.Mesh = tt.was
			cfg := config()
			cfg.ClusterMesh = tt.now
			if tt.rename {
				cfg.Cluster.Name, cfg.Cluster.AllowClusterReplacement = "eks-cilium-prod-b", true
			}
			warnings, err := Check(prev, cfg)
			var keys []string
			if probs, ok := err.(stackconfig.Problems); ok {
				for _, p := range probs {
					keys = append(keys, p.Key)
				}
			}
			if strings.Join(keys, " ") != strings.Join(tt.refused, " ") {
				t.Errorf("refused %v, want %v", keys, tt.refused)
			}
			said := strings.Join(warnings, "\n")
			if tt.warnSays != "" && !strings.Contains(said, tt.warnSays) {
				t.Errorf("warnings %q do not say %q", said, tt.warnSays)
			}
			if tt.warnSays == "" && strings.Contains(said, "clusterMesh") {
				t.Errorf("unexpected mesh warning: %q", said)
			}
		})
	}
}

func TestFromOutputs_ReadsTheMeshIdentity(t *testing.T) {
	outputs := map[string]any{
		"clusterName": "eks-cilium-prod", "vpcCidr": "10.20.0.0/16", "serviceCidr": "172.20.0.0/16",
		"podCidrs": []any{"10.100.0.0/17"}, "podCidrMaskSize": 24.0, "ipamMode": IpamMode, "routingMode": RoutingMode,
		"clusterMesh": map[string]any{"id": 3.0, "maxConnectedClusters": 255.0, "name": "eks-cilium-prod"},
	}
	d, err := FromOutputs(outputs)
	if err != nil || d.Mesh == nil || *d.Mesh != (DeployedMesh{ID: 3, MaxConnectedClusters: 255}) {
		t.Fatalf("read %+v, %v", d, err)
	}
	outputs["clusterMesh"] = map[string]any{"id": "3"}
	if _, err := FromOutputs(outputs); err == nil || !strings.Contains(err.Error(), "clusterMesh") {
		t.Errorf("a malformed clusterMesh output: %v", err)
	}
}
