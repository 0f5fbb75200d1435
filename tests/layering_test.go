package tests

import (
	"os/exec"
	"strings"
	"testing"
)

// planningPackages are the pure packages below the components: the configuration, the
// planning pipeline and everything it runs. Data flows down (configuration -> plan ->
// components), so none of them may import a component, nor Pulumi (the render, the tests and
// other programs plan a stack without an engine).
var planningPackages = []string{
	"./stackconfig", "./plan", "./ipplan", "./rules", "./hostports", "./guard", "./awsnames",
	"./instancetypes", "./charts/...", "./versions", "./fleet", "./migration",
}

// TestLayering_PlanningPackagesImportNoComponentAndNoPulumi holds the layering with `go list
// -deps`, which lists every package a package needs, directly or not.
func TestLayering_PlanningPackagesImportNoComponentAndNoPulumi(t *testing.T) {
	args := append([]string{"list", "-deps", "-f", "{{.ImportPath}} {{.Module}}"}, planningPackages...)
	cmd := exec.Command("go", args...)
	cmd.Dir = ".." // the patterns are relative to the repository root
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	seen := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, _, _ := strings.Cut(line, " ")
		seen++
		switch {
		case strings.HasPrefix(pkg, "github.com/eks-cilium/eks-cilium/components/"):
			t.Errorf("a planning package depends on the component %s", pkg)
		case strings.HasPrefix(pkg, "github.com/pulumi/"):
			t.Errorf("a planning package depends on Pulumi's %s", pkg)
		}
	}
	if seen < len(planningPackages) {
		t.Fatalf("go list listed %d packages for %d patterns", seen, len(planningPackages))
	}
}
