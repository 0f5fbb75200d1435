package stackconfig

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
)

// Decode builds a Config from config values as Pulumi hands them to a program: full keys
// ("eks-cilium:vpc", "aws:region") mapped to strings, objects and lists as JSON. Missing keys
// take Defaults(). Decoding is strict and driven by Config's types and json tags, so a field
// added to a struct is read without any change here:
//   - field names match exactly (json's case-insensitive matching is not used); an unknown
//     field is refused with the nearest known name;
//   - null is refused for every typed field (a YAML `key:` with nothing after it), instead of
//     silently keeping the default; only free-form maps (cilium.values) may hold null;
//   - a value of the wrong type is refused with the type it must have;
//   - keys this program does not know, of any namespace, are refused (CheckKeys).
//
// Every problem is reported, sorted by key, as Problems.
func Decode(stack string, values map[string]string) (Config, error) {
	return decode(stack, values, nil)
}

// decode is Decode with the stack file's sources, when the values come from one: problems
// then name the line and show values as written.
func decode(stack string, values map[string]string, sources map[string]source) (Config, error) {
	cfg := Defaults()
	cfg.Stack, cfg.Region = stack, values[KeyRegion]
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	probs := CheckKeys(keys)
	root := reflect.ValueOf(&cfg).Elem()
	for _, s := range sections() {
		text, ok := values[Namespace+":"+s.name]
		if !ok {
			// A required section left out (nodeGroups, cilium) is refused by the rules, which
			// say what it must hold; a required field left out of an object, below.
			continue
		}
		probs = append(probs, decodeSection(s, text, root.Field(s.index), sources)...)
	}
	if len(probs) > 0 {
		sortProblems(probs)
		return Config{}, probs
	}
	return cfg, nil
}

// decodeSection decodes one top-level value. Pulumi passes objects and lists as JSON and
// scalars as their text (a string as is, 24 as "24", true as "true").
func decodeSection(s section, text string, out reflect.Value, sources map[string]source) Problems {
	key := Namespace + ":" + s.name
	d := decoder{sources: sources}
	var v any
	switch kindOf(s.typ) {
	case reflect.String:
		v = text
	case reflect.Bool, reflect.Int, reflect.Uint, reflect.Float64:
		if err := json.Unmarshal([]byte(text), new(any)); err != nil {
			v = text // not a number or boolean: reported as a string below
			break
		}
		v = parseJSON(text)
	default:
		if !json.Valid([]byte(text)) {
			return Problems{{Key: key, Value: text, Rule: "must be " + typeName(s.typ) + ", got plain text"}}
		}
		v = parseJSON(text)
	}
	d.value(key, path{key}, v, out)
	return d.probs
}

func parseJSON(text string) any {
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber() // keep numbers as written, for messages and exact integers
	var v any
	_ = dec.Decode(&v) // callers checked validity
	return v
}

// initial is where an object of type t starts before a stack file's values are laid over
// it: its declared defaults (Default), so an absent key takes the default wherever it sits.
func initial(t reflect.Type) reflect.Value {
	v := reflect.New(t).Elem()
	if t.Kind() == reflect.Struct {
		applyDefaults(v)
	}
	return v
}

type decoder struct {
	sources map[string]source
	probs   Problems
}

// refuse records a problem at key (path p), with the line and the value as written when the
// values came from a file.
func (d *decoder) refuse(key string, p path, v any, rule, fix string) {
	src, ok := d.sources[p.id()]
	if ok && src.text != "" {
		v = src.text
	}
	d.probs = append(d.probs, Problem{Key: key, Value: show(v), Rule: rule, Fix: fix, Line: src.line})
}

func (p path) with(s string) path { return append(append(path{}, p...), s) }

// value decodes v (generic JSON with json.Number) into out, which holds the default.
func (d *decoder) value(key string, p path, v any, out reflect.Value) {
	t := out.Type()
	if v == nil {
		if t.Kind() == reflect.Interface {
			out.SetZero()
			return
		}
		fix := "write a value"
		if !out.IsZero() {
			fix += ", or delete the line to take the default " + show(jsonOf(out.Interface()))
		}
		d.refuse(key, p, "null", "has no value (a key with nothing after it is YAML's null)", fix)
		return
	}
	switch t.Kind() {
	case reflect.Interface:
		out.Set(reflect.ValueOf(freeForm(v)))
	case reflect.Pointer:
		elem := initial(t.Elem())
		d.value(key, p, v, elem)
		p := reflect.New(t.Elem())
		p.Elem().Set(elem)
		out.Set(p)
	case reflect.Struct:
		d.object(key, p, v, out)
	case reflect.Slice:
		list, ok := v.([]any)
		if !ok {
			d.wrongType(key, p, v, t)
			return
		}
		s := reflect.MakeSlice(t, len(list), len(list))
		for i, item := range list {
			elem := initial(t.Elem())
			d.value(fmt.Sprintf("%s[%d]", key, i), p.with(fmt.Sprintf("[%d]", i)), item, elem)
			s.Index(i).Set(elem)
		}
		out.Set(s)
	case reflect.Map:
		m, ok := v.(map[string]any)
		if !ok || t.Key().Kind() != reflect.String {
			d.wrongType(key, p, v, t)
			return
		}
		res := reflect.MakeMapWithSize(t, len(m))
		for _, k := range sortedKeys(m) {
			elem := reflect.New(t.Elem()).Elem()
			d.value(mapKey(key, k, t.Elem()), p.with(k), m[k], elem)
			res.SetMapIndex(reflect.ValueOf(k).Convert(t.Key()), elem)
		}
		out.Set(res)
	case reflect.String:
		s, ok := v.(string)
		if !ok {
			d.wrongType(key, p, v, t)
			return
		}
		out.SetString(s)
	case reflect.Bool:
		b, ok := v.(bool)
		if !ok {
			d.wrongType(key, p, v, t)
			return
		}
		out.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, ok := v.(json.Number)
		i, err := strconv.ParseInt(string(n), 10, 64)
		switch {
		case !ok:
			d.wrongType(key, p, v, t)
		case err != nil || out.OverflowInt(i):
			d.refuse(key, p, v, "must be "+typeName(t)+", got "+show(v), "write a whole number")
		default:
			out.SetInt(i)
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, ok := v.(json.Number)
		u, err := strconv.ParseUint(string(n), 10, 64)
		switch {
		case !ok:
			d.wrongType(key, p, v, t)
		case err != nil || out.OverflowUint(u):
			d.refuse(key, p, v, "must be "+typeName(t)+", got "+show(v), "write a whole number, 0 or more")
		default:
			out.SetUint(u)
		}
	case reflect.Float32, reflect.Float64:
		n, ok := v.(json.Number)
		f, err := n.Float64()
		if !ok || err != nil {
			d.wrongType(key, p, v, t)
			return
		}
		out.SetFloat(f)
	default:
		// A field of a kind a stack file cannot express (chan, func): a programming error in
		// the struct, reported rather than panicking.
		d.refuse(key, p, v, "cannot be set from a stack file (field of Go kind "+t.Kind().String()+")", "")
	}
}

// object decodes a JSON object onto a struct field by field, exact names only.
func (d *decoder) object(key string, p path, v any, out reflect.Value) {
	m, ok := v.(map[string]any)
	if !ok {
		d.wrongType(key, p, v, out.Type())
		return
	}
	fields := map[string]int{}
	var names []string
	for i := range out.NumField() {
		if name := jsonName(out.Type().Field(i)); name != "" {
			fields[name] = i
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range sortedKeys(m) {
		i, ok := fields[name]
		if !ok {
			rule := "unknown field; known fields are " + strings.Join(names, ", ")
			fix := ""
			if n := Nearest(name, names); n != "" {
				if strings.EqualFold(n, name) {
					rule = "unknown field (field names are case-sensitive)"
				}
				fix = "did you mean " + key + "." + n + "?"
			}
			d.refuse(mapKey(key, name, nil), p.with(name), m[name], rule, fix)
			continue
		}
		d.value(key+"."+name, p.with(name), m[name], out.Field(i))
	}
	for i := range out.NumField() {
		f := out.Type().Field(i)
		if name := jsonName(f); name != "" && f.Tag.Get("required") == "true" {
			if _, ok := m[name]; !ok {
				d.missing(key+"."+name, p)
			}
		}
	}
}

// requiredRule is the rule of a required key left out.
const requiredRule = "is required: it has no default"

// missing records a required key left out of the object at p (whose line it names).
func (d *decoder) missing(key string, p path) {
	d.probs = append(d.probs, Problem{Key: key, Rule: requiredRule,
		Fix: "set it (docs/configuration.md describes every key)", Line: d.sources[p.id()].line})
}

func (d *decoder) wrongType(key string, p path, v any, t reflect.Type) {
	written := show(v)
	if src, ok := d.sources[p.id()]; ok && src.text != "" {
		written = src.text
	}
	fix := ""
	switch {
	case kindOf(t) == reflect.Int && jsonKind(v) == "string":
		fix = "write the number without quotes"
	case kindOf(t) == reflect.Bool && jsonKind(v) == "string":
		fix = "write true or false without quotes"
	case t.Kind() == reflect.String && jsonKind(v) != "object" && jsonKind(v) != "list":
		fix = "quote it, e.g. \"" + Shorten(written, MaxShownValue) + "\""
	}
	d.refuse(key, p, v, "must be "+typeName(t)+", got "+jsonKind(v), fix)
}

// kindOf folds the sized kinds into one (every int kind is Int, ...) and looks through pointers.
func kindOf(t reflect.Type) reflect.Kind {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return reflect.Int
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return reflect.Uint
	case reflect.Float32, reflect.Float64:
		return reflect.Float64
	}
	return t.Kind()
}

func typeName(t reflect.Type) string {
	switch kindOf(t) {
	case reflect.Int:
		return "an integer"
	case reflect.Uint:
		return "a whole number, 0 or more"
	case reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean (true or false)"
	case reflect.Slice:
		return "a list"
	case reflect.Interface:
		return "a value"
	default:
		return "an object (a YAML mapping)"
	}
}

func jsonKind(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case json.Number:
		return "number"
	case bool:
		return "boolean"
	case []any:
		return "list"
	case map[string]any:
		return "object"
	}
	return "null"
}

// mapKey is the path of a map entry: Helm values (free-form) read as dotted paths like
// Helm's own --set; other maps quote the key, since label keys hold dots and slashes.
func mapKey(key, k string, elem reflect.Type) string {
	if elem == nil || elem.Kind() == reflect.Interface {
		return key + "." + k
	}
	return key + "[" + strconv.Quote(k) + "]"
}

// freeForm converts decoded JSON into the plain values encoding/json gives (float64
// numbers), which is what Helm values and the render have always carried.
func freeForm(v any) any {
	switch x := v.(type) {
	case json.Number:
		f, err := x.Float64()
		if err != nil || math.IsInf(f, 0) {
			return x.String()
		}
		return f
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = freeForm(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = freeForm(e)
		}
		return out
	}
	return v
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// show is a value as a message shows it: strings as they are, anything else as JSON.
func show(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case json.Number:
		return x.String()
	}
	return jsonOf(v)
}

func jsonOf(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
