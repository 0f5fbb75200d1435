package rules

import (
	"regexp"
	"strings"

	"github.com/eks-cilium/eks-cilium/stackconfig"
)

var (
	natGatewayModes = []string{"onePerAz", "single"}
	// regionRe is an AWS region name: eu-west-1, us-gov-west-1, cn-north-1, us-iso-east-1.
	regionRe = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]$`)
	// azIDRe is an availability zone ID (euw1-az1), which users confuse with its name.
	azIDRe = regexp.MustCompile(`^[a-z]{2,5}[0-9]-az[0-9]+$`)
	// vpcIDRe and subnetIDRe are EC2 resource IDs: the prefix and 8 or 17 hex digits
	// (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/resource-ids.html).
	vpcIDRe    = regexp.MustCompile(`^vpc-([0-9a-f]{8}|[0-9a-f]{17})$`)
	subnetIDRe = regexp.MustCompile(`^subnet-([0-9a-f]{8}|[0-9a-f]{17})$`)
)

// CheckVpc checks the region and the VPC keys that are not addresses: the NAT mode, pinned
// availability zone names and the IDs of an existing VPC. (The CIDR, the zone count and the
// subnets are the planner's.)
func CheckVpc(cfg stackconfig.Config) (warnings, refusals stackconfig.Problems) {
	c := &collector{}
	v := cfg.Vpc
	// The region is set per stack so the plan (AZ names, the render) and the provider agree.
	if !regionRe.MatchString(cfg.Region) {
		c.refuse(stackconfig.KeyRegion, cfg.Region, "must be an AWS region such as eu-west-1, set in the stack file", "pulumi config set aws:region eu-west-1")
	}
	c.oneOf(keyVpcNatGateways, v.NatGateways, natGatewayModes)

	// An availability zone name is its region's name and one letter (eu-west-1a); Local and
	// Wavelength Zones (us-west-2-lax-1a) cannot hold the EKS control plane's subnets
	// (https://docs.aws.amazon.com/eks/latest/userguide/network-reqs.html).
	first := map[string]int{}
	for i, name := range v.AvailabilityZoneNames {
		key := at(keyVpcAZNames, i)
		j, seen := first[name]
		switch {
		case name == "":
			c.refuse(key, name, "must name an availability zone, e.g. eu-west-1a", "")
		case seen:
			c.refuse(key, name, "repeats "+at(keyVpcAZNames, j)+": each AZ gets one subnet pair", "")
		case azIDRe.MatchString(name):
			c.refuse(key, name, "is an availability zone ID; the VPC takes zone names", "aws ec2 describe-availability-zones --zone-ids "+name+" shows its name")
		case cfg.Region != "" && !strings.HasPrefix(name, cfg.Region):
			c.refuse(key, name, "is not a zone of aws:region "+cfg.Region, "zones of "+cfg.Region+" are named "+cfg.Region+"a, "+cfg.Region+"b, ...")
		case cfg.Region != "" && !isZoneOf(name, cfg.Region):
			c.refuse(key, name, "is not an availability zone name: the region's name and one letter, e.g. "+cfg.Region+"a (Local and Wavelength Zones cannot hold EKS control-plane subnets)", "")
		}
		if !seen {
			first[name] = i
		}
	}

	if v.UsesExistingVpc() {
		if !vpcIDRe.MatchString(v.Id) {
			c.refuse(keyVpcID, v.Id, "must be a VPC id (vpc-...): vpc- and 8 or 17 hex digits", "")
		}
		checkSubnetIDs(c, keyVpcPrivateSubnets, v.PrivateSubnetIds, "the node groups run in them")
		checkSubnetIDs(c, keyVpcPublicSubnets, v.PublicSubnetIds, "internet-facing load balancers go there")
	} else {
		for _, f := range []struct {
			key string
			ids []string
		}{{keyVpcPrivateSubnets, v.PrivateSubnetIds}, {keyVpcPublicSubnets, v.PublicSubnetIds}} {
			if len(f.ids) > 0 {
				c.refuse(f.key, listValue(f.ids), "is only read with vpc.id (an existing VPC); without vpc.id the stack creates its own subnets",
					"set vpc.id to the VPC these subnets belong to, or remove the list")
			}
		}
	}
	return c.result()
}

func isZoneOf(name, region string) bool {
	rest, ok := strings.CutPrefix(name, region)
	return ok && len(rest) == 1 && rest[0] >= 'a' && rest[0] <= 'z'
}

func checkSubnetIDs(c *collector, key string, ids []string, why string) {
	if len(ids) == 0 {
		c.refuse(key, "", "must list at least one subnet when vpc.id is set: "+why, "")
	}
	for i, id := range ids {
		if !subnetIDRe.MatchString(id) {
			c.refuse(at(key, i), id, "must be a subnet id (subnet-...): subnet- and 8 or 17 hex digits", "")
		}
	}
}
