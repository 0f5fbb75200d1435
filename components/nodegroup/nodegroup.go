// Package nodegroup creates an EKS managed node group for a Cilium-only cluster: private
// subnets, the Cilium startup taint from the first registration, maxPods chosen by us (not
// by the ENI formula), IMDSv2, an encrypted root volume and a node role without the CNI policy.
package nodegroup

import (
	"fmt"
	"strings"

	"github.com/eks-cilium/eks-cilium/awsnames"
	"github.com/eks-cilium/eks-cilium/rules"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ssm"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Token is the component's type token.
const Token = "eks-cilium:index:NodeGroup"

// NodePolicies are the managed policies of the node role: exactly these two. Without the VPC
// CNI the node needs no AmazonEKS_CNI_Policy (that policy is the VPC CNI's own permissions:
// https://docs.aws.amazon.com/eks/latest/userguide/create-node-role.html; docs/design.md, "The node role").
//
// ECR: AmazonEC2ContainerRegistryReadOnly, not the narrower PullOnly the node-role page
// recommends (https://docs.aws.amazon.com/eks/latest/userguide/create-node-role.html).
// CreateNodegroup has refused roles without ReadOnly ("The provided role doesn't have the Amazon
// EKS Managed Policies associated with it", aws/containers-roadmap#1610), and as late as
// 2025-02 an EKS user reported it still required ReadOnly at creation (awsdocs/amazon-eks-user-
// guide PR #880, closed with an internal note, docs unchanged); PullOnly-only roles are reported
// to work (eksctl PR #8386, unmerged) but nothing from AWS says the check is gone. A node group
// that cannot be created is worse than two read-only ECR actions too many (DescribeImages,
// ListImages, ...). What ReadOnly lacks is ecr:BatchImportUpstreamImage, needed only for the
// first pull through an ECR pull-through cache.
var NodePolicies = []string{
	"arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
	"arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
}

// SsmPolicy is attached when EnableSsm is set (Session Manager shell on nodes).
const SsmPolicy = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"

// NodeGroupArgs are the inputs of NodeGroup. Sizes and settings are plain (validated by
// ipplan); cluster facts are Inputs because they come from the cluster.
type NodeGroupArgs struct {
	// Name is the node group's name in the configuration (eks-cilium:nodeGroups[].name); the
	// EKS node group's name prefix and the instances' Name tag are built from it
	// (awsnames.NodeGroupNamePrefix, awsnames.InstanceName).
	Name string
	// ClusterName is the EKS cluster to join.
	ClusterName pulumi.StringInput
	// KubernetesVersion is the minor whose node image the group boots: the control plane's
	// deployed version (cluster.Cluster.Version, an output), so a control-plane update that
	// fails rolls no node; a plain version only where the nodes must move first (the first
	// update of a rollback).
	KubernetesVersion pulumi.StringInput
	// AmiVersion pins the image to an amazon-eks-ami (or Bottlerocket) release; "" takes the
	// recommended image of KubernetesVersion at every deploy.
	AmiVersion string
	// Endpoint and CertificateAuthority are the API server's URL and base64 CA bundle.
	Endpoint             pulumi.StringInput
	CertificateAuthority pulumi.StringInput
	// ServiceCidr is the cluster's service range (nodeadm needs it; Bottlerocket derives DNS).
	ServiceCidr string
	// SubnetIds are the private subnets; nodes never get public addresses.
	SubnetIds pulumi.StringArrayInput
	// InstanceTypes, CapacityType (ON_DEMAND|SPOT) and AmiType (AL2023_*|BOTTLEROCKET_*).
	InstanceTypes []string
	CapacityType  string
	AmiType       string
	// MinSize, DesiredSize, MaxSize are the scaling config.
	MinSize, DesiredSize, MaxSize int
	// MaxPods is the kubelet's maxPods (already resolved: never 0 here).
	MaxPods int
	// DiskSize is the root (AL2023) or data (Bottlerocket) volume in GiB, gp3, encrypted.
	DiskSize int
	// MaxUnavailable is how many nodes an update replaces at once.
	MaxUnavailable int
	// IgnoreScalingChanges leaves desiredSize to an autoscaler after creation.
	IgnoreScalingChanges bool
	// EnableSsm attaches AmazonSSMManagedInstanceCore.
	EnableSsm bool
	// Labels are Kubernetes node labels.
	Labels map[string]string
	// DependsOn are resources the EKS node group itself must wait for (the Cilium release).
	// Pulumi does not pass a component's DependsOn on to its children, so it is an argument.
	DependsOn []pulumi.Resource
}

// Settings are the kubelet settings the node group's user data carries.
func (a *NodeGroupArgs) Settings() NodeSettings {
	return NodeSettings{MaxPods: a.MaxPods, Labels: a.Labels}
}

// NodeGroup is one managed node group with its role and launch template.
type NodeGroup struct {
	pulumi.ResourceState

	// Eks is the EKS managed node group; what must wait for nodes depends on it.
	Eks *eks.NodeGroup `pulumi:"-"`

	NodeGroupName pulumi.StringOutput `pulumi:"nodeGroupName"`
	RoleArn       pulumi.StringOutput `pulumi:"roleArn"`
	MaxPods       pulumi.IntOutput    `pulumi:"maxPods"`
	// KubernetesVersion is the minor the nodes' image was looked up for, known once the
	// launch template is; AmiVersion the pinned release ("" unpinned).
	KubernetesVersion pulumi.StringOutput `pulumi:"kubernetesVersion"`
	AmiVersion        pulumi.StringOutput `pulumi:"amiVersion"`
}

// IsBottlerocket reports whether an AMI type is Bottlerocket (TOML user data).
func IsBottlerocket(amiType string) bool { return strings.HasPrefix(amiType, "BOTTLEROCKET_") }

// ImdsHopLimit is the launch templates' IMDSv2 response hop limit. A pod on Cilium's overlay is
// one hop further from IMDS than the node, like any container behind a veth, so 2 would hand
// every pod the node role's credentials; 1 reaches only the node itself and host-network pods,
// which is where Cilium's agent and operator run. Pods that need AWS get EKS Pod Identity
// (components/podidentity). EKS Best Practices Guide, "Restrict access to the instance profile
// assigned to the worker node": hop limit 1 on managed nodes with a custom launch template
// (https://docs.aws.amazon.com/eks/latest/best-practices/identity-and-access-management.html).
const ImdsHopLimit = 1

// blockDevices are the EBS volumes of a node: AL2023 boots and keeps images and pods on
// /dev/xvda; Bottlerocket boots from a small OS volume /dev/xvda (its size stays the AMI's)
// and keeps images and pods on the data volume /dev/xvdb
// (Bottlerocket README, "Default Volumes": https://github.com/bottlerocket-os/bottlerocket#default-volumes).
// Every volume is gp3 and encrypted (the account's default EBS key); EC2 encrypts a volume
// created from the AMI's unencrypted snapshot when the mapping asks for it.
func blockDevices(amiType string, diskSize int) ec2.LaunchTemplateBlockDeviceMappingArray {
	volume := func(device string, size int) *ec2.LaunchTemplateBlockDeviceMappingArgs {
		ebs := &ec2.LaunchTemplateBlockDeviceMappingEbsArgs{
			VolumeType:          pulumi.String("gp3"),
			Encrypted:           pulumi.String("true"),
			DeleteOnTermination: pulumi.String("true"),
		}
		if size > 0 {
			ebs.VolumeSize = pulumi.Int(size)
		}
		return &ec2.LaunchTemplateBlockDeviceMappingArgs{DeviceName: pulumi.String(device), Ebs: ebs}
	}
	if IsBottlerocket(amiType) {
		return ec2.LaunchTemplateBlockDeviceMappingArray{volume("/dev/xvda", 0), volume("/dev/xvdb", diskSize)}
	}
	return ec2.LaunchTemplateBlockDeviceMappingArray{volume("/dev/xvda", diskSize)}
}

// NewNodeGroup creates the node role, launch template and managed node group.
func NewNodeGroup(ctx *pulumi.Context, name string, args *NodeGroupArgs, opts ...pulumi.ResourceOption) (*NodeGroup, error) {
	// The AMI type is checked before anything is registered; the version comes later.
	if _, err := rules.AmiParameter(args.AmiType, "1.0", args.AmiVersion); err != nil {
		return nil, fmt.Errorf("nodegroup %s: %w", name, err)
	}
	if args.KubernetesVersion == nil {
		return nil, fmt.Errorf("nodegroup %s: KubernetesVersion is required: the node image is looked up for it", name)
	}
	if args.Name == "" {
		return nil, fmt.Errorf("nodegroup %s: Name is required: it names the EKS node group and its instances", name)
	}
	if args.MaxPods < 1 || args.MaxSize < 1 || args.MinSize > args.DesiredSize || args.DesiredSize > args.MaxSize {
		return nil, fmt.Errorf("nodegroup %s: need MaxPods >= 1 and 0 <= MinSize <= DesiredSize <= MaxSize, MaxSize >= 1 (got maxPods %d, sizes %d/%d/%d)",
			name, args.MaxPods, args.MinSize, args.DesiredSize, args.MaxSize)
	}
	comp := &NodeGroup{}
	if err := ctx.RegisterComponentResource(Token, name, comp, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(comp)

	role, err := iam.NewRole(ctx, name, &iam.RoleArgs{
		AssumeRolePolicy: pulumi.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`),
		Description:      pulumi.Sprintf("eks-cilium node role for node group %s", name),
	}, parent)
	if err != nil {
		return nil, err
	}
	policies := append([]string{}, NodePolicies...)
	if args.EnableSsm {
		policies = append(policies, SsmPolicy)
	}
	var attachments []pulumi.Resource
	for _, arn := range policies {
		short := arn[strings.LastIndex(arn, "/")+1:]
		a, err := iam.NewRolePolicyAttachment(ctx, name+"-"+short, &iam.RolePolicyAttachmentArgs{
			Role: role.Name, PolicyArn: pulumi.String(arn),
		}, parent)
		if err != nil {
			return nil, err
		}
		attachments = append(attachments, a)
	}

	version := args.KubernetesVersion.ToStringOutput()
	amiParam := version.ApplyT(func(v string) (string, error) {
		return rules.AmiParameter(args.AmiType, v, args.AmiVersion)
	}).(pulumi.StringOutput)
	image := ssm.LookupParameterOutput(ctx, ssm.LookupParameterOutputArgs{Name: amiParam}, parent).Value()
	settings := args.Settings()
	userData := pulumi.All(args.ClusterName, args.Endpoint, args.CertificateAuthority).ApplyT(func(v []any) (string, error) {
		info := ClusterInfo{Name: v[0].(string), Endpoint: v[1].(string), CertificateAuthority: v[2].(string), ServiceCidr: args.ServiceCidr}
		text, err := UserData(args.AmiType, info, settings)
		return EncodeUserData(text), err
	}).(pulumi.StringOutput)

	lt, err := ec2.NewLaunchTemplate(ctx, name, &ec2.LaunchTemplateArgs{
		Description: pulumi.Sprintf("eks-cilium node group %s", name),
		// Setting the AMI stops EKS from merging its own bootstrap, so our maxPods and the
		// startup taint are what the kubelet gets.
		ImageId:  image,
		UserData: userData,
		MetadataOptions: &ec2.LaunchTemplateMetadataOptionsArgs{
			HttpEndpoint:            pulumi.String("enabled"),
			HttpTokens:              pulumi.String("required"),
			HttpPutResponseHopLimit: pulumi.Int(ImdsHopLimit),
		},
		BlockDeviceMappings:  blockDevices(args.AmiType, args.DiskSize),
		UpdateDefaultVersion: pulumi.Bool(true),
		TagSpecifications: ec2.LaunchTemplateTagSpecificationArray{&ec2.LaunchTemplateTagSpecificationArgs{
			ResourceType: pulumi.String("instance"),
			Tags: pulumi.StringMap{"Name": args.ClusterName.ToStringOutput().ApplyT(func(cluster string) string {
				return awsnames.InstanceName(cluster, args.Name)
			}).(pulumi.StringOutput)},
		}},
	}, parent)
	if err != nil {
		return nil, err
	}

	// The name prefix used to repeat the Platform's name ("<cluster>-<group>-"); a group that
	// exists keeps the name it has instead of being replaced (the prefix forces replacement).
	ignore := []string{"nodeGroupNamePrefix"}
	if args.IgnoreScalingChanges {
		ignore = append(ignore, "scalingConfig.desiredSize")
	}
	ngOpts := []pulumi.ResourceOption{parent, pulumi.DependsOn(append(attachments, args.DependsOn...)), pulumi.IgnoreChanges(ignore)}
	ng, err := eks.NewNodeGroup(ctx, name, &eks.NodeGroupArgs{
		ClusterName: args.ClusterName,
		// A prefix, not a name: changes that replace the group create the new one first. The
		// group lives in its cluster, so its name need not repeat the cluster's.
		NodeGroupNamePrefix: pulumi.String(awsnames.NodeGroupNamePrefix(args.Name)),
		NodeRoleArn:         role.Arn,
		SubnetIds:           args.SubnetIds,
		InstanceTypes:       pulumi.ToStringArray(args.InstanceTypes),
		CapacityType:        pulumi.String(args.CapacityType),
		ScalingConfig: &eks.NodeGroupScalingConfigArgs{
			MinSize:     pulumi.Int(args.MinSize),
			DesiredSize: pulumi.Int(args.DesiredSize),
			MaxSize:     pulumi.Int(args.MaxSize),
		},
		UpdateConfig: &eks.NodeGroupUpdateConfigArgs{MaxUnavailable: pulumi.Int(args.MaxUnavailable)},
		LaunchTemplate: &eks.NodeGroupLaunchTemplateArgs{
			Id:      lt.ID(),
			Version: lt.LatestVersion.ApplyT(func(v int) string { return fmt.Sprint(v) }).(pulumi.StringOutput),
		},
		Labels: pulumi.ToStringMap(args.Labels),
		Taints: eks.NodeGroupTaintArray{&eks.NodeGroupTaintArgs{
			Key:    pulumi.String(CiliumTaintKey),
			Value:  pulumi.String(CiliumTaintValue),
			Effect: pulumi.String("NO_EXECUTE"),
		}},
	}, ngOpts...)
	if err != nil {
		return nil, err
	}

	comp.Eks = ng
	comp.NodeGroupName = ng.NodeGroupName
	comp.RoleArn = role.Arn
	comp.MaxPods = pulumi.Int(args.MaxPods).ToIntOutput()
	// The version is reported once the launch template carries its image.
	comp.KubernetesVersion = pulumi.All(version, lt.LatestVersion).ApplyT(func(v []any) string { return v[0].(string) }).(pulumi.StringOutput)
	comp.AmiVersion = pulumi.String(args.AmiVersion).ToStringOutput()
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"nodeGroupName":     comp.NodeGroupName,
		"roleArn":           comp.RoleArn,
		"maxPods":           comp.MaxPods,
		"kubernetesVersion": comp.KubernetesVersion,
		"amiVersion":        comp.AmiVersion,
	}); err != nil {
		return nil, err
	}
	return comp, nil
}
