package charts

import (
	"path"
	"path/filepath"
	"strings"

	"github.com/eks-cilium/eks-cilium/charts/lbcpolicy"
	"github.com/eks-cilium/eks-cilium/stackconfig"
)

// Karpenter's charts: both from Karpenter's public OCI registry, at the same version
// (karpenter.version). components/karpenter installs them.
const (
	KarpenterRepo     = "oci://public.ecr.aws/karpenter"
	KarpenterChart    = "karpenter"
	KarpenterCRDChart = "karpenter-crd"
)

// Chart is one Helm chart this project installs: its name, where it is published and the
// field of eks-cilium:chartSources that can move it elsewhere.
type Chart struct {
	// Field is the chart's field in eks-cilium:chartSources (stackconfig.ChartSource*).
	Field string
	// Name is the chart's name: its Chart.yaml name and its name in every repository.
	Name string
	// Upstream is where it is published: an https:// Helm repository or an oci:// registry
	// prefix.
	Upstream string
}

// The charts, each with its upstream.
var (
	Cilium                 = Chart{Field: stackconfig.ChartSourceCilium, Name: CiliumChart, Upstream: CiliumRepo}
	MetricsServer          = Chart{Field: stackconfig.ChartSourceMetricsServer, Name: MetricsServerChart, Upstream: MetricsServerRepo}
	LoadBalancerController = Chart{Field: stackconfig.ChartSourceLoadBalancerController, Name: LoadBalancerControllerChart, Upstream: LoadBalancerControllerRepo}
	Karpenter              = Chart{Field: stackconfig.ChartSourceKarpenter, Name: KarpenterChart, Upstream: KarpenterRepo}
	KarpenterCRD           = Chart{Field: stackconfig.ChartSourceKarpenterCrd, Name: KarpenterCRDChart, Upstream: KarpenterRepo}
)

// Charts are every chart, in the order of eks-cilium:chartSources' fields.
var Charts = []Chart{Cilium, MetricsServer, LoadBalancerController, Karpenter, KarpenterCRD}

// Key is the chart's entry in the configuration, as problems name it.
func (c Chart) Key() string { return stackconfig.KeyChartSources + "." + c.Field }

// Ref is how a pulumi-kubernetes helm.sh/v3 Release is told where a chart is: its `chart`,
// `repositoryOpts.repo` (empty: no repositoryOpts) and `version` inputs.
type Ref struct {
	Chart   string `json:"chart"`
	Repo    string `json:"repo,omitempty"`
	Version string `json:"version"`
}

// Ref is the Release's inputs for the chart at version from src (nil: upstream), in the form
// pulumi-kubernetes v4.25.0 reads each (provider/pkg/provider/helm_release.go):
//   - an https:// repository is repositoryOpts.repo, with the chart's bare name: a repository
//     that parses as a URL is kept as the repository (resolveChartName, line 1658) and the
//     chart is looked up in its index.yaml (locateChart, line 1532);
//   - an oci:// registry goes into the chart itself, <prefix>/<name>, with no repositoryOpts:
//     an oci:// chart is taken as is and any repository dropped (line 1655); Helm then pulls
//     the tag equal to the exact version (helm v3.18.6 pkg/registry/client.go:940), the tag
//     `helm push` gives the chart (pkg/pusher/ocipusher.go:89);
//   - a local archive is the chart, with no repositoryOpts: with no repository an existing
//     file is used as the chart (locateChart, line 1497) and resolved against the provider's
//     working directory, the project directory (pulumi pkg v3.274.1 engine/deployment.go:61
//     and sdk go/common/resource/plugin/plugin.go:599). A relative path is written "./...":
//     a missing file named so fails as a missing path, where "charts/x.tgz" would be looked
//     up as chart x.tgz of a repository alias "charts" (line 1504). The provider's Check then
//     takes the version from the archive (line 376), whatever `version` says: the program
//     checks the archive's name and version before registering anything (package localcharts).
func (c Chart) Ref(version string, src *stackconfig.ChartSource) Ref {
	switch {
	case src != nil && src.Path != "":
		return Ref{Chart: ChartPath(src.Path), Version: version}
	case src != nil && src.Repository != "":
		return c.repositoryRef(src.Repository, version)
	}
	return c.repositoryRef(c.Upstream, version)
}

func (c Chart) repositoryRef(repo, version string) Ref {
	if oci, ok := strings.CutPrefix(repo, OCIScheme); ok {
		return Ref{Chart: OCIScheme + strings.TrimSuffix(oci, "/") + "/" + c.Name, Version: version}
	}
	return Ref{Chart: c.Name, Repo: repo, Version: version}
}

// OCIScheme starts a registry reference, as Helm's registry.IsOCI tests it.
const OCIScheme = "oci://"

// ChartPath is a configured path as the Release's chart: absolute as it is, relative with a
// leading "./" (see Ref), slash-separated and cleaned.
func ChartPath(p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	p = filepath.ToSlash(filepath.Clean(p))
	if p == ".." || strings.HasPrefix(p, "../") {
		return p
	}
	return "./" + p
}

// Names reports whether a Release's chart input names this chart in one of Ref's forms: its
// bare name, <prefix>/<name> in a registry, or an archive <name>-<version>.tgz.
func (c Chart) Names(chart string) bool {
	base := path.Base(chart)
	if base == c.Name {
		return true
	}
	version, ok := strings.CutPrefix(strings.TrimSuffix(base, ".tgz"), c.Name+"-")
	return ok && strings.HasSuffix(base, ".tgz") && version != "" && version[0] >= '0' && version[0] <= '9'
}

// PullArgs are `helm pull`'s arguments that fetch the chart from upstream, but for --version:
// its name with --repo for a repository, its reference for a registry.
func (c Chart) PullArgs() string {
	up := c.Ref("", nil)
	if up.Repo != "" {
		return up.Chart + " --repo " + up.Repo
	}
	return up.Chart
}

// ArchiveName is the file name `helm pull` and `helm package` give a chart's archive; a
// configured path must end in it.
func (c Chart) ArchiveName(version string) string { return c.Name + "-" + version + ".tgz" }

// Release is one Helm release a stack installs and where its chart comes from.
type Release struct {
	// Name is the release's name (in namespace Namespace).
	Name string
	// Chart is the chart it installs.
	Chart Chart
	// Version is the pinned chart version.
	Version string
	// Source is the stack's chartSources entry for the chart; nil: upstream.
	Source *stackconfig.ChartSource
	// Ref is what the Release is given (Chart.Ref).
	Ref Ref
}

// The kinds of source a release's chart comes from (Release.Kind).
const (
	SourceUpstream   = "upstream"
	SourceRepository = "repository"
	SourceOCI        = "oci"
	SourcePath       = "path"
)

// Kind is the kind of source the chart comes from: SourceUpstream, or the form of the
// configured source (SourceRepository, SourceOCI, SourcePath).
func (r Release) Kind() string {
	switch {
	case r.Source == nil:
		return SourceUpstream
	case r.Source.Path != "":
		return SourcePath
	case strings.HasPrefix(r.Source.Repository, OCIScheme):
		return SourceOCI
	}
	return SourceRepository
}

// From is where the chart is pulled from: the repository's URL, the chart's registry
// reference, or the archive's path as the Release names it.
func (r Release) From() string {
	if r.Ref.Repo != "" {
		return r.Ref.Repo
	}
	return r.Ref.Chart
}

// Releases are the Helm releases a stack installs, in the order they are installed, each with
// its chart's source: cilium, then metrics-server and the load balancer controller when
// configured, then karpenter-crd and karpenter. The pre-flight release an update of the
// Cilium minor adds (CiliumPreflightRelease) installs Cilium's chart at Cilium's version from
// Cilium's source: the cilium entry stands for both.
func Releases(cfg stackconfig.Config) []Release {
	srcs := cfg.ChartSources
	release := func(name string, c Chart, version string) Release {
		src := srcs.Source(c.Field)
		return Release{Name: name, Chart: c, Version: version, Source: src, Ref: c.Ref(version, src)}
	}
	out := []Release{release(CiliumRelease, Cilium, cfg.Cilium.Version)}
	if a := cfg.Addons; a != nil {
		if a.MetricsServer != nil {
			out = append(out, release(MetricsServerRelease, MetricsServer, a.MetricsServer.Version))
		}
		if a.AwsLoadBalancerController != nil {
			out = append(out, release(LoadBalancerControllerRelease, LoadBalancerController, a.AwsLoadBalancerController.Version))
		}
	}
	if k := cfg.Karpenter; k != nil {
		out = append(out, release(KarpenterCRDRelease, KarpenterCRD, k.Version), release(KarpenterRelease, Karpenter, k.Version))
	}
	return out
}

// Karpenter's release names; the chart names the controller's service account after the
// release ("karpenter.fullname"), which its Pod Identity association names.
const (
	KarpenterRelease    = "karpenter"
	KarpenterCRDRelease = "karpenter-crd"
)

// CRDManifest is one of the load balancer controller's CRD manifests, which the program
// applies itself before the release: Helm applies a chart's crds/ on install only.
type CRDManifest struct {
	// Name is the file's name in the chart's crds/.
	Name string
	// File is what a yaml/v2 ConfigFile reads: an https:// URL, which the provider downloads,
	// or a local path, which it reads relative to the project directory (pulumi-kubernetes
	// v4.25.0 provider/pkg/provider/yaml/v2/yaml.go:59-86).
	File string
	// GitBlob is the file's git blob hash at the controller's release tag.
	GitBlob string
}

// LoadBalancerControllerCRDs are the CRD manifests of the controller a chart version installs
// (lbcpolicy), read from the release tag on raw.githubusercontent.com, or from under the
// source's crds (an https:// URL or a local directory); ok is false for a chart version whose
// release is not carried.
func LoadBalancerControllerCRDs(chartVersion string, src *stackconfig.LoadBalancerControllerSource) (out []CRDManifest, ok bool) {
	release, ok := lbcpolicy.ForChart(chartVersion)
	if !ok {
		return nil, false
	}
	base := ""
	if src != nil {
		base = src.Crds
	}
	for _, crd := range release.CRDs {
		m := CRDManifest{Name: crd.Name, File: crd.URL, GitBlob: crd.GitBlob}
		switch {
		case base == "":
		case strings.Contains(base, "://"):
			m.File = strings.TrimSuffix(base, "/") + "/" + crd.Name
		default:
			m.File = ChartPath(filepath.Join(base, crd.Name))
		}
		out = append(out, m)
	}
	return out, true
}
