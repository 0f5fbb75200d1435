package charts

import (
	"sort"
	"strings"
)

// The AWS Load Balancer Controller's Service annotations the mesh API server's NLB is made
// with (controller v3.5.0 docs/guide/service/annotations.md). With loadBalancerClass
// LoadBalancerClassNLB the controller, not EKS's legacy cloud provider (which would make a
// Classic Load Balancer), reconciles the Service (docs/guide/service/nlb.md).
const (
	LoadBalancerClassNLB = "service.k8s.aws/nlb"
	// AnnotationScheme: internal, so the NLB has private addresses only.
	AnnotationScheme = "service.beta.kubernetes.io/aws-load-balancer-scheme"
	// AnnotationTargetType: instance, since the VPC cannot route to overlay pod IPs (the
	// default with the class, set explicitly so the policy pack sees it).
	AnnotationTargetType = "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type"
	// AnnotationPrivateIPs: "internal lb only. Length must match the number of subnets", each
	// from its subnet's range.
	AnnotationPrivateIPs = "service.beta.kubernetes.io/aws-load-balancer-private-ipv4-addresses"
	// AnnotationSubnets: the subnets, one per Availability Zone, in the addresses' order.
	AnnotationSubnets = "service.beta.kubernetes.io/aws-load-balancer-subnets"
)

// Placeholders for what only the deployment knows: the mesh CA in the Cilium values, which
// components/cilium replaces at its path (MeshInputPaths) with the matching pulumi.Input, and
// the private subnets in the mesh API server Service's annotations.
const (
	PlaceholderSubnets = "<private subnet ids>"
	PlaceholderCACert  = "<mesh CA certificate>"
	PlaceholderCAKey   = "<mesh CA key>"
)

// MeshInputPaths are where PlaceholderCACert and PlaceholderCAKey sit in the Cilium values.
var MeshInputPaths = map[string][]string{
	PlaceholderCACert: {"tls", "ca", "cert"},
	PlaceholderCAKey:  {"tls", "ca", "key"},
}

// ClusterMeshInput is what a member's mesh values depend on, as plain data.
type ClusterMeshInput struct {
	// Name and ID are cluster.name and cluster.id; MaxConnectedClusters is
	// clustermesh.maxConnectedClusters.
	Name                 string
	ID                   int
	MaxConnectedClusters int
	// Remotes are the peers this member connects to.
	Remotes []RemoteCluster
	// APIServerIPs are this member's NLB addresses, one per private subnet, in subnet order.
	APIServerIPs []string
	// SourceRanges are the CIDRs allowed to reach the NLB: the peers' VPCs (this member's own
	// VPC when it has no peers yet: an empty list would let the controller open it to
	// 0.0.0.0/0, its default).
	SourceRanges []string
}

// RemoteCluster is one entry of clustermesh.config.clusters.
type RemoteCluster struct {
	Name string
	IPs  []string
	Port int
}

// ClusterMeshValues are the Helm values that make a Cilium release a mesh member, checked
// against the chart (1.19.6 and 1.20.0 values.yaml and templates; tests/chart renders them):
//   - cluster.name, cluster.id: the member's identity;
//   - clustermesh.useAPIServer: deploy clustermesh-apiserver (with KVStoreMesh, the chart's
//     default), and clustermesh.config.enabled with clustermesh.config.clusters, the peers,
//     in the map form the 1.19 chart recommends ("You can use a dict of clusters
//     (recommended)"); each peer's ips become hostAliases of <name>.mesh.cilium.io, the name
//     the apiserver's certificate carries (templates/clustermesh-apiserver/deployment.yaml);
//   - clustermesh.maxConnectedClusters;
//   - clustermesh.apiserver.service.externallyCreated: the chart leaves out its Service
//     (templates/clustermesh-apiserver/service.yaml), which the program creates instead
//     (MeshAPIServerService) after the AWS Load Balancer Controller and deletes before it, so
//     the controller is there to make the NLB and to take it away again (the Service carries
//     its finalizer, and the Cilium release is installed before the controller can run);
//   - tls.ca.cert and tls.ca.key: the mesh's one CA, base64 of the PEM, from which the chart
//     signs this member's clustermesh certificates (templates/_helpers.tpl cilium.ca.setup).
func ClusterMeshValues(in ClusterMeshInput) map[string]any {
	remotes := map[string]any{}
	for _, r := range in.Remotes {
		ips := make([]any, len(r.IPs))
		for i, ip := range r.IPs {
			ips[i] = ip
		}
		remotes[r.Name] = map[string]any{"ips": ips, "port": r.Port}
	}
	return map[string]any{
		"cluster": map[string]any{"name": in.Name, "id": in.ID},
		"clustermesh": map[string]any{
			"useAPIServer":         true,
			"maxConnectedClusters": in.MaxConnectedClusters,
			"config": map[string]any{
				"enabled":  true,
				"clusters": remotes,
			},
			"apiserver": map[string]any{
				"service": map[string]any{"externallyCreated": true},
			},
		},
		"tls": map[string]any{
			"ca": map[string]any{"cert": PlaceholderCACert, "key": PlaceholderCAKey},
		},
	}
}

// MeshAPIServerService is the clustermesh-apiserver Service the program creates in place of
// the chart's: the chart's own name, labels, selector and port
// (templates/clustermesh-apiserver/service.yaml; the pods listen on 2379, the etcd container's
// port), as an internal NLB of the AWS Load Balancer Controller with instance targets, its
// planned private addresses in the private subnets (in the same order), open only to the
// peers' VPCs. The subnets annotation is PlaceholderSubnets.
type MeshAPIServerService struct {
	Name, Namespace   string
	Labels, Selector  map[string]string
	Annotations       map[string]string
	Port              int
	LoadBalancerClass string
	SourceRanges      []string
}

// ClusterMeshAPIServerService is a member's MeshAPIServerService.
func ClusterMeshAPIServerService(in ClusterMeshInput) MeshAPIServerService {
	ranges := append([]string(nil), in.SourceRanges...)
	sort.Strings(ranges)
	return MeshAPIServerService{
		Name:      "clustermesh-apiserver",
		Namespace: Namespace,
		Labels: map[string]string{
			"k8s-app": "clustermesh-apiserver", "app.kubernetes.io/part-of": "cilium", "app.kubernetes.io/name": "clustermesh-apiserver",
		},
		Selector: map[string]string{"k8s-app": "clustermesh-apiserver"},
		Annotations: map[string]string{
			AnnotationScheme:     "internal",
			AnnotationTargetType: "instance",
			AnnotationPrivateIPs: strings.Join(in.APIServerIPs, ", "),
			AnnotationSubnets:    PlaceholderSubnets,
		},
		Port:              2379,
		LoadBalancerClass: LoadBalancerClassNLB,
		SourceRanges:      ranges,
	}
}
