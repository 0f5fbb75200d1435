package chart_test

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/eks-cilium/eks-cilium/render"
	"github.com/eks-cilium/eks-cilium/stackconfig"
)

// adoptFixture is the adopted-cluster stack of the migration tests.
const adoptFixture = "../fixtures/Pulumi.adopt.yaml"

// phaseValues runs the program offline for the adopted cluster in phase, after previous was
// deployed, and returns the values it gives the Cilium release.
func phaseValues(t *testing.T, phase, previous string) (stackconfig.Config, map[string]any) {
	t.Helper()
	cfg, vals, err := stackconfig.LoadFile(adoptFixture)
	if err != nil {
		t.Fatal(err)
	}
	vals[stackconfig.KeyMigration] = strings.Replace(vals[stackconfig.KeyMigration], `"phase":"install"`, `"phase":"`+phase+`"`, 1)
	var prev map[string]any
	if previous != "" {
		prev = map[string]any{"clusterName": "legacy", "vpcCidr": "10.0.0.0/16", "serviceCidr": "172.20.0.0/16",
			"podCidrs": []any{"100.64.0.0/16"}, "podCidrMaskSize": 24.0, "ipamMode": "cluster-pool", "routingMode": "tunnel",
			"kubeProxyReplacement": false, "clusterExisting": true, "migrationPhase": previous}
	}
	res, err := render.Run(cfg.Stack, vals, render.Options{Known: true, Previous: prev})
	if err != nil {
		t.Fatalf("phase %s after %s: %v", phase, previous, err)
	}
	rep, err := render.NewReport(res)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Migration == nil || rep.Migration.Phase != phase {
		t.Fatalf("the render did not deploy phase %s: %+v", phase, rep.Migration)
	}
	return res.Config, rep.CiliumValues
}

// TestChart_MigrationPhasesConfigureTheAgentsAsCiliumsGuide renders the real chart with each
// phase's values and reads what the agent and operator get: in install, Cilium's "secondary"
// mode (no CNI configuration of its own, no policy, host-stack routing, the operator leaving
// unmanaged pods alone, aws-node's iptables rules kept: no postStart hook), the rest of the
// CNI settings left to the CiliumNodeConfig; from finalize on, Cilium's own CNI configuration
// everywhere, policy, the AWS rules cleaned, and agents rolled on every configuration change.
func TestChart_MigrationPhasesConfigureTheAgentsAsCiliumsGuide(t *testing.T) {
	tests := []struct {
		phase, previous string
		data            map[string]string // "" means the key is absent
		postStart, roll bool
	}{
		{"install", "", map[string]string{
			"custom-cni-conf": "true", "write-cni-conf-when-ready": "", "cni-exclusive": "", "cni-uninstall": "",
			"enable-policy": "never", "enable-host-legacy-routing": "true", "unmanaged-pod-watcher-interval": "0",
			"kube-proxy-replacement": "false", "ipam": "cluster-pool", "cluster-pool-ipv4-cidr": "100.64.0.0/16", "routing-mode": "tunnel",
		}, false, false},
		{"finalize", "install", map[string]string{
			"custom-cni-conf": "false", "write-cni-conf-when-ready": "/host/etc/cni/net.d/05-cilium.conflist", "cni-exclusive": "true",
			"enable-policy": "default", "unmanaged-pod-watcher-interval": "15s", "kube-proxy-replacement": "false",
		}, true, true},
		{"remove-aws-node", "finalize", map[string]string{"custom-cni-conf": "false", "enable-policy": "default"}, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.phase, func(t *testing.T) {
			cfg, values := phaseValues(t, tt.phase, tt.previous)
			chrt := loadChart(t, filepath.Join(chartsDir, "cilium-"+cfg.Cilium.Version+".tgz"))
			objs, err := renderChart(chrt, values, cfg.Cluster.Version)
			if err != nil {
				t.Fatalf("the chart refuses phase %s's values: %v", tt.phase, err)
			}
			data := configMapData(t, find(t, objs, "ConfigMap", "cilium-config"))
			for k, want := range tt.data {
				got, ok := data[k]
				switch {
				case want == "" && ok:
					t.Errorf("cilium-config %s = %q, want it absent", k, got)
				case want != "" && got != want:
					t.Errorf("cilium-config %s = %q, want %q", k, got, want)
				}
			}
			agent := find(t, objs, "DaemonSet", "cilium")
			containers, _ := lookup(agent, "spec", "template", "spec", "containers").([]any)
			hasPostStart := false
			for _, c := range containers {
				if c.(map[string]any)["name"] == "cilium-agent" {
					hasPostStart = lookup(c.(map[string]any), "lifecycle", "postStart") != nil
				}
			}
			if hasPostStart != tt.postStart {
				t.Errorf("the agent's postStart hook (deletes AWS-SNAT-CHAIN rules) present = %v, want %v", hasPostStart, tt.postStart)
			}
			annotations, _ := lookup(agent, "spec", "template", "metadata", "annotations").(map[string]any)
			if _, roll := annotations["cilium.io/cilium-configmap-checksum"]; roll != tt.roll {
				t.Errorf("the agents roll on a configuration change = %v, want %v", roll, tt.roll)
			}
			// The agent reads CiliumNodeConfigs (the migration's per-node CNI switch).
			var rules []any
			for _, o := range objs {
				if o["kind"] == "ClusterRole" && lookup(o, "metadata", "name") == "cilium" {
					rules, _ = o["rules"].([]any)
				}
			}
			readsNodeConfigs := false
			for _, r := range rules {
				res, _ := r.(map[string]any)["resources"].([]any)
				verbs, _ := r.(map[string]any)["verbs"].([]any)
				readsNodeConfigs = readsNodeConfigs || (slices.Contains(res, any("ciliumnodeconfigs")) && slices.Contains(verbs, any("watch")))
			}
			if !readsNodeConfigs {
				t.Errorf("the agent's ClusterRole cannot watch ciliumnodeconfigs")
			}
		})
	}
}
