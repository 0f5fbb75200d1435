package localkube

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// Version is the Kubernetes version of the control plane (scripts/install-kube builds it).
const Version = "v1.35.4"

// EtcdVersion is the etcd the control plane stores its state in (scripts/install-kube).
const EtcdVersion = "3.6.6"

// InstallHint says how to get the binaries.
const InstallHint = `export PATH="$(scripts/install-kube | tail -n 1):$PATH"`

// Require returns the paths of programs on PATH. A missing one skips the test with a one-line
// reason and the command that builds it; under CI=true it fails the test instead, so CI cannot
// pass without the real control plane.
func Require(t testing.TB, hint string, names ...string) map[string]string {
	t.Helper()
	out := map[string]string{}
	var missing []string
	for _, n := range names {
		p, err := exec.LookPath(n)
		if err != nil {
			missing = append(missing, n)
			continue
		}
		out[n] = p
	}
	if len(missing) > 0 {
		msg := fmt.Sprintf("%s not on PATH (build with: %s)", strings.Join(missing, ", "), hint)
		if os.Getenv("CI") == "true" {
			t.Fatal("CI=true: " + msg)
		}
		t.Skip(msg)
	}
	return out
}

// Options shape the control plane.
type Options struct {
	// ServiceCIDR is --service-cluster-ip-range; EKS's default range when empty.
	ServiceCIDR string
	// BearerToken, when set, is accepted as a user in system:masters (--token-auth-file), as
	// EKS accepts the token `aws eks get-token` prints for the cluster's creator.
	BearerToken string
}

// eksDefaultServiceCIDR is what EKS picks when a cluster names no service range
// (https://docs.aws.amazon.com/eks/latest/APIReference/API_KubernetesNetworkConfigRequest.html).
const eksDefaultServiceCIDR = "172.20.0.0/16"

// Cluster is a running control plane.
type Cluster struct {
	Dir string // the temporary directory: state, certificates, logs
	CA  *CA

	// Server is the API server's URL, https://127.0.0.1:<port>.
	Server string
	// Kubeconfig is an admin kubeconfig (client certificate in system:masters) as an object in
	// kubeconfig's schema, ready to be the kubeconfig output of the fake EKS cluster.
	Kubeconfig map[string]any
	// KubeconfigPath is the same kubeconfig in a file, for programs that take a path.
	KubeconfigPath string
	Config         *rest.Config
	Client         kubernetes.Interface
	Dynamic        dynamic.Interface

	Etcd, APIServer, ControllerManager, Scheduler *Process

	standIn *standIn
}

// Start starts etcd, kube-apiserver, kube-controller-manager and kube-scheduler and waits
// until the API server is ready and the controllers run. Everything stops when the test ends.
func Start(t testing.TB, opts Options) *Cluster {
	t.Helper()
	bins := Require(t, InstallHint, "etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler")
	if opts.ServiceCIDR == "" {
		opts.ServiceCIDR = eksDefaultServiceCIDR
	}
	c := &Cluster{Dir: t.TempDir()}
	// On failure, the end of every log says what went wrong; the full logs are in Dir.
	t.Cleanup(func() {
		if t.Failed() {
			for _, p := range []*Process{c.Etcd, c.APIServer, c.ControllerManager, c.Scheduler} {
				if p != nil {
					t.Logf("--- last lines of %s (%s):\n%s", p.Name, p.Log, p.Tail(15))
				}
			}
		}
	})
	if err := c.start(t, bins, opts); err != nil {
		t.Fatalf("starting the control plane: %v", err)
	}
	return c
}

func (c *Cluster) start(t testing.TB, bins map[string]string, opts Options) error {
	ca, err := NewCA("localkube")
	if err != nil {
		return err
	}
	c.CA = ca
	caPath := filepath.Join(c.Dir, "ca.crt")
	if err := os.WriteFile(caPath, ca.CertPEM, 0o644); err != nil {
		return err
	}
	firstServiceIP, err := firstIP(opts.ServiceCIDR)
	if err != nil {
		return err
	}
	serving, err := ca.Issue("kube-apiserver", nil, "127.0.0.1", "localhost", firstServiceIP,
		"kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local")
	if err != nil {
		return err
	}
	servingCert, servingKey, err := serving.Write(c.Dir, "apiserver")
	if err != nil {
		return err
	}
	admin, err := ca.Issue("eks-cilium-tests", []string{"system:masters"})
	if err != nil {
		return err
	}
	saKey, saPub, err := serviceAccountKey(c.Dir)
	if err != nil {
		return err
	}
	ports, err := freePorts(5)
	if err != nil {
		return err
	}
	etcdClient, etcdPeer, apiPort, cmPort, schedPort := ports[0], ports[1], ports[2], ports[3], ports[4]

	// etcd: one member, no fsync (a test's state is thrown away).
	etcdURL := "http://127.0.0.1:" + strconv.Itoa(etcdClient)
	peerURL := "http://127.0.0.1:" + strconv.Itoa(etcdPeer)
	c.Etcd = StartProcess(t, "etcd", c.Dir, bins["etcd"], []string{
		"--name=localkube", "--data-dir=" + filepath.Join(c.Dir, "etcd"),
		"--listen-client-urls=" + etcdURL, "--advertise-client-urls=" + etcdURL,
		"--listen-peer-urls=" + peerURL, "--initial-advertise-peer-urls=" + peerURL,
		"--initial-cluster=localkube=" + peerURL,
		"--unsafe-no-fsync=true", "--log-level=warn",
	}, nil)
	if err := waitFor(30*time.Second, c.Etcd, func() error {
		resp, err := http.Get(etcdURL + "/health")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("etcd /health: %s", resp.Status)
		}
		return nil
	}); err != nil {
		return fmt.Errorf("etcd: %w", err)
	}

	// What the API server would send into the cluster (webhooks, aggregated APIs) goes to
	// the stand-in through the "cluster" egress selection.
	c.standIn, err = startStandIn(t, ca)
	if err != nil {
		return err
	}
	egress := filepath.Join(c.Dir, "egress-selector.yaml")
	if err := os.WriteFile(egress, []byte(fmt.Sprintf(`apiVersion: apiserver.k8s.io/v1beta1
kind: EgressSelectorConfiguration
egressSelections:
- name: cluster
  connection:
    proxyProtocol: HTTPConnect
    transport:
      uds:
        udsName: %s
`, c.standIn.socket)), 0o644); err != nil {
		return err
	}

	var tokenFlags []string
	if opts.BearerToken != "" {
		// The static token file: token,user,uid,"group" (kube-apiserver --token-auth-file).
		tokens := filepath.Join(c.Dir, "tokens.csv")
		line := fmt.Sprintf("%s,eks-cluster-creator,eks-cluster-creator,\"system:masters\"\n", opts.BearerToken)
		if err := os.WriteFile(tokens, []byte(line), 0o600); err != nil {
			return err
		}
		tokenFlags = []string{"--token-auth-file=" + tokens}
	}
	c.Server = "https://127.0.0.1:" + strconv.Itoa(apiPort)
	c.APIServer = StartProcess(t, "kube-apiserver", c.Dir, bins["kube-apiserver"], append([]string{
		"--etcd-servers=" + etcdURL,
		"--bind-address=127.0.0.1", "--advertise-address=127.0.0.1", "--secure-port=" + strconv.Itoa(apiPort),
		"--tls-cert-file=" + servingCert, "--tls-private-key-file=" + servingKey,
		"--client-ca-file=" + caPath,
		"--service-account-issuer=https://kubernetes.default.svc",
		"--service-account-key-file=" + saPub, "--service-account-signing-key-file=" + saKey,
		"--service-cluster-ip-range=" + opts.ServiceCIDR,
		"--authorization-mode=RBAC",
		// EKS allows privileged pods; Cilium's agent DaemonSet is refused without this.
		"--allow-privileged=true",
		// The endpoints of the kubernetes Service would be 127.0.0.1, which Endpoints refuse.
		"--endpoint-reconciler-type=none",
		"--egress-selector-config-file=" + egress,
		"--cert-dir=" + filepath.Join(c.Dir, "apiserver-certs"),
		"--enable-priority-and-fairness=false", "--profiling=false",
	}, tokenFlags...), nil)

	c.Kubeconfig = map[string]any{
		"apiVersion": "v1",
		"kind":       "Config",
		"clusters": []any{map[string]any{"name": "localkube", "cluster": map[string]any{
			"server": c.Server, "certificate-authority-data": base64.StdEncoding.EncodeToString(ca.CertPEM),
		}}},
		"contexts":        []any{map[string]any{"name": "localkube", "context": map[string]any{"cluster": "localkube", "user": "admin"}}},
		"current-context": "localkube",
		"users": []any{map[string]any{"name": "admin", "user": map[string]any{
			"client-certificate-data": base64.StdEncoding.EncodeToString(admin.CertPEM),
			"client-key-data":         base64.StdEncoding.EncodeToString(admin.KeyPEM),
		}}},
	}
	kubeconfigJSON, err := json.Marshal(c.Kubeconfig)
	if err != nil {
		return err
	}
	c.KubeconfigPath = filepath.Join(c.Dir, "admin.kubeconfig")
	if err := os.WriteFile(c.KubeconfigPath, kubeconfigJSON, 0o600); err != nil {
		return err
	}
	c.Config, err = clientcmd.RESTConfigFromKubeConfig(kubeconfigJSON)
	if err != nil {
		return err
	}
	c.Config.QPS, c.Config.Burst = 200, 400
	if c.Client, err = kubernetes.NewForConfig(c.Config); err != nil {
		return err
	}
	if c.Dynamic, err = dynamic.NewForConfig(c.Config); err != nil {
		return err
	}
	c.standIn.client = c.Client
	if err := waitFor(90*time.Second, c.APIServer, func() error {
		_, err := c.Client.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(context.Background())
		return err
	}); err != nil {
		return fmt.Errorf("kube-apiserver: %w", err)
	}
	info, err := c.Client.Discovery().ServerVersion()
	if err != nil {
		return err
	}
	if info.GitVersion != Version {
		return fmt.Errorf("kube-apiserver reports %s, want %s (scripts/install-kube links the version in; Helm checks charts' kubeVersion against it)", info.GitVersion, Version)
	}

	c.ControllerManager = StartProcess(t, "kube-controller-manager", c.Dir, bins["kube-controller-manager"], []string{
		"--kubeconfig=" + c.KubeconfigPath,
		"--authentication-kubeconfig=" + c.KubeconfigPath, "--authorization-kubeconfig=" + c.KubeconfigPath,
		// No kubelets post node status: the node lifecycle controller would mark every node
		// NotReady and evict its pods.
		"--controllers=*,-node-lifecycle-controller",
		"--leader-elect=false",
		"--service-account-private-key-file=" + saKey, "--root-ca-file=" + caPath,
		"--bind-address=127.0.0.1", "--secure-port=" + strconv.Itoa(cmPort),
	}, nil)
	c.Scheduler = StartProcess(t, "kube-scheduler", c.Dir, bins["kube-scheduler"], []string{
		"--kubeconfig=" + c.KubeconfigPath,
		"--authentication-kubeconfig=" + c.KubeconfigPath, "--authorization-kubeconfig=" + c.KubeconfigPath,
		"--leader-elect=false",
		"--bind-address=127.0.0.1", "--secure-port=" + strconv.Itoa(schedPort),
	}, nil)
	// The service account controller creating "default" shows the controller manager works.
	if err := waitFor(60*time.Second, c.ControllerManager, func() error {
		_, err := c.Client.CoreV1().ServiceAccounts("default").Get(context.Background(), "default", metav1.GetOptions{})
		return err
	}); err != nil {
		return fmt.Errorf("kube-controller-manager: %w", err)
	}
	return nil
}

// waitFor polls ready until it succeeds, the process exits or the time is up.
func waitFor(timeout time.Duration, p *Process, ready func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := ready()
		if err == nil {
			return nil
		}
		if done, exitErr := p.Exited(); done {
			return fmt.Errorf("%s exited (%v):\n%s", p.Name, exitErr, p.Tail(20))
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not ready after %s: %v\n%s", timeout, err, p.Tail(20))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// freePorts reserves n distinct ports on 127.0.0.1 and releases them for the processes.
func freePorts(n int) ([]int, error) {
	var ports []int
	var listeners []net.Listener
	defer func() {
		for _, l := range listeners {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		listeners = append(listeners, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// FreePort is one free port on 127.0.0.1, for programs a test starts beside the control plane.
func FreePort(t testing.TB) int {
	t.Helper()
	p, err := freePorts(1)
	if err != nil {
		t.Fatal(err)
	}
	return p[0]
}

func firstIP(cidr string) (string, error) {
	_, n, err := net.ParseCIDR(cidr)
	if err != nil {
		return "", fmt.Errorf("service CIDR %q: %w", cidr, err)
	}
	ip := n.IP.To4()
	if ip == nil {
		return "", fmt.Errorf("service CIDR %q: IPv4 only", cidr)
	}
	out := make(net.IP, 4)
	copy(out, ip)
	out[3]++
	return out.String(), nil
}

// Events lists the events of a namespace, oldest first, for failure messages.
func (c *Cluster) Events(namespace string) string {
	list, err := c.Client.CoreV1().Events(namespace).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		return err.Error()
	}
	var b strings.Builder
	for _, e := range list.Items {
		if e.Type == corev1.EventTypeNormal && e.Reason != "FailedScheduling" {
			continue
		}
		fmt.Fprintf(&b, "  %s %s/%s: %s %s\n", e.Type, e.InvolvedObject.Kind, e.InvolvedObject.Name, e.Reason, e.Message)
	}
	return b.String()
}
