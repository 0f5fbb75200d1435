package tests

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/eks-cilium/eks-cilium/plan"
	"github.com/eks-cilium/eks-cilium/stackconfig"
	"github.com/eks-cilium/eks-cilium/stackconfig/schema"
	"gopkg.in/yaml.v3"
)

// A section declared required (a list of objects, or an object holding a required key) may
// be left out of a stack file, which the reader accepts: the planning pipeline refuses the
// stack then, naming the section. The reader itself refuses a required field left out of an
// object (provider/config_agreement_test.go checks each).
func TestRequired_SectionsLeftOutAreRefusedByThePlan(t *testing.T) {
	decl, err := schema.Load("../stackconfig")
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile("../stacks/Pulumi.dev.yaml")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, f := range decl.Fields {
		if !f.Required {
			continue
		}
		checked++
		t.Run(f.Name, func(t *testing.T) {
			var doc map[string]map[string]any
			if err := yaml.Unmarshal(data, &doc); err != nil {
				t.Fatal(err)
			}
			delete(doc["config"], f.Key())
			file, err := yaml.Marshal(doc)
			if err != nil {
				t.Fatal(err)
			}
			cfg, _, err := stackconfig.LoadBytes("dev", file)
			if err != nil {
				t.Fatalf("the reader refuses the stack without %s: %v", f.Key(), err)
			}
			_, err = plan.New(plan.Inputs{Config: cfg})
			var probs stackconfig.Problems
			if !errors.As(err, &probs) {
				t.Fatalf("the plan accepts the stack without %s: %v", f.Key(), err)
			}
			for _, p := range probs {
				if strings.HasPrefix(p.Key, f.Key()) {
					return
				}
			}
			t.Errorf("no problem names %s:\n%v", f.Key(), probs)
		})
	}
	if checked != 2 {
		t.Errorf("checked %d required sections, want nodeGroups and cilium", checked)
	}
}
