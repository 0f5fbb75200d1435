// The add-ons that the EKS control plane must call, made to work on the Cilium overlay:
// metrics-server (an aggregated API) and the AWS Load Balancer Controller (admission
// webhooks). The control plane sits in the VPC and cannot reach overlay pod IPs, so both run
// on the host network, each listener on a port from the host port plan (package hostports),
// and load balancers use instance targets because the VPC does not know pod IPs. The
// controller gets AWS access through EKS Pod Identity, never through IMDS: it is told the
// cluster, region and VPC.

package charts

import (
	"fmt"

	"github.com/eks-cilium/eks-cilium/hostports"
	"github.com/eks-cilium/eks-cilium/stackconfig"
)

// Namespace is where every chart of this project is installed, beside the cluster's other
// system components.
const Namespace = "kube-system"

// metrics-server chart coordinates. The version comes from the stack.
const (
	MetricsServerChart = "metrics-server"
	MetricsServerRepo  = "https://kubernetes-sigs.github.io/metrics-server/"
	// MetricsServerRelease is fixed: the chart names its Deployment, Service and
	// APIService backend after the release (templates/_helpers.tpl fullname).
	MetricsServerRelease = "metrics-server"
)

// AWS Load Balancer Controller chart coordinates. The version comes from the stack.
const (
	LoadBalancerControllerChart = "aws-load-balancer-controller"
	LoadBalancerControllerRepo  = "https://aws.github.io/eks-charts"
	// LoadBalancerControllerRelease is fixed: the chart names its Deployment and webhook
	// Service after it.
	LoadBalancerControllerRelease = "aws-load-balancer-controller"
	// LoadBalancerControllerServiceAccount is set explicitly so the Pod Identity association
	// names the account the chart creates.
	LoadBalancerControllerServiceAccount = "aws-load-balancer-controller"
)

// Host ports. Each add-on keeps its port whatever else is installed (a port change restarts
// it); hostports.Plan checks they collide with nothing a node holds.
const (
	// MetricsServerSecurePort serves the v1beta1.metrics.k8s.io APIService.
	MetricsServerSecurePort = 20443
	// LoadBalancerControllerWebhookPort serves the controller's admission webhooks.
	LoadBalancerControllerWebhookPort = 20444
	// LoadBalancerControllerMetricsPort serves its Prometheus metrics; on the host network
	// it must move too (default :8080, taken by many controllers' defaults).
	LoadBalancerControllerMetricsPort = 20445
	// LoadBalancerControllerHealthPort is where the controller serves its probes. The chart
	// cannot move it: the binary's --health-probe-bind-addr default ":61779"
	// (aws-load-balancer-controller pkg/config/runtime_config.go defaultHealthProbeBindAddress)
	// is not templated, so it is held, not planned.
	LoadBalancerControllerHealthPort = 61779
)

// Purposes of the planned listeners, as the port map names them.
const (
	PurposeMetricsServerAPI = "secure API (APIService v1beta1.metrics.k8s.io)"
	PurposeWebhook          = "admission webhooks"
	PurposeMetrics          = "metrics"
	PurposeHealth           = "health probes"
)

// AddonPortRequests are the host ports the configured add-ons need planned.
func AddonPortRequests(cfg *stackconfig.AddonsConfig) []hostports.Request {
	var out []hostports.Request
	if cfg == nil {
		return nil
	}
	if cfg.MetricsServer != nil {
		out = append(out, hostports.Request{Holder: MetricsServerRelease, Purpose: PurposeMetricsServerAPI, Port: MetricsServerSecurePort})
	}
	if cfg.AwsLoadBalancerController != nil {
		out = append(out,
			hostports.Request{Holder: LoadBalancerControllerRelease, Purpose: PurposeWebhook, Port: LoadBalancerControllerWebhookPort},
			hostports.Request{Holder: LoadBalancerControllerRelease, Purpose: PurposeMetrics, Port: LoadBalancerControllerMetricsPort},
		)
	}
	return out
}

// AddonPortsHeld are host ports the configured add-ons bind without a value to move them.
func AddonPortsHeld(cfg *stackconfig.AddonsConfig) []hostports.Held {
	if cfg == nil || cfg.AwsLoadBalancerController == nil {
		return nil
	}
	return []hostports.Held{{
		Port: LoadBalancerControllerHealthPort, Protocol: hostports.TCP, Holder: LoadBalancerControllerRelease,
		Purpose: PurposeHealth, Source: "aws-load-balancer-controller pkg/config/runtime_config.go: defaultHealthProbeBindAddress \":61779\"",
	}}
}

// rollOneAtATime is the update strategy of a host-network Deployment: a surge pod would need
// a node where the port is free, and there may be none, so a rollout replaces one pod at a
// time instead (the chart comment of metrics-server's updateStrategy suggests the same).
func rollOneAtATime() map[string]any {
	return map[string]any{
		"type":          "RollingUpdate",
		"rollingUpdate": map[string]any{"maxSurge": 0, "maxUnavailable": 1},
	}
}

// MetricsServerValuesInput is everything the metrics-server values depend on.
type MetricsServerValuesInput struct {
	// SecurePort is the planned host port of the secure API.
	SecurePort int
	// Replicas is the number of pods, each on its own node.
	Replicas int
}

// MetricsServerValues returns the Helm values of the metrics-server release.
func MetricsServerValues(in MetricsServerValuesInput) (map[string]any, error) {
	if in.SecurePort < 1 || in.SecurePort > 65535 || in.Replicas < 1 {
		return nil, fmt.Errorf("metrics-server values: need a port and at least one replica (got port %d, replicas %d)", in.SecurePort, in.Replicas)
	}
	v := map[string]any{
		// The API server calls the APIService's endpoints, which are node addresses only on
		// the host network.
		"hostNetwork": map[string]any{"enabled": true},
		// With hostNetwork the container port is the node's port (--secure-port follows it).
		"containerPort":  in.SecurePort,
		"replicas":       in.Replicas,
		"updateStrategy": rollOneAtATime(),
	}
	if in.Replicas > 1 {
		v["podDisruptionBudget"] = map[string]any{"enabled": true, "maxUnavailable": 1}
	}
	return v, nil
}

// DNSPolicyPatch is the one field metrics-server chart 3.13.1 cannot set: it has no
// dnsPolicy value (templates/deployment.yaml renders hostNetwork but never dnsPolicy), and a
// host-network pod with the default policy resolves with the node's resolver, not CoreDNS.
// The component applies it as a server-side patch after the release.
type DNSPolicyPatch struct {
	Deployment, Namespace, DNSPolicy string
}

// MetricsServerDNSPolicy is the patch applied to the metrics-server Deployment.
var MetricsServerDNSPolicy = DNSPolicyPatch{Deployment: MetricsServerRelease, Namespace: Namespace, DNSPolicy: "ClusterFirstWithHostNet"}

// LoadBalancerControllerValuesInput is everything the controller's values depend on.
type LoadBalancerControllerValuesInput struct {
	// ClusterName, Region and VpcId spare the controller IMDS, which pods cannot reach.
	ClusterName, Region string
	// VpcId is a placeholder in the pure values; the component passes the VPC's output.
	VpcId string
	// WebhookPort and MetricsPort are planned host ports.
	WebhookPort, MetricsPort int
	// ReplicaCount is the number of pods, each on its own node.
	ReplicaCount int
}

// LoadBalancerControllerValues returns the Helm values of the controller release.
func LoadBalancerControllerValues(in LoadBalancerControllerValuesInput) (map[string]any, error) {
	if in.ClusterName == "" || in.Region == "" || in.VpcId == "" {
		return nil, fmt.Errorf("aws-load-balancer-controller values: clusterName, region and vpcId are required (got %q, %q, %q)", in.ClusterName, in.Region, in.VpcId)
	}
	if in.WebhookPort < 1 || in.MetricsPort < 1 || in.WebhookPort == in.MetricsPort || in.ReplicaCount < 1 {
		return nil, fmt.Errorf("aws-load-balancer-controller values: need two distinct ports and at least one replica (got %d, %d, replicas %d)", in.WebhookPort, in.MetricsPort, in.ReplicaCount)
	}
	v := map[string]any{
		"clusterName": in.ClusterName,
		"region":      in.Region,
		"vpcId":       in.VpcId,
		// Webhooks called by the control plane: node addresses only.
		"hostNetwork": true,
		// The chart's own advice for Cilium with hostNetwork (values.yaml dnsPolicy).
		"dnsPolicy":       "ClusterFirstWithHostNet",
		"webhookBindPort": in.WebhookPort,
		"metricsBindAddr": fmt.Sprintf(":%d", in.MetricsPort),
		"replicaCount":    in.ReplicaCount,
		// Pod IPs are not VPC addresses on the overlay; NLB/ALB targets must be nodes.
		"defaultTargetType": "instance",
		"serviceAccount":    map[string]any{"create": true, "name": LoadBalancerControllerServiceAccount},
		"updateStrategy":    rollOneAtATime(),
	}
	if in.ReplicaCount > 1 {
		// The chart renders the budget only for replicaCount > 1 (templates/pdb.yaml).
		v["podDisruptionBudget"] = map[string]any{"maxUnavailable": 1}
	}
	return v, nil
}
