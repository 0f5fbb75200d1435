package stackconfig

import (
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// path is a position in the decoded value: map keys and list indices ("[3]"), starting at the
// full config key. Decode builds the same paths, so a problem it finds gets the line.
type path []string

// child is the path of n.Content[i]: for a mapping, the entry whose key or value is i.
func (p path) child(n *yaml.Node, i int) path {
	q := append(path{}, p...)
	switch n.Kind {
	case yaml.MappingNode:
		k := resolveAlias(n.Content[i-i%2])
		return append(q, k.Value)
	case yaml.SequenceNode:
		return append(q, "["+strconv.Itoa(i)+"]")
	}
	return q
}

// key shows a path of the raw document as a config key where it is one: config.x.y reads as
// eks-cilium:x.y.
func (p path) key() string {
	if len(p) == 0 {
		return FileKey
	}
	q := p
	if q[0] == "config" && len(q) > 1 {
		q = q[1:]
		if !strings.Contains(q[0], ":") {
			q = append(path{Namespace + ":" + q[0]}, q[1:]...)
		}
	}
	var b strings.Builder
	for i, s := range q {
		if i > 0 && !strings.HasPrefix(s, "[") {
			b.WriteByte('.')
		}
		if s == "" {
			s = `""` // an empty key (`: x` or a tag alone) still has to be named
		}
		b.WriteString(s)
	}
	return b.String()
}

func (p path) id() string { return strings.Join(p, "\x00") }

// indexSources records where every value under a config key is written, following aliases
// and merges as the decoder does. The document is already known to be small.
// line is where the value's key is written (a mapping's value starts on the next line).
func indexSources(into map[string]source, p path, line int, n *yaml.Node) {
	n = resolveAlias(n)
	src := source{line: line}
	if n.Kind == yaml.ScalarNode {
		src.text = n.Value
	}
	into[p.id()] = src
	switch n.Kind {
	case yaml.MappingNode:
		for _, e := range entries(n) {
			indexSources(into, append(append(path{}, p...), e.name), e.key.Line, e.value)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			indexSources(into, append(append(path{}, p...), "["+strconv.Itoa(i)+"]"), c.Line, c)
		}
	}
}
