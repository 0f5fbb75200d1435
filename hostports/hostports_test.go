package hostports

import (
	"strings"
	"testing"
)

func eksNode(t *testing.T, n Node) []Held {
	t.Helper()
	held, err := NodeHeld(n)
	if err != nil {
		t.Fatalf("NodeHeld: %v", err)
	}
	return held
}

func TestPlan_GivesEveryRequestItsOwnPortOutsideWhatTheNodeHolds(t *testing.T) {
	held := eksNode(t, Node{CiliumValues: map[string]any{"tunnelProtocol": "vxlan"}, PodIdentityAgent: true})
	m, err := Plan(held, []Request{
		{Holder: "metrics-server", Purpose: "https", Port: 20443},
		{Holder: "lbc", Purpose: "webhook", Port: 20444},
		{Holder: "lbc", Purpose: "metrics", Port: 20445},
		{Holder: "cert-manager", Purpose: "webhook"},
		{Holder: "kyverno", Purpose: "webhook"},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"metrics-server/https": 20443, "lbc/webhook": 20444, "lbc/metrics": 20445,
		"cert-manager/webhook": 20001, "kyverno/webhook": 20002}
	for id, port := range want {
		holder, purpose, _ := strings.Cut(id, "/")
		if got, ok := m.Port(holder, purpose); !ok || got != port {
			t.Errorf("%s: port %d (found %v), want %d", id, got, ok, port)
		}
	}
	if len(m.Planned()) != len(want) {
		t.Errorf("%d planned entries, want %d", len(m.Planned()), len(want))
	}
	if len(m.Entries) != len(held)+len(want) {
		t.Errorf("map has %d entries, want every held port (%d) and every request (%d)", len(m.Entries), len(held), len(want))
	}
	for i := 1; i < len(m.Entries); i++ {
		a, b := m.Entries[i-1], m.Entries[i]
		if a.Port > b.Port || (a.Port == b.Port && a.Protocol >= b.Protocol) {
			t.Errorf("entries not sorted or not unique: %v before %v", a, b)
		}
	}
}

func TestMap_ReserveGivesAChartOfYourOwnAPortNothingElseHolds(t *testing.T) {
	m, err := Plan(eksNode(t, Node{CiliumValues: map[string]any{}}), []Request{{Holder: "metrics-server", Purpose: "https", Port: 20001}})
	if err != nil {
		t.Fatal(err)
	}
	more, err := m.Reserve(Request{Holder: "cert-manager", Purpose: "webhook"})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := more.Port("cert-manager", "webhook"); got != 20002 {
		t.Errorf("cert-manager got %d, want 20002 (20001 is metrics-server's)", got)
	}
	if e, ok := more.Holds(20001, TCP); !ok || e.Holder != "metrics-server" {
		t.Errorf("reserving lost metrics-server's port: %+v", e)
	}
	if _, err := m.Reserve(Request{Holder: "kyverno", Purpose: "webhook", Port: 20001}); err == nil {
		t.Error("Reserve gave away a port the map already holds")
	}
}

func TestPlan_FreePortRequestsStepOverTakenPorts(t *testing.T) {
	held := []Held{{Port: 20001, Protocol: TCP, Holder: "x", Purpose: "y"}, {Port: 20003, Protocol: UDP, Holder: "x", Purpose: "u"}}
	m, err := Plan(held, []Request{{Holder: "a", Purpose: "w"}, {Holder: "b", Purpose: "w", Port: 20002}, {Holder: "c", Purpose: "w"}})
	if err != nil {
		t.Fatal(err)
	}
	// A requested port wins over a free-port request listed before it; a UDP hold leaves
	// the TCP port free.
	for holder, want := range map[string]int{"a": 20003, "b": 20002, "c": 20004} {
		if got, _ := m.Port(holder, "w"); got != want {
			t.Errorf("%s got %d, want %d", holder, got, want)
		}
	}
}

func TestPlan_RefusesARequestedPortSomethingHolds(t *testing.T) {
	held := eksNode(t, Node{CiliumValues: map[string]any{}, PodIdentityAgent: true, KubeProxy: true})
	for _, tc := range []struct {
		port int
		want string
	}{
		{9962, "held by cilium-agent (metrics)"},
		{4240, "held by cilium-agent (cilium-health"},
		{2705, "held by eks-pod-identity-agent (metrics)"},
		{9234, "held by cilium-operator"},
	} {
		_, err := Plan(held, []Request{{Holder: "addon", Purpose: "webhook", Port: tc.port}})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("port %d: error %v, want it to say %q", tc.port, err, tc.want)
		}
	}
}

func TestPlan_RefusesPortsFromRangesOthersAllocateAtRunTime(t *testing.T) {
	for _, tc := range []struct {
		port int
		want string
	}{
		{443, "privileged"},
		{10251, "L7 proxy"},
		{20000, "L7 proxy"},
		{30080, "NodePort"},
		{45000, "ephemeral"},
		{70000, "not a port"},
	} {
		_, err := Plan(nil, []Request{{Holder: "addon", Purpose: "webhook", Port: tc.port}})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("port %d: error %v, want it to mention %q", tc.port, err, tc.want)
		}
	}
}

func TestPlan_RefusesAPortTwoHoldersClaim(t *testing.T) {
	_, err := Plan([]Held{
		{Port: 61779, Protocol: TCP, Holder: "aws-load-balancer-controller", Purpose: "health probes"},
		{Port: 61779, Protocol: TCP, Holder: "other", Purpose: "metrics"},
	}, nil)
	if err == nil || !strings.Contains(err.Error(), "61779/TCP is held twice") {
		t.Fatalf("error %v, want a double hold of 61779/TCP", err)
	}
	// The same hold listed twice is one hold, not a conflict.
	if _, err := Plan([]Held{{Port: 1, Protocol: TCP, Holder: "a", Purpose: "b"}, {Port: 1, Protocol: TCP, Holder: "a", Purpose: "b"}}, nil); err != nil {
		t.Errorf("a repeated identical hold: %v", err)
	}
}

func TestPlan_RefusesMalformedRequests(t *testing.T) {
	for name, reqs := range map[string][]Request{
		"twice":      {{Holder: "a", Purpose: "w"}, {Holder: "a", Purpose: "w", Port: 20500}},
		"no holder":  {{Purpose: "w"}},
		"no purpose": {{Holder: "a"}},
	} {
		if _, err := Plan(nil, reqs); err == nil {
			t.Errorf("%s: planned %v", name, reqs)
		}
	}
}

func TestPlan_FailsWhenTheWindowIsFull(t *testing.T) {
	var held []Held
	for p := Window.Min; p <= Window.Max; p++ {
		held = append(held, Held{Port: p, Protocol: TCP, Holder: "filler", Purpose: "all"})
	}
	_, err := Plan(held[:len(held)-1], []Request{{Holder: "a", Purpose: "w"}, {Holder: "b", Purpose: "w"}})
	if err == nil || !strings.Contains(err.Error(), "b/w: no free port left") {
		t.Fatalf("error %v, want b to find no free port (a takes the last one)", err)
	}
}

func TestWindow_OverlapsNoExcludedRange(t *testing.T) {
	for _, r := range Excluded {
		if Window.Min <= r.Max && r.Min <= Window.Max {
			t.Errorf("window %s overlaps excluded %s (%s)", Window, r, r.Why)
		}
	}
	if Window.Min < 1024 || Window.Max > 65535 || Window.Min > Window.Max {
		t.Errorf("window %s is not a range of unprivileged ports", Window)
	}
}

func TestNodeHeld_KnowsWhatAnEKSNodeWithCiliumHolds(t *testing.T) {
	type port struct {
		n int
		p Protocol
	}
	always := []port{{10250, TCP}, {10248, TCP}, {53, UDP}, {4240, TCP}, {4244, TCP}, {4245, TCP}, {9878, TCP},
		{9879, TCP}, {9962, TCP}, {9963, TCP}, {9964, TCP}, {9965, TCP}, {9234, TCP}, {WireGuardPort, UDP}}
	for _, tc := range []struct {
		name          string
		node          Node
		want, wantNot []port
	}{
		{"vxlan, kube-proxy replaced, no pod identity",
			Node{CiliumValues: map[string]any{"tunnelProtocol": "vxlan"}},
			[]port{{8472, UDP}}, []port{{6081, UDP}, {10249, TCP}, {10256, TCP}, {80, TCP}, {2703, TCP}}},
		{"geneve",
			Node{CiliumValues: map[string]any{"tunnelProtocol": "geneve"}},
			[]port{{6081, UDP}}, []port{{8472, UDP}}},
		{"tunnel port moved",
			Node{CiliumValues: map[string]any{"tunnelProtocol": "vxlan", "tunnelPort": 4789}},
			[]port{{4789, UDP}}, []port{{8472, UDP}}},
		{"kube-proxy running",
			Node{CiliumValues: map[string]any{}, KubeProxy: true},
			[]port{{10249, TCP}, {10256, TCP}}, nil},
		{"pod identity agent",
			Node{CiliumValues: map[string]any{}, PodIdentityAgent: true},
			[]port{{80, TCP}, {2703, TCP}, {2705, TCP}}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Plan(eksNode(t, tc.node), nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range append(always, tc.want...) {
				if _, ok := m.Holds(p.n, p.p); !ok {
					t.Errorf("%d/%s is not held", p.n, p.p)
				}
			}
			for _, p := range tc.wantNot {
				if e, ok := m.Holds(p.n, p.p); ok {
					t.Errorf("%d/%s is held by %s, but nothing binds it on this node", p.n, p.p, e.Holder)
				}
			}
		})
	}
}

func TestNodeHeld_FollowsPortsMovedThroughCiliumValues(t *testing.T) {
	values := map[string]any{
		"prometheus":           map[string]any{"port": 20443},
		"envoy":                map[string]any{"prometheus": map[string]any{"port": "20444"}},
		"hubble":               map[string]any{"listenAddress": "0.0.0.0:20445"},
		"healthPort":           float64(20446),
		"operator":             map[string]any{"prometheus": map[string]any{"port": int64(20447)}},
		"unrelatedPortSetting": 20448,
	}
	held := eksNode(t, Node{CiliumValues: values})
	m, err := Plan(held, nil)
	if err != nil {
		t.Fatal(err)
	}
	for port, source := range map[int]string{20443: "prometheus.port", 20444: "envoy.prometheus.port",
		20445: "hubble.listenAddress", 20446: "healthPort", 20447: "operator.prometheus.port"} {
		e, ok := m.Holds(port, TCP)
		if !ok || e.Source != "eks-cilium:cilium.values."+source {
			t.Errorf("%d: held %v by %+v, want it held as eks-cilium:cilium.values.%s", port, ok, e, source)
		}
	}
	for _, moved := range []int{9962, 9964, 4244, 9879, 9963} {
		if e, ok := m.Holds(moved, TCP); ok {
			t.Errorf("%d is still held (%+v) after the value moved it", moved, e)
		}
	}
	if _, err := Plan(held, []Request{{Holder: "metrics-server", Purpose: "https", Port: 20443}}); err == nil {
		t.Error("a request for a port Cilium was moved to was planned")
	}
}

func TestNodeHeld_RefusesAPortValueThatIsNotANumber(t *testing.T) {
	_, err := NodeHeld(Node{CiliumValues: map[string]any{"prometheus": map[string]any{"port": "metrics"}}})
	if err == nil || !strings.Contains(err.Error(), "prometheus.port") {
		t.Fatalf("error %v, want it to name prometheus.port", err)
	}
}

// FuzzPlan: whatever is held and requested, an accepted plan never gives one port twice,
// keeps every requested port, and plans nothing inside an excluded range.
func FuzzPlan(f *testing.F) {
	f.Add(uint16(20443), uint16(20443), uint16(9962), uint8(3))
	f.Add(uint16(20001), uint16(0), uint16(20002), uint8(5))
	f.Add(uint16(0), uint16(0), uint16(0), uint8(0))
	f.Fuzz(func(t *testing.T, fixedA, fixedB, heldPort uint16, free uint8) {
		held := []Held{{Port: int(heldPort), Protocol: TCP, Holder: "h", Purpose: "p"}}
		reqs := []Request{{Holder: "a", Purpose: "w", Port: int(fixedA)}, {Holder: "b", Purpose: "w", Port: int(fixedB)}}
		for i := 0; i < int(free%16); i++ {
			reqs = append(reqs, Request{Holder: "free", Purpose: string(rune('a' + i))})
		}
		m, err := Plan(held, reqs)
		if err != nil {
			return
		}
		seen := map[int]bool{}
		for _, e := range m.Entries {
			if e.Protocol == TCP && seen[e.Port] {
				t.Fatalf("port %d given twice: %+v", e.Port, m.Entries)
			}
			seen[e.Port] = true
			if e.Planned && unusable(e.Port) != "" {
				t.Fatalf("planned %d: %s", e.Port, unusable(e.Port))
			}
		}
		for _, r := range reqs {
			got, ok := m.Port(r.Holder, r.Purpose)
			if !ok || (r.Port != 0 && got != r.Port) {
				t.Fatalf("request %+v got %d (%v)", r, got, ok)
			}
		}
	})
}
