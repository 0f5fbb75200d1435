package stackconfig

import (
	"fmt"
	"reflect"

	"gopkg.in/yaml.v3"
)

// Defaults returns the configuration used for every key a stack leaves out: each field's
// `default` tag (see the package comment). Pulumi.yaml declares the same defaults; it is
// generated from these declarations.
func Defaults() Config { return Default[Config]() }

// Default returns a T with the `default` tag of every field applied, nested structs
// included; fields without one keep their zero value. The decoder starts every object it
// reads (a section, a list element, an optional object) from this, so a key left out of a
// stack file and a field left unset by a Go program get the same value. Go programs that
// build a configuration start from it too, e.g. Default[NodeGroupConfig]().
func Default[T any]() T {
	var v T
	if t := reflect.TypeFor[T](); t.Kind() == reflect.Struct {
		applyDefaults(reflect.ValueOf(&v).Elem())
	}
	return v
}

// applyDefaults sets every field of the struct v that declares a default.
func applyDefaults(v reflect.Value) {
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		if jsonName(f) == "" {
			continue
		}
		if _, ok := f.Tag.Lookup("default"); ok {
			v.Field(i).Set(DefaultOf(f))
			continue
		}
		if f.Type.Kind() == reflect.Struct {
			applyDefaults(v.Field(i))
		}
	}
}

// DefaultOf is the value of a field's `default` tag, of the field's type: a string field
// takes the text as it is, any other type reads it as a YAML literal. A tag that does not
// parse is a mistake in this package's declarations (TestDefaults_EveryTagParses reads each
// one), so it panics with the field's name rather than decoding anything wrongly.
func DefaultOf(f reflect.StructField) reflect.Value {
	text, ok := f.Tag.Lookup("default")
	if !ok {
		return reflect.Zero(f.Type)
	}
	v := reflect.New(f.Type).Elem()
	if f.Type.Kind() == reflect.String {
		v.SetString(text)
		return v
	}
	if err := yaml.Unmarshal([]byte(text), v.Addr().Interface()); err != nil {
		panic(fmt.Sprintf("stackconfig: field %s: default %q is not a %s: %v", f.Name, text, f.Type, err))
	}
	return v
}
