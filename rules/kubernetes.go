package rules

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/eks-cilium/eks-cilium/stackconfig"
)

// EKSVersion is one Kubernetes minor version on EKS with its support dates (UTC days).
type EKSVersion struct {
	Version string
	// StandardEnd is the first day of extended support (billed from the start of that day);
	// ExtendedEnd is the day EKS stops creating clusters of the version and starts upgrading
	// existing control planes.
	StandardEnd, ExtendedEnd time.Time
}

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// EKSVersions is the Amazon EKS Kubernetes release calendar, "Understand the Kubernetes
// version lifecycle on EKS" (https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html,
// section "Amazon EKS Kubernetes release calendar"; awsdocs/amazon-eks-user-guide
// latest/ug/versioning/kubernetes-versions.adoc) for 1.29 to 1.34. The dates of 1.35 (released
// on EKS in January 2026) are the page's as mirrored by https://endoflife.date/amazon-eks, since
// the copy of the page available here predates 1.35. Versions newer than the table are refused
// until a row is added here; no source for 1.36's EKS dates was available.
var EKSVersions = []EKSVersion{
	{"1.29", day("2025-03-23"), day("2026-03-23")},
	{"1.30", day("2025-07-23"), day("2026-07-23")},
	{"1.31", day("2025-11-26"), day("2026-11-26")},
	{"1.32", day("2026-03-23"), day("2027-03-23")},
	{"1.33", day("2026-07-29"), day("2027-07-29")},
	{"1.34", day("2026-12-02"), day("2027-12-02")},
	{"1.35", day("2027-03-27"), day("2028-03-27")},
}

// Support is where a version stands on a given day.
type Support int

// The three phases of an EKS version, and a version EKS does not offer.
const (
	Unknown Support = iota
	Standard
	Extended
	Ended
)

// SupportOn returns the version's row and its phase on the given day.
func SupportOn(version string, today time.Time) (EKSVersion, Support) {
	i := slices.IndexFunc(EKSVersions, func(v EKSVersion) bool { return v.Version == version })
	if i < 0 {
		return EKSVersion{}, Unknown
	}
	v := EKSVersions[i]
	d := today.UTC().Truncate(24 * time.Hour)
	switch {
	case d.Before(v.StandardEnd):
		return v, Standard
	case d.Before(v.ExtendedEnd):
		return v, Extended
	}
	return v, Ended
}

// NewestStandard is the newest version in standard support on the given day.
func NewestStandard(today time.Time) string {
	for i := len(EKSVersions) - 1; i >= 0; i-- {
		if _, s := SupportOn(EKSVersions[i].Version, today); s == Standard {
			return EKSVersions[i].Version
		}
	}
	return ""
}

var kubeVersionRe = regexp.MustCompile(`^1\.(0|[1-9][0-9]*)$`)

// KubernetesVersionOn checks eks-cilium:cluster.version against the EKS calendar on the day
// today: refused unless EKS offers it, warned in extended support, refused after it.
func KubernetesVersionOn(today time.Time) Concern {
	return func(cfg stackconfig.Config) (warnings, refusals stackconfig.Problems) {
		c := &collector{}
		v := cfg.Cluster.Version
		if !kubeVersionRe.MatchString(v) {
			example := strconv.Quote(stackconfig.Defaults().Cluster.Version)
			c.refuse(keyClusterVersion, v, "must be a Kubernetes minor version like "+example, "write it as a quoted string, e.g. version: "+example)
			return c.result()
		}
		row, support := SupportOn(v, today)
		newest := NewestStandard(today)
		date := func(t time.Time) string { return t.Format(time.DateOnly) }
		switch support {
		case Unknown:
			known := make([]string, len(EKSVersions))
			for i, r := range EKSVersions {
				known[i] = r.Version
			}
			fix := "use " + strconv.Quote(newest) + ", the newest in standard support"
			for _, k := range known {
				// "1.3" is not "1.30": YAML reads an unquoted 1.30 as the number 1.3.
				if strings.TrimRight(k, "0") == v {
					fix = "did you mean " + strconv.Quote(k) + "? Quote it: unquoted, YAML reads 1.30 as the number 1.3"
				}
			}
			c.refuse(keyClusterVersion, v, "is not a Kubernetes version EKS offers in this project's calendar ("+strings.Join(known, ", ")+"; rules/kubernetes.go, from the EKS release calendar)", fix)
		case Extended:
			c.warn(keyClusterVersion, v, fmt.Sprintf("is in EKS extended support since %s (billed extra per cluster hour) until %s, when EKS upgrades the control plane itself; upgrade one minor at a time towards %s",
				date(row.StandardEnd), date(row.ExtendedEnd), newest))
		case Ended:
			c.refuse(keyClusterVersion, v, fmt.Sprintf("left EKS extended support on %s: EKS creates no new clusters of it and upgrades existing control planes", date(row.ExtendedEnd)),
				"upgrade one minor at a time towards "+strconv.Quote(newest))
		}
		return c.result()
	}
}

// addonVersionRe is the shape of an EKS addon version, v<semver>-eksbuild.<n>
// (aws eks describe-addon-versions).
var addonVersionRe = regexp.MustCompile(`^v[0-9]+\.[0-9]+\.[0-9]+-eksbuild\.[0-9]+$`)

// CheckCoreDNS checks the pinned CoreDNS addon version's shape.
func CheckCoreDNS(cfg stackconfig.Config) (warnings, refusals stackconfig.Problems) {
	c := &collector{}
	if v := cfg.Cluster.CorednsVersion; v != "" && !addonVersionRe.MatchString(v) {
		c.refuse(keyCorednsVersion, v, "must be an exact EKS addon version like v1.12.1-eksbuild.2", "aws eks describe-addon-versions --addon-name coredns lists them")
	}
	return c.result()
}
