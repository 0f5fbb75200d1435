package stackconfig

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Limits on the work one stack file may cause. A real stack file is a few KB with a few
// hundred YAML nodes nested under ten levels deep (stacks/Pulumi.prod.yaml: 1.2 KB, 89 nodes,
// 6 levels); the limits leave two orders of magnitude of room and keep the worst input the
// reader accepts well under a second and under 100 MB (README, "Stack configuration").
// Exceeding one is a Problem naming the limit and the line.
const (
	// MaxFileBytes bounds what is read and parsed at all (prod: 1.2 KB). The YAML library
	// builds every node of the file before any other limit can look at it: 256 KiB of "1,"
	// is 130,000 nodes, about 0.4 s and 60 MB to parse and refuse.
	MaxFileBytes = 256 << 10
	// MaxDepth bounds nesting, counted from the document with aliases expanded (prod: 6).
	MaxDepth = 64
	// MaxNodes bounds the YAML nodes of the document once every alias and merge is expanded;
	// this is what stops "billion laughs" files (prod: 89).
	MaxNodes = 10_000
	// MaxMappingEntries bounds one mapping: the YAML library Pulumi uses compares every key of
	// a mapping with every other (gopkg.in/yaml.v3 decode.go, mapping()), quadratic in this.
	MaxMappingEntries = 1_000
)

// The top-level keys of a stack file (Pulumi SDK v3.274.1, workspace/project.go,
// ProjectStack). Pulumi ignores any other key there, including config keys written without
// the config: block.
var stackFileKeys = []string{"config", "encryptedkey", "encryptionsalt", "environment", "secretsprovider"}

// LoadFile reads a Pulumi.<stack>.yaml file the way Pulumi reads it and decodes its config
// strictly (see LoadBytes). It returns the config as Pulumi would pass it to the program too,
// so the offline render runs the real program with exactly these values. A file that cannot
// be opened or is not a regular file is a plain error; everything about its content is
// Problems.
func LoadFile(path string) (Config, map[string]string, error) {
	data, err := readBounded(path)
	if err != nil {
		return Config{}, nil, err
	}
	return LoadBytes(StackName(path), data)
}

// readBounded reads at most MaxFileBytes of a regular file; /dev/zero or a FIFO never reach
// the parser.
func readBounded(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxFileBytes {
		return nil, Problems{tooLarge(info.Size())}
	}
	return data, nil
}

func tooLarge(size int64) Problem {
	return Problem{Key: FileKey, Value: fmt.Sprintf("%d bytes", size),
		Rule: fmt.Sprintf("is larger than the reader's limit of %d bytes (stackconfig.MaxFileBytes); a stack file is a few KB", MaxFileBytes),
		Fix:  "check that this is the stack file you meant"}
}

// LoadBytes reads the text of the stack file of stack the way Pulumi does (the same YAML
// library, gopkg.in/yaml.v3 v3.0.1, with its merges, aliases and tags, then Pulumi's own
// conversion of each value), refuses what Pulumi would refuse or silently misread, and then
// decodes strictly (Decode). Problems found while reading name the line.
func LoadBytes(stack string, data []byte) (Config, map[string]string, error) {
	f, probs := read(data)
	if len(probs) > 0 {
		return Config{}, nil, probs
	}
	cfg, err := decode(stack, f.values, f.sources)
	return cfg, f.values, err
}

// ParseStackFile turns a stack file's text into the config Pulumi hands a program: full keys
// (a key without a namespace belongs to the project) mapped to text, objects and lists as
// JSON. Keys and file structure are checked; values are not decoded.
func ParseStackFile(data []byte) (map[string]string, error) {
	f, probs := read(data)
	if len(probs) > 0 {
		return nil, probs
	}
	return f.values, nil
}

// StackName is the stack a Pulumi.<stack>.yaml file belongs to.
func StackName(path string) string {
	return strings.TrimSuffix(strings.TrimPrefix(filepath.Base(path), "Pulumi."), filepath.Ext(path))
}

// stackFile is a stack file as read: the values Pulumi passes to the program, and where each
// value was written, for messages.
type stackFile struct {
	values  map[string]string
	sources map[string]source
}

// source is where a value sits in the file: its line and, for a scalar, the text as written
// (1.30 stays 1.30 in a message though Pulumi passes 1.3).
type source struct {
	line int
	text string
}

// read runs the whole reading path; it stops at the first stage that finds problems, since
// later stages rely on the earlier ones (bounded work, unique keys).
func read(data []byte) (stackFile, Problems) {
	if len(data) > MaxFileBytes {
		return stackFile{}, Problems{tooLarge(int64(len(data)))}
	}
	// Pulumi strips a UTF-8 byte-order mark before parsing (workspace/loaders.go, readFileStripUTF8BOM).
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	doc, probs := parse(data)
	if len(probs) > 0 || doc == nil {
		return stackFile{values: map[string]string{}}, probs
	}
	if probs := measure(doc); len(probs) > 0 {
		return stackFile{}, probs
	}
	if probs := checkStructure(doc); len(probs) > 0 {
		sortByLine(probs)
		return stackFile{}, probs
	}
	// The exact decoding Pulumi does (workspace/loaders.go, LoadProjectStackBytes:
	// marshaller.Unmarshal(b, &projectStackRaw), i.e. yaml.Unmarshal into any). The checks
	// above bound its work; any error it still finds is Pulumi's error too.
	var raw any
	if err := doc.Decode(&raw); err != nil {
		return stackFile{}, yamlProblems(err)
	}
	return assemble(doc, raw)
}

// parse reads the first YAML document into a node tree; aliases stay unexpanded here.
func parse(data []byte) (*yaml.Node, Problems) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil // empty file: no config, as in Pulumi
		}
		return nil, yamlProblems(err)
	}
	var next yaml.Node
	if err := dec.Decode(&next); !errors.Is(err, io.EOF) {
		// Pulumi's yaml.Unmarshal reads the first document and ignores the rest, whatever it
		// holds; two stack files pasted into one are refused instead.
		line := next.Line
		if err != nil {
			line = yamlLine(err.Error())
		}
		return nil, Problems{{Key: FileKey, Line: line, Value: "---",
			Rule: "a second YAML document starts here; Pulumi would read only the first and ignore the rest",
			Fix:  "keep one document per stack file"}}
	}
	return &doc, nil
}

var yamlLineRe = regexp.MustCompile(`line (\d+)`)

func yamlLine(msg string) int {
	if m := yamlLineRe.FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return 0
}

// yamlProblems turns a YAML library error into problems, one per line it names.
func yamlProblems(err error) Problems {
	var te *yaml.TypeError
	msgs := []string{err.Error()}
	if errors.As(err, &te) {
		msgs = te.Errors
	}
	var probs Problems
	for _, msg := range msgs {
		msg = strings.TrimPrefix(msg, "yaml: ")
		line := yamlLine(msg)
		msg = strings.TrimPrefix(msg, fmt.Sprintf("line %d: ", line))
		probs = append(probs, Problem{Key: FileKey, Line: line, Rule: "is not valid YAML: " + Shorten(msg, 2*MaxShownValue)})
	}
	return probs
}

// --- Bounded work ----------------------------------------------------------------------------

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

// --- Structure: keys, merges, tags -------------------------------------------------------------

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

// --- Pulumi's view of the file -----------------------------------------------------------------

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

// --- Paths -------------------------------------------------------------------------------------

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
