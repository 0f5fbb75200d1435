package schema

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// TestGenerated_AreUpToDate fails when a file derived from the declarations differs from what
// `go generate ./stackconfig` would write now: a field was added or changed without
// regenerating.
func TestGenerated_AreUpToDate(t *testing.T) {
	files, err := Generate(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 3 {
		t.Fatalf("generated %d files, want the provider arguments, Pulumi.yaml and the reference", len(files))
	}
	for path, want := range files {
		got, err := os.ReadFile(filepath.Join("..", "..", path))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is stale: run `go generate ./stackconfig` and commit the result", path)
		}
	}
}

// Every key is described, and every optional key says what it is when left out.
func TestLoad_EveryFieldIsDescribedAndOptionalOnesSayTheirDefault(t *testing.T) {
	root, err := Load("..")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	root.Walk(func(f *Field) {
		n++
		if f.Doc == "" {
			t.Errorf("%s has no description", f.Key())
		}
		if f.Required && (f.Default != nil || f.Derived != "") {
			t.Errorf("%s is required and has a default", f.Key())
		}
		if f.Default != nil && f.Derived != "" {
			t.Errorf("%s has both a default and a derived default", f.Key())
		}
		optionalObject := f.Object != nil && f.Type.Kind() == reflect.Struct
		if !f.Required && f.Default == nil && f.Derived == "" && !optionalObject {
			t.Errorf("%s is optional but declares neither `default` nor `derived`", f.Key())
		}
	})
	if n < 50 {
		t.Errorf("walked %d fields; the configuration has more", n)
	}
}

func TestDescribe_DropsTheGoNameOfADocComment(t *testing.T) {
	for _, tc := range []struct{ name, doc, want string }{
		{"Cidr", "Cidr is the VPC's IPv4\nCIDR.", "The VPC's IPv4 CIDR."},
		{"Labels", "Labels are node labels.", "Node labels."},
		{"EnableSsm", "EnableSsm attaches a policy.", "Attaches a policy."},
		{"Version", "The version.", "The version."},
	} {
		if got := describe(tc.name, tc.doc); got != tc.want {
			t.Errorf("describe(%q, %q) = %q, want %q", tc.name, tc.doc, got, tc.want)
		}
	}
}
