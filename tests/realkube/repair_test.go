package realkube

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/eks-cilium/eks-cilium/charts"
	"github.com/eks-cilium/eks-cilium/repair"
	"github.com/eks-cilium/eks-cilium/tests/enginetest"
	"github.com/eks-cilium/eks-cilium/tests/localkube"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optrefresh"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"helm.sh/helm/v3/pkg/action"
	helmkube "helm.sh/helm/v3/pkg/kube"
	"helm.sh/helm/v3/pkg/release"
	admissionv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// Pods by the chart's app.kubernetes.io/name label.
func appPods(name string) func(*corev1.Pod) bool {
	return func(p *corev1.Pod) bool { return p.Labels["app.kubernetes.io/name"] == name }
}

// Repair runs the repair command's code against the lane's stack: what `go run ./cmd/repair
// -stack dev [-yes]` does in the stack's project directory with the stack's environment.
func (l *Lane) Repair(t *testing.T, yes bool) (int, string) {
	t.Helper()
	ws := l.Stack.Auto.Workspace()
	var out bytes.Buffer
	start := time.Now()
	code := repair.Run(context.Background(), repair.Options{
		Stack: l.Stack.Auto.Name(), Dir: ws.WorkDir(), Env: ws.GetEnvVars(), Yes: yes, Out: &out,
	})
	t.Logf("repair (yes=%v) exited %d in %s:\n%s", yes, code, time.Since(start).Round(100*time.Millisecond), out.String())
	return code, out.String()
}

// KillUpWhen starts `pulumi up` and, once stopped() holds, kills the CLI and its plugins as a
// lost runner takes them down (the plugins sit in process groups of their own, so killing the
// CLI alone leaves them finishing Helm operations behind the state's back). It fails the test
// when the up ends first.
func (l *Lane) KillUpWhen(t *testing.T, what string, stopped func() bool) enginetest.Operation {
	t.Helper()
	done := make(chan enginetest.Operation, 1)
	go func() { done <- l.Stack.Up() }()
	deadline := time.Now().Add(8 * time.Minute)
	for !stopped() {
		select {
		case op := <-done:
			t.Fatalf("up ended before %s (err %v):\n%s", what, op.Err, op.Output)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			l.Marker.Kill()
			<-done
			t.Fatalf("no %s within 8 minutes; releases:\n%s", what, describeReleases(l.Releases(charts.Namespace)))
		}
	}
	killed := l.Marker.Kill()
	t.Logf("%s: killed %s", what, strings.Join(killed, ", "))
	op := <-done
	if op.Err == nil {
		t.Fatalf("up succeeded although it was killed:\n%s", op.Output)
	}
	for end := time.Now().Add(10 * time.Second); len(l.Marker.Processes()) > 0 && time.Now().Before(end); {
		time.Sleep(100 * time.Millisecond)
	}
	if left := l.Marker.Processes(); len(left) > 0 {
		t.Fatalf("still running after the kill: %v", left)
	}
	return op
}

// status is a release's newest status ("" when Helm has none).
func (l *Lane) status(name string) release.Status {
	return l.Releases(charts.Namespace)[name].Status
}

// pendingOperations lists the state's pending operations, "type urn".
func (l *Lane) pendingOperations(t *testing.T) []string {
	t.Helper()
	raw, err := l.Stack.Auto.Export(context.Background())
	if err != nil {
		t.Fatalf("exporting the state: %v", err)
	}
	var d apitype.DeploymentV3
	if err := json.Unmarshal(raw.Deployment, &d); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, op := range d.PendingOperations {
		out = append(out, string(op.Type)+" "+string(op.Resource.URN))
	}
	return out
}

// requireAllDeployed fails unless every release of the dev stack is deployed.
func (l *Lane) requireAllDeployed(t *testing.T, when string) {
	t.Helper()
	releases := l.Releases(charts.Namespace)
	for name := range devReleases {
		if r, ok := releases[name]; !ok || r.Status != release.StatusDeployed {
			t.Errorf("%s: release %s is %v, want deployed; releases:\n%s", when, name, r, describeReleases(releases))
		}
	}
}

// waitRunning waits until a pod the selector matches runs.
func (l *Lane) waitRunning(t *testing.T, selector string) {
	t.Helper()
	for end := time.Now().Add(2 * time.Minute); time.Now().Before(end); time.Sleep(200 * time.Millisecond) {
		for _, p := range l.Pods(charts.Namespace, selector) {
			if p.Status.Phase == corev1.PodRunning {
				return
			}
		}
	}
	t.Fatalf("no pod of %s runs", selector)
}

// helmConfig is Helm's action configuration for the lane's cluster, for what a user does by
// hand with the helm CLI.
func (l *Lane) helmConfig(t *testing.T) *action.Configuration {
	t.Helper()
	cfg := new(action.Configuration)
	if err := cfg.Init(helmkube.GetConfig(l.Cluster.KubeconfigPath, "", charts.Namespace), charts.Namespace, "secret", func(string, ...any) {}); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// An update killed (the CLI and its plugins) while the Load Balancer Controller's and
// Karpenter's releases wait for their pods leaves both pending-install, not in the state, and
// the stack locked. Meanwhile the controller's pods start (the cluster goes on without the
// runner); Karpenter's do not. repair uninstalls Karpenter's release (nothing runs from it),
// adopts the controller's (its pods run), clears the lock and the pending creates; the next
// up converges with every release deployed, and repair then finds nothing to do.
func TestRealKube_RepairAfterAnUpdateKilledAtPendingInstalls(t *testing.T) {
	t.Parallel() // a control plane of its own: see doc.go
	l := NewLane(t, "dev", LaneOptions{})
	startLBC := l.Kubelets.Hold(appPods(charts.LoadBalancerControllerChart))
	startKarpenter := l.Kubelets.Hold(appPods(charts.KarpenterChart))
	defer startKarpenter()

	start := time.Now()
	l.KillUpWhen(t, "both releases pending-install", func() bool {
		return l.status(charts.LoadBalancerControllerRelease) == release.StatusPendingInstall && l.status(charts.KarpenterRelease) == release.StatusPendingInstall
	})
	t.Logf("up killed after %s", time.Since(start).Round(time.Second))
	if pending := l.pendingOperations(t); len(pending) < 2 {
		t.Errorf("pending operations after the kill: %v, want the two releases' creates", pending)
	}
	startLBC()
	l.waitRunning(t, "app.kubernetes.io/name="+charts.LoadBalancerControllerChart)

	// Without -yes: the plan, nothing done.
	code, out := l.Repair(t, false)
	if code != repair.ExitOK {
		t.Fatalf("repair without -yes exited %d, want %d", code, repair.ExitOK)
	}
	requireContains(t, "repair's plan", out,
		"no longer runs on this host\n  -> cleared (pulumi cancel)",
		"kube-system/aws-load-balancer-controller  pending-install",
		"-> mark its newest revision failed, then clear its pending create, then adopt into the state as urn:pulumi:dev::",
		"kube-system/karpenter                     pending-install",
		"-> uninstall, then clear its pending create",
		"uninstalled, as nothing running depends on it",
		"run again with -yes")
	if s := l.status(charts.KarpenterRelease); s != release.StatusPendingInstall {
		t.Errorf("repair without -yes changed Karpenter's release to %s", s)
	}

	start = time.Now()
	if code, _ := l.Repair(t, true); code != repair.ExitOK {
		t.Fatalf("repair -yes exited %d, want %d", code, repair.ExitOK)
	}
	t.Logf("repair -yes: %s", time.Since(start).Round(100*time.Millisecond))
	if s := l.status(charts.KarpenterRelease); s != "" {
		t.Errorf("Karpenter's release after repair: %s, want uninstalled", s)
	}
	if s := l.status(charts.LoadBalancerControllerRelease); s != release.StatusFailed {
		t.Errorf("the controller's release after repair: %s, want failed (from which Helm upgrades)", s)
	}
	if pending := l.pendingOperations(t); len(pending) > 0 {
		t.Errorf("pending operations after repair: %v", pending)
	}

	startKarpenter()
	start = time.Now()
	up := l.Stack.MustSucceed("up after repair", l.Stack.Up())
	t.Logf("up after repair: %v in %s", up.Changes, time.Since(start).Round(time.Second))
	l.requireAllDeployed(t, "after repair and up")

	if code, out := l.Repair(t, false); code != repair.ExitOK || !strings.Contains(out, "nothing to repair") {
		t.Errorf("repair after convergence exited %d, want %d and \"nothing to repair\"", code, repair.ExitOK)
	}
}

// A Cilium upgrade (a pool append) stopped while Helm applies it: the release is
// pending-upgrade. While the update runs, repair refuses (its lock is live). Once the update
// is killed, repair rolls the release back to its last deployed revision without touching the
// agent DaemonSet, and the next up applies the append: every release deployed, the
// DaemonSet's uid unchanged throughout.
func TestRealKube_RepairAfterACiliumUpgradeLeftPendingUpgrade(t *testing.T) {
	t.Parallel() // a control plane of its own: see doc.go
	l := NewLane(t, "dev", LaneOptions{})
	ctx := context.Background()
	l.Stack.MustSucceed("first up", l.Stack.Up())
	dsUID := l.agentDaemonSetUID(t)

	// A webhook on cilium-config, answered by the stand-in, holds the upgrade's write of it
	// (the Cilium release does not wait for pods, so Helm's apply is the only window).
	gate := make(chan struct{})
	open := func() {
		select {
		case <-gate:
		default:
			close(gate)
		}
	}
	defer open()
	l.Cluster.OnAdmission(func(c localkube.PodEndpointCall) {
		if c.Kind == "ConfigMap" && c.Object == charts.Namespace+"/cilium-config" && c.Operation == "UPDATE" {
			select {
			case <-gate:
			case <-time.After(25 * time.Second):
			}
		}
	})
	l.holdConfigMapWrites(t, ctx)

	appendPool(l.Stack, "10.201.0.0/16")
	refused := false
	l.KillUpWhen(t, "Cilium pending-upgrade", func() bool {
		if l.status(charts.CiliumRelease) != release.StatusPendingUpgrade {
			return false
		}
		// The update still runs: repair must refuse and change nothing.
		code, out := l.Repair(t, true)
		if code != repair.ExitRefused || !strings.Contains(out, "an update of stack dev is running") || !strings.Contains(out, "wait for it to end") {
			t.Errorf("repair during a running update exited %d, want %d refusing with the way forward", code, repair.ExitRefused)
		}
		refused = true
		return true
	})
	open()
	if !refused {
		t.Error("repair was not tried while the update ran")
	}
	if s := l.status(charts.CiliumRelease); s != release.StatusPendingUpgrade {
		t.Fatalf("Cilium's release after the kill: %s, want pending-upgrade", s)
	}

	code, out := l.Repair(t, true)
	if code != repair.ExitOK {
		t.Fatalf("repair -yes exited %d, want %d", code, repair.ExitOK)
	}
	if !strings.Contains(out, "kube-system/cilium: rolled back to revision 1") {
		t.Errorf("repair did not roll Cilium back to revision 1")
	}
	if cil := l.Releases(charts.Namespace)[charts.CiliumRelease]; cil.Status != release.StatusDeployed || cil.Revision != 3 {
		t.Errorf("Cilium after repair: %s, want revision 3 (the rollback) deployed", cil)
	}
	if got := l.agentDaemonSetUID(t); got != dsUID {
		t.Errorf("the agent DaemonSet's uid changed in the rollback: %s -> %s", dsUID, got)
	}

	l.Stack.MustSucceed("up after repair", l.Stack.Up())
	l.requireAllDeployed(t, "after repair and up")
	if got := l.ConfigMap(charts.Namespace, "cilium-config")["cluster-pool-ipv4-cidr"]; got != "10.200.0.0/16 10.201.0.0/16" {
		t.Errorf("cilium-config cluster-pool-ipv4-cidr = %q after repair and up, want the append", got)
	}
	if got := l.agentDaemonSetUID(t); got != dsUID {
		t.Errorf("the agent DaemonSet's uid changed: %s -> %s", dsUID, got)
	}
	if code, out := l.Repair(t, false); code != repair.ExitOK || !strings.Contains(out, "nothing to repair") {
		t.Errorf("repair after convergence exited %d, want %d and \"nothing to repair\"", code, repair.ExitOK)
	}
}

// Pulumi's own advice after an interrupted update (`pulumi cancel`, `pulumi refresh
// --clear-pending-creates`, `pulumi up`) fails on a release left pending-install, and leaves
// the state with no trace of it: repair then refuses it as not the stack's, naming it and the
// way forward; following that way, the next up converges.
func TestRealKube_RepairRefusesAReleaseTheStackDoesNotOwn(t *testing.T) {
	t.Parallel() // a control plane of its own: see doc.go
	l := NewLane(t, "dev", LaneOptions{})
	startLBC := l.Kubelets.Hold(appPods(charts.LoadBalancerControllerChart))
	defer startLBC()
	l.KillUpWhen(t, "the controller's release pending-install", func() bool {
		return l.status(charts.LoadBalancerControllerRelease) == release.StatusPendingInstall
	})
	ctx := context.Background()
	if err := l.Stack.Auto.Cancel(ctx); err != nil {
		t.Fatalf("pulumi cancel: %v", err)
	}
	l.Stack.MustSucceed("refresh --clear-pending-creates", l.Stack.Refresh(optrefresh.ClearPendingCreates()))
	startLBC()
	op := l.Stack.Up()
	if op.Err == nil || !strings.Contains(op.Output, "cannot re-use a name that is still in use") {
		t.Errorf("up after Pulumi's advice: err %v, want Helm's \"cannot re-use a name that is still in use\"", op.Err)
	}

	code, out := l.Repair(t, true)
	if code != repair.ExitRefused {
		t.Fatalf("repair exited %d, want %d (refused)", code, repair.ExitRefused)
	}
	requireContains(t, "the refusal", out,
		"Helm release kube-system/aws-load-balancer-controller, ",
		"is not this stack's",
		"way forward: if nothing of yours runs from it, remove it (helm uninstall --namespace kube-system aws-load-balancer-controller)",
		"repair changed nothing")
	if s := l.status(charts.LoadBalancerControllerRelease); s == "" {
		t.Error("repair removed the release it refused")
	}

	// The way forward, as a user runs it: helm uninstall each release it names (the up killed
	// Karpenter's install as well, when its pods had not started yet), then up.
	ways := regexp.MustCompile(`helm uninstall --namespace (\S+) ([^\s)]+)\)`).FindAllStringSubmatch(out, -1)
	if len(ways) == 0 {
		t.Fatal("no helm uninstall in the way forward")
	}
	for _, w := range ways {
		if w[1] != charts.Namespace {
			t.Fatalf("the way forward names namespace %s", w[1])
		}
		if _, err := action.NewUninstall(l.helmConfig(t)).Run(w[2]); err != nil {
			t.Fatalf("helm uninstall %s: %v", w[2], err)
		}
	}
	l.Stack.MustSucceed("up after the way forward", l.Stack.Up())
	l.requireAllDeployed(t, "after the way forward")
}

// agentDaemonSetUID is the uid of Cilium's agent DaemonSet.
func (l *Lane) agentDaemonSetUID(t *testing.T) types.UID {
	t.Helper()
	ds, err := l.Cluster.Client.AppsV1().DaemonSets(charts.Namespace).Get(context.Background(), "cilium", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("reading the agent DaemonSet: %v", err)
	}
	return ds.UID
}

// holdConfigMapWrites registers a validating webhook on kube-system's ConfigMap updates,
// served by a Service nothing runs behind: the control plane's stand-in answers it and runs
// the hooks of Cluster.OnAdmission first. It fails open, so a slow answer only delays writes.
func (l *Lane) holdConfigMapWrites(t *testing.T, ctx context.Context) {
	t.Helper()
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "write-gate", Namespace: "default"},
		Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Port: 443}}}}
	if _, err := l.Cluster.Client.CoreV1().Services("default").Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	ignore := admissionv1.Ignore
	none := admissionv1.SideEffectClassNone
	timeout := int32(30) // the API's maximum (admissionregistration/v1 ValidatingWebhook.timeoutSeconds)
	path := "/validate"
	port := int32(443)
	hook := &admissionv1.ValidatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: "write-gate"},
		Webhooks: []admissionv1.ValidatingWebhook{{
			Name: "write-gate.realkube.test",
			ClientConfig: admissionv1.WebhookClientConfig{
				Service:  &admissionv1.ServiceReference{Namespace: "default", Name: "write-gate", Path: &path, Port: &port},
				CABundle: l.Cluster.CA.CertPEM,
			},
			Rules: []admissionv1.RuleWithOperations{{
				Operations: []admissionv1.OperationType{admissionv1.Update},
				Rule:       admissionv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"configmaps"}},
			}},
			NamespaceSelector:       &metav1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/metadata.name": charts.Namespace}},
			FailurePolicy:           &ignore,
			SideEffects:             &none,
			TimeoutSeconds:          &timeout,
			AdmissionReviewVersions: []string{"v1"},
		}},
	}
	if _, err := l.Cluster.Client.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(ctx, hook, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// The API server picks the webhook up asynchronously: wait until a write reaches it.
	probe := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "write-gate-probe", Namespace: charts.Namespace}}
	cms := l.Cluster.Client.CoreV1().ConfigMaps(charts.Namespace)
	if _, err := cms.Create(ctx, probe, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ {
		probe.Data = map[string]string{"n": fmt.Sprint(i)}
		if _, err := cms.Update(ctx, probe, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		for _, c := range l.Cluster.PodEndpointCalls() {
			if c.Service == "default/write-gate" && c.Object == charts.Namespace+"/write-gate-probe" {
				return
			}
		}
		if i > 100 {
			t.Fatal("the write gate's webhook was never called")
		}
		time.Sleep(100 * time.Millisecond)
	}
}
