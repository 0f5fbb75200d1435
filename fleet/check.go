package fleet

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/eks-cilium/eks-cilium/stackconfig"
)

// Keys the mesh problems name, as a user writes them in a member's stack file.
const (
	keyID           = stackconfig.KeyClusterMeshId
	keyPeers        = stackconfig.KeyClusterMeshPeers
	keyMaxConnected = stackconfig.KeyClusterMeshMaxConnectedClusters
	keyConnectivity = stackconfig.KeyClusterMeshConnectivity
	keyTGW          = stackconfig.KeyClusterMeshTransitGatewayId
	keyName         = stackconfig.KeyClusterName
	keyServiceCidr  = stackconfig.KeyClusterServiceCidr
	keyVpcCidr      = stackconfig.KeyVpcCidr
	keyPool         = stackconfig.KeyCiliumClusterPoolIPv4PodCIDRList
	keyTunnel       = stackconfig.KeyCiliumTunnelProtocol
	keyEncryption   = stackconfig.KeyCiliumEncryption
	keyVersion      = stackconfig.KeyCiliumVersion
	keyMTU          = stackconfig.KeyCiliumValues + ".MTU"
	keyLBC          = stackconfig.KeyAddonsAwsLoadBalancerController
)

// Path MTUs between members' nodes (EC2 user guide, "Network maximum transmission unit (MTU)
// for your EC2 instance", network_mtu.html): 9001 inside a VPC and across intra-Region
// peering; 8500 across inter-Region VPC peering (older revisions of the page said 1500: not
// verified here against AWS); 8500 through a transit gateway (Transit Gateway quotas, "Maximum
// transmission unit (MTU)"). EC2 instances default to 9001 on their ENIs, which is what
// Cilium detects when the Helm value MTU is unset.
const (
	JumboMTU          = 9001
	InterRegionMTU    = 8500
	TransitGatewayMTU = 8500
)

// Peering limits per VPC (Amazon VPC quotas, "VPC peering connections": active peering
// connections per VPC, default 50, adjustable up to 125).
const (
	PeeringsDefaultQuota = 50
	PeeringsMax          = 125
)

// Check checks the meshes the members form (the members are planned, from stack files, in one
// directory): each member's peer list against the others, and every rule between two members
// of the same mesh. Meshes are the groups members form through their peer lists; two meshes
// may reuse IDs and names. Refusals and warnings name the member's stack file and key.
func Check(members []Member) (warnings, refusals Problems) {
	byStack := map[string]*Member{}
	for i := range members {
		byStack[members[i].Stack] = &members[i]
	}
	for i := range members {
		m := &members[i]
		for j, peer := range m.Peers {
			p, ok := byStack[peer]
			key := keyPeers + "[" + strconv.Itoa(j) + "]"
			switch {
			case !ok:
				refusals = append(refusals, Problem{m.Source, stackconfig.Problem{Key: key, Value: peer,
					Rule: "names a stack that is not a mesh member here: no stack file of that name sets " + stackconfig.KeyClusterMesh,
					Fix:  "add its stack file with " + stackconfig.KeyClusterMesh + " beside this one, or remove it"}})
			case !slices.Contains(p.Peers, m.Stack):
				refusals = append(refusals, Problem{p.Source, stackconfig.Problem{Key: keyPeers, Value: listText(p.Peers),
					Rule: "does not list " + m.Stack + ", which lists this stack (" + m.Source + "): peers are symmetric, each side opens its network and its mesh API server only to the peers it lists",
					Fix:  "add " + m.Stack + ", or remove this stack from " + m.Source}})
			}
		}
	}
	for _, mesh := range meshes(members) {
		w, r := checkMesh(mesh)
		warnings, refusals = append(warnings, w...), append(refusals, r...)
	}
	warnings.sort()
	refusals.sort()
	return dedupe(warnings), dedupe(refusals)
}

// CheckDeployed checks a member about to be deployed against the peers it reads through
// StackReferences (deployed members): every rule between two members, with self among them.
// A peer that is not deployed, or does not list self yet, is not a problem here but pending
// (see Wire).
func CheckDeployed(self Member, peers []Member) (warnings, refusals Problems) {
	mesh := append([]Member{self}, peers...)
	warnings, refusals = checkMesh(mesh)
	warnings.sort()
	refusals.sort()
	return dedupe(warnings), dedupe(refusals)
}

// meshes groups members into meshes: connected through the peer lists, either way.
func meshes(members []Member) [][]Member {
	index := map[string]int{}
	for i, m := range members {
		index[m.Stack] = i
	}
	parent := make([]int, len(members))
	for i := range parent {
		parent[i] = i
	}
	find := func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	for i, m := range members {
		for _, p := range m.Peers {
			if j, ok := index[p]; ok {
				parent[find(i)] = find(j)
			}
		}
	}
	groups := map[int][]Member{}
	var roots []int
	for i, m := range members {
		r := find(i)
		if _, ok := groups[r]; !ok {
			roots = append(roots, r)
		}
		groups[r] = append(groups[r], m)
	}
	out := make([][]Member, 0, len(roots))
	for _, r := range roots {
		out = append(out, groups[r])
	}
	return out
}

// checkMesh runs every rule over one mesh. A rule between two members reports on the later of
// the two (deployed before planned, then by ID and stack), naming the other; under `pulumi up`
// that is the member being deployed.
func checkMesh(mesh []Member) (warnings, refusals Problems) {
	ms := slices.Clone(mesh)
	sort.SliceStable(ms, func(i, j int) bool {
		if ms[i].Deployed != ms[j].Deployed {
			return ms[i].Deployed
		}
		if ms[i].ID != ms[j].ID {
			return ms[i].ID < ms[j].ID
		}
		return ms[i].Stack < ms[j].Stack
	})
	c := &collector{}
	for j := range ms {
		for i := 0; i < j; i++ {
			c.pair(ms[i], ms[j])
		}
	}
	c.oneValue(ms)
	for _, m := range ms {
		c.member(m, len(ms)-1)
	}
	c.mtu(ms)
	return c.warned, c.refused
}

type collector struct {
	warned, refused Problems
}

func (c *collector) refuse(m Member, key, value, rule, fix string) {
	c.refused = append(c.refused, Problem{m.Source, stackconfig.Problem{Key: key, Value: value, Rule: rule, Fix: fix}})
}

func (c *collector) warn(m Member, key, value, rule, fix string) {
	c.warned = append(c.warned, Problem{m.Source, stackconfig.Problem{Key: key, Value: value, Rule: rule, Fix: fix}})
}

// pair checks two members of one mesh; b is the later one.
func (c *collector) pair(a, b Member) {
	other := func(what string) string { return a.Source + "'s " + what }

	// Cilium refuses a second remote cluster with an ID already in use, and one carrying the
	// local ID (pkg/clustermesh/idsmgr.go ReserveClusterID; cilium/cilium#26124, #32753);
	// `cilium clustermesh connect` refuses both up front (cilium-cli clustermesh.go,
	// validateInfoForConnect).
	if a.ID == b.ID {
		c.refuse(b, keyID, strconv.Itoa(b.ID), "is also the ID of "+other("cluster "+a.Name)+": cluster IDs are unique in a mesh, and Cilium refuses the second cluster with an ID in use",
			"pick an ID no member uses")
	}
	// "Each cluster must be assigned a unique human-readable name as well as a numeric cluster
	// ID" (Cilium docs, network/clustermesh/clustermesh.rst, "Specify the Cluster Name and
	// ID"); cilium-cli's validateInfoForConnect refuses duplicates.
	if a.Name == b.Name {
		c.refuse(b, keyName, b.Name, "is also the cluster name of "+a.Source+": the mesh name of a cluster is its EKS cluster name, unique in the mesh",
			"set "+keyName+" to a name no member uses")
	}
	// "PodCIDR ranges in all clusters and all nodes must be non-conflicting and unique IP
	// addresses" (Cilium docs, network/clustermesh/clustermesh.rst, Prerequisites).
	for j, p := range b.PodCIDRs {
		for i, q := range a.PodCIDRs {
			if p.Overlaps(q) {
				c.refuse(b, indexed(keyPool, j), p.String(), fmt.Sprintf("overlaps %s (%s): pod CIDRs are unique across a mesh, or a remote pod's address is taken for a local one", other(indexed(keyPool, i)), q),
					"give each member its own pod pool")
			}
		}
	}
	// With tunnel routing, another cluster's node addresses are the tunnel endpoints of its
	// pods; a pod pool overlapping any member's VPC hides those nodes behind local pods
	// (inferred from ipam/cluster-pool.rst: a pool overlapping the node network breaks
	// connectivity, cilium/cilium#32296).
	c.poolInVpc(b, a)
	c.poolInVpc(a, b)
	// VPC peering refuses overlapping CIDR blocks ("You cannot create a VPC peering connection
	// between VPCs that have matching or overlapping IPv4 CIDR blocks", VPC peering guide,
	// vpc-peering-basics.html), and no route table can send one prefix to two VPCs.
	if a.VpcCIDR.Overlaps(b.VpcCIDR) {
		c.refuse(b, keyVpcCidr, b.VpcCIDR.String(), fmt.Sprintf("overlaps %s (%s): members' nodes must reach each other, and neither peering nor routing joins overlapping VPCs", other(keyVpcCidr), a.VpcCIDR),
			"give each member a VPC CIDR of its own")
	}
	// Service ranges: Cilium does not document a rule; they are refused when equal or
	// overlapping (issue 19; Cilium's own GKE mesh guide gives each cluster its own), and a
	// service range overlapping another member's pods or nodes is refused because the local
	// service handling would take those remote addresses for ClusterIPs.
	if a.ServiceCIDR.Overlaps(b.ServiceCIDR) {
		c.refuse(b, keyServiceCidr, b.ServiceCIDR.String(), fmt.Sprintf("overlaps %s (%s): give each member its own service range, so a ClusterIP names one cluster's service", other(keyServiceCidr), a.ServiceCIDR),
			"pick a service range no member uses (it cannot change on a deployed cluster)")
	}
	c.serviceOverRemote(b, a)
	c.serviceOverRemote(a, b)
	// Members may run Cilium minors at most one apart (Cilium docs, clustermesh.rst of the
	// newest release, per our research notes: the revisions read here do not say it; the
	// upgrade guide supports upgrades one minor at a time, which is what keeps a mesh inside it).
	if ma, mb := Minor(a.CiliumVersion), Minor(b.CiliumVersion); ma >= 0 && mb >= 0 && (ma-mb > 1 || mb-ma > 1) {
		c.refuse(b, keyVersion, b.CiliumVersion, "is more than one minor release from "+other(keyVersion)+" ("+a.CiliumVersion+"): Cilium supports meshes whose members are at most one minor apart",
			"upgrade the older members one minor at a time first")
	}
	// One trust domain: every member's certificates are signed by the mesh's one CA (Cilium
	// docs, clustermesh.rst, "Shared Certificate Authority"; cilium-cli's connect refuses
	// mismatching CAs unless --allow-mismatching-ca is given).
	if a.CACert != "" && b.CACert != "" && a.CACert != b.CACert {
		c.refuse(b, stackconfig.KeyClusterMesh, "(deployed CA)", "was deployed with a different CA than "+a.Source+": the two are in different trust domains and cannot connect",
			"members of one mesh share one CA: rebuild one of the clusters (destroy its stack) so it takes the mesh's CA when it is deployed again")
	}
}

// sameValue is a setting every member of a mesh must share.
type sameValue struct {
	key   string
	value func(Member) string
	// applies limits the rule to some members (nil: all).
	applies func(Member) bool
	rule    string
	fix     string
}

// sameValues are the settings one mesh shares, each with its source.
var sameValues = []sameValue{
	// "This value cannot be changed on running clusters, and all clusters in a ClusterMesh
	// must be configured with the same value" (chart values.yaml
	// clustermesh.maxConnectedClusters); agents refuse a remote cluster whose value differs
	// (pkg/clustermesh/types ValidateRemoteConfig, "mismatched MaxConnectedClusters").
	{key: keyMaxConnected, value: func(m Member) string { return strconv.Itoa(m.MaxConnectedClusters) },
		rule: "every member of a mesh has the same maxConnectedClusters, and Cilium refuses a peer whose value differs",
		fix:  "set the mesh's value (it cannot change on a deployed cluster)"},
	// "All clusters must be configured with the same datapath mode" (clustermesh.rst,
	// Prerequisites). The tunnel protocol is not named there, but a node decapsulates only on
	// its own protocol's port (VXLAN 8472, Geneve 6081), so it is one for the mesh too
	// (inferred; cilium-cli records the protocol but never compares it).
	{key: keyTunnel, value: func(m Member) string { return m.TunnelProtocol },
		rule: "nodes decapsulate only their own tunnel protocol's port, so traffic between the clusters would be dropped",
		fix:  "use the mesh's tunnel protocol"},
	// WireGuard on some members and not on others ("mixed mode") is not supported in a mesh
	// (Cilium docs, security/network/encryption-wireguard.rst, Cluster Mesh section; taken
	// from our research notes, the page was not read here).
	{key: keyEncryption, value: func(m Member) string { return strconv.Quote(m.Encryption) },
		rule: "Cilium does not support a mesh where some clusters encrypt with WireGuard and others do not",
		fix:  "use the mesh's encryption mode"},
	// How the VPCs meet is one decision for the mesh: the routes of one side must match the
	// other's.
	{key: keyConnectivity, value: func(m Member) string { return m.Connectivity },
		rule: "every member reaches the others the same way",
		fix:  "use the mesh's connectivity mode"},
	{key: keyTGW, value: func(m Member) string { return m.TransitGatewayID },
		applies: func(m Member) bool { return m.Connectivity == stackconfig.ConnectivityTransitGateway },
		rule:    "every member attaches to the one transit gateway",
		fix:     "use the mesh's transit gateway"},
	// A VPC attaches to a transit gateway of its own Region (Transit Gateway guide,
	// tgw-vpc-attachments.html); inter-Region transit gateway peering is not created here.
	{key: stackconfig.KeyRegion, value: func(m Member) string { return m.Region },
		applies: func(m Member) bool { return m.Connectivity == stackconfig.ConnectivityTransitGateway },
		rule:    "a VPC attaches to a transit gateway of its own Region, and this project creates no inter-Region transit gateway peering",
		fix:     "mesh across Regions with connectivity peering"},
}

// oneValue refuses, for each shared setting, the members that differ from the mesh's value:
// the value most members have, deployed members counting first (a deployed mesh does not
// change for a member being added), then the lowest ID.
func (c *collector) oneValue(ms []Member) {
	for _, sv := range sameValues {
		count := map[string]int{}
		first := map[string]Member{}
		var order []string
		for _, m := range ms {
			if sv.applies != nil && !sv.applies(m) {
				continue
			}
			v := sv.value(m)
			if _, ok := count[v]; !ok {
				first[v] = m
				order = append(order, v)
			}
			count[v]++
		}
		if len(order) < 2 {
			continue
		}
		best := order[0]
		for _, v := range order[1:] {
			if count[v] > count[best] || (count[v] == count[best] && first[v].Deployed && !first[best].Deployed) {
				best = v
			}
		}
		ref := first[best]
		for _, m := range ms {
			if sv.applies != nil && !sv.applies(m) {
				continue
			}
			if v := sv.value(m); v != best {
				c.refuse(m, sv.key, strings.Trim(v, `"`), fmt.Sprintf("differs from the mesh's %s (%s, as in %s): %s", best, sv.key, ref.Source, sv.rule), sv.fix+" ("+best+")")
			}
		}
	}
}

// poolInVpc refuses pod CIDRs of m that overlap other's VPC.
func (c *collector) poolInVpc(m, other Member) {
	for j, p := range m.PodCIDRs {
		if p.Overlaps(other.VpcCIDR) {
			c.refuse(m, indexed(keyPool, j), p.String(), fmt.Sprintf("overlaps the VPC of %s (%s): another member's nodes are this cluster's tunnel endpoints, and would be taken for local pods", other.Source, other.VpcCIDR),
				"pick a pod CIDR outside every member's VPC")
		}
	}
}

// serviceOverRemote refuses m's service range over other's pods or VPC.
func (c *collector) serviceOverRemote(m, other Member) {
	for i, p := range other.PodCIDRs {
		if m.ServiceCIDR.Overlaps(p) {
			c.refuse(m, keyServiceCidr, m.ServiceCIDR.String(), fmt.Sprintf("overlaps %s's %s (%s): this cluster would take those remote pods' addresses for its ClusterIPs", other.Source, indexed(keyPool, i), p),
				"pick a service range outside every member's pods and VPC")
		}
	}
	if m.ServiceCIDR.Overlaps(other.VpcCIDR) {
		c.refuse(m, keyServiceCidr, m.ServiceCIDR.String(), fmt.Sprintf("overlaps the VPC of %s (%s): this cluster would take those remote nodes' addresses for its ClusterIPs", other.Source, other.VpcCIDR),
			"pick a service range outside every member's pods and VPC")
	}
}

// member checks what one member needs whatever its peers are; n is its peer count in the mesh.
func (c *collector) member(m Member, n int) {
	// A deployed peer without the controller has no NLB for its mesh API server; a planned one
	// is refused by its own rules (rules.CheckClusterMesh).
	if m.Deployed && !m.LoadBalancerController {
		c.refuse(m, keyLBC, "(not installed)", "is required on every member: the peers reach its clustermesh-apiserver through an internal NLB the controller creates",
			"add "+keyLBC+" to that stack and update it")
	}
	if m.Connectivity == stackconfig.ConnectivityPeering {
		switch {
		case n > PeeringsMax:
			c.refuse(m, keyPeers, fmt.Sprintf("%d peers", n), fmt.Sprintf("needs %d VPC peering connections, over AWS's limit of %d active peerings per VPC (Amazon VPC quotas)", n, PeeringsMax),
				"use connectivity transitGateway for a mesh this size")
		case n > PeeringsDefaultQuota:
			c.warn(m, keyPeers, fmt.Sprintf("%d peers", n), fmt.Sprintf("needs %d VPC peering connections, over AWS's default quota of %d per VPC (adjustable up to %d, Amazon VPC quotas)", n, PeeringsDefaultQuota, PeeringsMax),
				"raise the quota in this account and Region before deploying, or use connectivity transitGateway")
		}
	}
}

// mtu warns where the path between two members carries less than Cilium's tunnel packets:
// Cilium sizes them to the node device's MTU (9001 on EC2, or the Helm value MTU), adding
// TunnelOverhead (50 bytes) outside the pod's packet (pkg/mtu/mtu.go), and an oversized
// packet with DF set is dropped on the way (network_mtu.html); the pod's TCP never sees the
// ICMP reply, so large transfers hang (cilium/cilium#23397).
func (c *collector) mtu(ms []Member) {
	least := map[string]int{}
	via := map[string]string{}
	for j := range ms {
		for i := 0; i < j; i++ {
			path, why := pathMTU(ms[i], ms[j])
			for _, m := range []Member{ms[i], ms[j]} {
				if l, ok := least[m.Source]; !ok || path < l {
					least[m.Source], via[m.Source] = path, why
				}
			}
		}
	}
	mtus := map[int]bool{}
	for _, m := range ms {
		mtus[m.MTU] = true
		path, ok := least[m.Source]
		if !ok || path >= JumboMTU {
			continue
		}
		if m.MTU == 0 || m.MTU > path {
			shown := strconv.Itoa(m.MTU)
			if m.MTU == 0 {
				shown = "(unset: 9001 detected)"
			}
			c.warn(m, keyMTU, shown, fmt.Sprintf("the path to a peer carries %d bytes (%s), less than the tunnel packets Cilium sends at this MTU: large transfers between the clusters would hang", path, via[m.Source]),
				fmt.Sprintf("set %s: %d on every member", keyMTU, path))
		}
	}
	if len(mtus) > 1 {
		for _, m := range ms[1:] {
			if m.MTU != ms[0].MTU {
				c.warn(m, keyMTU, strconv.Itoa(m.MTU), fmt.Sprintf("differs from %s's (%d): a mesh is sized to its smallest path, so one MTU for every member", ms[0].Source, ms[0].MTU), "set the same MTU on every member")
			}
		}
	}
}

// pathMTU is the MTU of the path between two members' nodes, and what it runs over.
func pathMTU(a, b Member) (int, string) {
	switch {
	case a.Connectivity == stackconfig.ConnectivityTransitGateway || b.Connectivity == stackconfig.ConnectivityTransitGateway:
		return TransitGatewayMTU, "through a transit gateway"
	case a.Region != b.Region:
		return InterRegionMTU, fmt.Sprintf("inter-Region peering %s–%s", a.Region, b.Region)
	}
	return JumboMTU, "intra-Region peering"
}

func indexed(key string, i int) string { return key + "[" + strconv.Itoa(i) + "]" }

func listText(list []string) string {
	if len(list) == 0 {
		return "[]"
	}
	return "[" + joinComma(list) + "]"
}

func joinComma(list []string) string {
	out := ""
	for i, s := range list {
		if i > 0 {
			out += ", "
		}
		out += s
	}
	return out
}

func dedupe(ps Problems) Problems {
	seen := map[string]bool{}
	var out Problems
	for _, p := range ps {
		if s := p.String(); !seen[s] {
			seen[s] = true
			out = append(out, p)
		}
	}
	return out
}
