package pack

import (
	"fmt"
	"net/netip"

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

var podCIDRNoOverlap = stackPolicy(
	"pod-cidr-no-overlap",
	"Cilium's pod CIDRs overlap neither a VPC CIDR of the stack nor the cluster's service CIDR.",
	policyx.EnforcementLevelMandatory,
	checkPodCIDRNoOverlap,
)

// reservedRange is an address range pods must not share.
type reservedRange struct {
	prefix netip.Prefix
	what   string // where it comes from, for the message
}

func checkPodCIDRNoOverlap(resources []policyx.AnalyzerResource) []finding {
	var reserved []reservedRange
	for _, res := range resources {
		reserved = append(reserved, reservedRangesOf(res)...)
	}

	var out []finding
	for _, res := range resources {
		if !isCiliumRelease(res) {
			continue
		}
		vals, ok := valuesOf(res)
		if !ok {
			continue
		}
		v, p := vals.lookup("ipam", "operator", "clusterPoolIPv4PodCIDRList")
		if p != known {
			continue // absence is cilium-cluster-pool's to report
		}
		entries, _ := podCIDRList(v)
		seen := map[[2]netip.Prefix]bool{}
		for _, entry := range entries {
			pool, err := netip.ParsePrefix(entry)
			if err != nil || !pool.Addr().Is4() {
				continue // cilium-cluster-pool reports malformed entries
			}
			pool = pool.Masked()
			for _, r := range reserved {
				key := [2]netip.Prefix{pool, r.prefix}
				if seen[key] || !pool.Overlaps(r.prefix) {
					continue
				}
				seen[key] = true
				out = append(out, finding{res.URN, fmt.Sprintf(
					"pod CIDR %s (values.ipam.operator.clusterPoolIPv4PodCIDRList) overlaps %s, %s: %s.",
					pool, r.prefix, r.what, overlapWhy)})
			}
		}
	}
	return out
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
			// Stack policies see a component's outputs, not its inputs; an eks:index:Cluster's
			// outputs always hold kubeconfig and never this input, so absence there proves nothing.
			if _, kp := lookup(res.Properties, "kubeconfig"); kp != absent {
				return nil
			}
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
