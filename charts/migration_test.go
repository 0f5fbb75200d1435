package charts_test

import (
	"testing"

	"github.com/eks-cilium/eks-cilium/charts"
)

// TestCiliumValues_FollowTheMigrationPhase holds each phase to Cilium's migration guide
// (k8s-install-migration.rst v1.19.6 L165-182, L324-329) plus the EKS additions.
func TestCiliumValues_FollowTheMigrationPhase(t *testing.T) {
	tests := []struct {
		phase string
		want  map[string]any // dotted path -> value; nil means the path is absent
	}{
		{"", map[string]any{"cni.customConf": nil, "policyEnforcementMode": nil, "bpf": nil, "rollOutCiliumPods": nil, "cni.exclusive": true}},
		{"install", map[string]any{
			"cni.customConf": true, "cni.uninstall": false, "cni.iptablesRemoveAWSRules": false, "policyEnforcementMode": "never",
			"bpf.hostLegacyRouting": true, "operator.unmanagedPodWatcher.restart": false, "rollOutCiliumPods": nil,
			"ipam.mode": "cluster-pool", "routingMode": "tunnel", "operator.replicas": 2,
		}},
		{"finalize", map[string]any{
			"cni.customConf": false, "cni.iptablesRemoveAWSRules": true, "policyEnforcementMode": "default",
			"operator.unmanagedPodWatcher.restart": true, "rollOutCiliumPods": true, "bpf.hostLegacyRouting": true,
		}},
		{"remove-aws-node", map[string]any{"cni.customConf": false, "policyEnforcementMode": "default", "rollOutCiliumPods": true}},
		{"complete", map[string]any{"cni.customConf": false, "policyEnforcementMode": "default", "rollOutCiliumPods": true}},
	}
	for _, tt := range tests {
		t.Run(tt.phase, func(t *testing.T) {
			in := base()
			in.KubeProxyReplacement = false
			in.MigrationPhase = tt.phase
			v := mustValues(t, in)
			for path, want := range tt.want {
				got, ok := at(v, path)
				switch {
				case want == nil && ok:
					t.Errorf("%s = %v, want it absent", path, got)
				case want != nil && got != want:
					t.Errorf("%s = %v, want %v", path, got, want)
				}
			}
		})
	}
}

func TestCiliumMigrationKeys_AreWhatThePhasesSet(t *testing.T) {
	set := map[string]bool{}
	for _, phase := range []string{"install", "finalize"} {
		for _, l := range leafPaths("", charts.CiliumMigrationValues(phase)) {
			set[l] = true
		}
	}
	for _, k := range charts.CiliumMigrationKeys {
		if !set[k] {
			t.Errorf("CiliumMigrationKeys lists %s, which no phase sets", k)
		}
		delete(set, k)
	}
	for k := range set {
		t.Errorf("a phase sets %s, which CiliumMigrationKeys does not protect from cilium.values", k)
	}
}

func leafPaths(prefix string, m map[string]any) []string {
	var out []string
	for k, v := range m {
		p := k
		if prefix != "" {
			p = prefix + "." + k
		}
		if sub, ok := v.(map[string]any); ok {
			out = append(out, leafPaths(p, sub)...)
			continue
		}
		out = append(out, p)
	}
	return out
}
