package stackconfig

import (
	"fmt"
	"slices"
	"strings"
)

// Problem is one thing wrong with a stack's configuration: the key path as a user writes it
// (eks-cilium:cilium.clusterPoolIPv4PodCIDRList[1]), the value found there, the rule it
// breaks and, where one exists, the fix.
type Problem struct {
	Key   string `json:"key"`
	Value string `json:"value"`
	Rule  string `json:"rule"`
	Fix   string `json:"fix,omitempty"`
}

func (p Problem) String() string {
	s := fmt.Sprintf("%s: %s: %s", p.Key, quoteValue(p.Value), p.Rule)
	if p.Fix != "" {
		s += " (" + p.Fix + ")"
	}
	return s
}

func quoteValue(v string) string {
	if v == "" {
		return "(unset)"
	}
	return fmt.Sprintf("%q", v)
}

// Problems is a list of problems; as an error it prints one per line.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return fmt.Sprintf("invalid stack configuration (%d problem(s)):\n  %s", len(ps), strings.Join(lines, "\n  "))
}

// Nearest returns the candidate closest to name by edit distance, or "" when none is
// within a third of the name's length (then the suggestion would be noise).
func Nearest(name string, candidates []string) string {
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
