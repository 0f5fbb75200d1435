package charts

import (
	"fmt"
	"sort"
	"strings"

	"github.com/eks-cilium/eks-cilium/stackconfig"
)

// The Cilium chart, from Cilium's Helm repository; the version comes from the stack.
const (
	CiliumChart = "cilium"
	CiliumRepo  = "https://helm.cilium.io"
	// CiliumRelease is the release name; the chart names its DaemonSet, Deployment and
	// ConfigMap (cilium, cilium-operator, cilium-config) independently of it.
	CiliumRelease = "cilium"
)

// CiliumPoolAnnotation is set on the operator's pods with the pod pool
// (cluster-pool-ipv4-cidr's value): cilium-operator reads the pool only when it starts
// (pkg/ipam/allocator/clusterpool), and the chart leaves operator.rollOutPods false, so a pool
// append would otherwise change only the ConfigMap and never reach the running operator.
// With the pool in the operator's pod template, an append rolls the operator, and only the
// operator: the agents' pod template does not change.
const CiliumPoolAnnotation = "eks-cilium/cluster-pool-ipv4-cidr"

// CiliumInput is everything the Cilium Helm values depend on, as plain data.
type CiliumInput struct {
	// PodCIDRs is ipam.operator.clusterPoolIPv4PodCIDRList, in configured order.
	PodCIDRs []string
	// MaskSize is ipam.operator.clusterPoolIPv4MaskSize.
	MaskSize int
	// TunnelProtocol is vxlan or geneve.
	TunnelProtocol string
	// KubeProxyReplacement turns on Cilium's kube-proxy replacement.
	KubeProxyReplacement bool
	// K8sServiceHost is the API server host without scheme; only used with KubeProxyReplacement.
	// The component passes the cluster endpoint as an Output instead (see Values' caller).
	K8sServiceHost string
	// HubbleRelay deploys hubble-relay.
	HubbleRelay bool
	// Encryption is "" or "wireguard".
	Encryption string
	// ExpectedNodes is the number of nodes expected at creation (sum of desired sizes); it
	// sizes the operator.
	ExpectedNodes int
	// UpgradeCompatibility is the minor of the first Cilium installed on the stack ("1.19"):
	// the chart keeps that version's defaults across upgrades.
	UpgradeCompatibility string
	// Mesh makes the release a ClusterMesh member (ClusterMeshValues); nil otherwise.
	Mesh *ClusterMeshInput
	// Extra are user values merged last; design keys are refused.
	Extra map[string]any
	// MigrationPhase is the phase of an adopted cluster's migration ("" for a cluster the
	// stack created); its values (CiliumMigrationValues) go on top of the design's.
	MigrationPhase string
}

// ciliumDesignKeys are value paths that define this project's networking design, or that have a
// dedicated config key; Extra may not set them.
var ciliumDesignKeys = map[string]string{
	"ipam":                 "the IPAM mode and pool come from eks-cilium:cilium.clusterPoolIPv4PodCIDRList/clusterPoolIPv4MaskSize",
	"routingMode":          "overlay routing is the design: pod IPs are not routable in the VPC",
	"tunnelProtocol":       "set eks-cilium:cilium.tunnelProtocol",
	"eni":                  "ENI IPAM is the VPC CNI's limit this project removes",
	"cni.chainingMode":     "Cilium is the only CNI; chaining onto aws-node is not supported here",
	"cni.exclusive":        "Cilium must own /etc/cni/net.d so no other CNI config wins",
	"kubeProxyReplacement": "set eks-cilium:cluster.kubeProxyReplacement (it also removes the kube-proxy addon)",
	"k8sServiceHost":       "derived from the cluster endpoint",
	"k8sServicePort":       "derived from the cluster endpoint",
	"encryption":           "set eks-cilium:cilium.encryption",
	// Overlay pod IPs are unknown to the VPC's route tables; without masquerading, traffic
	// from pods to the VPC and the internet leaves with a source address nothing routes back to.
	"enableIPv4Masquerade": "overlay pod IPs are unknown to the VPC: masquerading behind the node's address is how pods reach the VPC and the internet",
	"upgradeCompatibility": "it is the minor of the first Cilium installed on the stack (output ciliumInitialVersion), kept for the stack's life",
}

// CiliumOperatorReplicas sizes cilium-operator: two replicas (chart default, with anti-affinity)
// once there are two nodes to spread them over, one otherwise.
func CiliumOperatorReplicas(expectedNodes int) int {
	if expectedNodes >= 2 {
		return 2
	}
	return 1
}

// Values returns the Helm values of the Cilium release. It is a pure function so the values
// can be reviewed, snapshot-tested and rendered through the real chart without Pulumi.
func CiliumValues(in CiliumInput) (map[string]any, error) {
	if err := CheckCiliumExtra(in.Extra); err != nil {
		return nil, err
	}
	cidrs := make([]any, len(in.PodCIDRs))
	for i, c := range in.PodCIDRs {
		cidrs[i] = c
	}
	v := map[string]any{
		"ipam": map[string]any{
			"mode": "cluster-pool",
			"operator": map[string]any{
				"clusterPoolIPv4PodCIDRList": cidrs,
				// An integer: the chart's values.schema.json rejects a string here.
				"clusterPoolIPv4MaskSize": in.MaskSize,
			},
		},
		"routingMode":    "tunnel",
		"tunnelProtocol": in.TunnelProtocol,
		"eni":            map[string]any{"enabled": false},
		"cni":            map[string]any{"exclusive": true},
		// Pods reach the VPC and the internet through the node's address (overlay pod IPs
		// are unknown to the VPC's route tables).
		"enableIPv4Masquerade": true,
		"operator": map[string]any{
			"replicas":       CiliumOperatorReplicas(in.ExpectedNodes),
			"podAnnotations": map[string]any{CiliumPoolAnnotation: strings.Join(in.PodCIDRs, " ")},
		},
		"hubble": map[string]any{
			"enabled": true,
			"relay":   map[string]any{"enabled": in.HubbleRelay},
		},
		"kubeProxyReplacement": in.KubeProxyReplacement,
	}
	if in.KubeProxyReplacement {
		// Without kube-proxy the agent cannot reach the API through the kubernetes Service
		// before its own service handling runs, so it is given the endpoint directly.
		v["k8sServiceHost"] = in.K8sServiceHost
		v["k8sServicePort"] = 443
	}
	if in.UpgradeCompatibility != "" {
		// Cilium's upgrade guide: "the upgradeCompatibility option should be set to the
		// initial Cilium version which was installed in this cluster" (upgrade.rst, step 2);
		// the chart gates older defaults on it (templates/_helpers.tpl, semverCompare).
		v["upgradeCompatibility"] = in.UpgradeCompatibility
	}
	if in.Encryption == "wireguard" {
		v["encryption"] = map[string]any{"enabled": true, "type": "wireguard"}
	}
	if in.Mesh != nil {
		merge(v, ClusterMeshValues(*in.Mesh))
	}
	merge(v, CiliumMigrationValues(in.MigrationPhase))
	merge(v, in.Extra)
	return v, nil
}

// CheckCiliumExtra refuses user values that would override the design, as configuration
// problems naming each key path (eks-cilium:cilium.values.<path>).
func CheckCiliumExtra(extra map[string]any) error {
	var probs stackconfig.Problems
	for _, leaf := range leaves("", extra) {
		for key, why := range ciliumDesignKeys {
			if leaf.path == key || strings.HasPrefix(leaf.path, key+".") {
				probs = append(probs, stackconfig.Problem{
					Key:   stackconfig.KeyCiliumValues + "." + leaf.path,
					Value: fmt.Sprint(leaf.value),
					Rule:  "may not be overridden: " + why,
					Fix:   "remove it from eks-cilium:cilium.values",
				})
			}
		}
	}
	if len(probs) == 0 {
		return nil
	}
	sort.Slice(probs, func(i, j int) bool { return probs[i].Key < probs[j].Key })
	return probs
}

type leaf struct {
	path  string
	value any
}

// leaves lists the non-map values of a nested map with their dotted paths.
func leaves(prefix string, m map[string]any) []leaf {
	var out []leaf
	for k, v := range m {
		p := k
		if prefix != "" {
			p = prefix + "." + k
		}
		if sub, ok := v.(map[string]any); ok && len(sub) > 0 {
			out = append(out, leaves(p, sub)...)
			continue
		}
		out = append(out, leaf{p, v})
	}
	return out
}

// merge copies src into dst recursively: maps merge, anything else replaces.
func merge(dst, src map[string]any) {
	for k, v := range src {
		if sv, ok := v.(map[string]any); ok {
			if dv, ok := dst[k].(map[string]any); ok {
				merge(dv, sv)
				continue
			}
		}
		dst[k] = v
	}
}
