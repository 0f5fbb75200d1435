package stackconfig

// KarpenterConfig is eks-cilium:karpenter: Karpenter installed after the node groups (its
// controller runs on them), with node pools that fit the pod pool. Absent: no Karpenter.
type KarpenterConfig struct {
	// Version is the exact karpenter and karpenter-crd chart version, from
	// oci://public.ecr.aws/karpenter; 1.14.x (the embedded controller IAM policy is v1.14's).
	Version string `json:"version" required:"true"`
	// NodePools are Karpenter NodePools, each with its EC2NodeClass; their node counts must fit
	// the pod pool.
	NodePools []NodePoolConfig `json:"nodePools" required:"true"`
}

// NodePoolConfig is one element of eks-cilium:karpenter.nodePools: a NodePool and its
// EC2NodeClass (IMDSv2 with hop limit 1, encrypted gp3, the Cilium startup taint).
type NodePoolConfig struct {
	// Name is unique within the stack, a DNS-1123 label: it names the NodePool and its
	// EC2NodeClass.
	Name string `json:"name" required:"true"`
	// InstanceFamilies restricts karpenter.k8s.aws/instance-family to families of AWS's ENI
	// table (m6i, c7g, ...).
	InstanceFamilies []string `json:"instanceFamilies,omitempty" derived:"any"`
	// InstanceCategories restricts karpenter.k8s.aws/instance-category (c, m, r, ...).
	InstanceCategories []string `json:"instanceCategories,omitempty" derived:"any"`
	// CapacityTypes restricts karpenter.sh/capacity-type: spot, on-demand. The default is
	// Karpenter's recommended NodePool requirement (docs v1.14, spec.template.spec.requirements).
	CapacityTypes []string `json:"capacityTypes,omitempty" default:"[on-demand]"`
	// Architectures restricts kubernetes.io/arch: amd64, arm64. The default is Karpenter's
	// recommended NodePool requirement (docs v1.14).
	Architectures []string `json:"architectures,omitempty" default:"[amd64]"`
	// AmiFamily is AL2023 or Bottlerocket; the default is what the node groups default to.
	AmiFamily string `json:"amiFamily,omitempty" default:"AL2023"`
	// AmiVersion is the AMI release the EC2NodeClass alias pins: v20260512 (AL2023) or v1.38.0
	// (Bottlerocket); check it exists for your Kubernetes version. latest is accepted with a
	// warning: Karpenter's drift detection then replaces the pool's nodes at every AMI release.
	AmiVersion string `json:"amiVersion,omitempty" required:"true"`
	// MinInstance is the smallest instance the pool may launch (a NodePool requirement on
	// every instance type), which is what bounds the pool's node count.
	MinInstance InstanceSize `json:"minInstance"`
	// MaxPods is the kubelet's maxPods on the pool's nodes, 1 to 250; it must fit one node's
	// pod CIDR.
	MaxPods int `json:"maxPods,omitempty" derived:"min(110, pod IPs per node CIDR)"`
	// DiskSize is the encrypted gp3 root (AL2023) or data (Bottlerocket) volume in GiB, 20 to
	// 16384; the default is the node groups' diskSize default.
	DiskSize int `json:"diskSize,omitempty" default:"50"`
	// Limits are the NodePool's spec.limits: the pool's total resources, which must fit the
	// pod pool.
	Limits NodePoolLimits `json:"limits" required:"true"`
}

// InstanceSize is a lower bound on an instance type's vCPUs and memory.
type InstanceSize struct {
	// Cpu is the least number of vCPUs (karpenter.k8s.aws/instance-cpu). The default is a
	// t3.medium's, the smallest instance the dev node group runs 110 pods on: below it the
	// kube-reserved memory for 110 pods (1465Mi) leaves little room for pods.
	Cpu int `json:"cpu,omitempty" default:"2"`
	// Memory is the least memory, a Kubernetes quantity (4Gi), compared with
	// karpenter.k8s.aws/instance-memory (MiB); the default is a t3.medium's, like cpu's.
	Memory string `json:"memory,omitempty" default:"4Gi"`
}

// NodePoolLimits is a NodePool's spec.limits.
type NodePoolLimits struct {
	// Cpu is the total vCPUs the pool may launch.
	Cpu int `json:"cpu" required:"true"`
	// Memory is the total memory the pool may launch, a Kubernetes quantity (800Gi).
	Memory string `json:"memory,omitempty" derived:"no memory limit"`
	// Nodes caps the pool's node count directly (Karpenter's limits.nodes).
	Nodes int `json:"nodes,omitempty" derived:"no node cap"`
}
