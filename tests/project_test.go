// Package tests holds the program-level tests: the shipped stacks through Pulumi's own
// project loader, through the real program under mocks, and through the offline render.
package tests

import (
	"encoding/json"
	"io"
	"path/filepath"
	"reflect"
	"sort"
	"testing"

	"github.com/eks-cilium/eks-cilium/ipplan"
	"github.com/eks-cilium/eks-cilium/stackconfig"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag/colors"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
)

func shippedStacks(t *testing.T) []string {
	t.Helper()
	paths, err := filepath.Glob("../stacks/Pulumi.*.yaml")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no shipped stacks under ../stacks (err %v)", err)
	}
	sort.Strings(paths)
	return paths
}

func loadProject(t *testing.T) *workspace.Project {
	t.Helper()
	proj, err := workspace.LoadProject("../Pulumi.yaml")
	if err != nil {
		t.Fatalf("Pulumi's own loader rejects Pulumi.yaml: %v", err)
	}
	return proj
}

// TestProject_LoadsWithPulumisLoader fails CI, not a user's `pulumi up`, when Pulumi.yaml breaks.
func TestProject_LoadsWithPulumisLoader(t *testing.T) {
	proj := loadProject(t)
	if proj.Name.String() != stackconfig.Namespace || proj.Runtime.Name() != "go" || proj.StackConfigDir != "stacks" {
		t.Fatalf("project = name %q runtime %q stackConfigDir %q; want eks-cilium, go, stacks",
			proj.Name, proj.Runtime.Name(), proj.StackConfigDir)
	}
	for _, key := range []string{"vpc", "cluster", "nodeGroups", "cilium"} {
		ct, ok := proj.Config[key]
		if !ok {
			t.Errorf("Pulumi.yaml does not declare config key %q", key)
			continue
		}
		if ct.Type == nil || ct.Description == "" {
			t.Errorf("config key %q needs a type and a description", key)
		}
	}
}

// TestProject_StacksMatchDeclaredConfigTypes checks every key of every shipped stack against
// the type Pulumi.yaml declares for it, as the Pulumi CLI does before running the program.
func TestProject_StacksMatchDeclaredConfigTypes(t *testing.T) {
	proj := loadProject(t)
	sink := diag.DefaultSink(io.Discard, io.Discard, diag.FormatOptions{Color: colors.Never})
	for _, path := range shippedStacks(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			ps, err := workspace.LoadProjectStack(sink, proj, path)
			if err != nil {
				t.Fatalf("Pulumi's loader rejects %s: %v", path, err)
			}
			if len(ps.Config) == 0 {
				t.Fatalf("%s has no config", path)
			}
			for key, value := range ps.Config {
				if key.Namespace() != proj.Name.String() {
					continue // other packages' keys (aws:region) are typed by their providers
				}
				decl, ok := proj.Config[key.Name()]
				if !ok {
					if !optionalSection(key.Name()) {
						t.Errorf("%s sets %s, which Pulumi.yaml does not declare", path, key)
					}
					continue
				}
				v, err := value.ToObject()
				if err != nil {
					t.Errorf("%s: %v", key, err)
					continue
				}
				if !workspace.ValidateConfigValue(decl.TypeName(), decl.Items, v) {
					t.Errorf("%s: value %v is not of the declared type %s", key, v, decl.TypeName())
				}
			}
		})
	}
}

// TestProject_DefaultsMatchGo: the defaults Pulumi.yaml declares (the CLI hands them to the
// program for a section a stack leaves out) decode to stackconfig's, and the required sections
// have none, so that the CLI refuses a stack without them.
func TestProject_DefaultsMatchGo(t *testing.T) {
	proj := loadProject(t)
	values := map[string]string{}
	for key, want := range map[string]bool{"vpc": true, "cluster": true, "cilium": false, "nodeGroups": false} {
		def := proj.Config[key].Default
		if (def != nil) != want {
			t.Fatalf("Pulumi.yaml declares %s with default %v; want a default: %v", key, def, want)
		}
		if def == nil {
			continue
		}
		b, err := json.Marshal(def)
		if err != nil {
			t.Fatal(err)
		}
		values[stackconfig.Namespace+":"+key] = string(b)
	}
	got, err := stackconfig.Decode("defaults", values)
	if err != nil {
		t.Fatalf("Pulumi.yaml defaults do not decode: %v", err)
	}
	want := stackconfig.Defaults()
	want.Stack = "defaults"
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Pulumi.yaml defaults decode to\n%+v\nstackconfig.Defaults() is\n%+v", got, want)
	}
}

// TestShippedStacks_PassValidation: dev and prod are valid and shaped as promised.
func TestShippedStacks_PassValidation(t *testing.T) {
	want := map[string]struct{ azs, nodeGroups, podCIDRs int }{
		"dev":  {2, 1, 1},
		"prod": {3, 2, 2},
	}
	seen := 0
	for _, path := range shippedStacks(t) {
		cfg, _, err := stackconfig.LoadFile(path)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		plan, err := ipplan.New(cfg)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		w, ok := want[cfg.Stack]
		if !ok {
			continue
		}
		seen++
		if len(plan.Subnets) != w.azs || len(plan.NodeGroups) != w.nodeGroups || len(plan.PodCIDRs) != w.podCIDRs {
			t.Errorf("%s: %d AZs, %d node groups, %d pod CIDRs; want %+v", cfg.Stack, len(plan.Subnets), len(plan.NodeGroups), len(plan.PodCIDRs), w)
		}
	}
	if seen != len(want) {
		t.Errorf("found %d of the stacks %v", seen, want)
	}
}
