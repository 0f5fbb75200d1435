package localcharts

import (
	"archive/tar"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eks-cilium/eks-cilium/charts"
	"github.com/eks-cilium/eks-cilium/stackconfig"
)

// chartsDir is ../shared/charts relative to the repository root: the published charts.
const chartsDir = "../../shared/charts"

// publishedCharts skips (fails under CI) when the published charts are not beside the
// repository.
func publishedCharts(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat(filepath.Join(chartsDir, "cilium-1.19.6.tgz")); err != nil {
		msg := "the published charts are not in ../shared/charts beside the repository: " + err.Error()
		if os.Getenv("CI") != "" {
			t.Fatal("CI: " + msg)
		}
		t.Skip(msg)
	}
	return chartsDir
}

// everyChart installs every chart at the versions of ../shared/charts, each from a path.
func everyChart(dir string) stackconfig.Config {
	cfg := stackconfig.Defaults()
	cfg.Cilium.Version = "1.19.6"
	cfg.Addons = &stackconfig.AddonsConfig{
		MetricsServer:             &stackconfig.MetricsServerConfig{Version: "3.13.1"},
		AwsLoadBalancerController: &stackconfig.AwsLoadBalancerControllerConfig{Version: "3.5.0"},
	}
	cfg.Karpenter = &stackconfig.KarpenterConfig{Version: "1.14.1"}
	cfg.ChartSources = &stackconfig.ChartSourcesConfig{
		Cilium:                    &stackconfig.ChartSource{Path: filepath.Join(dir, "cilium-1.19.6.tgz")},
		MetricsServer:             &stackconfig.ChartSource{Path: filepath.Join(dir, "metrics-server-3.13.1.tgz")},
		AwsLoadBalancerController: &stackconfig.LoadBalancerControllerSource{Path: filepath.Join(dir, "aws-load-balancer-controller-3.5.0.tgz")},
		Karpenter:                 &stackconfig.ChartSource{Path: filepath.Join(dir, "karpenter-1.14.1.tgz")},
		KarpenterCrd:              &stackconfig.ChartSource{Path: filepath.Join(dir, "karpenter-crd-1.14.1.tgz")},
	}
	return cfg
}

func TestRead_AcceptsThePublishedChartsAtTheirVersions(t *testing.T) {
	dir := publishedCharts(t)
	cfg := everyChart(dir)
	facts := Read(cfg, "")
	if facts == nil || len(facts.Archives) != 5 {
		t.Fatalf("read %+v, want the five archives", facts)
	}
	for field, a := range facts.Archives {
		if a.Err != "" || a.Name == "" || a.Version == "" {
			t.Errorf("%s: %+v", field, a)
		}
	}
	if probs := charts.CheckLocal(cfg, facts); len(probs) > 0 {
		t.Errorf("refused the published charts: %v", probs)
	}
}

func TestRead_RefusesAnArchiveOfAnotherVersion(t *testing.T) {
	dir := publishedCharts(t)
	// Cilium 1.20.0's archive under the name of 1.19.6: the name rule passes, the content
	// does not.
	tmp := t.TempDir()
	copyFile(t, filepath.Join(dir, "cilium-1.20.0.tgz"), filepath.Join(tmp, "cilium-1.19.6.tgz"))
	// The karpenter chart where karpenter-crd is expected.
	copyFile(t, filepath.Join(dir, "karpenter-1.14.1.tgz"), filepath.Join(tmp, "karpenter-crd-1.14.1.tgz"))
	// Not an archive at all.
	if err := os.WriteFile(filepath.Join(tmp, "metrics-server-3.13.1.tgz"), []byte("metrics-server: 3.13.1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := everyChart(dir)
	cfg.ChartSources.Cilium.Path = filepath.Join(tmp, "cilium-1.19.6.tgz")
	cfg.ChartSources.KarpenterCrd.Path = filepath.Join(tmp, "karpenter-crd-1.14.1.tgz")
	cfg.ChartSources.MetricsServer.Path = filepath.Join(tmp, "metrics-server-3.13.1.tgz")
	cfg.ChartSources.Karpenter.Path = filepath.Join(tmp, "karpenter-1.14.1.tgz") // missing

	probs := charts.CheckLocal(cfg, Read(cfg, ""))
	want := map[string]string{
		"eks-cilium:chartSources.cilium.path":        "holds cilium 1.20.0, not the pinned version 1.19.6",
		"eks-cilium:chartSources.karpenterCrd.path":  `holds chart "karpenter" 1.14.1, not karpenter-crd`,
		"eks-cilium:chartSources.metricsServer.path": "does not appear to be a gzipped archive",
		"eks-cilium:chartSources.karpenter.path":     "no such file: " + filepath.Join(tmp, "karpenter-1.14.1.tgz"),
	}
	if len(probs) != len(want) {
		t.Fatalf("want %d problems, got %v", len(want), probs)
	}
	for _, p := range probs {
		if !strings.Contains(p.Rule, want[p.Key]) || want[p.Key] == "" {
			t.Errorf("%s = %q: %q, want it to say %q", p.Key, p.Value, p.Rule, want[p.Key])
		}
	}
}

func TestRead_ResolvesRelativePathsAgainstTheProjectDirectory(t *testing.T) {
	dir := publishedCharts(t)
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	cfg := everyChart("")
	cfg.ChartSources = &stackconfig.ChartSourcesConfig{Cilium: &stackconfig.ChartSource{Path: "cilium-1.19.6.tgz"}}
	if a := Read(cfg, abs).Archives["cilium"]; a.Name != "cilium" || a.Version != "1.19.6" {
		t.Errorf("read %+v from %s", a, abs)
	}
	if a := Read(cfg, t.TempDir()).Archives["cilium"]; !strings.HasPrefix(a.Err, "no such file: ") {
		t.Errorf("read %+v from an empty directory", a)
	}
}

func TestRead_ReadsNothingWithoutLocalFiles(t *testing.T) {
	cfg := everyChart("")
	cfg.ChartSources = &stackconfig.ChartSourcesConfig{
		Cilium:                    &stackconfig.ChartSource{Repository: "oci://registry.example.internal/helm"},
		AwsLoadBalancerController: &stackconfig.LoadBalancerControllerSource{Repository: "https://charts.example.internal", Crds: "https://files.example.internal/lbc"},
	}
	if facts := Read(cfg, ""); facts != nil {
		t.Errorf("read %+v", facts)
	}
	// A path of a chart the stack does not install is not read (the rules warn about it).
	cfg.Karpenter = nil
	cfg.ChartSources.Karpenter = &stackconfig.ChartSource{Path: "/nonexistent/karpenter-1.14.1.tgz"}
	if facts := Read(cfg, ""); facts != nil {
		t.Errorf("read %+v", facts)
	}
}

func TestRead_ChecksTheControllersCRDsAgainstTheRelease(t *testing.T) {
	dir := publishedCharts(t)
	crds := t.TempDir()
	extract(t, filepath.Join(dir, "aws-load-balancer-controller-3.5.0.tgz"), "aws-load-balancer-controller/crds/", crds)
	cfg := everyChart(dir)
	cfg.ChartSources.AwsLoadBalancerController.Crds = crds
	facts := Read(cfg, "")
	if len(facts.CRDs) != 2 {
		t.Fatalf("read %d CRD manifests, want crds.yaml and gateway-crds.yaml: %+v", len(facts.CRDs), facts.CRDs)
	}
	if probs := charts.CheckLocal(cfg, facts); len(probs) > 0 {
		t.Fatalf("refused the chart's own crds/: %v", probs)
	}

	// One byte more in one file, the other file gone.
	f, err := os.OpenFile(filepath.Join(crds, "crds.yaml"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("\n"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := os.Remove(filepath.Join(crds, "gateway-crds.yaml")); err != nil {
		t.Fatal(err)
	}
	probs := charts.CheckLocal(cfg, Read(cfg, ""))
	if len(probs) != 2 {
		t.Fatalf("want two problems, got %v", probs)
	}
	for _, p := range probs {
		if p.Key != "eks-cilium:chartSources.awsLoadBalancerController.crds" || p.Value != crds {
			t.Errorf("problem names %s = %q", p.Key, p.Value)
		}
	}
	if !strings.Contains(probs.Error(), "crds.yaml is not the file of chart 3.5.0") || !strings.Contains(probs.Error(), "must hold the controller's gateway-crds.yaml: no such file") {
		t.Errorf("problems do not say which file is wrong: %v", probs)
	}
}

func TestGitBlob_IsGitsHashOfTheContent(t *testing.T) {
	// `printf 'hello\n' | git hash-object --stdin` and the empty blob, as git prints them.
	for content, want := range map[string]string{
		"hello\n": "ce013625030ba8dba906f756967f9e9ca394464a",
		"":        "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391",
	} {
		if got := GitBlob([]byte(content)); got != want {
			t.Errorf("GitBlob(%q) = %s, want %s", content, got, want)
		}
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// extract writes the files under prefix of a chart archive into dir, by their base names.
func extract(t *testing.T, archive, prefix, dir string) {
	t.Helper()
	f, err := os.Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	n := 0
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(h.Name, prefix) || h.Typeflag != tar.TypeReg {
			continue
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(h.Name)), data, 0o644); err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n == 0 {
		t.Fatalf("%s has no files under %s", archive, prefix)
	}
}
