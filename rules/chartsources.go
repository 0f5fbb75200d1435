package rules

import (
	"fmt"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/eks-cilium/eks-cilium/charts"
	"github.com/eks-cilium/eks-cilium/stackconfig"
)

// ociRepositoryRe is the distribution spec's grammar of a repository name (its path below the
// registry host): lower-case components separated by "/", each of [a-z0-9] runs joined by
// ".", "_", "__" or dashes (opencontainers/distribution-spec spec.md, "Pulling manifests":
// <name> MUST match this expression). A registry refuses any other name.
var ociRepositoryRe = regexp.MustCompile(`^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$`)

// clearTextWhy is why http:// is refused for anything Helm or the provider downloads.
const clearTextWhy = "http:// is refused: Helm would download the chart unauthenticated and in clear " +
	"(with any credentials), so anything on the network path could hand it a different chart"

// CheckChartSources validates eks-cilium:chartSources: every entry gives exactly one of
// repository (an https:// repository or an oci:// registry prefix, with no credentials in it)
// and path (an archive named as `helm pull` names the pinned version's), and the load
// balancer controller's crds is an https:// URL or a directory. The archives' and CRD files'
// contents are checked against the pinned versions once they are read (charts.CheckLocal).
// It warns about an entry of a chart the stack does not install (it changes nothing, and
// refusing it would stop stacks that share one chartSources block), about Karpenter's two
// charts coming from different places, and about the controller's CRDs still coming from
// GitHub when its chart comes from a mirror.
func CheckChartSources(cfg stackconfig.Config) (warnings, refusals stackconfig.Problems) {
	srcs := cfg.ChartSources
	if srcs == nil {
		return nil, nil
	}
	var c collector
	installed := map[string]charts.Release{}
	for _, r := range charts.Releases(cfg) {
		installed[r.Chart.Field] = r
	}
	for _, chart := range charts.Charts {
		src := srcs.Source(chart.Field)
		if src == nil {
			continue
		}
		r, ok := installed[chart.Field]
		checkChartSource(&c, chart, src, r.Version)
		if !ok && (src.Repository != "" || src.Path != "") {
			c.warn(chart.Key(), src.Repository+src.Path,
				fmt.Sprintf("has no effect: the stack does not install %s (%s is not set)", chart.Name, installedBy(chart)))
		}
	}
	if _, ok := installed[stackconfig.ChartSourceKarpenter]; ok && (srcs.Karpenter == nil) != (srcs.KarpenterCrd == nil) {
		set, unset := charts.Karpenter, charts.KarpenterCRD
		if srcs.Karpenter == nil {
			set, unset = unset, set
		}
		c.warn(unset.Key(), "", fmt.Sprintf("is upstream (%s) while %s is not: a deployment that cannot reach %s fails at the %s release; "+
			"the two charts are installed together at karpenter.version", unset.Upstream, set.Key(), unset.Upstream, unset.Name))
	}
	if lbc := srcs.AwsLoadBalancerController; lbc != nil {
		checkCRDs(&c, lbc)
		if _, ok := installed[stackconfig.ChartSourceLoadBalancerController]; ok && lbc.Crds == "" && (lbc.Repository != "" || lbc.Path != "") {
			c.warn(charts.LoadBalancerController.Key()+".crds", "", "is unset, so the controller's CRD manifests are still downloaded from "+
				"raw.githubusercontent.com at its release tag (the program applies them itself: Helm applies a chart's crds/ only on install); "+
				"a deployment that cannot reach GitHub fails there: give an https:// mirror of them or a local directory (docs/charts.md)")
		}
	}
	return c.result()
}

// checkChartSource checks one entry; version is the pinned version when the chart is
// installed ("" otherwise).
func checkChartSource(c *collector, chart charts.Chart, src *stackconfig.ChartSource, version string) {
	key := chart.Key()
	switch {
	case src.Repository != "" && src.Path != "":
		c.refuse(key+".path", src.Path, "is set together with repository: a chart comes either from a repository or from a local archive",
			"keep one of repository and path")
		return
	case src.Repository == "" && src.Path == "":
		c.refuse(key, "", "gives neither repository nor path", "give one of them, or remove the entry to pull "+chart.Name+" from "+chart.Upstream)
		return
	case src.Repository != "":
		checkRepository(c, key+".repository", src.Repository)
		return
	}
	key += ".path"
	switch {
	case strings.Contains(src.Path, "://"):
		c.refuse(key, src.Path, "is a URL, not a file: path names a packaged chart on the machine that runs pulumi up",
			"give a repository for a chart served over the network")
	case version != "" && filepath.Base(src.Path) != chart.ArchiveName(version):
		c.refuse(key, src.Path, fmt.Sprintf("must name the archive %s, as helm pull and helm package name %s %s (the version pinned by %s)",
			chart.ArchiveName(version), chart.Name, version, chart.VersionKey()),
			fmt.Sprintf("helm pull %s --version %s writes %s", chart.PullArgs(), version, chart.ArchiveName(version)))
	case !strings.HasSuffix(src.Path, ".tgz"):
		c.refuse(key, src.Path, "must be a packaged chart, <chart>-<version>.tgz, as helm pull and helm package write it", "")
	}
}

// checkRepository checks a mirror of a chart repository.
func checkRepository(c *collector, key, repo string) {
	u, err := url.Parse(repo)
	switch {
	case err != nil:
		c.refuse(key, repo, "must be an https:// Helm repository URL or an oci:// registry prefix: "+err.Error(), "")
	case u.Scheme == "http":
		c.refuse(key, repo, clearTextWhy, "serve the mirror over https://, push the chart to an OCI registry, or give path for a local archive")
	case u.Scheme != "https" && u.Scheme != "oci":
		c.refuse(key, repo, "must be an https:// Helm repository URL or an oci:// registry prefix", "")
	case u.Host == "":
		c.refuse(key, repo, "names no host", "")
	case u.User != nil:
		c.refuse(key, repo, "holds credentials: they would be stored in the Pulumi state and printed by the render and the preview",
			"remove them; for a registry, log in with helm registry login before pulumi up (docs/charts.md)")
	case u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(repo, "?"):
		c.refuse(key, repo, "holds a query or fragment: Helm appends the index's and the chart's paths to the URL", "")
	case u.Scheme == "oci":
		if p := strings.Trim(u.Path, "/"); p != "" && !ociRepositoryRe.MatchString(p) {
			rule := "must be a registry prefix whose path is lower-case [a-z0-9] components separated by /, . _ or - (the OCI distribution spec's repository names)"
			if strings.ContainsAny(p, ":@") {
				rule = "must be a registry prefix, not a chart reference: the chart's name is appended to it and its version is the tag"
			}
			c.refuse(key, repo, rule, "")
		}
	}
}

// checkCRDs checks where the controller's CRD manifests are read.
func checkCRDs(c *collector, lbc *stackconfig.LoadBalancerControllerSource) {
	key := charts.LoadBalancerController.Key() + ".crds"
	if lbc.Crds == "" || !strings.Contains(lbc.Crds, "://") {
		return // unset, or a local directory (read and checked against the release's files)
	}
	u, err := url.Parse(lbc.Crds)
	switch {
	case err != nil:
		c.refuse(key, lbc.Crds, "must be an https:// URL or a local directory: "+err.Error(), "")
	case u.Scheme == "http":
		c.refuse(key, lbc.Crds, "http:// is refused: the provider would download the CRDs unauthenticated and in clear", "serve them over https://, or give a local directory")
	case u.Scheme != "https" || u.Host == "":
		c.refuse(key, lbc.Crds, "must be an https:// URL or a local directory", "")
	case u.User != nil:
		c.refuse(key, lbc.Crds, "holds credentials: they would be stored in the Pulumi state and printed by the render", "serve the files without credentials to the machine that runs pulumi up, or give a local directory")
	case u.RawQuery != "" || u.Fragment != "":
		c.refuse(key, lbc.Crds, "holds a query or fragment: each file's name is appended to the URL", "")
	}
}

// installedBy is the key that installs a chart.
func installedBy(chart charts.Chart) string {
	switch chart.Field {
	case stackconfig.ChartSourceMetricsServer:
		return stackconfig.KeyAddonsMetricsServer
	case stackconfig.ChartSourceLoadBalancerController:
		return stackconfig.KeyAddonsAwsLoadBalancerController
	case stackconfig.ChartSourceKarpenter, stackconfig.ChartSourceKarpenterCrd:
		return stackconfig.KeyKarpenter
	}
	return stackconfig.KeyCilium
}
