// Package platform composes the whole eks-cilium stack from its typed configuration:
// Vpc -> Cluster (no VPC CNI) -> Cilium -> NodeGroups -> CoreDNS, the Pod Identity agent and
// the add-ons. It is the one call other Go programs import.
package platform

import (
	"errors"
	"fmt"
	"time"

	"github.com/eks-cilium/eks-cilium/awsnames"
	"github.com/eks-cilium/eks-cilium/components/addons"
	"github.com/eks-cilium/eks-cilium/components/cilium"
	"github.com/eks-cilium/eks-cilium/components/cluster"
	"github.com/eks-cilium/eks-cilium/components/coredns"
	"github.com/eks-cilium/eks-cilium/components/karpenter"
	"github.com/eks-cilium/eks-cilium/components/nodegroup"
	"github.com/eks-cilium/eks-cilium/components/podidentity"
	"github.com/eks-cilium/eks-cilium/components/vpc"
	"github.com/eks-cilium/eks-cilium/guard"
	"github.com/eks-cilium/eks-cilium/hostports"
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
	// HostPorts is the host port map of every node: what the node holds and what each
	// host-network add-on was given.
	HostPorts *hostports.Map `pulumi:"-"`
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

// NewPlatform validates the configuration with Validate and the day-2 guard and, only if
// both pass, creates everything. An invalid or refused configuration registers no resource.
func NewPlatform(ctx *pulumi.Context, name string, args *PlatformArgs, opts ...pulumi.ResourceOption) (*Platform, error) {
	cfg := args.Config
	plan, err := Validate(cfg)
	if err != nil {
		return nil, err
	}
	// Validate assumes the program's choice, a Platform named after its cluster; resource
	// names (and the AWS names Pulumi derives from them) follow the name actually given.
	if name != cfg.ClusterName() {
		if probs := rules.CheckNamesOf(name, cfg); len(probs) > 0 {
			return nil, probs
		}
	}
	warnings, err := guard.Check(args.Previous, cfg)
	if err != nil {
		return nil, err
	}
	ciliumValues := CiliumValuesInput(cfg, plan, "")
	ports, err := HostPortMap(cfg, plan)
	if err != nil {
		return nil, err
	}

	comp := &Platform{Plan: plan, HostPorts: ports}
	if err := ctx.RegisterComponentResource(Token, name, comp, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(comp)
	for _, w := range append(warnings, Notices(cfg)...) {
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
		args := nodeGroupArgs(cfg, plan, i)
		args.ClusterName = cl.ClusterName
		args.Endpoint = cl.Endpoint
		args.CertificateAuthority = cl.CertificateAuthority
		args.SubnetIds = privateIds
		args.DependsOn = append([]pulumi.Resource{cil.Release, cl.Eks}, network...)
		group, err := nodegroup.NewNodeGroup(ctx, awsnames.NodeGroupResource(name, ng.Name), &args, parent)
		if err != nil {
			return nil, err
		}
		comp.NodeGroups = append(comp.NodeGroups, group)
		groups = append(groups, group.Eks)
	}

	// CoreDNS pods need Ready nodes; an addon created earlier degrades and times out.
	dns, err := coredns.NewCoreDns(ctx, name, &coredns.CoreDnsArgs{
		ClusterName:  cl.ClusterName,
		AddonVersion: cfg.Cluster.CorednsVersion,
		DependsOn:    append(groups, cl.Eks),
	}, parent)
	if err != nil {
		return nil, err
	}

	afterNodes := append(append([]pulumi.Resource{}, groups...), cl.Eks)

	// One Pod Identity agent per cluster, whoever needs it. Its DaemonSet pods, like
	// CoreDNS's, wait for Ready nodes.
	var agent pulumi.Resource
	if NeedsPodIdentityAgent(cfg) {
		agent, err = podidentity.NewAgent(ctx, name+"-pod-identity", &podidentity.AgentArgs{
			ClusterName: cl.ClusterName,
			DependsOn:   afterNodes,
		}, parent)
		if err != nil {
			return nil, err
		}
	}

	// Karpenter's controller runs on the node groups, resolves AWS endpoints through CoreDNS
	// and reaches AWS through Pod Identity.
	if cfg.Karpenter != nil {
		deps := append(append([]pulumi.Resource{}, afterNodes...), dns)
		if comp.Karpenter, err = karpenter.NewKarpenter(ctx, name, KarpenterArgs(cfg, plan, cl, agent, deps), parent); err != nil {
			return nil, err
		}
	}

	// Add-ons are Helm releases that wait for their pods, so they come after the node groups
	// for the same reason as CoreDNS.
	if a := cfg.Addons; a != nil {
		if ms := a.MetricsServer; ms != nil {
			port, _ := ports.Port(addons.MetricsServerRelease, addons.PurposeMetricsServerAPI)
			if _, err := addons.NewMetricsServer(ctx, name+"-metrics-server", &addons.MetricsServerArgs{
				Version:    ms.Version,
				SecurePort: port,
				Replicas:   ms.ReplicasOrDefault(),
				Provider:   cl.Provider,
				DependsOn:  afterNodes,
			}, parent); err != nil {
				return nil, err
			}
		}
		if lbc := a.AwsLoadBalancerController; lbc != nil {
			webhook, _ := ports.Port(addons.LoadBalancerControllerRelease, addons.PurposeWebhook)
			metrics, _ := ports.Port(addons.LoadBalancerControllerRelease, addons.PurposeMetrics)
			if _, err := addons.NewAwsLoadBalancerController(ctx, name+"-aws-lbc", &addons.AwsLoadBalancerControllerArgs{
				Version:          lbc.Version,
				ClusterName:      cl.ClusterName,
				Region:           cfg.Region,
				VpcId:            vpcId,
				WebhookPort:      webhook,
				MetricsPort:      metrics,
				ReplicaCount:     lbc.ReplicaCountOrDefault(),
				RoleName:         awsnames.LoadBalancerControllerRole(clusterName),
				PodIdentityAgent: agent,
				Provider:         cl.Provider,
				// It resolves AWS API endpoints through CoreDNS (dnsPolicy ClusterFirstWithHostNet).
				DependsOn: append(append([]pulumi.Resource{}, afterNodes...), dns),
			}, parent); err != nil {
				return nil, err
			}
		}
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

// nodeGroupArgs are the plain arguments of node group i (everything but what comes from the
// cluster and the VPC), shared by NewPlatform and NodeUserData so the render shows the user
// data the nodes get.
func nodeGroupArgs(cfg stackconfig.Config, plan *ipplan.Plan, i int) nodegroup.NodeGroupArgs {
	ng := cfg.NodeGroups[i]
	return nodegroup.NodeGroupArgs{
		Name:                 ng.Name,
		KubernetesVersion:    cfg.Cluster.Version,
		ServiceCidr:          cfg.Cluster.ServiceCidr,
		InstanceTypes:        ng.InstanceTypes,
		CapacityType:         ng.CapacityType,
		AmiType:              ng.AmiType,
		MinSize:              ng.MinSize,
		DesiredSize:          ng.DesiredSize,
		MaxSize:              ng.MaxSize,
		MaxPods:              plan.NodeGroups[i].MaxPods,
		DiskSize:             ng.DiskSize,
		MaxUnavailable:       ng.MaxUnavailable,
		IgnoreScalingChanges: ng.IgnoreScalingChanges,
		EnableSsm:            ng.EnableSsm,
		Labels:               ng.Labels,
	}
}

// NodeUserData is the user data, as plain text, of every node group's launch template, by node
// group name, for the cluster described by cluster: the same functions NewPlatform's node groups
// render it with. The offline render passes placeholders for the endpoint and CA bundle, which
// only exist once the cluster does.
func NodeUserData(cfg stackconfig.Config, plan *ipplan.Plan, cluster nodegroup.ClusterInfo) (map[string]string, error) {
	out := make(map[string]string, len(cfg.NodeGroups))
	for i, ng := range cfg.NodeGroups {
		args := nodeGroupArgs(cfg, plan, i)
		text, err := nodegroup.UserData(args.AmiType, cluster, args.Settings())
		if err != nil {
			return nil, fmt.Errorf("%s[%d]: %w", stackconfig.KeyNodeGroups, i, err)
		}
		out[ng.Name] = text
	}
	return out, nil
}

// Notices are what whoever runs `pulumi up` must know about a valid configuration; NewPlatform
// logs them as warnings and the render lists them.
func Notices(cfg stackconfig.Config) []string {
	var out []string
	if !cfg.Cluster.EndpointPublicAccess {
		out = append(out, stackconfig.KeyCluster+".endpointPublicAccess is false: the Kubernetes API is reachable only "+
			"from inside the VPC, so run `pulumi up` from there (a runner in the VPC, a VPN or a peered network): "+
			"it installs Cilium through that API. publicAccessCidrs is not sent.")
	}
	return out
}

// Today is the date the Kubernetes version lifecycle is checked against (rules.Check). The
// program and the render use the real date; the snapshot tests pin it so that the golden
// files do not change with the calendar.
var Today = func() time.Time { return time.Now().UTC() }

// Validate checks a configuration completely without registering anything: the address plan
// and capacity (ipplan), every other rule (rules, as of Today, add-ons included), the extra
// Cilium values and the host port plan.
// All refusals come back at once, sorted by key, as stackconfig.Problems; the plan's Warnings
// carry the warnings of both.
func Validate(cfg stackconfig.Config) (*ipplan.Plan, error) {
	var refusals stackconfig.Problems
	plan, err := ipplan.New(cfg)
	var probs stackconfig.Problems
	switch {
	case errors.As(err, &probs):
		refusals = append(refusals, probs...)
	case err != nil:
		return nil, err
	}
	warnings, refused := rules.Check(cfg, Today())
	refusals = append(refusals, refused...)
	err = cilium.CheckExtra(cfg.Cilium.Values)
	switch {
	case errors.As(err, &probs):
		refusals = append(refusals, probs...)
	case err != nil:
		return nil, err
	}
	if len(refusals) == 0 {
		if _, err := HostPortMap(cfg, plan); err != nil {
			refusals = append(refusals, stackconfig.Problem{
				Key: stackconfig.KeyAddons, Value: "", Rule: err.Error(),
				Fix: "move the Cilium port named in eks-cilium:cilium.values away from the add-ons' ports (see the render's host port map)",
			})
		}
	}
	if len(refusals) > 0 {
		refusals.Sort()
		return nil, refusals
	}
	plan.Warnings = append(plan.Warnings, warnings...)
	plan.Warnings.Sort()
	return plan, nil
}

// NeedsPodIdentityAgent reports whether anything in the stack takes AWS credentials through
// EKS Pod Identity (the load balancer controller, Karpenter); the eks-pod-identity-agent addon
// is then installed once for all of them. A new consumer is one more condition here.
func NeedsPodIdentityAgent(cfg stackconfig.Config) bool {
	return (cfg.Addons != nil && cfg.Addons.AwsLoadBalancerController != nil) || cfg.Karpenter != nil
}

// HostPortMap plans the host ports of every node: what the kubelet, Cilium (with the
// stack's own Cilium values), kube-proxy and the Pod Identity agent hold, and a port for
// each listener of each host-network add-on.
func HostPortMap(cfg stackconfig.Config, plan *ipplan.Plan) (*hostports.Map, error) {
	values, err := cilium.Values(CiliumValuesInput(cfg, plan, ""))
	if err != nil {
		return nil, err
	}
	held, err := hostports.NodeHeld(hostports.Node{
		CiliumValues:     values,
		KubeProxy:        !cfg.Cluster.KubeProxyReplacement,
		PodIdentityAgent: NeedsPodIdentityAgent(cfg),
	})
	if err != nil {
		return nil, err
	}
	held = append(held, addons.PortsHeld(cfg.Addons)...)
	return hostports.Plan(held, addons.PortRequests(cfg.Addons))
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
func KarpenterArgs(cfg stackconfig.Config, plan *ipplan.Plan, cl *cluster.Cluster, agent pulumi.Resource, dependsOn []pulumi.Resource) *karpenter.KarpenterArgs {
	args := &karpenter.KarpenterArgs{
		Version:          cfg.Karpenter.Version,
		ClusterName:      cfg.ClusterName(),
		Cluster:          cl.ClusterName,
		Endpoint:         cl.Endpoint,
		Provider:         cl.Provider,
		PodIdentityAgent: agent,
		DependsOn:        dependsOn,
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
