package stackconfig

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

func assemble(doc *yaml.Node, raw any) (stackFile, Problems) {
	f := stackFile{values: map[string]string{}, sources: map[string]source{}}
	if raw == nil {
		return f, nil // an empty document: no config (Pulumi: LoadProjectStackBytes)
	}
	top, ok := raw.(map[string]any)
	root := resolveAlias(doc.Content[0])
	if !ok {
		return f, Problems{{Key: FileKey, Line: root.Line, Value: show(raw),
			Rule: "a stack file is a YAML mapping with a config: block", Fix: "start the file with config:"}}
	}
	var probs Problems
	var config *yaml.Node
	for _, e := range entries(root) {
		switch {
		case e.name == "config":
			config = e.value
		case e.name == "environment":
			probs = append(probs, Problem{Key: "environment", Line: e.key.Line,
				Rule: "imports Pulumi ESC environments, whose values the offline render cannot see (they need Pulumi Cloud)",
				Fix:  "write the configuration into the stack file"})
		case contains(stackFileKeys, e.name):
			if v := resolveAlias(e.value); v.Kind != yaml.ScalarNode {
				probs = append(probs, Problem{Key: e.name, Line: e.key.Line, Rule: "must be a string", Fix: "Pulumi writes this key itself; restore it"})
			}
		case e.value.Anchor != "" && !configLike(e.name):
			// A place to define anchors for the config block (base: &base {...}); Pulumi
			// ignores the key itself, and so does the render.
		default:
			probs = append(probs, outsideConfig(e))
		}
	}
	cfgMap, isMap := top["config"].(map[string]any)
	if top["config"] != nil && !isMap {
		line := root.Line
		if config != nil {
			line = config.Line
		}
		return f, append(probs, Problem{Key: "config", Line: line, Value: show(top["config"]),
			Rule: "must be a mapping of config keys to values"})
	}
	lines := map[string]entry{}
	if config != nil {
		for _, e := range entries(config) {
			lines[e.name] = e
		}
	}
	full := map[string]string{} // full key -> key as written
	for _, k := range sortedKeys(cfgMap) {
		e, line, written := lines[k], 0, ""
		if e.key != nil {
			line, written = e.key.Line, nodeText(e.value)
		}
		key := k
		if !strings.Contains(key, ":") {
			// workspace/loaders.go, stackConfigNamespacedWithProject.
			key = Namespace + ":" + key
		}
		if strings.Count(key, ":") > 1 {
			fix := ""
			if ns, name, legacy := strings.Cut(key, ":config:"); legacy && !strings.Contains(name, ":") {
				fix = "write " + ns + ":" + name
			}
			probs = append(probs, Problem{Key: key, Line: line, Value: written, Rule: "is not a config key of the form namespace:name", Fix: fix})
			continue
		}
		if other, dup := full[key]; dup {
			// Pulumi namespaces keys into a Go map, so which of the two it keeps changes from
			// run to run.
			probs = append(probs, Problem{Key: key, Line: line, Value: written,
				Rule: fmt.Sprintf("is set twice: as %q (line %d) and as %q (line %d); a key without a namespace belongs to %s", other, lines[other].key.Line, k, line, Namespace),
				Fix:  "keep one of them"})
			continue
		}
		full[key] = k
		if p, bad := checkKey(key); bad {
			p.Line, p.Value = line, written
			probs = append(probs, p)
			continue
		}
		v := cfgMap[k]
		if v == nil {
			// Pulumi only warns ("treated as an empty string") and passes "null" on.
			probs = append(probs, Problem{Key: key, Line: line, Value: "null",
				Rule: "has no value (a key with nothing after it is YAML's null)", Fix: "write a value, or delete the line to take the default"})
			continue
		}
		if hasSecret(v) {
			if strings.HasPrefix(key, Namespace+":") || key == KeyRegion {
				probs = append(probs, Problem{Key: key, Line: line, Value: "(secret)",
					Rule: "is encrypted; this program's settings hold no secrets and the offline render cannot decrypt them", Fix: "set it in plain text"})
			}
			continue // other keys' secrets are for providers, never read by the program
		}
		text, object, err := pulumiText(v)
		if err != nil {
			probs = append(probs, Problem{Key: key, Line: line, Value: show(v), Rule: "cannot be passed to the program: " + err.Error() + " (Pulumi refuses the file too)"})
			continue
		}
		if s, ok := sectionNamed(strings.TrimPrefix(key, Namespace+":")); ok && strings.HasPrefix(key, Namespace+":") && !object && isComposite(s.typ) {
			// The Pulumi CLI checks this much itself against Pulumi.yaml's declared types.
			probs = append(probs, Problem{Key: key, Line: line, Value: text, Rule: "must be " + typeName(s.typ) + ", got a string"})
			continue
		}
		f.values[key] = text
		indexSources(f.sources, path{key}, line, e.value)
	}
	sortByLine(probs)
	return f, probs
}

// sortByLine orders problems found while reading as the file reads, top to bottom.
func sortByLine(ps Problems) {
	sort.SliceStable(ps, func(i, j int) bool {
		if ps[i].Line != ps[j].Line {
			return ps[i].Line < ps[j].Line
		}
		return ps[i].Key < ps[j].Key
	})
}

func isComposite(t reflect.Type) bool {
	switch kindOf(t) {
	case reflect.Struct, reflect.Slice, reflect.Map:
		return true
	}
	return false
}

// outsideConfig explains a top-level key that is not one of a stack file's: most often a
// config key written without the config: block, which Pulumi silently ignores.
func outsideConfig(e entry) Problem {
	if configLike(e.name) {
		return Problem{Key: e.name, Line: e.key.Line, Value: nodeText(e.value),
			Rule: "is outside the config: block; Pulumi ignores it there, so the stack would run without it",
			Fix:  "indent it under config:"}
	}
	p := Problem{Key: e.name, Line: e.key.Line, Value: nodeText(e.value),
		Rule: "is not a key of a stack file (" + strings.Join(stackFileKeys, ", ") + "); Pulumi ignores it"}
	if n := Nearest(e.name, stackFileKeys); n != "" {
		p.Fix = "did you mean " + n + "?"
	}
	return p
}

// configLike tells a config key (namespaced, or one of this project's) from other names.
func configLike(name string) bool {
	return strings.Contains(name, ":") || contains(Keys(), Namespace+":"+name)
}

// hasSecret finds Pulumi's secure values ({secure: <ciphertext>}, config/object.go isSecureValue).
func hasSecret(v any) bool {
	switch x := v.(type) {
	case map[string]any:
		if _, ok := x["secure"].(string); ok && len(x) == 1 {
			return true
		}
		for _, e := range x {
			if hasSecret(e) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if hasSecret(e) {
				return true
			}
		}
	}
	return false
}

// pulumiText converts one config value the way Pulumi v3.274.1 does between reading the
// stack file and the program's config.Try, so the render passes the program the same text:
//  1. LoadProjectStackBytes encodes the decoded stack back to YAML and decodes it again into
//     ProjectStack (workspace/loaders.go; yamlutil.YamlEncode, indent 2);
//  2. config.Value.UnmarshalYAML turns the value into an object and MarshalString into text:
//     a string as is, a number or boolean as JSON text, anything else as JSON
//     (resource/config/object.go, unmarshalObject and MarshalString);
//  3. the engine decrypts the map before running the program (engine/deployment.go,
//     Config.Decrypt), which parses that JSON again with UseNumber, keeps an integer as int64
//     and any other number as float64, and prints it with encoding/json (config/map.go
//     Decrypt, object.go UnmarshalJSON, plaintext.go marshalText).
//
// It returns the text and whether Pulumi treats it as an object (JSON).
func pulumiText(v any) (string, bool, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(v); err != nil {
		return "", false, err
	}
	var again any
	if err := yaml.Unmarshal(buf.Bytes(), &again); err != nil {
		return "", false, err
	}
	obj, err := pulumiObject(again)
	if err != nil {
		return "", false, err
	}
	switch x := obj.(type) {
	case string:
		return x, false, nil
	case bool, int64, uint64, float64:
		b, err := json.Marshal(x)
		return string(b), false, err
	}
	b, err := json.Marshal(obj)
	if err != nil {
		return "", false, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var parsed any
	if err := dec.Decode(&parsed); err != nil {
		return "", false, err
	}
	plain, err := pulumiNumbers(parsed)
	if err != nil {
		return "", false, err
	}
	b, err = json.Marshal(plain)
	return string(b), true, err
}

// pulumiObject mirrors config/object.go unmarshalObject for what yaml.v3 decodes.
func pulumiObject(v any) (any, error) {
	switch x := v.(type) {
	case nil, bool, string, int64, uint64, float64:
		return x, nil
	case int:
		return int64(x), nil
	case time.Time:
		return x.String(), nil
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			o, err := pulumiObject(e)
			if err != nil {
				return nil, err
			}
			out[k] = o
		}
		return out, nil
	case map[any]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			o, err := pulumiObject(e)
			if err != nil {
				return nil, err
			}
			out[fmt.Sprintf("%v", k)] = o
		}
		return out, nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			o, err := pulumiObject(e)
			if err != nil {
				return nil, err
			}
			out[i] = o
		}
		return out, nil
	}
	return nil, fmt.Errorf("unexpected YAML value of type %T", v)
}

// pulumiNumbers mirrors object.go unmarshalObject for json.Number: int64 when it fits, else
// float64.
func pulumiNumbers(v any) (any, error) {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i, nil
		}
		f, err := x.Float64()
		if err != nil {
			return nil, fmt.Errorf("unrepresentable number %v", x)
		}
		return f, nil
	case map[string]any:
		for k, e := range x {
			n, err := pulumiNumbers(e)
			if err != nil {
				return nil, err
			}
			x[k] = n
		}
	case []any:
		for i, e := range x {
			n, err := pulumiNumbers(e)
			if err != nil {
				return nil, err
			}
			x[i] = n
		}
	}
	return v, nil
}
