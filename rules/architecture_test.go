package rules

import (
	"strings"
	"testing"

	"github.com/eks-cilium/eks-cilium/stackconfig"
)

func group(ami string, types ...string) func(*stackconfig.Config) {
	return ng0(func(g *stackconfig.NodeGroupConfig) {
		g.AmiType, g.InstanceTypes = ami, types
		if strings.HasPrefix(ami, "BOTTLEROCKET_") {
			g.AmiVersion = "v1.38.0" // the base pins an AL2023 release
		}
	})
}

func TestCheckArchitecture_Refuses(t *testing.T) {
	checkRefusals(t, []refusal{
		// The two examples.
		{"Graviton with the default x86 AMI", group("AL2023_x86_64_STANDARD", "m6g.large"), "eks-cilium:nodeGroups[0].instanceTypes[0]",
			"is arm64 (AWS Graviton) but amiType AL2023_x86_64_STANDARD boots x86_64", "set amiType to AL2023_ARM_64_STANDARD", 0},
		{"ARM Bottlerocket on t3.medium", group("BOTTLEROCKET_ARM_64", "t3.medium"), "eks-cilium:nodeGroups[0].instanceTypes[0]",
			"is x86_64 but amiType BOTTLEROCKET_ARM_64 boots arm64", "set amiType to BOTTLEROCKET_x86_64", 0},
		{"one Graviton type among x86 ones", group("AL2023_x86_64_STANDARD", "m5.large", "m6g.large", "m5a.large"), "eks-cilium:nodeGroups[0].instanceTypes[1]",
			"a node group runs one AMI, so all its instance types need that AMI's architecture", "", 0},
		{"Mac", group("AL2023_ARM_64_STANDARD", "mac2.metal"), "eks-cilium:nodeGroups[0].instanceTypes[0]", "EKS has no node AMI for macOS", "", 0},
		// With an AMI type that is refused itself, the mix is still named (2: the AMI type too).
		{"mixed types with an unknown AMI type", group("AL2_x86_64", "m5.large", "m6g.large"), "eks-cilium:nodeGroups[0].instanceTypes",
			"mixes CPU architectures x86_64 (m5.large) and arm64 (m6g.large)", "split the group", 2},
	})
}

func TestCheckArchitecture_AcceptsMatchingTypes(t *testing.T) {
	for _, mutate := range []func(*stackconfig.Config){
		group("AL2023_ARM_64_STANDARD", "m6g.large", "m7g.large", "c7gn.xlarge"),
		group("BOTTLEROCKET_ARM_64", "t4g.medium", "a1.large"),
		group("AL2023_x86_64_STANDARD", "m5.large", "m6a.large", "c7i-flex.large"),
		group("BOTTLEROCKET_x86_64", "t3.medium"),
	} {
		cfg := validConfig()
		mutate(&cfg)
		if _, ps := CheckArchitecture(cfg); len(ps) != 0 {
			t.Errorf("%s on %v refused: %v", cfg.NodeGroups[0].AmiType, cfg.NodeGroups[0].InstanceTypes, ps)
		}
	}
}

// Every AMI type the node groups accept has an architecture.
func TestAmiArchitectures_CoverEveryAmiType(t *testing.T) {
	for _, ami := range AmiTypes {
		if _, ok := amiArchitectures[ami]; !ok {
			t.Errorf("no architecture for %s", ami)
		}
	}
}
