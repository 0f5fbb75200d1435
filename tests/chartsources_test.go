package tests

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/eks-cilium/eks-cilium/charts"
	"github.com/eks-cilium/eks-cilium/program"
	"github.com/eks-cilium/eks-cilium/render"
	"github.com/eks-cilium/eks-cilium/stackconfig"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// mirrorStack is the example of a stack that pulls every chart from a private ECR.
const mirrorStack = "../examples/mirror/Pulumi.mirror.yaml"

// releaseChart is what a rendered Release was given: chart, repositoryOpts.repo, version.
func releaseChart(t *testing.T, r render.Resource) charts.Ref {
	t.Helper()
	ref := charts.Ref{Chart: r.Inputs["chart"].StringValue(), Version: r.Inputs["version"].StringValue()}
	if opts, ok := r.Inputs["repositoryOpts"]; ok && opts.IsObject() {
		ref.Repo = opts.ObjectValue()["repo"].StringValue()
	}
	return ref
}

// releasesByName are the rendered Releases by release name.
func releasesByName(t *testing.T, res *render.Result) map[string]charts.Ref {
	t.Helper()
	out := map[string]charts.Ref{}
	for _, r := range ofType(res, typeRelease) {
		out[r.Inputs["name"].StringValue()] = releaseChart(t, r)
	}
	return out
}

func TestRender_ShowsWhereEveryChartComesFrom(t *testing.T) {
	const ecr = "oci://123456789012.dkr.ecr.eu-west-1.amazonaws.com/helm-mirror/"
	res := renderStack(t, mirrorStack, nil)
	got := releasesByName(t, res)
	for name, want := range map[string]charts.Ref{
		"cilium":                       {Chart: ecr + "cilium", Version: "1.19.6"},
		"metrics-server":               {Chart: ecr + "metrics-server", Version: "3.13.1"},
		"aws-load-balancer-controller": {Chart: ecr + "aws-load-balancer-controller", Version: "3.5.0"},
		"karpenter-crd":                {Chart: ecr + "karpenter-crd", Version: "1.14.1"},
		"karpenter":                    {Chart: ecr + "karpenter", Version: "1.14.1"},
	} {
		if got[name] != want {
			t.Errorf("release %s: %+v, want %+v", name, got[name], want)
		}
	}
	var crds []string
	for _, r := range ofType(res, "kubernetes:yaml/v2:ConfigFile") {
		crds = append(crds, r.Inputs["file"].StringValue())
	}
	if strings.Join(crds, " ") != "https://artifacts.example.internal/aws-load-balancer-controller/3.5.0/crds.yaml https://artifacts.example.internal/aws-load-balancer-controller/3.5.0/gateway-crds.yaml" {
		t.Errorf("the controller's CRDs are read from %q", crds)
	}
	if w := res.Plan.Warnings(); len(w) > 0 {
		t.Errorf("the example warns: %v", w)
	}

	text, err := render.Stack(mirrorStack, render.Options{}, "text", false)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{
		"Helm charts (eks-cilium:chartSources; docs/charts.md)",
		"  cilium                       cilium 1.19.6                        " + ecr + "cilium (OCI registry)",
		"  karpenter                    karpenter 1.14.1                     " + ecr + "karpenter (OCI registry)",
		"    CRDs: https://artifacts.example.internal/aws-load-balancer-controller/3.5.0/gateway-crds.yaml",
	} {
		if !strings.Contains(text, line+"\n") {
			t.Errorf("the text render lacks %q", line)
		}
	}
	out, err := render.Stack(mirrorStack, render.Options{}, "json", false)
	if err != nil {
		t.Fatal(err)
	}
	var rep render.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Charts) != 5 || !reflect.DeepEqual(rep.Charts[0], render.ChartView{Release: "cilium", Chart: "cilium", Version: "1.19.6", Source: "oci", From: ecr + "cilium"}) ||
		len(rep.Charts[2].Crds) != 2 {
		t.Errorf("JSON charts: %+v", rep.Charts)
	}
}

func TestRender_ShippedStacksPullFromUpstream(t *testing.T) {
	for _, stack := range []string{"dev", "prod"} {
		out, err := render.Stack("../stacks/Pulumi."+stack+".yaml", render.Options{}, "json", false)
		if err != nil {
			t.Fatal(err)
		}
		var rep render.Report
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatal(err)
		}
		if len(rep.Charts) == 0 {
			t.Fatalf("%s: no charts in the render", stack)
		}
		for _, c := range rep.Charts {
			if c.Source != charts.SourceUpstream {
				t.Errorf("%s: %s comes from %s (%s), want upstream", stack, c.Release, c.From, c.Source)
			}
		}
	}
}

// localStack writes the dev stack with every chart from an archive of dir (absolute paths)
// and returns its path.
func localStack(t *testing.T, dir string, archives map[string]string) string {
	t.Helper()
	data, err := os.ReadFile("../stacks/Pulumi.dev.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.Write(data)
	b.WriteString("  eks-cilium:chartSources:\n")
	for _, field := range []string{"cilium", "metricsServer", "awsLoadBalancerController", "karpenter", "karpenterCrd"} {
		b.WriteString("    " + field + ":\n      path: " + filepath.Join(dir, archives[field]) + "\n")
	}
	path := filepath.Join(t.TempDir(), "Pulumi.local.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

var publishedArchives = map[string]string{
	"cilium": "cilium-1.19.6.tgz", "metricsServer": "metrics-server-3.13.1.tgz",
	"awsLoadBalancerController": "aws-load-balancer-controller-3.5.0.tgz",
	"karpenter":                 "karpenter-1.14.1.tgz", "karpenterCrd": "karpenter-crd-1.14.1.tgz",
}

// sharedCharts is ../shared/charts as an absolute path; it skips (fails under CI) when the
// published charts are not there.
func sharedCharts(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("../../shared/charts")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "cilium-1.19.6.tgz")); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI: the published charts are not in ../shared/charts: %v", err)
		}
		t.Skip("the published charts are not in ../shared/charts beside the repository")
	}
	return dir
}

func TestRender_InstallsThePublishedArchivesFromDisk(t *testing.T) {
	dir := sharedCharts(t)
	path := localStack(t, dir, publishedArchives)
	cfg, values, err := stackconfig.LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	res, err := render.Run(cfg.Stack, values, render.Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := releasesByName(t, res)
	for name, file := range map[string]string{
		"cilium": "cilium-1.19.6.tgz", "metrics-server": "metrics-server-3.13.1.tgz",
		"aws-load-balancer-controller": "aws-load-balancer-controller-3.5.0.tgz",
		"karpenter":                    "karpenter-1.14.1.tgz", "karpenter-crd": "karpenter-crd-1.14.1.tgz",
	} {
		if r := got[name]; r.Chart != filepath.Join(dir, file) || r.Repo != "" {
			t.Errorf("release %s: %+v, want chart %s and no repository", name, r, filepath.Join(dir, file))
		}
	}
	if got["cilium-preflight"] != (charts.Ref{}) {
		t.Errorf("a first deployment installs the pre-flight check: %+v", got["cilium-preflight"])
	}
}

func TestProgram_ArchiveOfAnotherVersionRegistersNothing(t *testing.T) {
	dir := sharedCharts(t)
	// Cilium 1.20.0's archive under 1.19.6's name: only its Chart.yaml tells.
	tmp := t.TempDir()
	data, err := os.ReadFile(filepath.Join(dir, "cilium-1.20.0.tgz"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tmp, "cilium-1.19.6.tgz"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	archives := map[string]string{}
	for k, v := range publishedArchives {
		archives[k] = filepath.Join(dir, v)
	}
	archives["cilium"] = filepath.Join(tmp, "cilium-1.19.6.tgz")
	archives["karpenter"] = filepath.Join(tmp, "karpenter-1.14.1.tgz") // not there
	path := localStack(t, "/", archives)
	_, values, err := stackconfig.LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	mocks := &countingMocks{}
	err = pulumi.RunErr(program.Run, pulumi.WithMocks("eks-cilium", "local", mocks), func(info *pulumi.RunInfo) {
		info.Config = values
		info.DryRun = true
	})
	var probs stackconfig.Problems
	if !errors.As(err, &probs) {
		t.Fatalf("err = %v, want stackconfig.Problems", err)
	}
	want := map[string]string{
		"eks-cilium:chartSources.cilium.path":    "holds cilium 1.20.0, not the pinned version 1.19.6 (eks-cilium:cilium.version)",
		"eks-cilium:chartSources.karpenter.path": "no such file: " + archives["karpenter"],
	}
	if len(probs) != len(want) {
		t.Fatalf("want %d problems, got %v", len(want), probs)
	}
	for _, p := range probs {
		if p.Value != archives[strings.TrimSuffix(strings.TrimPrefix(p.Key, "eks-cilium:chartSources."), ".path")] || !strings.Contains(p.Rule, want[p.Key]) || want[p.Key] == "" {
			t.Errorf("%s = %q: %s\nwant it to say %q", p.Key, p.Value, p.Rule, want[p.Key])
		}
	}
	if len(mocks.types) != 0 {
		t.Errorf("registered %d resources before refusing: %v", len(mocks.types), mocks.types)
	}
}
