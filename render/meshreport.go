package render

import (
	"fmt"
	"sort"
	"strings"

	"github.com/eks-cilium/eks-cilium/charts"
	"github.com/eks-cilium/eks-cilium/fleet"
	"github.com/eks-cilium/eks-cilium/plan"
	"github.com/eks-cilium/eks-cilium/stackconfig"
	"gopkg.in/yaml.v3"
)

// MeshView is a member's part of its ClusterMesh, as the report shows it.
type MeshView struct {
	Name                 string         `json:"name"`
	ID                   int            `json:"id"`
	MaxConnectedClusters int            `json:"maxConnectedClusters"`
	Connectivity         string         `json:"connectivity"`
	APIServerIPs         []string       `json:"apiServerIps"`
	APIServerPort        int            `json:"apiServerPort"`
	Peers                []MeshPeerView `json:"peers"`
	// NodeIngress are the rules the nodes take from each linked peer's VPC.
	NodeIngress []string `json:"nodeIngress"`
	// Pending says what is not wired yet and which stack to update for it.
	Pending []string `json:"pending"`
	// Values are the mesh's part of the Cilium values (the CA as a secret).
	Values map[string]any `json:"values"`
	// Service is the clustermesh-apiserver Service the program creates: the NLB.
	Service ServiceView `json:"service"`
}

// ServiceView is the mesh API server's Service as the report shows it.
type ServiceView struct {
	Name              string            `json:"name"`
	Namespace         string            `json:"namespace"`
	LoadBalancerClass string            `json:"loadBalancerClass"`
	Annotations       map[string]string `json:"annotations"`
	SourceRanges      []string          `json:"loadBalancerSourceRanges"`
	Port              int               `json:"port"`
}

// MeshPeerView is one linked peer.
type MeshPeerView struct {
	Stack        string   `json:"stack"`
	Name         string   `json:"name"`
	ID           int      `json:"id"`
	Region       string   `json:"region"`
	VpcCidr      string   `json:"vpcCidr"`
	APIServerIPs []string `json:"apiServerIps"`
	Network      string   `json:"network"`
}

func meshView(p *plan.Plan) (*MeshView, error) {
	m := p.Mesh
	if m == nil {
		return nil, nil
	}
	s := m.Self
	v := &MeshView{Name: s.Name, ID: s.ID, MaxConnectedClusters: s.MaxConnectedClusters, Connectivity: s.Connectivity,
		APIServerPort: fleet.APIServerPort, APIServerIPs: []string{}, Peers: []MeshPeerView{}, NodeIngress: []string{}, Pending: append([]string{}, m.Wiring.Pending...)}
	for _, a := range s.APIServerIPs {
		v.APIServerIPs = append(v.APIServerIPs, a.String())
	}
	for _, l := range m.Wiring.Links {
		pv := MeshPeerView{Stack: l.Peer.Stack, Name: l.Peer.Name, ID: l.Peer.ID, Region: l.Peer.Region, VpcCidr: l.Peer.VpcCIDR.String(), APIServerIPs: []string{}}
		for _, a := range l.Peer.APIServerIPs {
			pv.APIServerIPs = append(pv.APIServerIPs, a.String())
		}
		switch {
		case s.Connectivity == stackconfig.ConnectivityTransitGateway:
			pv.Network = "transit gateway " + s.TransitGatewayID
		case l.Request:
			pv.Network = "requests the VPC peering"
		case l.PeeringID != "":
			pv.Network = "accepts VPC peering " + l.PeeringID
		default:
			pv.Network = "accepts the VPC peering once the peer requests it"
		}
		v.Peers = append(v.Peers, pv)
	}
	for _, r := range fleet.PeerIngress(p.Config.Cilium.TunnelProtocol, p.Config.Cilium.Encryption) {
		port := fmt.Sprintf("%d", r.FromPort)
		if r.Protocol == "icmp" {
			port = fmt.Sprintf("type %d code %d", r.FromPort, r.ToPort)
		}
		v.NodeIngress = append(v.NodeIngress, fmt.Sprintf("%s %s (%s)", r.Protocol, port, r.Why))
	}
	in := *p.CiliumInput("").Mesh
	values := charts.ClusterMeshValues(in)
	replace(values, charts.MeshInputPaths[charts.PlaceholderCACert], "<secret>")
	replace(values, charts.MeshInputPaths[charts.PlaceholderCAKey], "<secret>")
	v.Values = values
	svc := charts.ClusterMeshAPIServerService(in)
	v.Service = ServiceView{Name: svc.Name, Namespace: svc.Namespace, LoadBalancerClass: svc.LoadBalancerClass,
		Annotations: map[string]string{}, SourceRanges: svc.SourceRanges, Port: svc.Port}
	for k, a := range svc.Annotations {
		if a == charts.PlaceholderSubnets {
			a = Computed + " (the private subnets)"
		}
		v.Service.Annotations[k] = a
	}
	return v, nil
}

func replace(m map[string]any, path []string, v any) {
	for _, k := range path[:len(path)-1] {
		next, ok := m[k].(map[string]any)
		if !ok {
			return
		}
		m = next
	}
	m[path[len(path)-1]] = v
}

func (v *MeshView) text() (string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "  this cluster  %s, id %d of %d, %s; mesh API server %s:%d (internal NLB, instance targets)\n",
		v.Name, v.ID, v.MaxConnectedClusters, v.Connectivity, strings.Join(v.APIServerIPs, ", "), v.APIServerPort)
	if len(v.Peers) == 0 {
		b.WriteString("  no peer linked\n")
	} else {
		fmt.Fprintf(&b, "  %-10s %-18s %-3s %-16s %-14s %-44s %s\n", "PEER", "CLUSTER", "ID", "REGION", "VPC", "MESH API SERVER", "NETWORK")
		for _, p := range v.Peers {
			fmt.Fprintf(&b, "  %-10s %-18s %-3d %-16s %-14s %-44s %s\n", p.Stack, p.Name, p.ID, p.Region, p.VpcCidr, strings.Join(p.APIServerIPs, ","), p.Network)
		}
		fmt.Fprintf(&b, "  routes: each peer's VPC in every private route table\n")
		fmt.Fprintf(&b, "  node ingress from each peer's VPC: %s\n", strings.Join(v.NodeIngress, ", "))
	}
	for _, p := range v.Pending {
		fmt.Fprintf(&b, "  pending: %s\n", p)
	}
	s := v.Service
	fmt.Fprintf(&b, "  Service %s/%s: LoadBalancer, class %s, port %d, loadBalancerSourceRanges %s\n", s.Namespace, s.Name, s.LoadBalancerClass, s.Port, strings.Join(s.SourceRanges, ", "))
	keys := make([]string, 0, len(s.Annotations))
	for k := range s.Annotations {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "    %s: %s\n", k, s.Annotations[k])
	}
	b.WriteString("  Cilium values of the mesh:\n")
	var y strings.Builder
	enc := yaml.NewEncoder(&y)
	enc.SetIndent(2)
	if err := enc.Encode(v.Values); err != nil {
		return "", err
	}
	b.WriteString(indent(indent(y.String())))
	return b.String(), nil
}
