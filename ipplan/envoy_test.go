package ipplan

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestEnvoyEnabledBy_NamesTheValueThatTurnsEnvoyOn(t *testing.T) {
	on := map[string]any{"enabled": true}
	for _, tc := range []struct {
		name   string
		values map[string]any
		want   string
	}{
		{"no values", nil, ""},
		{"unrelated values", map[string]any{"hubble": map[string]any{"ui": on}}, ""},
		{"ingress controller", map[string]any{"ingressController": on}, "ingressController.enabled"},
		{"Gateway API", map[string]any{"gatewayAPI": on}, "gatewayAPI.enabled"},
		{"Envoy config", map[string]any{"envoyConfig": on}, "envoyConfig.enabled"},
		{"L7 load balancing through Envoy", map[string]any{"loadBalancer": map[string]any{"l7": map[string]any{"backend": "envoy"}}}, "loadBalancer.l7.backend"},
		{"L7 backend disabled", map[string]any{"loadBalancer": map[string]any{"l7": map[string]any{"backend": "disabled"}}}, ""},
		{"switched off", map[string]any{"ingressController": map[string]any{"enabled": false}, "gatewayAPI": map[string]any{"enabled": false}}, ""},
		// Helm's `if` is Go template truth: a non-empty string is true, even "false".
		{"the string false is true to Helm", map[string]any{"gatewayAPI": map[string]any{"enabled": "false"}}, "gatewayAPI.enabled"},
		{"the number 0 is false", map[string]any{"envoyConfig": map[string]any{"enabled": json.Number("0")}}, ""},
		{"the number 1 is true", map[string]any{"envoyConfig": map[string]any{"enabled": json.Number("1")}}, "envoyConfig.enabled"},
		{"a value that is not a map", map[string]any{"ingressController": true}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := EnvoyEnabledBy(tc.values); got != tc.want {
				t.Errorf("EnvoyEnabledBy(%v) = %q, want %q", tc.values, got, tc.want)
			}
		})
	}
}

func TestNew_EnvoyTakesOneMoreAddressOfEveryNodeCIDR(t *testing.T) {
	cfg := validConfig()
	cfg.Cilium.Values = map[string]any{"gatewayAPI": map[string]any{"enabled": true}}
	p := mustPlan(t, cfg)
	if p.Reserved != 5 || p.UsablePodIPsPerNode != 251 || p.EnvoyBy != "gatewayAPI.enabled" {
		t.Errorf("Reserved %d, UsablePodIPsPerNode %d, EnvoyBy %q; want 5, 251, gatewayAPI.enabled", p.Reserved, p.UsablePodIPsPerNode, p.EnvoyBy)
	}
	if want := "/24: 251 pod IPs per node (256 addresses − 5 Cilium reserves, one for Envoy: cilium.values.gatewayAPI.enabled)"; !strings.Contains(p.Summary(), want) {
		t.Errorf("Summary lacks %q:\n%s", want, p.Summary())
	}
	without := mustPlan(t, validConfig())
	if without.Reserved != 4 || without.UsablePodIPsPerNode != 252 || strings.Contains(without.Summary(), "Envoy") {
		t.Errorf("without Envoy: Reserved %d, UsablePodIPsPerNode %d\n%s", without.Reserved, without.UsablePodIPsPerNode, without.Summary())
	}
}

// The valid neighbour of the refused case: at /26 with Envoy, 59 pods fit exactly, and an
// automatic maxPods takes 59.
func TestNew_EnvoyNodeCIDRHoldsOneFewerPod(t *testing.T) {
	cfg := validConfig()
	cfg.Cilium.ClusterPoolIPv4MaskSize = 26
	cfg.Cilium.Values = map[string]any{"envoyConfig": map[string]any{"enabled": true}}
	cfg.NodeGroups[0].MaxPods = 59
	if g := mustPlan(t, cfg).NodeGroups[0]; g.MaxPods != 59 {
		t.Errorf("MaxPods = %d, want 59", g.MaxPods)
	}
	cfg.NodeGroups[0].MaxPods = 0
	if g := mustPlan(t, cfg).NodeGroups[0]; g.MaxPods != 59 || !g.MaxPodsDefaulted {
		t.Errorf("automatic MaxPods = %d (defaulted %v), want 59", g.MaxPods, g.MaxPodsDefaulted)
	}
}
