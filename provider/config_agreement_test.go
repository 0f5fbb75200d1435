package main

import (
	"bufio"
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/eks-cilium/eks-cilium/stackconfig"
	"github.com/eks-cilium/eks-cilium/stackconfig/schema"
	pschema "github.com/pulumi/pulumi/pkg/v3/codegen/schema"
	"gopkg.in/yaml.v3"
)

// TestConfig_EveryFieldAgreesInTheReaderTheSchemaAndTheReference holds the one declaration of
// each configuration field (package stackconfig) to its three consumers, field by field:
//   - the reader (stackconfig.LoadBytes, what `pulumi up` and the render read a stack file
//     with) reads the key into that field, applies the declared default when it is absent and
//     refuses a value of the wrong type naming the key;
//   - the component schema, as pulumi-go-provider generates it for `pulumi package
//     get-schema`, has the property with the declared description, default and requiredness;
//   - the reference page docs/configuration.md has a row with the declared type, default and
//     description.
func TestConfig_EveryFieldAgreesInTheReaderTheSchemaAndTheReference(t *testing.T) {
	decl, err := schema.Load("../stackconfig")
	if err != nil {
		t.Fatal(err)
	}
	spec := packageSchema(t)
	ref := referenceRows(t, "../docs/configuration.md")
	platform := platformSpec(t, spec)

	fields := 0
	decl.Walk(func(f *schema.Field) {
		fields++
		t.Run(f.Path, func(t *testing.T) {
			checkReader(t, f)
			checkSchema(t, spec, platform, f)
			checkReference(t, ref, f)
		})
	})
	if want := countJSONFields(reflect.TypeFor[stackconfig.Config]()); fields != want {
		t.Errorf("the declarations hold %d fields, reflection over stackconfig.Config finds %d", fields, want)
	}
}

// countJSONFields counts the keys of a configuration type by plain reflection, apart from the
// schema package, so that a field the model misses cannot go unchecked.
func countJSONFields(t reflect.Type) int {
	n := 0
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "" || name == "-" {
			continue
		}
		n++
		et := f.Type
		for et.Kind() == reflect.Pointer || et.Kind() == reflect.Slice {
			et = et.Elem()
		}
		if et.Kind() == reflect.Struct {
			n += countJSONFields(et)
		}
	}
	return n
}

// baseStack is the shipped dev stack, which sets every section (add-ons and Karpenter too):
// each field is checked by changing it alone in a stack that is otherwise valid.
const baseStack = "../stacks/Pulumi.dev.yaml"

// stackFile is the base stack with the field at path (segments; "nodePools[]" means the first
// element of nodePools) set to v, or removed when remove is true.
func stackFile(t *testing.T, path []string, v any, remove bool) []byte {
	t.Helper()
	data, err := os.ReadFile(baseStack)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	// No shipped stack is a mesh member or migrates: the sections are added with their
	// required keys.
	doc["config"].(map[string]any)[stackconfig.KeyClusterMesh] = map[string]any{"id": 1}
	doc["config"].(map[string]any)[stackconfig.Namespace+":migration"] = map[string]any{
		"phase": "install", "legacyNodeGroups": []any{"workers-a"}, "awsNode": "addon"}
	node := doc["config"]
	for i, seg := range path {
		name, list := strings.CutSuffix(seg, "[]")
		if i == 0 {
			name = stackconfig.Namespace + ":" + name
		}
		m, ok := node.(map[string]any)
		if !ok {
			t.Fatalf("%s: %s is not an object", baseStack, strings.Join(path[:i], "."))
		}
		if i == len(path)-1 {
			if remove {
				delete(m, name)
			} else {
				m[name] = v
			}
			break
		}
		if _, ok := m[name]; !ok {
			m[name] = map[string]any{}
			if list {
				m[name] = []any{map[string]any{}}
			}
		}
		node = m[name]
		if list {
			node = node.([]any)[0]
		}
	}
	out, err := yaml.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// valueAt follows a field path (Go names) through a decoded Config, taking the first element
// of lists and looking through pointers.
func valueAt(cfg stackconfig.Config, f *schema.Field) reflect.Value {
	v := reflect.ValueOf(cfg)
	for _, seg := range strings.Split(f.Path, ".") {
		name, list := strings.CutSuffix(seg, "[]")
		for v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return reflect.Value{}
			}
			v = v.Elem()
		}
		v = fieldByJSON(v, name)
		if list {
			if v.Len() == 0 {
				return reflect.Value{}
			}
			v = v.Index(0)
		}
	}
	return v
}

func fieldByJSON(v reflect.Value, name string) reflect.Value {
	for i := range v.NumField() {
		if n, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("json"), ","); n == name {
			return v.Field(i)
		}
	}
	panic("no field " + name + " in " + v.Type().String())
}

// sample is a value of the field's type unlike its default, and a value of another type.
func sample(f *schema.Field) (good, wrong any, ok bool) {
	t := f.Type
	switch t.Kind() {
	case reflect.String:
		return "sample-value", 7, true
	case reflect.Int:
		return 7, "seven", true
	case reflect.Bool:
		return !(f.Default != nil && f.DefaultValue.Bool()), "yes", true
	case reflect.Slice:
		if t.Elem().Kind() == reflect.String {
			return []any{"a", "b"}, "a", true
		}
	case reflect.Map:
		return map[string]any{"k": "v"}, []any{"k"}, true
	}
	return nil, nil, false // objects and lists of objects: their fields are checked one by one
}

func segments(f *schema.Field) []string { return strings.Split(f.Path, ".") }

func checkReader(t *testing.T, f *schema.Field) {
	segs := segments(f)
	if good, wrong, ok := sample(f); ok {
		file := stackFile(t, segs, good, false)
		cfg, _, err := stackconfig.LoadBytes("dev", file)
		if err != nil {
			t.Fatalf("the reader refuses %s set to %v:\n%v", f.Key(), good, err)
		}
		if got := valueAt(cfg, f); !got.IsValid() || jsonText(t, got.Interface()) != jsonText(t, good) {
			t.Errorf("the reader read %s = %v, the file sets %v", f.Key(), got, good)
		}
		_, _, err = stackconfig.LoadBytes("dev", stackFile(t, segs, wrong, false))
		if want := indexed(f.Key()) + ": "; err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("the reader does not refuse %s set to %v by its key: %v", f.Key(), wrong, err)
		}
	}

	// Left out: the declared default, or, for a required key, a refusal that names it.
	cfg, _, err := stackconfig.LoadBytes("dev", stackFile(t, segs, nil, true))
	switch {
	case f.Required && len(segs) > 1:
		if want := indexed(f.Key()) + ": (unset): is required"; err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("the reader accepts the stack without required %s: %v", f.Key(), err)
		}
	case f.Required:
		// A required section left out is the rules' to refuse (TestRequired_* in tests).
	case err != nil:
		t.Errorf("the reader refuses the stack without %s: %v", f.Key(), err)
	case f.Default != nil:
		if got := valueAt(cfg, f); !got.IsValid() || !reflect.DeepEqual(got.Interface(), f.DefaultValue.Interface()) {
			t.Errorf("absent %s reads as %v, declared default %s", f.Key(), got, *f.Default)
		}
	}
}

// indexed is a key as a problem names it: list elements by index.
func indexed(key string) string { return strings.ReplaceAll(key, "[]", "[0]") }

func checkSchema(t *testing.T, spec pschema.PackageSpec, platform pschema.ResourceSpec, f *schema.Field) {
	props, required := platform.InputProperties, platform.RequiredInputs
	segs := segments(f)
	owner := "eks-cilium:index:Platform"
	for _, seg := range segs[:len(segs)-1] {
		name, _ := strings.CutSuffix(seg, "[]")
		tok, typ := objectType(t, spec, props[name].TypeSpec)
		props, required, owner = typ.Properties, typ.Required, tok
	}
	name := f.Name
	prop, ok := props[name]
	if !ok {
		t.Fatalf("the schema's %s has no property %s", owner, name)
	}
	if prop.Description != f.SchemaDescription() {
		t.Errorf("schema description of %s.%s:\n  %q\ndeclared:\n  %q", owner, name, prop.Description, f.SchemaDescription())
	}
	if got := contains(required, name); got != f.Required {
		t.Errorf("schema %s.%s required = %v, declared %v", owner, name, got, f.Required)
	}
	switch {
	case f.Default != nil && f.Primitive():
		if jsonText(t, prop.Default) != jsonText(t, f.DefaultValue.Interface()) {
			t.Errorf("schema default of %s.%s = %v, declared %s", owner, name, prop.Default, *f.Default)
		}
	case prop.Default != nil:
		t.Errorf("schema %s.%s has default %v, none declared", owner, name, prop.Default)
	}
}

// referenceRow is one row of a table of docs/configuration.md, under its heading's key.
type referenceRow struct{ kind, def, desc string }

// referenceRows reads every table row of the reference page, keyed by the full path of the
// field (the heading's key and the row's key): cluster.version, nodeGroups[].name, ...
func referenceRows(t *testing.T, path string) map[string]referenceRow {
	t.Helper()
	file, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	rows := map[string]referenceRow{}
	prefix := ""
	sc := bufio.NewScanner(file)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			if _, key, ok := strings.Cut(line, "`"+stackconfig.Namespace+":"); ok {
				prefix, _, _ = strings.Cut(key, "`")
			}
			continue
		}
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		cells := splitRow(line)
		if len(cells) != 4 {
			t.Fatalf("%s: a row of %d cells: %s", path, len(cells), line)
		}
		rows[prefix+"."+strings.Trim(cells[0], "`")] = referenceRow{cells[1], cells[2], cells[3]}
	}
	return rows
}

// splitRow splits a Markdown table row at unescaped pipes and unescapes the cells.
func splitRow(line string) []string {
	var cells []string
	var cur strings.Builder
	line = strings.TrimSuffix(strings.TrimPrefix(line, "|"), "|")
	for i := 0; i < len(line); i++ {
		switch {
		case line[i] == '\\' && i+1 < len(line) && line[i+1] == '|':
			cur.WriteByte('|')
			i++
		case line[i] == '|':
			cells = append(cells, strings.TrimSpace(cur.String()))
			cur.Reset()
		default:
			cur.WriteByte(line[i])
		}
	}
	cells = append(cells, strings.TrimSpace(cur.String()))
	for i := range cells {
		cells[i] = strings.ReplaceAll(cells[i], "&lt;", "<")
	}
	return cells
}

func checkReference(t *testing.T, rows map[string]referenceRow, f *schema.Field) {
	if !strings.Contains(f.Path, ".") {
		return // a section: a heading of its own, checked through its fields' rows
	}
	row, ok := rows[f.Path]
	if !ok {
		t.Fatalf("docs/configuration.md has no row for %s", f.Key())
	}
	if row.kind != f.Kind() || row.def != f.DefaultText() || row.desc != f.Doc {
		t.Errorf("docs/configuration.md row of %s:\n  %q | %q | %q\ndeclared:\n  %q | %q | %q",
			f.Key(), row.kind, row.def, row.desc, f.Kind(), f.DefaultText(), f.Doc)
	}
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

func jsonText(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
