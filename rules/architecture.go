package rules

import (
	"fmt"
	"strings"

	"github.com/eks-cilium/eks-cilium/instancetypes"
	"github.com/eks-cilium/eks-cilium/stackconfig"
)

// amiArchitectures are the CPU architectures the EKS AMI types boot (EKS API Nodegroup
// amiType; https://docs.aws.amazon.com/eks/latest/APIReference/API_Nodegroup.html and the
// SSM parameters AmiParameter names, .../x86_64/... and .../arm64/...).
var amiArchitectures = map[string]instancetypes.Architecture{
	"AL2023_x86_64_STANDARD": instancetypes.X86_64,
	"AL2023_ARM_64_STANDARD": instancetypes.ARM64,
	"BOTTLEROCKET_x86_64":    instancetypes.X86_64,
	"BOTTLEROCKET_ARM_64":    instancetypes.ARM64,
}

// amiFor is the AMI type of the same family for the other architecture, for fixes.
var amiFor = map[string]map[instancetypes.Architecture]string{
	"AL2023":       {instancetypes.X86_64: "AL2023_x86_64_STANDARD", instancetypes.ARM64: "AL2023_ARM_64_STANDARD"},
	"BOTTLEROCKET": {instancetypes.X86_64: "BOTTLEROCKET_x86_64", instancetypes.ARM64: "BOTTLEROCKET_ARM_64"},
}

// CheckArchitecture refuses instance types whose CPU architecture the node group's AMI does
// not boot: the node group runs one AMI on all its types, so they share its architecture. An
// x86_64 AMI on a Graviton type (or the reverse) launches instances that never boot the
// kubelet, and the node group fails with NodeCreationFailure after its timeout. Mac types run
// only macOS, which has no EKS node AMI.
func CheckArchitecture(cfg stackconfig.Config) (warnings, refusals stackconfig.Problems) {
	c := &collector{}
	for i, g := range cfg.NodeGroups {
		amiArch, amiKnown := amiArchitectures[g.AmiType]
		seen := map[instancetypes.Architecture]string{}
		var order []instancetypes.Architecture
		for j, t := range g.InstanceTypes {
			info, ok := instancetypes.Lookup(t)
			if !ok {
				continue // refused as unknown by CheckNodeGroups
			}
			key := at(nodeGroupKey(i, "instanceTypes"), j)
			arch := info.Architecture
			switch {
			case arch.IsMac():
				c.refuse(key, t, "is a Mac instance (macOS on a Dedicated Host): EKS has no node AMI for macOS, so it cannot be a node", "use an x86_64 or Graviton (arm64) instance type")
				continue
			case amiKnown && arch != amiArch:
				c.refuse(key, t,
					fmt.Sprintf("is %s but amiType %s boots %s: a node group runs one AMI, so all its instance types need that AMI's architecture", describeArch(arch), g.AmiType, amiArch),
					architectureFix(g.AmiType, arch))
			}
			if _, dup := seen[arch]; !dup {
				seen[arch] = t
				order = append(order, arch)
			}
		}
		// With an unknown AMI type (refused by CheckNodeGroups) the mix is still worth naming.
		if !amiKnown && len(order) > 1 {
			parts := make([]string, len(order))
			for k, a := range order {
				parts[k] = fmt.Sprintf("%s (%s)", a, seen[a])
			}
			c.refuse(nodeGroupKey(i, "instanceTypes"), listValue(g.InstanceTypes),
				"mixes CPU architectures "+strings.Join(parts, " and ")+": a node group runs one AMI, so all its instance types share one architecture",
				"split the group by architecture")
		}
	}
	return c.result()
}

func describeArch(a instancetypes.Architecture) string {
	if a == instancetypes.ARM64 {
		return "arm64 (AWS Graviton)"
	}
	return string(a)
}

func architectureFix(amiType string, arch instancetypes.Architecture) string {
	family, _, _ := strings.Cut(amiType, "_")
	if other, ok := amiFor[family][arch]; ok {
		return fmt.Sprintf("set amiType to %s for %s types, or pick %s instance types", other, arch, amiArchitectures[amiType])
	}
	return ""
}
