package rules

import (
	"strings"
	"testing"

	"github.com/eks-cilium/eks-cilium/stackconfig"
)

func TestCheckCiliumKubernetes_RefusesUntestedPairs(t *testing.T) {
	checkRefusals(t, []refusal{
		// The case: Cilium 1.18 is tested on 1.30 to 1.33.
		{"Cilium 1.18 on 1.35", func(c *stackconfig.Config) { c.Cilium.Version = "1.18.14" },
			"eks-cilium:cilium.version", "Cilium 1.18 is e2e-tested on Kubernetes 1.30, 1.31, 1.32, 1.33 (its compatibility.rst), not on the cluster's 1.35", "1.19 (tested on 1.32 to 1.35)", 0},
	})
	cfg := validConfig()
	cfg.Cluster.Version = "1.31" // left EKS support: the rule is called directly
	if _, r := CheckCiliumKubernetes(cfg); len(r) != 1 || !strings.Contains(r[0].Rule, "not on the cluster's 1.31") || !strings.Contains(r[0].Fix, "1.18 (tested on 1.30 to 1.33)") {
		t.Errorf("Cilium 1.19 on 1.31: %v", r)
	}
}

func TestCheckCiliumKubernetes_WarnsWhereTheListIsUnknown(t *testing.T) {
	for _, version := range []string{"1.20.0", "1.17.9"} {
		cfg := validConfig()
		cfg.Cilium.Version = version
		w, r := CheckCiliumKubernetes(cfg)
		if len(r) != 0 || len(w) != 1 || w[0].Key != keyCiliumVersion || !strings.Contains(w[0].Rule, "not known here") {
			t.Errorf("Cilium %s on 1.35: warnings %v, refusals %v; want one warning (1.20.0 on 1.35 must render)", version, w, r)
		}
	}
}

func TestCheckChartKubernetes_RefusesChartsOutsideTheirRange(t *testing.T) {
	withAddons := func(c *stackconfig.Config) {
		c.Addons = &stackconfig.AddonsConfig{
			MetricsServer:             &stackconfig.MetricsServerConfig{Version: "3.13.1", Replicas: 1},
			AwsLoadBalancerController: &stackconfig.AwsLoadBalancerControllerConfig{Version: "3.5.0", ReplicaCount: 2},
		}
	}
	// metrics-server 0.8 needs 1.31 (no version EKS still offers is older, so the gate is
	// called directly).
	cfg := validConfig()
	withAddons(&cfg)
	cfg.Cluster.Version = "1.30"
	if _, r := CheckChartKubernetes(cfg); len(r) != 1 || r[0].Key != "eks-cilium:addons.metricsServer.version" ||
		!strings.Contains(r[0].Rule, "supports Kubernetes 1.31 and later") || !strings.Contains(r[0].Fix, "supports 1.30") {
		t.Errorf("metrics-server 3.13.1 on 1.30: %v", r)
	}
	cfg = validConfig()
	withAddons(&cfg)
	if w, r := CheckChartKubernetes(cfg); len(w)+len(r) != 0 {
		t.Errorf("the add-ons on 1.35: warnings %v, refusals %v", w, r)
	}
	// Karpenter 1.14 supports up to 1.36: a 1.37 cluster is outside (the gate alone: the
	// calendar would refuse 1.37 too).
	cfg.Cluster.Version = "1.37"
	cfg.Karpenter = &stackconfig.KarpenterConfig{Version: "1.14.1"}
	_, r := CheckChartKubernetes(cfg)
	if len(r) != 1 || r[0].Key != "eks-cilium:karpenter.version" || !strings.Contains(r[0].Rule, "1.26 to 1.36") {
		t.Errorf("Karpenter 1.14.1 on 1.37: %v", r)
	}
}
