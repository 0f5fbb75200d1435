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
}

func (a *PlatformArgs) Annotate(an infer.Annotator) {
	an.Describe(&a.Vpc, "The VPC: created (cidr, availabilityZones, natGateways) or existing (id, cidr, privateSubnetIds, publicSubnetIds). Same fields as the stack key eks-cilium:vpc.")
	an.Describe(&a.Cluster, "The EKS control plane, created without the AWS VPC CNI (no aws-node). Same fields as eks-cilium:cluster.")
	an.Describe(&a.NodeGroups, "Managed node groups in the private subnets, created after Cilium and tainted node.cilium.io/agent-not-ready until the agent runs. At least one. Same fields as eks-cilium:nodeGroups.")
	an.Describe(&a.Cilium, "Cilium with cluster-pool IPAM and overlay routing; key names are Cilium's Helm values. Same fields as eks-cilium:cilium.")
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
