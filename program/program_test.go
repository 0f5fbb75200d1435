package program

import (
	"testing"
)

// Under `pulumi up` the program sees every key of the stack only through PULUMI_CONFIG;
// config.Try would never ask for a misspelt one.
func TestUnknownKeys_RefusesKeysTheProgramNeverReads(t *testing.T) {
	for _, tc := range []struct {
		name, env string
		want      []string // keys refused, in order
	}{
		{"unset", "", nil},
		{"not a JSON object", "[1]", nil},
		{"the keys of a valid stack", `{"aws:region": "eu-west-1", "eks-cilium:vpc": "{}", "eks-cilium:nodeGroups": "[]", "pulumi:tags": "{}"}`, nil},
		{"a namespace typo and an unknown AWS setting", `{"eks_cilium:vpc": "{}", "aws:regoin": "eu-west-1", "eks-cilium:cilium": "{}"}`,
			[]string{"aws:regoin", "eks_cilium:vpc"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			probs := UnknownKeys(tc.env)
			if len(probs) != len(tc.want) {
				t.Fatalf("got %v, want problems for %v", probs, tc.want)
			}
			for i, p := range probs {
				if p.Key != tc.want[i] || p.Fix == "" {
					t.Errorf("problem %d = %+v, want key %s with a suggestion", i, p, tc.want[i])
				}
			}
		})
	}
}
