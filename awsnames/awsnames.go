// Package awsnames derives every AWS physical name this project creates from a stack's
// configuration, with the longest name AWS or the provider accepts for each. The components
// build their names with these functions and the configuration rules check the same list, so
// the name that is checked is the name that is sent. It imports no Pulumi package.
//
// Two ways a name is completed after the program:
//   - Pulumi's autonaming gives a resource without an explicit name its resource name, "-"
//     and 7 random hex characters, and refuses the resource when that exceeds the provider's
//     maximum ("name '…' plus 7 random chars is longer than maximum length 64";
//     pulumi-terraform-bridge tfbridge.AutoName uses Randlen 7, and
//     pulumi/sdk go/common/resource.NewUniqueName does the check).
//   - terraform-provider-aws completes a *_name_prefix with id.UniqueIDSuffixLength = 26
//     characters (a timestamp and a counter).
package awsnames

import (
	"strconv"

	"github.com/eks-cilium/eks-cilium/stackconfig"
)

// Characters appended to a name after the program has chosen it.
const (
	// AutonameSuffix is Pulumi's "-" plus 7 random characters.
	AutonameSuffix = 8
	// PrefixSuffix is terraform-provider-aws's unique suffix for name prefixes
	// (internal/create id.UniqueIDSuffixLength).
	PrefixSuffix = 26
)

// Limits of the names below, each with where it is enforced.
const (
	// iamRoleMax: terraform-provider-aws internal/service/iam/role.go roleNameMaxLen = 64;
	// pulumi-aws autonames aws_iam_role with tfbridge.AutoName("name", 64, "-").
	IAMRoleMax = 64
	// launchTemplateMax: terraform-provider-aws internal/verify ValidLaunchTemplateName,
	// "cannot be longer than 125 characters".
	launchTemplateMax = 125
	// nodeGroupNameMax: terraform-provider-aws internal/service/eks/node_group.go, node_group_name
	// StringLenBetween(0, 63); node_group_name_prefix StringLenBetween(0, 63-id.UniqueIDSuffixLength).
	nodeGroupNameMax = 63
	// securityGroupMax: terraform-provider-aws internal/service/ec2/vpc_security_group.go, name
	// StringLenBetween(0, 255).
	securityGroupMax = 255
	// eksClusterMax: EKS CreateCluster name, 1 to 100 characters (EKS API reference).
	eksClusterMax = 100
	// tagKeyMax, tagValueMax: EC2 tag restrictions, keys up to 128 and values up to 256
	// characters (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/Using_Tags.html).
	tagKeyMax, tagValueMax = 128, 256
)

// Name is one physical name derived from the configuration.
type Name struct {
	// What the name is, as it reads in a message: "IAM role of node group general".
	What string
	// Value is the name as the program (or pulumi-eks) sends it; for completed names the part
	// before the completion.
	Value string
	// Suffix is how many characters AWS or the provider append to Value (0, AutonameSuffix or
	// PrefixSuffix).
	Suffix int
	// Max is the longest complete name accepted.
	Max int
	// Source names the validator or limit that refuses a longer name.
	Source string
	// Key is the configuration key whose value makes the name long, and KeyValue that value
	// (the cluster name, or one node group's name). When ClusterName is set too, the cluster
	// name is another part of Value.
	Key, KeyValue string
	// ClusterName is true when Value also contains the cluster (or Platform) name while Key
	// is a node group's key.
	ClusterName bool
}

// Length is the length of the complete name.
func (n Name) Length() int { return len(n.Value) + n.Suffix }

// Fits reports whether the complete name is within the limit.
func (n Name) Fits() bool { return n.Length() <= n.Max }

// KeyValueMax is the longest KeyValue that keeps this name within its limit, the other parts
// of the name unchanged; it may be zero or negative when the other parts alone are too long.
func (n Name) KeyValueMax() int { return n.Max - n.Suffix - (len(n.Value) - len(n.KeyValue)) }

// NodeGroupResource is the Pulumi resource name of a node group's component and of its IAM
// role and launch template, which Pulumi autonames from it: "<platform>-<group>".
func NodeGroupResource(platform, group string) string { return platform + "-" + group }

// NodeGroupNamePrefix is the EKS node group's name prefix. A node group's name only has to be
// unique within its cluster, so the cluster's name is not repeated in it.
func NodeGroupNamePrefix(group string) string { return group + "-" }

// InstanceName is the Name tag of a node group's instances: "<cluster>-<group>".
func InstanceName(cluster, group string) string { return cluster + "-" + group }

// ClusterTagKey is the subnet tag that marks subnets for the cluster's load balancers.
func ClusterTagKey(cluster string) string { return "kubernetes.io/cluster/" + cluster }

// PulumiEksServiceRole is the resource name of the IAM role pulumi-eks creates for the EKS
// control plane of a cluster component named platform: ServiceRole "<name>-eksRole"
// (nodejs/eks/cluster/cluster.ts, createCore) registers aws.iam.Role "<name>-role"
// (nodejs/eks/servicerole.ts), which Pulumi autonames.
func PulumiEksServiceRole(platform string) string { return platform + "-eksRole-role" }

// PulumiEksClusterSecurityGroup and PulumiEksNodeSecurityGroup are the security groups
// pulumi-eks creates for a cluster component named platform (cluster.ts createCore and
// createNodeGroupSecurityGroup), autonamed by Pulumi.
func PulumiEksClusterSecurityGroup(platform string) string {
	return platform + "-eksClusterSecurityGroup"
}

// PulumiEksNodeSecurityGroup: see PulumiEksClusterSecurityGroup.
func PulumiEksNodeSecurityGroup(platform string) string { return platform + "-nodeSecurityGroup" }

// For lists every physical name a Platform registered as platform derives from cfg. The
// program names the Platform after the cluster (platform == cfg.ClusterName()); a Go program
// of its own may pick another name, which then is what makes the Pulumi-derived names long.
// A new named resource is one more line here: Check in package rules and the tests pick it up.
func For(platform string, cfg stackconfig.Config) []Name {
	cluster := cfg.ClusterName()
	platformKey, clusterKey := PlatformKey(platform, cfg), stackconfig.KeyClusterName
	names := []Name{
		{What: "EKS cluster name", Value: cluster, Max: eksClusterMax, Source: "EKS CreateCluster: 1 to 100 characters",
			Key: clusterKey, KeyValue: cluster},
		{What: "subnet tag key " + strconv.Quote(ClusterTagKey(cluster)), Value: ClusterTagKey(cluster), Max: tagKeyMax,
			Source: "EC2 tag keys: at most 128 characters", Key: clusterKey, KeyValue: cluster},
		AutonamedRole("IAM role pulumi-eks creates for the EKS control plane", PulumiEksServiceRole(platform), platformKey, platform, false),
		{What: "security group pulumi-eks creates for the control plane", Value: PulumiEksClusterSecurityGroup(platform), Suffix: AutonameSuffix,
			Max: securityGroupMax, Source: "security group names: at most 255 characters (terraform-provider-aws)", Key: platformKey, KeyValue: platform},
		{What: "security group pulumi-eks creates for nodes", Value: PulumiEksNodeSecurityGroup(platform), Suffix: AutonameSuffix,
			Max: securityGroupMax, Source: "security group names: at most 255 characters (terraform-provider-aws)", Key: platformKey, KeyValue: platform},
	}
	if cfg.Addons != nil && cfg.Addons.AwsLoadBalancerController != nil {
		names = append(names, AutonamedRole("IAM role of the AWS Load Balancer Controller",
			LoadBalancerControllerRole(cluster), clusterKey, cluster, false))
	}
	if cfg.Karpenter != nil {
		names = append(names,
			AutonamedRole("IAM role of the Karpenter controller", KarpenterControllerRole(platform), platformKey, platform, false),
			AutonamedRole("IAM role of Karpenter's nodes", KarpenterNodeRole(platform), platformKey, platform, false))
	}
	for i, g := range cfg.NodeGroups {
		key := stackconfig.KeyNodeGroups + "[" + strconv.Itoa(i) + "].name"
		resource := NodeGroupResource(platform, g.Name)
		names = append(names,
			Name{What: "EKS node group name prefix of " + g.Name, Value: NodeGroupNamePrefix(g.Name), Suffix: PrefixSuffix,
				Max: nodeGroupNameMax, Source: "EKS node group names: at most 63 characters, so a prefix at most 37 (terraform-provider-aws node_group_name_prefix)",
				Key: key, KeyValue: g.Name},
			AutonamedRole("IAM role of node group "+g.Name, resource, key, g.Name, true),
			Name{What: "launch template of node group " + g.Name, Value: resource, Suffix: AutonameSuffix,
				Max: launchTemplateMax, Source: "launch template names: at most 125 characters (terraform-provider-aws ValidLaunchTemplateName)",
				Key: key, KeyValue: g.Name, ClusterName: true},
			Name{What: "Name tag of the instances of node group " + g.Name, Value: InstanceName(cluster, g.Name),
				Max: tagValueMax, Source: "EC2 tag values: at most 256 characters", Key: key, KeyValue: g.Name, ClusterName: true},
		)
	}
	return names
}

// LoadBalancerControllerRole is the resource name (the autoname prefix) of the AWS Load
// Balancer Controller's Pod Identity role.
func LoadBalancerControllerRole(cluster string) string { return cluster + "-lbc" }

// KarpenterControllerRole is the resource name (the autoname prefix) of the Karpenter
// controller's Pod Identity role; components/karpenter registers it under the Platform's name.
func KarpenterControllerRole(platform string) string { return platform + "-karpenter" }

// KarpenterNodeRole is the resource name (the autoname prefix) of the IAM role of the nodes
// Karpenter launches; its EC2NodeClass names the role.
func KarpenterNodeRole(platform string) string { return platform + "-karpenter-node" }

// AutonamedRole is an IAM role Pulumi autonames from resourceName; key and keyValue are the
// configuration key and value that make the name long, and clusterPart says the cluster (or
// Platform) name is part of it too. Add-on and Karpenter roles registered as
// "<platform>-<something>" are one such line in For each.
func AutonamedRole(what, resourceName, key, keyValue string, clusterPart bool) Name {
	return Name{What: what, Value: resourceName, Suffix: AutonameSuffix, Max: IAMRoleMax,
		Source: "IAM role names: at most 64 characters (terraform-provider-aws roleNameMaxLen; pulumi-aws autoname limit 64)",
		Key:    key, KeyValue: keyValue, ClusterName: clusterPart}
}

// PlatformKey is the key blamed for names built from the Platform's resource name: the
// cluster name when the Platform is named after the cluster, as the program does.
func PlatformKey(platform string, cfg stackconfig.Config) string {
	if platform == cfg.ClusterName() {
		return stackconfig.KeyClusterName
	}
	return "platform.NewPlatform name"
}
