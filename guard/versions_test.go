package guard

import (
	"strings"
	"testing"

	"github.com/eks-cilium/eks-cilium/stackconfig"
)

// outputs are prod's stack outputs as this version of the program exports them, at 1.34 with
// Cilium 1.19.6 first installed as 1.18.14.
func outputs() map[string]any {
	return map[string]any{
		"clusterName": "eks-cilium-prod", "vpcCidr": "10.20.0.0/16", "serviceCidr": "172.20.0.0/16",
		"ipamMode": "cluster-pool", "routingMode": "tunnel", "podCidrMaskSize": 24.0,
		"podCidrs":          []any{"10.100.0.0/17", "10.101.0.0/17"},
		"kubernetesVersion": "1.34", "ciliumVersion": "1.19.6", "ciliumInitialVersion": "1.18.14",
		"nodeGroups": []any{
			map[string]any{"name": "general", "kubernetesVersion": "1.34", "amiVersion": "v20260714", "maxPods": 110.0, "labels": map[string]any{"workload": "general"}},
			map[string]any{"name": "compute", "kubernetesVersion": "1.34", "amiVersion": "v20260714", "maxPods": 110.0},
		},
		"addonVersions": map[string]any{"coredns": "v1.13.2-eksbuild.7"},
		"chartVersions": map[string]any{"metrics-server": "3.13.1"},
	}
}

func TestFromOutputs_ReadsTheVersionOutputs(t *testing.T) {
	d, err := FromOutputs(outputs())
	if err != nil {
		t.Fatal(err)
	}
	v := d.Versions
	if v.KubernetesVersion != "1.34" || v.CiliumVersion != "1.19.6" || v.CiliumInitialVersion != "1.18.14" || len(v.Skipped) != 0 {
		t.Errorf("versions = %+v", v)
	}
	g, ok := v.NodeGroup("general")
	if !ok || g.KubernetesVersion != "1.34" || g.AmiVersion != "v20260714" || g.MaxPods != 110 || g.Labels["workload"] != "general" {
		t.Errorf("general = %+v, %v", g, ok)
	}
	if v.Addons["coredns"] != "v1.13.2-eksbuild.7" || v.Charts["metrics-server"] != "3.13.1" {
		t.Errorf("addons %v, charts %v", v.Addons, v.Charts)
	}
}

// A stack last deployed before the outputs existed is not blocked; what is skipped is said.
func TestFromOutputs_StacksWithoutTheVersionOutputsAreNotBlocked(t *testing.T) {
	out := outputs()
	for _, k := range []string{"kubernetesVersion", "ciliumVersion", "ciliumInitialVersion", "addonVersions", "chartVersions"} {
		delete(out, k)
	}
	out["nodeGroups"] = []any{map[string]any{"name": "general", "maxPods": 110.0}}
	d, err := FromOutputs(out)
	if err != nil {
		t.Fatal(err)
	}
	skipped := strings.Join(d.Versions.Skipped, "\n")
	for _, want := range []string{"no kubernetesVersion", "eks-cilium:cluster.version are skipped", "no ciliumVersion"} {
		if !strings.Contains(skipped, want) {
			t.Errorf("skipped notices lack %q:\n%s", want, skipped)
		}
	}
	cfg := config()
	cfg.Cluster.Version = "1.35"
	warnings, err := Check(d, cfg)
	if err != nil {
		t.Fatalf("refused: %v", err)
	}
	if !strings.Contains(strings.Join(warnings, "\n"), "no kubernetesVersion") {
		t.Errorf("the warnings do not say what was skipped: %v", warnings)
	}
}

func TestFromOutputs_RefusesMalformedVersionOutputs(t *testing.T) {
	for name, edit := range map[string]func(map[string]any){
		"number version":    func(o map[string]any) { o["kubernetesVersion"] = 1.35 },
		"node group list":   func(o map[string]any) { o["nodeGroups"] = "general" },
		"nameless group":    func(o map[string]any) { o["nodeGroups"] = []any{map[string]any{"kubernetesVersion": "1.34"}} },
		"addon map entry":   func(o map[string]any) { o["addonVersions"] = map[string]any{"coredns": 1} },
		"group ami version": func(o map[string]any) { o["nodeGroups"] = []any{map[string]any{"name": "g", "amiVersion": true}} },
	} {
		t.Run(name, func(t *testing.T) {
			out := outputs()
			edit(out)
			if _, err := FromOutputs(out); err == nil {
				t.Error("malformed outputs were accepted")
			}
		})
	}
}

func TestCheck_VersionRules(t *testing.T) {
	cases := []struct {
		name    string
		edit    func(*stackconfig.Config)
		prev    func(map[string]any)
		key     string // refused key; "" accepted
		rule    string
		fix     string
		warning string
	}{
		{name: "same versions", edit: func(*stackconfig.Config) {}},
		{name: "one minor up", edit: func(c *stackconfig.Config) { c.Cluster.Version = "1.35" }},
		{name: "a skip is refused with the way forward", edit: func(c *stackconfig.Config) { c.Cluster.Version = "1.35" },
			prev: func(o map[string]any) { o["kubernetesVersion"] = "1.33"; setGroups(o, "1.33") },
			key:  "eks-cilium:cluster.version", rule: "one minor at a time", fix: "first update to 1.34"},
		{name: "a rollback without the switch is refused", edit: func(c *stackconfig.Config) { c.Cluster.Version = "1.33" },
			key: "eks-cilium:cluster.version", rule: "rollback", fix: "eks-cilium:cluster.allowVersionRollback: true"},
		{name: "a rollback by one minor with the switch is announced", edit: func(c *stackconfig.Config) {
			c.Cluster.Version, c.Cluster.AllowVersionRollback = "1.33", true
		}, warning: "within 7 days"},
		{name: "a rollback by two minors is refused even with the switch", edit: func(c *stackconfig.Config) {
			c.Cluster.Version, c.Cluster.AllowVersionRollback = "1.32", true
		}, key: "eks-cilium:cluster.version", rule: "previous minor only", fix: "roll back to 1.33 only"},
		{name: "an upgrade with a node group behind is refused", edit: func(c *stackconfig.Config) { c.Cluster.Version = "1.35" },
			prev: func(o map[string]any) {
				o["nodeGroups"].([]any)[1].(map[string]any)["kubernetesVersion"] = "1.33"
			}, key: "eks-cilium:cluster.version", rule: "node group compute still runs 1.33", fix: `"1.34"`},
		{name: "Cilium one minor up", edit: func(c *stackconfig.Config) { c.Cilium.Version = "1.20.0" }},
		{name: "Cilium one minor down", edit: func(c *stackconfig.Config) { c.Cilium.Version = "1.18.14" }},
		{name: "Cilium two minors up is refused", edit: func(c *stackconfig.Config) { c.Cilium.Version = "1.20.0" },
			prev: func(o map[string]any) { o["ciliumVersion"] = "1.18.14" },
			key:  "eks-cilium:cilium.version", rule: "consecutive minor releases", fix: "first update to 1.19"},
		{name: "Cilium with a Kubernetes minor change is refused: Cilium first", edit: func(c *stackconfig.Config) {
			c.Cluster.Version, c.Cilium.Version = "1.35", "1.20.0"
		}, key: "eks-cilium:cilium.version", rule: "same update as Kubernetes", fix: "first eks-cilium:cilium.version: 1.20.0 with eks-cilium:cluster.version kept at \"1.34\""},
		{name: "Cilium 1.18 to 1.19 with 1.33 to 1.34: Cilium first", edit: func(c *stackconfig.Config) {
			c.Cluster.Version, c.Cilium.Version = "1.34", "1.19.6"
		}, prev: func(o map[string]any) {
			o["kubernetesVersion"] = "1.33"
			setGroups(o, "1.33")
			o["ciliumVersion"] = "1.18.14"
		},
			key: "eks-cilium:cilium.version", fix: "first eks-cilium:cilium.version: 1.19.6"},
		{name: "even a Cilium patch waits for the Kubernetes update", edit: func(c *stackconfig.Config) {
			c.Cluster.Version, c.Cilium.Version = "1.35", "1.19.7"
		}, key: "eks-cilium:cilium.version", rule: "same update as Kubernetes"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := outputs()
			if tc.prev != nil {
				tc.prev(out)
			}
			prev, err := FromOutputs(out)
			if err != nil {
				t.Fatal(err)
			}
			cfg := config()
			cfg.Cluster.Version, cfg.Cilium.Version = "1.34", "1.19.6"
			tc.edit(&cfg)
			warnings, err := Check(prev, cfg)
			if tc.key == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if tc.warning != "" && !strings.Contains(strings.Join(warnings, "\n"), tc.warning) {
					t.Errorf("warnings %v lack %q", warnings, tc.warning)
				}
				return
			}
			probs, _ := err.(stackconfig.Problems)
			for _, p := range probs {
				if p.Key == tc.key && strings.Contains(p.Rule, tc.rule) && strings.Contains(p.Fix, tc.fix) {
					if !strings.Contains(p.Value, "deployed:") {
						t.Errorf("the refusal does not show the deployed value: %v", p)
					}
					return
				}
			}
			t.Errorf("want a refusal of %s with %q and fix %q, got %v", tc.key, tc.rule, tc.fix, err)
		})
	}
}

func setGroups(o map[string]any, version string) {
	for _, g := range o["nodeGroups"].([]any) {
		g.(map[string]any)["kubernetesVersion"] = version
	}
}

func TestInitialCilium_IsTheFirstEverInstalled(t *testing.T) {
	cfg := config()
	cfg.Cilium.Version = "1.20.0"
	with := func(edit func(map[string]any)) *Deployed {
		out := outputs()
		edit(out)
		d, err := FromOutputs(out)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	tests := []struct {
		name   string
		prev   *Deployed
		want   string
		notice bool
	}{
		{"new stack: its own version", nil, "1.20.0", false},
		{"kept for the stack's life", with(func(map[string]any) {}), "1.18.14", false},
		{"older stack: its deployed version, said", with(func(o map[string]any) { delete(o, "ciliumInitialVersion") }), "1.19.6", true},
		{"nothing known: the configured one, said", with(func(o map[string]any) { delete(o, "ciliumInitialVersion"); delete(o, "ciliumVersion") }), "1.20.0", true},
	}
	for _, tt := range tests {
		got, notice := InitialCilium(tt.prev, cfg)
		if got != tt.want || (notice != "") != tt.notice {
			t.Errorf("%s: %q, notice %q; want %q (notice %v)", tt.name, got, notice, tt.want, tt.notice)
		}
	}
}
