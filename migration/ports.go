package migration

import "github.com/eks-cilium/eks-cilium/stackconfig"

// Port is one node-to-node port Cilium needs between the legacy and the new nodes.
type Port struct {
	// Protocol is tcp, udp or icmp; for icmp, From is the ICMP type and To the code.
	Protocol string
	From, To int
	What     string
}

// NodePorts are the ports Cilium's agents use between nodes (Documentation/operations/
// system_requirements.rst, cilium v1.19.6, L362-379 and L440): the tunnel (UDP 8472 VXLAN or
// 6081 Geneve, or the port tunnelPort sets), cilium-health (TCP 4240 and ICMP echo, type 8
// code 0), the Hubble server (TCP 4244, which relay reaches on every node) and, with
// encryption, WireGuard (UDP 51871). tunnelPort is the Helm value (0: the protocol's default).
func NodePorts(cfg stackconfig.Config, tunnelPort int) []Port {
	tunnel := 8472
	if cfg.Cilium.TunnelProtocol == "geneve" {
		tunnel = 6081
	}
	if tunnelPort > 0 {
		tunnel = tunnelPort
	}
	ports := []Port{
		{"udp", tunnel, tunnel, cfg.Cilium.TunnelProtocol + " tunnel"},
		{"tcp", 4240, 4240, "cilium-health"},
		{"icmp", 8, 0, "cilium-health echo"},
		{"tcp", 4244, 4244, "Hubble server"},
	}
	if cfg.Cilium.Encryption == "wireguard" {
		ports = append(ports, Port{"udp", 51871, 51871, "WireGuard"})
	}
	return ports
}
