package stackconfig

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// onlyProblem is the one problem of err, apart from required keys the test's snippet leaves
// out of the objects it writes (each named and refused as such).
func onlyProblem(t *testing.T, err error) Problem {
	t.Helper()
	var ps Problems
	if !errors.As(err, &ps) {
		t.Fatalf("got %v, want Problems", err)
	}
	var others Problems
	for _, p := range ps {
		if p.Rule != requiredRule {
			others = append(others, p)
		}
	}
	if len(others) != 1 {
		t.Fatalf("got %v, want exactly one Problem besides required keys left out", err)
	}
	return others[0]
}

func TestRead_RefusesWhatPulumiWouldRefuseOrMisread(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		key        string
		line       int
		rule, fix  string
	}{
		// Found by fuzzing: keys that are the empty string are still named.
		{"an empty top-level key", "\"\": 1\n", `""`, 1, "is not a key of a stack file", ""},
		{"a tag with no key text", "!00 :\n", `""`, 1, "is a YAML tag Pulumi ignores", "remove the tag"},
		{"duplicate top-level key", "config:\n  eks-cilium:cilium: {}\n  eks-cilium:cilium: {}\n",
			"eks-cilium:cilium", 3, "is set twice, at lines 2 and 3", "keep one"},
		{"duplicate nested key", "config:\n  eks-cilium:cilium:\n    clusterPoolIPv4MaskSize: 24\n    clusterPoolIPv4MaskSize: 25\n",
			"eks-cilium:cilium.clusterPoolIPv4MaskSize", 4, "is set twice, at lines 3 and 4", ""},
		{"duplicate key in a flow mapping", "config:\n  eks-cilium:vpc: {cidr: 10.0.0.0/16, cidr: 10.1.0.0/16}\n",
			"eks-cilium:vpc.cidr", 2, "is set twice", ""},
		{"duplicate through an aliased key", "config:\n  eks-cilium:cilium:\n    &k tunnelProtocol: vxlan\n    *k : geneve\n",
			"eks-cilium:cilium.tunnelProtocol", 4, "is set twice, at lines 3 and 4", ""},
		{"a key with and without the namespace", "config:\n  cilium: {}\n  eks-cilium:cilium: {}\n",
			"eks-cilium:cilium", 3, `as "cilium" (line 2) and as "eks-cilium:cilium" (line 3)`, "keep one"},
		{"two merge keys", "a: &a {x: 1}\nconfig:\n  eks-cilium:cilium:\n    <<: *a\n    <<: *a\n",
			"eks-cilium:cilium.<<", 5, "is set twice", ""},
		{"unknown namespace", "config:\n  eks_cilium:vpc: {}\n",
			"eks_cilium:vpc", 2, `unknown namespace "eks_cilium"`, "did you mean eks-cilium:vpc?"},
		{"unknown section", "config:\n  eks-cilium:cillium: {}\n",
			"eks-cilium:cillium", 2, "unknown config key of this project", "did you mean eks-cilium:cilium?"},
		{"unknown AWS setting", "config:\n  aws:regoin: eu-west-1\n",
			"aws:regoin", 2, "not a setting of the AWS provider", "did you mean aws:region?"},
		{"the region without its namespace", "config:\n  region: eu-west-1\n",
			"eks-cilium:region", 2, "unknown config key", "did you mean aws:region?"},
		{"the old ns:config:name form", "config:\n  eks-cilium:config:vpc: {}\n",
			"eks-cilium:config:vpc", 2, "namespace:name", "write eks-cilium:vpc"},
		{"config keys outside the config block", "eks-cilium:cilium: {}\n",
			"eks-cilium:cilium", 1, "is outside the config: block", "indent it under config:"},
		{"a misspelt config block", "confg:\n  aws:region: eu-west-1\n",
			"confg", 1, "is not a key of a stack file", "did you mean config?"},
		{"a top-level key with no value", "config:\n  eks-cilium:vpc:\n",
			"eks-cilium:vpc", 2, "has no value", ""},
		{"a section written as a string", "config:\n  eks-cilium:nodeGroups: notalist\n",
			"eks-cilium:nodeGroups", 2, "must be a list, got a string", ""},
		{"a section written as quoted JSON", "config:\n  eks-cilium:vpc: '{\"cidr\": \"10.0.0.0/16\"}'\n",
			"eks-cilium:vpc", 2, "must be an object (a YAML mapping), got a string", ""},
		{"a custom tag", "config:\n  eks-cilium:cilium:\n    version: !Ref Version\n",
			"eks-cilium:cilium.version", 3, "a YAML tag Pulumi ignores", "remove the tag"},
		{"an integer key", "config:\n  eks-cilium:nodeGroups:\n    - labels: {1: one}\n",
			"eks-cilium:nodeGroups[0].labels", 3, "a mapping key of type int", `quote the key: "1"`},
		{"a null key", "config:\n  eks-cilium:cilium:\n    values: {~: x}\n",
			"eks-cilium:cilium.values", 3, `Pulumi would turn it into the text "<nil>"`, ""},
		{"a mapping as a key", "config:\n  eks-cilium:cilium:\n    values: {? {a: 1} : x}\n",
			"eks-cilium:cilium.values", 3, "a mapping key that is itself a mapping", ""},
		{"a merge of a scalar", "config:\n  eks-cilium:cilium:\n    <<: 24\n",
			"eks-cilium:cilium", 3, "a merge key (<<) takes a mapping", ""},
		{"a second document", "config:\n  aws:region: eu-west-1\n---\nconfig: {}\n",
			FileKey, 3, "a second YAML document starts here", "keep one document"},
		{"a list as the whole file", "- config: {}\n",
			FileKey, 1, "a stack file is a YAML mapping", ""},
		{"a list as the config block", "config:\n  - aws:region: eu-west-1\n",
			"config", 2, "must be a mapping", ""},
		{"not-a-number", "config:\n  eks-cilium:cilium:\n    clusterPoolIPv4MaskSize: .nan\n",
			"eks-cilium:cilium.clusterPoolIPv4MaskSize", 3, "a number JSON cannot carry", ""},
		{"infinity", "config:\n  eks-cilium:cilium:\n    values: {x: -.inf}\n",
			"eks-cilium:cilium.values.x", 3, "a number JSON cannot carry", ""},
		{"a secret in this project's settings", "config:\n  eks-cilium:cluster:\n    kmsKeyArn: {secure: v1:abc}\n",
			"eks-cilium:cluster", 2, "is encrypted", "plain text"},
		{"an ESC environment", "environment: [prod]\nconfig: {}\n",
			"environment", 1, "the offline render cannot see", ""},
		{"a tab in the indentation", "config:\n\teks-cilium:cilium: {}\n",
			FileKey, 2, "is not valid YAML", ""},
		{"an unclosed flow list", "config:\n  eks-cilium:vpc: {cidr: [\n",
			FileKey, 2, "is not valid YAML", ""},
		{"config keys outside the config block, with an anchor", "eks-cilium:cilium: &c {}\n",
			"eks-cilium:cilium", 1, "is outside the config: block", ""},
		{"an alias to an unknown anchor", "config:\n  eks-cilium:vpc: *nowhere\n",
			FileKey, 0, "unknown anchor", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := LoadBytes("test", []byte(tc.yaml))
			p := onlyProblem(t, err)
			if p.Key != tc.key || p.Line != tc.line || !strings.Contains(p.Rule, tc.rule) || !strings.Contains(p.Fix, tc.fix) {
				t.Errorf("got %+v\nwant key %q, line %d, rule containing %q, fix containing %q", p, tc.key, tc.line, tc.rule, tc.fix)
			}
		})
	}
}

func TestRead_KeepsSecretsOfOtherNamespacesAwayFromTheProgram(t *testing.T) {
	_, values, err := LoadBytes("test", []byte("config:\n  aws:region: eu-west-1\n  aws:secretKey: {secure: v1:abc}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := values["aws:secretKey"]; ok || values[KeyRegion] != "eu-west-1" {
		t.Errorf("values = %v, want aws:region only (the ciphertext is the provider's, never the program's)", values)
	}
}

// repeat builds generated hostile files.
func repeat(s string, n int) string { return strings.Repeat(s, n) }

// TestRead_BoundsTheWork: every limit is a Problem naming the limit and the line, found
// before any expansion happens (each case would otherwise take gigabytes or crash).
func TestRead_BoundsTheWork(t *testing.T) {
	laughs := "config:\n  eks-cilium:cilium:\n    values:\n      a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
	for i, c := range "bcdefghi" {
		prev := string("abcdefghi"[i])
		laughs += fmt.Sprintf("      %c: &%c [%s]\n", c, c, strings.TrimSuffix(repeat("*"+prev+", ", 10), ", "))
	}
	for _, tc := range []struct {
		name, yaml string
		key        string
		line       int
		rule       string
	}{
		{"a file over the size limit", "config:\n  eks-cilium:cilium:\n    values: {x: \"" + repeat("a", 10<<20) + "\"}\n",
			FileKey, 0, "stackconfig.MaxFileBytes"},
		{"nesting over the depth limit", "config:\n  eks-cilium:cilium:\n    values: {x: " + repeat("[", 80) + repeat("]", 80) + "}\n",
			"eks-cilium:cilium.values.x[0][0][0]", 3, "stackconfig.MaxDepth"},
		{"aliases nesting over the depth limit", "config:\n  eks-cilium:cilium:\n    values:\n      l0: &l0 x\n" + func() string {
			var b strings.Builder
			for i := 1; i < 80; i++ {
				fmt.Fprintf(&b, "      l%d: &l%d [*l%d]\n", i, i, i-1)
			}
			return b.String()
		}(), "eks-cilium:cilium.values.l60[0]", 63, "stackconfig.MaxDepth"},
		{"a billion laughs", laughs, "eks-cilium:cilium.values.d[7]", 7, "the alias *c (1111 nodes each time it is used)"},
		{"many plain nodes", "config:\n  eks-cilium:cilium:\n    values:\n      x:\n" + repeat("        - a\n", MaxNodes+10),
			"eks-cilium:cilium.values.x[9990]", 9995, "stackconfig.MaxNodes"},
		{"an anchor holding itself", "config:\n  eks-cilium:cilium: &c\n    values: *c\n",
			"eks-cilium:cilium.values", 3, "a loop with no end"},
		{"a mapping merging itself", "config:\n  eks-cilium:cilium: &c\n    <<: *c\n",
			"eks-cilium:cilium.<<", 3, "a loop with no end"},
		{"a mapping over the entry limit", "config:\n  eks-cilium:cilium:\n    values:\n" + func() string {
			var b strings.Builder
			for i := 0; i <= MaxMappingEntries; i++ {
				fmt.Fprintf(&b, "      k%d: %d\n", i, i)
			}
			return b.String()
		}(), "eks-cilium:cilium.values", 4, "stackconfig.MaxMappingEntries"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := LoadBytes("test", []byte(tc.yaml))
			p := onlyProblem(t, err)
			// Keys of deep values are long; their start names the place.
			if !strings.HasPrefix(p.Key, tc.key) || p.Line != tc.line || !strings.Contains(p.Rule, tc.rule) {
				t.Errorf("got %+v\nwant key %q, line %d, rule containing %q", p, tc.key, tc.line, tc.rule)
			}
		})
	}
}

func TestRead_MergesAsYAMLDoes(t *testing.T) {
	cfg, _, err := LoadBytes("test", []byte(`base: &base {name: base, instanceTypes: [m5.large], minSize: 1, desiredSize: 1, maxSize: 2, diskSize: 80}
extra: &extra {diskSize: 100, maxPods: 50, capacityType: SPOT}
config:
  eks-cilium:nodeGroups:
    - <<: *base
      name: own          # an explicit key wins over a merged one
    - <<: [*extra, *base] # the first mapping of a merge list wins
      name: both
`))
	if err != nil {
		t.Fatal(err)
	}
	own, both := cfg.NodeGroups[0], cfg.NodeGroups[1]
	if own.Name != "own" || own.DiskSize != 80 || own.MaxSize != 2 || own.CapacityType != "ON_DEMAND" {
		t.Errorf("first group = %+v, want the base with its own name", own)
	}
	if both.Name != "both" || both.DiskSize != 100 || both.MaxPods != 50 || both.CapacityType != "SPOT" || both.MaxSize != 2 {
		t.Errorf("second group = %+v, want extra's diskSize over base's", both)
	}
}

func TestRead_ProblemsFromDecodingNameTheLineAndTheValueAsWritten(t *testing.T) {
	_, _, err := LoadBytes("test", []byte("config:\n  eks-cilium:cluster:\n    version: 1.30\n"))
	p := onlyProblem(t, err)
	if p.Line != 3 || p.Value != "1.30" || p.Fix != `quote it, e.g. "1.30"` {
		t.Errorf("got %+v, want line 3 and the version as written (Pulumi passes 1.3)", p)
	}
}

func TestProblems_StayReadableWhateverTheInput(t *testing.T) {
	huge := repeat("x", 900_000)
	long := Problem{Key: "eks-cilium:cilium." + repeat("k", 5000), Value: huge + "\nsecond line", Rule: "is wrong"}
	escape := Problem{Key: "eks-cilium:cilium.\x1b[31mred\nline", Value: "v", Rule: "unknown field"}
	var many Problems
	for i := range 1000 {
		many = append(many, Problem{Key: fmt.Sprintf("k%04d", i), Value: "v", Rule: "is wrong"})
	}
	for _, tc := range []struct {
		name     string
		err      Problems
		maxBytes int
		want     []string
	}{
		{"a 900 KB value and a 5000-character key", Problems{long}, 400, []string{"xxx… (900012 bytes)", "kkk… (5018 bytes)", "is wrong"}},
		{"control characters", Problems{escape}, 200, []string{`\x1b[31mred… (31 bytes)`}},
		{"the same problem twice", Problems{escape, escape}, 200, []string{"(1 problem)"}},
		{"a thousand problems", many, 2000, []string{"(1000 problems)", "k0024", "… and 975 more problems"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg := tc.err.Error()
			if len(msg) > tc.maxBytes {
				t.Errorf("message is %d bytes, want at most %d", len(msg), tc.maxBytes)
			}
			if strings.ContainsAny(msg, "\x1b") {
				t.Errorf("message carries a raw control character: %q", msg)
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("message lacks %q:\n%s", w, msg)
				}
			}
			if strings.Contains(msg, "k0025") {
				t.Errorf("message lists more than MaxShownProblems problems")
			}
		})
	}
}
