// Package hostports plans the ports that add-ons bind on the host network of every node.
//
// On a Cilium overlay the EKS control plane cannot reach pod IPs, so anything it must call
// (an admission webhook, an aggregated API such as metrics-server) runs with hostNetwork:
// true and listens on the node's own address. There it shares one port space with the
// kubelet, Cilium, the Pod Identity agent and every other host-network process; two
// listeners on one port means the second pod crash-loops or never schedules. The planner
// knows what a node already holds (Held), keeps add-ons out of the ranges Cilium, the
// NodePort allocator and the kernel hand out on their own (Excluded), and gives every
// request its own port, never one twice.
//
// It has no Pulumi import: the render, the components and the tests use the same plan.
package hostports

import (
	"fmt"
	"sort"
	"strings"
)

// Protocol is a transport protocol as Kubernetes spells it in containerPort.protocol.
type Protocol string

// The protocols a node port can be held for.
const (
	TCP Protocol = "TCP"
	UDP Protocol = "UDP"
)

// Held is a port a process on every node already binds, or may bind once a feature it
// ships with is turned on (reserved all the same, so turning it on never collides).
type Held struct {
	Port     int
	Protocol Protocol
	// Holder is the process or workload (kubelet, cilium-agent, eks-pod-identity-agent).
	Holder string
	// Purpose says what the port serves.
	Purpose string
	// Source is where the number comes from (upstream file or doc).
	Source string
}

// Range is a block of ports no add-on may be given.
type Range struct {
	Min, Max int
	// Why the block is out of bounds, and where that is written down.
	Why, Source string
}

func (r Range) contains(port int) bool { return port >= r.Min && port <= r.Max }

func (r Range) String() string { return fmt.Sprintf("%d-%d", r.Min, r.Max) }

// Window is where the planner looks for free ports: above Cilium's L7 proxy range and
// below the NodePort range, so it overlaps none of Excluded.
var Window = Range{
	Min: 20001, Max: 29999,
	Why:    "between Cilium's L7 proxy port range and the NodePort range; nothing on an EKS node allocates here on its own",
	Source: "see Excluded",
}

// Excluded are the ranges something on the node allocates from by itself at run time: a
// port planned inside one of them may be taken before the add-on starts.
var Excluded = []Range{
	{Min: 0, Max: 1023,
		Why:    "privileged ports: binding them needs CAP_NET_BIND_SERVICE, which the add-on charts drop (they run as non-root)",
		Source: "Linux ip(7): ports below 1024 are privileged"},
	{Min: 10000, Max: 20000,
		Why:    "Cilium allocates L7 proxy (Envoy, DNS proxy) listener ports here, on the host network",
		Source: "cilium pkg/proxy/proxyports/proxyports.go: proxy-portrange-min 10000, proxy-portrange-max 20000"},
	{Min: 30000, Max: 32767,
		Why:    "NodePort range: Cilium's kube-proxy replacement rejects bind(2) to service ports in it (nodePort.bindProtection)",
		Source: "cilium chart values.yaml nodePort.bindProtection: true; kube-apiserver --service-node-port-range default 30000-32767"},
	{Min: 32768, Max: 60999,
		Why:    "the kernel's ephemeral port range: outgoing connections take ports from it at any time",
		Source: "Linux net.ipv4.ip_local_port_range default 32768 60999 (Documentation/networking/ip-sysctl.rst)"},
}

// Request asks for one TCP port for a listener of an add-on on the host network.
type Request struct {
	// Holder is the add-on (its Helm release name).
	Holder string
	// Purpose names the listener (webhook, metrics, secure API).
	Purpose string
	// Port is the port the add-on has always been given, so that enabling or removing
	// another add-on never moves it (a port change restarts the add-on). 0 takes the first
	// free port of Window.
	Port int
}

// Entry is one line of the port map.
type Entry struct {
	Port     int      `json:"port"`
	Protocol Protocol `json:"protocol"`
	Holder   string   `json:"holder"`
	Purpose  string   `json:"purpose"`
	// Planned is true for ports the planner assigned, false for ports a node already holds.
	Planned bool   `json:"planned"`
	Source  string `json:"source,omitempty"`
}

// Map is the outcome of Plan: every port a node holds and every port given to an add-on,
// sorted by port and protocol.
type Map struct {
	Entries []Entry `json:"entries"`
}

// Port returns the port planned for a holder's listener.
func (m *Map) Port(holder, purpose string) (int, bool) {
	for _, e := range m.Entries {
		if e.Planned && e.Holder == holder && e.Purpose == purpose {
			return e.Port, true
		}
	}
	return 0, false
}

// Planned returns the planned entries only.
func (m *Map) Planned() []Entry {
	var out []Entry
	for _, e := range m.Entries {
		if e.Planned {
			out = append(out, e)
		}
	}
	return out
}

// Holds reports whether anything holds port/protocol, and who.
func (m *Map) Holds(port int, protocol Protocol) (Entry, bool) {
	for _, e := range m.Entries {
		if e.Port == port && e.Protocol == protocol {
			return e, true
		}
	}
	return Entry{}, false
}

// Reserve plans more ports on top of this map: everything in it counts as held. This is how a
// program built on the Platform gives a chart of its own a host port (docs/addons.md, "Other
// webhook charts").
func (m *Map) Reserve(requests ...Request) (*Map, error) {
	held := make([]Held, len(m.Entries))
	for i, e := range m.Entries {
		held[i] = Held{Port: e.Port, Protocol: e.Protocol, Holder: e.Holder, Purpose: e.Purpose, Source: e.Source}
	}
	return Plan(held, requests)
}

// Plan assigns every request a TCP port that nothing in held uses, that lies outside every
// Excluded range, and that no other request gets. Requests with a Port keep it or the
// plan fails; the others take the first free port of Window, in the order given. It also
// refuses held ports that two holders claim (the node could not run both).
func Plan(held []Held, requests []Request) (*Map, error) {
	var problems []string
	taken := map[slot]Entry{}
	for _, h := range held {
		if h.Port < 1 || h.Port > 65535 || (h.Protocol != TCP && h.Protocol != UDP) {
			problems = append(problems, fmt.Sprintf("%s %s: %d/%s is not a port", h.Holder, h.Purpose, h.Port, h.Protocol))
			continue
		}
		k := slot{h.Port, h.Protocol}
		if prev, ok := taken[k]; ok {
			if prev.Holder != h.Holder || prev.Purpose != h.Purpose {
				problems = append(problems, fmt.Sprintf("%d/%s is held twice: by %s (%s) and by %s (%s)",
					h.Port, h.Protocol, prev.Holder, prev.Purpose, h.Holder, h.Purpose))
			}
			continue
		}
		taken[k] = Entry{Port: h.Port, Protocol: h.Protocol, Holder: h.Holder, Purpose: h.Purpose, Source: h.Source}
	}

	seen := map[string]bool{}
	var pending []Request
	for _, r := range requests {
		id := r.Holder + "/" + r.Purpose
		switch {
		case r.Holder == "" || r.Purpose == "":
			problems = append(problems, fmt.Sprintf("request %q: holder and purpose are required", id))
			continue
		case seen[id]:
			problems = append(problems, fmt.Sprintf("request %s is made twice", id))
			continue
		}
		seen[id] = true
		if r.Port == 0 {
			pending = append(pending, r)
			continue
		}
		if why := unusable(r.Port); why != "" {
			problems = append(problems, fmt.Sprintf("%s: port %d %s", id, r.Port, why))
			continue
		}
		k := slot{r.Port, TCP}
		if prev, ok := taken[k]; ok {
			problems = append(problems, fmt.Sprintf("%s: port %d/TCP is already held by %s (%s)", id, r.Port, prev.Holder, prev.Purpose))
			continue
		}
		taken[k] = Entry{Port: r.Port, Protocol: TCP, Holder: r.Holder, Purpose: r.Purpose, Planned: true}
	}
	// Free-port requests go last, so they can never take a port another request asked for.
	next := Window.Min
	for _, r := range pending {
		for next <= Window.Max && taken[slot{next, TCP}].Holder != "" {
			next++
		}
		if next > Window.Max {
			problems = append(problems, fmt.Sprintf("%s/%s: no free port left in %s", r.Holder, r.Purpose, Window))
			continue
		}
		taken[slot{next, TCP}] = Entry{Port: next, Protocol: TCP, Holder: r.Holder, Purpose: r.Purpose, Planned: true}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("host port plan: %s", strings.Join(problems, "; "))
	}

	m := &Map{Entries: make([]Entry, 0, len(taken))}
	for _, e := range taken {
		m.Entries = append(m.Entries, e)
	}
	sort.Slice(m.Entries, func(i, j int) bool {
		a, b := m.Entries[i], m.Entries[j]
		if a.Port != b.Port {
			return a.Port < b.Port
		}
		return a.Protocol < b.Protocol
	})
	return m, nil
}

// slot is one port of one protocol on a node.
type slot struct {
	port  int
	proto Protocol
}

// unusable says why a port cannot be planned, or "" if it can.
func unusable(port int) string {
	if port < 1 || port > 65535 {
		return "is not a port"
	}
	for _, r := range Excluded {
		if r.contains(port) {
			return fmt.Sprintf("is in %s: %s", r, r.Why)
		}
	}
	return ""
}
