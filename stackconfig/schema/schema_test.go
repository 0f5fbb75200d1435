package schema

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
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
	if len(files) != 4 {
		t.Fatalf("generated %d files, want the provider arguments, Pulumi.yaml, the reference and the keys", len(files))
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

// TestKeys_NameEveryFieldOutsideAList: the generated keys are the reference's keys, each
// named after its path, and none is inside a list element.
func TestKeys_NameEveryFieldOutsideAList(t *testing.T) {
	decl, err := Load("..")
	if err != nil {
		t.Fatal(err)
	}
	src, err := Keys(decl)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ path, name string }{
		{"cluster.existing", "KeyClusterExisting"},
		{"cilium.clusterPoolIPv4PodCIDRList", "KeyCiliumClusterPoolIPv4PodCIDRList"},
		{"chartSources.awsLoadBalancerController.crds", "KeyChartSourcesAwsLoadBalancerControllerCrds"},
		{"clusterMesh.id", "KeyClusterMeshId"},
	} {
		line := tt.name + " = " + strconv.Quote("eks-cilium:"+tt.path)
		if !strings.Contains(strings.Join(strings.Fields(string(src)), " "), line) {
			t.Errorf("the keys lack %s", line)
		}
	}
	if strings.Contains(string(src), "[]") || strings.Contains(string(src), "KeyNodeGroupsName") {
		t.Errorf("the keys name a field inside a list element:\n%s", src)
	}
}
