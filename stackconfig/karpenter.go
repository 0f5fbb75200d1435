package stackconfig

import "slices"

// KarpenterConfig is eks-cilium:karpenter: Karpenter installed after the node groups (its
// controller runs on them), with node pools that fit the pod pool. Absent: no Karpenter.
type KarpenterConfig struct {
	// Version is the exact karpenter and karpenter-crd chart version.
	Version string `json:"version"`
	// NodePools are Karpenter NodePools, each with its EC2NodeClass.
	NodePools []NodePoolConfig `json:"nodePools"`
}

// NodePoolConfig is one element of eks-cilium:karpenter.nodePools. Zero values mean "the
// default"; Resolved fills them in.
type NodePoolConfig struct {
	// Name is unique within the stack; it names the NodePool and its EC2NodeClass.
	Name string `json:"name"`
	// InstanceFamilies restricts karpenter.k8s.aws/instance-family (m6i, c7g, ...).
	InstanceFamilies []string `json:"instanceFamilies,omitempty"`
	// InstanceCategories restricts karpenter.k8s.aws/instance-category (c, m, r, ...).
	InstanceCategories []string `json:"instanceCategories,omitempty"`
	// CapacityTypes restricts karpenter.sh/capacity-type (spot, on-demand).
	CapacityTypes []string `json:"capacityTypes,omitempty"`
	// Architectures restricts kubernetes.io/arch (amd64, arm64).
	Architectures []string `json:"architectures,omitempty"`
	// AmiFamily is AL2023 or Bottlerocket, like the node groups' AMI types.
	AmiFamily string `json:"amiFamily,omitempty"`
	// AmiVersion selects the AMI alias version, a release such as v20260512; required (no
	// default). "latest" is accepted with a warning.
	AmiVersion string `json:"amiVersion,omitempty"`
	// MinInstance is the smallest instance the pool may launch; the NodePool requires it of
	// every instance type, which is what bounds the pool's node count (see ipplan).
	MinInstance InstanceSize `json:"minInstance"`
	// MaxPods is the kubelet's maxPods on the pool's nodes; 0 means min(110, pod IPs per node).
	MaxPods int `json:"maxPods,omitempty"`
	// DiskSize is the encrypted gp3 root (AL2023) or data (Bottlerocket) volume in GiB.
	DiskSize int `json:"diskSize,omitempty"`
	// Limits caps the pool's total resources: {cpu, memory, nodes}.
	Limits NodePoolLimits `json:"limits"`
}

// InstanceSize is a lower bound on an instance type's vCPUs and memory.
type InstanceSize struct {
	// Cpu is the least number of vCPUs (karpenter.k8s.aws/instance-cpu).
	Cpu int `json:"cpu,omitempty"`
	// Memory is the least memory, as a Kubernetes quantity (4Gi); compared with
	// karpenter.k8s.aws/instance-memory, which is in MiB.
	Memory string `json:"memory,omitempty"`
}

// NodePoolLimits is a NodePool's spec.limits.
type NodePoolLimits struct {
	// Cpu is the total vCPUs the pool may launch.
	Cpu int `json:"cpu"`
	// Memory is the total memory the pool may launch, as a Kubernetes quantity (800Gi).
	Memory string `json:"memory,omitempty"`
	// Nodes caps the pool's node count directly (Karpenter's limits.nodes); 0: no such cap.
	Nodes int `json:"nodes,omitempty"`
}

// Karpenter node pool defaults, applied by Resolved.
const (
	// AL2023 is what the node groups default to (AL2023_x86_64_STANDARD).
	DefaultNodePoolAmiFamily = "AL2023"
	// A t3.medium, the smallest instance the dev node group runs 110 pods on: below it the
	// kube-reserved memory for 110 pods (1465Mi) leaves little room for pods.
	DefaultMinInstanceCpu    = 2
	DefaultMinInstanceMemory = "4Gi"
	// GiB, as the node groups' diskSize default.
	DefaultNodePoolDiskSize = 50
)

// Default capacity types and architectures: Karpenter's own recommended NodePool
// requirements (docs v1.14, "spec.template.spec.requirements": on-demand, amd64).
var (
	DefaultNodePoolCapacityTypes = []string{"on-demand"}
	DefaultNodePoolArchitectures = []string{"amd64"}
)

// Resolved returns the node pool with every unset field at its default. Decoding leaves
// list elements at their zero values, so every consumer reads node pools through this.
func (p NodePoolConfig) Resolved() NodePoolConfig {
	if p.AmiFamily == "" {
		p.AmiFamily = DefaultNodePoolAmiFamily
	}
	if len(p.CapacityTypes) == 0 {
		p.CapacityTypes = slices.Clone(DefaultNodePoolCapacityTypes)
	}
	if len(p.Architectures) == 0 {
		p.Architectures = slices.Clone(DefaultNodePoolArchitectures)
	}
	if p.MinInstance.Cpu == 0 {
		p.MinInstance.Cpu = DefaultMinInstanceCpu
	}
	if p.MinInstance.Memory == "" {
		p.MinInstance.Memory = DefaultMinInstanceMemory
	}
	if p.DiskSize == 0 {
		p.DiskSize = DefaultNodePoolDiskSize
	}
	return p
}
