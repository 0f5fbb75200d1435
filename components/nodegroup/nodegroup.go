// Package nodegroup creates an EKS managed node group for a Cilium-only cluster: private
// subnets, the Cilium startup taint from the first registration, maxPods chosen by us (not
// by the ENI formula), IMDSv2, an encrypted root volume and a node role without the CNI policy.
package nodegroup

import (
	"fmt"
	"strings"

	"github.com/eks-cilium/eks-cilium/awsnames"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ssm"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Token is the component's type token.
const Token = "eks-cilium:index:NodeGroup"

// NodePolicies are the managed policies of the node role: exactly these two. Without the VPC
// CNI the node needs no AmazonEKS_CNI_Policy (DESIGN.md, "EKS facts").
var NodePolicies = []string{
	"arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
	"arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly",
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
	// KubernetesVersion selects the AMI ("1.33").
	KubernetesVersion string
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

// NodeGroup is one managed node group with its role and launch template.
type NodeGroup struct {
	pulumi.ResourceState

	// Eks is the EKS managed node group; what must wait for nodes depends on it.
	Eks *eks.NodeGroup `pulumi:"-"`

	NodeGroupName pulumi.StringOutput `pulumi:"nodeGroupName"`
	RoleArn       pulumi.StringOutput `pulumi:"roleArn"`
	MaxPods       pulumi.IntOutput    `pulumi:"maxPods"`
}

// IsBottlerocket reports whether an AMI type is Bottlerocket (TOML user data).
func IsBottlerocket(amiType string) bool { return strings.HasPrefix(amiType, "BOTTLEROCKET_") }

// AmiParameter is the public SSM parameter holding the recommended EKS AMI for an AMI type
// and Kubernetes version (https://docs.aws.amazon.com/eks/latest/userguide/retrieve-ami-id.html).
func AmiParameter(amiType, version string) (string, error) {
	switch amiType {
	case "AL2023_x86_64_STANDARD":
		return fmt.Sprintf("/aws/service/eks/optimized-ami/%s/amazon-linux-2023/x86_64/standard/recommended/image_id", version), nil
	case "AL2023_ARM_64_STANDARD":
		return fmt.Sprintf("/aws/service/eks/optimized-ami/%s/amazon-linux-2023/arm64/standard/recommended/image_id", version), nil
	case "BOTTLEROCKET_x86_64":
		return fmt.Sprintf("/aws/service/bottlerocket/aws-k8s-%s/x86_64/latest/image_id", version), nil
	case "BOTTLEROCKET_ARM_64":
		return fmt.Sprintf("/aws/service/bottlerocket/aws-k8s-%s/arm64/latest/image_id", version), nil
	}
	return "", fmt.Errorf("nodegroup: AmiType %q: must be one of AL2023_x86_64_STANDARD, AL2023_ARM_64_STANDARD, BOTTLEROCKET_x86_64, BOTTLEROCKET_ARM_64", amiType)
}

// NewNodeGroup creates the node role, launch template and managed node group.
func NewNodeGroup(ctx *pulumi.Context, name string, args *NodeGroupArgs, opts ...pulumi.ResourceOption) (*NodeGroup, error) {
	amiParam, err := AmiParameter(args.AmiType, args.KubernetesVersion)
	if err != nil {
		return nil, err
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

	image := ssm.LookupParameterOutput(ctx, ssm.LookupParameterOutputArgs{Name: pulumi.String(amiParam)}, parent).Value()
	settings := NodeSettings{MaxPods: args.MaxPods, Labels: args.Labels}
	userData := pulumi.All(args.ClusterName, args.Endpoint, args.CertificateAuthority).ApplyT(func(v []any) (string, error) {
		info := ClusterInfo{Name: v[0].(string), Endpoint: v[1].(string), CertificateAuthority: v[2].(string), ServiceCidr: args.ServiceCidr}
		if IsBottlerocket(args.AmiType) {
			toml, err := BottlerocketUserData(info, settings)
			return EncodeUserData(toml), err
		}
		return EncodeUserData(NodeadmUserData(info, settings)), nil
	}).(pulumi.StringOutput)

	// AL2023 boots from /dev/xvda; Bottlerocket keeps images and pods on its data volume /dev/xvdb.
	device := "/dev/xvda"
	if IsBottlerocket(args.AmiType) {
		device = "/dev/xvdb"
	}
	lt, err := ec2.NewLaunchTemplate(ctx, name, &ec2.LaunchTemplateArgs{
		Description: pulumi.Sprintf("eks-cilium node group %s", name),
		// Setting the AMI stops EKS from merging its own bootstrap, so our maxPods and the
		// startup taint are what the kubelet gets.
		ImageId:  image,
		UserData: userData,
		MetadataOptions: &ec2.LaunchTemplateMetadataOptionsArgs{
			HttpEndpoint: pulumi.String("enabled"),
			HttpTokens:   pulumi.String("required"),
			// 2 lets host-network agents reach IMDS but not overlay pods (they need 3); pods
			// should use EKS Pod Identity instead.
			HttpPutResponseHopLimit: pulumi.Int(2),
		},
		BlockDeviceMappings: ec2.LaunchTemplateBlockDeviceMappingArray{&ec2.LaunchTemplateBlockDeviceMappingArgs{
			DeviceName: pulumi.String(device),
			Ebs: &ec2.LaunchTemplateBlockDeviceMappingEbsArgs{
				VolumeSize:          pulumi.Int(args.DiskSize),
				VolumeType:          pulumi.String("gp3"),
				Encrypted:           pulumi.String("true"),
				DeleteOnTermination: pulumi.String("true"),
			},
		}},
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
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"nodeGroupName": comp.NodeGroupName,
		"roleArn":       comp.RoleArn,
		"maxPods":       comp.MaxPods,
	}); err != nil {
		return nil, err
	}
	return comp, nil
}
