package lbcpolicy

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
	"unicode"
)

func TestRelease_PolicyIsTheFileDownloadedFromTheTag(t *testing.T) {
	for _, v := range ChartVersions() {
		r, _ := ForChart(v)
		sum := sha256.Sum256([]byte(r.Policy))
		if got := hex.EncodeToString(sum[:]); got != r.SHA256 {
			t.Errorf("chart %s: embedded policy sha256 %s, want %s (the file at %s)", v, got, r.SHA256, r.URL)
		}
		if !strings.Contains(r.URL, "/"+r.AppVersion+"/docs/install/iam_policy.json") {
			t.Errorf("chart %s: policy URL %s is not the app version %s's docs/install/iam_policy.json", v, r.URL, r.AppVersion)
		}
	}
}

type statement struct {
	Effect   string
	Action   any
	Resource any
}

func actions(t *testing.T, policy string) map[string]bool {
	t.Helper()
	var doc struct {
		Version   string
		Statement []statement
	}
	if err := json.Unmarshal([]byte(policy), &doc); err != nil {
		t.Fatalf("policy is not JSON: %v", err)
	}
	if doc.Version != "2012-10-17" {
		t.Errorf("policy Version %q, want 2012-10-17", doc.Version)
	}
	out := map[string]bool{}
	for i, s := range doc.Statement {
		if s.Effect != "Allow" {
			t.Errorf("statement %d: Effect %q", i, s.Effect)
		}
		switch a := s.Action.(type) {
		case string:
			out[a] = true
		case []any:
			for _, x := range a {
				out[x.(string)] = true
			}
		}
	}
	return out
}

// The controller registers nodes as instance targets and manages the security-group rules
// that let the NLB reach them; without these the NLB of the e2e test never answers.
func TestRelease_PolicyAllowsInstanceTargets(t *testing.T) {
	for _, v := range ChartVersions() {
		r, _ := ForChart(v)
		got := actions(t, r.Policy)
		for _, want := range []string{
			"elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateTargetGroup",
			"elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets",
			"ec2:DescribeInstances", "ec2:AuthorizeSecurityGroupIngress", "ec2:DescribeSecurityGroups",
		} {
			if !got[want] {
				t.Errorf("chart %s: policy does not allow %s", v, want)
			}
		}
	}
}

// IAM limits all inline policies of a role to 10,240 characters, whitespace not counted
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html, "Role policy
// size"); the policy is attached inline, so it must fit with room to spare.
func TestRelease_PolicyFitsAnInlineRolePolicy(t *testing.T) {
	const limit = 10240
	for _, v := range ChartVersions() {
		r, _ := ForChart(v)
		n := 0
		for _, c := range r.Policy {
			if !unicode.IsSpace(c) {
				n++
			}
		}
		t.Logf("chart %s: %d non-whitespace characters of %d", v, n, limit)
		if n > limit {
			t.Errorf("chart %s: policy has %d characters without whitespace, IAM allows %d inline per role", v, n, limit)
		}
	}
}

func TestForChart_RefusesAVersionWithoutItsPolicy(t *testing.T) {
	if _, ok := ForChart("3.4.0"); ok {
		t.Error("ForChart(3.4.0) found a release; only versions whose policy is embedded may be installed")
	}
	if got := ChartVersions(); len(got) != 1 || got[0] != "3.5.0" {
		t.Errorf("ChartVersions() = %v, want [3.5.0]", got)
	}
}
