// Package fleet checks stacks that mesh their clusters with Cilium ClusterMesh as one mesh,
// before anything is deployed: offline over the stack files of a directory (cmd/render
// -fleet), and under `pulumi up` over a member's own plan and its peers' deployed outputs,
// read through StackReferences. It also decides what a member wires to each peer (the
// peering it requests or accepts, the Cilium remote-cluster entries) and the mesh's one CA.
// Every rule cites the upstream fact it mirrors. It imports no Pulumi package.
package fleet

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"github.com/eks-cilium/eks-cilium/ipplan"
	"github.com/eks-cilium/eks-cilium/stackconfig"
)

// APIServerPort is the port the clustermesh-apiserver Service listens on (chart 1.19/1.20
// templates/clustermesh-apiserver/service.yaml: `port: 2379`), hence the NLB listener's.
const APIServerPort = 2379

// Member is one cluster of a mesh as the checks see it: planned from its stack file
// (FromConfig), or deployed, as its `clusterMesh` stack output hands it over (FromOutputs).
type Member struct {
	// Source is where the values come from, as problems name it: the stack file's path, or
	// "stack <name> (deployed)".
	Source string
	// Stack is the Pulumi stack name; Name the EKS cluster name, which is the mesh name.
	Stack, Name string
	Region      string
	// ID, Peers, MaxConnectedClusters, Connectivity and TransitGatewayID are clusterMesh's.
	ID                   int
	Peers                []string
	MaxConnectedClusters int
	Connectivity         string
	TransitGatewayID     string
	VpcCIDR, ServiceCIDR netip.Prefix
	PodCIDRs             []netip.Prefix
	TunnelProtocol       string
	Encryption           string
	CiliumVersion        string
	// LoadBalancerController is whether the member installs the AWS Load Balancer Controller.
	LoadBalancerController bool
	// MTU is the Cilium Helm value MTU the member sets (0: Cilium detects the device's MTU).
	MTU int
	// APIServerIPs are the clustermesh-apiserver NLB's private addresses, one per private
	// subnet, chosen by the planner (APIServerAddresses).
	APIServerIPs []netip.Addr
	// Deployed is true for a member read from its stack outputs.
	Deployed bool
	// VpcID is the deployed member's VPC (deployed only).
	VpcID string
	// Peerings are the VPC peering connections the member requested, by peer stack (deployed
	// members only).
	Peerings map[string]string
	// CACert is the PEM certificate of the mesh CA the member deployed with (deployed only).
	CACert string
}

// FromConfig is the member a valid, planned stack would deploy; source names its stack file.
// It returns false when the stack is not a mesh member.
func FromConfig(source string, cfg stackconfig.Config, ip *ipplan.Plan) (Member, bool) {
	m := cfg.ClusterMesh
	if m == nil {
		return Member{}, false
	}
	out := Member{
		Source: source, Stack: cfg.Stack, Name: cfg.ClusterName(), Region: cfg.Region,
		ID: m.Id, Peers: append([]string(nil), m.Peers...), MaxConnectedClusters: m.MaxConnectedClusters,
		Connectivity: m.Connectivity, TransitGatewayID: m.TransitGatewayId,
		VpcCIDR: ip.VpcCIDR, ServiceCIDR: ip.ServiceCIDR, PodCIDRs: append([]netip.Prefix(nil), ip.PodCIDRs...),
		TunnelProtocol: cfg.Cilium.TunnelProtocol, Encryption: cfg.Cilium.Encryption, CiliumVersion: cfg.Cilium.Version,
		LoadBalancerController: cfg.Addons != nil && cfg.Addons.AwsLoadBalancerController != nil,
		MTU:                    HelmMTU(cfg.Cilium.Values),
		APIServerIPs:           APIServerAddresses(ip),
	}
	return out, true
}

// HelmMTU is the Cilium Helm value MTU in extra values, 0 when unset or not a whole number.
func HelmMTU(values map[string]any) int {
	switch v := values["MTU"].(type) {
	case int:
		return v
	case int64:
		return int(v)
	case float64:
		if v == float64(int(v)) {
			return int(v)
		}
	}
	return 0
}

// APIServerAddresses are the private addresses the clustermesh-apiserver's internal NLB takes,
// one in each private subnet, in subnet order: the highest address AWS leaves usable. AWS
// reserves the first four and the last address of every subnet (VPC user guide, "Subnet CIDR
// blocks"), so that is the broadcast address minus one. The AWS Load Balancer Controller
// takes them with the subnets, one address per subnet, from each subnet's range
// (aws-load-balancer-private-ipv4-addresses, controller v3.5.0 docs/guide/service/
// annotations.md). Nodes get addresses EC2 picks in the same subnets; that none holds this one
// when the NLB is created cannot be checked offline.
func APIServerAddresses(ip *ipplan.Plan) []netip.Addr {
	out := make([]netip.Addr, 0, len(ip.Subnets))
	for _, s := range ip.Subnets {
		out = append(out, lastUsable(s.Private))
	}
	return out
}

func lastUsable(p netip.Prefix) netip.Addr {
	a := p.Masked().Addr().As4()
	hostBits := 32 - p.Bits()
	n := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
	n |= (uint32(1)<<hostBits - 1) // broadcast
	n--
	return netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)})
}

// Minor is the minor version of a Cilium chart version (1.19.6 -> 19), -1 if it has none.
func Minor(version string) int {
	parts := strings.SplitN(version, ".", 3)
	if len(parts) < 2 {
		return -1
	}
	n, err := strconv.Atoi(parts[1])
	if err != nil {
		return -1
	}
	return n
}

// requester reports whether a requests the VPC peering with b: the lower ID requests, the
// higher accepts (issue 19; either order works for AWS, one must be chosen).
func requester(a, b Member) bool { return a.ID < b.ID }

// Problem is a problem of a mesh: a stackconfig.Problem of the member whose Source it names.
type Problem struct {
	Source string `json:"source"`
	stackconfig.Problem
}

func (p Problem) String() string { return p.Source + ": " + p.Problem.String() }

// Problems are mesh problems; as an error they print one per line, sorted.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	noun := "problems"
	if len(ps) == 1 {
		noun = "problem"
	}
	return fmt.Sprintf("invalid mesh (%d %s):\n  %s", len(ps), noun, strings.Join(lines, "\n  "))
}

func (ps Problems) sort() {
	sort.SliceStable(ps, func(i, j int) bool {
		if ps[i].Source != ps[j].Source {
			return ps[i].Source < ps[j].Source
		}
		return ps[i].Key < ps[j].Key
	})
}
