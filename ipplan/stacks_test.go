package ipplan

import (
	"path/filepath"
	"testing"

	"github.com/eks-cilium/eks-cilium/stackconfig"
)

func TestNew_AcceptsTheShippedStacks(t *testing.T) {
	files, err := filepath.Glob("../stacks/Pulumi.*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Skip("no stacks/Pulumi.*.yaml yet")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			cfg, _, err := stackconfig.LoadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			p, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("\n%s", p.Summary())
		})
	}
}
