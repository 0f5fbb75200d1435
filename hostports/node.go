package hostports

import (
	"fmt"
	"strconv"
	"strings"
)

// Node describes what runs on every node of the cluster, as far as ports go.
type Node struct {
	// CiliumValues are the Helm values of the Cilium release exactly as the program passes
	// them (charts.CiliumValues); a port a user moved through eks-cilium:cilium.values is read
	// from here, every other one is the chart's default.
	CiliumValues map[string]any
	// KubeProxy is true when the kube-proxy addon runs (kube-proxy replacement off).
	KubeProxy bool
	// PodIdentityAgent is true when the eks-pod-identity-agent addon is installed.
	PodIdentityAgent bool
}

// CiliumPort is a port Cilium's host-network pods (agent, operator, envoy) bind, at the
// Helm value that moves it.
type CiliumPort struct {
	// Path is the Helm value path (dotted), "" for a port no value moves.
	Path string
	// Default is the value the chart (or the binary, when Path is "") uses.
	Default int
	Holder  string
	Purpose string
	// Source cites the default.
	Source string
}

// chartValues is where Cilium chart 1.19.6 declares a default (tests/chart checks each one
// against the real chart's values.yaml, for every chart version carried).
const chartValues = "cilium chart 1.19.6 values.yaml "

// CiliumPorts are the TCP ports Cilium's host-network pods bind. Hubble relay runs on the
// pod network, but its port is the one `cilium hubble port-forward` uses on the node, so it
// is kept free as well. Reserved whether or not the feature behind it is on.
var CiliumPorts = []CiliumPort{
	{"", 4240, "cilium-agent", "cilium-health connectivity checks (node to node)", "cilium pkg/defaults/defaults.go: ClusterHealthPort = 4240"},
	{"hubble.listenAddress", 4244, "cilium-agent", "Hubble server (Hubble peers and relay connect to it)", chartValues + "hubble.listenAddress \":4244\""},
	{"hubble.relay.listenPort", 4245, "hubble-relay", "Hubble relay (kept free for cilium hubble port-forward)", chartValues + "hubble.relay.listenPort"},
	{"authentication.mutual.port", 4250, "cilium-agent", "mutual authentication handshakes", chartValues + "authentication.mutual.port"},
	{"pprof.port", 6060, "cilium-agent", "pprof (localhost, off by default)", chartValues + "pprof.port"},
	{"operator.pprof.port", 6061, "cilium-operator", "pprof (localhost, off by default)", chartValues + "operator.pprof.port"},
	{"", 9234, "cilium-operator", "operator API and health (hostPort)", "cilium chart 1.19.6 templates/cilium-operator/deployment.yaml: containerPort/hostPort 9234"},
	{"envoy.healthPort", 9878, "cilium-envoy", "Envoy health", chartValues + "envoy.healthPort"},
	{"healthPort", 9879, "cilium-agent", "agent health API (localhost)", chartValues + "healthPort"},
	{"", 9890, "cilium-agent", "gops", "cilium pkg/defaults/defaults.go: GopsPortAgent = 9890"},
	{"", 9891, "cilium-operator", "gops", "cilium pkg/defaults/defaults.go: GopsPortOperator = 9891"},
	{"envoy.debug.admin.port", 9901, "cilium-envoy", "Envoy admin (loopback, off by default)", chartValues + "envoy.debug.admin.port"},
	{"prometheus.port", 9962, "cilium-agent", "metrics", chartValues + "prometheus.port"},
	{"operator.prometheus.port", 9963, "cilium-operator", "metrics", chartValues + "operator.prometheus.port"},
	{"envoy.prometheus.port", 9964, "cilium-envoy", "metrics", chartValues + "envoy.prometheus.port"},
	{"hubble.metrics.port", 9965, "cilium-agent", "Hubble metrics", chartValues + "hubble.metrics.port"},
}

// Tunnel ports are UDP, chosen by tunnelProtocol unless tunnelPort moves them.
const (
	// VXLANPort is cilium pkg/defaults/defaults.go TunnelPortVXLAN.
	VXLANPort = 8472
	// GenevePort is cilium pkg/defaults/defaults.go TunnelPortGeneve.
	GenevePort = 6081
	// WireGuardPort is cilium pkg/wireguard/agent/agent.go listenPort.
	WireGuardPort = 51871
)

// Pod Identity agent ports (aws/eks-pod-identity-agent charts/eks-pod-identity-agent:
// templates/daemonset.yaml `--port 80`, values.yaml agent.probePort 2703, metrics.port 2705).
const (
	PodIdentityPort        = 80
	PodIdentityProbePort   = 2703
	PodIdentityMetricsPort = 2705
)

// NodeHeld lists every port an EKS node running Cilium holds: the kubelet, kube-proxy when
// present, Cilium (agent, operator, Envoy, Hubble, the tunnel and WireGuard), the Pod
// Identity agent when installed, and the node's DNS resolver.
func NodeHeld(n Node) ([]Held, error) {
	held := []Held{
		// k8s.io/kubelet@v0.37.0 config/v1beta1/types.go:167 and :300.
		{10250, TCP, "kubelet", "kubelet API (metrics-server and the API server call it)", "k8s.io/kubelet config/v1beta1 KubeletConfiguration.port default 10250"},
		{10248, TCP, "kubelet", "healthz (localhost)", "k8s.io/kubelet config/v1beta1 KubeletConfiguration.healthzPort default 10248"},
		// resolv.conf of AL2023 points at systemd-resolved's stub; Bottlerocket runs its own.
		{53, UDP, "node DNS resolver", "DNS stub resolver (localhost)", "AL2023 systemd-resolved stub listener 127.0.0.53:53"},
		{53, TCP, "node DNS resolver", "DNS stub resolver (localhost)", "AL2023 systemd-resolved stub listener 127.0.0.53:53"},
	}
	if n.KubeProxy {
		held = append(held,
			Held{10249, TCP, "kube-proxy", "metrics", "kubernetes pkg/proxy/apis/config/v1alpha1: ProxyStatusPort = 10249"},
			Held{10256, TCP, "kube-proxy", "healthz", "kubernetes pkg/cluster/ports/ports.go: ProxyHealthzPort = 10256"},
		)
	}
	if n.PodIdentityAgent {
		held = append(held,
			Held{PodIdentityPort, TCP, "eks-pod-identity-agent", "credentials endpoint on 169.254.170.23 (hostPort 80 for the scheduler)", "aws/eks-pod-identity-agent templates/daemonset.yaml: --port 80"},
			Held{PodIdentityProbePort, TCP, "eks-pod-identity-agent", "probes (localhost)", "aws/eks-pod-identity-agent values.yaml: agent.probePort 2703"},
			Held{PodIdentityMetricsPort, TCP, "eks-pod-identity-agent", "metrics", "aws/eks-pod-identity-agent values.yaml: metrics.port 2705"},
		)
	}

	var problems []string
	for _, p := range CiliumPorts {
		port := p.Default
		source := p.Source
		if p.Path != "" {
			v, set, err := intValue(n.CiliumValues, p.Path)
			if err != nil {
				problems = append(problems, err.Error())
				continue
			}
			if set {
				port, source = v, "eks-cilium:cilium.values."+p.Path
			}
		}
		held = append(held, Held{port, TCP, p.Holder, p.Purpose, source})
	}

	tunnel, set, err := intValue(n.CiliumValues, "tunnelPort")
	if err != nil {
		problems = append(problems, err.Error())
	}
	proto, _ := n.CiliumValues["tunnelProtocol"].(string)
	switch {
	case set && tunnel != 0:
		held = append(held, Held{tunnel, UDP, "cilium-agent", proto + " tunnel", "eks-cilium:cilium.values.tunnelPort"})
	case proto == "geneve":
		held = append(held, Held{GenevePort, UDP, "cilium-agent", "Geneve tunnel", "cilium pkg/defaults/defaults.go: TunnelPortGeneve = 6081"})
	default:
		// vxlan is the chart's default tunnel protocol.
		held = append(held, Held{VXLANPort, UDP, "cilium-agent", "VXLAN tunnel", "cilium pkg/defaults/defaults.go: TunnelPortVXLAN = 8472"})
	}
	// Reserved even without encryption: turning WireGuard on later must not collide.
	held = append(held, Held{WireGuardPort, UDP, "cilium-agent", "WireGuard (transparent encryption)", "cilium pkg/wireguard/agent/agent.go: listenPort = 51871"})

	if len(problems) > 0 {
		return nil, fmt.Errorf("host ports of Cilium: %s", strings.Join(problems, "; "))
	}
	return held, nil
}

// intValue reads a port from a Helm value at a dotted path. Charts take ports as numbers,
// strings ("9964") or listen addresses (":4244"); all are accepted. set is false when the
// path is absent.
func intValue(values map[string]any, path string) (v int, set bool, err error) {
	var cur any = values
	for _, k := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return 0, false, nil
		}
		if cur, ok = m[k]; !ok {
			return 0, false, nil
		}
	}
	switch x := cur.(type) {
	case nil:
		return 0, false, nil
	case int:
		return x, true, nil
	case int64:
		return int(x), true, nil
	case float64:
		if x == float64(int(x)) {
			return int(x), true, nil
		}
	case string:
		// "9964", ":4244" or "0.0.0.0:4244": the port is what follows the last colon.
		if n, err := strconv.Atoi(x[strings.LastIndex(x, ":")+1:]); err == nil {
			return n, true, nil
		}
	}
	return 0, false, fmt.Errorf("cilium value %s = %v: not a port number", path, cur)
}
