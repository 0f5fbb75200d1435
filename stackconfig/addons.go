package stackconfig

// AddonsConfig is eks-cilium:addons: cluster add-ons made to work on the Cilium overlay
// (host network, a planned host port, AWS access through EKS Pod Identity). An add-on whose
// key is absent is not installed; the whole key absent installs nothing extra.
type AddonsConfig struct {
	// MetricsServer installs metrics-server (kubectl top, HPAs).
	MetricsServer *MetricsServerConfig `json:"metricsServer,omitempty"`
	// AwsLoadBalancerController installs the AWS Load Balancer Controller (NLBs and ALBs for
	// Services and Ingresses, instance targets).
	AwsLoadBalancerController *AwsLoadBalancerControllerConfig `json:"awsLoadBalancerController,omitempty"`
}

// MetricsServerConfig is eks-cilium:addons.metricsServer. Field names are the chart's.
type MetricsServerConfig struct {
	// Version is the exact metrics-server chart version.
	Version string `json:"version"`
	// Replicas is the chart's `replicas`; 0 means the default, 1 (the chart's own default).
	// Each replica needs a node of its own: on the host network two replicas cannot share
	// a node's port.
	Replicas int `json:"replicas,omitempty"`
}

// AwsLoadBalancerControllerConfig is eks-cilium:addons.awsLoadBalancerController. Field
// names are the chart's.
type AwsLoadBalancerControllerConfig struct {
	// Version is the exact aws-load-balancer-controller chart version; only versions whose
	// IAM policy is embedded are accepted (the policy follows the controller release).
	Version string `json:"version"`
	// ReplicaCount is the chart's `replicaCount`; 0 means the default, 2 (the chart's own
	// default: a standby keeps the webhooks answering while the leader restarts). Each
	// replica needs a node of its own.
	ReplicaCount int `json:"replicaCount,omitempty"`
}

// Defaults of the add-on fields, where 0 in the config means "use this".
const (
	// DefaultMetricsServerReplicas is metrics-server chart 3.13.1 values.yaml `replicas: 1`.
	DefaultMetricsServerReplicas = 1
	// DefaultLoadBalancerControllerReplicas is aws-load-balancer-controller chart 3.5.0
	// values.yaml `replicaCount: 2`.
	DefaultLoadBalancerControllerReplicas = 2
)

// ReplicasOrDefault is Replicas, or the chart's default when unset.
func (c MetricsServerConfig) ReplicasOrDefault() int {
	if c.Replicas == 0 {
		return DefaultMetricsServerReplicas
	}
	return c.Replicas
}

// ReplicaCountOrDefault is ReplicaCount, or the chart's default when unset.
func (c AwsLoadBalancerControllerConfig) ReplicaCountOrDefault() int {
	if c.ReplicaCount == 0 {
		return DefaultLoadBalancerControllerReplicas
	}
	return c.ReplicaCount
}
