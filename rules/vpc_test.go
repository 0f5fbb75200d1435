package rules

import (
	"testing"

	"github.com/eks-cilium/eks-cilium/stackconfig"
)

func existingVpc(c *stackconfig.Config) {
	c.Vpc.Id = "vpc-0123456789abcdef0"
	c.Vpc.PrivateSubnetIds = []string{"subnet-0123456789abcdef1", "subnet-0123456789abcdef2"}
	c.Vpc.PublicSubnetIds = []string{"subnet-0123456789abcdef3", "subnet-01234567"}
}

func zones(names ...string) func(*stackconfig.Config) {
	return func(c *stackconfig.Config) { c.Vpc.AvailabilityZoneNames = names }
}

func TestCheckVpc_Refuses(t *testing.T) {
	checkRefusals(t, []refusal{
		{"no region", func(c *stackconfig.Config) { c.Region = "" }, "aws:region", "must be an AWS region", "pulumi config set aws:region eu-west-1", 0},
		{"region that is a zone", func(c *stackconfig.Config) { c.Region = "eu-west-1a" }, "aws:region", "must be an AWS region", "", 0},
		{"unknown NAT mode", func(c *stackconfig.Config) { c.Vpc.NatGateways = "onePerAZ" }, keyVpcNatGateways, `must be one of "onePerAz", "single"`, `did you mean "onePerAz"?`, 0},
		{"zone of another region", zones("eu-west-1a", "eu-west-1b", "us-east-1c"), keyVpcAZNames + "[2]", "not a zone of aws:region eu-west-1", "eu-west-1a", 0},
		{"repeated zone", zones("eu-west-1a", "eu-west-1b", "eu-west-1a"), keyVpcAZNames + "[2]", "repeats " + keyVpcAZNames + "[0]", "", 0},
		{"zone ID for a zone name", zones("eu-west-1a", "euw1-az2", "eu-west-1c"), keyVpcAZNames + "[1]", "is an availability zone ID", "describe-availability-zones --zone-ids euw1-az2", 0},
		{"Local Zone", func(c *stackconfig.Config) {
			c.Region = "us-west-2"
			zones("us-west-2a", "us-west-2b", "us-west-2-lax-1a")(c)
		}, keyVpcAZNames + "[2]", "Local and Wavelength Zones", "", 0},
		{"existing VPC id without vpc-", func(c *stackconfig.Config) { existingVpc(c); c.Vpc.Id = "0123456789abcdef0" }, keyVpcID, "must be a VPC id (vpc-...)", "", 0},
		{"existing VPC id of the wrong length", func(c *stackconfig.Config) { existingVpc(c); c.Vpc.Id = "vpc-123" }, keyVpcID, "8 or 17 hex digits", "", 0},
		{"existing VPC without private subnets", func(c *stackconfig.Config) { existingVpc(c); c.Vpc.PrivateSubnetIds = nil }, keyVpcPrivateSubnets, "at least one subnet when vpc.id is set", "", 0},
		{"existing VPC with a bad subnet id", func(c *stackconfig.Config) { existingVpc(c); c.Vpc.PublicSubnetIds = []string{"sn-3"} }, keyVpcPublicSubnets + "[0]", "must be a subnet id (subnet-...)", "", 0},
		{"subnet ids without a VPC id", func(c *stackconfig.Config) { c.Vpc.PrivateSubnetIds = []string{"subnet-0123456789abcdef1"} }, keyVpcPrivateSubnets, "only read with vpc.id", "set vpc.id", 0},
	})
}

func TestCheckVpc_AcceptsRealShapes(t *testing.T) {
	for _, mutate := range []func(*stackconfig.Config){
		existingVpc,
		zones("eu-west-1a", "eu-west-1b", "eu-west-1c"),
		func(c *stackconfig.Config) {
			c.Region = "us-gov-west-1"
			zones("us-gov-west-1a", "us-gov-west-1b", "us-gov-west-1c")(c)
		},
	} {
		cfg := validConfig()
		mutate(&cfg)
		if _, ps := CheckVpc(cfg); len(ps) != 0 {
			t.Errorf("refused %v", ps)
		}
	}
}
