package ipplan

import (
	"fmt"
	"math/bits"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/eks-cilium/eks-cilium/instancetypes"
	"github.com/eks-cilium/eks-cilium/stackconfig"
)

// Config keys as a user writes them; Problems name these.
const (
	keyVpcCidr           = stackconfig.KeyVpcCidr
	keyVpcAZs            = stackconfig.KeyVpcAvailabilityZones
	keyVpcAZNames        = stackconfig.KeyVpcAvailabilityZoneNames
	keyServiceCidr       = stackconfig.KeyClusterServiceCidr
	keyPublicAccessCidrs = stackconfig.KeyClusterPublicAccessCidrs
	keyPodCIDRs          = stackconfig.KeyCiliumClusterPoolIPv4PodCIDRList
	keyMaskSize          = stackconfig.KeyCiliumClusterPoolIPv4MaskSize
)

// Limits set by AWS, EKS and Cilium.
const (
	minVpcBits, maxVpcBits         = 16, 24 // VPC CIDR sizes AWS accepts
	minSubnetBits, maxSubnetBits   = 16, 28 // subnet sizes AWS accepts
	awsReservedPerSubnet           = 5      // network, VPC router, DNS, future use, broadcast
	minAZs, maxAZs                 = 2, 6   // EKS needs subnets in two AZs; six is plenty
	minServiceBits, maxServiceBits = 12, 24 // EKS's bounds for the service CIDR
	minMaskSize                    = 8      // anything shorter is not a per-node range
	maxMaskSize                    = 30     // Cilium's minimum per-node CIDR
	maxMaxPods                     = 250    // EKS's managed node group cap (> 30 vCPUs)
	maxMaxUnavailable              = 100    // EKS's limit for updateConfig.maxUnavailable
)

var (
	privateRanges    = prefixes("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16") // RFC 1918
	sharedRange      = netip.MustParsePrefix("100.64.0.0/10")                    // RFC 6598, carrier-grade NAT
	unroutableRanges = []struct {
		prefix netip.Prefix
		what   string
	}{
		{netip.MustParsePrefix("0.0.0.0/8"), `0.0.0.0/8 ("this network")`},
		{netip.MustParsePrefix("127.0.0.0/8"), "127.0.0.0/8 (loopback)"},
		{netip.MustParsePrefix("169.254.0.0/16"), "169.254.0.0/16 (link-local, where the instance metadata service 169.254.169.254 lives)"},
		{netip.MustParsePrefix("224.0.0.0/4"), "224.0.0.0/4 (multicast)"},
		{netip.MustParsePrefix("240.0.0.0/4"), "240.0.0.0/4 (reserved, includes the broadcast address)"},
	}
)

func prefixes(ss ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParsePrefix(s)
	}
	return out
}

// checker collects every problem of one config; nothing stops at the first.
type checker struct {
	cfg     stackconfig.Config
	refused stackconfig.Problems
	warned  stackconfig.Problems
	// reserved is how many addresses of each node CIDR Cilium keeps from pods.
	reserved int
	// envoyBy is the Helm value that turns on Cilium's Envoy configuration, or "".
	envoyBy string
}

func (c *checker) refuse(key, value, rule, fix string) {
	c.refused = append(c.refused, stackconfig.Problem{Key: key, Value: value, Rule: rule, Fix: fix})
}

func (c *checker) warn(key, value, rule string) {
	c.warned = append(c.warned, stackconfig.Problem{Key: key, Value: value, Rule: rule})
}

func at(key string, i int) string { return key + "[" + strconv.Itoa(i) + "]" }

func nodeGroupKey(i int, field string) string {
	return at(stackconfig.KeyNodeGroups, i) + "." + field
}

func listValue(list []string) string { return "[" + strings.Join(list, ", ") + "]" }

// parseIPv4Prefix reads a CIDR as a user wrote it. When s is not a canonical IPv4 prefix it
// returns the rule broken and, where one is obvious, the fix; ipv6Rule is the rule for an
// IPv6 value, which differs by key.
func parseIPv4Prefix(s, ipv6Rule string) (p netip.Prefix, rule, fix string) {
	if s == "" {
		return p, "must be an IPv4 CIDR such as 10.200.0.0/16; it is empty", ""
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		if addr, aerr := netip.ParseAddr(s); aerr == nil {
			if !addr.Is4() {
				return netip.Prefix{}, ipv6Rule, ""
			}
			return netip.Prefix{}, "is an address, not a CIDR: the /length is missing", "write it as " + shortestCanonical(addr)
		}
		if strings.Contains(s, ":") {
			return netip.Prefix{}, ipv6Rule, ""
		}
		return netip.Prefix{}, "is not a CIDR: want a.b.c.d/length with length 0 to 32", ""
	}
	if !p.Addr().Is4() {
		return netip.Prefix{}, ipv6Rule, ""
	}
	if p != p.Masked() {
		return netip.Prefix{}, "is not canonical: host bits are set beyond the /" + strconv.Itoa(p.Bits()) + " prefix", "did you mean " + p.Masked().String() + "?"
	}
	return p, "", ""
}

// shortestCanonical suggests a length for a bare address: /16, /24 or /32, whichever is
// the first the address is the network address of.
func shortestCanonical(addr netip.Addr) string {
	for _, n := range []int{16, 24, 32} {
		if p := netip.PrefixFrom(addr, n); p == p.Masked() {
			return p.String()
		}
	}
	return addr.String() + "/32"
}

// within reports whether inner lies entirely in outer.
func within(inner, outer netip.Prefix) bool {
	return outer.Bits() <= inner.Bits() && outer.Contains(inner.Addr())
}

// checkVpc checks the AZ count the subnets are carved for; pinned zone names must be as many
// (their shape and region are rules.CheckVpc's).
func (c *checker) checkVpc() (azs int, azsOK bool) {
	v := c.cfg.Vpc
	azs = v.AvailabilityZones
	azsOK = azs >= minAZs && azs <= maxAZs
	if !azsOK {
		c.refuse(keyVpcAZs, strconv.Itoa(azs), fmt.Sprintf("must be %d to %d: EKS needs subnets in at least two AZs", minAZs, maxAZs), "")
	}
	if len(v.AvailabilityZoneNames) > 0 && azsOK && len(v.AvailabilityZoneNames) != azs {
		c.refuse(keyVpcAZNames, listValue(v.AvailabilityZoneNames),
			fmt.Sprintf("lists %d zones but vpc.availabilityZones is %d: list exactly that many, or none", len(v.AvailabilityZoneNames), azs), "")
	}
	return azs, azsOK
}

func (c *checker) checkVpcCIDR() (netip.Prefix, bool) {
	s := c.cfg.Vpc.Cidr
	p, rule, fix := parseIPv4Prefix(s, "must be an IPv4 CIDR: the VPC's primary CIDR is IPv4 (IPv6 is not supported)")
	if rule != "" {
		c.refuse(keyVpcCidr, s, rule, fix)
		return p, false
	}
	ok := true
	if p.Bits() < minVpcBits || p.Bits() > maxVpcBits {
		fix := "use a /24 or larger"
		if p.Bits() < minVpcBits {
			fix = "use a /16, e.g. " + netip.PrefixFrom(p.Addr(), minVpcBits).String()
		}
		c.refuse(keyVpcCidr, s, fmt.Sprintf("must be a /%d to /%d: the VPC sizes AWS allows", minVpcBits, maxVpcBits), fix)
		ok = false
	}
	for _, u := range unroutableRanges {
		if p.Overlaps(u.prefix) {
			c.refuse(keyVpcCidr, s, "overlaps "+u.what+", which AWS does not allow in a VPC", "")
			ok = false
		}
	}
	return p, ok
}

func (c *checker) checkServiceCIDR(vpc netip.Prefix, vpcOK bool) (netip.Prefix, bool) {
	s := c.cfg.Cluster.ServiceCidr
	p, rule, fix := parseIPv4Prefix(s, "must be an IPv4 CIDR: this project runs an IPv4 cluster (IPv6 is not supported)")
	if rule != "" {
		c.refuse(keyServiceCidr, s, rule, fix)
		return p, false
	}
	ok := true
	if !slices.ContainsFunc(privateRanges, func(r netip.Prefix) bool { return within(p, r) }) {
		c.refuse(keyServiceCidr, s, "must lie within 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16 (RFC 1918), as EKS requires", "e.g. 172.20.0.0/16")
		ok = false
	}
	if p.Bits() < minServiceBits || p.Bits() > maxServiceBits {
		c.refuse(keyServiceCidr, s, fmt.Sprintf("must be a /%d to /%d: the sizes EKS accepts", minServiceBits, maxServiceBits), "e.g. 172.20.0.0/16")
		ok = false
	}
	if vpcOK && p.Overlaps(vpc) {
		c.refuse(keyServiceCidr, s, "overlaps "+keyVpcCidr+" ("+vpc.String()+"): service IPs would shadow VPC addresses", "e.g. 172.20.0.0/16, if the VPC is elsewhere")
		ok = false
	}
	return p, ok
}

// checkPublicAccessCIDRs checks the CIDRs allowed to reach the public API endpoint.
func (c *checker) checkPublicAccessCIDRs() {
	for i, s := range c.cfg.Cluster.PublicAccessCidrs {
		if _, rule, fix := parseIPv4Prefix(s, "must be an IPv4 CIDR"); rule != "" {
			c.refuse(at(keyPublicAccessCidrs, i), s, rule, fix)
		}
	}
	// A private-only endpoint sends no publicAccessCidrs (pulumi-eks v3.9.1 cluster.ts
	// createCore throws on the combination), so a list the user wrote would be dropped unseen.
	if cl := c.cfg.Cluster; !cl.EndpointPublicAccess && !slices.Equal(cl.PublicAccessCidrs, stackconfig.Defaults().Cluster.PublicAccessCidrs) {
		c.warn(keyPublicAccessCidrs, strings.Join(cl.PublicAccessCidrs, ", "),
			"is ignored: "+stackconfig.KeyClusterEndpointPublicAccess+" is false, so the API endpoint has no public side to restrict and no CIDRs are sent")
	}
}

// podCIDR is one parsed entry of the pod CIDR list and its index in the config.
type podCIDR struct {
	index  int
	prefix netip.Prefix
}

// checkPodCIDRs returns the entries that parse; ok is false when any does not.
func (c *checker) checkPodCIDRs(vpc netip.Prefix, vpcOK bool, svc netip.Prefix, svcOK bool) (pods []podCIDR, ok bool) {
	list := c.cfg.Cilium.ClusterPoolIPv4PodCIDRList
	if len(list) == 0 {
		c.refuse(keyPodCIDRs, "", "must list at least one pod CIDR: there is no default, because Cilium's own 10.0.0.0/8 overlaps most VPCs and EKS's service ranges",
			"e.g. clusterPoolIPv4PodCIDRList: [10.200.0.0/16]")
		return nil, false
	}
	ok = true
	for i, s := range list {
		key := at(keyPodCIDRs, i)
		p, rule, fix := parseIPv4Prefix(s, "this is the IPv4 pool; IPv6 is not supported")
		if rule != "" {
			c.refuse(key, s, rule, fix)
			ok = false
			continue
		}
		for _, u := range unroutableRanges {
			if p.Overlaps(u.prefix) {
				c.refuse(key, s, "overlaps "+u.what+": pods cannot use those addresses", "")
			}
		}
		if vpcOK && p.Overlaps(vpc) {
			c.refuse(key, s, "overlaps "+keyVpcCidr+" ("+vpc.String()+"): pod IPs would shadow node and load balancer addresses", "")
		}
		if svcOK && p.Overlaps(svc) {
			c.refuse(key, s, "overlaps "+keyServiceCidr+" ("+svc.String()+"): pod IPs would shadow service IPs", "")
		}
		for _, earlier := range pods {
			switch {
			case p == earlier.prefix:
				c.refuse(key, s, "duplicates "+at(keyPodCIDRs, earlier.index), "remove it")
			case p.Overlaps(earlier.prefix):
				c.refuse(key, s, "overlaps "+at(keyPodCIDRs, earlier.index)+" ("+earlier.prefix.String()+"): Cilium would hand out the same node CIDR twice", "")
			}
		}
		if !slices.ContainsFunc(privateRanges, func(r netip.Prefix) bool { return within(p, r) }) && !within(p, sharedRange) {
			c.warn(key, s, "is not a private range (RFC 1918 or 100.64.0.0/10): pods would shadow public addresses of that range")
		}
		pods = append(pods, podCIDR{index: i, prefix: p})
	}
	return pods, ok
}

// checkMaskSize reports whether the mask is in range (ok) and whether every pod CIDR can
// be cut into node CIDRs of that size (fits).
func (c *checker) checkMaskSize(pods []podCIDR) (ok, fits bool) {
	mask := c.cfg.Cilium.ClusterPoolIPv4MaskSize
	value := strconv.Itoa(mask)
	switch {
	case mask < minMaskSize:
		c.refuse(keyMaskSize, value, fmt.Sprintf("must be at least %d: it is the prefix length of each node's pod CIDR", minMaskSize), "the usual choice is 24 (252 pods per node)")
		return false, false
	case mask > maxMaskSize:
		c.refuse(keyMaskSize, value, fmt.Sprintf("must be %d or less: Cilium's smallest per-node CIDR is a /%d", maxMaskSize, maxMaskSize), "the usual choice is 24 (252 pods per node)")
		return false, false
	}
	fits = true
	for _, p := range pods {
		if p.prefix.Bits() > mask {
			c.refuse(keyMaskSize, value,
				fmt.Sprintf("must be at least the prefix length of every pod CIDR: %s (%s) is a /%d", at(keyPodCIDRs, p.index), p.prefix, p.prefix.Bits()),
				fmt.Sprintf("use a /%d or larger pod CIDR, or set clusterPoolIPv4MaskSize to %d or more", mask, p.prefix.Bits()))
			fits = false
		}
	}
	return true, fits
}

func (c *checker) checkNodeGroups(azs int, azsOK bool) ([]NodeGroupPlan, bool) {
	groups := c.cfg.NodeGroups
	if len(groups) == 0 {
		c.refuse(stackconfig.KeyNodeGroups, "", "must list at least one node group: Cilium and CoreDNS need nodes",
			"e.g. [{name: general, instanceTypes: [m5.large], minSize: 2, desiredSize: 3, maxSize: 6}]")
		return nil, false
	}
	plans := make([]NodeGroupPlan, len(groups))
	ok := azsOK
	for i, g := range groups {
		plan := NodeGroupPlan{
			Name: g.Name, InstanceTypes: g.InstanceTypes,
			MinSize: g.MinSize, DesiredSize: g.DesiredSize, MaxSize: g.MaxSize,
			MaxPods: g.MaxPods,
		}
		if !c.checkScaling(i, g) {
			ok = false
		}

		switch {
		case g.MaxPods < 0:
			c.refuse(nodeGroupKey(i, "maxPods"), strconv.Itoa(g.MaxPods), fmt.Sprintf("must be 0 (automatic) or 1 to %d", maxMaxPods), "")
		case g.MaxPods > maxMaxPods:
			c.refuse(nodeGroupKey(i, "maxPods"), strconv.Itoa(g.MaxPods), fmt.Sprintf("must be at most %d: EKS's managed node group cap", maxMaxPods), "")
		case g.MaxPods > kubeletDefaultMaxPods:
			c.warn(nodeGroupKey(i, "maxPods"), strconv.Itoa(g.MaxPods), "EKS caps managed node group maxPods at 110 for instance types with ≤30 vCPUs; check this group's types are larger")
		}

		// Types the table does not know are refused by rules.CheckNodeGroups; the plan
		// compares density over the known ones.
		for _, t := range g.InstanceTypes {
			info, known := instancetypes.Lookup(t)
			if !known {
				continue
			}
			plan.Instances = append(plan.Instances, info)
			if plan.ENIMaxPods == 0 || info.ENIMaxPods < plan.ENIMaxPods {
				plan.ENIMaxPods = info.ENIMaxPods
			}
		}

		muOK := g.MaxUnavailable >= 1 && g.MaxUnavailable <= maxMaxUnavailable
		if !muOK {
			c.refuse(nodeGroupKey(i, "maxUnavailable"), strconv.Itoa(g.MaxUnavailable), fmt.Sprintf("must be 1 to %d: EKS's bounds for updateConfig.maxUnavailable", maxMaxUnavailable), "")
			ok = false
		}

		// During an update EKS first scales the group up by the larger of up to twice the
		// number of AZs and maxUnavailable, and every new node takes a node CIDR
		// (https://docs.aws.amazon.com/eks/latest/userguide/managed-node-update-behavior.html,
		// "Scale up phase").
		if azsOK && muOK {
			plan.Surge = max(2*azs, g.MaxUnavailable)
		}
		plans[i] = plan
	}
	return plans, ok
}

// checkScaling checks 0 ≤ minSize ≤ desiredSize ≤ maxSize, maxSize ≥ 1; ok reports that
// maxSize can be counted on.
func (c *checker) checkScaling(i int, g stackconfig.NodeGroupConfig) (ok bool) {
	ok = true
	if g.MinSize < 0 {
		c.refuse(nodeGroupKey(i, "minSize"), strconv.Itoa(g.MinSize), "must be 0 or more", "")
	}
	if g.MaxSize < 1 {
		c.refuse(nodeGroupKey(i, "maxSize"), strconv.Itoa(g.MaxSize), "must be at least 1", "")
		ok = false
	}
	if g.DesiredSize < g.MinSize {
		c.refuse(nodeGroupKey(i, "desiredSize"), strconv.Itoa(g.DesiredSize), fmt.Sprintf("must be at least minSize (%d)", g.MinSize), "")
	}
	if g.DesiredSize > g.MaxSize {
		c.refuse(nodeGroupKey(i, "desiredSize"), strconv.Itoa(g.DesiredSize), fmt.Sprintf("must be at most maxSize (%d)", g.MaxSize), "")
	}
	return ok
}

// checkPodDensity fills each group's effective maxPods and its ratio to the ENI-mode
// limit, and refuses a maxPods a node CIDR cannot hold.
func (c *checker) checkPodDensity(p *Plan) {
	usable, mask := p.UsablePodIPsPerNode, p.MaskSize
	largest := 1
	for i := range p.NodeGroups {
		g := &p.NodeGroups[i]
		configured := c.cfg.NodeGroups[i].MaxPods
		if configured < 0 || configured > maxMaxPods {
			continue // refused already
		}
		largest = max(largest, configured)
		if configured == 0 {
			g.MaxPods, g.MaxPodsDefaulted = min(kubeletDefaultMaxPods, usable), true
		} else if configured > usable {
			fix := fmt.Sprintf("set clusterPoolIPv4MaskSize to %d or less", c.largestMaskFor(configured))
			if usable >= 1 {
				fix += fmt.Sprintf(", or maxPods to %d or less", usable)
			}
			c.refuse(nodeGroupKey(i, "maxPods"), strconv.Itoa(configured),
				fmt.Sprintf("exceeds the %d pod IPs of a /%d node CIDR (%s is %d; %d addresses minus %d Cilium reserves%s)",
					max(usable, 0), mask, keyMaskSize, mask, 1<<(32-mask), c.reserved, c.envoyNote()),
				fix)
		}
		if g.ENIMaxPods > 0 {
			g.DensityRatio = float64(g.MaxPods) / float64(g.ENIMaxPods)
		}
	}
	if usable < 1 {
		c.refuse(keyMaskSize, strconv.Itoa(mask),
			fmt.Sprintf("leaves no pod IPs: a /%d holds %d addresses and Cilium reserves %d (network, broadcast, cilium_host, cilium-health%s); Cilium recommends /29 or shorter",
				mask, 1<<(32-mask), c.reserved, c.envoyReservation()),
			fmt.Sprintf("set clusterPoolIPv4MaskSize to %d or less", c.largestMaskFor(largest)))
	}
}

// largestMaskFor is the longest node mask whose CIDR still holds pods pods.
func (c *checker) largestMaskFor(pods int) int {
	m := maxMaskSize
	for m > minMaskSize && usablePodIPs(m, c.reserved) < pods {
		m--
	}
	return m
}

// envoyNote and envoyReservation explain the fifth reserved address when Envoy is on.
func (c *checker) envoyNote() string {
	if c.envoyBy == "" {
		return ""
	}
	return ", one of them Envoy's ingress IP because " + stackconfig.KeyCiliumValues + "." + c.envoyBy + " is set"
}

func (c *checker) envoyReservation() string {
	if c.envoyBy == "" {
		return ""
	}
	return ", Envoy's ingress IP"
}

// checkNodeCIDRCapacity refuses a pool with fewer node CIDRs than nodes can exist at once.
func (c *checker) checkNodeCIDRCapacity(p *Plan) {
	need, total := uint64(p.NodeCIDRsNeeded), p.NodeCIDRsTotal
	value := listValue(c.cfg.Cilium.ClusterPoolIPv4PodCIDRList)
	if total >= need {
		if p.NodeCIDRUsage > 0.8 {
			c.warn(keyPodCIDRs, value, fmt.Sprintf("the node groups at maxSize plus update surge take %.0f%% of the pool's %d node CIDRs; append a CIDR before growing them", 100*p.NodeCIDRUsage, total))
		}
		return
	}
	// An appended CIDR of length mask − ceil(log2(deficit)) covers the deficit.
	appendBits := max(p.MaskSize-bits.Len64(need-total-1), 0)
	fix := fmt.Sprintf("append a /%d or larger CIDR to the list (it is append-only on a live cluster)", appendBits)
	largestMaxPods := 1
	for _, g := range c.cfg.NodeGroups {
		largestMaxPods = max(largestMaxPods, g.MaxPods)
	}
	for m := p.MaskSize + 1; m <= maxMaskSize && usablePodIPs(m, c.reserved) >= largestMaxPods; m++ {
		if nodeCIDRs(p.PodCIDRs, m) >= need {
			fix += fmt.Sprintf(", or, on a new cluster only, set clusterPoolIPv4MaskSize to %d", m)
			break
		}
	}
	c.refuse(keyPodCIDRs, value,
		fmt.Sprintf("holds %d node CIDRs of /%d but the node groups need %d (Σ maxSize + surge: every node, including those an update adds, holds one)", total, p.MaskSize, need),
		fix)
}

// checkSubnets carves the VPC (see carveSubnets) and refuses private subnets too small for
// every node that can exist at once.
func (c *checker) checkSubnets(vpc netip.Prefix, azs, nodesNeeded int, countNodes bool) []AZSubnets {
	subnets, subnetBits := carveSubnets(vpc, azs)
	if subnets == nil {
		rule := fmt.Sprintf("is too small for %d AZs: each subnet would be a /%d, and AWS subnets are /%d to /%d", azs, subnetBits, minSubnetBits, maxSubnetBits)
		c.refuse(keyVpcCidr, vpc.String(), rule, "use a larger VPC CIDR")
		c.refuse(keyVpcAZs, strconv.Itoa(azs), rule, "use fewer AZs")
		return nil
	}
	if names := c.cfg.Vpc.AvailabilityZoneNames; len(names) == azs {
		for i := range subnets {
			subnets[i].Zone = names[i]
		}
	}
	if countNodes {
		if capacity := privateCapacity(vpc.Bits(), azs); capacity < nodesNeeded {
			fix := "use fewer nodes or a larger VPC CIDR"
			for b := vpc.Bits() - 1; b >= minVpcBits; b-- {
				if privateCapacity(b, azs) >= nodesNeeded {
					fix = fmt.Sprintf("use a /%d or larger VPC CIDR", b)
					break
				}
			}
			c.refuse(keyVpcCidr, vpc.String(),
				fmt.Sprintf("its %d private subnets (/%d) hold %d node IPs after AWS reserves %d per subnet, but the node groups need %d (Σ maxSize + surge)",
					azs, subnetBits, capacity, awsReservedPerSubnet, nodesNeeded),
				fix)
		}
	}
	return subnets
}

// privateCapacity is how many nodes the private subnets of a /vpcBits VPC hold.
func privateCapacity(vpcBits, azs int) int {
	subnetBits := vpcBits + bits.Len(uint(azs-1)) + 1
	return azs * (1<<(32-subnetBits) - awsReservedPerSubnet)
}

// carveSubnets splits the VPC deterministically, so a plan never moves a subnet: with n AZs
// and k = ceil(log2 n), the VPC is cut into 2^(k+1) equal blocks; private subnet i is block i
// and public subnet i is block 2^k + i. Private subnets fill the lower half and public ones
// the upper half, each AZ's pair at the same offset; unused blocks (n < 2^k) stay free for
// later. It returns nil and the subnet length when subnets would be outside /16../28.
func carveSubnets(vpc netip.Prefix, n int) ([]AZSubnets, int) {
	k := bits.Len(uint(n - 1)) // ceil(log2 n) for n ≥ 1
	subnetBits := vpc.Bits() + k + 1
	if subnetBits < minSubnetBits || subnetBits > maxSubnetBits {
		return nil, subnetBits
	}
	a4 := vpc.Addr().As4()
	base := uint32(a4[0])<<24 | uint32(a4[1])<<16 | uint32(a4[2])<<8 | uint32(a4[3])
	block := func(i int) netip.Prefix {
		v := base + uint32(i)<<(32-subnetBits)
		return netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), subnetBits)
	}
	subnets := make([]AZSubnets, n)
	for i := range subnets {
		subnets[i] = AZSubnets{Index: i, Private: block(i), Public: block(1<<k + i)}
	}
	return subnets, subnetBits
}
