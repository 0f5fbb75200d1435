package rules

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/eks-cilium/eks-cilium/stackconfig"
)

func version(v string) func(*stackconfig.Config) {
	return func(c *stackconfig.Config) { c.Cluster.Version = v }
}

func TestKubernetesVersionOn_Refuses(t *testing.T) {
	checkRefusals(t, []refusal{
		{"patch-level Kubernetes version", version("1.35.0"), keyClusterVersion, `minor version like "1.35"`, `"1.35"`, 0},
		{"latest", version("latest"), keyClusterVersion, "minor version", "", 0},
		// "1.3" is not "1.30": an unquoted 1.30 in YAML is the number 1.3.
		{"1.3 for 1.30", version("1.3"), keyClusterVersion, "is not a Kubernetes version EKS offers", `did you mean "1.30"?`, 0},
		{"a version EKS does not offer yet", version("1.99"), keyClusterVersion, "is not a Kubernetes version EKS offers", `use "1.35", the newest in standard support`, 0},
		{"a version long gone", version("1.21"), keyClusterVersion, "is not a Kubernetes version EKS offers", "", 0},
		{"past extended support", version("1.29"), keyClusterVersion, "left EKS extended support on 2026-03-23", `towards "1.35"`, 0},
		{"1.31 left extended support five days before", version("1.31"), keyClusterVersion, "left EKS extended support on 2026-11-26", "", 0},
	})
}

func TestKubernetesVersionOn_WarnsInExtendedSupport(t *testing.T) {
	cfg := validConfig()
	cfg.Cluster.Version = "1.33"
	w, r := Check(cfg, today)
	if len(r) != 0 || len(w) != 1 || w[0].Key != keyClusterVersion {
		t.Fatalf("warnings %v, refusals %v; want one warning for the version", w, r)
	}
	for _, want := range []string{"extended support since 2026-07-29", "until 2027-07-29", "towards 1.35"} {
		if !strings.Contains(w[0].Rule, want) {
			t.Errorf("warning %q lacks %q", w[0].Rule, want)
		}
	}
}

// The phases change at the start of the day the calendar names, in UTC.
func TestSupportOn_ChangesAtTheCalendarsDates(t *testing.T) {
	for _, tc := range []struct {
		version string
		day     string
		want    Support
	}{
		{"1.34", "2026-12-01", Standard},
		{"1.34", "2026-12-02", Extended},
		{"1.34", "2027-12-01", Extended},
		{"1.34", "2027-12-02", Ended},
		{"1.35", "2026-12-01", Standard},
		{"1.3", "2026-12-01", Unknown},
	} {
		d, _ := time.Parse(time.DateOnly, tc.day)
		if _, got := SupportOn(tc.version, d.Add(23*time.Hour)); got != tc.want {
			t.Errorf("%s on %s: %v, want %v", tc.version, tc.day, got, tc.want)
		}
	}
}

// The default version is in standard support on the day this was decided (2026-12-01) and
// Cilium 1.19's e2e-tested range (1.32 to 1.35, Documentation/network/kubernetes/
// compatibility.rst of cilium v1.19.6); the calendar runs in order without gaps.
func TestDefaultVersion_IsInStandardSupportAndTestedWithCilium119(t *testing.T) {
	def := stackconfig.Defaults().Cluster.Version
	if _, s := SupportOn(def, today); s != Standard {
		t.Errorf("default %s is %v on %s", def, s, today.Format(time.DateOnly))
	}
	if !slices.Contains([]string{"1.32", "1.33", "1.34", "1.35"}, def) {
		t.Errorf("default %s is outside Cilium 1.19's tested Kubernetes versions", def)
	}
	if def != NewestStandard(today) {
		t.Errorf("default %s, newest in standard support %s", def, NewestStandard(today))
	}
	for i := 1; i < len(EKSVersions); i++ {
		prev, cur := EKSVersions[i-1], EKSVersions[i]
		if !prev.StandardEnd.Before(cur.StandardEnd) || !cur.StandardEnd.AddDate(1, 0, 0).Equal(cur.ExtendedEnd) {
			t.Errorf("calendar row %+v after %+v: out of order or extended support is not 12 months", cur, prev)
		}
	}
}

func TestCheckCoreDNS_Refuses(t *testing.T) {
	checkRefusals(t, []refusal{
		{"CoreDNS version not exact", func(c *stackconfig.Config) { c.Cluster.CorednsVersion = "1.12" }, "eks-cilium:cluster.corednsVersion", "exact EKS addon version", "describe-addon-versions", 0},
	})
}
