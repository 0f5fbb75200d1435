// Package stackconfig is the typed configuration of one eks-cilium stack: the struct
// tree behind the `eks-cilium:*` keys of stacks/Pulumi.<stack>.yaml, its defaults, and
// strict decoding that names the offending key. It has no Pulumi import so the planner
// and the offline render can use it without an engine.
package stackconfig

// Namespace is the Pulumi project name and therefore the prefix of every config key.
const Namespace = "eks-cilium"

// The config keys, as written in stack files. Key paths in error messages start with these.
const (
	KeyRegion     = "aws:region"
	KeyVpc        = Namespace + ":vpc"
	KeyCluster    = Namespace + ":cluster"
	KeyNodeGroups = Namespace + ":nodeGroups"
	KeyCilium     = Namespace + ":cilium"
	KeyAddons     = Namespace + ":addons"
	KeyKarpenter  = Namespace + ":karpenter"
)

// Config is everything one stack decides. Values that shape the resource graph are plain.
type Config struct {
	// Stack is the Pulumi stack name (dev, prod, ...); not a config key.
	Stack string `json:"-"`
	// Region is aws:region; it names the availability zones when none are listed.
	Region     string            `json:"-"`
	Vpc        VpcConfig         `json:"vpc"`
	Cluster    ClusterConfig     `json:"cluster"`
	NodeGroups []NodeGroupConfig `json:"nodeGroups"`
	Cilium     CiliumConfig      `json:"cilium"`
	// Addons is nil when the stack installs no add-ons.
	Addons *AddonsConfig `json:"addons,omitempty"`
	// Karpenter is nil when the stack does not install Karpenter.
	Karpenter *KarpenterConfig `json:"karpenter,omitempty"`
}

// VpcConfig is eks-cilium:vpc. Either the VPC is created (id empty) or an existing one is
// used (id, privateSubnetIds and publicSubnetIds set); cidr is required in both cases
// because pod and service CIDRs are checked against it.
type VpcConfig struct {
	// Cidr is the VPC's IPv4 CIDR, /16 to /24 (the range AWS allows for a VPC).
	Cidr string `json:"cidr"`
	// AvailabilityZones is how many AZs get a public and a private subnet (2..6).
	AvailabilityZones int `json:"availabilityZones"`
	// AvailabilityZoneNames pins the AZs (e.g. [eu-west-1a, eu-west-1b]); empty means the
	// first AvailabilityZones zones the region reports as available.
	AvailabilityZoneNames []string `json:"availabilityZoneNames,omitempty"`
	// NatGateways is onePerAz (one NAT per AZ, survives an AZ outage) or single (cheaper).
	NatGateways string `json:"natGateways"`
	// Id, PrivateSubnetIds and PublicSubnetIds select an existing VPC instead of creating one.
	Id               string   `json:"id,omitempty"`
	PrivateSubnetIds []string `json:"privateSubnetIds,omitempty"`
	PublicSubnetIds  []string `json:"publicSubnetIds,omitempty"`
}

// ClusterConfig is eks-cilium:cluster.
type ClusterConfig struct {
	// Name of the EKS cluster; empty means "eks-cilium-<stack>".
	Name string `json:"name,omitempty"`
	// Version is the Kubernetes minor version, e.g. "1.33".
	Version string `json:"version"`
	// ServiceCidr is the Kubernetes service range; EKS cannot change it after creation.
	ServiceCidr string `json:"serviceCidr"`
	// KubeProxyReplacement lets Cilium replace kube-proxy (kube-proxy addon removed).
	KubeProxyReplacement bool `json:"kubeProxyReplacement"`
	// EndpointPublicAccess keeps the API endpoint reachable from outside the VPC; `pulumi up`
	// installs Cilium through it unless it runs inside the VPC.
	EndpointPublicAccess bool `json:"endpointPublicAccess"`
	// PublicAccessCidrs restricts the public endpoint.
	PublicAccessCidrs []string `json:"publicAccessCidrs"`
	// AdminPrincipalArns get an access entry with AmazonEKSClusterAdminPolicy.
	AdminPrincipalArns []string `json:"adminPrincipalArns,omitempty"`
	// KmsKeyArn encrypts Kubernetes secrets; empty creates a key with rotation.
	KmsKeyArn string `json:"kmsKeyArn,omitempty"`
	// CorednsVersion pins the CoreDNS addon (e.g. v1.12.1-eksbuild.2); empty takes EKS's
	// default for the Kubernetes version at creation.
	CorednsVersion string `json:"corednsVersion,omitempty"`
	// Protect sets Pulumi's protect option on the cluster so it cannot be deleted by accident.
	Protect bool `json:"protect"`
	// AllowClusterReplacement lets a change of VPC CIDR, service CIDR or cluster name through
	// the day-2 guard, knowing it replaces the cluster.
	AllowClusterReplacement bool `json:"allowClusterReplacement"`
}

// NodeGroupConfig is one element of eks-cilium:nodeGroups: an EKS managed node group.
type NodeGroupConfig struct {
	// Name is unique within the stack; it becomes part of the node group's name.
	Name string `json:"name"`
	// InstanceTypes must be known EC2 types (checked against AWS's ENI table).
	InstanceTypes []string `json:"instanceTypes"`
	// MinSize, DesiredSize and MaxSize are the scaling config: 0 <= min <= desired <= max, max >= 1.
	MinSize     int `json:"minSize"`
	DesiredSize int `json:"desiredSize"`
	MaxSize     int `json:"maxSize"`
	// MaxPods is the kubelet's maxPods; 0 means min(110, usable pod IPs per node CIDR).
	MaxPods int `json:"maxPods,omitempty"`
	// AmiType is an EKS AMI type: AL2023_* (nodeadm) or BOTTLEROCKET_* (TOML settings).
	AmiType string `json:"amiType"`
	// CapacityType is ON_DEMAND or SPOT.
	CapacityType string `json:"capacityType"`
	// DiskSize is the encrypted gp3 root volume in GiB.
	DiskSize int `json:"diskSize"`
	// MaxUnavailable is how many nodes an update replaces at once.
	MaxUnavailable int `json:"maxUnavailable"`
	// IgnoreScalingChanges leaves desiredSize to an autoscaler after creation.
	IgnoreScalingChanges bool `json:"ignoreScalingChanges"`
	// EnableSsm attaches AmazonSSMManagedInstanceCore to the node role.
	EnableSsm bool `json:"enableSsm"`
	// Labels are Kubernetes node labels.
	Labels map[string]string `json:"labels,omitempty"`
}

// CiliumConfig is eks-cilium:cilium. Key names are Cilium's Helm value names.
type CiliumConfig struct {
	// Version is the exact Cilium chart version.
	Version string `json:"version"`
	// ClusterPoolIPv4PodCIDRList is the pod address pool; append-only on a live cluster.
	ClusterPoolIPv4PodCIDRList []string `json:"clusterPoolIPv4PodCIDRList"`
	// ClusterPoolIPv4MaskSize is the prefix length of each node's pod CIDR; immutable.
	ClusterPoolIPv4MaskSize int `json:"clusterPoolIPv4MaskSize"`
	// TunnelProtocol is vxlan (UDP 8472) or geneve (UDP 6081).
	TunnelProtocol string `json:"tunnelProtocol"`
	// HubbleRelay deploys hubble-relay (Hubble itself is always on in the agent).
	HubbleRelay bool `json:"hubbleRelay"`
	// Encryption is "" (none) or "wireguard" (transparent node-to-node encryption).
	Encryption string `json:"encryption,omitempty"`
	// Values are extra Helm values merged last; keys that define the design are refused.
	Values map[string]any `json:"values,omitempty"`
	// AllowPoolRewrite lets the day-2 guard accept a non-append change of the pod pool or
	// mask; only for a cluster being recreated.
	AllowPoolRewrite bool `json:"allowPoolRewrite"`
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
