package tests

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// This file reads the documentation the way a reader does: the fenced code blocks of every
// Markdown page, and the shell commands in them. readme_test.go decides what to do with each.

// errNoDocRun: documented commands are run only where a process group can be stopped as a
// whole (docrun_unix_test.go); elsewhere they are checked without running.
var errNoDocRun = errors.New("running documented commands needs a Unix process group")

// docRoot is the repository root, seen from this package's directory.
const docRoot = ".."

// docPages lists the Markdown pages whose commands and links are checked: the README, every
// page in docs/, and the READMEs next to the code.
func docPages() ([]string, error) {
	pages := []string{"README.md"}
	docs, err := filepath.Glob(filepath.Join(docRoot, "docs", "*.md"))
	if err != nil {
		return nil, err
	}
	for _, p := range docs {
		rel, err := filepath.Rel(docRoot, p)
		if err != nil {
			return nil, err
		}
		pages = append(pages, filepath.ToSlash(rel))
	}
	for _, p := range []string{"examples/README.md", "policies/README.md", "provider/README.md"} {
		if _, err := os.Stat(filepath.Join(docRoot, p)); err == nil {
			pages = append(pages, p)
		}
	}
	return pages, nil
}

// codeBlock is one fenced block of a page.
type codeBlock struct {
	page string // repository-relative path of the page
	line int    // line of the opening fence, 1-based
	lang string // the info string's first word; "" when the fence has none
	text []string
}

var fence = regexp.MustCompile("^(\\s*)(```+)\\s*(\\S*)")

// readBlocks returns the fenced code blocks of a page and its prose with every block removed.
func readBlocks(page string) (blocks []codeBlock, prose string, err error) {
	raw, err := os.ReadFile(filepath.Join(docRoot, page))
	if err != nil {
		return nil, "", err
	}
	var out strings.Builder
	var cur *codeBlock
	var indent, ticks string
	for i, line := range strings.Split(string(raw), "\n") {
		if cur == nil {
			if m := fence.FindStringSubmatch(line); m != nil {
				cur = &codeBlock{page: page, line: i + 1, lang: m[3]}
				indent, ticks = m[1], m[2]
				continue
			}
			out.WriteString(line + "\n")
			continue
		}
		if strings.TrimSpace(line) == ticks {
			blocks = append(blocks, *cur)
			cur = nil
			out.WriteString("\n")
			continue
		}
		cur.text = append(cur.text, strings.TrimPrefix(line, indent))
	}
	if cur != nil {
		return nil, "", fmt.Errorf("%s:%d: code block is never closed", page, cur.line)
	}
	return blocks, out.String(), nil
}

// shellLangs are the info strings of blocks that hold commands a reader types.
var shellLangs = map[string]bool{"sh": true, "bash": true, "shell": true}

// otherLangs are the info strings of blocks that hold no commands.
var otherLangs = map[string]bool{"text": true, "go": true, "yaml": true, "json": true}

// command is one command of a shell block, split into words the way the shell would.
type command struct {
	page    string
	line    int
	source  string   // the line as written, without its comment
	comment string   // the trailing comment, if any
	env     []string // NAME=value words before the command
	args    []string // the command and its arguments, quotes removed
	stdout  string   // file after ">", if any
}

func (c command) String() string { return fmt.Sprintf("%s:%d: %s", c.page, c.line, c.source) }

// commands splits a shell block into commands: backslash continuations are joined, comments
// removed, and "a && b" and "a; b" become two commands. Every command also returns its
// position in the block (commands of one block share state: cd, files written).
func (b codeBlock) commands() ([]command, error) {
	var out []command
	for i := 0; i < len(b.text); i++ {
		line, start := b.text[i], i
		for strings.HasSuffix(strings.TrimSpace(line), "\\") && i+1 < len(b.text) {
			line = strings.TrimSuffix(strings.TrimSpace(line), "\\") + " " + b.text[i+1]
			i++
		}
		code, comment := splitComment(line)
		if strings.TrimSpace(code) == "" {
			continue
		}
		for _, part := range splitOutsideQuotes(code, []string{"&&", ";"}) {
			words, err := shellWords(part)
			if err != nil {
				return nil, fmt.Errorf("%s:%d: %v", b.page, b.line+1+start, err)
			}
			c := command{page: b.page, line: b.line + 1 + start, source: strings.TrimSpace(part), comment: comment}
			for len(words) > 0 && isAssignment(words[0]) {
				c.env, words = append(c.env, words[0]), words[1:]
			}
			for j := 0; j < len(words); j++ {
				if words[j] == ">" && j+1 < len(words) {
					c.stdout = words[j+1]
					j++
					continue
				}
				c.args = append(c.args, words[j])
			}
			out = append(out, c)
		}
	}
	return out, nil
}

var assignment = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*=`)

func isAssignment(w string) bool { return assignment.MatchString(w) }

// splitComment separates a line from its comment: a "#" at the start of a word, outside
// quotes and outside $(...).
func splitComment(line string) (code, comment string) {
	var quote rune
	depth := 0
	for i, r := range line {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case r == '\'' || r == '"':
			quote = r
		case r == '(' && i > 0 && line[i-1] == '$':
			depth++
		case r == ')' && depth > 0:
			depth--
		case r == '#' && depth == 0 && (i == 0 || line[i-1] == ' ' || line[i-1] == '\t'):
			return line[:i], strings.TrimSpace(line[i+1:])
		}
	}
	return line, ""
}

// splitOutsideQuotes splits s at every separator that is outside quotes and $(...).
func splitOutsideQuotes(s string, seps []string) []string {
	var parts []string
	var quote byte
	depth, from := 0, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
			continue
		case c == '\'' || c == '"':
			quote = c
			continue
		case c == '(' && i > 0 && s[i-1] == '$':
			depth++
			continue
		case c == ')' && depth > 0:
			depth--
			continue
		}
		if depth > 0 {
			continue
		}
		for _, sep := range seps {
			if strings.HasPrefix(s[i:], sep) {
				parts = append(parts, s[from:i])
				from = i + len(sep)
				i += len(sep) - 1
				break
			}
		}
	}
	parts = append(parts, s[from:])
	var out []string
	for _, p := range parts {
		if strings.TrimSpace(p) != "" {
			out = append(out, p)
		}
	}
	return out
}

// shellWords splits a command into words: whitespace separates, quotes group and are removed,
// $(...) stays one word with its text.
func shellWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case c == '\'' || c == '"':
			end := strings.IndexByte(s[i+1:], c)
			if end < 0 {
				return nil, fmt.Errorf("unterminated %c in %q", c, s)
			}
			cur.WriteString(s[i+1 : i+1+end])
			i += end + 1
			inWord = true
		case c == '$' && i+1 < len(s) && s[i+1] == '(':
			end := strings.IndexByte(s[i:], ')')
			if end < 0 {
				return nil, fmt.Errorf("unterminated $( in %q", s)
			}
			cur.WriteString(s[i : i+end+1])
			i += end
			inWord = true
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// commandSubstitutions returns the commands inside every $(...) of a word.
func commandSubstitutions(word string) []string {
	var out []string
	for {
		i := strings.Index(word, "$(")
		if i < 0 {
			return out
		}
		end := strings.IndexByte(word[i:], ')')
		if end < 0 {
			return out
		}
		out = append(out, word[i+2:i+end])
		word = word[i+end+1:]
	}
}

// expectedExit is the exit status a command's comment promises ("# exit status 1"), 0 without.
func expectedExit(comment string) int {
	m := regexp.MustCompile(`\bexit status (\d+)\b`).FindStringSubmatch(comment)
	if m == nil {
		return 0
	}
	n, err := strconv.Atoi(m[1])
	if err != nil {
		return -1 // a status no command exits with: the test reports the comment as wrong
	}
	return n
}

// slug is the anchor GitHub gives a heading: lower case, punctuation dropped, spaces to
// hyphens.
func slug(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(heading)) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || r > 127:
			b.WriteRune(r)
		}
	}
	return b.String()
}

var headingLine = regexp.MustCompile(`^#{1,6}\s+(.+?)\s*#*\s*$`)

// anchors returns every heading anchor of a page's prose, with GitHub's -1, -2 suffixes for
// repeated headings.
func anchors(prose string) map[string]bool {
	seen := map[string]int{}
	out := map[string]bool{}
	for _, line := range strings.Split(prose, "\n") {
		m := headingLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		s := slug(strings.ReplaceAll(m[1], "`", ""))
		if n := seen[s]; n > 0 {
			out[fmt.Sprintf("%s-%d", s, n)] = true
		} else {
			out[s] = true
		}
		seen[s]++
	}
	return out
}

var (
	inlineCode = regexp.MustCompile("`[^`\n]*`")
	mdLink     = regexp.MustCompile(`\[[^\]]*\]\(([^)\s]+)\)`)
)

// links returns the targets of every inline link in a page's prose (code spans excluded).
func links(prose string) []string {
	var out []string
	for _, m := range mdLink.FindAllStringSubmatch(inlineCode.ReplaceAllString(prose, ""), -1) {
		out = append(out, m[1])
	}
	return out
}
