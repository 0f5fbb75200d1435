package stackconfig

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// sections are the project's own config keys, without the namespace.
var sections = []string{"vpc", "cluster", "nodeGroups", "cilium", "addons", "karpenter"}

// Decode builds a Config from config values as Pulumi hands them to a program: full keys
// ("eks-cilium:vpc", "aws:region") mapped to strings, objects and lists as JSON. Missing keys
// take Defaults(). Unknown fields and wrong types are Problems naming the key.
func Decode(stack string, values map[string]string) (Config, error) {
	raw := map[string]any{}
	for k, v := range values {
		if !strings.HasPrefix(k, Namespace+":") {
			continue
		}
		var x any
		dec := json.NewDecoder(strings.NewReader(v))
		dec.UseNumber() // keep numbers as written, for messages
		if err := dec.Decode(&x); err != nil {
			// A scalar key holding plain text; none of ours is a scalar, so it is a type error below.
			x = v
		}
		raw[k] = x
	}
	cfg, probs := decodeRaw(stack, values[KeyRegion], raw)
	if len(probs) > 0 {
		sortProblems(probs)
		return Config{}, probs
	}
	return cfg, nil
}

// LoadFile reads a Pulumi.<stack>.yaml file and decodes its config the same way a program
// sees it. It also returns the config as Pulumi would pass it to the program, so the
// offline render can run the real program with exactly these values.
func LoadFile(path string) (Config, map[string]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, nil, err
	}
	values, err := ParseStackFile(data)
	if err != nil {
		return Config{}, nil, fmt.Errorf("%s: %w", path, err)
	}
	cfg, err := Decode(StackName(path), values)
	return cfg, values, err
}

// StackName is the stack a Pulumi.<stack>.yaml file belongs to.
func StackName(path string) string {
	return strings.TrimSuffix(strings.TrimPrefix(filepath.Base(path), "Pulumi."), filepath.Ext(path))
}

// ParseStackFile turns the `config:` block of a stack file into Pulumi's key/value form.
// Keys without a namespace belong to the project, as in Pulumi itself; unknown keys of
// our namespace are refused with the nearest known key.
func ParseStackFile(data []byte) (map[string]string, error) {
	var doc struct {
		Config map[string]yaml.Node `yaml:"config"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, Problems{{Key: "(file)", Value: firstLine(err.Error()), Rule: "the stack file must be valid YAML"}}
	}
	values := map[string]string{}
	var probs Problems
	for k, node := range doc.Config {
		v, err := fromNode(&node)
		if err != nil {
			probs = append(probs, Problem{Key: k, Value: node.Value, Rule: "cannot be read: " + err.Error()})
			continue
		}
		key := k
		if !strings.Contains(key, ":") {
			key = Namespace + ":" + key
		}
		if name, ok := strings.CutPrefix(key, Namespace+":"); ok && !contains(sections, name) {
			p := Problem{Key: key, Value: "", Rule: "unknown config key; the project declares " + strings.Join(prefixed(sections), ", ")}
			if n := Nearest(name, sections); n != "" {
				p.Fix = "did you mean " + Namespace + ":" + n + "?"
			}
			probs = append(probs, p)
			continue
		}
		if s, ok := v.(string); ok {
			values[key] = s
			continue
		}
		b, err := json.Marshal(v)
		if err != nil {
			probs = append(probs, Problem{Key: key, Value: fmt.Sprint(v), Rule: "value cannot be represented as JSON: " + err.Error()})
			continue
		}
		values[key] = string(b)
	}
	if len(probs) > 0 {
		sortProblems(probs)
		return nil, probs
	}
	return values, nil
}

func prefixed(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = Namespace + ":" + n
	}
	return out
}

func decodeRaw(stack, region string, raw map[string]any) (Config, Problems) {
	cfg := Defaults()
	cfg.Stack, cfg.Region = stack, region
	var probs Problems
	if v, ok := raw[KeyVpc]; ok {
		probs = append(probs, decodeObject(KeyVpc, v, &cfg.Vpc)...)
	}
	if v, ok := raw[KeyCluster]; ok {
		probs = append(probs, decodeObject(KeyCluster, v, &cfg.Cluster)...)
	}
	if v, ok := raw[KeyCilium]; ok {
		probs = append(probs, decodeObject(KeyCilium, v, &cfg.Cilium)...)
	}
	if v, ok := raw[KeyAddons]; ok && v != nil {
		cfg.Addons = &AddonsConfig{}
		probs = append(probs, decodeObject(KeyAddons, v, cfg.Addons)...)
	}
	if v, ok := raw[KeyKarpenter]; ok && v != nil {
		cfg.Karpenter = &KarpenterConfig{}
		probs = append(probs, decodeObject(KeyKarpenter, v, cfg.Karpenter)...)
	}
	if v, ok := raw[KeyNodeGroups]; ok && v != nil {
		list, isList := v.([]any)
		if !isList {
			probs = append(probs, Problem{Key: KeyNodeGroups, Value: render(v), Rule: "must be a list of node group objects"})
		}
		for i, item := range list {
			ng := DefaultNodeGroup()
			probs = append(probs, decodeObject(fmt.Sprintf("%s[%d]", KeyNodeGroups, i), item, &ng)...)
			cfg.NodeGroups = append(cfg.NodeGroups, ng)
		}
	}
	return cfg, probs
}

// decodeObject decodes raw (generic JSON) into the struct at into, which already holds the
// defaults, so only the fields present are overwritten.
func decodeObject(key string, raw any, into any) Problems {
	if raw == nil {
		return nil
	}
	if _, ok := raw.(map[string]any); !ok {
		return Problems{{Key: key, Value: render(raw), Rule: "must be an object (a YAML mapping)"}}
	}
	b, _ := json.Marshal(raw)
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	err := dec.Decode(into)
	if err == nil {
		return nil
	}
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		return Problems{typeProblem(key, raw, typeErr)}
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		name = strings.Trim(name, `"`)
		known := jsonFields(reflect.TypeOf(into).Elem())
		p := Problem{Key: key + "." + name, Value: render(raw.(map[string]any)[name]), Rule: "unknown field; known fields are " + strings.Join(known, ", ")}
		if n := Nearest(name, known); n != "" {
			p.Fix = "did you mean " + key + "." + n + "?"
		}
		return Problems{p}
	}
	return Problems{{Key: key, Value: render(raw), Rule: err.Error()}}
}

func typeProblem(key string, raw any, e *json.UnmarshalTypeError) Problem {
	path := key
	val := raw
	if e.Field != "" {
		path += "." + e.Field
		for _, part := range strings.Split(e.Field, ".") {
			if m, ok := val.(map[string]any); ok {
				val = m[part]
			}
		}
	}
	p := Problem{Key: path, Value: render(val), Rule: "must be " + kindName(e.Type) + ", got " + e.Value}
	switch {
	case e.Type.Kind() == reflect.Int && e.Value == "string":
		p.Fix = "write the number without quotes"
	case e.Type.Kind() == reflect.String && strings.HasPrefix(e.Value, "number"):
		p.Fix = "quote it, e.g. \"" + render(val) + "\""
	}
	return p
}

func kindName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "an integer"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean (true or false)"
	case reflect.Slice:
		return "a list"
	default:
		return "an object"
	}
}

func jsonFields(t reflect.Type) []string {
	var out []string
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// fromNode converts a YAML node to JSON-encodable values. Numbers keep the text they were
// written with (json.Number), so `version: 1.30` is reported as 1.30, not 1.3.
func fromNode(n *yaml.Node) (any, error) {
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return fromNode(n.Content[0])
	case yaml.AliasNode:
		return fromNode(n.Alias)
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			v, err := fromNode(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			m[n.Content[i].Value] = v
		}
		return m, nil
	case yaml.SequenceNode:
		list := make([]any, len(n.Content))
		for i, c := range n.Content {
			v, err := fromNode(c)
			if err != nil {
				return nil, err
			}
			list[i] = v
		}
		return list, nil
	}
	var v any
	if err := n.Decode(&v); err != nil {
		return nil, err
	}
	if tag := n.ShortTag(); (tag == "!!int" || tag == "!!float") && json.Valid([]byte(n.Value)) {
		return json.Number(n.Value), nil
	}
	return v, nil
}

func render(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	default:
		b, err := json.Marshal(x)
		if err != nil {
			return fmt.Sprint(x)
		}
		return string(b)
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

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

func sortProblems(ps Problems) {
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].Key < ps[j].Key })
}
