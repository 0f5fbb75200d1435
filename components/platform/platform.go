// Package platform composes the whole eks-cilium stack from its typed configuration:
// Vpc -> Cluster (no VPC CNI) -> Cilium -> NodeGroups -> CoreDNS. It is the one call other
// Go programs import.
package platform

import (
	"errors"
	"fmt"

	"github.com/eks-cilium/eks-cilium/components/cilium"
	"github.com/eks-cilium/eks-cilium/components/cluster"
	"github.com/eks-cilium/eks-cilium/components/coredns"
	"github.com/eks-cilium/eks-cilium/components/karpenter"
	"github.com/eks-cilium/eks-cilium/components/nodegroup"
	"github.com/eks-cilium/eks-cilium/components/podidentity"
	"github.com/eks-cilium/eks-cilium/components/vpc"
	"github.com/eks-cilium/eks-cilium/guard"
	"github.com/eks-cilium/eks-cilium/ipplan"
	"github.com/eks-cilium/eks-cilium/rules"
	"github.com/eks-cilium/eks-cilium/stackconfig"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Token is the component's type token.
const Token = "eks-cilium:index:Platform"

// PlatformArgs are the inputs of Platform: the stack configuration, as decoded by
// stackconfig (Defaults() plus the stack's values).
type PlatformArgs struct {
	Config stackconfig.Config
	// Previous is what this platform deployed last time (nil on the first deployment); with
	// it the day-2 guard refuses pool, mask, mode and cluster-replacing changes.
	Previous *guard.Deployed
}

// Platform is an EKS cluster whose only CNI is Cilium.
type Platform struct {
	pulumi.ResourceState

	// Plan is the validated IP plan the platform was built from.
	Plan *ipplan.Plan `pulumi:"-"`
	// Cluster, Cilium and NodeGroups are the parts, for programs that add to them.
	Cluster    *cluster.Cluster       `pulumi:"-"`
	Cilium     *cilium.Cilium         `pulumi:"-"`
	NodeGroups []*nodegroup.NodeGroup `pulumi:"-"`
	// Karpenter is nil unless eks-cilium:karpenter is set.
	Karpenter *karpenter.Karpenter `pulumi:"-"`

	ClusterName      pulumi.StringOutput      `pulumi:"clusterName"`
	ClusterEndpoint  pulumi.StringOutput      `pulumi:"clusterEndpoint"`
	Kubeconfig       pulumi.StringOutput      `pulumi:"kubeconfig"`
	VpcId            pulumi.StringOutput      `pulumi:"vpcId"`
	PrivateSubnetIds pulumi.StringArrayOutput `pulumi:"privateSubnetIds"`
}

// NewPlatform validates the configuration with ipplan.New and the day-2 guard and, only if
// both pass, creates everything. An invalid or refused configuration registers no resource.
func NewPlatform(ctx *pulumi.Context, name string, args *PlatformArgs, opts ...pulumi.ResourceOption) (*Platform, error) {
	cfg := args.Config
	plan, err := Validate(cfg)
	if err != nil {
		return nil, err
	}
	warnings, err := guard.Check(args.Previous, cfg)
	if err != nil {
		return nil, err
	}
	ciliumValues := CiliumValuesInput(cfg, plan, "")

	comp := &Platform{Plan: plan}
	if err := ctx.RegisterComponentResource(Token, name, comp, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(comp)
	for _, w := range warnings {
		if err := ctx.Log.Warn(w, &pulumi.LogArgs{Resource: comp}); err != nil {
			return nil, err
		}
	}
	clusterName := cfg.ClusterName()

	// network is what nodes need before they boot: routes to NAT for image pulls and joins.
	var network []pulumi.Resource
	var vpcId pulumi.StringOutput
	var privateIds, publicIds pulumi.StringArrayOutput
	if cfg.Vpc.UsesExistingVpc() {
		vpcId = pulumi.String(cfg.Vpc.Id).ToStringOutput()
		privateIds = pulumi.ToStringArray(cfg.Vpc.PrivateSubnetIds).ToStringArrayOutput()
		publicIds = pulumi.ToStringArray(cfg.Vpc.PublicSubnetIds).ToStringArrayOutput()
	} else {
		subnets := make([]vpc.SubnetPair, len(plan.Subnets))
		for i, s := range plan.Subnets {
			subnets[i] = vpc.SubnetPair{Zone: s.Zone, Private: s.Private, Public: s.Public}
		}
		net, err := vpc.NewVpc(ctx, name, &vpc.VpcArgs{
			Cidr:               cfg.Vpc.Cidr,
			Subnets:            subnets,
			NatGateways:        cfg.Vpc.NatGateways,
			ClusterName:        clusterName,
			KarpenterDiscovery: cfg.Karpenter != nil,
		}, parent)
		if err != nil {
			return nil, err
		}
		vpcId, privateIds, publicIds = net.VpcId, net.PrivateSubnetIds, net.PublicSubnetIds
		network = net.Egress
	}

	cl, err := cluster.NewCluster(ctx, name, &cluster.ClusterArgs{
		Name:                 clusterName,
		Version:              cfg.Cluster.Version,
		VpcId:                vpcId,
		PrivateSubnetIds:     privateIds,
		PublicSubnetIds:      publicIds,
		ServiceCidr:          cfg.Cluster.ServiceCidr,
		KubeProxyReplacement: cfg.Cluster.KubeProxyReplacement,
		EndpointPublicAccess: cfg.Cluster.EndpointPublicAccess,
		PublicAccessCidrs:    cfg.Cluster.PublicAccessCidrs,
		AdminPrincipalArns:   cfg.Cluster.AdminPrincipalArns,
		KmsKeyArn:            cfg.Cluster.KmsKeyArn,
		Protect:              cfg.Cluster.Protect,
	}, parent)
	if err != nil {
		return nil, err
	}

	cil, err := cilium.NewCilium(ctx, name, &cilium.CiliumArgs{
		Version:        cfg.Cilium.Version,
		Values:         ciliumValues,
		K8sServiceHost: cl.EndpointHost,
		Provider:       cl.Provider,
	}, parent)
	if err != nil {
		return nil, err
	}

	// Node groups wait for the Cilium release: their nodes only turn Ready once a CNI runs,
	// and a managed node group whose nodes never get Ready fails with NodeCreationFailure.
	// On destroy the same edge removes the node groups before Cilium.
	var groups []pulumi.Resource
	for i, ng := range cfg.NodeGroups {
		p := plan.NodeGroups[i]
		group, err := nodegroup.NewNodeGroup(ctx, fmt.Sprintf("%s-%s", name, ng.Name), &nodegroup.NodeGroupArgs{
			ClusterName:          cl.ClusterName,
			KubernetesVersion:    cfg.Cluster.Version,
			Endpoint:             cl.Endpoint,
			CertificateAuthority: cl.CertificateAuthority,
			ServiceCidr:          cfg.Cluster.ServiceCidr,
			SubnetIds:            privateIds,
			InstanceTypes:        ng.InstanceTypes,
			CapacityType:         ng.CapacityType,
			AmiType:              ng.AmiType,
			MinSize:              ng.MinSize,
			DesiredSize:          ng.DesiredSize,
			MaxSize:              ng.MaxSize,
			MaxPods:              p.MaxPods,
			DiskSize:             ng.DiskSize,
			MaxUnavailable:       ng.MaxUnavailable,
			IgnoreScalingChanges: ng.IgnoreScalingChanges,
			EnableSsm:            ng.EnableSsm,
			Labels:               ng.Labels,
			DependsOn:            append([]pulumi.Resource{cil.Release, cl.Eks}, network...),
		}, parent)
		if err != nil {
			return nil, err
		}
		comp.NodeGroups = append(comp.NodeGroups, group)
		groups = append(groups, group.Eks)
	}

	// Karpenter's controller runs on the node groups and reaches AWS through Pod Identity.
	if cfg.Karpenter != nil {
		// The Pod Identity agent serves every pod that assumes a role; Karpenter needs it.
		// (The add-ons need it too: one condition for all its users when they merge.)
		agent, err := podidentity.NewAgent(ctx, name+"-pod-identity", &podidentity.AgentArgs{
			ClusterName: cl.ClusterName,
			DependsOn:   append(append([]pulumi.Resource{}, groups...), cl.Eks),
		}, parent)
		if err != nil {
			return nil, err
		}
		if comp.Karpenter, err = karpenter.NewKarpenter(ctx, name, KarpenterArgs(cfg, plan, cl, agent, groups), parent); err != nil {
			return nil, err
		}
	}

	// CoreDNS pods need Ready nodes; an addon created earlier degrades and times out.
	if _, err := coredns.NewCoreDns(ctx, name, &coredns.CoreDnsArgs{
		ClusterName:  cl.ClusterName,
		AddonVersion: cfg.Cluster.CorednsVersion,
		DependsOn:    append(groups, cl.Eks),
	}, parent); err != nil {
		return nil, err
	}

	comp.Cluster, comp.Cilium = cl, cil
	comp.ClusterName = cl.ClusterName
	comp.ClusterEndpoint = cl.Endpoint
	comp.Kubeconfig = cl.Kubeconfig
	comp.VpcId = vpcId
	comp.PrivateSubnetIds = privateIds
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"clusterName":      comp.ClusterName,
		"clusterEndpoint":  comp.ClusterEndpoint,
		"kubeconfig":       comp.Kubeconfig,
		"vpcId":            comp.VpcId,
		"privateSubnetIds": comp.PrivateSubnetIds,
	}); err != nil {
		return nil, err
	}
	return comp, nil
}

// Validate checks a configuration completely without registering anything: the IP plan
// and every other rule of ipplan, and the extra Cilium values. The error is
// stackconfig.Problems.
func Validate(cfg stackconfig.Config) (*ipplan.Plan, error) {
	karpenterProbs := rules.CheckKarpenter(cfg)
	plan, err := ipplan.New(cfg)
	if err != nil {
		var probs stackconfig.Problems
		if !errors.As(err, &probs) {
			return nil, err
		}
		return nil, append(probs, karpenterProbs...)
	}
	if len(karpenterProbs) > 0 {
		return nil, karpenterProbs
	}
	if err := cilium.CheckExtra(cfg.Cilium.Values); err != nil {
		return nil, err
	}
	return plan, nil
}

// CiliumValuesInput maps the stack configuration and plan to the inputs of cilium.Values.
// k8sServiceHost is the endpoint host when known (the render and tests pass a placeholder).
func CiliumValuesInput(cfg stackconfig.Config, plan *ipplan.Plan, k8sServiceHost string) cilium.ValuesInput {
	expected := 0
	for _, ng := range cfg.NodeGroups {
		expected += ng.DesiredSize
	}
	cidrs := make([]string, len(plan.PodCIDRs))
	for i, p := range plan.PodCIDRs {
		cidrs[i] = p.String()
	}
	return cilium.ValuesInput{
		PodCIDRs:             cidrs,
		MaskSize:             plan.MaskSize,
		TunnelProtocol:       cfg.Cilium.TunnelProtocol,
		KubeProxyReplacement: cfg.Cluster.KubeProxyReplacement,
		K8sServiceHost:       k8sServiceHost,
		HubbleRelay:          cfg.Cilium.HubbleRelay,
		Encryption:           cfg.Cilium.Encryption,
		ExpectedNodes:        expected,
		Extra:                cfg.Cilium.Values,
	}
}

// KarpenterArgs maps the stack configuration and plan to Karpenter's inputs: per node pool
// the NodePool and EC2NodeClass inputs, with the maxPods and the smallest instance the
// planner counted with. An existing VPC's private subnets are selected by ID (nothing tags
// them); the subnets this project creates by their karpenter.sh/discovery tag.
func KarpenterArgs(cfg stackconfig.Config, plan *ipplan.Plan, cl *cluster.Cluster, agent pulumi.Resource, groups []pulumi.Resource) *karpenter.KarpenterArgs {
	args := &karpenter.KarpenterArgs{
		Version:          cfg.Karpenter.Version,
		ClusterName:      cfg.ClusterName(),
		Cluster:          cl.ClusterName,
		Endpoint:         cl.Endpoint,
		Provider:         cl.Provider,
		PodIdentityAgent: agent,
		DependsOn:        append(append([]pulumi.Resource{}, groups...), cl.Eks),
	}
	var subnetIds []string
	if cfg.Vpc.UsesExistingVpc() {
		subnetIds = cfg.Vpc.PrivateSubnetIds
	}
	for i, raw := range cfg.Karpenter.NodePools {
		np, p := raw.Resolved(), plan.Karpenter.NodePools[i]
		args.NodePools = append(args.NodePools, karpenter.Pool{
			Pool: karpenter.NodePoolInput{
				Name: np.Name, InstanceFamilies: np.InstanceFamilies, InstanceCategories: np.InstanceCategories,
				CapacityTypes: np.CapacityTypes, Architectures: np.Architectures,
				MinCPU: p.MinCPU, MinMemoryMiB: p.MinMemoryMiB,
				LimitCPU: np.Limits.Cpu, LimitMemory: np.Limits.Memory, LimitNodes: np.Limits.Nodes,
			},
			Class: karpenter.NodeClassInput{
				Name: np.Name, ClusterName: cfg.ClusterName(), AmiFamily: np.AmiFamily, AmiVersion: np.AmiVersion,
				SubnetIds: subnetIds, MaxPods: p.MaxPods, DiskSize: np.DiskSize,
			},
		})
	}
	return args
}
