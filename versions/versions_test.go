package versions

import (
	"regexp"
	"slices"
	"testing"
	"time"
)

var (
	minorRe = regexp.MustCompile(`^1\.[0-9]+$`)
	addonRe = regexp.MustCompile(`^v[0-9]+\.[0-9]+\.[0-9]+-eksbuild\.[0-9]+$`)
	amiRe   = regexp.MustCompile(`^v20[0-9]{6}$`)
)

func readDate(t *testing.T, file, read string) {
	t.Helper()
	if _, err := time.Parse(time.DateOnly, read); err != nil {
		t.Errorf("%s: read %q is not a date: %v", file, read, err)
	}
}

func TestTables_EveryRowNamesItsSourceAndReadDate(t *testing.T) {
	readDate(t, "cilium-kubernetes.json", Cilium.Read)
	readDate(t, "eks-addons.json", Addons.Read)
	readDate(t, "amazon-eks-ami.json", AMIs.Read)
	readDate(t, "charts.json", Charts.Read)
	for _, r := range Cilium.Releases {
		if r.Source == "" || !minorRe.MatchString(r.Cilium) || len(r.Kubernetes) == 0 {
			t.Errorf("cilium row %+v: needs a minor, a source and its Kubernetes list", r)
		}
		for _, k := range r.Kubernetes {
			if !minorRe.MatchString(k) {
				t.Errorf("cilium %s: %q is not a Kubernetes minor", r.Cilium, k)
			}
		}
	}
	for _, u := range Cilium.Unknown {
		if u.Note == "" {
			t.Errorf("cilium %s is unknown without saying why", u.Cilium)
		}
		if _, _, known := CiliumTested(u.Cilium); known {
			t.Errorf("cilium %s is both known and unknown", u.Cilium)
		}
	}
	for _, a := range Addons.Addons {
		for _, v := range a.Versions {
			if v.Source == "" || !minorRe.MatchString(v.Kubernetes) || !addonRe.MatchString(v.Version) {
				t.Errorf("%s row %+v: needs a Kubernetes minor, a version vX.Y.Z-eksbuild.N and a source", a.Name, v)
			}
		}
	}
	if AMIs.Source == "" || len(AMIs.Releases) == 0 {
		t.Fatal("amazon-eks-ami.json has no source or no releases")
	}
	if !slices.IsSortedFunc(AMIs.Releases, func(a, b AMIRelease) int {
		switch {
		case a.Release < b.Release:
			return -1
		case a.Release > b.Release:
			return 1
		}
		return 0
	}) {
		t.Error("amazon-eks-ami.json releases are not sorted oldest first")
	}
	for _, r := range AMIs.Releases {
		if !amiRe.MatchString(r.Release) || len(r.Kubernetes) == 0 {
			t.Errorf("AMI release %+v: needs vYYYYMMDD and its minors", r)
		}
	}
	for _, g := range Charts.Charts {
		if g.Source == "" || g.Versions == "" || !minorRe.MatchString(g.MinKubernetes) || (g.MaxKubernetes != "" && !minorRe.MatchString(g.MaxKubernetes)) {
			t.Errorf("chart gate %+v: needs a version prefix, minors and a source", g)
		}
	}
}

// The rows the shipped stacks depend on: a missing one would silently unpin an addon.
func TestTables_CoverEveryVersionTheShippedStacksRun(t *testing.T) {
	for _, addon := range []string{CoreDNS, PodIdentityAgent, KubeProxy} {
		for _, minor := range []string{"1.30", "1.31", "1.32", "1.33", "1.34", "1.35"} {
			if _, ok := AddonFor(addon, minor); !ok {
				t.Errorf("no %s version for Kubernetes %s", addon, minor)
			}
		}
	}
	if got := NewestAMIRelease("1.35"); got != "v20260714" {
		t.Errorf("newest AMI release for 1.35 = %q, want v20260714 (amazon-eks-ami CHANGELOG)", got)
	}
	if r, ok := AMIReleaseOf("v20260505"); !ok || slices.Contains(r.Kubernetes, "1.36") {
		t.Errorf("v20260505 = %+v, %v: built 1.30-1.35, not 1.36 (its CHANGELOG section)", r, ok)
	}
	if r, ok := AMIReleaseOf("v20260311"); !ok || !r.Abandoned {
		t.Errorf("v20260311 = %+v, %v: the CHANGELOG marks it ABANDONED", r, ok)
	}
}

func TestMinor_ReadsMajorAndMinor(t *testing.T) {
	for in, want := range map[string]string{
		"1.19.6": "1.19", "1.35": "1.35", "v1.38.0": "1.38", "1.20.0-rc.1": "1.20", "1.3": "1.3",
		"latest": "", "1": "", "": "", "1.x": "",
	} {
		if got := Minor(in); got != want {
			t.Errorf("Minor(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMinorsBetween_CountsMinorSteps(t *testing.T) {
	tests := []struct {
		a, b string
		n    int
		ok   bool
	}{
		{"1.34", "1.35", 1, true},
		{"1.35", "1.33", -2, true},
		{"1.19.6", "1.20.0", 1, true},
		{"1.19.6", "1.19.7", 0, true},
		{"1.35", "2.0", 0, false},
		{"latest", "1.35", 0, false},
	}
	for _, tt := range tests {
		if n, ok := MinorsBetween(tt.a, tt.b); n != tt.n || ok != tt.ok {
			t.Errorf("MinorsBetween(%q, %q) = %d, %v; want %d, %v", tt.a, tt.b, n, ok, tt.n, tt.ok)
		}
	}
	if NextMinor("1.34") != "1.35" || PreviousMinor("1.34") != "1.33" || NextMinor("x") != "" {
		t.Error("NextMinor/PreviousMinor")
	}
}

func TestCompareAddonVersions_OrdersBySemverThenBuild(t *testing.T) {
	tests := []struct {
		a, b string
		cmp  int
		ok   bool
	}{
		{"v1.13.2-eksbuild.7", "v1.12.4-eksbuild.1", 1, true},
		{"v1.11.4-eksbuild.24", "v1.11.4-eksbuild.3", 1, true},
		{"v1.3.10-eksbuild.2", "v1.3.2-eksbuild.2", 1, true},
		{"v1.3.10-eksbuild.2", "v1.3.10-eksbuild.2", 0, true},
		{"1.3.10", "v1.3.2-eksbuild.2", 0, false},
	}
	for _, tt := range tests {
		if cmp, ok := CompareAddonVersions(tt.a, tt.b); cmp != tt.cmp || ok != tt.ok {
			t.Errorf("CompareAddonVersions(%q, %q) = %d, %v; want %d, %v", tt.a, tt.b, cmp, ok, tt.cmp, tt.ok)
		}
	}
}

func TestChartGateOf_MatchesByVersionPrefix(t *testing.T) {
	if g, ok := ChartGateOf("metrics-server", "3.13.1"); !ok || g.MinKubernetes != "1.31" {
		t.Errorf("metrics-server 3.13.1: %+v, %v", g, ok)
	}
	if g, ok := ChartGateOf("karpenter", "1.14.1"); !ok || g.MaxKubernetes != "1.36" {
		t.Errorf("karpenter 1.14.1: %+v, %v", g, ok)
	}
	if _, ok := ChartGateOf("metrics-server", "3.12.2"); ok {
		t.Error("metrics-server 3.12.2 has no row and must not match 3.13.")
	}
}
