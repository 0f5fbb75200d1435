package pack

import "testing"

func TestIsCiliumChart_RecognisesChartReferences(t *testing.T) {
	for chart, want := range map[string]bool{
		"cilium":                             true,
		"cilium/cilium":                      true,
		"oci://quay.io/cilium/charts/cilium": true,
		"oci://quay.io/cilium/charts/cilium:1.19.6": true,
		"../shared/charts/cilium-1.19.6.tgz":        true,
		// The forms eks-cilium:chartSources.cilium gives the release (charts.Chart.Ref).
		"oci://123456789012.dkr.ecr.eu-west-1.amazonaws.com/helm-mirror/cilium": true,
		"./charts/cilium-1.19.6.tgz":       true,
		"/opt/charts/cilium-1.19.6.tgz":    true,
		"./charts/cilium-envoy-1.19.6.tgz": false,
		"./charts/cilium/":                 true,
		"cilium-enterprise":                false,
		"tetragon":                         false,
		"cilium/tetragon":                  false,
		"":                                 false,
	} {
		if got := isCiliumChart(chart); got != want {
			t.Errorf("isCiliumChart(%q) = %v, want %v", chart, got, want)
		}
	}
}

func TestCiliumClusterPool_AcceptsClusterPoolTunnelRelease(t *testing.T) {
	runResourceCases(t, ciliumClusterPool, []resourceCase{
		{name: "helm v3 release", typ: typeHelmRelease, inputs: goodCiliumRelease()},
		{name: "helm v4 chart", typ: typeHelmChartV4, inputs: goodCiliumRelease()},
		{name: "eni unset (chart default false)",
			typ: typeHelmRelease, inputs: releaseWithValue(deleted, "eni")},
		{name: "chaining none", typ: typeHelmRelease, inputs: releaseWithValue("none", "cni", "chainingMode")},
		{name: "chaining null", typ: typeHelmRelease, inputs: releaseWithValue(nil, "cni", "chainingMode")},
		{name: "pool list as one string", typ: typeHelmRelease,
			inputs: releaseWithValue("10.200.0.0/16 10.201.0.0/16", "ipam", "operator", "clusterPoolIPv4PodCIDRList")},
		{name: "mask size unset", typ: typeHelmRelease,
			inputs: releaseWithValue(deleted, "ipam", "operator", "clusterPoolIPv4MaskSize")},
		{name: "another chart", typ: typeHelmRelease,
			inputs: withPath(releaseWithValue("native", "routingMode"), "ingress-nginx", "chart")},
	})
}

func TestCiliumClusterPool_RejectsOtherIPAMAndRouting(t *testing.T) {
	runResourceCases(t, ciliumClusterPool, []resourceCase{
		{name: "eni ipam", typ: typeHelmRelease, inputs: releaseWithValue("eni", "ipam", "mode"),
			want: 1, contains: []string{`values.ipam.mode is "eni", want "cluster-pool"`}},
		{name: "ipam mode left to the chart", typ: typeHelmRelease, inputs: releaseWithValue(deleted, "ipam", "mode"),
			want: 1, contains: []string{`values.ipam.mode is not set, want "cluster-pool"`}},
		{name: "native routing", typ: typeHelmRelease, inputs: releaseWithValue("native", "routingMode"),
			want: 1, contains: []string{`values.routingMode is "native", want "tunnel"`, "VPC's route tables"}},
		{name: "routing mode left to the chart", typ: typeHelmRelease, inputs: releaseWithValue(deleted, "routingMode"),
			want: 1, contains: []string{`values.routingMode is not set, want "tunnel"`}},
		{name: "eni enabled", typ: typeHelmRelease, inputs: releaseWithValue(true, "eni", "enabled"),
			want: 1, contains: []string{"values.eni.enabled is true, want false or unset"}},
		{name: "eni enabled as a string", typ: typeHelmRelease, inputs: releaseWithValue("false", "eni", "enabled"),
			want: 1, contains: []string{`values.eni.enabled is "false"`}},
		{name: "chained on the VPC CNI", typ: typeHelmRelease, inputs: releaseWithValue("aws-cni", "cni", "chainingMode"),
			want: 1, contains: []string{`values.cni.chainingMode is "aws-cni"`}},
		{name: "everything wrong", typ: typeHelmRelease, inputs: withPath(goodCiliumRelease(), map[string]any{
			"ipam": map[string]any{"mode": "kubernetes"}, "routingMode": "native",
			"eni": map[string]any{"enabled": true}, "cni": map[string]any{"chainingMode": "aws-cni"},
		}, "values"),
			want: 5},
	})
}

func TestCiliumClusterPool_RejectsBadPodCIDRList(t *testing.T) {
	list := []string{"ipam", "operator", "clusterPoolIPv4PodCIDRList"}
	runResourceCases(t, ciliumClusterPool, []resourceCase{
		{name: "list unset (chart default 10.0.0.0/8)", typ: typeHelmRelease, inputs: releaseWithValue(deleted, list...),
			want: 1, contains: []string{"clusterPoolIPv4PodCIDRList is not set", "10.0.0.0/8"}},
		{name: "empty list", typ: typeHelmRelease, inputs: releaseWithValue([]any{}, list...),
			want: 1, contains: []string{"clusterPoolIPv4PodCIDRList is [], want at least one IPv4 CIDR"}},
		{name: "malformed and IPv6 entries", typ: typeHelmRelease,
			inputs: releaseWithValue([]any{"10.200.0.0/16", "10.300.0.0/16", "fd00::/104"}, list...),
			want:   2, contains: []string{`entry "10.300.0.0/16" is not an IPv4 CIDR`, `entry "fd00::/104"`}},
	})
}

func TestCiliumClusterPool_RejectsMaskSizeThatIsNotAnInteger(t *testing.T) {
	mask := []string{"ipam", "operator", "clusterPoolIPv4MaskSize"}
	runResourceCases(t, ciliumClusterPool, []resourceCase{
		{name: "string", typ: typeHelmRelease, inputs: releaseWithValue("24", mask...),
			want: 1, contains: []string{`clusterPoolIPv4MaskSize is "24", want an integer`, "values.schema.json"}},
		{name: "fraction", typ: typeHelmRelease, inputs: releaseWithValue(24.5, mask...),
			want: 1, contains: []string{"clusterPoolIPv4MaskSize is 24.5, want an integer"}},
		{name: "smaller than a /30 per node", typ: typeHelmRelease, inputs: releaseWithValue(31, mask...),
			want: 1, contains: []string{"clusterPoolIPv4MaskSize is 31, want 1..30"}},
		{name: "larger than the pool", typ: typeHelmRelease, inputs: releaseWithValue(12, mask...),
			want: 1, contains: []string{"clusterPoolIPv4MaskSize is 12, shorter than pool 10.200.0.0/16"}},
	})
}

func TestCiliumClusterPool_SkipsUnknownValues(t *testing.T) {
	runResourceCases(t, ciliumClusterPool, []resourceCase{
		{name: "values unknown", typ: typeHelmRelease, inputs: withPath(goodCiliumRelease(), computed, "values")},
		{name: "chart unknown", typ: typeHelmRelease, inputs: withPath(releaseWithValue("eni", "ipam", "mode"), computed, "chart")},
		{name: "ipam unknown", typ: typeHelmRelease, inputs: releaseWithValue(computed, "ipam")},
		{name: "every checked value unknown", typ: typeHelmRelease, inputs: withPath(goodCiliumRelease(), map[string]any{
			"ipam": map[string]any{"mode": computed, "operator": map[string]any{
				"clusterPoolIPv4PodCIDRList": computed, "clusterPoolIPv4MaskSize": computed}},
			"routingMode": computed, "eni": map[string]any{"enabled": computed}, "cni": computed,
		}, "values")},
		{name: "pool entry unknown", typ: typeHelmRelease,
			inputs: releaseWithValue([]any{computed}, "ipam", "operator", "clusterPoolIPv4PodCIDRList")},
		{name: "keys missing but value files given", typ: typeHelmRelease, inputs: withPath(
			withPath(goodCiliumRelease(), map[string]any{}, "values"), []any{"values-eks.yaml"}, "valueYamlFiles")},
	})
}

func TestCiliumClusterPool_ChecksVisibleValuesEvenWithValueFiles(t *testing.T) {
	runResourceCases(t, ciliumClusterPool, []resourceCase{
		{name: "values override the files", typ: typeHelmRelease,
			inputs: withPath(releaseWithValue("native", "routingMode"), []any{"values-eks.yaml"}, "valueYamlFiles"),
			want:   1, contains: []string{`values.routingMode is "native"`}},
	})
}

func TestPinnedChartVersion_AcceptsExactVersions(t *testing.T) {
	runResourceCases(t, pinnedChartVersion, []resourceCase{
		{name: "1.19.6", typ: typeHelmRelease, inputs: goodCiliumRelease()},
		{name: "pre-release", typ: typeHelmRelease, inputs: withPath(goodCiliumRelease(), "1.20.0-rc.1", "version")},
		{name: "v4 chart", typ: typeHelmChartV4, inputs: withPath(goodCiliumRelease(), "1.20.0", "version")},
		{name: "unpinned other chart", typ: typeHelmRelease,
			inputs: withPath(withPath(goodCiliumRelease(), "^4", "version"), "ingress-nginx/ingress-nginx", "chart")},
	})
}

func TestPinnedChartVersion_RejectsFloatingVersions(t *testing.T) {
	for _, version := range []any{"", "latest", "^1.19.0", "~1.19", "1.19", "1.19.x", ">=1.19.0", "v1.19.6", "1.19.6 || 1.20.0"} {
		runResourceCases(t, pinnedChartVersion, []resourceCase{
			{name: "version " + version.(string), typ: typeHelmRelease, inputs: withPath(goodCiliumRelease(), version, "version"),
				want: 1, contains: []string{"want an exact version", "newest matching chart"}},
		})
	}
	runResourceCases(t, pinnedChartVersion, []resourceCase{
		{name: "version unset", typ: typeHelmRelease, inputs: withPath(goodCiliumRelease(), deleted, "version"),
			want: 1, contains: []string{"version is not set"}},
	})
}

// TestPinnedChartVersion_HoldsForEveryChartSource: whatever eks-cilium:chartSources.cilium
// says (a mirror repository, a registry, an archive), the release is still recognised as
// Cilium's and its version still checked. An archive's version is what the provider installs
// whatever the input says, which the program checks before registering the release.
func TestPinnedChartVersion_HoldsForEveryChartSource(t *testing.T) {
	mirror := withPath(goodCiliumRelease(), map[string]any{"repo": "https://charts.example.internal/cilium"}, "repositoryOpts")
	ecr := withPath(goodCiliumRelease(), "oci://123456789012.dkr.ecr.eu-west-1.amazonaws.com/helm-mirror/cilium", "chart")
	archive := withPath(goodCiliumRelease(), "./charts/cilium-1.19.6.tgz", "chart")
	runResourceCases(t, pinnedChartVersion, []resourceCase{
		{name: "mirror repository", typ: typeHelmRelease, inputs: mirror},
		{name: "private ECR", typ: typeHelmRelease, inputs: ecr},
		{name: "local archive", typ: typeHelmRelease, inputs: archive},
		{name: "mirror repository, floating", typ: typeHelmRelease, inputs: withPath(mirror, "~1.19", "version"),
			want: 1, contains: []string{`version is "~1.19", want an exact version`}},
		{name: "private ECR, floating", typ: typeHelmRelease, inputs: withPath(ecr, "latest", "version"),
			want: 1, contains: []string{`version is "latest", want an exact version`}},
		{name: "local archive, no version", typ: typeHelmRelease, inputs: withPath(archive, deleted, "version"),
			want: 1, contains: []string{"version is not set"}},
	})
}

func TestPinnedChartVersion_SkipsUnknownValues(t *testing.T) {
	runResourceCases(t, pinnedChartVersion, []resourceCase{
		{name: "version unknown", typ: typeHelmRelease, inputs: withPath(goodCiliumRelease(), computed, "version")},
		{name: "chart unknown", typ: typeHelmRelease, inputs: withPath(withPath(goodCiliumRelease(), "latest", "version"), computed, "chart")},
	})
}

func TestHubbleEnabled_AcceptsHubbleWithRelay(t *testing.T) {
	runResourceCases(t, hubbleEnabled, []resourceCase{
		{name: "both enabled", typ: typeHelmRelease, inputs: goodCiliumRelease()},
		{name: "hubble at chart default", typ: typeHelmRelease, inputs: releaseWithValue(deleted, "hubble", "enabled")},
		{name: "relay not required", typ: typeHelmRelease, inputs: releaseWithValue(deleted, "hubble", "relay"),
			config: map[string]any{"requireRelay": false}},
	})
}

func TestHubbleEnabled_RejectsDisabledHubbleOrRelay(t *testing.T) {
	runResourceCases(t, hubbleEnabled, []resourceCase{
		{name: "hubble off", typ: typeHelmRelease, inputs: releaseWithValue(false, "hubble", "enabled"),
			want: 1, contains: []string{"values.hubble.enabled is false, want true", "VPC Flow Logs"}},
		{name: "relay at chart default (off)", typ: typeHelmRelease, inputs: releaseWithValue(deleted, "hubble", "relay"),
			want: 1, contains: []string{"values.hubble.relay.enabled is not set, want true"}},
		{name: "both off", typ: typeHelmRelease, inputs: releaseWithValue(map[string]any{
			"enabled": false, "relay": map[string]any{"enabled": false}}, "hubble"),
			want: 2},
	})
}

func TestHubbleEnabled_SkipsUnknownValues(t *testing.T) {
	runResourceCases(t, hubbleEnabled, []resourceCase{
		{name: "hubble unknown", typ: typeHelmRelease, inputs: releaseWithValue(computed, "hubble")},
		{name: "relay flag unknown", typ: typeHelmRelease, inputs: releaseWithValue(computed, "hubble", "relay", "enabled")},
		{name: "relay set in value files", typ: typeHelmRelease,
			inputs: withPath(releaseWithValue(deleted, "hubble"), []any{"hubble.yaml"}, "valueYamlFiles")},
	})
}
