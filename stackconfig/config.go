// Package stackconfig is the typed configuration of one eks-cilium stack: the struct
// tree behind the `eks-cilium:*` keys of stacks/Pulumi.<stack>.yaml, its defaults, and
// strict decoding that names the offending key. It has no Pulumi import so the planner
// and the offline render can use it without an engine.
//
// Every field is declared once, here: its key (the json tag), its type, its doc comment
// (the description users read) and its default: the `default` tag, applied when the key is
// absent (a string field takes the text as it is, any other a YAML literal such as 3, true or
// [on-demand]), or `derived`, a description of what an unset field becomes.
// `required:"true"` marks what a stack must set. The stack reader, the component schema
// (provider/ekscilium/args_gen.go), Pulumi.yaml's config block and docs/configuration.md
// are all derived from these declarations by `go generate ./stackconfig`; a test fails when
// a generated file is stale.
package stackconfig

//go:generate go run ./schema/gen

// Namespace is the Pulumi project name and therefore the prefix of every config key.
const Namespace = "eks-cilium"

// KeyRegion is the AWS provider's Region key. Every key of this project's configuration has a
// constant in keys_gen.go, generated from the declarations (KeyCluster, KeyClusterVersion...).
const KeyRegion = "aws:region"

// Config is everything one stack decides. Values that shape the resource graph are plain.
type Config struct {
	// Stack is the Pulumi stack name (dev, prod, ...); not a config key.
	Stack string `json:"-"`
	// Region is aws:region; it names the availability zones when none are listed.
	Region string `json:"-"`
	// Vpc is the network of the cluster: created, or an existing one. Pods take no addresses
	// from it: Cilium's overlay gives them addresses from cilium.clusterPoolIPv4PodCIDRList, so
	// the subnets only hold nodes, load balancers and endpoints.
	Vpc VpcConfig `json:"vpc"`
	// Cluster is the EKS control plane, created without the AWS VPC CNI (no aws-node) and,
	// with kubeProxyReplacement, without kube-proxy: API authentication mode, all five log
	// types, secrets envelope encryption.
	Cluster ClusterConfig `json:"cluster"`
	// NodeGroups are the EKS managed node groups, in the private subnets, created after Cilium
	// and tainted node.cilium.io/agent-not-ready until the agent runs. At least one.
	NodeGroups []NodeGroupConfig `json:"nodeGroups" required:"true"`
	// Cilium is the Cilium Helm release, installed before any node exists, with ipam.mode
	// cluster-pool and routingMode tunnel. Key names are Cilium's own Helm values.
	Cilium CiliumConfig `json:"cilium" required:"true"`
	// Addons are cluster add-ons made to work on the overlay, each installed when its key is
	// present, after the node groups.
	Addons *AddonsConfig `json:"addons,omitempty" derived:"none installed"`
	// Karpenter installs Karpenter after the node groups (its controller runs on them), with
	// node pools that fit the pod pool.
	Karpenter *KarpenterConfig `json:"karpenter,omitempty" derived:"not installed"`
	// ClusterMesh makes the cluster a member of a Cilium ClusterMesh with other stacks of this
	// project (docs/fleet.md).
	ClusterMesh *ClusterMeshConfig `json:"clusterMesh,omitempty" derived:"not a mesh member"`
	// Migration moves a cluster adopted with cluster.existing from the AWS VPC CNI to Cilium,
	// one phase per update (docs/migration.md).
	Migration *MigrationConfig `json:"migration,omitempty" derived:"no migration"`
	// ChartSources says where each Helm chart is pulled from: a mirror repository, an OCI
	// registry (a private ECR) or a packaged chart on disk, for air-gapped and mirror-only
	// platform teams (docs/charts.md). The versions stay those pinned elsewhere.
	ChartSources *ChartSourcesConfig `json:"chartSources,omitempty" derived:"upstream for every chart"`
}

// VpcConfig is eks-cilium:vpc. Either the VPC is created (id empty) or an existing one is
// used (id, privateSubnetIds and publicSubnetIds set); cidr is required in both cases
// because pod and service CIDRs are checked against it.
type VpcConfig struct {
	// Cidr is the VPC's IPv4 CIDR, canonical, /16 to /24 (the sizes AWS allows for a VPC);
	// with id, the existing VPC's CIDR, since pod and service CIDRs are checked against it.
	// The default leaves 65,536 addresses to nodes, load balancers and endpoints.
	Cidr string `json:"cidr" default:"192.168.0.0/16"`
	// AvailabilityZones is how many zones get a public and a private subnet, 2 to 6. EKS needs
	// two; the default three keep quorum-style workloads up through a zone outage.
	AvailabilityZones int `json:"availabilityZones" default:"3"`
	// AvailabilityZoneNames pins the zones: exactly availabilityZones names of the stack's
	// region (eu-west-1a; not zone IDs, not Local Zones).
	AvailabilityZoneNames []string `json:"availabilityZoneNames,omitempty" derived:"the region's first availabilityZones zones"`
	// NatGateways is the NAT layout: onePerAz (a NAT gateway per zone, so a zone outage does not
	// cut the other zones' egress; the default) or single (cheaper).
	NatGateways string `json:"natGateways" default:"onePerAz"`
	// Id selects an existing VPC (vpc- and 8 or 17 hex digits) instead of creating one; it
	// needs cidr, privateSubnetIds and publicSubnetIds.
	Id string `json:"id,omitempty" derived:"a VPC is created"`
	// PrivateSubnetIds are the existing VPC's private subnets (with id); nodes run here.
	PrivateSubnetIds []string `json:"privateSubnetIds,omitempty" derived:"created with the VPC"`
	// PublicSubnetIds are the existing VPC's public subnets (with id); internet-facing load
	// balancers go here.
	PublicSubnetIds []string `json:"publicSubnetIds,omitempty" derived:"created with the VPC"`
}

// ClusterConfig is eks-cilium:cluster.
type ClusterConfig struct {
	// Existing adopts an EKS cluster that runs on the AWS VPC CNI instead of creating one: the
	// cluster called name is looked up, not created, and so is its VPC (vpc gives its id, cidr
	// and subnets). What the cluster already has stays with its owner; eks-cilium:migration
	// moves it to Cilium.
	Existing bool `json:"existing" default:"false"`
	// Name is the EKS cluster's name (EKS name syntax); at most 43 characters while the
	// Platform is named after it (the IAM role pulumi-eks derives from it), 41 with Karpenter
	// (its node role). Set it when one stack holds more than one Platform.
	Name string `json:"name,omitempty" derived:"eks-cilium-<stack>"`
	// Version is the Kubernetes minor, "1.N" (quote it in YAML: 1.30 unquoted reads as 1.3), a
	// version EKS offers: warned in extended support, refused after it. The default is the
	// newest version in EKS standard support on 2026-12-01 (until 2027-03-27, EKS release
	// calendar) that Cilium 1.19 is e2e-tested on (1.32 to 1.35, its compatibility.rst).
	Version string `json:"version" default:"1.35"`
	// ServiceCidr is the Kubernetes service range: RFC 1918, /12 to /24, overlapping neither
	// the VPC nor the pod pool. EKS cannot change it after creation. The default is one of the
	// two ranges EKS would pick itself, set explicitly so overlaps can be checked.
	ServiceCidr string `json:"serviceCidr" default:"172.20.0.0/16"`
	// KubeProxyReplacement lets Cilium's eBPF service handling replace kube-proxy (the addon
	// is removed, Cilium gets k8sServiceHost): one DaemonSet less. Fixed for the life of the
	// cluster (the day-2 guard refuses a switch; see docs/operations.md).
	KubeProxyReplacement bool `json:"kubeProxyReplacement" default:"true"`
	// EndpointPublicAccess keeps the API endpoint reachable from outside the VPC, which is how
	// `pulumi up` installs Cilium from a laptop or CI runner. Set to false (private only), no
	// publicAccessCidrs are sent, and `pulumi up` must then run from inside the VPC.
	EndpointPublicAccess bool `json:"endpointPublicAccess" default:"true"`
	// PublicAccessCidrs are the canonical IPv4 CIDRs allowed to reach the public endpoint.
	// The default is EKS's own; restrict it (an advisory policy warns).
	PublicAccessCidrs []string `json:"publicAccessCidrs" default:"[0.0.0.0/0]"`
	// AdminPrincipalArns are IAM role or user ARNs (not STS sessions), each listed once, that
	// get an access entry with AmazonEKSClusterAdminPolicy.
	AdminPrincipalArns []string `json:"adminPrincipalArns,omitempty" derived:"none"`
	// KmsKeyArn is the KMS key (or alias) ARN, in the stack's region, that encrypts Kubernetes
	// secrets.
	KmsKeyArn string `json:"kmsKeyArn,omitempty" derived:"a key created with rotation"`
	// CorednsVersion pins the CoreDNS addon to an exact version, e.g. v1.13.2-eksbuild.7,
	// instead of the version this project's addon table gives the cluster's Kubernetes version.
	CorednsVersion string `json:"corednsVersion,omitempty" derived:"the addon table's version for cluster.version (docs/operations.md)"`
	// Protect sets Pulumi's protect option on the EKS cluster so that it cannot be deleted by
	// accident.
	Protect bool `json:"protect" default:"false"`
	// AllowClusterReplacement lets a change of VPC CIDR, service CIDR or cluster name through
	// the day-2 guard, knowing that it replaces the cluster and everything in it.
	AllowClusterReplacement bool `json:"allowClusterReplacement" default:"false"`
	// AllowVersionRollback lets version go back by one minor (EKS version rollback, within 7
	// days of an in-place upgrade): the node groups go back first, the control plane in the
	// next update. Without it a lower version is refused.
	AllowVersionRollback bool `json:"allowVersionRollback" default:"false"`
}

// NodeGroupConfig is one element of eks-cilium:nodeGroups: an EKS managed node group with
// its own launch template (EKS AMI, IMDSv2, encrypted gp3 volume, maxPods set through nodeadm
// or Bottlerocket settings).
type NodeGroupConfig struct {
	// Name is unique within the stack: letters, digits and '-', at most 36 characters (and
	// shorter with a long cluster name: the node role and launch template names include both).
	Name string `json:"name" required:"true"`
	// InstanceTypes are EC2 instance types known to AWS's ENI table (embedded), all of
	// amiType's architecture (x86_64, or Graviton arm64), no Mac types.
	InstanceTypes []string `json:"instanceTypes" required:"true"`
	// MinSize is the least number of nodes: 0 <= minSize <= desiredSize.
	MinSize int `json:"minSize" required:"true"`
	// DesiredSize is the number of nodes at creation: minSize <= desiredSize <= maxSize.
	DesiredSize int `json:"desiredSize" required:"true"`
	// MaxSize is the most nodes, at least 1; with the update surge it must fit the pod pool.
	MaxSize int `json:"maxSize" required:"true"`
	// MaxPods is the kubelet's maxPods, 1 to 250 (warned above 110); it must fit one node's
	// pod CIDR.
	MaxPods int `json:"maxPods,omitempty" derived:"min(110, pod IPs per node CIDR)"`
	// AmiType is AL2023_x86_64_STANDARD, AL2023_ARM_64_STANDARD, BOTTLEROCKET_x86_64 or
	// BOTTLEROCKET_ARM_64; Graviton types need an ARM one. The default is the EKS default AMI
	// family for 1.30 and later, whose nodeadm takes maxPods.
	AmiType string `json:"amiType" default:"AL2023_x86_64_STANDARD"`
	// CapacityType is ON_DEMAND (EKS's default) or SPOT.
	CapacityType string `json:"capacityType" default:"ON_DEMAND"`
	// DiskSize is the encrypted gp3 volume in GiB, 20 to 16384 (Bottlerocket: the data volume).
	// The default is above EKS's 20 GiB so the images and logs of a dense node fit.
	DiskSize int `json:"diskSize" default:"50"`
	// MaxUnavailable is how many nodes an update replaces at once, 1 to 100 (EKS's default 1).
	MaxUnavailable int `json:"maxUnavailable" default:"1"`
	// IgnoreScalingChanges leaves desiredSize to an autoscaler after creation.
	IgnoreScalingChanges bool `json:"ignoreScalingChanges" default:"false"`
	// EnableSsm attaches AmazonSSMManagedInstanceCore to the node role.
	EnableSsm bool `json:"enableSsm" default:"false"`
	// AmiVersion pins the node image to an amazon-eks-ami release (v20260714; Bottlerocket:
	// v1.38.0) for the group's Kubernetes version, so nodes roll only when it changes. Unset,
	// the group takes the recommended AMI at every deploy and rolls whenever AWS publishes one
	// (the render warns).
	AmiVersion string `json:"amiVersion,omitempty" derived:"the recommended AMI at each deploy"`
	// Labels are Kubernetes node labels: label syntax, keys at most 63 and values 1 to 63
	// characters (EKS), none in kubernetes.io or k8s.io outside the kubelet's own
	// (node.kubernetes.io/... is fine): the kubelet refuses the others and the node never joins.
	Labels map[string]string `json:"labels,omitempty" derived:"none"`
}

// CiliumConfig is eks-cilium:cilium. Key names are Cilium's Helm value names.
type CiliumConfig struct {
	// Version is the exact Cilium chart version (MAJOR.MINOR.PATCH). The default is the pinned
	// chart the contract tests render.
	Version string `json:"version" default:"1.19.6"`
	// ClusterPoolIPv4PodCIDRList is the pod address pool (ipam.operator.clusterPoolIPv4PodCIDRList):
	// canonical IPv4 prefixes overlapping neither each other, the VPC, the service range nor
	// link-local. Append-only once deployed. No default: Cilium's own 10.0.0.0/8 overlaps most
	// VPCs, so every stack chooses.
	ClusterPoolIPv4PodCIDRList []string `json:"clusterPoolIPv4PodCIDRList" required:"true"`
	// ClusterPoolIPv4MaskSize is the prefix length of each node's pod CIDR
	// (ipam.operator.clusterPoolIPv4MaskSize), an integer not shorter than any pool prefix and
	// at most 30. Immutable once deployed. The default is the chart's: a /24 per node, 252 pod
	// IPs after Cilium's reservations.
	ClusterPoolIPv4MaskSize int `json:"clusterPoolIPv4MaskSize" default:"24"`
	// TunnelProtocol is the overlay's encapsulation: vxlan (UDP 8472, the chart's default) or
	// geneve (UDP 6081).
	TunnelProtocol string `json:"tunnelProtocol" default:"vxlan"`
	// HubbleRelay deploys hubble-relay, for `hubble observe` across nodes (Hubble itself always
	// runs in the agent); one small Deployment.
	HubbleRelay bool `json:"hubbleRelay" default:"true"`
	// Encryption is the transparent node-to-node encryption: "" (none) or wireguard (UDP 51871).
	Encryption string `json:"encryption,omitempty" default:""`
	// Values are extra Helm values merged last. Keys that define the design (ipam, routingMode,
	// tunnelProtocol, eni, kubeProxyReplacement, ...) are refused; Envoy features take one more
	// IP of each node's CIDR.
	Values map[string]any `json:"values,omitempty" derived:"none"`
	// AllowPoolRewrite lets the day-2 guard accept a non-append change of the pod pool or
	// mask; only for a cluster being recreated.
	AllowPoolRewrite bool `json:"allowPoolRewrite" default:"false"`
}

// ClusterName is the EKS cluster name this config produces.
func (c Config) ClusterName() string {
	if c.Cluster.Name != "" {
		return c.Cluster.Name
	}
	return Namespace + "-" + c.Stack
}

// UsesExistingVpc reports whether the stack brings its own VPC.
func (v VpcConfig) UsesExistingVpc() bool { return v.Id != "" }
