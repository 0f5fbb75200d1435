package stackconfig

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"gopkg.in/yaml.v3"
)

// standardTags are the tags gopkg.in/yaml.v3 resolves (resolve.go); Pulumi reads any other
// tag (!Ref, !Sub, ...) as if it were not there.
var standardTags = map[string]bool{
	"!!str": true, "!!int": true, "!!float": true, "!!bool": true, "!!null": true, "!!map": true,
	"!!seq": true, "!!binary": true, "!!timestamp": true, "!!merge": true,
}

// checkStructure checks every node of the file once (aliases are checked where their anchor
// is): unique keys, string keys, mapping sizes, merge values and tags.
func checkStructure(doc *yaml.Node) Problems {
	var probs Problems
	var walk func(n *yaml.Node, p *trail)
	walk = func(n *yaml.Node, p *trail) {
		if n.Kind != yaml.AliasNode && n.Kind != yaml.DocumentNode && !standardTags[n.ShortTag()] {
			probs = append(probs, Problem{Key: p.path().key(), Line: n.Line, Value: n.Tag,
				Rule: "is a YAML tag Pulumi ignores (it reads the value as if the tag were not there); stack files have no functions like CloudFormation's !Ref",
				Fix:  "remove the tag"})
		}
		if n.Kind == yaml.MappingNode {
			probs = append(probs, checkMapping(n, p)...)
		}
		if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!float" {
			var f float64
			if err := n.Decode(&f); err == nil && (math.IsNaN(f) || math.IsInf(f, 0)) {
				probs = append(probs, Problem{Key: p.path().key(), Line: n.Line, Value: n.Value,
					Rule: "is a number JSON cannot carry; Pulumi refuses the file (it passes values to the program as JSON)",
					Fix:  "write a finite number"})
			}
		}
		if n.Kind == yaml.AliasNode {
			return
		}
		for i, c := range n.Content {
			*p = append(*p, step{n, i})
			walk(c, p)
			*p = (*p)[:len(*p)-1]
		}
	}
	walk(doc, &trail{})
	return probs
}

func checkMapping(n *yaml.Node, p *trail) Problems {
	var probs Problems
	if len(n.Content)/2 > MaxMappingEntries {
		return Problems{{Key: p.path().key(), Line: n.Line, Value: fmt.Sprintf("%d entries", len(n.Content)/2),
			Rule: fmt.Sprintf("has more than %d entries (the reader's limit, stackconfig.MaxMappingEntries)", MaxMappingEntries),
			Fix:  "split the value"}}
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := resolveAlias(n.Content[i])
		if k.Kind != yaml.ScalarNode {
			probs = append(probs, Problem{Key: p.path().key(), Line: n.Content[i].Line,
				Rule: "has a mapping key that is itself a mapping or a list", Fix: "use a string as the key"})
			continue
		}
		name, err := keyString(k)
		if err != nil {
			probs = append(probs, Problem{Key: p.path().key(), Line: k.Line, Value: k.Value, Rule: err.Error(), Fix: "quote the key: \"" + k.Value + "\""})
			continue
		}
		if first, dup := seen[name]; dup {
			probs = append(probs, Problem{Key: p.path().child(n, i+1).key(), Line: n.Content[i].Line, Value: nodeText(n.Content[i+1]),
				Rule: fmt.Sprintf("is set twice, at lines %d and %d; YAML keys must be unique (Pulumi refuses the file too), and neither can be assumed to win", first, n.Content[i].Line),
				Fix:  "keep one of them"})
			continue
		}
		seen[name] = n.Content[i].Line
		if isMerge(k) {
			if !mergeable(n.Content[i+1]) {
				probs = append(probs, Problem{Key: p.path().key(), Line: n.Content[i+1].Line, Value: "<<",
					Rule: "a merge key (<<) takes a mapping, an alias of one, or a list of those", Fix: "merge a mapping: <<: *anchor"})
			}
		}
	}
	return probs
}

// nodeText is a node as a message shows it: a scalar as written, an alias by its name,
// a mapping or a list by its kind.
func nodeText(n *yaml.Node) string {
	switch n.Kind {
	case yaml.ScalarNode:
		return n.Value
	case yaml.AliasNode:
		return "*" + n.Value
	case yaml.MappingNode:
		return "(a mapping)"
	case yaml.SequenceNode:
		return "(a list)"
	}
	return ""
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// keyString is a scalar key as the program will see it. Pulumi turns other keys into text
// (`1:` becomes "1", `null:` becomes "<nil>", config/object.go unmarshalObject); they are
// refused here, since a key meant as text is quoted.
func keyString(k *yaml.Node) (string, error) {
	if isMerge(k) {
		return "<<", nil
	}
	var v any
	if err := k.Decode(&v); err != nil {
		return "", errors.New("is a key that cannot be read: " + Shorten(err.Error(), MaxShownValue))
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("is a mapping key of type %s, not a string; Pulumi would turn it into the text %q", strings.TrimPrefix(k.ShortTag(), "!!"), fmt.Sprint(v))
	}
	return s, nil
}

// isMerge is gopkg.in/yaml.v3's own test for a merge key (decode.go, isMerge).
func isMerge(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Value == "<<" && (n.Tag == "" || n.Tag == "!" || n.Tag == "!!merge" || n.Tag == "tag:yaml.org,2002:merge")
}

// mergeable mirrors gopkg.in/yaml.v3's merge(): a mapping, an alias of a mapping, or a
// sequence of those.
func mergeable(v *yaml.Node) bool {
	switch v.Kind {
	case yaml.MappingNode:
		return true
	case yaml.AliasNode:
		return v.Alias != nil && v.Alias.Kind == yaml.MappingNode
	case yaml.SequenceNode:
		for _, e := range v.Content {
			if e.Kind != yaml.MappingNode && (e.Kind != yaml.AliasNode || e.Alias == nil || e.Alias.Kind != yaml.MappingNode) {
				return false
			}
		}
		return true
	}
	return false
}

// entries lists a mapping's entries as yaml.v3 decodes them: its own keys first, then merged
// ones not already set, in merge order (decode.go, mapping() and merge()).
func entries(n *yaml.Node) []entry {
	n = resolveAlias(n)
	if n.Kind != yaml.MappingNode {
		return nil
	}
	seen := map[string]bool{}
	var out, merged []entry
	var collect func(n *yaml.Node, into *[]entry)
	collect = func(n *yaml.Node, into *[]entry) {
		var local []*yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := resolveAlias(n.Content[i])
			if isMerge(k) {
				v := n.Content[i+1]
				if v.Kind == yaml.SequenceNode {
					local = append(local, v.Content...)
				} else {
					local = append(local, v)
				}
				continue
			}
			name, err := keyString(k)
			if err != nil || seen[name] {
				continue
			}
			seen[name] = true
			*into = append(*into, entry{name: name, key: n.Content[i], value: n.Content[i+1]})
		}
		for _, m := range local {
			collect(resolveAlias(m), &merged)
		}
	}
	collect(n, &out)
	return append(out, merged...)
}

type entry struct {
	name       string
	key, value *yaml.Node
}
