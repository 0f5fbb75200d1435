package charts

import (
	"reflect"
	"strings"
	"testing"

	"github.com/eks-cilium/eks-cilium/stackconfig"
)

func TestChartRef_MapsEachSourceToTheReleaseInputs(t *testing.T) {
	for _, tc := range []struct {
		chart   Chart
		src     *stackconfig.ChartSource
		version string
		want    Ref
	}{
		// Upstream: exactly what the components registered before sources were configurable,
		// so a deployed stack sees no diff.
		{Cilium, nil, "1.19.6", Ref{Chart: "cilium", Repo: "https://helm.cilium.io", Version: "1.19.6"}},
		{MetricsServer, nil, "3.13.1", Ref{Chart: "metrics-server", Repo: "https://kubernetes-sigs.github.io/metrics-server/", Version: "3.13.1"}},
		{LoadBalancerController, nil, "3.5.0", Ref{Chart: "aws-load-balancer-controller", Repo: "https://aws.github.io/eks-charts", Version: "3.5.0"}},
		{Karpenter, nil, "1.14.1", Ref{Chart: "oci://public.ecr.aws/karpenter/karpenter", Version: "1.14.1"}},
		{KarpenterCRD, nil, "1.14.1", Ref{Chart: "oci://public.ecr.aws/karpenter/karpenter-crd", Version: "1.14.1"}},

		// A mirror repository: repositoryOpts.repo, the bare chart name.
		{Cilium, &stackconfig.ChartSource{Repository: "https://charts.example.internal/cilium"}, "1.19.6",
			Ref{Chart: "cilium", Repo: "https://charts.example.internal/cilium", Version: "1.19.6"}},
		{MetricsServer, &stackconfig.ChartSource{Repository: "https://artifactory.example.internal/helm-remote/"}, "3.13.1",
			Ref{Chart: "metrics-server", Repo: "https://artifactory.example.internal/helm-remote/", Version: "3.13.1"}},
		{LoadBalancerController, &stackconfig.ChartSource{Repository: "https://charts.example.internal/eks"}, "3.5.0",
			Ref{Chart: "aws-load-balancer-controller", Repo: "https://charts.example.internal/eks", Version: "3.5.0"}},
		{Karpenter, &stackconfig.ChartSource{Repository: "https://charts.example.internal/karpenter"}, "1.14.1",
			Ref{Chart: "karpenter", Repo: "https://charts.example.internal/karpenter", Version: "1.14.1"}},
		{KarpenterCRD, &stackconfig.ChartSource{Repository: "https://charts.example.internal/karpenter"}, "1.14.1",
			Ref{Chart: "karpenter-crd", Repo: "https://charts.example.internal/karpenter", Version: "1.14.1"}},

		// An OCI registry: <prefix>/<name> as the chart, no repositoryOpts, the version is the tag.
		{Cilium, &stackconfig.ChartSource{Repository: "oci://123456789012.dkr.ecr.eu-west-1.amazonaws.com/helm"}, "1.19.6",
			Ref{Chart: "oci://123456789012.dkr.ecr.eu-west-1.amazonaws.com/helm/cilium", Version: "1.19.6"}},
		{MetricsServer, &stackconfig.ChartSource{Repository: "oci://registry.example.internal/"}, "3.13.1",
			Ref{Chart: "oci://registry.example.internal/metrics-server", Version: "3.13.1"}},
		{LoadBalancerController, &stackconfig.ChartSource{Repository: "oci://registry.example.internal:5000/mirror/eks-charts"}, "3.5.0",
			Ref{Chart: "oci://registry.example.internal:5000/mirror/eks-charts/aws-load-balancer-controller", Version: "3.5.0"}},
		{Karpenter, &stackconfig.ChartSource{Repository: "oci://123456789012.dkr.ecr.eu-west-1.amazonaws.com/karpenter/"}, "1.14.1",
			Ref{Chart: "oci://123456789012.dkr.ecr.eu-west-1.amazonaws.com/karpenter/karpenter", Version: "1.14.1"}},
		{KarpenterCRD, &stackconfig.ChartSource{Repository: "oci://123456789012.dkr.ecr.eu-west-1.amazonaws.com/karpenter"}, "1.14.1",
			Ref{Chart: "oci://123456789012.dkr.ecr.eu-west-1.amazonaws.com/karpenter/karpenter-crd", Version: "1.14.1"}},

		// A local archive: the path as the chart ("./" in front of a relative one), no repositoryOpts.
		{Cilium, &stackconfig.ChartSource{Path: "charts/cilium-1.19.6.tgz"}, "1.19.6", Ref{Chart: "./charts/cilium-1.19.6.tgz", Version: "1.19.6"}},
		{MetricsServer, &stackconfig.ChartSource{Path: "./vendor//metrics-server-3.13.1.tgz"}, "3.13.1", Ref{Chart: "./vendor/metrics-server-3.13.1.tgz", Version: "3.13.1"}},
		{LoadBalancerController, &stackconfig.ChartSource{Path: "../charts/aws-load-balancer-controller-3.5.0.tgz"}, "3.5.0",
			Ref{Chart: "../charts/aws-load-balancer-controller-3.5.0.tgz", Version: "3.5.0"}},
		{Karpenter, &stackconfig.ChartSource{Path: "/opt/charts/karpenter-1.14.1.tgz"}, "1.14.1", Ref{Chart: "/opt/charts/karpenter-1.14.1.tgz", Version: "1.14.1"}},
		{KarpenterCRD, &stackconfig.ChartSource{Path: "karpenter-crd-1.14.1.tgz"}, "1.14.1", Ref{Chart: "./karpenter-crd-1.14.1.tgz", Version: "1.14.1"}},
	} {
		name := tc.chart.Name + " from upstream"
		if tc.src != nil {
			name = tc.chart.Name + " from " + tc.src.Repository + tc.src.Path
		}
		t.Run(name, func(t *testing.T) {
			if got := tc.chart.Ref(tc.version, tc.src); got != tc.want {
				t.Errorf("Ref = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestCharts_UpstreamIsWhatTheConfigReferenceSays(t *testing.T) {
	typ := reflect.TypeFor[stackconfig.ChartSourcesConfig]()
	if typ.NumField() != len(Charts) {
		t.Fatalf("stackconfig.ChartSourcesConfig has %d fields, package charts knows %d charts", typ.NumField(), len(Charts))
	}
	for i, c := range Charts {
		f := typ.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name != c.Field {
			t.Errorf("field %d of chartSources is %q, Charts[%d] is %q", i, name, i, c.Field)
		}
		// The reference page shows the derived text as the entry's default.
		if got := f.Tag.Get("derived"); got != c.Upstream {
			t.Errorf("chartSources.%s says its default is %q, the chart is published at %q", name, got, c.Upstream)
		}
	}
}

func TestReleases_ListsEveryInstalledReleaseWithItsSource(t *testing.T) {
	cfg := stackconfig.Defaults()
	if got := releaseNames(Releases(cfg)); got != "cilium" {
		t.Errorf("a stack without add-ons installs %q, want cilium only", got)
	}
	cfg = everyChart()
	cfg.ChartSources = &stackconfig.ChartSourcesConfig{
		Cilium:                    &stackconfig.ChartSource{Path: "charts/cilium-1.19.6.tgz"},
		AwsLoadBalancerController: &stackconfig.LoadBalancerControllerSource{Repository: "https://charts.example.internal", Crds: "https://files.example.internal/lbc"},
		KarpenterCrd:              &stackconfig.ChartSource{Repository: "oci://registry.example.internal/karpenter"},
	}
	rs := Releases(cfg)
	if got := releaseNames(rs); got != "cilium metrics-server aws-load-balancer-controller karpenter-crd karpenter" {
		t.Fatalf("releases %q", got)
	}
	for _, tc := range []struct {
		release, kind, from, version string
	}{
		{"cilium", SourcePath, "./charts/cilium-1.19.6.tgz", "1.19.6"},
		{"metrics-server", SourceUpstream, "https://kubernetes-sigs.github.io/metrics-server/", "3.13.1"},
		{"aws-load-balancer-controller", SourceRepository, "https://charts.example.internal", "3.5.0"},
		{"karpenter-crd", SourceOCI, "oci://registry.example.internal/karpenter/karpenter-crd", "1.14.1"},
		{"karpenter", SourceUpstream, "oci://public.ecr.aws/karpenter/karpenter", "1.14.1"},
	} {
		var r Release
		for _, x := range rs {
			if x.Name == tc.release {
				r = x
			}
		}
		if r.Kind() != tc.kind || r.From() != tc.from || r.Version != tc.version || r.Ref.Version != tc.version {
			t.Errorf("%s: kind %q from %q version %q (ref %+v), want %q from %q version %q", tc.release, r.Kind(), r.From(), r.Version, r.Ref, tc.kind, tc.from, tc.version)
		}
	}
}

func releaseNames(rs []Release) string {
	var names []string
	for _, r := range rs {
		names = append(names, r.Name)
	}
	return strings.Join(names, " ")
}

func TestLoadBalancerControllerCRDs_ReadFromTheConfiguredPlace(t *testing.T) {
	for _, tc := range []struct {
		name string
		src  *stackconfig.LoadBalancerControllerSource
		want []string
	}{
		{"upstream", nil, []string{
			"https://raw.githubusercontent.com/kubernetes-sigs/aws-load-balancer-controller/v3.5.0/helm/aws-load-balancer-controller/crds/crds.yaml",
			"https://raw.githubusercontent.com/kubernetes-sigs/aws-load-balancer-controller/v3.5.0/helm/aws-load-balancer-controller/crds/gateway-crds.yaml"}},
		{"chart mirrored, CRDs not", &stackconfig.LoadBalancerControllerSource{Repository: "oci://registry.example.internal/eks"}, []string{
			"https://raw.githubusercontent.com/kubernetes-sigs/aws-load-balancer-controller/v3.5.0/helm/aws-load-balancer-controller/crds/crds.yaml",
			"https://raw.githubusercontent.com/kubernetes-sigs/aws-load-balancer-controller/v3.5.0/helm/aws-load-balancer-controller/crds/gateway-crds.yaml"}},
		{"an https mirror", &stackconfig.LoadBalancerControllerSource{Repository: "oci://registry.example.internal/eks", Crds: "https://files.example.internal/lbc/v3.5.0/"},
			[]string{"https://files.example.internal/lbc/v3.5.0/crds.yaml", "https://files.example.internal/lbc/v3.5.0/gateway-crds.yaml"}},
		{"a relative directory", &stackconfig.LoadBalancerControllerSource{Path: "vendor/aws-load-balancer-controller-3.5.0.tgz", Crds: "vendor/aws-load-balancer-controller/crds"},
			[]string{"./vendor/aws-load-balancer-controller/crds/crds.yaml", "./vendor/aws-load-balancer-controller/crds/gateway-crds.yaml"}},
		{"an absolute directory", &stackconfig.LoadBalancerControllerSource{Path: "/opt/charts/aws-load-balancer-controller-3.5.0.tgz", Crds: "/opt/lbc-crds"},
			[]string{"/opt/lbc-crds/crds.yaml", "/opt/lbc-crds/gateway-crds.yaml"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ms, ok := LoadBalancerControllerCRDs("3.5.0", tc.src)
			if !ok {
				t.Fatal("chart 3.5.0's release is not carried")
			}
			var got []string
			for _, m := range ms {
				got = append(got, m.File)
				if m.GitBlob == "" {
					t.Errorf("%s: no git blob hash to check a local copy against", m.Name)
				}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("files %q, want %q", got, tc.want)
			}
		})
	}
	if _, ok := LoadBalancerControllerCRDs("9.9.9", nil); ok {
		t.Error("a chart version without a carried release has CRD manifests")
	}
}

func TestChartNames_RecognisesEveryFormOfRef(t *testing.T) {
	for _, c := range Charts {
		for _, src := range []*stackconfig.ChartSource{
			nil,
			{Repository: "https://charts.example.internal"},
			{Repository: "oci://registry.example.internal/helm"},
			{Path: "vendor/" + c.ArchiveName("1.2.3")},
		} {
			if ref := c.Ref("1.2.3", src); !c.Names(ref.Chart) {
				t.Errorf("%s does not recognise its own chart input %q", c.Name, ref.Chart)
			}
		}
	}
	for chart, want := range map[string]bool{
		"cilium-envoy": false, "./charts/cilium-envoy-1.19.6.tgz": false, "./charts/cilium.tgz": false,
		"oci://quay.io/cilium/charts/tetragon": false, "./charts/cilium-1.19.6.tgz": true,
	} {
		if got := Cilium.Names(chart); got != want {
			t.Errorf("Cilium.Names(%q) = %v, want %v", chart, got, want)
		}
	}
	if KarpenterCRD.Names("oci://public.ecr.aws/karpenter/karpenter") || Karpenter.Names("./karpenter-crd-1.14.1.tgz") {
		t.Error("karpenter and karpenter-crd are told apart")
	}
}
