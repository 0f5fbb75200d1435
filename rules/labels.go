package rules

import (
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/eks-cilium/eks-cilium/stackconfig"
	"k8s.io/apimachinery/pkg/util/validation"
	kubeletapis "k8s.io/kubelet/pkg/apis"
)

// eksLabelMax is the EKS API's limit on node group label keys and values, prefix included
// (CreateNodegroup labels: "Key Length Constraints: Minimum length of 1. Maximum length of 63",
// the same for values; https://docs.aws.amazon.com/eks/latest/APIReference/API_CreateNodegroup.html).
const eksLabelMax = 63

// CheckLabels checks node group labels against the three consumers that refuse them: the
// Kubernetes label syntax (k8s.io/apimachinery's own validation), the EKS API's length limits,
// and the kubelet, which refuses to start with --node-labels in the kubernetes.io and k8s.io
// namespaces other than its own (so the node never joins).
func CheckLabels(cfg stackconfig.Config) (warnings, refusals stackconfig.Problems) {
	c := &collector{}
	for i, g := range cfg.NodeGroups {
		labels := g.Labels
		for _, k := range slices.Sorted(maps.Keys(labels)) {
			key := nodeGroupKey(i, "labels") + "[" + strconv.Quote(k) + "]"
			v := labels[k]
			if k == "" {
				c.refuse(nodeGroupKey(i, "labels"), v, "label keys must not be empty", "")
				continue
			}
			switch errs := validation.IsQualifiedName(k); {
			case len(errs) > 0:
				c.refuse(key, k, "is not a Kubernetes label key: [DNS-subdomain prefix/]name, the name at most 63 letters, digits, '-', '_' or '.', starting and ending alphanumeric ("+strings.Join(errs, "; ")+")", "")
			case len(k) > eksLabelMax:
				c.refuse(key, k, "is "+strconv.Itoa(len(k))+" characters: EKS accepts node group label keys of at most 63 characters, prefix included (CreateNodegroup)", "use a shorter prefix or name")
			case isKubernetesLabel(k) && !kubeletapis.IsKubeletLabel(k):
				c.refuse(key, k,
					"is in the kubernetes.io/k8s.io namespace, where the kubelet sets only its own labels ("+strings.Join(kubeletapis.KubeletLabelNamespaces(), ", ")+" and a fixed list): it refuses to start with this --node-labels entry, so the node never joins",
					kubeletLabelFix(k))
			}
			switch {
			case v == "":
				c.refuse(key, v, "label values must not be empty: EKS accepts node group label values of 1 to 63 characters (CreateNodegroup)", "give it a value, e.g. \"true\"")
			case len(validation.IsValidLabelValue(v)) > 0:
				c.refuse(key, v, "is not a Kubernetes label value: at most 63 letters, digits, '-', '_' or '.', starting and ending alphanumeric", "")
			}
		}
	}
	return c.result()
}

// isKubernetesLabel is the kubelet's own test for the namespaces it guards
// (kubernetes/kubernetes cmd/kubelet/app/options/options.go, isKubernetesLabel, used by
// ValidateKubeletFlags on --node-labels); k8s.io/kubelet exports the allow-list
// (IsKubeletLabel) but not this test.
func isKubernetesLabel(key string) bool {
	namespace, _, hasNamespace := strings.Cut(key, "/")
	if !hasNamespace {
		return false
	}
	return namespace == "kubernetes.io" || strings.HasSuffix(namespace, ".kubernetes.io") ||
		namespace == "k8s.io" || strings.HasSuffix(namespace, ".k8s.io")
}

func kubeletLabelFix(key string) string {
	_, name, _ := strings.Cut(key, "/")
	return "use node.kubernetes.io/" + name + " or a prefix of your own (e.g. example.com/" + name + ")"
}
