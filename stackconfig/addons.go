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

// MetricsServerConfig is eks-cilium:addons.metricsServer.
type MetricsServerConfig struct {
	// Version is the exact metrics-server chart version.
	Version string `json:"version"`
}

// AwsLoadBalancerControllerConfig is eks-cilium:addons.awsLoadBalancerController.
type AwsLoadBalancerControllerConfig struct {
	// Version is the exact aws-load-balancer-controller chart version.
	Version string `json:"version"`
}
