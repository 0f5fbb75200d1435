package engine

import (
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/eks-cilium/eks-cilium/policies/pack"
	"github.com/eks-cilium/eks-cilium/program"
	"github.com/eks-cilium/eks-cilium/render"
	"github.com/eks-cilium/eks-cilium/stackconfig"
	"github.com/eks-cilium/eks-cilium/tests/enginetest"
	"github.com/eks-cilium/eks-cilium/tests/fixtures/badprogram"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
)

// buildPolicyPack compiles policies/ and returns the path of the binary. The CLI runs a Go
// policy pack given as a directory (`--policy-pack policies`) through the Go language host
// (runtime: go in PulumiPolicy.yaml), which is not published on the Go module proxy; given
// an executable, it launches it directly as the analyzer plugin (pulumi/pkg v3.274.1
// resource/plugin/analyzer_plugin.go, NewPolicyAnalyzer) and reads PulumiPolicy.yaml from
// the executable's directory, so the binary sits next to a copy of it.
func buildPolicyPack(t *testing.T) string {
	t.Helper()
	root := enginetest.RepoRoot(t)
	dir := t.TempDir()
	bin := filepath.Join(dir, "eks-cilium-policy-pack")
	buildLikeTheLanguageHost(t, filepath.Join(root, "policies"), bin)
	enginetest.CopyFile(t, filepath.Join(root, "policies", "PulumiPolicy.yaml"), filepath.Join(dir, "PulumiPolicy.yaml"))
	return bin
}

// mandatoryPolicies are the names of the pack's mandatory policies.
func mandatoryPolicies() []string {
	var out []string
	for _, p := range pack.Policies() {
		if p.EnforcementLevel() == policyx.EnforcementLevelMandatory {
			out = append(out, p.Name())
		}
	}
	return out
}

// migrationOnly are the mandatory policies about an adopted cluster's migration state, which a
// program that creates its cluster cannot break; tests/migration_test.go shows each blocking a
// migrating stack (with a negative control).
var migrationOnly = map[string]bool{"vpc-cni-kept-until-removal": true, "cilium-migration-mode": true}

// findings are "policy (level)" strings, sorted and unique.
func findings(pairs [][2]string) []string {
	set := map[string]bool{}
	for _, p := range pairs {
		set[p[0]+" ("+p[1]+")"] = true
	}
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// offlineFindings runs the offline evaluator (`render -policy`) over a stack file.
func offlineFindings(t *testing.T, stackFile string, prog pulumi.RunFunc) []string {
	t.Helper()
	cfg, values, err := stackconfig.LoadFile(filepath.Join(enginetest.RepoRoot(t), stackFile))
	if err != nil {
		t.Fatal(err)
	}
	violations, err := render.EvaluatePolicies(cfg.Stack, values, render.Options{Program: prog})
	if err != nil {
		t.Fatalf("offline evaluation: %v", err)
	}
	var pairs [][2]string
	for _, v := range violations {
		pairs = append(pairs, [2]string{v.Policy, v.Level})
	}
	return findings(pairs)
}

// The deliberately wrong program is refused by every mandatory policy in its first preview,
// under the real engine running the pack built from policies/, and nothing is created.
func TestEngine_PolicyPackBlocksTheBadProgramInItsFirstPreview(t *testing.T) {
	s := enginetest.NewStack(t, "badprogram", "tests/fixtures/Pulumi.badprogram.yaml", badprogram.Run)
	bin := buildPolicyPack(t)
	op := s.Preview(optpreview.PolicyPacks(bin))
	if op.Err == nil {
		t.Fatalf("the first preview of the bad program passed the policy pack:\n%s", op.Output)
	}
	blocked := map[string]int{}
	for _, v := range op.PolicyViolations() {
		if v.EnforcementLevel == "mandatory" {
			blocked[v.PolicyName]++
		}
	}
	for _, name := range mandatoryPolicies() {
		if migrationOnly[name] {
			continue
		}
		if blocked[name] == 0 {
			t.Errorf("mandatory policy %s did not block the first preview (blocked: %v)\n%s", name, blocked, op.Output)
		}
	}
	if got := enginetest.Applied(op.Calls); len(got) > 0 {
		t.Errorf("the preview created resources:\n%s", enginetest.Describe(got))
	}
	t.Logf("first preview blocked by %v", blocked)
}

// The offline evaluator finds exactly the policies the engine's first preview finds, for the
// shipped stacks and the bad program: it can be no rosier than the real run.
func TestEngine_OfflinePolicyFindingsEqualTheFirstPreview(t *testing.T) {
	bin := buildPolicyPack(t)
	tests := []struct {
		stack, file string
		prog        pulumi.RunFunc
	}{
		{"dev", "stacks/Pulumi.dev.yaml", program.Run},
		{"prod", "stacks/Pulumi.prod.yaml", program.Run},
		{"badprogram", "tests/fixtures/Pulumi.badprogram.yaml", badprogram.Run},
	}
	for _, tt := range tests {
		t.Run(tt.stack, func(t *testing.T) {
			s := enginetest.NewStack(t, tt.stack, tt.file, tt.prog)
			op := s.Preview(optpreview.PolicyPacks(bin))
			var pairs [][2]string
			for _, v := range op.PolicyViolations() {
				pairs = append(pairs, [2]string{v.PolicyName, v.EnforcementLevel})
			}
			engine := findings(pairs)
			offline := offlineFindings(t, tt.file, tt.prog)
			if !slices.Equal(engine, offline) {
				t.Errorf("first preview found %v\noffline found       %v\n%s", engine, offline, op.Output)
			}
			wantFail := slices.ContainsFunc(engine, func(f string) bool { return strings.HasSuffix(f, "(mandatory)") })
			if (op.Err != nil) != wantFail {
				t.Errorf("preview error = %v, want failure %v:\n%s", op.Err, wantFail, op.Output)
			}
		})
	}
}
