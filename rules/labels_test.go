package rules

import (
	"strings"
	"testing"

	"github.com/eks-cilium/eks-cilium/stackconfig"
)

func labels(kv ...string) func(*stackconfig.Config) {
	return ng0(func(g *stackconfig.NodeGroupConfig) {
		g.Labels = map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			g.Labels[kv[i]] = kv[i+1]
		}
	})
}

func TestCheckLabels_Refuses(t *testing.T) {
	checkRefusals(t, []refusal{
		{"empty label key", labels("", "x"), "eks-cilium:nodeGroups[0].labels", "label keys must not be empty", "", 0},
		{"label key with a space", labels("work load", "x"), `eks-cilium:nodeGroups[0].labels["work load"]`, "not a Kubernetes label key", "", 0},
		{"label value too long", labels("team", strings.Repeat("a", 64)), `eks-cilium:nodeGroups[0].labels["team"]`, "not a Kubernetes label value", "", 0},
		{"empty label value", labels("team", ""), `eks-cilium:nodeGroups[0].labels["team"]`, "EKS accepts node group label values of 1 to 63 characters", `"true"`, 0},
		{"label key over EKS's 63 characters", labels("example.com/"+strings.Repeat("k", 52), "x"), `eks-cilium:nodeGroups[0].labels["example.com/` + strings.Repeat("k", 52) + `"]`, "at most 63 characters, prefix included", "", 0},
		// The kubelet refuses these --node-labels and the node never joins.
		{"kubernetes.io namespace", labels("app.kubernetes.io/part-of", "shop"), `eks-cilium:nodeGroups[0].labels["app.kubernetes.io/part-of"]`, "refuses to start with this --node-labels entry", "node.kubernetes.io/part-of", 0},
		{"node role", labels("node-role.kubernetes.io/worker", "true"), `eks-cilium:nodeGroups[0].labels["node-role.kubernetes.io/worker"]`, "kubernetes.io/k8s.io namespace", "example.com/worker", 0},
		{"k8s.io namespace", labels("k8s.io/team", "a"), `eks-cilium:nodeGroups[0].labels["k8s.io/team"]`, "kubelet sets only its own labels", "", 0},
		{"node restriction namespace", labels("node-restriction.kubernetes.io/zone", "a"), `eks-cilium:nodeGroups[0].labels["node-restriction.kubernetes.io/zone"]`, "kubelet sets only its own labels", "", 0},
	})
}

// The kubelet's own allow-list: its namespaces (and subdomains of them) and its well-known
// labels render.
func TestCheckLabels_AcceptsWhatTheKubeletAccepts(t *testing.T) {
	for _, key := range []string{
		"node.kubernetes.io/role", "node.kubernetes.io/lifecycle", "kubelet.kubernetes.io/x",
		"team.node.kubernetes.io/x", "topology.kubernetes.io/zone", "kubernetes.io/arch",
		"workload", "example.com/workload", "kubernetes.io.example.com/x",
	} {
		cfg := validConfig()
		labels(key, "a")(&cfg)
		if _, ps := CheckLabels(cfg); len(ps) != 0 {
			t.Errorf("%s refused: %v", key, ps)
		}
	}
}
