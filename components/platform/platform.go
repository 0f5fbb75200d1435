// Package platform composes the whole eks-cilium stack from its typed configuration:
// Vpc -> Cluster (no VPC CNI) -> Cilium -> NodeGroups -> CoreDNS, the Pod Identity agent and
// the add-ons. It is the one call other Go programs import.
package platform

import (
	"encoding/base64"
	"fmt"

	"github.com/eks-cilium/eks-cilium/awsnames"
	"github.com/eks-cilium/eks-cilium/charts"
	"github.com/eks-cilium/eks-cilium/components/addons"
	"github.com/eks-cilium/eks-cilium/components/cilium"
	"github.com/eks-cilium/eks-cilium/components/cluster"
	"github.com/eks-cilium/eks-cilium/components/coredns"
	"github.com/eks-cilium/eks-cilium/components/karpenter"
	"github.com/eks-cilium/eks-cilium/components/mesh"
	"github.com/eks-cilium/eks-cilium/components/migrate"
	"github.com/eks-cilium/eks-cilium/components/nodegroup"
	"github.com/eks-cilium/eks-cilium/components/podidentity"
	"github.com/eks-cilium/eks-cilium/components/vpc"
	"github.com/eks-cilium/eks-cilium/fleet"
	"github.com/eks-cilium/eks-cilium/guard"
	"github.com/eks-cilium/eks-cilium/localcharts"
	"github.com/eks-cilium/eks-cilium/migration"
	"github.com/eks-cilium/eks-cilium/plan"
	"github.com/eks-cilium/eks-cilium/stackconfig"
	"github.com/eks-cilium/eks-cilium/versions"
	awseks "github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
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
	// Mesh is what a ClusterMesh member read about its peers (program.ReadMesh); required
	// with eks-cilium:clusterMesh.
	Mesh *plan.MeshInputs
	// Adopted is the existing cluster of a stack with cluster.existing, as the program looked
	// it up (cluster.Lookup); nil looks it up here.
	Adopted *cluster.Found
	// Live are the adopted cluster's facts the migration is checked against (program.ReadLive);
	// nil offline, where the plan lists them as deploy-time checks.
	Live *migration.Facts
	// LocalCharts are what the program read of the local chart archives and CRD manifests
	// eks-cilium:chartSources names (localcharts.Read); nil reads them here, from the working
	// directory (the project directory under pulumi up).
	LocalCharts *charts.LocalFacts
}

// Platform is an EKS cluster whose only CNI is Cilium.
type Platform struct {
	pulumi.ResourceState

	// Plan is the validated plan the platform was built from: addresses, host ports, notices.
	Plan *plan.Plan `pulumi:"-"`
	// Cluster, Cilium and NodeGroups are the parts, for programs that add to them.
	Cluster    *cluster.Cluster       `pulumi:"-"`
	Cilium     *cilium.Cilium         `pulumi:"-"`
	NodeGroups []*nodegroup.NodeGroup `pulumi:"-"`
	// Karpenter is nil unless eks-cilium:karpenter is set.
	Karpenter *karpenter.Karpenter `pulumi:"-"`
	// CoreDns and PodIdentityAgent are the EKS addons (PodIdentityAgent nil when nothing
	// needs it), whose versions the stack exports.
	CoreDns          *coredns.CoreDns `pulumi:"-"`
	PodIdentityAgent *awseks.Addon    `pulumi:"-"`
	// Mesh is nil unless eks-cilium:clusterMesh is set.
	Mesh *mesh.ClusterMesh `pulumi:"-"`

	ClusterName      pulumi.StringOutput      `pulumi:"clusterName"`
	ClusterEndpoint  pulumi.StringOutput      `pulumi:"clusterEndpoint"`
	Kubeconfig       pulumi.StringOutput      `pulumi:"kubeconfig"`
	VpcId            pulumi.StringOutput      `pulumi:"vpcId"`
	PrivateSubnetIds pulumi.StringArrayOutput `pulumi:"privateSubnetIds"`
}

// NewPlatform plans the configuration (plan.New: every rule, the address and host port plans
// and the day-2 guard) and, only if that succeeds, creates everything from the plan. An
// invalid or refused configuration registers no resource.
func NewPlatform(ctx *pulumi.Context, name string, args *PlatformArgs, opts ...pulumi.ResourceOption) (*Platform, error) {
	if args.Config.ClusterMesh != nil && args.Mesh == nil {
		return nil, fmt.Errorf("%s is set, but the peers' outputs were not read: a mesh member is built by program.Run, which reads them through StackReferences (PlatformArgs.Mesh)", stackconfig.KeyClusterMesh)
	}
	local := args.LocalCharts
	if local == nil {
		local = localcharts.Read(args.Config, "")
	}
	p, err := plan.New(plan.Inputs{Config: args.Config, Previous: args.Previous, Name: name, Mesh: args.Mesh, Live: args.Live, LocalCharts: local})
	if err != nil {
		return nil, err
	}
	cfg, ip := p.Config, p.IP
	ciliumValues, err := p.CiliumValues("")
	if err != nil {
		return nil, err
	}
	comp := &Platform{Plan: p}
	if err := ctx.RegisterComponentResource(Token, name, comp, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(comp)
	// Every warning of the plan shows in the preview, where the change is reviewed: the
	// rules' (the migration's live findings among them) and the notices.
	for _, w := range p.Warnings() {
		if err := ctx.Log.Warn(w, &pulumi.LogArgs{Resource: comp}); err != nil {
			return nil, err
		}
	}
	clusterName := cfg.ClusterName()

	// An adopted cluster is looked up before anything is registered (an invoke).
	adopted := args.Adopted
	if cfg.Cluster.Existing && adopted == nil {
		if adopted, err = cluster.Lookup(ctx, clusterName); err != nil {
			return nil, err
		}
	}

	// network is what nodes need before they boot: routes to NAT for image pulls and joins.
	var network []pulumi.Resource
	var routeTables []pulumi.StringOutput
	var vpcId pulumi.StringOutput
	var privateIds, publicIds pulumi.StringArrayOutput
	if cfg.Vpc.UsesExistingVpc() {
		vpcId = pulumi.String(cfg.Vpc.Id).ToStringOutput()
		privateIds = pulumi.ToStringArray(cfg.Vpc.PrivateSubnetIds).ToStringArrayOutput()
		publicIds = pulumi.ToStringArray(cfg.Vpc.PublicSubnetIds).ToStringArrayOutput()
	} else {
		subnets := make([]vpc.SubnetPair, len(ip.Subnets))
		for i, s := range ip.Subnets {
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
		network, routeTables = net.Egress, net.PrivateRouteTableIds
	}

	var cl *cluster.Cluster
	if cfg.Cluster.Existing {
		cl, err = cluster.NewAdopted(ctx, name, adopted, cfg.Region, parent)
	} else {
		cl, err = cluster.NewCluster(ctx, name, &cluster.ClusterArgs{
			Name: clusterName,
			// cluster.version, except in the first update of a rollback (the plan's Versions).
			Version:              p.Versions.ControlPlane,
			KubeProxyVersion:     p.Versions.Addons[versions.KubeProxy],
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
	}
	if err != nil {
		return nil, err
	}
	// What must exist before anything runs in the cluster: the EKS cluster this stack
	// creates (an adopted one exists already).
	var clusterDeps []pulumi.Resource
	if cl.Eks != nil {
		clusterDeps = append(clusterDeps, cl.Eks)
	}

	// The migration's objects: the state ConfigMap, aws-node adopted and kept off the new
	// nodes, the ports between legacy and new nodes; after the release, the CiliumNodeConfig.
	// New nodes wait for all of them.
	var mig *migrate.Migration
	var ciliumDeps []pulumi.Resource
	if cfg.Migration != nil {
		tunnelPort := 0
		if v, ok := ciliumValues["tunnelPort"].(int); ok {
			tunnelPort = v
		}
		if mig, err = migrate.NewMigration(ctx, name, &migrate.MigrationArgs{
			Config:                 cfg,
			ClusterName:            clusterName,
			ClusterSecurityGroupId: adopted.SecurityGroupId,
			Pool:                   cfg.Cilium.ClusterPoolIPv4PodCIDRList,
			TunnelPort:             tunnelPort,
			Live:                   p.Live,
			Provider:               cl.Provider,
		}, parent); err != nil {
			return nil, err
		}
		ciliumDeps = append(ciliumDeps, mig.State)
	}

	cil, err := cilium.NewCilium(ctx, name, &cilium.CiliumArgs{
		Version:        cfg.Cilium.Version,
		Source:         cfg.ChartSources.Source(stackconfig.ChartSourceCilium),
		Values:         ciliumValues,
		K8sServiceHost: cl.EndpointHost,
		Provider:       cl.Provider,
		Preflight:      p.Versions.CiliumPreflight,
		Inputs:         meshValueInputs(p),
		// An adopted cluster has nodes: the release waits for the agents, and so does the
		// CiliumNodeConfig, whose CRD the operator registers.
		Wait:      cfg.Cluster.Existing,
		DependsOn: ciliumDeps,
	}, parent)
	if err != nil {
		return nil, err
	}
	var migrated []pulumi.Resource
	if mig != nil {
		if err := mig.NodeConfig(ctx, name, cil.Release); err != nil {
			return nil, err
		}
		migrated = mig.Ready
	}

	// The EKS addons whose pods run on the nodes: CoreDNS, and the Pod Identity agent (one per
	// cluster, whoever needs it). On a cluster without nodes yet they wait for the node groups:
	// their pods need Ready nodes, and an addon created earlier degrades and times out. Once
	// node groups exist they wait only for the control plane, and the node groups for them: an
	// upgrade updates the addons right after the control plane (EKS never does:
	// updating-an-add-on.html), then rolls the nodes.
	var dns *coredns.CoreDns
	var agent pulumi.Resource
	// An adopted cluster keeps the CoreDNS it has: it runs on the legacy nodes and moves with
	// the drains like any workload.
	newAddons := func(deps []pulumi.Resource) error {
		if !cfg.Cluster.Existing {
			var err error
			dns, err = coredns.NewCoreDns(ctx, name, &coredns.CoreDnsArgs{
				ClusterName:  cl.ClusterName,
				AddonVersion: p.Versions.Addons[versions.CoreDNS],
				DependsOn:    deps,
			}, parent)
			if err != nil {
				return err
			}
		}
		if !plan.NeedsPodIdentityAgent(cfg) {
			return nil
		}
		var err error
		comp.PodIdentityAgent, err = podidentity.NewAgent(ctx, name+"-pod-identity", &podidentity.AgentArgs{
			ClusterName:  cl.ClusterName,
			AddonVersion: p.Versions.Addons[versions.PodIdentityAgent],
			DependsOn:    deps,
		}, parent)
		agent = comp.PodIdentityAgent
		return err
	}
	var nodesAfter []pulumi.Resource
	if !p.Versions.CoreDNSWaitsForNodes {
		if err := newAddons(clusterDeps); err != nil {
			return nil, err
		}
		if dns != nil {
			nodesAfter = append(nodesAfter, dns)
		}
		if agent != nil {
			nodesAfter = append(nodesAfter, agent)
		}
	}

	// Node groups wait for the Cilium release: their nodes only turn Ready once a CNI runs,
	// and a managed node group whose nodes never get Ready fails with NodeCreationFailure.
	// On destroy the same edge removes the node groups before Cilium.
	var groups []pulumi.Resource
	for i, ng := range cfg.NodeGroups {
		args := nodeGroupArgs(p, i)
		// The node image follows the control plane's deployed version, not the configured one:
		// a control-plane update that fails leaves every node as it is.
		args.KubernetesVersion = cl.Version
		if v := p.Versions.NodesPinned; v != "" {
			args.KubernetesVersion = pulumi.String(v)
		}
		args.ClusterName = cl.ClusterName
		args.Endpoint = cl.Endpoint
		args.CertificateAuthority = cl.CertificateAuthority
		args.SubnetIds = privateIds
		args.DependsOn = append(append(append(append([]pulumi.Resource{cil.Release}, clusterDeps...), migrated...), network...), nodesAfter...)
		group, err := nodegroup.NewNodeGroup(ctx, awsnames.NodeGroupResource(name, ng.Name), &args, parent)
		if err != nil {
			return nil, err
		}
		comp.NodeGroups = append(comp.NodeGroups, group)
		groups = append(groups, group.Eks)
	}
	if p.Versions.CoreDNSWaitsForNodes {
		if err := newAddons(append(append([]pulumi.Resource{}, groups...), clusterDeps...)); err != nil {
			return nil, err
		}
	}

	afterNodes := append(append([]pulumi.Resource{}, groups...), clusterDeps...)
	// afterDNS adds CoreDNS, which an adopted cluster keeps as it is.
	afterDNS := afterNodes
	if dns != nil {
		afterDNS = append(append([]pulumi.Resource{}, afterNodes...), dns)
	}
	var lbController *addons.AwsLoadBalancerController

	// Karpenter's controller runs on the node groups, resolves AWS endpoints through CoreDNS
	// and reaches AWS through Pod Identity.
	if cfg.Karpenter != nil {
		deps := afterDNS
		if comp.Karpenter, err = karpenter.NewKarpenter(ctx, name, KarpenterArgs(p, cl, agent, deps), parent); err != nil {
			return nil, err
		}
	}

	// Add-ons are Helm releases that wait for their pods, so they come after the node groups
	// for the same reason as CoreDNS.
	if a := cfg.Addons; a != nil {
		if ms := a.MetricsServer; ms != nil {
			port, _ := p.HostPorts.Port(charts.MetricsServerRelease, charts.PurposeMetricsServerAPI)
			if _, err := addons.NewMetricsServer(ctx, name+"-metrics-server", &addons.MetricsServerArgs{
				Version:    ms.Version,
				Source:     cfg.ChartSources.Source(stackconfig.ChartSourceMetricsServer),
				SecurePort: port,
				Replicas:   ms.Replicas,
				Provider:   cl.Provider,
				DependsOn:  afterNodes,
			}, parent); err != nil {
				return nil, err
			}
		}
		if lbc := a.AwsLoadBalancerController; lbc != nil {
			webhook, _ := p.HostPorts.Port(charts.LoadBalancerControllerRelease, charts.PurposeWebhook)
			metrics, _ := p.HostPorts.Port(charts.LoadBalancerControllerRelease, charts.PurposeMetrics)
			if lbController, err = addons.NewAwsLoadBalancerController(ctx, name+"-aws-lbc", &addons.AwsLoadBalancerControllerArgs{
				Version:          lbc.Version,
				Source:           cfg.ChartSources.LoadBalancerController(),
				ClusterName:      cl.ClusterName,
				Region:           cfg.Region,
				VpcId:            vpcId,
				WebhookPort:      webhook,
				MetricsPort:      metrics,
				ReplicaCount:     lbc.ReplicaCount,
				RoleName:         awsnames.LoadBalancerControllerRole(clusterName),
				PodIdentityAgent: agent,
				Provider:         cl.Provider,
				Kubeconfig:       kubeconfigOf(cl),
				// It resolves AWS API endpoints through CoreDNS (dnsPolicy ClusterFirstWithHostNet).
				DependsOn: afterDNS,
			}, parent); err != nil {
				return nil, err
			}
		}
	}

	if m := p.Mesh; m != nil {
		if comp.Mesh, err = mesh.NewClusterMesh(ctx, name, &mesh.ClusterMeshArgs{
			Self:                 m.Self,
			Links:                m.Wiring.Links,
			VpcId:                vpcId,
			PrivateSubnetIds:     privateIds,
			PrivateRouteTableIds: routeTables,
			NodeSecurityGroupId:  cl.ClusterSecurityGroupId,
			Ingress:              fleet.PeerIngress(cfg.Cilium.TunnelProtocol, cfg.Cilium.Encryption),
			Service:              charts.ClusterMeshAPIServerService(*p.CiliumInput("").Mesh),
			Provider:             cl.Provider,
			// The rules check (rules.CheckClusterMesh) guarantees the controller on a member.
			ServiceDependsOn: []pulumi.Resource{lbController.Release, cil.Release},
		}, parent); err != nil {
			return nil, err
		}
	}

	comp.Cluster, comp.Cilium, comp.CoreDns = cl, cil, dns
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
func nodeGroupArgs(p *plan.Plan, i int) nodegroup.NodeGroupArgs {
	cfg := p.Config
	ng := cfg.NodeGroups[i]
	return nodegroup.NodeGroupArgs{
		Name:                 ng.Name,
		AmiVersion:           ng.AmiVersion,
		ServiceCidr:          cfg.Cluster.ServiceCidr,
		InstanceTypes:        ng.InstanceTypes,
		CapacityType:         ng.CapacityType,
		AmiType:              ng.AmiType,
		MinSize:              ng.MinSize,
		DesiredSize:          ng.DesiredSize,
		MaxSize:              ng.MaxSize,
		MaxPods:              p.IP.NodeGroups[i].MaxPods,
		DiskSize:             ng.DiskSize,
		MaxUnavailable:       ng.MaxUnavailable,
		IgnoreScalingChanges: ng.IgnoreScalingChanges,
		EnableSsm:            ng.EnableSsm,
		Labels:               nodeLabels(cfg, ng),
	}
}

// NodeUserData is the user data, as plain text, of every node group's launch template, by node
// group name, for the cluster described by cluster: the same functions NewPlatform's node groups
// render it with. The offline render passes placeholders for the endpoint and CA bundle, which
// only exist once the cluster does.
func NodeUserData(p *plan.Plan, cluster nodegroup.ClusterInfo) (map[string]string, error) {
	out := make(map[string]string, len(p.Config.NodeGroups))
	for i, ng := range p.Config.NodeGroups {
		args := nodeGroupArgs(p, i)
		text, err := nodegroup.UserData(args.AmiType, cluster, args.Settings())
		if err != nil {
			return nil, fmt.Errorf("%s[%d]: %w", stackconfig.KeyNodeGroups, i, err)
		}
		out[ng.Name] = text
	}
	return out, nil
}

// KarpenterArgs maps the stack configuration and plan to Karpenter's inputs: per node pool
// the NodePool and EC2NodeClass inputs, with the maxPods and the smallest instance the
// planner counted with. An existing VPC's private subnets are selected by ID (nothing tags
// them); the subnets this project creates by their karpenter.sh/discovery tag.
func KarpenterArgs(p *plan.Plan, cl *cluster.Cluster, agent pulumi.Resource, dependsOn []pulumi.Resource) *karpenter.KarpenterArgs {
	cfg := p.Config
	args := &karpenter.KarpenterArgs{
		Version:          cfg.Karpenter.Version,
		ChartSource:      cfg.ChartSources.Source(stackconfig.ChartSourceKarpenter),
		CRDChartSource:   cfg.ChartSources.Source(stackconfig.ChartSourceKarpenterCrd),
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
		np, pp := raw, p.IP.Karpenter.NodePools[i]
		args.NodePools = append(args.NodePools, karpenter.Pool{
			Pool: karpenter.NodePoolInput{
				Name: np.Name, InstanceFamilies: np.InstanceFamilies, InstanceCategories: np.InstanceCategories,
				CapacityTypes: np.CapacityTypes, Architectures: np.Architectures,
				MinCPU: pp.MinCPU, MinMemoryMiB: pp.MinMemoryMiB,
				LimitCPU: np.Limits.Cpu, LimitMemory: np.Limits.Memory, LimitNodes: np.Limits.Nodes,
			},
			Class: karpenter.NodeClassInput{
				Name: np.Name, ClusterName: cfg.ClusterName(), AmiFamily: np.AmiFamily, AmiVersion: np.AmiVersion,
				SubnetIds: subnetIds, MaxPods: pp.MaxPods, DiskSize: np.DiskSize,
			},
		})
	}
	return args
}

// nodeLabels are a node group's labels: on an adopted cluster also the migration label, which
// makes the CiliumNodeConfig select its nodes and keeps aws-node off them. It stays after the
// migration: removing it would change every launch template and replace every node.
func nodeLabels(cfg stackconfig.Config, ng stackconfig.NodeGroupConfig) map[string]string {
	if !cfg.Cluster.Existing {
		return ng.Labels
	}
	out := map[string]string{migration.NodeLabelKey: migration.NodeLabelValue}
	for k, v := range ng.Labels {
		out[k] = v
	}
	return out
}

// meshValueInputs are the Cilium values of a mesh member that are secret: the mesh CA, base64
// of the PEM as the chart takes it.
func meshValueInputs(p *plan.Plan) []cilium.ValueInput {
	if p.Mesh == nil {
		return nil
	}
	ca := p.Mesh.Wiring.CA
	b64 := func(s string) pulumi.Input {
		return pulumi.ToSecret(pulumi.String(base64.StdEncoding.EncodeToString([]byte(s))))
	}
	return []cilium.ValueInput{
		{Path: charts.MeshInputPaths[charts.PlaceholderCACert], Value: b64(ca.Cert)},
		{Path: charts.MeshInputPaths[charts.PlaceholderCAKey], Value: b64(ca.Key)},
	}
}

// kubeconfigOf is the kubeconfig pulumi-eks generated for a cluster the stack creates, or the
// one built from the EKS lookup of an adopted cluster.
func kubeconfigOf(cl *cluster.Cluster) pulumi.StringInput {
	if cl.Eks != nil {
		return cl.Eks.KubeconfigJson
	}
	return cl.Kubeconfig
}
