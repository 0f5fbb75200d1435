package stackconfig

// The fields of eks-cilium:chartSources, one per chart this project installs, as problems
// name them (eks-cilium:chartSources.<field>).
const (
	ChartSourceCilium                 = "cilium"
	ChartSourceMetricsServer          = "metricsServer"
	ChartSourceLoadBalancerController = "awsLoadBalancerController"
	ChartSourceKarpenter              = "karpenter"
	ChartSourceKarpenterCrd           = "karpenterCrd"
)

// ChartSourcesConfig is eks-cilium:chartSources: where each Helm chart is pulled from, for
// platform teams that cannot reach the public chart repositories (air-gapped, or allowed only
// their own mirror). Only the place changes: each chart keeps its upstream name and the
// version pinned in cilium.version, addons.*.version or karpenter.version (docs/charts.md).
type ChartSourcesConfig struct {
	// Cilium is where the cilium chart comes from, for the main release and Cilium's
	// pre-flight check.
	Cilium *ChartSource `json:"cilium,omitempty" derived:"https://helm.cilium.io"`
	// MetricsServer is where the metrics-server chart comes from (with addons.metricsServer).
	MetricsServer *ChartSource `json:"metricsServer,omitempty" derived:"https://kubernetes-sigs.github.io/metrics-server/"`
	// AwsLoadBalancerController is where the aws-load-balancer-controller chart and its CRD
	// manifests come from (with addons.awsLoadBalancerController).
	AwsLoadBalancerController *LoadBalancerControllerSource `json:"awsLoadBalancerController,omitempty" derived:"https://aws.github.io/eks-charts"`
	// Karpenter is where the karpenter chart comes from (with karpenter).
	Karpenter *ChartSource `json:"karpenter,omitempty" derived:"oci://public.ecr.aws/karpenter"`
	// KarpenterCrd is where the karpenter-crd chart comes from (with karpenter).
	KarpenterCrd *ChartSource `json:"karpenterCrd,omitempty" derived:"oci://public.ecr.aws/karpenter"`
}

// ChartSource is one chart's source: exactly one of repository and path.
type ChartSource struct {
	// Repository is a mirror of the chart's repository: an https:// Helm repository whose
	// index.yaml lists the chart under its upstream name, or an oci:// registry prefix under
	// which the chart sits as <prefix>/<chart name>, tagged with its version (a private ECR:
	// oci://<account>.dkr.ecr.<region>.amazonaws.com/<namespace>). http:// is refused: Helm
	// would fetch the chart unauthenticated and in clear.
	Repository string `json:"repository,omitempty" derived:"none (give path instead)"`
	// Path is a packaged chart on the machine that runs pulumi up, named <chart>-<version>.tgz
	// as helm pull and helm package name it, relative to the project directory (where
	// Pulumi.yaml is) or absolute. Its Chart.yaml must name the chart and the pinned version:
	// the provider installs whatever version the archive holds.
	Path string `json:"path,omitempty" derived:"none (give repository instead)"`
}

// LoadBalancerControllerSource is the source of the aws-load-balancer-controller chart, and
// of the CRD manifests the program applies itself before the release (Helm applies a chart's
// crds/ only on install, never on upgrade).
type LoadBalancerControllerSource struct {
	// Repository is a mirror of the chart's repository, as chartSources.cilium.repository.
	Repository string `json:"repository,omitempty" derived:"none (give path instead)"`
	// Path is a packaged chart, as chartSources.cilium.path.
	Path string `json:"path,omitempty" derived:"none (give repository instead)"`
	// Crds is where the controller's CRD manifests (crds.yaml and gateway-crds.yaml, the
	// chart's crds/ files) are read: an https:// URL under which each sits as <url>/<file>, or
	// a local directory holding both (relative to the project directory, or absolute), whose
	// files must be the release's own, byte for byte.
	Crds string `json:"crds,omitempty" derived:"the controller's release tag on raw.githubusercontent.com"`
}

// Source is the chart part of the load balancer controller's source.
func (s *LoadBalancerControllerSource) Source() *ChartSource {
	if s == nil {
		return nil
	}
	return &ChartSource{Repository: s.Repository, Path: s.Path}
}

// LoadBalancerController is the load balancer controller's entry; nil when the stack leaves
// it upstream.
func (c *ChartSourcesConfig) LoadBalancerController() *LoadBalancerControllerSource {
	if c == nil {
		return nil
	}
	return c.AwsLoadBalancerController
}

// Source is the configured source of the chart a chartSources field names (one of the
// ChartSource* constants); nil when the stack leaves it upstream.
func (c *ChartSourcesConfig) Source(field string) *ChartSource {
	if c == nil {
		return nil
	}
	switch field {
	case ChartSourceCilium:
		return c.Cilium
	case ChartSourceMetricsServer:
		return c.MetricsServer
	case ChartSourceLoadBalancerController:
		return c.LoadBalancerController().Source()
	case ChartSourceKarpenter:
		return c.Karpenter
	case ChartSourceKarpenterCrd:
		return c.KarpenterCrd
	}
	return nil
}
