package pack

import (
	"fmt"
	"net/netip"
	"sort"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
)

// eksDefaultServiceCIDRs are the service CIDRs EKS picks from when none is given ("If you
// don't specify a block, Kubernetes assigns addresses from either the 10.100.0.0/16 or
// 172.20.0.0/16 CIDR blocks"); which one depends on the VPC, so both are checked.
var eksDefaultServiceCIDRs = []netip.Prefix{
	netip.MustParsePrefix("10.100.0.0/16"),
	netip.MustParsePrefix("172.20.0.0/16"),
}

const overlapWhy = "an address in both ranges is routed into the pod overlay and to the other network at " +
	"once, so one of them becomes unreachable from pods; the pod CIDR list is append-only on a live " +
	"cluster, so choose a disjoint range before the first deploy"

// newPodCIDRNoOverlap is a resource policy with a memory. The values it compares live on
// different resources (the pool on the Cilium release, the VPC CIDR on the VPC, the service
// CIDR on the EKS cluster), and a stack policy cannot compare them before the first deployment:
// it sees outputs, and in a first preview the release's outputs are unknown (its Kubernetes
// provider is configured from a cluster that does not exist yet). The inputs of each resource
// are known then, and the engine analyzes every resource of a preview or update through the
// same policy pack process, so the policy remembers the ranges and pools of the resources it
// has seen in this run and reports an overlap on whichever of the two resources comes second,
// before that one is created. Each New() starts with an empty memory; the engine starts the
// pack once per preview or update.
func newPodCIDRNoOverlap() policyx.ResourceValidationPolicy {
	seen := &addressRanges{reserved: map[string][]reservedRange{}, pools: map[string][]netip.Prefix{}}
	return resourcePolicy(
		"pod-cidr-no-overlap",
		"Cilium's pod CIDRs overlap neither a VPC CIDR of the stack nor the cluster's service CIDR.",
		policyx.EnforcementLevelMandatory,
		nil,
		seen.check,
	)
}

// addressRanges is what pod-cidr-no-overlap has seen in this run, by resource URN.
type addressRanges struct {
	mu       sync.Mutex
	reserved map[string][]reservedRange // VPC and service CIDRs
	pools    map[string][]netip.Prefix  // Cilium pod CIDRs
	release  map[string]string          // release URN -> its name, for messages
}

func (a *addressRanges) check(res policyx.AnalyzerResource, _ map[string]any) []string {
	reserved := reservedRangesOf(res)
	pools := poolsOf(res)
	if len(reserved) == 0 && len(pools) == 0 {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.release == nil {
		a.release = map[string]string{}
	}
	// A resource analyzed again (the update after its preview) replaces what it said before.
	a.reserved[res.URN], a.pools[res.URN] = reserved, pools
	if len(pools) > 0 {
		a.release[res.URN] = res.Name
	}

	var out []string
	seen := map[[2]netip.Prefix]bool{}
	report := func(pool, other netip.Prefix, msg string) {
		key := [2]netip.Prefix{pool, other}
		if !seen[key] {
			seen[key] = true
			out = append(out, msg)
		}
	}
	for _, pool := range pools {
		for _, urn := range sortedKeys(a.reserved) {
			for _, r := range a.reserved[urn] {
				if pool.Overlaps(r.prefix) {
					report(pool, r.prefix, fmt.Sprintf(
						"pod CIDR %s (values.ipam.operator.clusterPoolIPv4PodCIDRList) overlaps %s, %s: %s.",
						pool, r.prefix, r.what, overlapWhy))
				}
			}
		}
	}
	for _, r := range reserved {
		for _, urn := range sortedKeys(a.pools) {
			if urn == res.URN {
				continue
			}
			for _, pool := range a.pools[urn] {
				if pool.Overlaps(r.prefix) {
					report(pool, r.prefix, fmt.Sprintf(
						"%s, %s, overlaps pod CIDR %s of the Cilium release %s (values.ipam.operator.clusterPoolIPv4PodCIDRList): %s.",
						r.prefix, r.what, pool, a.release[urn], overlapWhy))
				}
			}
		}
	}
	return out
}

// reservedRange is an address range pods must not share.
type reservedRange struct {
	prefix netip.Prefix
	what   string // where it comes from, for the message
}

// poolsOf returns the known IPv4 pod CIDRs of a Cilium release; malformed entries are
// cilium-cluster-pool's to report.
func poolsOf(res policyx.AnalyzerResource) []netip.Prefix {
	if !isCiliumRelease(res) {
		return nil
	}
	vals, ok := valuesOf(res)
	if !ok {
		return nil
	}
	v, p := vals.lookup("ipam", "operator", "clusterPoolIPv4PodCIDRList")
	if p != known {
		return nil
	}
	entries, _ := podCIDRList(v)
	var out []netip.Prefix
	for _, entry := range entries {
		pool, err := netip.ParsePrefix(entry)
		if err == nil && pool.Addr().Is4() {
			out = append(out, pool.Masked())
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// reservedRangesOf returns the VPC and service CIDRs one resource declares.
func reservedRangesOf(res policyx.AnalyzerResource) []reservedRange {
	switch res.Type {
	case typeAwsVpc, typeAwsVpcCidrAssoc:
		return parsedRange(res.Properties, fmt.Sprintf("the cidrBlock of %s %s", res.Type, res.Name), "cidrBlock")
	case typeEksCluster:
		if inputsHidden(res) {
			return nil
		}
		what := fmt.Sprintf("the service CIDR (kubernetesServiceIpAddressRange) of %s %s", res.Type, res.Name)
		if _, p := lookup(res.Properties, "kubernetesServiceIpAddressRange"); p == absent {
			return defaultServiceRanges(res, "kubernetesServiceIpAddressRange")
		}
		return parsedRange(res.Properties, what, "kubernetesServiceIpAddressRange")
	case typeAwsEksCluster:
		network, np := lookup(res.Properties, "kubernetesNetworkConfig")
		if np == unknown {
			return nil
		}
		if family, fp, _ := stringAt(mapOf(network), "ipFamily"); fp == known && family == "ipv6" {
			return nil
		}
		what := fmt.Sprintf("the service CIDR (kubernetesNetworkConfig.serviceIpv4Cidr) of %s %s", res.Type, res.Name)
		if _, p := lookup(mapOf(network), "serviceIpv4Cidr"); p == absent {
			return defaultServiceRanges(res, "kubernetesNetworkConfig.serviceIpv4Cidr")
		}
		return parsedRange(mapOf(network), what, "serviceIpv4Cidr")
	}
	return nil
}

// parsedRange reads one IPv4 CIDR at key; unknown or unparsable values yield nothing.
func parsedRange(props property.Map, what string, key string) []reservedRange {
	s, p, ok := stringAt(props, key)
	if p != known || !ok {
		return nil
	}
	prefix, err := netip.ParsePrefix(s)
	if err != nil || !prefix.Addr().Is4() {
		return nil
	}
	return []reservedRange{{prefix.Masked(), what}}
}

func defaultServiceRanges(res policyx.AnalyzerResource, input string) []reservedRange {
	out := make([]reservedRange, len(eksDefaultServiceCIDRs))
	for i, prefix := range eksDefaultServiceCIDRs {
		out[i] = reservedRange{prefix, fmt.Sprintf(
			"a service CIDR EKS may pick for %s %s because %s is not set", res.Type, res.Name, input)}
	}
	return out
}
