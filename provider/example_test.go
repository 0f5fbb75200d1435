package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"gopkg.in/yaml.v3"
)

// examplePath is the Pulumi YAML consumer of the package, relative to this directory.
var examplePath = filepath.Join("..", "examples", "yaml", "Pulumi.yaml")

type yamlProgram struct {
	Runtime   string            `yaml:"runtime"`
	Packages  map[string]string `yaml:"packages"`
	Resources map[string]struct {
		Type       string         `yaml:"type"`
		Properties map[string]any `yaml:"properties"`
	} `yaml:"resources"`
	Outputs map[string]string `yaml:"outputs"`
}

func loadExample(t *testing.T) yamlProgram {
	t.Helper()
	data, err := os.ReadFile(examplePath)
	if err != nil {
		t.Fatalf("reading the example: %v", err)
	}
	var prog yamlProgram
	if err := yaml.Unmarshal(data, &prog); err != nil {
		t.Fatalf("%s is not valid YAML: %v", examplePath, err)
	}
	return prog
}

// platformProperties returns the properties of the example's Platform resources by name.
func platformProperties(t *testing.T, prog yamlProgram) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for name, r := range prog.Resources {
		if r.Type == platformToken {
			out[name] = r.Properties
		}
	}
	if len(out) == 0 {
		t.Fatalf("%s instantiates no %s", examplePath, platformToken)
	}
	return out
}

func TestExample_IsAYamlProgramUsingThePackage(t *testing.T) {
	// Pulumi's own loader validates the project file against its JSON schema, as the CLI does.
	if _, err := workspace.LoadProject(examplePath); err != nil {
		t.Fatalf("the Pulumi CLI would reject %s: %v", examplePath, err)
	}
	prog := loadExample(t)
	if prog.Runtime != "yaml" {
		t.Errorf("runtime = %q, want yaml", prog.Runtime)
	}
	src, ok := prog.Packages["eks-cilium"]
	if !ok || !strings.HasPrefix(src, "github.com/eks-cilium/eks-cilium/provider@") {
		t.Errorf("packages.eks-cilium = %q, want github.com/eks-cilium/eks-cilium/provider@<tag>", src)
	}
	spec := packageSchema(t)
	for name, r := range prog.Resources {
		if strings.HasPrefix(r.Type, "eks-cilium:") {
			if _, ok := spec.Resources[r.Type]; !ok {
				t.Errorf("resource %s has type %s, which the schema does not define", name, r.Type)
			}
		}
	}
	platformProperties(t, prog)
}

func TestExample_PropertiesMatchTheSchema(t *testing.T) {
	spec := packageSchema(t)
	res := platformSpec(t, spec)
	for name, props := range platformProperties(t, loadExample(t)) {
		checkObject(t, spec, name, props, res.InputProperties, res.RequiredInputs)
	}
}

// checkObject checks a YAML mapping against schema properties: no unknown key, every
// required key present, values of the declared type, nested objects recursively.
func checkObject(t *testing.T, spec schema.PackageSpec, path string, obj map[string]any,
	props map[string]schema.PropertySpec, required []string,
) {
	t.Helper()
	for _, r := range required {
		if _, ok := obj[r]; !ok {
			t.Errorf("%s: required property %s is missing", path, r)
		}
	}
	for key, v := range obj {
		prop, ok := props[key]
		if !ok {
			t.Errorf("%s.%s: not a property of the schema (known: %v)", path, key, keys(props))
			continue
		}
		checkValue(t, spec, path+"."+key, v, prop.TypeSpec)
	}
}

func checkValue(t *testing.T, spec schema.PackageSpec, path string, v any, ts schema.TypeSpec) {
	t.Helper()
	if ts.Ref != "" {
		if ts.Ref == "pulumi.json#/Any" {
			return
		}
		tok, typ := objectType(t, spec, ts)
		obj, ok := v.(map[string]any)
		if !ok {
			t.Errorf("%s: want an object (%s), got %T", path, tok, v)
			return
		}
		checkObject(t, spec, path, obj, typ.Properties, typ.Required)
		return
	}
	switch ts.Type {
	case "string":
		if _, ok := v.(string); !ok {
			t.Errorf("%s: want a string, got %T %v (quote versions such as \"1.33\")", path, v, v)
		}
	case "integer":
		if _, ok := v.(int); !ok {
			t.Errorf("%s: want an integer, got %T %v", path, v, v)
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			t.Errorf("%s: want a boolean, got %T %v", path, v, v)
		}
	case "array":
		list, ok := v.([]any)
		if !ok {
			t.Errorf("%s: want a list, got %T", path, v)
			return
		}
		for i, item := range list {
			checkValue(t, spec, path+"["+strconv.Itoa(i)+"]", item, *ts.Items)
		}
	case "object":
		obj, ok := v.(map[string]any)
		if !ok {
			t.Errorf("%s: want a mapping, got %T", path, v)
			return
		}
		if ts.AdditionalProperties != nil {
			for k, item := range obj {
				checkValue(t, spec, path+"."+k, item, *ts.AdditionalProperties)
			}
		}
	}
}

var interpolation = regexp.MustCompile(`^\$\{([A-Za-z0-9_-]+)\.([A-Za-z0-9_]+)\}$`)

func TestExample_OutputsReadPlatformOutputs(t *testing.T) {
	prog := loadExample(t)
	res := platformSpec(t, packageSchema(t))
	platforms := platformProperties(t, prog)
	if len(prog.Outputs) == 0 {
		t.Fatal("the example exports nothing")
	}
	for name, expr := range prog.Outputs {
		m := interpolation.FindStringSubmatch(expr)
		if m == nil {
			t.Errorf("output %s = %q, want ${<resource>.<output>}", name, expr)
			continue
		}
		if _, ok := platforms[m[1]]; !ok {
			continue // another resource's output
		}
		if _, ok := res.Properties[m[2]]; !ok {
			t.Errorf("output %s reads %s.%s, which is not an output of %s (outputs: %v)",
				name, m[1], m[2], platformToken, keys(res.Properties))
		}
	}
}

// The example is not only well typed: the planner accepts it and the Platform constructs.
func TestExample_ConstructsUnderMocks(t *testing.T) {
	for name, props := range platformProperties(t, loadExample(t)) {
		resp, _, err := construct(t, props)
		if err != nil {
			t.Fatalf("the example's %s does not construct: %v", name, err)
		}
		cilium := props["cilium"].(map[string]any)
		want := make([]property.Value, 0)
		for _, c := range cilium["clusterPoolIPv4PodCIDRList"].([]any) {
			want = append(want, property.New(c.(string)))
		}
		if got := resp.State.Get("podCidrs"); !got.Equals(property.New(want)) {
			t.Errorf("podCidrs = %v, want %v", got, want)
		}
		if cl, ok := props["cluster"].(map[string]any); ok && cl["name"] != nil {
			if got := resp.State.Get("clusterName"); !got.Equals(property.New(cl["name"].(string))) {
				t.Errorf("clusterName = %v, want %v", got, cl["name"])
			}
		}
	}
}
