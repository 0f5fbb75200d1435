package realkube

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/eks-cilium/eks-cilium/charts"
	"github.com/eks-cilium/eks-cilium/tests/localkube"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// OperatorVersion is the Cilium operator the pool scenario runs (scripts/install-cilium-operator).
const OperatorVersion = "v1.19.6"

const operatorHint = `export PATH="$(scripts/install-cilium-operator | tail -n 1):$PATH"`

// Operator runs Cilium's real operator (cilium-operator-generic) outside the cluster as the
// process of the chart's operator pods: each time the simulated kubelets start an operator pod,
// the running process stops and a new one starts with cilium-config as the pod would mount it
// at that moment (a file per key under --config-dir). So the operator picks up a new
// cilium-config exactly when, and only when, Kubernetes rolls its pods, as on a real cluster.
type Operator struct {
	t    testing.TB
	lane *Lane
	bin  string

	mu     sync.Mutex
	proc   *localkube.Process
	starts []OperatorStart
	closed bool // the test is ending: start nothing more
}

// OperatorStart is one start of the operator process.
type OperatorStart struct {
	Pod    string            // the pod whose start started it
	Config map[string]string // cilium-config as it was read
	At     time.Time
}

// AttachOperator makes the operator follow its pods from now on. Call it before the stack
// installs Cilium (LaneOptions.BeforeStack).
func AttachOperator(t testing.TB, l *Lane) *Operator {
	t.Helper()
	bin := localkube.Require(t, operatorHint, "cilium-operator-generic")["cilium-operator-generic"]
	o := &Operator{t: t, lane: l, bin: bin}
	l.Kubelets.OnPodStart(func(p *corev1.Pod) {
		// The chart's operator pods (templates/cilium-operator/deployment.yaml).
		if p.Namespace == charts.Namespace && p.Labels["io.cilium/app"] == "operator" {
			go o.restart(p.Name)
		}
	})
	t.Cleanup(func() {
		o.mu.Lock()
		defer o.mu.Unlock()
		o.closed = true
		if o.proc != nil {
			if t.Failed() {
				t.Logf("--- last lines of the operator (%s):\n%s", o.proc.Log, o.proc.Tail(30))
			}
			_ = o.proc.Stop(10 * time.Second)
		}
	})
	return o
}

// restart stops the running operator (as the kubelet stops the old pod's container) and
// starts one with the current cilium-config.
func (o *Operator) restart(pod string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return
	}
	if o.proc != nil {
		if err := o.proc.Stop(20 * time.Second); err != nil {
			o.t.Errorf("stopping the operator: %v", err)
		}
	}
	cm, err := o.lane.Cluster.Client.CoreV1().ConfigMaps(charts.Namespace).Get(context.Background(), "cilium-config", metav1.GetOptions{})
	if err != nil {
		o.t.Errorf("operator pod %s started, but cilium-config cannot be read: %v", pod, err)
		return
	}
	n := len(o.starts) + 1
	dir := filepath.Join(o.lane.Cluster.Dir, fmt.Sprintf("operator-%d", n))
	configDir := filepath.Join(dir, "config-map")
	if err := os.MkdirAll(configDir, 0o755); err != nil {
		o.t.Errorf("%v", err)
		return
	}
	for k, v := range cm.Data {
		if err := os.WriteFile(filepath.Join(configDir, k), []byte(v), 0o644); err != nil {
			o.t.Errorf("%v", err)
			return
		}
	}
	port, err := freePort()
	if err != nil {
		o.t.Errorf("operator pod %s: %v", pod, err)
		return
	}
	proc, err := localkube.Launch(fmt.Sprintf("cilium-operator-%d", n), o.lane.Cluster.Dir, o.bin, []string{
		"--config-dir=" + configDir,
		"--k8s-kubeconfig-path=" + o.lane.Cluster.KubeconfigPath,
		// CiliumNodes here have no Node behind them (no agents run); the operator's GC
		// would delete them after an interval.
		"--nodes-gc-interval=0",
		// Listeners the chart gives the pod on its own network namespace; here on loopback,
		// on a free port, or off.
		"--operator-api-serve-addr=127.0.0.1:" + strconv.Itoa(port),
		"--enable-metrics=false",
		"--enable-gops=false",
	}, map[string]string{
		// What the pod's env carries (the chart's fieldRefs).
		"K8S_NODE_NAME":        o.podNode(pod),
		"CILIUM_K8S_NAMESPACE": charts.Namespace,
	})
	if err != nil {
		o.t.Errorf("operator pod %s: %v", pod, err)
		return
	}
	o.proc = proc
	o.starts = append(o.starts, OperatorStart{Pod: pod, Config: cm.Data, At: time.Now()})
}

func (o *Operator) podNode(pod string) string {
	p, err := o.lane.Cluster.Client.CoreV1().Pods(charts.Namespace).Get(context.Background(), pod, metav1.GetOptions{})
	if err != nil {
		return ""
	}
	return p.Spec.NodeName
}

// Starts are the operator's starts so far.
func (o *Operator) Starts() []OperatorStart {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]OperatorStart(nil), o.starts...)
}

// Running reports whether an operator process runs.
func (o *Operator) Running() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.proc == nil {
		return false
	}
	done, _ := o.proc.Exited()
	return !done
}

// Tail is the end of the current operator's log.
func (o *Operator) Tail(lines int) string {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.proc == nil {
		return "(the operator never started)"
	}
	return o.proc.Tail(lines)
}

// freePort is a free port on 127.0.0.1 for the operator's API.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
