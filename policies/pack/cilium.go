package pack

import (
	"fmt"
	"net/netip"
	"path"
	"regexp"
	"strings"
	"unicode"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
)

// isCiliumChart reports whether a Helm chart reference names Cilium's chart: "cilium",
// "cilium/cilium", "oci://quay.io/cilium/charts/cilium[:tag]", "./charts/cilium-1.19.6.tgz".
func isCiliumChart(chart string) bool {
	name := path.Base(strings.TrimSuffix(chart, "/"))
	name, _, _ = strings.Cut(name, ":")
	name = strings.TrimSuffix(name, ".tgz")
	if name == "cilium" {
		return true
	}
	rest, ok := strings.CutPrefix(name, "cilium-")
	return ok && rest != "" && rest[0] >= '0' && rest[0] <= '9'
}

// isCiliumRelease reports whether res is a Helm release (or v4 Chart) of a chart known to be
// Cilium's. An unknown chart is not assumed to be Cilium.
func isCiliumRelease(res policyx.AnalyzerResource) bool {
	if res.Type != typeHelmRelease && res.Type != typeHelmChartV4 {
		return false
	}
	chart, p, ok := stringAt(res.Properties, "chart")
	return p == known && ok && isCiliumChart(chart)
}

// ciliumValues is the part of a Cilium release's Helm values the pack can see.
type ciliumValues struct {
	values property.Map
	// partial is set when valueYamlFiles also feed the release: the pack cannot read them, so
	// a key missing from values may still be set there and its absence proves nothing.
	// (Keys present in values win over the files, so they are still checked.)
	partial bool
}

// valuesOf returns the visible values of a Cilium release; ok is false when the values
// themselves are unknown.
func valuesOf(res policyx.AnalyzerResource) (ciliumValues, bool) {
	values, p := lookup(res.Properties, "values")
	if p == unknown {
		return ciliumValues{}, false
	}
	files, fp := lookup(res.Properties, "valueYamlFiles")
	partial := fp == unknown || (fp == known && files.IsArray() && files.AsArray().Len() > 0)
	return ciliumValues{values: mapOf(values), partial: partial}, true
}

// lookup is lookup over the values, with absence downgraded to unknown when files may set it.
func (c ciliumValues) lookup(keys ...string) (property.Value, presence) {
	v, p := lookup(c.values, keys...)
	if p == absent && c.partial {
		return v, unknown
	}
	return v, p
}

const (
	ipamModeWhy = "pod IPs must come from Cilium's own pools, not from ENIs or Kubernetes PodCIDRs, and the " +
		"IPAM mode of a live cluster can never be changed"
	routingWhy = "the VPC's route tables know nothing of the pod CIDRs, so pod traffic between nodes must be " +
		"encapsulated (VXLAN/Geneve); the chart switches to native routing when eni.enabled or gke.enabled is set"
	eniWhy = "ENI mode hands pods VPC addresses from the instance's ENIs, the per-instance pod limit this " +
		"cluster exists to avoid, and switches routing to native"
	podCIDRWhy = "the chart's default pool 10.0.0.0/8 overlaps EKS's default service CIDRs and most VPCs, and " +
		"the list is append-only on a live cluster"
	maskWhy  = "the chart's values.schema.json types it integer, so Helm rejects the release"
	chainWhy = "chaining runs Cilium on top of another CNI (the VPC CNI), and this cluster has no other CNI"
)

// maxPerNodeMask is the longest per-node mask Cilium supports (a /30 per node).
const maxPerNodeMask = 30

var ciliumClusterPool = resourcePolicy(
	"cilium-cluster-pool",
	"The Cilium release uses ClusterPool IPAM with tunnel routing, no ENI mode and no CNI chaining.",
	policyx.EnforcementLevelMandatory,
	nil,
	checkCiliumClusterPool,
)

func checkCiliumClusterPool(res policyx.AnalyzerResource, _ map[string]any) []string {
	if !isCiliumRelease(res) {
		return nil
	}
	vals, ok := valuesOf(res)
	if !ok {
		return nil
	}
	var out []string

	// ipam.mode and routingMode define this architecture: they must be explicit even where the
	// chart's current default agrees, so a chart upgrade cannot change them.
	if v, p := vals.lookup("ipam", "mode"); p != unknown && !(v.IsString() && v.AsString() == "cluster-pool") {
		out = append(out, fmt.Sprintf("values.ipam.mode is %s, want \"cluster-pool\": %s.", describe(v, p), ipamModeWhy))
	}
	if v, p := vals.lookup("routingMode"); p != unknown && !(v.IsString() && v.AsString() == "tunnel") {
		out = append(out, fmt.Sprintf("values.routingMode is %s, want \"tunnel\": %s.", describe(v, p), routingWhy))
	}
	// eni.enabled defaults to false in the chart, so only a set value can be wrong.
	if v, p := vals.lookup("eni", "enabled"); p == known && !(v.IsBool() && !v.AsBool()) {
		out = append(out, fmt.Sprintf("values.eni.enabled is %s, want false or unset: %s.", show(v), eniWhy))
	}
	if v, p := vals.lookup("cni", "chainingMode"); p == known && !(v.IsString() && v.AsString() == "none") {
		out = append(out, fmt.Sprintf("values.cni.chainingMode is %s, want unset or \"none\": %s.", show(v), chainWhy))
	}

	pools := checkPodCIDRList(vals, &out)
	checkMaskSize(vals, pools, &out)
	return out
}

// checkPodCIDRList appends the problems of clusterPoolIPv4PodCIDRList to out and returns the
// pools it could parse.
func checkPodCIDRList(vals ciliumValues, out *[]string) []netip.Prefix {
	v, p := vals.lookup("ipam", "operator", "clusterPoolIPv4PodCIDRList")
	switch p {
	case unknown:
		return nil
	case absent:
		*out = append(*out, fmt.Sprintf("values.ipam.operator.clusterPoolIPv4PodCIDRList is not set: %s.", podCIDRWhy))
		return nil
	}
	entries, someUnknown := podCIDRList(v)
	if len(entries) == 0 && !someUnknown {
		*out = append(*out, fmt.Sprintf("values.ipam.operator.clusterPoolIPv4PodCIDRList is %s, want at least "+
			"one IPv4 CIDR: %s.", show(v), podCIDRWhy))
		return nil
	}
	var pools []netip.Prefix
	for _, entry := range entries {
		pool, err := netip.ParsePrefix(entry)
		if err != nil || !pool.Addr().Is4() {
			*out = append(*out, fmt.Sprintf("values.ipam.operator.clusterPoolIPv4PodCIDRList entry %q is not an "+
				"IPv4 CIDR: the Cilium operator cannot allocate node blocks from it.", entry))
			continue
		}
		pools = append(pools, pool.Masked())
	}
	return pools
}

func checkMaskSize(vals ciliumValues, pools []netip.Prefix, out *[]string) {
	// Absent is fine: the chart's default is the integer 24.
	v, p := vals.lookup("ipam", "operator", "clusterPoolIPv4MaskSize")
	if p != known {
		return
	}
	mask, ok := wholeNumber(v)
	if !ok {
		*out = append(*out, fmt.Sprintf("values.ipam.operator.clusterPoolIPv4MaskSize is %s, want an integer: %s.",
			show(v), maskWhy))
		return
	}
	if mask > maxPerNodeMask || mask < 1 {
		*out = append(*out, fmt.Sprintf("values.ipam.operator.clusterPoolIPv4MaskSize is %d, want 1..%d: Cilium "+
			"needs at least a /%d per node to hand out pod addresses.", mask, maxPerNodeMask, maxPerNodeMask))
		return
	}
	for _, pool := range pools {
		if mask < pool.Bits() {
			*out = append(*out, fmt.Sprintf("values.ipam.operator.clusterPoolIPv4MaskSize is %d, shorter than "+
				"pool %s: a per-node block larger than its pool cannot be allocated.", mask, pool))
		}
	}
}

// podCIDRList reads clusterPoolIPv4PodCIDRList: a list, or (the chart's schema allows it) one
// string of space- or comma-separated CIDRs.
func podCIDRList(v property.Value) (entries []string, someUnknown bool) {
	if v.IsString() {
		return strings.FieldsFunc(v.AsString(), func(r rune) bool { return r == ',' || unicode.IsSpace(r) }), false
	}
	return stringItems(v)
}

// exactVersion matches an exact chart version: X.Y.Z with an optional pre-release
// (1.20.0-rc.1), no "v", no range operators, no wildcards.
var exactVersion = regexp.MustCompile(`^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?$`)

const pinWhy = "Helm resolves anything else to the newest matching chart at deploy time, so two runs of " +
	"the same commit can install different Cilium versions, and Cilium must be upgraded one minor at a time"

var pinnedChartVersion = resourcePolicy(
	"pinned-chart-version",
	"The Cilium chart version is pinned to an exact X.Y.Z.",
	policyx.EnforcementLevelMandatory,
	nil,
	checkPinnedChartVersion,
)

func checkPinnedChartVersion(res policyx.AnalyzerResource, _ map[string]any) []string {
	if !isCiliumRelease(res) {
		return nil
	}
	v, p := lookup(res.Properties, "version")
	switch {
	case p == unknown:
		return nil
	case v.IsString() && exactVersion.MatchString(v.AsString()):
		return nil
	}
	return []string{fmt.Sprintf("version is %s, want an exact version such as \"1.19.6\": %s.", describe(v, p), pinWhy)}
}

const (
	hubbleWhy = "Hubble is how flows and policy drops are seen in an overlay: VPC Flow Logs only see the " +
		"encapsulated node-to-node traffic"
	relayWhy = "without Hubble Relay each agent only knows its own node, so `hubble observe` cannot show a " +
		"cluster-wide view"
)

var hubbleEnabled = resourcePolicy(
	"hubble-enabled",
	"The Cilium release enables Hubble and Hubble Relay.",
	policyx.EnforcementLevelAdvisory,
	&policyx.ConfigSchema{Properties: map[string]map[string]any{
		"requireRelay": {
			"type":        "boolean",
			"default":     true,
			"description": "Also require hubble.relay.enabled: true.",
		},
	}},
	checkHubbleEnabled,
)

func checkHubbleEnabled(res policyx.AnalyzerResource, cfg map[string]any) []string {
	if !isCiliumRelease(res) {
		return nil
	}
	vals, ok := valuesOf(res)
	if !ok {
		return nil
	}
	var out []string
	// hubble.enabled defaults to true in the chart.
	if v, p := vals.lookup("hubble", "enabled"); p == known && !(v.IsBool() && v.AsBool()) {
		out = append(out, fmt.Sprintf("values.hubble.enabled is %s, want true: %s.", show(v), hubbleWhy))
	}
	if configBool(cfg, "requireRelay", true) {
		// hubble.relay.enabled defaults to false in the chart.
		if v, p := vals.lookup("hubble", "relay", "enabled"); p != unknown && !(v.IsBool() && v.AsBool()) {
			out = append(out, fmt.Sprintf("values.hubble.relay.enabled is %s, want true: %s.", describe(v, p), relayWhy))
		}
	}
	return out
}
