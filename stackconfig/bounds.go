package stackconfig

import (
	"fmt"

	"gopkg.in/yaml.v3"
)

// measurer computes, for every node, its size and height with aliases expanded, visiting each
// node once (memoised), so even a file built to expand to billions of nodes costs time linear
// in its length.
type measurer struct {
	size   map[*yaml.Node]int
	height map[*yaml.Node]int
	active map[*yaml.Node]bool
	seen   int // nodes visited: the file's own nodes, each once
	probs  Problems
}

func measure(doc *yaml.Node) Problems {
	m := &measurer{size: map[*yaml.Node]int{}, height: map[*yaml.Node]int{}, active: map[*yaml.Node]bool{}}
	if !m.visit(doc, &trail{}, 0) {
		return m.probs
	}
	if m.size[doc] > MaxNodes {
		n, p := m.blame(doc)
		what := "this part of the file"
		if n.Kind == yaml.AliasNode {
			what = fmt.Sprintf("the alias *%s (%d nodes each time it is used)", Shorten(n.Value, MaxShownValue), m.size[n])
		}
		return Problems{{Key: p.key(), Line: n.Line,
			Rule: fmt.Sprintf("the document expands to more than %d YAML nodes (the reader's limit, stackconfig.MaxNodes) once aliases and merges are expanded; the limit is passed at %s", MaxNodes, what),
			Fix:  "write the values out instead of nesting aliases"}}
	}
	return nil
}

// visit measures n, found at depth below the document along path; false when a limit or a
// cycle was found (recorded in m.probs).
func (m *measurer) visit(n *yaml.Node, p *trail, depth int) bool {
	if h, done := m.height[n]; done {
		if depth+h > MaxDepth {
			m.probs = append(m.probs, tooDeep(n, p))
			return false
		}
		return true
	}
	if depth > MaxDepth {
		m.probs = append(m.probs, tooDeep(n, p))
		return false
	}
	if n.Kind == yaml.AliasNode && m.active[n.Alias] {
		m.probs = append(m.probs, Problem{Key: p.path().key(), Line: n.Line, Value: "*" + n.Value,
			Rule: fmt.Sprintf("the alias refers to the anchor &%s it is written inside of (line %d), a loop with no end", n.Value, n.Alias.Line),
			Fix:  "refer only to anchors defined before and outside the alias"})
		return false
	}
	if m.seen++; m.seen > MaxNodes {
		// The file itself is over the limit, aliases aside: stop here, at the first node past it.
		m.probs = append(m.probs, Problem{Key: p.path().key(), Line: n.Line,
			Rule: fmt.Sprintf("the file holds more than %d YAML nodes (the reader's limit, stackconfig.MaxNodes); the limit is passed here", MaxNodes),
			Fix:  "shorten the value"})
		return false
	}
	m.active[n] = true
	defer delete(m.active, n)
	size, height := 1, 0
	switch n.Kind {
	case yaml.AliasNode:
		if n.Alias == nil || !m.visit(n.Alias, p, depth) {
			return false // the parser never leaves an alias without its anchor
		}
		size, height = m.size[n.Alias], m.height[n.Alias]
	case yaml.DocumentNode, yaml.SequenceNode, yaml.MappingNode:
		for i, c := range n.Content {
			*p = append(*p, step{n, i})
			ok := m.visit(c, p, depth+1)
			*p = (*p)[:len(*p)-1]
			if !ok {
				return false
			}
			size = min(size+m.size[c], MaxNodes+1) // saturate: only "over the limit" matters
			height = max(height, 1+m.height[c])
		}
	}
	m.size[n], m.height[n] = size, height
	return true
}

func tooDeep(n *yaml.Node, p *trail) Problem {
	return Problem{Key: p.path().key(), Line: n.Line,
		Rule: fmt.Sprintf("nests deeper than %d levels (the reader's limit, stackconfig.MaxDepth), counting the levels aliases add", MaxDepth),
		Fix:  "flatten the value"}
}

// blame finds the node at which a walk of the expanded document in order passes MaxNodes.
func (m *measurer) blame(n *yaml.Node) (*yaml.Node, path) {
	var p path
	budget := MaxNodes
	for n.Kind != yaml.AliasNode && len(n.Content) > 0 {
		budget-- // n itself
		next := -1
		for i, c := range n.Content {
			if m.size[c] > budget {
				next = i
				break
			}
			budget -= m.size[c]
		}
		if next < 0 {
			break
		}
		p = p.child(n, next)
		n = n.Content[next]
	}
	return n, p
}

// trail is the way from the document to the node being looked at: each step a container and
// the index of the child taken. A path is built from it only when a problem is found.
type trail []step

type step struct {
	n *yaml.Node
	i int
}

func (t *trail) path() path {
	var p path
	for _, s := range *t {
		p = p.child(s.n, s.i)
	}
	return p
}
