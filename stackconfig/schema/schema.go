// Package schema reads the declarations of package stackconfig (struct tags by reflection,
// doc comments from the Go source) into one model of every configuration key, and derives
// from it what other consumers need: the component provider's argument types
// (provider/ekscilium/args_gen.go), the project file's config block (Pulumi.yaml) and the
// configuration reference (docs/configuration.md). `go generate ./stackconfig` writes them;
// TestGenerated_AreUpToDate fails when one is stale.
package schema

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/eks-cilium/eks-cilium/stackconfig"
)

// Object is a struct of the configuration: the whole stack (Config), a section or a nested
// object, with its fields in declaration order.
type Object struct {
	Type   reflect.Type
	Fields []*Field
	// Doc is the type's doc comment as a description, for a type several keys hold.
	Doc string
}

// Field is one key of the configuration as declared in package stackconfig.
type Field struct {
	// Name is the key as written (the json tag); GoName the struct field's name.
	Name, GoName string
	// Path is the key below the namespace as the reference writes it: vpc.cidr,
	// nodeGroups[].name, karpenter.nodePools[].minInstance.cpu.
	Path string
	// Type is the field's Go type.
	Type reflect.Type
	// Doc is the field's doc comment as a description: unwrapped, without the Go name.
	Doc string
	// Default is the `default` tag's text (nil: no default) and DefaultValue its value, of the
	// field's type; Derived is the `derived` tag.
	Default      *string
	DefaultValue reflect.Value
	Derived      string
	// Required is `required:"true"`: a stack must set it.
	Required bool
	// Object is the struct the field holds (directly, by pointer or as list elements).
	Object *Object
}

// Key is the full key of a field, as problems name it: eks-cilium:vpc.cidr.
func (f *Field) Key() string { return stackconfig.Namespace + ":" + f.Path }

// Load reads the declarations: the types of stackconfig.Config by reflection, and the doc
// comments from the package's Go source in dir (the stackconfig directory).
func Load(dir string) (*Object, error) {
	docs, err := fieldDocs(dir)
	if err != nil {
		return nil, err
	}
	root := &Object{Type: reflect.TypeFor[stackconfig.Config]()}
	if err := root.load(docs, ""); err != nil {
		return nil, err
	}
	return root, nil
}

func (o *Object) load(docs map[string]string, prefix string) error {
	for i := range o.Type.NumField() {
		sf := o.Type.Field(i)
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if !sf.IsExported() || name == "-" || name == "" {
			continue
		}
		doc, ok := docs[o.Type.Name()+"."+sf.Name]
		if !ok || strings.TrimSpace(doc) == "" {
			return fmt.Errorf("stackconfig.%s.%s has no doc comment: it is the key's description", o.Type.Name(), sf.Name)
		}
		f := &Field{Name: name, GoName: sf.Name, Path: prefix + name, Type: sf.Type, Doc: describe(sf.Name, doc),
			Derived: sf.Tag.Get("derived"), Required: sf.Tag.Get("required") == "true"}
		if d, ok := sf.Tag.Lookup("default"); ok {
			f.Default, f.DefaultValue = &d, stackconfig.DefaultOf(sf)
		}
		if elem := structOf(sf.Type); elem != nil {
			f.Object = &Object{Type: elem, Doc: describe(elem.Name(), docs[elem.Name()])}
			sub := f.Path + "."
			if sf.Type.Kind() == reflect.Slice {
				sub = f.Path + "[]."
			}
			if err := f.Object.load(docs, sub); err != nil {
				return err
			}
		}
		o.Fields = append(o.Fields, f)
	}
	return nil
}

// structOf is the struct a field holds directly, through a pointer or as list elements.
func structOf(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	if t.Kind() == reflect.Struct {
		return t
	}
	return nil
}

// Walk calls fn for every field, depth first in declaration order.
func (o *Object) Walk(fn func(*Field)) {
	for _, f := range o.Fields {
		fn(f)
		if f.Object != nil {
			f.Object.Walk(fn)
		}
	}
}

// Objects are the distinct struct types below o (o excluded), in the order first met, each
// with the field that first holds it.
func (o *Object) Objects() []*Field {
	var out []*Field
	seen := map[reflect.Type]bool{}
	o.Walk(func(f *Field) {
		if f.Object != nil && !seen[f.Object.Type] {
			seen[f.Object.Type] = true
			out = append(out, f)
		}
	})
	return out
}

// Kind names a field's type for people: string, integer, boolean, list of strings, ...
func (f *Field) Kind() string { return kindName(f.Type) }

func kindName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Pointer:
		return kindName(t.Elem())
	case reflect.String:
		return "string"
	case reflect.Int, reflect.Int64:
		return "integer"
	case reflect.Bool:
		return "boolean"
	case reflect.Slice:
		return "list of " + plural(kindName(t.Elem()))
	case reflect.Map:
		if t.Elem().Kind() == reflect.Interface {
			return "object (any values)"
		}
		return "map of " + plural(kindName(t.Elem()))
	case reflect.Struct:
		return "object"
	}
	return t.String()
}

func plural(s string) string {
	if s == "object (any values)" {
		return "objects"
	}
	return s + "s"
}

// Primitive reports whether a field is a string, integer or boolean (possibly optional):
// the types a Pulumi package schema can give a default.
func (f *Field) Primitive() bool {
	t := f.Type
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String, reflect.Int, reflect.Int64, reflect.Bool:
		return true
	}
	return false
}

// describe turns a Go doc comment into a description: one line, without the leading Go name
// ("Cidr is the VPC's CIDR" reads "The VPC's CIDR").
func describe(goName, doc string) string {
	doc = strings.Join(strings.Fields(doc), " ")
	rest, ok := strings.CutPrefix(doc, goName+" ")
	if !ok {
		return doc
	}
	for _, verb := range []string{"is ", "are "} {
		if r, ok := strings.CutPrefix(rest, verb); ok {
			rest = r
			break
		}
	}
	r, n := utf8.DecodeRuneInString(rest)
	return string(unicode.ToUpper(r)) + rest[n:]
}

// fieldDocs reads the doc comment of every struct field declared in the Go files of dir,
// keyed "Type.Field", and of every type declared on its own, keyed "Type".
func fieldDocs(dir string) (map[string]string, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, err
	}
	docs := map[string]string{}
	fset := token.NewFileSet()
	for _, path := range paths {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		file, err := parser.ParseFile(fset, path, src, parser.ParseComments)
		if err != nil {
			return nil, err
		}
		ast.Inspect(file, func(n ast.Node) bool {
			if d, ok := n.(*ast.GenDecl); ok && d.Tok == token.TYPE && len(d.Specs) == 1 {
				docs[d.Specs[0].(*ast.TypeSpec).Name.Name] = d.Doc.Text()
				return true
			}
			spec, ok := n.(*ast.TypeSpec)
			if !ok {
				return true
			}
			st, ok := spec.Type.(*ast.StructType)
			if !ok {
				return false
			}
			for _, field := range st.Fields.List {
				for _, name := range field.Names {
					docs[spec.Name.Name+"."+name.Name] = field.Doc.Text()
				}
			}
			return false
		})
	}
	return docs, nil
}
