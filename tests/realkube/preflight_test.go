package realkube

import (
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/eks-cilium/eks-cilium/charts"
	"github.com/eks-cilium/eks-cilium/stackconfig"
	"github.com/eks-cilium/eks-cilium/tests/enginetest"
	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/release"
	corev1 "k8s.io/api/core/v1"
)

// preflightPods are the pods of Cilium's pre-flight check: its DaemonSet's and its
// Deployment's (chart templates/cilium-preflight, k8s-app labels).
func preflightPods(p *corev1.Pod) bool {
	app := p.Labels["k8s-app"]
	return app == "cilium-pre-flight-check" || app == "cilium-pre-flight-check-deployment"
}

// A Cilium minor upgrade (1.19.6 -> 1.20.0) through the real provider and Helm: the
// pre-flight check is installed as a release of its own from the target chart and waited
// for, and the main release is not touched while the check's pods are not ready; once they
// are, the main release is upgraded to the target chart with upgradeCompatibility kept at the
// first Cilium's minor. The next update with unchanged versions uninstalls the pre-flight
// release and changes nothing else. The agent DaemonSet is never replaced.
//
// The stack takes every chart from where eks-cilium:chartSources says, as an air-gapped team
// would: Cilium's from local archives (the main and the pre-flight release), metrics-server's
// and the load balancer controller's from a mirror repository, the controller's CRDs from a
// mirror base URL, Karpenter's two charts from a mirror OCI registry. The chart mirror answers
// only for those; nothing is fetched from an upstream host.
func TestRealKube_CiliumMinorUpgradeWaitsForThePreflightCheck(t *testing.T) {
	t.Parallel() // a control plane of its own: see doc.go
	l := NewLane(t, "dev", LaneOptions{ChartSources: mirroredSources(t, "1.19.6")})
	l.Stack.MustSucceed("first up", l.Stack.Up())
	dsUID := l.agentDaemonSetUID(t)
	before := l.Releases(charts.Namespace)[charts.CiliumRelease]
	if before.Version != "1.19.6" || before.Revision != 1 {
		t.Fatalf("Cilium after the first up: %s, want 1.19.6 at revision 1", before)
	}

	// The pre-flight pods stay Pending until the hold is lifted: the update must wait.
	lift := l.Kubelets.Hold(preflightPods)
	lifted := false
	defer func() {
		if !lifted {
			lift()
		}
	}()
	l.Stack.EditConfig(func(c map[string]any) {
		enginetest.CiliumConfig(c)["version"] = "1.20.0"
		// The archive named for the pinned version (chartSources.cilium.path).
		c[stackconfig.KeyChartSources].(map[string]any)["cilium"] = map[string]any{"path": sharedChart(t, "cilium-1.20.0.tgz")}
	})
	done := make(chan enginetest.Operation, 1)
	start := time.Now()
	go func() { done <- l.Stack.Up() }()

	// Wait until Helm has installed the pre-flight release (pending until its pods are ready)
	// and its pods exist, held.
	deadline := time.Now().Add(5 * time.Minute)
	for {
		pre, ok := l.Releases(charts.Namespace)[charts.CiliumPreflightRelease]
		held := 0
		for _, p := range l.Pods(charts.Namespace, "k8s-app in (cilium-pre-flight-check,cilium-pre-flight-check-deployment)") {
			if p.Status.Phase == corev1.PodPending {
				held++
			}
		}
		if ok && pre.Status == release.StatusPendingInstall && held > 0 {
			if pre.Version != "1.20.0" {
				t.Errorf("pre-flight release %s, want the target chart 1.20.0", pre)
			}
			break
		}
		select {
		case op := <-done:
			t.Fatalf("the update ended before the pre-flight check was waited for (err %v); releases:\n%s\n%s",
				op.Err, describeReleases(l.Releases(charts.Namespace)), op.Output)
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			lift()
			lifted = true
			<-done
			t.Fatalf("no pending pre-flight release with held pods within 5 minutes; releases:\n%s", describeReleases(l.Releases(charts.Namespace)))
		}
	}
	// While the check's pods are not ready, the main release stays as it was, for a while.
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(250 * time.Millisecond) {
		if cil := l.Releases(charts.Namespace)[charts.CiliumRelease]; cil.Revision != 1 || cil.Version != "1.19.6" {
			t.Fatalf("the main release changed while the pre-flight check was not ready: %s", cil)
		}
	}
	lift()
	lifted = true
	op := <-done
	l.Stack.MustSucceed("up to Cilium 1.20.0", op)
	t.Logf("the upgrade took %s", time.Since(start).Round(time.Second))

	releases := l.Releases(charts.Namespace)
	if pre := releases[charts.CiliumPreflightRelease]; pre.Status != release.StatusDeployed || pre.Version != "1.20.0" {
		t.Errorf("pre-flight release after the upgrade: %s, want 1.20.0 deployed", pre)
	}
	cil := releases[charts.CiliumRelease]
	if cil.Status != release.StatusDeployed || cil.Revision != 2 || cil.Version != "1.20.0" {
		t.Errorf("Cilium after the upgrade: %s, want 1.20.0 deployed at revision 2", cil)
	}
	// The values Helm recorded for revision 2 keep the first Cilium's minor.
	rel, err := action.NewGet(l.helmConfig(t)).Run(charts.CiliumRelease)
	if err != nil {
		t.Fatalf("reading the Cilium release: %v", err)
	}
	if got := rel.Config["upgradeCompatibility"]; got != "1.19" {
		t.Errorf("Cilium's values carry upgradeCompatibility %v, want the first Cilium's minor \"1.19\"", got)
	}
	if got := l.agentDaemonSetUID(t); got != dsUID {
		t.Errorf("the agent DaemonSet's uid changed in the upgrade: %s -> %s", dsUID, got)
	}

	// Unchanged versions: the pre-flight release goes, the main release stays at revision 2.
	l.Stack.MustSucceed("up with unchanged versions", l.Stack.Up())
	releases = l.Releases(charts.Namespace)
	if pre, ok := releases[charts.CiliumPreflightRelease]; ok && pre.Status != release.StatusUninstalled {
		t.Errorf("the pre-flight release is still there after the next up: %s", pre)
	}
	if got := releases[charts.CiliumRelease]; got.Revision != 2 || got.Status != release.StatusDeployed {
		t.Errorf("Cilium after the next up: %s, want revision 2 untouched", got)
	}
	if got := l.agentDaemonSetUID(t); got != dsUID {
		t.Errorf("the agent DaemonSet's uid changed: %s -> %s", dsUID, got)
	}
	l.requireAllDeployed(t, "after the upgrade")

	// Every download came from the configured mirrors; Cilium's none at all.
	l.requireDownloads(t, mirrorHost+"/metrics-server/metrics-server-3.13.1.tgz", mirrorHost+"/eks-charts/aws-load-balancer-controller-3.5.0.tgz",
		mirrorHost+"/lbc/v3.5.0/crds.yaml", mirrorHost+"/lbc/v3.5.0/gateway-crds.yaml",
		registryHost+"/v2/charts/karpenter/blobs/", registryHost+"/v2/charts/karpenter-crd/blobs/")
	upstream := []string{"raw.githubusercontent.com"} // the load balancer controller's CRDs
	for _, c := range charts.Charts {
		u, err := url.Parse(c.Upstream)
		if err != nil {
			t.Fatal(err)
		}
		upstream = append(upstream, u.Host)
	}
	for _, r := range l.Mirror.Requests() {
		for _, host := range upstream {
			if strings.Contains(r, host) {
				t.Errorf("a request to upstream %s: %s", host, r)
			}
		}
		if strings.Contains(r, "cilium") {
			t.Errorf("a request for Cilium's chart, want it read from the local archive: %s", r)
		}
	}
}

// The hosts of the mirror the sources scenario configures (RFC 2606 names: the chart mirror
// answers for them).
const (
	mirrorHost   = "charts.mirror.example.com"
	registryHost = "registry.mirror.example.com"
)

// sharedChart is the absolute path of a published chart archive in ../shared/charts: the
// inline program and the provider run in different directories, so a configured path is
// absolute here.
func sharedChart(t *testing.T, name string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join(enginetest.RepoRoot(t), "..", "shared", "charts", name))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// mirroredSources are chart sources an air-gapped team would configure: Cilium from a local
// archive, the other charts from an https mirror and an OCI registry of their own.
func mirroredSources(t *testing.T, ciliumVersion string) *stackconfig.ChartSourcesConfig {
	return &stackconfig.ChartSourcesConfig{
		Cilium:        &stackconfig.ChartSource{Path: sharedChart(t, "cilium-"+ciliumVersion+".tgz")},
		MetricsServer: &stackconfig.ChartSource{Repository: "https://" + mirrorHost + "/metrics-server"},
		AwsLoadBalancerController: &stackconfig.LoadBalancerControllerSource{
			Repository: "https://" + mirrorHost + "/eks-charts", Crds: "https://" + mirrorHost + "/lbc/v3.5.0",
		},
		Karpenter:    &stackconfig.ChartSource{Repository: "oci://" + registryHost + "/charts"},
		KarpenterCrd: &stackconfig.ChartSource{Repository: "oci://" + registryHost + "/charts"},
	}
}
