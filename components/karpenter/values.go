package karpenter

// Namespace and ServiceAccount are where the controller runs and whom its Pod Identity
// association names; kube-system is the getting-started guide's namespace, and the chart names
// the service account after the release ("karpenter.fullname"). The charts' coordinates and
// release names are package charts' (KarpenterRepo, KarpenterRelease, ...).
const (
	Namespace      = "kube-system"
	ServiceAccount = "karpenter"
)

// ValuesInput are the cluster facts the controller's values carry.
type ValuesInput struct {
	ClusterName     string
	ClusterEndpoint string
	// InterruptionQueue is the SQS queue's name.
	InterruptionQueue string
	// VMMemoryOverheadPercent is what the planner assumes Karpenter subtracts from memory.
	VMMemoryOverheadPercent float64
}

// Values are the karpenter chart's values. The controller runs on the pod network: the
// 1.14.1 chart serves no webhook (tests/chart checks), so nothing needs the control plane to
// reach a pod, and it reaches AWS through EKS Pod Identity, not the node role.
func Values(in ValuesInput) map[string]any {
	return map[string]any{
		"serviceAccount": map[string]any{"name": ServiceAccount},
		"settings": map[string]any{
			"clusterName": in.ClusterName,
			// Given, so the controller need not call eks:DescribeCluster before it works.
			"clusterEndpoint":   in.ClusterEndpoint,
			"interruptionQueue": in.InterruptionQueue,
			// The chart's default, explicit: ipplan counts node memory with it.
			"vmMemoryOverheadPercent": in.VMMemoryOverheadPercent,
		},
	}
}
