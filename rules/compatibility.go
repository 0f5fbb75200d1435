package rules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/eks-cilium/eks-cilium/stackconfig"
	"github.com/eks-cilium/eks-cilium/versions"
)

// CheckCiliumKubernetes refuses a Cilium minor that is not e2e-tested on the cluster's
// Kubernetes minor. Each Cilium release lists the Kubernetes versions it is e2e-tested on
// (Documentation/network/kubernetes/compatibility.rst: "All Kubernetes versions listed are e2e
// tested and guaranteed to be compatible ... Older and newer Kubernetes versions, while not
// listed, will depend on the forward / backward compatibility offered by Kubernetes"); the
// lists are in versions/data/cilium-kubernetes.json with their sources. A Cilium minor whose list
// could not be read here (1.20) is warned, not refused: Cilium calls such versions untested,
// not unsupported.
func CheckCiliumKubernetes(cfg stackconfig.Config) (warnings, refusals stackconfig.Problems) {
	c := &collector{}
	cilium, kube := versions.Minor(cfg.Cilium.Version), cfg.Cluster.Version
	if cilium == "" || !kubeVersionRe.MatchString(kube) {
		return c.result() // the version rules refuse the values themselves
	}
	tested, _, known := versions.CiliumTested(cilium)
	switch {
	case !known:
		why := versions.CiliumUnknownNote(cilium)
		if why == "" {
			why = "this project's table has no row for it"
		}
		c.warn(keyCiliumVersion, cfg.Cilium.Version, fmt.Sprintf("Cilium %s's e2e-tested Kubernetes versions are not known here (%s): read its Kubernetes compatibility page (docs.cilium.io, network/kubernetes/compatibility) for %s before deploying", cilium, why, kube))
	case !slices.Contains(tested, kube):
		c.refuse(keyCiliumVersion, cfg.Cilium.Version,
			fmt.Sprintf("Cilium %s is e2e-tested on Kubernetes %s (its compatibility.rst), not on the cluster's %s (eks-cilium:cluster.version)", cilium, strings.Join(tested, ", "), kube),
			ciliumFix(kube, tested))
	}
	return c.result()
}

// ciliumFix names the Cilium minors tested on kube and the Kubernetes range of the current one.
func ciliumFix(kube string, tested []string) string {
	var fits []string
	for _, r := range versions.Cilium.Releases {
		if slices.Contains(r.Kubernetes, kube) {
			fits = append(fits, fmt.Sprintf("%s (tested on %s to %s)", r.Cilium, r.Kubernetes[0], r.Kubernetes[len(r.Kubernetes)-1]))
		}
	}
	fix := fmt.Sprintf("keep eks-cilium:cluster.version within %s to %s", tested[0], tested[len(tested)-1])
	if len(fits) > 0 {
		fix = "use a Cilium minor tested on " + kube + ": " + strings.Join(fits, ", ") + "; or " + fix
	}
	return fix
}

// CheckChartKubernetes refuses an add-on chart on a Kubernetes minor outside the range its
// project documents (versions/data/charts.json): metrics-server 0.8.x (chart 3.13.x) needs 1.31
// or later (metrics-server README compatibility matrix), Karpenter 1.14.x supports 1.26 to 1.36
// (karpenter-provider-aws compatibility.yaml), the AWS Load Balancer Controller v2.5.0 and
// later need 1.22 (its installation.md). Chart versions the table does not know are left to
// their own rules.
func CheckChartKubernetes(cfg stackconfig.Config) (warnings, refusals stackconfig.Problems) {
	c := &collector{}
	kube := cfg.Cluster.Version
	if !kubeVersionRe.MatchString(kube) {
		return c.result()
	}
	gate := func(key, chart, version string) {
		g, ok := versions.ChartGateOf(chart, version)
		if !ok {
			return
		}
		below, _ := versions.MinorsBetween(g.MinKubernetes, kube)
		above := 0
		if g.MaxKubernetes != "" {
			above, _ = versions.MinorsBetween(g.MaxKubernetes, kube)
		}
		if below >= 0 && above <= 0 {
			return
		}
		span := g.MinKubernetes + " and later"
		if g.MaxKubernetes != "" {
			span = g.MinKubernetes + " to " + g.MaxKubernetes
		}
		c.refuse(key, version, fmt.Sprintf("runs %s, which supports Kubernetes %s (%s), not the cluster's %s", g.App, span, g.Source, kube),
			"use a chart version that supports "+kube+", or keep eks-cilium:cluster.version within its range")
	}
	if a := cfg.Addons; a != nil {
		if a.MetricsServer != nil {
			gate(stackconfig.KeyAddonsMetricsServerVersion, "metrics-server", a.MetricsServer.Version)
		}
		if a.AwsLoadBalancerController != nil {
			gate(stackconfig.KeyAddonsAwsLoadBalancerControllerVersion, "aws-load-balancer-controller", a.AwsLoadBalancerController.Version)
		}
	}
	if cfg.Karpenter != nil {
		gate(stackconfig.KeyKarpenterVersion, "karpenter", cfg.Karpenter.Version)
	}
	return c.result()
}
