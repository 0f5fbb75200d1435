package charts

import (
	"strings"
	"testing"

	"github.com/eks-cilium/eks-cilium/stackconfig"
)

// everyChart is a stack that installs every chart, from upstream.
func everyChart() stackconfig.Config {
	cfg := stackconfig.Defaults()
	cfg.Addons = &stackconfig.AddonsConfig{
		MetricsServer:             &stackconfig.MetricsServerConfig{Version: "3.13.1"},
		AwsLoadBalancerController: &stackconfig.AwsLoadBalancerControllerConfig{Version: "3.5.0"},
	}
	cfg.Karpenter = &stackconfig.KarpenterConfig{Version: "1.14.1"}
	return cfg
}

// localStack installs every chart; Cilium, metrics-server and karpenter come from archives,
// the controller's CRDs from a directory.
func localStack() stackconfig.Config {
	cfg := everyChart()
	cfg.ChartSources = &stackconfig.ChartSourcesConfig{
		Cilium:                    &stackconfig.ChartSource{Path: "charts/cilium-1.19.6.tgz"},
		MetricsServer:             &stackconfig.ChartSource{Path: "charts/metrics-server-3.13.1.tgz"},
		AwsLoadBalancerController: &stackconfig.LoadBalancerControllerSource{Repository: "https://charts.example.internal", Crds: "crds"},
		Karpenter:                 &stackconfig.ChartSource{Path: "charts/karpenter-1.14.1.tgz"},
	}
	return cfg
}

// goodFacts are what the files of localStack hold when they are right.
func goodFacts() *LocalFacts {
	crds, _ := LoadBalancerControllerCRDs("3.5.0", nil)
	f := &LocalFacts{
		Archives: map[string]ArchiveFacts{
			"cilium":        {Name: "cilium", Version: "1.19.6"},
			"metricsServer": {Name: "metrics-server", Version: "3.13.1"},
			"karpenter":     {Name: "karpenter", Version: "1.14.1"},
		},
		CRDs: map[string]FileFacts{},
	}
	for _, m := range crds {
		f.CRDs[m.Name] = FileFacts{Path: "crds/" + m.Name, GitBlob: m.GitBlob}
	}
	return f
}

func TestCheckLocal_AcceptsTheChartsAtThePinnedVersions(t *testing.T) {
	if probs := CheckLocal(localStack(), goodFacts()); len(probs) > 0 {
		t.Errorf("refused the right archives: %v", probs)
	}
	if probs := CheckLocal(localStack(), nil); len(probs) > 0 {
		t.Errorf("facts not read, yet refused: %v", probs)
	}
}

func TestCheckLocal_RefusesAnotherChartOrVersion(t *testing.T) {
	for _, tc := range []struct {
		name        string
		edit        func(*LocalFacts)
		key, value  string
		ruleContain []string
	}{
		{"another version", func(f *LocalFacts) { f.Archives["cilium"] = ArchiveFacts{Name: "cilium", Version: "1.20.0"} },
			"eks-cilium:chartSources.cilium.path", "charts/cilium-1.19.6.tgz",
			[]string{"holds cilium 1.20.0, not the pinned version 1.19.6 (eks-cilium:cilium.version)", "installs the version the archive holds"}},
		{"another chart", func(f *LocalFacts) { f.Archives["metricsServer"] = ArchiveFacts{Name: "cilium", Version: "3.13.1"} },
			"eks-cilium:chartSources.metricsServer.path", "charts/metrics-server-3.13.1.tgz",
			[]string{`holds chart "cilium" 3.13.1, not metrics-server`}},
		{"not a chart", func(f *LocalFacts) {
			f.Archives["karpenter"] = ArchiveFacts{Err: "file 'x' does not appear to be a gzipped archive; got 'text/plain'"}
		},
			"eks-cilium:chartSources.karpenter.path", "charts/karpenter-1.14.1.tgz",
			[]string{"must be a packaged Helm chart", "gzipped archive"}},
		{"a CRD manifest edited", func(f *LocalFacts) {
			f.CRDs["crds.yaml"] = FileFacts{Path: "crds/crds.yaml", GitBlob: "0000000000000000000000000000000000000000"}
		},
			"eks-cilium:chartSources.awsLoadBalancerController.crds", "crds",
			[]string{"crds/crds.yaml is not the file of chart 3.5.0", "want f41daf7ae702"}},
		{"a CRD manifest missing", func(f *LocalFacts) {
			f.CRDs["gateway-crds.yaml"] = FileFacts{Path: "crds/gateway-crds.yaml", Err: "no such file: /p/crds/gateway-crds.yaml"}
		},
			"eks-cilium:chartSources.awsLoadBalancerController.crds", "crds",
			[]string{"must hold the controller's gateway-crds.yaml: no such file"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			facts := goodFacts()
			tc.edit(facts)
			probs := CheckLocal(localStack(), facts)
			if len(probs) != 1 {
				t.Fatalf("want one problem, got %v", probs)
			}
			p := probs[0]
			if p.Key != tc.key || p.Value != tc.value {
				t.Errorf("problem names %s = %q, want %s = %q", p.Key, p.Value, tc.key, tc.value)
			}
			for _, s := range tc.ruleContain {
				if !strings.Contains(p.Rule, s) {
					t.Errorf("rule %q does not say %q", p.Rule, s)
				}
			}
		})
	}
}
