package fleet

import "github.com/eks-cilium/eks-cilium/hostports"

// IngressRule is a rule a member's node security group gets for each peer's VPC CIDR.
type IngressRule struct {
	// Name ends the rule's resource name (<member>-mesh-<peer>-<Name>).
	Name string
	// Protocol is tcp, udp or icmp; for icmp FromPort is the ICMP type and ToPort the code
	// (EC2 security group rules' convention).
	Protocol         string
	FromPort, ToPort int
	Why              string
}

// PeerIngress are the rules every node takes from each peer's VPC: the traffic Cilium's
// firewall requirements list between the nodes of a mesh (Cilium docs,
// operations/system_requirements.rst, firewall rules; ports from hostports, which cites
// pkg/defaults): the tunnel, the health checks (TCP 4240 and ICMP echo) and, with
// encryption, WireGuard. TCP 2379 to the mesh API server is the NLB's: the AWS Load Balancer
// Controller opens it to loadBalancerSourceRanges on the NLB's own security group and adds
// the rule from that group to the nodes' NodePort (controller v3.5.0
// docs/deploy/security_groups.md), so no node rule is needed for it.
func PeerIngress(tunnelProtocol, encryption string) []IngressRule {
	tunnel := IngressRule{Name: "vxlan", Protocol: "udp", FromPort: hostports.VXLANPort, ToPort: hostports.VXLANPort, Why: "VXLAN tunnel"}
	if tunnelProtocol == "geneve" {
		tunnel = IngressRule{Name: "geneve", Protocol: "udp", FromPort: hostports.GenevePort, ToPort: hostports.GenevePort, Why: "Geneve tunnel"}
	}
	rules := []IngressRule{
		tunnel,
		{Name: "health", Protocol: "tcp", FromPort: 4240, ToPort: 4240, Why: "cilium-health"},
		{Name: "icmp", Protocol: "icmp", FromPort: 8, ToPort: 0, Why: "cilium-health ICMP echo"},
	}
	if encryption == "wireguard" {
		rules = append(rules, IngressRule{Name: "wireguard", Protocol: "udp", FromPort: hostports.WireGuardPort, ToPort: hostports.WireGuardPort, Why: "WireGuard"})
	}
	return rules
}
