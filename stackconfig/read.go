package stackconfig

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Limits on the work one stack file may cause. A real stack file is a few KB with a few
// hundred YAML nodes nested under ten levels deep (stacks/Pulumi.prod.yaml: 1.2 KB, 89 nodes,
// 6 levels); the limits leave two orders of magnitude of room and keep the worst input the
// reader accepts well under a second and under 100 MB (docs/stack-files.md, the limits table).
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
	data, size, err := ReadRegular(path, MaxFileBytes)
	if err != nil {
		return nil, err
	}
	if len(data) > MaxFileBytes {
		return nil, Problems{tooLarge(size)}
	}
	return data, nil
}

// ReadRegular reads a regular file, at most limit+1 bytes of it (more than limit means the
// file is too large; size says by how much), and refuses anything else (a FIFO, a device such
// as /dev/zero, a directory) before reading.
func ReadRegular(path string, limit int) (data []byte, size int64, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, 0, err
	}
	if !info.Mode().IsRegular() {
		return nil, 0, fmt.Errorf("%s is not a regular file", path)
	}
	data, err = io.ReadAll(io.LimitReader(f, int64(limit)+1))
	return data, info.Size(), err
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
		return Config{}, nil, nameEmptyKeys(probs)
	}
	cfg, err := decode(stack, f.values, f.sources)
	var decoded Problems
	if errors.As(err, &decoded) {
		return cfg, f.values, nameEmptyKeys(decoded)
	}
	return cfg, f.values, err
}

// nameEmptyKeys writes a key that is the empty string (`"": x`, or a tag with no key text)
// as `""`, so every problem still names its key; found by fuzzing.
func nameEmptyKeys(probs Problems) Problems {
	for i := range probs {
		if probs[i].Key == "" {
			probs[i].Key = `""`
		}
	}
	return probs
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
