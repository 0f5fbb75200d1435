package rules

import (
	"fmt"
	"strconv"

	"github.com/eks-cilium/eks-cilium/instancetypes"
	"github.com/eks-cilium/eks-cilium/stackconfig"
)

// Node group fields that are not about capacity (sizes, maxPods and maxUnavailable are the
// planner's, package ipplan).
var (
	// capacityTypes are EKS's capacityType values (EKS API CreateNodegroup).
	capacityTypes = []string{"ON_DEMAND", "SPOT"}
	// AmiTypes are the EKS AMI types the node group component renders user data for: nodeadm
	// (AL2023) and Bottlerocket TOML. EKS publishes no AL2 AMIs for Kubernetes 1.33 and later
	// (https://docs.aws.amazon.com/eks/latest/userguide/eks-ami-deprecation-faqs.html).
	AmiTypes = []string{"AL2023_x86_64_STANDARD", "AL2023_ARM_64_STANDARD", "BOTTLEROCKET_x86_64", "BOTTLEROCKET_ARM_64"}
)

// diskSize bounds in GiB: 20 is EKS's default node disk size (CreateNodegroup diskSize); 16384
// is the largest gp3 volume (https://docs.aws.amazon.com/ebs/latest/userguide/ebs-volume-types.html).
const minDiskSize, maxDiskSize = 20, 16384

// CheckNodeGroups checks the node group fields EKS and EC2 validate: instance types that
// exist, the capacity type, the AMI type, the disk size.
func CheckNodeGroups(cfg stackconfig.Config) (warnings, refusals stackconfig.Problems) {
	c := &collector{}
	var known []string
	for i, g := range cfg.NodeGroups {
		if len(g.InstanceTypes) == 0 {
			c.refuse(nodeGroupKey(i, "instanceTypes"), "", "must list at least one EC2 instance type", "e.g. [m5.large]")
		}
		for j, t := range g.InstanceTypes {
			if _, ok := instancetypes.Lookup(t); ok {
				continue
			}
			if known == nil {
				known = instancetypes.Types()
			}
			fix := ""
			if n := stackconfig.Nearest(t, known); n != "" {
				fix = "did you mean " + n + "?"
			}
			c.refuse(at(nodeGroupKey(i, "instanceTypes"), j), t, "is not an EC2 instance type known to amazon-eks-ami's ENI table", fix)
		}
		c.oneOf(nodeGroupKey(i, "capacityType"), g.CapacityType, capacityTypes)
		c.oneOf(nodeGroupKey(i, "amiType"), g.AmiType, AmiTypes)
		if g.DiskSize < minDiskSize || g.DiskSize > maxDiskSize {
			c.refuse(nodeGroupKey(i, "diskSize"), strconv.Itoa(g.DiskSize), fmt.Sprintf("must be %d to %d GiB", minDiskSize, maxDiskSize), "")
		}
	}
	return c.result()
}
