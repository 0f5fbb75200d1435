package tests

import (
	"os"
	"testing"

	"github.com/eks-cilium/eks-cilium/plan"
	"github.com/eks-cilium/eks-cilium/render"
	"github.com/eks-cilium/eks-cilium/stackconfig"
	"github.com/eks-cilium/eks-cilium/stackconfig/stackconfigtest"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
)

// FuzzStackFile feeds whole stack files through the render's own path: the reader and the
// strict decoder (stackconfig.LoadBytes, as render.Stack does through LoadFile), the
// validation (plan.New) and the program under mocks (render.Run). Whatever the
// bytes:
//   - nothing panics, and every refusal is stackconfig.Problems whose lines name a key and a
//     rule and stay short;
//   - a file the render reads, Pulumi's own loaders read too, into the very same values
//     (the render is at most stricter than Pulumi, never more lenient or different);
//   - a configuration that validates renders.
//
// Seeded with every shipped stack and fixture; every `go test` runs the seeds. Fuzzing it
// instruments pulumi-aws (over an hour on 2 cores), so CI fuzzes rules.FuzzReadAndCheck (the
// same checks and the same Pulumi differential, without the program), and this runs locally:
//
//	go test -trimpath -run '^$' -fuzz '^FuzzStackFile$' -fuzztime 30s ./tests
func FuzzStackFile(f *testing.F) {
	for _, path := range stackFilesForParity(f) {
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
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, values, err := stackconfig.LoadBytes("fuzz", data)
		if err != nil {
			mustBeReadable(t, err)
			return
		}
		if err := stackconfigtest.SameAsPulumi(proj, data, values); err != nil {
			t.Fatal(err)
		}
		if _, err := plan.New(plan.Inputs{Config: cfg}); err != nil {
			mustBeReadable(t, err)
			return
		}
		if _, err := render.Run("fuzz", values, render.Options{}); err != nil {
			t.Fatalf("a validated configuration does not render: %v", err)
		}
	})
}

func mustBeReadable(t *testing.T, err error) {
	t.Helper()
	if err := stackconfigtest.Readable(err); err != nil {
		t.Fatal(err)
	}
}
