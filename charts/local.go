package charts

import (
	"fmt"

	"github.com/eks-cilium/eks-cilium/stackconfig"
)

// LocalFacts are what was read from the local files a stack's chartSources name, for the
// checks that need them (CheckLocal): each packaged chart's Chart.yaml, and each of the load
// balancer controller's CRD manifests in its crds directory. Package localcharts reads them;
// this package only compares.
type LocalFacts struct {
	// Archives are by chartSources field (stackconfig.ChartSource*), for every installed
	// chart whose source is a path.
	Archives map[string]ArchiveFacts
	// CRDs are by file name, when the controller's crds is a local directory.
	CRDs map[string]FileFacts
}

// ArchiveFacts is what a packaged chart says of itself.
type ArchiveFacts struct {
	// Name and Version are its Chart.yaml's, as Helm's loader reads it.
	Name, Version string
	// Err says why it could not be read as a chart ("" when it was).
	Err string
}

// FileFacts is a file as read from disk.
type FileFacts struct {
	// Path is where it was read (the configured directory joined with the file's name).
	Path string
	// GitBlob is its git blob hash (sha1 of "blob <size>\x00" and the content).
	GitBlob string
	// Err says why it could not be read ("" when it was).
	Err string
}

// CheckLocal compares what was read from the local files (facts) with the configuration:
// every packaged chart must be the chart it stands for at the pinned version, because the
// provider installs whatever version the archive holds (see Chart.Ref), and every local CRD
// manifest must be the controller release's own file. Problems name the key, the path and the
// rule; nothing is checked for a release whose facts were not read.
func CheckLocal(cfg stackconfig.Config, facts *LocalFacts) stackconfig.Problems {
	if facts == nil {
		return nil
	}
	var probs stackconfig.Problems
	for _, r := range Releases(cfg) {
		if r.Source == nil || r.Source.Path == "" {
			continue
		}
		a, ok := facts.Archives[r.Chart.Field]
		if !ok {
			continue
		}
		key, path := r.Chart.Key()+".path", r.Source.Path
		switch {
		case a.Err != "":
			probs = append(probs, stackconfig.Problem{Key: key, Value: path,
				Rule: "must be a packaged Helm chart (.tgz) that Helm can load: " + a.Err,
				Fix:  fmt.Sprintf("helm pull %s --version %s writes it (docs/charts.md)", r.Chart.PullArgs(), r.Version)})
		case a.Name != r.Chart.Name:
			probs = append(probs, stackconfig.Problem{Key: key, Value: path,
				Rule: fmt.Sprintf("holds chart %q %s, not %s: the release would install another chart", a.Name, a.Version, r.Chart.Name),
				Fix:  fmt.Sprintf("point it at the %s chart's archive %s", r.Chart.Name, r.Chart.ArchiveName(r.Version))})
		case a.Version != r.Version:
			probs = append(probs, stackconfig.Problem{Key: key, Value: path,
				Rule: fmt.Sprintf("holds %s %s, not the pinned version %s (%s): the provider installs the version the archive holds", a.Name, a.Version, r.Version, r.Chart.VersionKey()),
				Fix:  fmt.Sprintf("replace the file with %s %s (helm pull %s --version %s), or pin %s", r.Chart.Name, r.Version, r.Chart.PullArgs(), r.Version, a.Version)})
		}
	}
	probs = append(probs, checkLocalCRDs(cfg, facts)...)
	probs.Sort()
	return probs
}

// checkLocalCRDs compares the controller's local CRD manifests with the release's.
func checkLocalCRDs(cfg stackconfig.Config, facts *LocalFacts) stackconfig.Problems {
	src := cfg.ChartSources.LoadBalancerController()
	if cfg.Addons == nil || cfg.Addons.AwsLoadBalancerController == nil || src == nil || len(facts.CRDs) == 0 {
		return nil
	}
	manifests, ok := LoadBalancerControllerCRDs(cfg.Addons.AwsLoadBalancerController.Version, src)
	if !ok {
		return nil // the version itself is refused by the rules
	}
	key := LoadBalancerController.Key() + ".crds"
	var probs stackconfig.Problems
	for _, m := range manifests {
		f, ok := facts.CRDs[m.Name]
		if !ok {
			continue
		}
		switch {
		case f.Err != "":
			probs = append(probs, stackconfig.Problem{Key: key, Value: src.Crds,
				Rule: fmt.Sprintf("must hold the controller's %s: %s", m.Name, f.Err),
				Fix:  "copy the chart's crds/ files there (helm pull ... --untar, docs/charts.md)"})
		case f.GitBlob != m.GitBlob:
			probs = append(probs, stackconfig.Problem{Key: key, Value: src.Crds,
				Rule: fmt.Sprintf("%s is not the file of chart %s (git blob %s, want %s at the controller's release tag): the CRDs must match the controller", f.Path, cfg.Addons.AwsLoadBalancerController.Version, short(f.GitBlob), short(m.GitBlob)),
				Fix:  "copy the chart's crds/ files of that version there unchanged (helm pull ... --untar, docs/charts.md)"})
		}
	}
	return probs
}

// VersionKey is the key that pins the chart's version.
func (c Chart) VersionKey() string {
	switch c.Field {
	case stackconfig.ChartSourceCilium:
		return stackconfig.KeyCiliumVersion
	case stackconfig.ChartSourceMetricsServer:
		return stackconfig.KeyAddonsMetricsServerVersion
	case stackconfig.ChartSourceLoadBalancerController:
		return stackconfig.KeyAddonsAwsLoadBalancerControllerVersion
	}
	return stackconfig.KeyKarpenterVersion
}

func short(hash string) string {
	if len(hash) > 12 {
		return hash[:12]
	}
	return hash
}
