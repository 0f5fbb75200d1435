package rules_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/eks-cilium/eks-cilium/ipplan"
	"github.com/eks-cilium/eks-cilium/rules"
	"github.com/eks-cilium/eks-cilium/stackconfig"
)

// FuzzReadAndCheck feeds whole stack files through the part of the render's path that needs
// no Pulumi package: the reader and strict decoder (stackconfig.LoadBytes), the IP planner
// and the configuration rules, the checks platform.Validate runs before anything is
// registered. Whatever the bytes, nothing panics or hangs, and every refusal and warning is
// stackconfig.Problems whose lines name a key and a rule and stay short.
//
// It is the target CI fuzzes (.ci/run, 30 s): its packages import no Pulumi SDK, so the
// instrumented build is minutes. tests.FuzzStackFile adds Pulumi's loaders as a differential
// and the program under mocks; its seed corpus runs in every `go test`, but fuzzing it
// instruments pulumi-aws, which took over an hour on a 2-core machine.
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
	today := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, _, err := stackconfig.LoadBytes("fuzz", data)
		if err != nil {
			checkProblems(t, "reader", err)
			return
		}
		if _, err := ipplan.New(cfg); err != nil {
			checkProblems(t, "planner", err)
		}
		warnings, refusals := rules.Check(cfg, today)
		for _, probs := range []stackconfig.Problems{warnings, refusals} {
			if len(probs) > 0 {
				checkProblems(t, "rules", probs)
			}
		}
	})
}

// checkProblems: a refusal is Problems, each naming a key and a rule on one bounded line.
func checkProblems(t *testing.T, stage string, err error) {
	t.Helper()
	var probs stackconfig.Problems
	if !errors.As(err, &probs) || len(probs) == 0 {
		t.Fatalf("%s: refused with %T, not stackconfig.Problems: %v", stage, err, err)
	}
	for _, p := range probs {
		line := p.String()
		if p.Key == "" || p.Rule == "" || strings.ContainsAny(line, "\n\r") || len(line) > 2000 {
			t.Fatalf("%s: unreadable problem %+v:\n%s", stage, p, line)
		}
	}
	if msg := probs.Error(); len(msg) > 64<<10 {
		t.Fatalf("%s: the message is %d bytes", stage, len(msg))
	}
}
