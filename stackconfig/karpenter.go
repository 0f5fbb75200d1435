package stackconfig

// KarpenterConfig is eks-cilium:karpenter: Karpenter installed after the node groups (its
// controller runs on them), with node pools that fit the pod pool. Absent: no Karpenter.
type KarpenterConfig struct {
	// Version is the exact karpenter and karpenter-crd chart version.
	Version string `json:"version"`
	// NodePools are Karpenter NodePools, each with its EC2NodeClass.
	NodePools []NodePoolConfig `json:"nodePools"`
}

// NodePoolConfig is one element of eks-cilium:karpenter.nodePools.
type NodePoolConfig struct {
	// Name is unique within the stack; it names the NodePool and its EC2NodeClass.
	Name string `json:"name"`
	// InstanceFamilies restricts karpenter.k8s.aws/instance-family (m6i, c7g, ...).
	InstanceFamilies []string `json:"instanceFamilies,omitempty"`
	// CapacityTypes restricts karpenter.sh/capacity-type (spot, on-demand).
	CapacityTypes []string `json:"capacityTypes,omitempty"`
	// Architectures restricts kubernetes.io/arch (amd64, arm64).
	Architectures []string `json:"architectures,omitempty"`
	// MaxPods is the kubelet's maxPods on the pool's nodes; 0 means min(110, pod IPs per node).
	MaxPods int `json:"maxPods,omitempty"`
	// Limits caps the pool's total resources: {cpu, memory}.
	Limits NodePoolLimits `json:"limits"`
}

// NodePoolLimits is a NodePool's spec.limits.
type NodePoolLimits struct {
	// Cpu is the total vCPUs the pool may launch.
	Cpu int `json:"cpu"`
	// Memory is the total memory the pool may launch, as a Kubernetes quantity (800Gi).
	Memory string `json:"memory"`
}
