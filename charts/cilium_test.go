package charts_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/eks-cilium/eks-cilium/charts"
)

// base is a valid input; each test changes only what it is about.
func base() charts.CiliumInput {
	return charts.CiliumInput{
		PodCIDRs:             []string{"10.200.0.0/16"},
		MaskSize:             24,
		TunnelProtocol:       "vxlan",
		KubeProxyReplacement: true,
		K8sServiceHost:       "abc.gr7.eu-west-1.eks.amazonaws.com",
		HubbleRelay:          true,
		ExpectedNodes:        3,
	}
}

func mustValues(t *testing.T, in charts.CiliumInput) map[string]any {
	t.Helper()
	v, err := charts.CiliumValues(in)
	if err != nil {
		t.Fatalf("Values(%+v): %v", in, err)
	}
	return v
}

// at reads a dotted path; ok is false when any step is missing.
func at(v map[string]any, path string) (any, bool) {
	var cur any = v
	for _, p := range strings.Split(path, ".") {
		m, isMap := cur.(map[string]any)
		if !isMap {
			return nil, false
		}
		var ok bool
		if cur, ok = m[p]; !ok {
			return nil, false
		}
	}
	return cur, true
}

func TestValues_UseClusterPoolIPAMWithThePoolInConfiguredOrder(t *testing.T) {
	in := base()
	// Deliberately not sorted: the pool is append-only, so order must survive.
	in.PodCIDRs = []string{"10.201.0.0/16", "10.200.0.0/16", "100.64.0.0/16"}
	v := mustValues(t, in)

	if mode, _ := at(v, "ipam.mode"); mode != "cluster-pool" {
		t.Errorf("ipam.mode = %v, want cluster-pool", mode)
	}
	list, _ := at(v, "ipam.operator.clusterPoolIPv4PodCIDRList")
	want := []any{"10.201.0.0/16", "10.200.0.0/16", "100.64.0.0/16"}
	if !reflect.DeepEqual(list, want) {
		t.Errorf("clusterPoolIPv4PodCIDRList = %#v, want %#v", list, want)
	}
}

func TestValues_KeepMaskSizeAnInteger(t *testing.T) {
	for _, mask := range []int{24, 26, 28} {
		in := base()
		in.MaskSize = mask
		got, _ := at(mustValues(t, in), "ipam.operator.clusterPoolIPv4MaskSize")
		// The chart's values.schema.json types it "integer": "24" would fail the release.
		n, ok := got.(int)
		if !ok || n != mask {
			t.Errorf("clusterPoolIPv4MaskSize = %#v (%T), want int %d", got, got, mask)
		}
	}
}

func TestValues_RouteThroughATunnelWithTheConfiguredProtocol(t *testing.T) {
	for _, proto := range []string{"vxlan", "geneve"} {
		t.Run(proto, func(t *testing.T) {
			in := base()
			in.TunnelProtocol = proto
			v := mustValues(t, in)
			if v["routingMode"] != "tunnel" {
				t.Errorf("routingMode = %v, want tunnel", v["routingMode"])
			}
			if v["tunnelProtocol"] != proto {
				t.Errorf("tunnelProtocol = %v, want %s", v["tunnelProtocol"], proto)
			}
		})
	}
}

func TestValues_AreTheOnlyCNIWithoutENIMode(t *testing.T) {
	v := mustValues(t, base())
	checks := []struct {
		path string
		want any
	}{
		{"eni.enabled", false},
		{"cni.exclusive", true},
		// Overlay pod IPs are unknown to the VPC: egress leaves through the node's address.
		{"enableIPv4Masquerade", true},
	}
	for _, c := range checks {
		if got, ok := at(v, c.path); !ok || got != c.want {
			t.Errorf("%s = %#v (set: %v), want %#v", c.path, got, ok, c.want)
		}
	}
	if got, ok := at(v, "cni.chainingMode"); ok {
		t.Errorf("cni.chainingMode = %#v, want it unset (no chaining onto aws-node)", got)
	}
}

func TestValues_KubeProxyReplacementGivesTheAgentTheEndpoint(t *testing.T) {
	tests := []struct {
		name        string
		replacement bool
		wantHost    any // nil: key absent
		wantPort    any
	}{
		{"on", true, "abc.gr7.eu-west-1.eks.amazonaws.com", 443},
		{"off", false, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := base()
			in.KubeProxyReplacement = tt.replacement
			v := mustValues(t, in)
			if got, ok := v["kubeProxyReplacement"].(bool); !ok || got != tt.replacement {
				t.Errorf("kubeProxyReplacement = %#v, want bool %v", v["kubeProxyReplacement"], tt.replacement)
			}
			host, hasHost := v["k8sServiceHost"]
			port, hasPort := v["k8sServicePort"]
			if tt.wantHost == nil {
				if hasHost || hasPort {
					t.Errorf("without replacement k8sServiceHost/Port must be absent, got %#v/%#v", host, port)
				}
				return
			}
			if host != tt.wantHost || port != tt.wantPort {
				t.Errorf("k8sServiceHost/Port = %#v/%#v, want %#v/%#v", host, port, tt.wantHost, tt.wantPort)
			}
		})
	}
}

func TestValues_DeployHubbleRelayOnlyWhenAsked(t *testing.T) {
	for _, relay := range []bool{true, false} {
		in := base()
		in.HubbleRelay = relay
		v := mustValues(t, in)
		if got, _ := at(v, "hubble.relay.enabled"); got != relay {
			t.Errorf("HubbleRelay %v: hubble.relay.enabled = %#v", relay, got)
		}
		if got, _ := at(v, "hubble.enabled"); got != true {
			t.Errorf("HubbleRelay %v: hubble.enabled = %#v, want true (Hubble always runs in the agent)", relay, got)
		}
	}
}

func TestValues_EncryptWithWireGuardOnlyWhenAsked(t *testing.T) {
	tests := []struct {
		encryption string
		want       any // nil: no encryption key
	}{
		{"", nil},
		{"wireguard", map[string]any{"enabled": true, "type": "wireguard"}},
	}
	for _, tt := range tests {
		in := base()
		in.Encryption = tt.encryption
		got, ok := mustValues(t, in)["encryption"]
		if tt.want == nil {
			if ok {
				t.Errorf("Encryption %q: encryption = %#v, want absent", tt.encryption, got)
			}
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Encryption %q: encryption = %#v, want %#v", tt.encryption, got, tt.want)
		}
	}
}

func TestOperatorReplicas_AreTwoOnceThereAreTwoNodes(t *testing.T) {
	tests := []struct{ nodes, want int }{
		{0, 1}, {1, 1}, {2, 2}, {3, 2}, {100, 2},
	}
	for _, tt := range tests {
		if got := charts.CiliumOperatorReplicas(tt.nodes); got != tt.want {
			t.Errorf("OperatorReplicas(%d) = %d, want %d", tt.nodes, got, tt.want)
		}
		in := base()
		in.ExpectedNodes = tt.nodes
		if got, _ := at(mustValues(t, in), "operator.replicas"); got != tt.want {
			t.Errorf("ExpectedNodes %d: operator.replicas = %#v, want %d", tt.nodes, got, tt.want)
		}
	}
}

func TestValues_MergeExtraDeeply(t *testing.T) {
	in := base()
	in.HubbleRelay = true
	in.Extra = map[string]any{
		"hubble":   map[string]any{"ui": map[string]any{"enabled": true}},
		"operator": map[string]any{"replicas": 3},
		"debug":    map[string]any{"enabled": true},
	}
	v := mustValues(t, in)
	checks := []struct {
		path string
		want any
	}{
		{"hubble.ui.enabled", true},    // added
		{"hubble.relay.enabled", true}, // kept beside it
		{"hubble.enabled", true},       // kept
		{"operator.replicas", 3},       // a non-design key the user may override
		{"debug.enabled", true},        // a new top-level key
		{"ipam.mode", "cluster-pool"},  // untouched
	}
	for _, c := range checks {
		if got, ok := at(v, c.path); !ok || got != c.want {
			t.Errorf("%s = %#v (set: %v), want %#v", c.path, got, ok, c.want)
		}
	}
}

func TestValues_RefuseExtraThatOverridesTheDesign(t *testing.T) {
	tests := []struct {
		name  string
		extra map[string]any
		path  string // the key path the error must name
	}{
		{"ipam mode", map[string]any{"ipam": map[string]any{"mode": "eni"}}, "eks-cilium:cilium.values.ipam.mode"},
		{"ipam pool", map[string]any{"ipam": map[string]any{"operator": map[string]any{"clusterPoolIPv4PodCIDRList": []any{"10.0.0.0/8"}}}}, "eks-cilium:cilium.values.ipam.operator.clusterPoolIPv4PodCIDRList"},
		{"routing mode", map[string]any{"routingMode": "native"}, "eks-cilium:cilium.values.routingMode"},
		{"tunnel protocol", map[string]any{"tunnelProtocol": "geneve"}, "eks-cilium:cilium.values.tunnelProtocol"},
		{"eni", map[string]any{"eni": map[string]any{"enabled": true}}, "eks-cilium:cilium.values.eni.enabled"},
		{"cni chaining", map[string]any{"cni": map[string]any{"chainingMode": "aws-cni"}}, "eks-cilium:cilium.values.cni.chainingMode"},
		{"cni exclusive", map[string]any{"cni": map[string]any{"exclusive": false}}, "eks-cilium:cilium.values.cni.exclusive"},
		{"kube-proxy replacement", map[string]any{"kubeProxyReplacement": false}, "eks-cilium:cilium.values.kubeProxyReplacement"},
		{"service host", map[string]any{"k8sServiceHost": "example.com"}, "eks-cilium:cilium.values.k8sServiceHost"},
		{"encryption", map[string]any{"encryption": map[string]any{"type": "ipsec"}}, "eks-cilium:cilium.values.encryption.type"},
		// Overlay pods reach the VPC and the internet only behind the node's address.
		{"masquerading off", map[string]any{"enableIPv4Masquerade": false}, "eks-cilium:cilium.values.enableIPv4Masquerade"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := base()
			in.Extra = tt.extra
			v, err := charts.CiliumValues(in)
			if err == nil {
				t.Fatalf("Values accepted Extra %v; got values %v", tt.extra, v)
			}
			if !strings.Contains(err.Error(), tt.path+":") {
				t.Errorf("error does not name %s:\n%v", tt.path, err)
			}
		})
	}
}

func TestValues_AllowExtraBesideDesignKeys(t *testing.T) {
	tests := []struct {
		name  string
		extra map[string]any
	}{
		{"a cni key that is not a design key", map[string]any{"cni": map[string]any{"binPath": "/opt/cni/bin"}}},
		{"a key sharing a design key's prefix", map[string]any{"ipamExtra": true}},
		{"hubble ui", map[string]any{"hubble": map[string]any{"ui": map[string]any{"enabled": true}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := base()
			in.Extra = tt.extra
			if _, err := charts.CiliumValues(in); err != nil {
				t.Errorf("Values refused Extra %v: %v", tt.extra, err)
			}
		})
	}
}

func TestValues_NameEveryRefusedKey(t *testing.T) {
	in := base()
	in.Extra = map[string]any{"routingMode": "native", "eni": map[string]any{"enabled": true}}
	_, err := charts.CiliumValues(in)
	if err == nil {
		t.Fatal("Values accepted two design keys")
	}
	for _, path := range []string{"eks-cilium:cilium.values.routingMode:", "eks-cilium:cilium.values.eni.enabled:"} {
		if !strings.Contains(err.Error(), path) {
			t.Errorf("error does not name %s:\n%v", path, err)
		}
	}
}
