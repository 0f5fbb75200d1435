package rules

import (
	"strings"
	"testing"

	"github.com/eks-cilium/eks-cilium/stackconfig"
)

func TestCheckNames_Refuses(t *testing.T) {
	checkRefusals(t, []refusal{
		{"unnamed node group", ng0(func(g *stackconfig.NodeGroupConfig) { g.Name = "" }), "eks-cilium:nodeGroups[0].name", "must not be empty", "", 0},
		{"repeated node group name", func(c *stackconfig.Config) { c.NodeGroups = append(c.NodeGroups, c.NodeGroups[0]) }, "eks-cilium:nodeGroups[1].name", "repeats eks-cilium:nodeGroups[0].name", "", 0},
		{"node group name with underscore", ng0(func(g *stackconfig.NodeGroupConfig) { g.Name = "general_purpose" }), "eks-cilium:nodeGroups[0].name", "letters, digits and '-' only", "", 0},
		{"node group name starting with a dash", ng0(func(g *stackconfig.NodeGroupConfig) { g.Name = "-general" }), "eks-cilium:nodeGroups[0].name", "starting with a letter or digit", "", 0},
		// 41 characters: the node group prefix (42) and the node role (57 + 8) are both too
		// long, reported once for the key with the length that fits both.
		{"node group name too long", ng0(func(g *stackconfig.NodeGroupConfig) { g.Name = strings.Repeat("n", 41) }), "eks-cilium:nodeGroups[0].name",
			"makes the EKS node group name prefix of " + strings.Repeat("n", 41) + " 68 characters", "shorten it to at most 36 characters", 0},
		{"cluster name with a dot", func(c *stackconfig.Config) { c.Cluster.Name = "my.cluster" }, keyClusterName, "EKS cluster names", "", 0},
		{"cluster name over EKS's 100 characters", func(c *stackconfig.Config) { c.Cluster.Name = strings.Repeat("c", 101) }, keyClusterName,
			"makes the EKS cluster name 101 characters", "shorten it to at most 43 characters", 2},
	})
}

// The second example: stack payments-platform-production-euw1 without a cluster name
// gets eks-cilium-payments-platform-production-euw1 (44 characters), and the IAM role
// pulumi-eks creates, <cluster>-eksRole-role with Pulumi's suffix, is 65 characters.
func TestCheckNames_LongStackNameSaysTheClusterNameIsDerivedFromIt(t *testing.T) {
	cfg := validConfig()
	cfg.Stack = "payments-platform-production-euw1"
	_, ps := CheckNames(cfg)
	if len(ps) != 1 {
		t.Fatalf("got %d refusals, want 1:\n%v", len(ps), ps)
	}
	p := ps[0]
	for field, want := range map[string][]string{
		p.Key:   {"eks-cilium:cluster.name"},
		p.Value: {"eks-cilium-payments-platform-production-euw1"},
		p.Rule:  {"IAM role pulumi-eks creates for the EKS control plane 65 characters", `"eks-cilium-payments-platform-production-euw1-eksRole-role"`, "over the 64 allowed"},
		p.Fix:   {"at most 43 characters", `derived from the stack name "payments-platform-production-euw1"`, "set eks-cilium:cluster.name"},
	} {
		for _, w := range want {
			if !strings.Contains(field, w) {
				t.Errorf("%q lacks %q (problem: %v)", field, w, p)
			}
		}
	}
	// The valid neighbour: the same stack with a cluster name that fits.
	cfg.Cluster.Name = "payments-prod-euw1"
	if _, ps := CheckNames(cfg); len(ps) != 0 {
		t.Errorf("payments-prod-euw1 refused: %v", ps)
	}
}

// The first example, general-purpose-workers on dev, is a 24-character node group
// prefix now that the prefix leaves out the cluster name; a 37-character prefix is the longest
// terraform-provider-aws accepts.
func TestCheckNames_NodeGroupPrefixUpTo37Characters(t *testing.T) {
	for name, refused := range map[string]bool{
		"general-purpose-workers": false,
		strings.Repeat("n", 36):   false, // prefix "nnn…-" of 37
		strings.Repeat("n", 37):   true,
	} {
		cfg := validConfig()
		cfg.Stack = "dev"
		cfg.NodeGroups[0].Name = name
		_, ps := CheckNames(cfg)
		if refused != (len(ps) == 1) || (refused && !strings.Contains(ps[0].Rule, "EKS node group name prefix")) {
			t.Errorf("%s (%d characters): refusals %v, want refused %v", name, len(name), ps, refused)
		}
	}
}

// A long cluster name set explicitly: the node role of a short group is too long because of
// the cluster name, and the fix says so and points at the cluster name.
func TestCheckNames_NodeRoleBlamesTheGroupAndNamesTheClusterPart(t *testing.T) {
	cfg := validConfig()
	cfg.Cluster.Name = strings.Repeat("c", 43)
	cfg.NodeGroups[0].Name = "general-purpose"
	_, ps := CheckNames(cfg)
	if len(ps) != 1 || ps[0].Key != "eks-cilium:nodeGroups[0].name" {
		t.Fatalf("refusals %v, want one for nodeGroups[0].name", ps)
	}
	if !strings.Contains(ps[0].Rule, "IAM role of node group general-purpose 67 characters") ||
		!strings.Contains(ps[0].Fix, "shorten it to at most 12 characters") ||
		!strings.Contains(ps[0].Fix, "or shorten eks-cilium:cluster.name") {
		t.Errorf("problem %v", ps[0])
	}
}

func TestCheckNamesOf_BlamesAPlatformNameThatIsNotTheClusters(t *testing.T) {
	cfg := validConfig()
	if ps := CheckNamesOf("shop", cfg); len(ps) != 0 {
		t.Errorf("shop refused: %v", ps)
	}
	ps := CheckNamesOf(strings.Repeat("s", 50), cfg)
	if len(ps) != 2 || ps[0].Key != "eks-cilium:nodeGroups[0].name" || ps[1].Key != "platform.NewPlatform name" {
		t.Errorf("refusals %v, want the node group and the Platform name", ps)
	}
}
