package ipplan

import (
	"encoding/json"
	"reflect"
)

// EnvoyReservedPerNodeCIDR is the extra address Cilium takes from every node's pod CIDR when
// its Envoy configuration is on: the agent allocates an "ingress" IP for Envoy from the node's
// pool (cilium/cilium v1.19.6 daemon/infraendpoints/infra_ip_allocation.go, allocateIngressIPs,
// which returns early unless the agent option enable-envoy-config is set).
const EnvoyReservedPerNodeCIDR = 1

// envoySwitches are the Helm values that make the chart set enable-envoy-config: "true" in
// cilium-config (chart 1.19.6 templates/cilium-configmap.yaml: `if or .Values.envoyConfig.enabled
// .Values.ingressController.enabled .Values.gatewayAPI.enabled (and (hasKey .Values
// "loadBalancer") (eq .Values.loadBalancer.l7.backend "envoy"))`). tests/chart renders the real
// chart with each to keep this list and the chart in step.
var envoySwitches = []struct {
	path []string
	// equals is the value the chart compares with; "" means the value's template truth.
	equals string
}{
	{path: []string{"envoyConfig", "enabled"}},
	{path: []string{"ingressController", "enabled"}},
	{path: []string{"gatewayAPI", "enabled"}},
	{path: []string{"loadBalancer", "l7", "backend"}, equals: "envoy"},
}

// EnvoyEnabledBy returns the dotted path of the first value in the extra Cilium Helm values
// (eks-cilium:cilium.values) that turns on Cilium's Envoy configuration, or "" when none does.
func EnvoyEnabledBy(values map[string]any) string {
	for _, s := range envoySwitches {
		v, ok := lookup(values, s.path)
		if !ok {
			continue
		}
		if s.equals != "" {
			if str, isString := v.(string); isString && str == s.equals {
				return join(s.path)
			}
			continue
		}
		if truth(v) {
			return join(s.path)
		}
	}
	return ""
}

func lookup(m map[string]any, path []string) (any, bool) {
	var v any = m
	for _, k := range path {
		sub, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = sub[k]; !ok {
			return nil, false
		}
	}
	return v, true
}

// truth is Go text/template's truth, which Helm's `if` uses: false, 0, nil and empty
// strings, maps and lists are false. Numbers decoded from the stack file arrive as
// json.Number and reach the chart as numbers.
func truth(v any) bool {
	if n, ok := v.(json.Number); ok {
		f, err := n.Float64()
		return err != nil || f != 0
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Invalid:
		return false
	case reflect.Bool:
		return rv.Bool()
	case reflect.String, reflect.Map, reflect.Slice, reflect.Array:
		return rv.Len() > 0
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int() != 0
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return rv.Uint() != 0
	case reflect.Float32, reflect.Float64:
		return rv.Float() != 0
	case reflect.Pointer, reflect.Interface:
		return !rv.IsNil()
	}
	return true
}

func join(path []string) string {
	s := path[0]
	for _, p := range path[1:] {
		s += "." + p
	}
	return s
}
