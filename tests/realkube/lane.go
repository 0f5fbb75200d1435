package realkube

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/eks-cilium/eks-cilium/charts"
	"github.com/eks-cilium/eks-cilium/charts/lbcpolicy"
	"github.com/eks-cilium/eks-cilium/program"
	"github.com/eks-cilium/eks-cilium/stackconfig"
	"github.com/eks-cilium/eks-cilium/tests/chartmirror"
	"github.com/eks-cilium/eks-cilium/tests/enginetest"
	"github.com/eks-cilium/eks-cilium/tests/localkube"
	"helm.sh/helm/v3/pkg/release"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ProviderVersion is the pulumi-kubernetes provider the lane runs (scripts/install-pulumi-kubernetes).
const ProviderVersion = "4.25.0"

// providerHint says how to get the provider.
const providerHint = `export PATH="$(scripts/install-pulumi-kubernetes | tail -n 1):$PATH"`

// Lane is one scenario's world: a fresh control plane with simulated nodes, the chart mirror,
// and a stack of the program whose kubernetes provider is the real one.
type Lane struct {
	T        testing.TB
	Cluster  *localkube.Cluster
	Kubelets *localkube.Kubelets
	Mirror   *chartmirror.Mirror
	// Marker tags the Pulumi CLI and its plugins: Marker.Kill emulates a lost runner.
	Marker *localkube.Marker
	Stack  *enginetest.Stack
}

// LaneOptions shape a lane.
type LaneOptions struct {
	// Nodes are the simulated nodes; two t3.medium nodes in two zones (dev's node group at
	// its desired size) when nil.
	Nodes []localkube.Node
	// BeforeStack runs once the cluster and its kubelets run, before the stack exists (e.g.
	// to attach the Cilium operator to its pods).
	BeforeStack func(*Lane)
	// StackFile is the stack file, relative to the repository; stacks/Pulumi.<stack>.yaml
	// when empty.
	StackFile string
	// Cluster shapes the control plane.
	Cluster localkube.Options
	// ChartSources, when set, is the stack's eks-cilium:chartSources: the mirror then answers
	// for the configured repositories (and the load balancer controller's CRD base) instead
	// of the upstream ones of those charts.
	ChartSources *stackconfig.ChartSourcesConfig
}

// NewLane starts a lane for the stack file stacks/Pulumi.<stack>.yaml (or opts.StackFile).
func NewLane(t testing.TB, stack string, opts LaneOptions) *Lane {
	t.Helper()
	enginetest.RequireTool(t, "pulumi")
	requireProvider(t)
	chartsDir := filepath.Join(enginetest.RepoRoot(t), "..", "shared", "charts")
	if _, err := os.Stat(chartsDir); err != nil {
		msg := "the published charts are not in ../shared/charts beside the repository"
		if os.Getenv("CI") == "true" {
			t.Fatal("CI=true: " + msg)
		}
		t.Skip(msg)
	}
	l := &Lane{T: t}
	l.Cluster = localkube.Start(t, opts.Cluster)
	l.Kubelets = l.Cluster.StartKubelets(t)
	nodes := opts.Nodes
	if nodes == nil {
		nodes = []localkube.Node{
			localkube.T3Medium("ip-192-168-0-10.eu-west-1.compute.internal", "eu-west-1a", "192.168.0.10"),
			localkube.T3Medium("ip-192-168-64-10.eu-west-1.compute.internal", "eu-west-1b", "192.168.64.10"),
		}
	}
	for _, n := range nodes {
		l.Kubelets.AddNode(t, n)
	}
	l.Mirror = chartmirror.Start(t, chartsDir, mirrorRepos(opts.ChartSources), lbcCRDFiles(opts.ChartSources)...)
	l.Marker = localkube.NewMarker(t)
	if opts.BeforeStack != nil {
		opts.BeforeStack(l)
	}
	// Helm's caches and repository config in the provider go to the test's temp dir, so every
	// run downloads from the mirror and nothing lands in the user's home.
	helmHome := t.TempDir()
	env := map[string]string{
		"HELM_CACHE_HOME":  filepath.Join(helmHome, "cache"),
		"HELM_CONFIG_HOME": filepath.Join(helmHome, "config"),
		"HELM_DATA_HOME":   filepath.Join(helmHome, "data"),
	}
	for k, v := range l.Mirror.Env() {
		env[k] = v
	}
	for k, v := range l.Marker.Env() {
		env[k] = v
	}
	stackFile := opts.StackFile
	if stackFile == "" {
		stackFile = "stacks/Pulumi." + stack + ".yaml"
	}
	l.Stack = enginetest.NewStackWith(t, stack, stackFile, program.Run, enginetest.StackOptions{
		Fakes: enginetest.Options{RealKubernetes: true, Kubeconfig: l.Cluster.Kubeconfig},
		Env:   env,
	})
	if opts.ChartSources != nil {
		raw, err := json.Marshal(opts.ChartSources)
		if err != nil {
			t.Fatal(err)
		}
		var value map[string]any
		if err := json.Unmarshal(raw, &value); err != nil {
			t.Fatal(err)
		}
		l.Stack.EditConfig(func(c map[string]any) { c[stackconfig.KeyChartSources] = value })
	}
	// Helm waits for pods in real time; under a loaded machine an up takes minutes.
	l.Stack.Timeout = 10 * time.Minute
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("kube-system events:\n%s", l.Cluster.Events("kube-system"))
			t.Logf("chart mirror requests:\n  %s", strings.Join(l.Mirror.Requests(), "\n  "))
			counts := map[string]int{}
			for _, c := range l.Cluster.PodEndpointCalls() {
				counts[c.String()]++
			}
			for c, n := range counts {
				t.Logf("stand-in: %dx %s", n, c)
			}
		}
	})
	return l
}

// mirrorRepos are the repositories the mirror answers for: each chart's upstream, or the
// repository the stack configures for it (none for a local archive), the charts that share
// one repository or registry prefix served together.
func mirrorRepos(sources *stackconfig.ChartSourcesConfig) []chartmirror.Repo {
	var out []chartmirror.Repo
	for _, c := range charts.Charts {
		url := c.Upstream
		if src := sources.Source(c.Field); src != nil {
			if src.Repository == "" {
				continue
			}
			url = src.Repository
		}
		i := slices.IndexFunc(out, func(r chartmirror.Repo) bool { return r.URL == url })
		if i < 0 {
			out = append(out, chartmirror.Repo{URL: url})
			i = len(out) - 1
		}
		out[i].Charts = append(out[i].Charts, c.Name)
	}
	return out
}

// lbcCRDFiles are the load balancer controller's CRD manifests, which the program applies
// itself from their URLs (charts.LoadBalancerControllerCRDs: the release tag on
// raw.githubusercontent.com, or the configured base): the mirror serves each from the packaged
// chart's crds/, the same file (tests/chart checks their git blob hashes).
func lbcCRDFiles(sources *stackconfig.ChartSourcesConfig) []chartmirror.File {
	var out []chartmirror.File
	for _, v := range lbcpolicy.ChartVersions() {
		crds, _ := charts.LoadBalancerControllerCRDs(v, sources.LoadBalancerController())
		for _, crd := range crds {
			if !strings.HasPrefix(crd.File, "https://") {
				continue // a local directory: nothing to download
			}
			out = append(out, chartmirror.File{URL: crd.File, Chart: charts.LoadBalancerControllerChart, Version: v, Path: "crds/" + crd.Name})
		}
	}
	return out
}

// requireProvider checks that the engine will find pulumi-resource-kubernetes at the pinned
// version on PATH, where it loads plugins that are not in its plugin cache.
func requireProvider(t testing.TB) {
	t.Helper()
	bin := localkube.Require(t, providerHint, "pulumi-resource-kubernetes")["pulumi-resource-kubernetes"]
	versionFile := bin + ".version"
	if data, err := os.ReadFile(versionFile); err != nil || !strings.Contains(string(data), "f47bc2d6f199") {
		msg := fmt.Sprintf("%s was not built by scripts/install-pulumi-kubernetes (want v%s; no %s)", bin, ProviderVersion, versionFile)
		if os.Getenv("CI") == "true" {
			t.Fatal("CI=true: " + msg)
		}
		t.Skip(msg)
	}
}

// Release is what Helm's storage says of a release's newest revision.
type Release struct {
	Name, Namespace, Chart, Version string
	Revision                        int
	Status                          release.Status
}

func (r Release) String() string {
	return fmt.Sprintf("%s/%s %s-%s rev %d %s", r.Namespace, r.Name, r.Chart, r.Version, r.Revision, r.Status)
}

// Releases reads Helm's release records of a namespace (Secrets of type
// helm.sh/release.v1, Helm's default storage: pkg/storage/driver/secrets.go, labels name,
// owner=helm, status and version) and returns each release's newest revision, by name.
func (l *Lane) Releases(namespace string) map[string]Release {
	l.T.Helper()
	list, err := l.Cluster.Client.CoreV1().Secrets(namespace).List(context.Background(), metav1.ListOptions{LabelSelector: "owner=helm"})
	if err != nil {
		l.T.Fatalf("reading Helm's release records: %v", err)
	}
	out := map[string]Release{}
	for _, sec := range list.Items {
		rel, err := decodeRelease(sec.Data["release"])
		if err != nil {
			l.T.Fatalf("Helm release record %s: %v", sec.Name, err)
		}
		if cur, ok := out[rel.Name]; ok && cur.Revision > rel.Revision {
			continue
		}
		out[rel.Name] = rel
	}
	return out
}

// decodeRelease reads a release record: base64 of the gzipped JSON of the release
// (pkg/storage/driver/util.go, encodeRelease).
func decodeRelease(data []byte) (Release, error) {
	raw, err := base64.StdEncoding.DecodeString(string(data))
	if err != nil {
		return Release{}, err
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return Release{}, err
	}
	defer zr.Close()
	var r release.Release
	if err := json.NewDecoder(zr).Decode(&r); err != nil {
		return Release{}, err
	}
	out := Release{Name: r.Name, Namespace: r.Namespace, Revision: r.Version}
	if r.Info != nil {
		out.Status = r.Info.Status
	}
	if r.Chart != nil && r.Chart.Metadata != nil {
		out.Chart, out.Version = r.Chart.Metadata.Name, r.Chart.Metadata.Version
	}
	return out, nil
}

// describeReleases lists releases one a line, sorted.
func describeReleases(rs map[string]Release) string {
	var lines []string
	for _, r := range rs {
		lines = append(lines, "  "+r.String())
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// ConfigMap reads a ConfigMap's data.
func (l *Lane) ConfigMap(namespace, name string) map[string]string {
	l.T.Helper()
	cm, err := l.Cluster.Client.CoreV1().ConfigMaps(namespace).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		l.T.Fatalf("reading ConfigMap %s/%s: %v", namespace, name, err)
	}
	return cm.Data
}

// requireDownloads fails for every want that no successful download from the chart mirror
// contains.
func (l *Lane) requireDownloads(t *testing.T, wants ...string) {
	t.Helper()
	var got []string
	for _, r := range l.Mirror.Requests() {
		if strings.HasPrefix(r, "200 GET ") {
			got = append(got, r)
		}
	}
	for _, want := range wants {
		if !slices.ContainsFunc(got, func(r string) bool { return strings.Contains(r, want) }) {
			t.Errorf("no download of %s from the chart mirror:\n  %s", want, strings.Join(l.Mirror.Requests(), "\n  "))
		}
	}
}

// requireContains fails for every want that text (what, for the message) lacks.
func requireContains(t *testing.T, what, text string, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(text, want) {
			t.Errorf("%s lacks %q:\n%s", what, want, text)
		}
	}
}

// Pods lists a namespace's pods matching a label selector.
func (l *Lane) Pods(namespace, selector string) []corev1.Pod {
	l.T.Helper()
	list, err := l.Cluster.Client.CoreV1().Pods(namespace).List(context.Background(), metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		l.T.Fatal(err)
	}
	return list.Items
}
