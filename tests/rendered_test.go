package tests

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/eks-cilium/eks-cilium/plan"
	"github.com/eks-cilium/eks-cilium/render"
	"github.com/eks-cilium/eks-cilium/stackconfig"
)

var update = flag.Bool("update", false, "rewrite stacks/rendered/<stack>.json from the current program")

// snapshotDate is the day the Kubernetes version lifecycle is checked against in this package
// (plan.Today), so that the golden snapshots and every render here stay the same as the
// calendar moves. Move it forward together with the shipped stacks' Kubernetes version.
var snapshotDate = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

func TestMain(m *testing.M) {
	plan.Today = func() time.Time { return snapshotDate }
	os.Exit(m.Run())
}

// TestRendered_MatchesSnapshots re-renders every shipped stack and compares it with the
// committed snapshot, so a pull request that changes infrastructure shows the change as a
// diff of stacks/rendered/*.json.
func TestRendered_MatchesSnapshots(t *testing.T) {
	for _, path := range shippedStacks(t) {
		stack := stackconfig.StackName(path)
		t.Run(stack, func(t *testing.T) {
			got, err := render.Stack(path, render.Options{}, "json", false)
			if err != nil {
				t.Fatalf("render %s: %v", path, err)
			}
			again, err := render.Stack(path, render.Options{}, "json", false)
			if err != nil || again != got {
				t.Fatalf("two renders of %s differ (err %v): the JSON must be deterministic", stack, err)
			}
			snap := filepath.Join("..", "stacks", "rendered", stack+".json")
			if *update {
				if err := os.MkdirAll(filepath.Dir(snap), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(snap, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(snap)
			if err != nil {
				t.Fatalf("no snapshot for stack %s (%v); create it with: go test -trimpath ./tests -run TestRendered -update", stack, err)
			}
			if !bytes.Equal(want, []byte(got)) {
				t.Errorf("stacks/rendered/%s.json is out of date:\n%s\nIf the change is intended, regenerate with: go test -trimpath ./tests -run TestRendered -update",
					stack, firstDifference(string(want), got))
			}
		})
	}
}

// firstDifference shows the first differing line with a little context.
func firstDifference(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return fmt.Sprintf("line %d:", i+1) + "\n  snapshot: " + w + "\n  rendered: " + g
		}
	}
	return "(same lines, different bytes)"
}
