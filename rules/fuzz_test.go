package rules_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/eks-cilium/eks-cilium/ipplan"
	"github.com/eks-cilium/eks-cilium/rules"
	"github.com/eks-cilium/eks-cilium/stackconfig"
	"github.com/eks-cilium/eks-cilium/stackconfig/stackconfigtest"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
)

// FuzzReadAndCheck feeds whole stack files through the render's path up to the program: the
// reader and strict decoder (stackconfig.LoadBytes), the IP planner and the configuration
// rules, the checks the planning pipeline (plan.New) runs before anything is registered. Whatever the bytes:
//   - nothing panics or hangs, and every refusal and warning is stackconfig.Problems whose
//     lines name a key and a rule and stay short;
//   - a file the reader accepts, Pulumi's own loaders (stackconfigtest.SameAsPulumi, as `pulumi up` reads it)
//     read too, into the very same values: the render is at most stricter than Pulumi.
//
// It is the target CI fuzzes (.ci/run, 30 s): it imports Pulumi's SDK but no provider SDK, so
// the instrumented build stays short. tests.FuzzStackFile adds the program under mocks; its
// seeds run in every `go test`, but fuzzing it instruments pulumi-aws, which took over an
// hour on a 2-core machine.
func FuzzReadAndCheck(f *testing.F) {
	var seeds []string
	for _, pattern := range []string{"../stacks/Pulumi.*.yaml", "../tests/fixtures/*.yaml", "../tests/fixtures/*/*.yaml", "../tests/fixtures/*/*/*.yaml"} {
		m, err := filepath.Glob(pattern)
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, m...)
	}
	if len(seeds) < 40 {
		f.Fatalf("only %d seed files; the fixtures moved?", len(seeds))
	}
	for _, path := range seeds {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	proj, err := workspace.LoadProject("../Pulumi.yaml")
	if err != nil {
		f.Fatal(err)
	}
	today := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, values, err := stackconfig.LoadBytes("fuzz", data)
		if err != nil {
			mustBeReadable(t, "reader", err)
			return
		}
		if err := stackconfigtest.SameAsPulumi(proj, data, values); err != nil {
			t.Fatal(err)
		}
		if _, err := ipplan.New(cfg); err != nil {
			mustBeReadable(t, "planner", err)
		}
		warnings, refusals := rules.Check(cfg, today)
		for _, probs := range []stackconfig.Problems{warnings, refusals} {
			if len(probs) > 0 {
				mustBeReadable(t, "rules", probs)
			}
		}
	})
}

func mustBeReadable(t *testing.T, stage string, err error) {
	t.Helper()
	if err := stackconfigtest.Readable(err); err != nil {
		t.Fatalf("%s: %v", stage, err)
	}
}
