package realkube

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/eks-cilium/eks-cilium/charts"
	ciliumcomp "github.com/eks-cilium/eks-cilium/components/cilium"
	"github.com/eks-cilium/eks-cilium/tests/enginetest"
	"github.com/eks-cilium/eks-cilium/tests/localkube"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"helm.sh/helm/v3/pkg/release"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

const releaseType = "kubernetes:helm.sh/v3:Release"

// devReleases are the Helm releases of the dev stack, by release name, with their charts.
var devReleases = map[string]string{
	charts.CiliumRelease:                 charts.CiliumChart,
	charts.MetricsServerRelease:          charts.MetricsServerChart,
	charts.LoadBalancerControllerRelease: charts.LoadBalancerControllerChart,
	charts.KarpenterCRDRelease:           charts.KarpenterCRDChart,
	charts.KarpenterRelease:              charts.KarpenterChart,
}

// appendPool adds cidr to the stack's pod CIDR pool.
func appendPool(s *enginetest.Stack, cidr string) {
	s.EditConfig(func(c map[string]any) {
		cil := enginetest.CiliumConfig(c)
		cil["clusterPoolIPv4PodCIDRList"] = append(cil["clusterPoolIPv4PodCIDRList"].([]any), cidr)
	})
}

// changed are the resources an operation changed, by URN, with the step and the changed
// properties the engine reported: the outputs events whose step is not same, refresh or read.
// In a refresh, a resource whose read-back state differs from the state is an update.
func changed(evs []events.EngineEvent) map[string]string {
	out := map[string]string{}
	for _, e := range evs {
		if e.ResOutputsEvent == nil {
			continue
		}
		md := e.ResOutputsEvent.Metadata
		switch md.Op {
		case apitype.OpSame, apitype.OpRefresh, apitype.OpRead:
			continue
		}
		keys := slices.Clone(md.Diffs)
		for k := range md.DetailedDiff {
			if !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		out[md.URN] = fmt.Sprintf("%s %v", md.Op, keys)
	}
	return out
}

// guardReference is the StackReference through which the day-2 guard reads the stack's own
// deployed outputs: a refresh after an up that changed them reads them anew.
const guardReference = "pulumi:pulumi:StackReference"

// onlySame fails when an operation changed anything but the guard's StackReference.
func onlySame(t *testing.T, what string, op enginetest.Operation) {
	t.Helper()
	for urn, change := range changed(op.Events) {
		if resource.URN(urn).Type() != guardReference {
			t.Errorf("%s: %s %s, want no change\n%s", what, change, urn, op.Output)
		}
	}
	for kind, n := range op.Changes {
		if kind != "same" && kind != "update" && kind != "read" && n > 0 {
			t.Errorf("%s: %d %s, want none (%v)", what, n, kind, op.Changes)
		}
	}
}

// The dev stack against a real API server, with the real provider and the real charts: every
// release deploys, cilium-config carries the pool, an appended pool CIDR reaches cilium-config
// through a real Helm upgrade, a refresh finds no drift, and destroy leaves no release.
func TestRealKube_DevStackDeploysAppendsRefreshesAndDestroys(t *testing.T) {
	t.Parallel() // a control plane of its own: see doc.go
	l := NewLane(t, "dev", LaneOptions{})
	ctx := context.Background()

	start := time.Now()
	up := l.Stack.MustSucceed("first up", l.Stack.Up())
	t.Logf("first up: %v in %s", up.Changes, time.Since(start).Round(time.Second))
	releases := l.Releases("kube-system")
	for name, chart := range devReleases {
		r, ok := releases[name]
		if !ok {
			t.Errorf("no Helm release %s after up; releases:\n%s", name, describeReleases(releases))
			continue
		}
		if r.Status != release.StatusDeployed || r.Chart != chart || r.Revision != 1 {
			t.Errorf("release %s = %s, want chart %s, revision 1, deployed", name, r, chart)
		}
	}
	if len(releases) != len(devReleases) {
		t.Errorf("%d releases, want %d:\n%s", len(releases), len(devReleases), describeReleases(releases))
	}
	cfg := l.ConfigMap(charts.Namespace, "cilium-config")
	if cfg["cluster-pool-ipv4-cidr"] != "10.200.0.0/16" || cfg["cluster-pool-ipv4-mask-size"] != "24" || cfg["ipam"] != "cluster-pool" {
		t.Errorf("cilium-config: ipam %q, cluster-pool-ipv4-cidr %q, mask %q; want cluster-pool, 10.200.0.0/16, 24",
			cfg["ipam"], cfg["cluster-pool-ipv4-cidr"], cfg["cluster-pool-ipv4-mask-size"])
	}
	// Every chart came through the mirror, none from anywhere else; so did the load balancer
	// controller's CRD manifests, which the program applies from their URLs.
	l.requireDownloads(t, "helm.cilium.io/cilium-1.19.6.tgz", "metrics-server/metrics-server-3.13.1.tgz",
		"eks-charts/aws-load-balancer-controller-3.5.0.tgz", "karpenter/karpenter/blobs/", "karpenter/karpenter-crd/blobs/",
		"raw.githubusercontent.com/kubernetes-sigs/aws-load-balancer-controller/v3.5.0/helm/aws-load-balancer-controller/crds/crds.yaml",
		"raw.githubusercontent.com/kubernetes-sigs/aws-load-balancer-controller/v3.5.0/helm/aws-load-balancer-controller/crds/gateway-crds.yaml")
	l.Kubelets.WaitForPods(t, "kube-system", 2*time.Minute)

	// Any Service created now passes the Load Balancer Controller's mutating webhook
	// (failurePolicy Fail), answered by the stand-in with the chart's own TLS Secret.
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "probe", Namespace: "default"},
		Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Port: 80}}}}
	if _, err := l.Cluster.Client.CoreV1().Services("default").Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		t.Errorf("creating a Service once the Load Balancer Controller is installed: %v", err)
	}
	if !slices.ContainsFunc(l.Cluster.PodEndpointCalls(), func(c localkube.PodEndpointCall) bool {
		return c.Service == "kube-system/aws-load-balancer-webhook-service" && c.Kind == "Service" && c.Object == "default/probe" && c.Answer == "allowed"
	}) {
		t.Errorf("the Load Balancer Controller's webhook was not called for the new Service; calls: %v", l.Cluster.PodEndpointCalls())
	}

	t.Run("pool append upgrades the Cilium release only", func(t *testing.T) {
		appendPool(l.Stack, "10.201.0.0/16")
		op := l.Stack.MustSucceed("up with an appended pool CIDR", l.Stack.Up())
		var updated []string
		for urn, step := range op.Steps() {
			if step != apitype.OpSame && step != apitype.OpRead {
				updated = append(updated, string(step)+" "+urn)
			}
		}
		if len(updated) != 1 || !strings.Contains(updated[0], "$"+ciliumcomp.Token+"$") || resource.URN(strings.Fields(updated[0])[1]).Type() != releaseType {
			t.Errorf("the append changed %v, want only an update of the Cilium release", updated)
		}
		cil := l.Releases("kube-system")[charts.CiliumRelease]
		if cil.Revision != 2 || cil.Status != release.StatusDeployed {
			t.Errorf("Cilium release after the append: %s, want revision 2 deployed", cil)
		}
		if got := l.ConfigMap(charts.Namespace, "cilium-config")["cluster-pool-ipv4-cidr"]; got != "10.200.0.0/16 10.201.0.0/16" {
			t.Errorf("cilium-config cluster-pool-ipv4-cidr = %q after the append, want %q", got, "10.200.0.0/16 10.201.0.0/16")
		}
	})

	t.Run("refresh finds no drift and the next preview no change", func(t *testing.T) {
		op := l.Stack.MustSucceed("refresh", l.Stack.Refresh())
		onlySame(t, "refresh", op)
		t.Logf("refresh: %v; changed: %v", op.Changes, changed(op.Events))
		onlySame(t, "preview after refresh", l.Stack.MustSucceed("preview after refresh", l.Stack.Preview()))
	})

	t.Run("destroy uninstalls every release", func(t *testing.T) {
		l.Stack.MustSucceed("destroy", l.Stack.Destroy())
		if left := l.Releases("kube-system"); len(left) > 0 {
			t.Errorf("releases left after destroy:\n%s", describeReleases(left))
		}
		_, err := l.Cluster.Client.CoreV1().ConfigMaps(charts.Namespace).Get(ctx, "cilium-config", metav1.GetOptions{})
		if !apierrors.IsNotFound(err) {
			t.Errorf("cilium-config after destroy: %v, want not found", err)
		}
		ds, err := l.Cluster.Client.AppsV1().DaemonSets(charts.Namespace).List(ctx, metav1.ListOptions{})
		if err != nil || len(ds.Items) > 0 {
			t.Errorf("DaemonSets left after destroy: %v %v", err, fmt.Sprint(len(ds.Items)))
		}
	})
}
