package stackconfig

// AddonsConfig is eks-cilium:addons: cluster add-ons made to work on the Cilium overlay
// (host network, a planned host port, AWS access through EKS Pod Identity). An add-on whose
// key is absent is not installed; the whole key absent installs nothing extra.
type AddonsConfig struct {
	// MetricsServer installs metrics-server (kubectl top, HPAs) on the host network, so the API
	// server reaches its aggregated API without a route to the overlay.
	MetricsServer *MetricsServerConfig `json:"metricsServer,omitempty" derived:"not installed"`
	// AwsLoadBalancerController installs the AWS Load Balancer Controller (NLBs and ALBs for
	// Services and Ingresses, instance targets) with an EKS Pod Identity role, its webhooks on
	// the host network.
	AwsLoadBalancerController *AwsLoadBalancerControllerConfig `json:"awsLoadBalancerController,omitempty" derived:"not installed"`
}

// MetricsServerConfig is eks-cilium:addons.metricsServer. Field names are the chart's.
type MetricsServerConfig struct {
	// Version is the exact metrics-server chart version (3.13.1 is contract-tested).
	Version string `json:"version" required:"true"`
	// Replicas is the chart's `replicas`, at most the node groups' total maxSize: on the host
	// network two replicas cannot share a node's port. The default is the chart's own
	// (metrics-server chart 3.13.1 values.yaml).
	Replicas int `json:"replicas" default:"1"`
}

// AwsLoadBalancerControllerConfig is eks-cilium:addons.awsLoadBalancerController. Field
// names are the chart's.
type AwsLoadBalancerControllerConfig struct {
	// Version is the exact aws-load-balancer-controller chart version; only versions whose
	// controller IAM policy is embedded are accepted (3.5.0), since the policy follows the
	// controller release. The controller needs aws:region; its IAM role is <cluster>-lbc.
	Version string `json:"version" required:"true"`
	// ReplicaCount is the chart's `replicaCount`, at most the node groups' total maxSize (one
	// per node: they share a host port). The default is the chart's own (chart 3.5.0
	// values.yaml): a standby keeps the webhooks answering while the leader restarts.
	ReplicaCount int `json:"replicaCount" default:"2"`
}
