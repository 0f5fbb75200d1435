// Package versions holds the version tables the day-2 rules are made of, as data files with
// their upstream source and the date they were read (versions/data/*.json): which Kubernetes
// minors each Cilium minor is e2e-tested on, which EKS addon version goes with each
// Kubernetes minor, which amazon-eks-ami releases exist for which minors, and which
// Kubernetes minors each add-on chart supports. Refreshing a table is editing its file; the
// tests check every row names its source. It has no Pulumi import.
package versions

import (
	"embed"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

//go:embed data/*.json
var data embed.FS

// CiliumRelease is one Cilium minor and the Kubernetes minors it is e2e-tested on.
type CiliumRelease struct {
	Cilium     string   `json:"cilium"`
	Kubernetes []string `json:"kubernetes"`
	Source     string   `json:"source"`
}

// CiliumUnknown is a Cilium minor whose tested list could not be read.
type CiliumUnknown struct {
	Cilium string `json:"cilium"`
	Note   string `json:"note"`
}

// CiliumTable is data/cilium-kubernetes.json.
type CiliumTable struct {
	What     string          `json:"what"`
	Read     string          `json:"read"`
	Releases []CiliumRelease `json:"releases"`
	Unknown  []CiliumUnknown `json:"unknown"`
}

// AddonVersion is the version of an EKS addon for one Kubernetes minor.
type AddonVersion struct {
	Kubernetes string `json:"kubernetes"`
	Version    string `json:"version"`
	Source     string `json:"source"`
}

// Addon is one EKS addon's versions.
type Addon struct {
	Name     string         `json:"name"`
	Versions []AddonVersion `json:"versions"`
}

// AddonTable is data/eks-addons.json.
type AddonTable struct {
	What   string  `json:"what"`
	Read   string  `json:"read"`
	Addons []Addon `json:"addons"`
}

// AMIRelease is one amazon-eks-ami release and the minors it built AL2023 images for.
type AMIRelease struct {
	Release    string   `json:"release"`
	Kubernetes []string `json:"kubernetes"`
	Abandoned  bool     `json:"abandoned,omitempty"`
}

// AMITable is data/amazon-eks-ami.json.
type AMITable struct {
	What     string       `json:"what"`
	Source   string       `json:"source"`
	Read     string       `json:"read"`
	Releases []AMIRelease `json:"releases"`
}

// ChartGate is the Kubernetes range of the chart versions starting with Versions.
type ChartGate struct {
	Chart         string `json:"chart"`
	Versions      string `json:"versions"`
	App           string `json:"app"`
	MinKubernetes string `json:"minKubernetes"`
	MaxKubernetes string `json:"maxKubernetes,omitempty"`
	Source        string `json:"source"`
}

// ChartTable is data/charts.json.
type ChartTable struct {
	What   string      `json:"what"`
	Read   string      `json:"read"`
	Charts []ChartGate `json:"charts"`
}

// The tables, read once from the embedded files. A file that does not parse is a defect of
// this repository (TestTables_Parse), so loading panics with the file's name.
var (
	Cilium = load[CiliumTable]("cilium-kubernetes.json")
	Addons = load[AddonTable]("eks-addons.json")
	AMIs   = load[AMITable]("amazon-eks-ami.json")
	Charts = load[ChartTable]("charts.json")
)

func load[T any](name string) T {
	var v T
	b, err := data.ReadFile("data/" + name)
	if err == nil {
		err = json.Unmarshal(b, &v)
	}
	if err != nil {
		panic(fmt.Sprintf("versions: data/%s: %v", name, err))
	}
	return v
}

// Addon names, as EKS spells them.
const (
	CoreDNS          = "coredns"
	PodIdentityAgent = "eks-pod-identity-agent"
	KubeProxy        = "kube-proxy"
)

// CiliumTested returns the Kubernetes minors a Cilium minor ("1.19") is e2e-tested on and the
// source; known is false when the table has no list for it.
func CiliumTested(ciliumMinor string) (kubernetes []string, source string, known bool) {
	for _, r := range Cilium.Releases {
		if r.Cilium == ciliumMinor {
			return r.Kubernetes, r.Source, true
		}
	}
	return nil, "", false
}

// CiliumUnknownNote says why a Cilium minor has no tested list, or "".
func CiliumUnknownNote(ciliumMinor string) string {
	for _, u := range Cilium.Unknown {
		if u.Cilium == ciliumMinor {
			return u.Note
		}
	}
	return ""
}

// AddonFor returns the addon version for a Kubernetes minor; ok is false when the table has
// no row for it.
func AddonFor(addon, kubernetesMinor string) (AddonVersion, bool) {
	for _, a := range Addons.Addons {
		if a.Name != addon {
			continue
		}
		for _, v := range a.Versions {
			if v.Kubernetes == kubernetesMinor {
				return v, true
			}
		}
	}
	return AddonVersion{}, false
}

// AMIReleaseOf returns the table's row of an amazon-eks-ami release ("v20260714").
func AMIReleaseOf(release string) (AMIRelease, bool) {
	i := slices.IndexFunc(AMIs.Releases, func(r AMIRelease) bool { return r.Release == release })
	if i < 0 {
		return AMIRelease{}, false
	}
	return AMIs.Releases[i], true
}

// NewestAMIRelease is the newest published release in the table that built images for the
// Kubernetes minor, or "".
func NewestAMIRelease(kubernetesMinor string) string {
	for i := len(AMIs.Releases) - 1; i >= 0; i-- {
		r := AMIs.Releases[i]
		if !r.Abandoned && slices.Contains(r.Kubernetes, kubernetesMinor) {
			return r.Release
		}
	}
	return ""
}

// ChartGateOf returns the Kubernetes range of a chart version; ok is false when the table
// does not know the version.
func ChartGateOf(chart, version string) (ChartGate, bool) {
	for _, g := range Charts.Charts {
		if g.Chart == chart && strings.HasPrefix(version, g.Versions) {
			return g, true
		}
	}
	return ChartGate{}, false
}

// Minor is the MAJOR.MINOR of a version ("1.19.6" -> "1.19", "1.35" -> "1.35"); "" when the
// text does not start with two numbers.
func Minor(version string) string {
	parts := strings.SplitN(strings.TrimPrefix(version, "v"), ".", 3)
	if len(parts) < 2 {
		return ""
	}
	if _, err := strconv.Atoi(parts[0]); err != nil {
		return ""
	}
	minor := parts[1]
	if i := strings.IndexFunc(minor, func(r rune) bool { return r < '0' || r > '9' }); i >= 0 {
		minor = minor[:i]
	}
	if _, err := strconv.Atoi(minor); err != nil {
		return ""
	}
	return parts[0] + "." + minor
}

// MinorsBetween is how many minors b is ahead of a (negative when behind); ok is false when
// either is not a version or the majors differ.
func MinorsBetween(a, b string) (n int, ok bool) {
	ma, na, okA := split(Minor(a))
	mb, nb, okB := split(Minor(b))
	if !okA || !okB || ma != mb {
		return 0, false
	}
	return nb - na, true
}

// NextMinor is the minor after m ("1.34" -> "1.35"); "" when m is not a version.
func NextMinor(m string) string { return addMinor(m, 1) }

// PreviousMinor is the minor before m.
func PreviousMinor(m string) string { return addMinor(m, -1) }

func addMinor(m string, d int) string {
	major, minor, ok := split(Minor(m))
	if !ok || minor+d < 0 {
		return ""
	}
	return strconv.Itoa(major) + "." + strconv.Itoa(minor+d)
}

func split(m string) (major, minor int, ok bool) {
	a, b, found := strings.Cut(m, ".")
	if !found {
		return 0, 0, false
	}
	x, err1 := strconv.Atoi(a)
	y, err2 := strconv.Atoi(b)
	return x, y, err1 == nil && err2 == nil
}

// CompareAddonVersions orders EKS addon versions (v1.13.2-eksbuild.7): by the numbers of the
// semantic version, then by the eksbuild number. ok is false when either has another shape.
func CompareAddonVersions(a, b string) (cmp int, ok bool) {
	na, okA := addonNumbers(a)
	nb, okB := addonNumbers(b)
	if !okA || !okB {
		return 0, false
	}
	return slices.Compare(na, nb), true
}

func addonNumbers(v string) ([]int, bool) {
	rest, ok := strings.CutPrefix(v, "v")
	if !ok {
		return nil, false
	}
	semver, build, ok := strings.Cut(rest, "-eksbuild.")
	if !ok {
		return nil, false
	}
	var out []int
	for _, p := range append(strings.Split(semver, "."), build) {
		n, err := strconv.Atoi(p)
		if err != nil {
			return nil, false
		}
		out = append(out, n)
	}
	return out, len(out) == 4
}
