package stackconfig

import (
	"fmt"
	"strings"
	"testing"
)

// hostileInputs are the most expensive inputs for the reader: each limit just passed, and the
// largest files it still accepts.
func hostileInputs() map[string]string {
	head := "config:\n  eks-cilium:cilium:\n    values:\n"
	laughs := head + "      a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
	for i, c := range "bcdefghi" {
		laughs += fmt.Sprintf("      %c: &%c [%s]\n", c, c, strings.TrimSuffix(strings.Repeat("*"+string("abcdefghi"[i])+", ", 10), ", "))
	}
	var wide strings.Builder
	wide.WriteString(head + "      base: &m\n")
	for i := range MaxMappingEntries {
		fmt.Fprintf(&wide, "        k%d: %d\n", i, i)
	}
	// Every alias of a full mapping makes the YAML library compare its keys pairwise again.
	aliased := wide.String() + "      copies: [" + strings.TrimSuffix(strings.Repeat("*m, ", MaxNodes/(2*MaxMappingEntries+1)-2), ", ") + "]\n"
	return map[string]string{
		"billion laughs (refused)":          laughs,
		"anchor holding itself (refused)":   "config:\n  eks-cilium:cilium: &c\n    values: *c\n",
		"nesting past the limit (refused)":  head + "      x: " + strings.Repeat("[", 10_000) + strings.Repeat("]", 10_000) + "\n",
		"nodes past the limit (refused)":    head + "      x:\n" + strings.Repeat("        - a\n", MaxNodes+10),
		"largest string accepted":           head + "      x: \"" + strings.Repeat("a", MaxFileBytes-100) + "\"\n",
		"most nodes accepted, plain":        head + "      x: [" + strings.TrimSuffix(strings.Repeat("1,", MaxNodes-20), ",") + "]\n",
		"most nodes accepted, wide aliased": aliased,
		"over the size limit (refused)":     head + "      x: \"" + strings.Repeat("a", 10<<20) + "\"\n",
	}
}

// BenchmarkLoadBytes_Hostile: time and memory per read of each worst input
// (go test -run '^$' -bench LoadBytes -benchmem ./stackconfig).
func BenchmarkLoadBytes_Hostile(b *testing.B) {
	for name, text := range hostileInputs() {
		data := []byte(text)
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, _, _ = LoadBytes("bench", data)
			}
		})
	}
}
