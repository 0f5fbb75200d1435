package rules

import (
	"testing"

	"github.com/eks-cilium/eks-cilium/stackconfig"
)

func TestCheckNodeGroups_Refuses(t *testing.T) {
	checkRefusals(t, []refusal{
		{"misspelt instance type", ng0(func(g *stackconfig.NodeGroupConfig) { g.InstanceTypes = []string{"m5.lrage"} }), "eks-cilium:nodeGroups[0].instanceTypes[0]", "not an EC2 instance type", "did you mean m5.large?", 0},
		{"no instance type", ng0(func(g *stackconfig.NodeGroupConfig) { g.InstanceTypes = nil }), "eks-cilium:nodeGroups[0].instanceTypes", "at least one EC2 instance type", "", 0},
		{"lower-case capacity type", ng0(func(g *stackconfig.NodeGroupConfig) { g.CapacityType = "spot" }), "eks-cilium:nodeGroups[0].capacityType", `must be one of "ON_DEMAND", "SPOT"`, `did you mean "SPOT"?`, 0},
		{"AL2 AMI type", ng0(func(g *stackconfig.NodeGroupConfig) { g.AmiType = "AL2_x86_64" }), "eks-cilium:nodeGroups[0].amiType", `"AL2023_x86_64_STANDARD"`, "", 0},
		{"disk too small", ng0(func(g *stackconfig.NodeGroupConfig) { g.DiskSize = 10 }), "eks-cilium:nodeGroups[0].diskSize", "must be 20 to 16384 GiB", "", 0},
		{"disk above gp3's maximum", ng0(func(g *stackconfig.NodeGroupConfig) { g.DiskSize = 16385 }), "eks-cilium:nodeGroups[0].diskSize", "must be 20 to 16384 GiB", "", 0},
	})
}
