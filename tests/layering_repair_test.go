package tests

import (
	"os/exec"
	"strings"
	"testing"
)

// TestLayering_RepairDecisionsArePure holds package repair/triage to what it promises: it
// decides from plain values, so it imports no Pulumi, no Kubernetes client, no Helm and no
// component (package repair gathers the inputs and acts).
func TestLayering_RepairDecisionsArePure(t *testing.T) {
	cmd := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", "./repair/triage")
	cmd.Dir = ".."
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	if len(deps) == 0 || deps[len(deps)-1] != "github.com/eks-cilium/eks-cilium/repair/triage" {
		t.Fatalf("go list did not list repair/triage last: %v", deps)
	}
	for _, pkg := range deps {
		for _, forbidden := range []string{"github.com/pulumi/", "k8s.io/", "helm.sh/", "github.com/eks-cilium/eks-cilium/components/"} {
			if strings.HasPrefix(pkg, forbidden) {
				t.Errorf("repair/triage depends on %s", pkg)
			}
		}
	}
}
