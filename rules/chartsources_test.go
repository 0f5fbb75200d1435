package rules

import (
	"sort"
	"strings"
	"testing"

	"github.com/eks-cilium/eks-cilium/stackconfig"
)

// sourcesStack is addonsStack with Karpenter too: every chart is installed.
func sourcesStack() stackconfig.Config {
	cfg := addonsStack()
	cfg.Karpenter = &stackconfig.KarpenterConfig{Version: "1.14.1"}
	return cfg
}

func TestCheckChartSources_AcceptsEachForm(t *testing.T) {
	for name, srcs := range map[string]*stackconfig.ChartSourcesConfig{
		"no key":    nil,
		"empty key": {},
		"https mirrors": {
			Cilium:                    &stackconfig.ChartSource{Repository: "https://charts.example.internal/cilium"},
			MetricsServer:             &stackconfig.ChartSource{Repository: "https://artifactory.example.internal:8443/artifactory/api/helm/helm-remote/"},
			AwsLoadBalancerController: &stackconfig.LoadBalancerControllerSource{Repository: "https://charts.example.internal/eks", Crds: "https://files.example.internal/lbc/v3.5.0"},
			Karpenter:                 &stackconfig.ChartSource{Repository: "https://charts.example.internal/karpenter"},
			KarpenterCrd:              &stackconfig.ChartSource{Repository: "https://charts.example.internal/karpenter"},
		},
		"a private ECR": {
			Cilium:                    &stackconfig.ChartSource{Repository: "oci://123456789012.dkr.ecr.eu-west-1.amazonaws.com/helm"},
			MetricsServer:             &stackconfig.ChartSource{Repository: "oci://123456789012.dkr.ecr.eu-west-1.amazonaws.com/helm/"},
			AwsLoadBalancerController: &stackconfig.LoadBalancerControllerSource{Repository: "oci://123456789012.dkr.ecr.eu-west-1.amazonaws.com/helm", Crds: "vendor/lbc-crds"},
			Karpenter:                 &stackconfig.ChartSource{Repository: "oci://123456789012.dkr.ecr.eu-west-1.amazonaws.com/karpenter"},
			KarpenterCrd:              &stackconfig.ChartSource{Repository: "oci://registry.example.internal:5000"},
		},
		"local archives": {
			Cilium:                    &stackconfig.ChartSource{Path: "charts/cilium-1.19.6.tgz"},
			MetricsServer:             &stackconfig.ChartSource{Path: "./charts/metrics-server-3.13.1.tgz"},
			AwsLoadBalancerController: &stackconfig.LoadBalancerControllerSource{Path: "/opt/charts/aws-load-balancer-controller-3.5.0.tgz", Crds: "/opt/charts/lbc-crds"},
			Karpenter:                 &stackconfig.ChartSource{Path: "../vendor/karpenter-1.14.1.tgz"},
			KarpenterCrd:              &stackconfig.ChartSource{Path: "../vendor/karpenter-crd-1.14.1.tgz"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			cfg := sourcesStack()
			cfg.ChartSources = srcs
			warnings, refusals := CheckChartSources(cfg)
			if len(refusals) > 0 || len(warnings) > 0 {
				t.Errorf("warned %v, refused %v", warnings, refusals)
			}
		})
	}
}

func TestCheckChartSources_RefusesWhatHelmCannotUseSafely(t *testing.T) {
	for _, tc := range []struct {
		name       string
		srcs       *stackconfig.ChartSourcesConfig
		key, value string
		rule       string
	}{
		{"both repository and path", &stackconfig.ChartSourcesConfig{Cilium: &stackconfig.ChartSource{Repository: "https://charts.example.internal", Path: "charts/cilium-1.19.6.tgz"}},
			"eks-cilium:chartSources.cilium.path", "charts/cilium-1.19.6.tgz", "is set together with repository"},
		{"neither", &stackconfig.ChartSourcesConfig{MetricsServer: &stackconfig.ChartSource{}},
			"eks-cilium:chartSources.metricsServer", "", "gives neither repository nor path"},
		{"the controller's entry with only crds", &stackconfig.ChartSourcesConfig{AwsLoadBalancerController: &stackconfig.LoadBalancerControllerSource{Crds: "vendor/crds"}},
			"eks-cilium:chartSources.awsLoadBalancerController", "", "gives neither repository nor path"},
		{"plain http", &stackconfig.ChartSourcesConfig{Cilium: &stackconfig.ChartSource{Repository: "http://charts.example.internal"}},
			"eks-cilium:chartSources.cilium.repository", "http://charts.example.internal", "unauthenticated and in clear"},
		{"plain http on loopback", &stackconfig.ChartSourcesConfig{Cilium: &stackconfig.ChartSource{Repository: "http://127.0.0.1:8080"}},
			"eks-cilium:chartSources.cilium.repository", "http://127.0.0.1:8080", "http:// is refused"},
		{"another scheme", &stackconfig.ChartSourcesConfig{Karpenter: &stackconfig.ChartSource{Repository: "s3://charts/karpenter"}},
			"eks-cilium:chartSources.karpenter.repository", "s3://charts/karpenter", "must be an https:// Helm repository URL or an oci:// registry prefix"},
		{"a repository alias", &stackconfig.ChartSourcesConfig{Karpenter: &stackconfig.ChartSource{Repository: "karpenter"}},
			"eks-cilium:chartSources.karpenter.repository", "karpenter", "must be an https:// Helm repository URL or an oci:// registry prefix"},
		{"no host", &stackconfig.ChartSourcesConfig{Cilium: &stackconfig.ChartSource{Repository: "oci:///helm"}},
			"eks-cilium:chartSources.cilium.repository", "oci:///helm", "names no host"},
		{"credentials in the URL", &stackconfig.ChartSourcesConfig{Cilium: &stackconfig.ChartSource{Repository: "https://ci:s3cret@charts.example.internal"}},
			"eks-cilium:chartSources.cilium.repository", "https://ci:s3cret@charts.example.internal", "stored in the Pulumi state"},
		{"a query", &stackconfig.ChartSourcesConfig{Cilium: &stackconfig.ChartSource{Repository: "https://charts.example.internal/?token=x"}},
			"eks-cilium:chartSources.cilium.repository", "https://charts.example.internal/?token=x", "query or fragment"},
		{"an OCI reference with a tag", &stackconfig.ChartSourcesConfig{KarpenterCrd: &stackconfig.ChartSource{Repository: "oci://public.ecr.aws/karpenter/karpenter-crd:1.14.1"}},
			"eks-cilium:chartSources.karpenterCrd.repository", "oci://public.ecr.aws/karpenter/karpenter-crd:1.14.1", "not a chart reference: the chart's name is appended"},
		{"an OCI prefix in capitals", &stackconfig.ChartSourcesConfig{Karpenter: &stackconfig.ChartSource{Repository: "oci://registry.example.internal/Helm"}},
			"eks-cilium:chartSources.karpenter.repository", "oci://registry.example.internal/Helm", "lower-case"},
		{"an archive of another version", &stackconfig.ChartSourcesConfig{Cilium: &stackconfig.ChartSource{Path: "charts/cilium-1.19.5.tgz"}},
			"eks-cilium:chartSources.cilium.path", "charts/cilium-1.19.5.tgz", "must name the archive cilium-1.19.6.tgz"},
		{"an archive named otherwise", &stackconfig.ChartSourcesConfig{Karpenter: &stackconfig.ChartSource{Path: "charts/karpenter.tgz"}},
			"eks-cilium:chartSources.karpenter.path", "charts/karpenter.tgz", "(the version pinned by eks-cilium:karpenter.version)"},
		{"not an archive", &stackconfig.ChartSourcesConfig{MetricsServer: &stackconfig.ChartSource{Path: "charts/metrics-server"}},
			"eks-cilium:chartSources.metricsServer.path", "charts/metrics-server", "must name the archive metrics-server-3.13.1.tgz"},
		{"a URL as path", &stackconfig.ChartSourcesConfig{Cilium: &stackconfig.ChartSource{Path: "https://charts.example.internal/cilium-1.19.6.tgz"}},
			"eks-cilium:chartSources.cilium.path", "https://charts.example.internal/cilium-1.19.6.tgz", "is a URL, not a file"},
		{"CRDs over http", &stackconfig.ChartSourcesConfig{AwsLoadBalancerController: &stackconfig.LoadBalancerControllerSource{Repository: "https://charts.example.internal", Crds: "http://files.example.internal/lbc"}},
			"eks-cilium:chartSources.awsLoadBalancerController.crds", "http://files.example.internal/lbc", "unauthenticated and in clear"},
		{"CRDs from another scheme", &stackconfig.ChartSourcesConfig{AwsLoadBalancerController: &stackconfig.LoadBalancerControllerSource{Repository: "https://charts.example.internal", Crds: "s3://files/lbc"}},
			"eks-cilium:chartSources.awsLoadBalancerController.crds", "s3://files/lbc", "must be an https:// URL or a local directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := sourcesStack()
			cfg.ChartSources = tc.srcs
			_, refusals := CheckChartSources(cfg)
			if len(refusals) != 1 {
				t.Fatalf("want one refusal, got %v", refusals)
			}
			p := refusals[0]
			if p.Key != tc.key || p.Value != tc.value || !strings.Contains(p.Rule, tc.rule) {
				t.Errorf("refused %s = %q: %s\nwant %s = %q: ...%s...", p.Key, p.Value, p.Rule, tc.key, tc.value, tc.rule)
			}
		})
	}
}

func TestCheckChartSources_WarnsAboutWhatChangesNothingOrStillReachesUpstream(t *testing.T) {
	for _, tc := range []struct {
		name       string
		edit       func(*stackconfig.Config)
		key, value string
		rule       string
	}{
		{"a chart the stack does not install", func(c *stackconfig.Config) {
			c.Addons.MetricsServer = nil
			c.ChartSources = &stackconfig.ChartSourcesConfig{MetricsServer: &stackconfig.ChartSource{Repository: "oci://registry.example.internal/helm"}}
		}, "eks-cilium:chartSources.metricsServer", "oci://registry.example.internal/helm", "has no effect: the stack does not install metrics-server (eks-cilium:addons.metricsServer is not set)"},
		{"Karpenter's charts without Karpenter", func(c *stackconfig.Config) {
			c.Karpenter = nil
			c.ChartSources = &stackconfig.ChartSourcesConfig{KarpenterCrd: &stackconfig.ChartSource{Path: "charts/karpenter-crd-1.14.1.tgz"}}
		}, "eks-cilium:chartSources.karpenterCrd", "charts/karpenter-crd-1.14.1.tgz", "(eks-cilium:karpenter is not set)"},
		{"karpenter mirrored, karpenter-crd not", func(c *stackconfig.Config) {
			c.ChartSources = &stackconfig.ChartSourcesConfig{Karpenter: &stackconfig.ChartSource{Repository: "oci://registry.example.internal/karpenter"}}
		}, "eks-cilium:chartSources.karpenterCrd", "", "is upstream (oci://public.ecr.aws/karpenter) while eks-cilium:chartSources.karpenter is not"},
		{"the controller mirrored, its CRDs not", func(c *stackconfig.Config) {
			c.ChartSources = &stackconfig.ChartSourcesConfig{AwsLoadBalancerController: &stackconfig.LoadBalancerControllerSource{Repository: "oci://registry.example.internal/eks"}}
		}, "eks-cilium:chartSources.awsLoadBalancerController.crds", "", "still downloaded from raw.githubusercontent.com"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := sourcesStack()
			tc.edit(&cfg)
			warnings, refusals := CheckChartSources(cfg)
			if len(refusals) > 0 {
				t.Errorf("refused %v", refusals)
			}
			if len(warnings) != 1 {
				t.Fatalf("want one warning, got %v", warnings)
			}
			w := warnings[0]
			if w.Key != tc.key || w.Value != tc.value || !strings.Contains(w.Rule, tc.rule) {
				t.Errorf("warned %s = %q: %s\nwant %s = %q: ...%s...", w.Key, w.Value, w.Rule, tc.key, tc.value, tc.rule)
			}
		})
	}
}

func TestCheckChartSources_ReportsEveryEntryAtOnce(t *testing.T) {
	cfg := sourcesStack()
	cfg.ChartSources = &stackconfig.ChartSourcesConfig{
		Cilium:        &stackconfig.ChartSource{Repository: "http://charts.example.internal"},
		MetricsServer: &stackconfig.ChartSource{Path: "metrics-server-1.0.0.tgz"},
		Karpenter:     &stackconfig.ChartSource{},
		KarpenterCrd:  &stackconfig.ChartSource{Repository: "ftp://x"},
	}
	_, refusals := CheckChartSources(cfg)
	var keys []string
	for _, p := range refusals {
		keys = append(keys, p.Key)
	}
	sort.Strings(keys)
	want := "eks-cilium:chartSources.cilium.repository eks-cilium:chartSources.karpenter eks-cilium:chartSources.karpenterCrd.repository eks-cilium:chartSources.metricsServer.path"
	if got := strings.Join(keys, " "); got != want {
		t.Errorf("refused %s\nwant %s", got, want)
	}
}
