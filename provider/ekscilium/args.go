package ekscilium

import (
	"github.com/eks-cilium/eks-cilium/stackconfig"
	"github.com/pulumi/pulumi-go-provider/infer"
)

// PlatformArgs are the inputs of eks-cilium:index:Platform: the four objects of a stack file
// (eks-cilium:vpc, :cluster, :nodeGroups, :cilium) with the same field names, so a stack's
// configuration and a Platform's properties read alike. Every value is plain: it decides
// the shape of the resource graph (CIDRs, AZ count, node groups, chart version), and the
// planner validates all of it before anything is registered.
//
// Optional scalars are pointers: nil means "take stackconfig's default", which keeps an
// explicit false or 0 distinguishable from "not set".
type PlatformArgs struct {
	Vpc        *VpcConfig        `pulumi:"vpc,optional"`
	Cluster    *ClusterConfig    `pulumi:"cluster,optional"`
	NodeGroups []NodeGroupConfig `pulumi:"nodeGroups"`
	Cilium     CiliumConfig      `pulumi:"cilium"`
	Addons     *AddonsConfig     `pulumi:"addons,optional"`
	Karpenter  *KarpenterConfig  `pulumi:"karpenter,optional"`
}

func (a *PlatformArgs) Annotate(an infer.Annotator) {
	an.Describe(&a.Vpc, "The VPC: created (cidr, availabilityZones, natGateways) or existing (id, cidr, privateSubnetIds, publicSubnetIds). Same fields as the stack key eks-cilium:vpc.")
	an.Describe(&a.Cluster, "The EKS control plane, created without the AWS VPC CNI (no aws-node). Same fields as eks-cilium:cluster.")
	an.Describe(&a.NodeGroups, "Managed node groups in the private subnets, created after Cilium and tainted node.cilium.io/agent-not-ready until the agent runs. At least one. Same fields as eks-cilium:nodeGroups.")
	an.Describe(&a.Cilium, "Cilium with cluster-pool IPAM and overlay routing; key names are Cilium's Helm values. Same fields as eks-cilium:cilium.")
	an.Describe(&a.Addons, "Overlay-ready add-ons, each installed when present (metricsServer, awsLoadBalancerController). Absent: none. Same fields as eks-cilium:addons.")
	an.Describe(&a.Karpenter, "Karpenter with its node pools, installed after the node groups. Absent: no Karpenter. Same fields as eks-cilium:karpenter.")
}

// AddonsConfig mirrors stackconfig.AddonsConfig.
type AddonsConfig struct {
	MetricsServer             *MetricsServerConfig             `pulumi:"metricsServer,optional"`
	AwsLoadBalancerController *AwsLoadBalancerControllerConfig `pulumi:"awsLoadBalancerController,optional"`
}

func (c *AddonsConfig) Annotate(an infer.Annotator) {
	an.Describe(c, "Add-ons that work on the Cilium overlay: what the API server must reach runs on the host network, ports planned against what nodes already hold.")
	an.Describe(&c.MetricsServer, "metrics-server on the host network, so the API server can reach it without routes to the pod overlay.")
	an.Describe(&c.AwsLoadBalancerController, "The AWS Load Balancer Controller with a Pod Identity role; its webhook on the host network and instance targets.")
}

// MetricsServerConfig mirrors stackconfig.MetricsServerConfig.
type MetricsServerConfig struct {
	Version  string `pulumi:"version"`
	Replicas *int   `pulumi:"replicas,optional"`
}

func (c *MetricsServerConfig) Annotate(an infer.Annotator) {
	an.Describe(&c.Version, "Exact metrics-server chart version, e.g. 3.13.1.")
	an.Describe(&c.Replicas, "Replicas of the deployment.")
	an.SetDefault(&c.Replicas, stackconfig.DefaultMetricsServerReplicas)
}

// AwsLoadBalancerControllerConfig mirrors stackconfig.AwsLoadBalancerControllerConfig.
type AwsLoadBalancerControllerConfig struct {
	Version      string `pulumi:"version"`
	ReplicaCount *int   `pulumi:"replicaCount,optional"`
}

func (c *AwsLoadBalancerControllerConfig) Annotate(an infer.Annotator) {
	an.Describe(&c.Version, "Exact aws-load-balancer-controller chart version whose IAM policy is embedded, e.g. 3.5.0.")
	an.Describe(&c.ReplicaCount, "Replicas of the controller.")
	an.SetDefault(&c.ReplicaCount, stackconfig.DefaultLoadBalancerControllerReplicas)
}

// KarpenterConfig mirrors stackconfig.KarpenterConfig.
type KarpenterConfig struct {
	Version   string           `pulumi:"version"`
	NodePools []NodePoolConfig `pulumi:"nodePools"`
}

func (c *KarpenterConfig) Annotate(an infer.Annotator) {
	an.Describe(c, "Karpenter (controller on the node groups, Pod Identity role, interruption queue) and its NodePools with the Cilium startup taint.")
	an.Describe(&c.Version, "Exact karpenter and karpenter-crd chart version, e.g. 1.14.1.")
	an.Describe(&c.NodePools, "NodePools, each with its EC2NodeClass; their node counts must fit the pod pool.")
}

// NodePoolConfig mirrors stackconfig.NodePoolConfig.
type NodePoolConfig struct {
	Name               string         `pulumi:"name"`
	InstanceFamilies   []string       `pulumi:"instanceFamilies,optional"`
	InstanceCategories []string       `pulumi:"instanceCategories,optional"`
	CapacityTypes      []string       `pulumi:"capacityTypes,optional"`
	Architectures      []string       `pulumi:"architectures,optional"`
	AmiFamily          *string        `pulumi:"amiFamily,optional"`
	AmiVersion         string         `pulumi:"amiVersion"`
	MinInstance        *InstanceSize  `pulumi:"minInstance,optional"`
	MaxPods            *int           `pulumi:"maxPods,optional"`
	DiskSize           *int           `pulumi:"diskSize,optional"`
	Limits             NodePoolLimits `pulumi:"limits"`
}

func (n *NodePoolConfig) Annotate(an infer.Annotator) {
	an.Describe(n, "A Karpenter NodePool and its EC2NodeClass (IMDSv2 with hop limit 1, encrypted gp3, the startup taint).")
	an.Describe(&n.Name, "Names the NodePool and its EC2NodeClass; a DNS-1123 label, unique in the stack.")
	an.Describe(&n.InstanceFamilies, "karpenter.k8s.aws/instance-family values (m6i, c7g, ...).")
	an.Describe(&n.InstanceCategories, "karpenter.k8s.aws/instance-category values (c, m, r, ...).")
	an.Describe(&n.CapacityTypes, "karpenter.sh/capacity-type values: spot, on-demand. Default [on-demand].")
	an.Describe(&n.Architectures, "kubernetes.io/arch values: amd64, arm64. Default [amd64].")
	an.Describe(&n.AmiFamily, "AL2023 or Bottlerocket.")
	an.SetDefault(&n.AmiFamily, stackconfig.DefaultNodePoolAmiFamily)
	an.Describe(&n.AmiVersion, "AMI release of the EC2NodeClass alias, e.g. v20260512 (AL2023) or v1.38.0 (Bottlerocket); latest is accepted with a warning.")
	an.Describe(&n.MinInstance, "Smallest instance the pool may launch: {cpu, memory}. Default {cpu: 2, memory: 4Gi}; it bounds the pool's node count.")
	an.Describe(&n.MaxPods, "kubelet maxPods on the pool's nodes. Default min(110, pod IPs per node CIDR).")
	an.Describe(&n.DiskSize, "Encrypted gp3 volume in GiB.")
	an.SetDefault(&n.DiskSize, stackconfig.DefaultNodePoolDiskSize)
	an.Describe(&n.Limits, "The pool's total {cpu, memory, nodes}; cpu is required.")
}

// InstanceSize mirrors stackconfig.InstanceSize.
type InstanceSize struct {
	Cpu    *int    `pulumi:"cpu,optional"`
	Memory *string `pulumi:"memory,optional"`
}

// NodePoolLimits mirrors stackconfig.NodePoolLimits.
type NodePoolLimits struct {
	Cpu    int     `pulumi:"cpu"`
	Memory *string `pulumi:"memory,optional"`
	Nodes  *int    `pulumi:"nodes,optional"`
}

// VpcConfig mirrors stackconfig.VpcConfig.
type VpcConfig struct {
	Cidr                  *string  `pulumi:"cidr,optional"`
	AvailabilityZones     *int     `pulumi:"availabilityZones,optional"`
	AvailabilityZoneNames []string `pulumi:"availabilityZoneNames,optional"`
	NatGateways           *string  `pulumi:"natGateways,optional"`
	Id                    *string  `pulumi:"id,optional"`
	PrivateSubnetIds      []string `pulumi:"privateSubnetIds,optional"`
	PublicSubnetIds       []string `pulumi:"publicSubnetIds,optional"`
}

func (v *VpcConfig) Annotate(an infer.Annotator) {
	def := stackconfig.DefaultVpc()
	an.Describe(v, "The network of the cluster. Pods do not take addresses from it: Cilium's overlay gives them addresses from cilium.clusterPoolIPv4PodCIDRList, so the subnets only hold nodes, load balancers and endpoints.")
	an.Describe(&v.Cidr, "IPv4 CIDR of the VPC, /16 to /24; also required with id (the CIDR of the existing VPC), because pod and service CIDRs are checked against it.")
	an.SetDefault(&v.Cidr, def.Cidr)
	an.Describe(&v.AvailabilityZones, "How many availability zones get a public and a private subnet, 2 to 6.")
	an.SetDefault(&v.AvailabilityZones, def.AvailabilityZones)
	an.Describe(&v.AvailabilityZoneNames, "Pins the zones (e.g. [eu-west-1a, eu-west-1b]); exactly availabilityZones names. Empty takes the region's first zones.")
	an.Describe(&v.NatGateways, "onePerAz (one NAT gateway per zone, survives a zone outage) or single (cheaper).")
	an.SetDefault(&v.NatGateways, def.NatGateways)
	an.Describe(&v.Id, "ID of an existing VPC to use instead of creating one; needs cidr, privateSubnetIds and publicSubnetIds.")
	an.Describe(&v.PrivateSubnetIds, "Private subnets of the existing VPC (id); nodes run here.")
	an.Describe(&v.PublicSubnetIds, "Public subnets of the existing VPC (id); internet-facing load balancers go here.")
}

// ClusterConfig mirrors stackconfig.ClusterConfig.
type ClusterConfig struct {
	Name                    *string  `pulumi:"name,optional"`
	Version                 *string  `pulumi:"version,optional"`
	ServiceCidr             *string  `pulumi:"serviceCidr,optional"`
	KubeProxyReplacement    *bool    `pulumi:"kubeProxyReplacement,optional"`
	EndpointPublicAccess    *bool    `pulumi:"endpointPublicAccess,optional"`
	PublicAccessCidrs       []string `pulumi:"publicAccessCidrs,optional"`
	AdminPrincipalArns      []string `pulumi:"adminPrincipalArns,optional"`
	KmsKeyArn               *string  `pulumi:"kmsKeyArn,optional"`
	CorednsVersion          *string  `pulumi:"corednsVersion,optional"`
	Protect                 *bool    `pulumi:"protect,optional"`
	AllowClusterReplacement *bool    `pulumi:"allowClusterReplacement,optional"`
}

func (c *ClusterConfig) Annotate(an infer.Annotator) {
	def := stackconfig.Defaults().Cluster
	an.Describe(c, "The EKS control plane: API authentication mode, all five log types, secrets envelope encryption, no aws-node and, with kubeProxyReplacement, no kube-proxy.")
	an.Describe(&c.Name, "Name of the EKS cluster. Default: eks-cilium-<stack>; set it when a stack holds more than one Platform.")
	an.Describe(&c.Version, "Kubernetes minor version, e.g. \"1.33\" (a string).")
	an.SetDefault(&c.Version, def.Version)
	an.Describe(&c.ServiceCidr, "Kubernetes service range: RFC 1918, /12 to /24, overlapping neither the VPC nor the pod CIDRs. EKS cannot change it after creation.")
	an.SetDefault(&c.ServiceCidr, def.ServiceCidr)
	an.Describe(&c.KubeProxyReplacement, "Cilium replaces kube-proxy: the kube-proxy addon is removed and Cilium talks to the API server through the cluster endpoint.")
	an.SetDefault(&c.KubeProxyReplacement, def.KubeProxyReplacement)
	an.Describe(&c.EndpointPublicAccess, "Keep the API endpoint reachable from outside the VPC; the deployment installs Cilium through it unless it runs inside the VPC.")
	an.SetDefault(&c.EndpointPublicAccess, def.EndpointPublicAccess)
	an.Describe(&c.PublicAccessCidrs, "CIDRs allowed to reach the public endpoint. Default [0.0.0.0/0]; restrict it.")
	an.Describe(&c.AdminPrincipalArns, "IAM principals that get an access entry with AmazonEKSClusterAdminPolicy.")
	an.Describe(&c.KmsKeyArn, "KMS key for secrets envelope encryption; empty creates one with rotation.")
	an.Describe(&c.CorednsVersion, "CoreDNS addon version, e.g. v1.12.1-eksbuild.2; empty takes EKS's default for the Kubernetes version.")
	an.Describe(&c.Protect, "Pulumi protect on the EKS cluster, so it cannot be deleted by accident.")
	an.SetDefault(&c.Protect, def.Protect)
	an.Describe(&c.AllowClusterReplacement, "Day-2 guard escape hatch: accept a change of VPC CIDR, service CIDR or cluster name, knowing it replaces the cluster.")
	an.SetDefault(&c.AllowClusterReplacement, def.AllowClusterReplacement)
}

// NodeGroupConfig mirrors stackconfig.NodeGroupConfig.
type NodeGroupConfig struct {
	Name                 string            `pulumi:"name"`
	InstanceTypes        []string          `pulumi:"instanceTypes"`
	MinSize              int               `pulumi:"minSize"`
	DesiredSize          int               `pulumi:"desiredSize"`
	MaxSize              int               `pulumi:"maxSize"`
	MaxPods              *int              `pulumi:"maxPods,optional"`
	AmiType              *string           `pulumi:"amiType,optional"`
	CapacityType         *string           `pulumi:"capacityType,optional"`
	DiskSize             *int              `pulumi:"diskSize,optional"`
	MaxUnavailable       *int              `pulumi:"maxUnavailable,optional"`
	IgnoreScalingChanges *bool             `pulumi:"ignoreScalingChanges,optional"`
	EnableSsm            *bool             `pulumi:"enableSsm,optional"`
	Labels               map[string]string `pulumi:"labels,optional"`
}

func (n *NodeGroupConfig) Annotate(an infer.Annotator) {
	def := stackconfig.DefaultNodeGroup()
	an.Describe(n, "An EKS managed node group with its own launch template (EKS AMI, IMDSv2, encrypted gp3 root volume, maxPods set through nodeadm or Bottlerocket settings).")
	an.Describe(&n.Name, "Unique within the platform: letters, digits and '-', at most 40 characters.")
	an.Describe(&n.InstanceTypes, "EC2 instance types, checked against AWS's ENI table; the smallest one sets the VPC CNI comparison.")
	an.Describe(&n.MinSize, "Minimum number of nodes (0 <= minSize <= desiredSize).")
	an.Describe(&n.DesiredSize, "Nodes at creation (minSize <= desiredSize <= maxSize).")
	an.Describe(&n.MaxSize, "Maximum number of nodes, at least 1; with the update surge it must fit the pod CIDR pool.")
	an.Describe(&n.MaxPods, "kubelet maxPods, 1 to 250 (warned above 110); must fit the node's pod CIDR. Default: min(110, pod IPs per node CIDR).")
	an.Describe(&n.AmiType, "AL2023_x86_64_STANDARD, AL2023_ARM_64_STANDARD, BOTTLEROCKET_x86_64 or BOTTLEROCKET_ARM_64.")
	an.SetDefault(&n.AmiType, def.AmiType)
	an.Describe(&n.CapacityType, "ON_DEMAND or SPOT.")
	an.SetDefault(&n.CapacityType, def.CapacityType)
	an.Describe(&n.DiskSize, "Root volume in GiB (gp3, encrypted), 20 to 16384.")
	an.SetDefault(&n.DiskSize, def.DiskSize)
	an.Describe(&n.MaxUnavailable, "Nodes an update replaces at once, 1 to 100.")
	an.SetDefault(&n.MaxUnavailable, def.MaxUnavailable)
	an.Describe(&n.IgnoreScalingChanges, "Leave desiredSize to an autoscaler after creation.")
	an.SetDefault(&n.IgnoreScalingChanges, def.IgnoreScalingChanges)
	an.Describe(&n.EnableSsm, "Attach AmazonSSMManagedInstanceCore to the node role.")
	an.SetDefault(&n.EnableSsm, def.EnableSsm)
	an.Describe(&n.Labels, "Kubernetes node labels.")
}

// CiliumConfig mirrors stackconfig.CiliumConfig; the key names are Cilium's Helm values.
type CiliumConfig struct {
	Version                    *string        `pulumi:"version,optional"`
	ClusterPoolIPv4PodCIDRList []string       `pulumi:"clusterPoolIPv4PodCIDRList"`
	ClusterPoolIPv4MaskSize    *int           `pulumi:"clusterPoolIPv4MaskSize,optional"`
	TunnelProtocol             *string        `pulumi:"tunnelProtocol,optional"`
	HubbleRelay                *bool          `pulumi:"hubbleRelay,optional"`
	Encryption                 *string        `pulumi:"encryption,optional"`
	Values                     map[string]any `pulumi:"values,optional"`
	AllowPoolRewrite           *bool          `pulumi:"allowPoolRewrite,optional"`
}

func (c *CiliumConfig) Annotate(an infer.Annotator) {
	def := stackconfig.Defaults().Cilium
	an.Describe(c, "The Cilium Helm release, installed before any node exists, with ipam.mode cluster-pool and routingMode tunnel.")
	an.Describe(&c.Version, "Exact Cilium chart version from https://helm.cilium.io.")
	an.SetDefault(&c.Version, def.Version)
	an.Describe(&c.ClusterPoolIPv4PodCIDRList, "Pod address pool (ipam.operator.clusterPoolIPv4PodCIDRList): canonical IPv4 prefixes overlapping neither each other, the VPC, the service CIDR nor link-local. Append-only once deployed. No default: Cilium's 10.0.0.0/8 overlaps most VPCs.")
	an.Describe(&c.ClusterPoolIPv4MaskSize, "Prefix length of each node's pod CIDR (ipam.operator.clusterPoolIPv4MaskSize), an integer not shorter than any pool prefix and at most 30; a /24 holds 252 pods. Immutable once deployed.")
	an.SetDefault(&c.ClusterPoolIPv4MaskSize, def.ClusterPoolIPv4MaskSize)
	an.Describe(&c.TunnelProtocol, "vxlan (UDP 8472) or geneve (UDP 6081).")
	an.SetDefault(&c.TunnelProtocol, def.TunnelProtocol)
	an.Describe(&c.HubbleRelay, "Deploy hubble-relay (Hubble itself always runs in the agent).")
	an.SetDefault(&c.HubbleRelay, def.HubbleRelay)
	an.Describe(&c.Encryption, "\"\" (none) or wireguard (transparent node-to-node encryption, UDP 51871).")
	an.Describe(&c.Values, "Extra Helm values merged last; keys that define the design (ipam, routingMode, tunnelProtocol, eni, kubeProxyReplacement, ...) are refused.")
	an.Describe(&c.AllowPoolRewrite, "Day-2 guard escape hatch: accept a non-append change of the pod pool or mask; only for a cluster being recreated.")
	an.SetDefault(&c.AllowPoolRewrite, def.AllowPoolRewrite)
}

// Config is the stack configuration these arguments describe: stackconfig's defaults with
// every field that is set laid over them, exactly as the program decodes a stack file.
func (a PlatformArgs) Config(stack, region string) stackconfig.Config {
	cfg := stackconfig.Defaults()
	cfg.Stack, cfg.Region = stack, region
	if v := a.Vpc; v != nil {
		set(&cfg.Vpc.Cidr, v.Cidr)
		set(&cfg.Vpc.AvailabilityZones, v.AvailabilityZones)
		setList(&cfg.Vpc.AvailabilityZoneNames, v.AvailabilityZoneNames)
		set(&cfg.Vpc.NatGateways, v.NatGateways)
		set(&cfg.Vpc.Id, v.Id)
		setList(&cfg.Vpc.PrivateSubnetIds, v.PrivateSubnetIds)
		setList(&cfg.Vpc.PublicSubnetIds, v.PublicSubnetIds)
	}
	if c := a.Cluster; c != nil {
		set(&cfg.Cluster.Name, c.Name)
		set(&cfg.Cluster.Version, c.Version)
		set(&cfg.Cluster.ServiceCidr, c.ServiceCidr)
		set(&cfg.Cluster.KubeProxyReplacement, c.KubeProxyReplacement)
		set(&cfg.Cluster.EndpointPublicAccess, c.EndpointPublicAccess)
		setList(&cfg.Cluster.PublicAccessCidrs, c.PublicAccessCidrs)
		setList(&cfg.Cluster.AdminPrincipalArns, c.AdminPrincipalArns)
		set(&cfg.Cluster.KmsKeyArn, c.KmsKeyArn)
		set(&cfg.Cluster.CorednsVersion, c.CorednsVersion)
		set(&cfg.Cluster.Protect, c.Protect)
		set(&cfg.Cluster.AllowClusterReplacement, c.AllowClusterReplacement)
	}
	for _, n := range a.NodeGroups {
		ng := stackconfig.DefaultNodeGroup()
		ng.Name, ng.InstanceTypes = n.Name, n.InstanceTypes
		ng.MinSize, ng.DesiredSize, ng.MaxSize = n.MinSize, n.DesiredSize, n.MaxSize
		set(&ng.MaxPods, n.MaxPods)
		set(&ng.AmiType, n.AmiType)
		set(&ng.CapacityType, n.CapacityType)
		set(&ng.DiskSize, n.DiskSize)
		set(&ng.MaxUnavailable, n.MaxUnavailable)
		set(&ng.IgnoreScalingChanges, n.IgnoreScalingChanges)
		set(&ng.EnableSsm, n.EnableSsm)
		ng.Labels = n.Labels
		cfg.NodeGroups = append(cfg.NodeGroups, ng)
	}
	c := a.Cilium
	set(&cfg.Cilium.Version, c.Version)
	cfg.Cilium.ClusterPoolIPv4PodCIDRList = c.ClusterPoolIPv4PodCIDRList
	set(&cfg.Cilium.ClusterPoolIPv4MaskSize, c.ClusterPoolIPv4MaskSize)
	set(&cfg.Cilium.TunnelProtocol, c.TunnelProtocol)
	set(&cfg.Cilium.HubbleRelay, c.HubbleRelay)
	set(&cfg.Cilium.Encryption, c.Encryption)
	cfg.Cilium.Values = c.Values
	set(&cfg.Cilium.AllowPoolRewrite, c.AllowPoolRewrite)
	if ad := a.Addons; ad != nil {
		cfg.Addons = &stackconfig.AddonsConfig{}
		if m := ad.MetricsServer; m != nil {
			cfg.Addons.MetricsServer = &stackconfig.MetricsServerConfig{Version: m.Version}
			set(&cfg.Addons.MetricsServer.Replicas, m.Replicas)
		}
		if l := ad.AwsLoadBalancerController; l != nil {
			cfg.Addons.AwsLoadBalancerController = &stackconfig.AwsLoadBalancerControllerConfig{Version: l.Version}
			set(&cfg.Addons.AwsLoadBalancerController.ReplicaCount, l.ReplicaCount)
		}
	}
	if k := a.Karpenter; k != nil {
		cfg.Karpenter = &stackconfig.KarpenterConfig{Version: k.Version}
		for _, p := range k.NodePools {
			np := stackconfig.NodePoolConfig{Name: p.Name, InstanceFamilies: p.InstanceFamilies, InstanceCategories: p.InstanceCategories,
				CapacityTypes: p.CapacityTypes, Architectures: p.Architectures, AmiVersion: p.AmiVersion,
				Limits: stackconfig.NodePoolLimits{Cpu: p.Limits.Cpu}}
			set(&np.AmiFamily, p.AmiFamily)
			if m := p.MinInstance; m != nil {
				set(&np.MinInstance.Cpu, m.Cpu)
				set(&np.MinInstance.Memory, m.Memory)
			}
			set(&np.MaxPods, p.MaxPods)
			set(&np.DiskSize, p.DiskSize)
			set(&np.Limits.Memory, p.Limits.Memory)
			set(&np.Limits.Nodes, p.Limits.Nodes)
			cfg.Karpenter.NodePools = append(cfg.Karpenter.NodePools, np)
		}
	}
	return cfg
}

// set overwrites a default with a value the caller gave.
func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// setList overwrites a default list with a list the caller gave (an empty list included).
func setList(dst *[]string, v []string) {
	if v != nil {
		*dst = v
	}
}
