// Package ipplan turns a stack's configuration into its address plan — the VPC's subnets,
// Cilium's cluster pool cut into per-node pod CIDRs, and each node group's pod density — and
// refuses a configuration whose addresses or capacity cannot work, naming every offending key
// at once. The rules that are not about addresses (names, labels, versions, ARNs, instance
// types) are package rules'; the planning pipeline (package plan) runs both. It imports no Pulumi package, so the
// program, the CLI and the offline render share the same answer.
package ipplan

import (
	"math"
	"net/netip"

	"github.com/eks-cilium/eks-cilium/instancetypes"
	"github.com/eks-cilium/eks-cilium/stackconfig"
)

// ReservedPerNodeCIDR is how many addresses of each node's pod CIDR Cilium's cluster-pool
// IPAM never hands to pods. The agent allocates from the node CIDR with a host-scope
// allocator built on a Kubernetes-style CIDR range, which excludes the network and the
// broadcast address (cilium/cilium pkg/ipam/service/ipallocator, NewCIDRRange); from the rest
// it takes the cilium_host router IP and the cilium-health endpoint IP. A /24 therefore holds
// 256 − 4 = 252 pods. With Envoy on (EnvoyEnabledBy) the agent takes one more.
const ReservedPerNodeCIDR = 4

// Plan is the address plan of one stack. Every field is derived from the config; nothing
// here is looked up in AWS.
type Plan struct {
	VpcCIDR, ServiceCIDR netip.Prefix
	// PodCIDRs is cilium.clusterPoolIPv4PodCIDRList, parsed, in config order.
	PodCIDRs []netip.Prefix
	// MaskSize is cilium.clusterPoolIPv4MaskSize: the prefix length of each node's pod CIDR.
	MaskSize int
	// UsablePodIPsPerNode is 2^(32−MaskSize) − Reserved.
	UsablePodIPsPerNode int
	// Reserved is how many addresses of each node CIDR Cilium keeps from pods:
	// ReservedPerNodeCIDR, plus Envoy's ingress IP when EnvoyBy is set.
	Reserved int
	// EnvoyBy is the Helm value (a path under eks-cilium:cilium.values) that turns on
	// Cilium's Envoy configuration, or "".
	EnvoyBy string
	// NodeCIDRsTotal is how many node CIDRs the pool holds: Σ 2^(MaskSize − prefix length).
	NodeCIDRsTotal uint64
	// NodeCIDRsNeeded is Σ over node groups of (maxSize + surge): the most nodes that can
	// exist at once, each holding a node CIDR.
	NodeCIDRsNeeded int
	// NodeCIDRUsage is NodeCIDRsNeeded / NodeCIDRsTotal.
	NodeCIDRUsage float64
	// Subnets is one private and one public subnet per AZ; empty when the stack uses an
	// existing VPC (vpc.id).
	Subnets []AZSubnets
	// NodeGroups follows the order of eks-cilium:nodeGroups.
	NodeGroups []NodeGroupPlan
	// Karpenter is Karpenter's share of the node CIDRs (ipplan/karpenter.go); nil without it.
	Karpenter *KarpenterPlan
	// Warnings are accepted but questionable choices, sorted by key.
	Warnings stackconfig.Problems
}

// AZSubnets is the pair of subnets planned for the AZ at Index.
type AZSubnets struct {
	Index int
	// Zone is "" unless vpc.availabilityZoneNames pins the zones; then the program asks AWS.
	Zone            string
	Private, Public netip.Prefix
}

// NodeGroupPlan is one node group with the numbers that follow from the pool.
type NodeGroupPlan struct {
	Name                          string
	InstanceTypes                 []string
	MinSize, DesiredSize, MaxSize int
	// Surge is how many extra nodes an update may add: max(2 × AZ count, maxUnavailable).
	Surge int
	// MaxPods is the kubelet's maxPods: as configured, or min(110, UsablePodIPsPerNode) when
	// the config says 0.
	MaxPods int
	// MaxPodsDefaulted reports that the config said 0 and MaxPods was computed.
	MaxPodsDefaulted bool
	// ENIMaxPods is what the VPC CNI would have allowed: the smallest ENI-mode maxPods over
	// the group's instance types.
	ENIMaxPods int
	Instances  []instancetypes.Info
	// DensityRatio is MaxPods / ENIMaxPods: how many times denser the overlay packs pods.
	DensityRatio float64
}

// kubeletDefaultMaxPods is the kubelet's own default and EKS's managed node group cap for
// instance types with 30 vCPUs or fewer; used when a node group leaves maxPods at 0.
const kubeletDefaultMaxPods = 110

// New validates cfg and computes its plan. The error is always stackconfig.Problems and
// lists every problem found, sorted by key (numeric indices in numeric order).
func New(cfg stackconfig.Config) (*Plan, error) {
	c := &checker{cfg: cfg, reserved: ReservedPerNodeCIDR, envoyBy: EnvoyEnabledBy(cfg.Cilium.Values)}
	if c.envoyBy != "" {
		c.reserved += EnvoyReservedPerNodeCIDR
	}
	p := &Plan{Reserved: c.reserved, EnvoyBy: c.envoyBy}

	azs, azsOK := c.checkVpc()
	vpcOK := false
	p.VpcCIDR, vpcOK = c.checkVpcCIDR()
	svcOK := false
	p.ServiceCIDR, svcOK = c.checkServiceCIDR(p.VpcCIDR, vpcOK)
	c.checkPublicAccessCIDRs()
	pods, podsOK := c.checkPodCIDRs(p.VpcCIDR, vpcOK, p.ServiceCIDR, svcOK)
	for _, pod := range pods {
		p.PodCIDRs = append(p.PodCIDRs, pod.prefix)
	}
	p.MaskSize = cfg.Cilium.ClusterPoolIPv4MaskSize
	maskOK, poolFits := c.checkMaskSize(pods)
	groupsOK := false
	p.NodeGroups, groupsOK = c.checkNodeGroups(azs, azsOK)

	if maskOK {
		p.UsablePodIPsPerNode = usablePodIPs(p.MaskSize, c.reserved)
		c.checkPodDensity(p)
	}
	if groupsOK {
		for _, g := range p.NodeGroups {
			p.NodeCIDRsNeeded = satAdd(p.NodeCIDRsNeeded, satAdd(g.MaxSize, g.Surge))
		}
	}
	if maskOK && poolFits && podsOK {
		p.NodeCIDRsTotal = nodeCIDRs(p.PodCIDRs, p.MaskSize)
		if p.NodeCIDRsTotal > 0 {
			p.NodeCIDRUsage = float64(p.NodeCIDRsNeeded) / float64(p.NodeCIDRsTotal)
		}
		if groupsOK {
			c.checkNodeCIDRCapacity(p)
		}
	}
	c.checkKarpenter(p, maskOK, maskOK && poolFits && podsOK, groupsOK)
	if !cfg.Vpc.UsesExistingVpc() && vpcOK && azsOK {
		p.Subnets = c.checkSubnets(p.VpcCIDR, azs, p.NodeCIDRsNeeded, groupsOK)
	}

	if len(c.refused) > 0 {
		c.refused.Sort()
		return nil, c.refused
	}
	c.warned.Sort()
	p.Warnings = c.warned
	return p, nil
}

// usablePodIPs is how many pods fit in one node CIDR of the given prefix length when Cilium
// reserves reserved of its addresses.
func usablePodIPs(mask, reserved int) int {
	return 1<<(32-mask) - reserved
}

// nodeCIDRs is how many node CIDRs of length mask the pool holds; pods longer than mask
// hold none (they are refused separately).
func nodeCIDRs(pods []netip.Prefix, mask int) uint64 {
	var total uint64
	for _, p := range pods {
		if p.Bits() <= mask {
			total += 1 << (mask - p.Bits())
		}
	}
	return total
}

// satAdd adds without wrapping, so absurd sizes are reported as absurd, not as negative.
func satAdd(a, b int) int {
	if b > 0 && a > math.MaxInt-b {
		return math.MaxInt
	}
	return a + b
}
