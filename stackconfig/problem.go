package stackconfig

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Problem is one thing wrong with a stack's configuration: the key path as a user writes it
// (eks-cilium:cilium.clusterPoolIPv4PodCIDRList[1]), the value found there, the rule it
// breaks and, where one exists, the fix. Line is the stack file's line when the problem was
// found while reading the file (0 when it comes from decoded values, which carry no lines).
type Problem struct {
	Key   string `json:"key"`
	Value string `json:"value"`
	Rule  string `json:"rule"`
	Fix   string `json:"fix,omitempty"`
	Line  int    `json:"line,omitempty"`
}

// FileKey is the key of a problem with the stack file as a whole (its syntax, its size).
const FileKey = "(file)"

// Messages must stay readable whatever the input holds: a 10 MB value or a key of a
// thousand characters is shortened to its first characters and its size.
const (
	// MaxShownValue is how many characters of a value a message shows (about half a line).
	MaxShownValue = 60
	// MaxShownKey is how many characters of a key path a message shows.
	MaxShownKey = 120
	// MaxShownProblems is how many problems one error lists; the rest are counted. Fixing
	// the first ones usually removes the others, and a hostile file must not flood stderr.
	MaxShownProblems = 25
)

func (p Problem) String() string {
	s := printable(Shorten(p.Key, MaxShownKey)) + ": "
	if p.Value != "" || p.Key != FileKey {
		s += quoteValue(p.Value) + ": "
	}
	s += printable(p.Rule)
	if p.Fix != "" {
		s += " (" + printable(p.Fix) + ")"
	}
	if p.Line > 0 {
		s = fmt.Sprintf("line %d: %s", p.Line, s)
	}
	return s
}

func quoteValue(v string) string {
	if v == "" {
		return "(unset)"
	}
	return fmt.Sprintf("%q", Shorten(v, MaxShownValue))
}

// printable escapes control characters (a newline, a terminal escape) that a key or a
// message quoting the input may carry, so every problem stays on one line of plain text.
func printable(s string) string {
	if !strings.ContainsFunc(s, unicode.IsControl) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if unicode.IsControl(r) {
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Shorten keeps text that fits on part of a line as it is. Longer text, or text spanning
// lines, keeps its first max characters of the first line, followed by "…" and the full
// size, so a message shows enough to find the value without echoing all of it.
func Shorten(s string, max int) string {
	line, _, multi := strings.Cut(s, "\n")
	if !multi && utf8.RuneCountInString(s) <= max {
		return s
	}
	if utf8.RuneCountInString(line) > max {
		line = string([]rune(line)[:max])
	}
	return fmt.Sprintf("%s… (%d bytes)", line, len(s))
}

// Problems is a list of problems; as an error it prints one per line, each once, at most
// MaxShownProblems of them.
type Problems []Problem

func (ps Problems) Error() string {
	seen := map[Problem]bool{}
	var lines []string
	for _, p := range ps {
		if seen[p] {
			continue
		}
		seen[p] = true
		lines = append(lines, p.String())
	}
	n := len(lines)
	if n > MaxShownProblems {
		lines = append(lines[:MaxShownProblems], fmt.Sprintf("… and %d more problems (fix the ones above first)", n-MaxShownProblems))
	}
	noun := "problems"
	if n == 1 {
		noun = "problem"
	}
	return fmt.Sprintf("invalid stack configuration (%d %s):\n  %s", n, noun, strings.Join(lines, "\n  "))
}

// Nearest returns the candidate closest to name by edit distance, or "" when none is
// within a third of the name's length (then the suggestion would be noise). Case is ignored,
// so a field written in the wrong case finds its exact spelling.
func Nearest(name string, candidates []string) string {
	// Names longer than any real key are not compared: the distance is quadratic in length.
	if len(name) > 4*MaxShownKey {
		return ""
	}
	best, bestDist := "", len(name)/3+2
	lname := strings.ToLower(name)
	for _, c := range candidates {
		if d := editDistance(lname, strings.ToLower(c)); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// Sort orders problems by key, numbers inside keys by value (nodeGroups[2] before
// nodeGroups[10]), keeping the order found for equal keys.
func (ps Problems) Sort() {
	slices.SortStableFunc(ps, func(a, b Problem) int { return compareKeys(a.Key, b.Key) })
}

func compareKeys(a, b string) int {
	for a != "" && b != "" {
		da, db := digitRun(a), digitRun(b)
		if da > 0 && db > 0 {
			na, nb := strings.TrimLeft(a[:da], "0"), strings.TrimLeft(b[:db], "0")
			if len(na) != len(nb) {
				return len(na) - len(nb)
			}
			if r := strings.Compare(na, nb); r != 0 {
				return r
			}
			a, b = a[da:], b[db:]
			continue
		}
		if a[0] != b[0] {
			return int(a[0]) - int(b[0])
		}
		a, b = a[1:], b[1:]
	}
	return len(a) - len(b)
}

func digitRun(s string) int {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}
