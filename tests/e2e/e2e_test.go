//go:build e2e

// Package e2e deploys the dev stack to a real AWS account with the automation API, checks
// that the cluster runs Cilium as its only CNI with the configured pod pool and overlay, that
// the add-ons work on the overlay (the metrics API answers for every node, a pod on the pod
// network reaches the Pod Identity agent, an NLB with instance targets answers), and destroys
// everything again, also when a check fails.
//
//	EKS_CILIUM_E2E=1 AWS_PROFILE=... go test -trimpath -tags e2e -timeout 90m -v ./tests/e2e
//
// Duration: about 45 minutes (EKS control plane 9–16 min, node group 2–4 min, Cilium and
// CoreDNS 2–3 min, add-ons 2–4 min, checks 5–12 min with the NLB, destroy 10–15 min). Cost:
// well under 1 USD a run at on-demand prices: EKS control plane 0.10 USD/h, one NAT gateway
// ~0.05 USD/h plus traffic, two t3.medium spot instances, 2×50 GiB gp3, an NLB for a few
// minutes, a KMS key (scheduled for deletion, 7 days).
//
// Needs: the Pulumi CLI (the automation API drives it; plugins are downloaded on first use),
// the AWS CLI (the kubeconfig runs `aws eks get-token`), credentials allowed to create VPC,
// EKS, IAM and KMS resources. Optional: the cilium CLI, for `cilium connectivity test`.
//
// Environment: EKS_CILIUM_E2E=1 (required), EKS_CILIUM_E2E_REGION (default: the dev stack's
// aws:region), EKS_CILIUM_E2E_BACKEND (default: a new file:// directory, kept if the destroy
// fails so the leftovers can be destroyed by hand).
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/eks-cilium/eks-cilium/charts"
	"github.com/eks-cilium/eks-cilium/program"
	"github.com/eks-cilium/eks-cilium/stackconfig"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

const (
	stackFile = "../../stacks/Pulumi.dev.yaml"
	// needed is the time one run takes at most: up, checks and destroy.
	needed = 80 * time.Minute
	// startupTaint is Cilium's taint; the operator removes it once the agent runs on a node.
	startupTaint = "node.cilium.io/agent-not-ready"
)

func TestE2E_DevStackRunsCiliumAsTheOnlyCNI(t *testing.T) {
	requireAWS(t, "deploy the dev stack to AWS (~40 min, < 1 USD)", needed, "90m")

	cfg, values, err := stackconfig.LoadFile(stackFile)
	if err != nil {
		t.Fatalf("loading %s: %v", stackFile, err)
	}
	if region := os.Getenv("EKS_CILIUM_E2E_REGION"); region != "" {
		values[stackconfig.KeyRegion], cfg.Region = region, region
	}
	// A stack name of its own: the cluster is eks-cilium-<stack>, so runs never collide.
	stackName := fmt.Sprintf("e2e%d", time.Now().Unix()%1_000_000)
	cfg.Stack = stackName

	stack, backend := newStack(t, stackName, values)

	// Registered first, so it runs last: after the destroy, whatever the test did.
	t.Cleanup(func() { destroy(t, stack, backend, cfg) })

	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Minute)
	defer cancel()
	up, err := stack.Up(ctx, optup.ProgressStreams(os.Stdout), optup.ErrorProgressStreams(os.Stderr))
	if err != nil {
		t.Fatalf("pulumi up failed: %v", err)
	}
	kubeconfig, ok := up.Outputs["kubeconfig"].Value.(string)
	if !ok || kubeconfig == "" {
		t.Fatalf("the stack exported no kubeconfig: %v", up.Outputs["kubeconfig"])
	}
	kubeconfigFile := filepath.Join(t.TempDir(), "kubeconfig.json")
	if err := os.WriteFile(kubeconfigFile, []byte(kubeconfig), 0o600); err != nil {
		t.Fatal(err)
	}
	restCfg, err := clientcmd.RESTConfigFromKubeConfig([]byte(kubeconfig))
	if err != nil {
		t.Fatalf("the exported kubeconfig does not load: %v", err)
	}
	kube := kubernetes.NewForConfigOrDie(restCfg)

	pools := make([]netip.Prefix, len(cfg.Cilium.ClusterPoolIPv4PodCIDRList))
	for i, c := range cfg.Cilium.ClusterPoolIPv4PodCIDRList {
		pools[i] = netip.MustParsePrefix(c)
	}
	desired := 0
	for _, ng := range cfg.NodeGroups {
		desired += ng.DesiredSize
	}

	// Ordered: later checks need Ready nodes and a running Cilium.
	t.Run("NodesReadyWithoutStartupTaint", func(t *testing.T) { checkNodes(t, kube, desired) })
	t.Run("NoAwsNode", func(t *testing.T) { checkNoAwsNode(t, kube) })
	t.Run("CiliumDaemonSetAvailable", func(t *testing.T) { checkCiliumDaemonSet(t, kube) })
	t.Run("PodIPsFromThePool", func(t *testing.T) { checkPodIPs(t, kube, pools) })
	t.Run("CiliumNodesGetNodeCIDRsOfTheMask", func(t *testing.T) {
		checkCiliumNodes(t, restCfg, pools, cfg.Cilium.ClusterPoolIPv4MaskSize)
	})
	t.Run("PodToPodAcrossNodesAndService", func(t *testing.T) { checkOverlay(t, kube, pools) })
	t.Run("CiliumConnectivityTest", func(t *testing.T) { ciliumConnectivityTest(t, kubeconfigFile) })
	if cfg.Addons != nil && cfg.Addons.MetricsServer != nil {
		// kubectl top nodes: the API server reaches metrics-server on its host port.
		t.Run("MetricsAPIServesEveryNode", func(t *testing.T) { checkMetricsAPI(t, kube, desired) })
	}
	if cfg.Addons != nil && cfg.Addons.AwsLoadBalancerController != nil {
		t.Run("PodIdentityAgentReachableFromThePodNetwork", func(t *testing.T) { checkPodIdentityEndpoint(t, kube) })
		// Creating the Service goes through the controller's webhooks (failurePolicy Fail).
		t.Run("NLBWithInstanceTargetsAnswers", func(t *testing.T) { checkNLB(t, kube) })
	}
	t.Run("KarpenterNodeJoinsTaintedUntilCiliumRuns", func(t *testing.T) { checkKarpenter(t, kube, cfg, pools) })
}

// requireAWS skips the test unless EKS_CILIUM_E2E=1 and AWS credentials are set (what names
// what the test does, its time and cost), and fails it when go test's deadline leaves less
// than needed (timeout is the -timeout to give) or the pulumi or aws CLI is missing.
func requireAWS(t *testing.T, what string, needed time.Duration, timeout string) {
	t.Helper()
	if os.Getenv("EKS_CILIUM_E2E") != "1" || !hasAWSCredentials() {
		t.Skip("e2e: set EKS_CILIUM_E2E=1 and AWS credentials (AWS_ACCESS_KEY_ID, AWS_PROFILE or AWS_WEB_IDENTITY_TOKEN_FILE) to " + what)
	}
	if deadline, ok := t.Deadline(); ok && time.Until(deadline) < needed {
		t.Fatalf("a run takes up to %s; go test's deadline is in %s: run with -timeout %s", needed, time.Until(deadline).Round(time.Minute), timeout)
	}
	for _, tool := range []string{"pulumi", "aws"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("e2e needs the %s CLI on PATH: %v", tool, err)
		}
	}
}

func hasAWSCredentials() bool {
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE"} {
		if os.Getenv(k) != "" {
			return true
		}
	}
	return false
}

// newStack creates the stack on a local file backend with the inline program program.Run,
// the very function main.go runs, and the dev stack's configuration.
func newStack(t *testing.T, name string, values map[string]string) (auto.Stack, string) {
	t.Helper()
	backend := os.Getenv("EKS_CILIUM_E2E_BACKEND")
	if backend == "" {
		dir, err := os.MkdirTemp("", "eks-cilium-e2e-state-")
		if err != nil {
			t.Fatal(err)
		}
		backend = "file://" + dir
	}
	return newStackOn(t, backend, name, values), backend
}

// newStackOn creates stack name of the program on backend with the given configuration.
func newStackOn(t *testing.T, backend, name string, values map[string]string) auto.Stack {
	t.Helper()
	env := map[string]string{
		"PULUMI_BACKEND_URL":       backend,
		"PULUMI_CONFIG_PASSPHRASE": "eks-cilium-e2e", // protects nothing secret: the state is local and short-lived
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	stack, err := auto.UpsertStackInlineSource(ctx, name, stackconfig.Namespace, program.Run,
		auto.EnvVars(env),
		auto.Project(workspace.Project{
			Name:    tokens.PackageName(stackconfig.Namespace),
			Runtime: workspace.NewProjectRuntimeInfo("go", nil),
		}))
	if err != nil {
		t.Fatalf("creating stack %s on %s: %v", name, backend, err)
	}
	// Inline programs report no required plugins; install the providers the program's SDKs
	// were built for (read from the test binary, so they follow go.mod).
	for _, plugin := range providerPlugins(t) {
		if err := stack.Workspace().InstallPlugin(ctx, plugin[0], plugin[1]); err != nil {
			t.Fatalf("installing the %s plugin %s: %v", plugin[0], plugin[1], err)
		}
	}
	config := auto.ConfigMap{}
	for k, v := range values {
		config[k] = auto.ConfigValue{Value: v}
	}
	if err := stack.SetAllConfig(ctx, config); err != nil {
		t.Fatalf("setting the configuration of %s: %v", name, err)
	}
	return stack
}

// providerPlugins are the resource plugins the program uses, at the versions of their Go SDKs
// in go.mod.
func providerPlugins(t *testing.T) [][2]string {
	t.Helper()
	gomod, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	var plugins [][2]string
	for _, sdk := range [][2]string{
		{"github.com/pulumi/pulumi-aws/sdk/v6", "aws"},
		{"github.com/pulumi/pulumi-eks/sdk/v3", "eks"},
		{"github.com/pulumi/pulumi-kubernetes/sdk/v4", "kubernetes"},
	} {
		m := regexp.MustCompile(`(?m)^\s*` + regexp.QuoteMeta(sdk[0]) + `\s+(v\S+)`).FindSubmatch(gomod)
		if m == nil {
			t.Fatalf("go.mod does not require %s", sdk[0])
		}
		plugins = append(plugins, [2]string{sdk[1], string(m[1])})
	}
	return plugins
}

// destroy removes everything the test created and checks that nothing is left in the state,
// then removes the stack (and a backend directory of our own). On failure it keeps the state
// and says how to finish by hand.
func destroy(t *testing.T, stack auto.Stack, backend string, cfg stackconfig.Config) {
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Minute)
	defer cancel()
	byHand := fmt.Sprintf("resources may be left in AWS: PULUMI_BACKEND_URL=%s PULUMI_CONFIG_PASSPHRASE=eks-cilium-e2e pulumi destroy -s %s", backend, stack.Name())
	if _, err := stack.Destroy(ctx, optdestroy.ProgressStreams(os.Stdout), optdestroy.ErrorProgressStreams(os.Stderr)); err != nil {
		t.Errorf("pulumi destroy failed: %v\n%s", err, byHand)
		return
	}
	exported, err := stack.Export(ctx)
	if err != nil {
		t.Errorf("exporting the state after destroy: %v\n%s", err, byHand)
		return
	}
	var deployment apitype.DeploymentV3
	if err := json.Unmarshal(exported.Deployment, &deployment); err != nil {
		t.Errorf("reading the state after destroy: %v\n%s", err, byHand)
		return
	}
	if n := len(deployment.Resources); n > 1 { // at most the stack resource itself
		var urns []string
		for _, r := range deployment.Resources {
			urns = append(urns, string(r.URN))
		}
		t.Errorf("%d resources left after destroy:\n  %s\n%s", n, strings.Join(urns, "\n  "), byHand)
		return
	}
	if err := stack.Workspace().RemoveStack(ctx, stack.Name()); err != nil {
		t.Errorf("removing stack %s: %v", stack.Name(), err)
	}
	// EKS creates the control-plane log group itself and leaves it behind.
	group := fmt.Sprintf("/aws/eks/%s/cluster", cfg.ClusterName())
	if out, err := exec.CommandContext(ctx, "aws", "logs", "delete-log-group", "--region", cfg.Region,
		"--log-group-name", group).CombinedOutput(); err != nil && !bytes.Contains(out, []byte("ResourceNotFoundException")) {
		t.Logf("log group %s not deleted (%v): %s", group, err, out)
	}
	if dir, ok := strings.CutPrefix(backend, "file://"); ok && os.Getenv("EKS_CILIUM_E2E_BACKEND") == "" {
		_ = os.RemoveAll(dir)
	}
}

// eventually retries check every 10 s until it returns nil or the timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, check func(ctx context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var err error
	for {
		if err = check(ctx); err == nil {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s: not after %s: %v", what, timeout, err)
		case <-time.After(10 * time.Second):
		}
	}
}

func checkNodes(t *testing.T, kube kubernetes.Interface, desired int) {
	eventually(t, 10*time.Minute, "every node Ready, without Cilium's startup taint", func(ctx context.Context) error {
		nodes, err := kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		if err != nil {
			return err
		}
		if len(nodes.Items) < desired {
			return fmt.Errorf("%d nodes, want the node groups' desired %d", len(nodes.Items), desired)
		}
		var problems []string
		for _, n := range nodes.Items {
			if !nodeReady(n) {
				problems = append(problems, n.Name+" not Ready")
			}
			for _, taint := range n.Spec.Taints {
				if taint.Key == startupTaint {
					problems = append(problems, n.Name+" still has "+startupTaint)
				}
			}
		}
		if len(problems) > 0 {
			return errors.New(strings.Join(problems, "; "))
		}
		return nil
	})
}

func nodeReady(n corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func checkNoAwsNode(t *testing.T, kube kubernetes.Interface) {
	ctx := context.Background()
	_, err := kube.AppsV1().DaemonSets("kube-system").Get(ctx, "aws-node", metav1.GetOptions{})
	switch {
	case err == nil:
		t.Error("DaemonSet kube-system/aws-node exists: the VPC CNI runs beside Cilium")
	case !apierrors.IsNotFound(err):
		t.Fatalf("looking for aws-node: %v", err)
	}
	pods, err := kube.CoreV1().Pods("kube-system").List(ctx, metav1.ListOptions{LabelSelector: "k8s-app=aws-node"})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pods.Items {
		t.Errorf("aws-node pod %s is running on %s", p.Name, p.Spec.NodeName)
	}
}

func checkCiliumDaemonSet(t *testing.T, kube kubernetes.Interface) {
	eventually(t, 10*time.Minute, "DaemonSet kube-system/cilium fully available", func(ctx context.Context) error {
		ds, err := kube.AppsV1().DaemonSets("kube-system").Get(ctx, "cilium", metav1.GetOptions{})
		if err != nil {
			return err
		}
		s := ds.Status
		if s.DesiredNumberScheduled == 0 || s.NumberAvailable != s.DesiredNumberScheduled || s.UpdatedNumberScheduled != s.DesiredNumberScheduled {
			return fmt.Errorf("desired %d, updated %d, available %d", s.DesiredNumberScheduled, s.UpdatedNumberScheduled, s.NumberAvailable)
		}
		return nil
	})
}

func inPools(ip netip.Addr, pools []netip.Prefix) bool {
	for _, p := range pools {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// checkPodIPs: every pod that is not on the host network has its IP from the cluster pool,
// not from the VPC (which is what the VPC CNI would hand out).
func checkPodIPs(t *testing.T, kube kubernetes.Interface, pools []netip.Prefix) {
	pods, err := kube.CoreV1().Pods("").List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, p := range pods.Items {
		if p.Spec.HostNetwork || p.Status.PodIP == "" {
			continue
		}
		ip, err := netip.ParseAddr(p.Status.PodIP)
		if err != nil || !inPools(ip, pools) {
			t.Errorf("pod %s/%s has IP %s, outside the pool %v", p.Namespace, p.Name, p.Status.PodIP, pools)
		}
		checked++
	}
	if checked == 0 {
		t.Error("no pod with a pod-network IP to check (CoreDNS and hubble-relay should have one)")
	}
}

// checkCiliumNodes: the operator gave every node CIDRs of clusterPoolIPv4MaskSize from the pool.
func checkCiliumNodes(t *testing.T, restCfg *rest.Config, pools []netip.Prefix, mask int) {
	dyn := dynamic.NewForConfigOrDie(restCfg)
	gvr := schema.GroupVersionResource{Group: "cilium.io", Version: "v2", Resource: "ciliumnodes"}
	list, err := dyn.Resource(gvr).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatalf("listing CiliumNodes: %v", err)
	}
	if len(list.Items) == 0 {
		t.Fatal("no CiliumNode: the agent has not registered any node")
	}
	for _, cn := range list.Items {
		cidrs, _, err := unstructuredStrings(cn.Object, "spec", "ipam", "podCIDRs")
		if err != nil || len(cidrs) == 0 {
			t.Errorf("CiliumNode %s has no spec.ipam.podCIDRs (%v)", cn.GetName(), err)
			continue
		}
		for _, c := range cidrs {
			p, err := netip.ParsePrefix(c)
			switch {
			case err != nil:
				t.Errorf("CiliumNode %s: pod CIDR %q: %v", cn.GetName(), c, err)
			case p.Bits() != mask:
				t.Errorf("CiliumNode %s: pod CIDR %s is a /%d, want clusterPoolIPv4MaskSize /%d", cn.GetName(), c, p.Bits(), mask)
			case !inPools(p.Addr(), pools):
				t.Errorf("CiliumNode %s: pod CIDR %s is outside the pool %v", cn.GetName(), c, pools)
			}
		}
	}
}

func unstructuredStrings(obj map[string]any, path ...string) ([]string, bool, error) {
	var cur any = obj
	for _, k := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false, fmt.Errorf("%s is not an object", k)
		}
		if cur, ok = m[k]; !ok {
			return nil, false, nil
		}
	}
	list, ok := cur.([]any)
	if !ok {
		return nil, true, fmt.Errorf("%s is not a list", strings.Join(path, "."))
	}
	out := make([]string, 0, len(list))
	for _, v := range list {
		s, ok := v.(string)
		if !ok {
			return nil, true, fmt.Errorf("%s holds a non-string %v", strings.Join(path, "."), v)
		}
		out = append(out, s)
	}
	return out, true, nil
}

// checkOverlay runs a web server on one node and, on another node, a client that fetches
// from it by pod IP (pod to pod across nodes: the tunnel) and through a Service by DNS name
// (Cilium's service handling without kube-proxy, and CoreDNS).
func checkOverlay(t *testing.T, kube kubernetes.Interface, pools []netip.Prefix) {
	ctx := context.Background()
	nodes, err := kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var ready []string
	for _, n := range nodes.Items {
		if nodeReady(n) {
			ready = append(ready, n.Name)
		}
	}
	if len(ready) < 2 {
		t.Fatalf("%d Ready nodes; pod-to-pod across nodes needs 2 (the dev stack's desiredSize is 2)", len(ready))
	}
	ns := fmt.Sprintf("e2e-overlay-%d", time.Now().Unix()%100000)
	if _, err := kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = kube.CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{}) })

	labels := map[string]string{"app": "echo"}
	server := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "echo", Labels: labels},
		Spec: corev1.PodSpec{
			NodeName: ready[0],
			Containers: []corev1.Container{{
				Name:  "echo",
				Image: "registry.k8s.io/e2e-test-images/agnhost:2.53",
				Args:  []string{"netexec", "--http-port=8080"},
				Ports: []corev1.ContainerPort{{ContainerPort: 8080}},
				ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{
					HTTPGet: &corev1.HTTPGetAction{Path: "/hostname", Port: intstr.FromInt32(8080)},
				}},
			}},
		},
	}
	if _, err := kube.CoreV1().Pods(ns).Create(ctx, server, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "echo"},
		Spec: corev1.ServiceSpec{
			Selector: labels,
			Ports:    []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromInt32(8080)}},
		},
	}
	if _, err := kube.CoreV1().Services(ns).Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	var serverIP string
	eventually(t, 5*time.Minute, "echo server Ready", func(ctx context.Context) error {
		p, err := kube.CoreV1().Pods(ns).Get(ctx, "echo", metav1.GetOptions{})
		if err != nil {
			return err
		}
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
				serverIP = p.Status.PodIP
				return nil
			}
		}
		return fmt.Errorf("phase %s", p.Status.Phase)
	})
	if ip, err := netip.ParseAddr(serverIP); err != nil || !inPools(ip, pools) {
		t.Errorf("echo pod IP %s is not from the pool %v", serverIP, pools)
	}

	script := fmt.Sprintf("wget -q -T 5 -O- http://%s:8080/hostname && echo && wget -q -T 5 -O- http://echo.%s.svc.cluster.local/hostname", serverIP, ns)
	client := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "client"},
		Spec: corev1.PodSpec{
			NodeName:      ready[1],
			RestartPolicy: corev1.RestartPolicyNever,
			Containers: []corev1.Container{{
				Name:    "client",
				Image:   "registry.k8s.io/e2e-test-images/busybox:1.36.1-1",
				Command: []string{"sh", "-c", script},
			}},
		},
	}
	if _, err := kube.CoreV1().Pods(ns).Create(ctx, client, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	var phase corev1.PodPhase
	eventually(t, 5*time.Minute, "client pod finished", func(ctx context.Context) error {
		p, err := kube.CoreV1().Pods(ns).Get(ctx, "client", metav1.GetOptions{})
		if err != nil {
			return err
		}
		phase = p.Status.Phase
		if phase == corev1.PodSucceeded || phase == corev1.PodFailed {
			return nil
		}
		return fmt.Errorf("phase %s", phase)
	})
	logs, _ := kube.CoreV1().Pods(ns).GetLogs("client", &corev1.PodLogOptions{}).DoRaw(ctx)
	if phase != corev1.PodSucceeded {
		t.Errorf("client on %s could not reach the echo pod on %s by pod IP and Service:\n%s", ready[1], ready[0], logs)
		return
	}
	// netexec answers /hostname with the pod's name: both requests reached the server.
	if got := strings.Count(string(logs), "echo"); got != 2 {
		t.Errorf("client output %q, want the server's hostname twice", logs)
	}
}

// ciliumConnectivityTest runs Cilium's own end-to-end suite when its CLI is installed.
func ciliumConnectivityTest(t *testing.T, kubeconfigFile string) {
	if _, err := exec.LookPath("cilium"); err != nil {
		t.Skip("cilium CLI not on PATH: `cilium connectivity test` not run")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "cilium", "connectivity", "test", "--test-namespace", "cilium-e2e-test")
	cmd.Env = append(os.Environ(), "KUBECONFIG="+kubeconfigFile)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		t.Errorf("cilium connectivity test failed: %v", err)
	}
}

// checkMetricsAPI is `kubectl top nodes` through the API: the aggregated metrics.k8s.io API
// answers for every node, which needs the API server to reach metrics-server on the node.
func checkMetricsAPI(t *testing.T, kube kubernetes.Interface, desired int) {
	eventually(t, 5*time.Minute, "metrics.k8s.io/v1beta1 nodes", func(ctx context.Context) error {
		raw, err := kube.CoreV1().RESTClient().Get().AbsPath("/apis/metrics.k8s.io/v1beta1/nodes").DoRaw(ctx)
		if err != nil {
			return err
		}
		var list struct {
			Items []struct {
				Metadata struct{ Name string } `json:"metadata"`
				Usage    map[string]string     `json:"usage"`
			} `json:"items"`
		}
		if err := json.Unmarshal(raw, &list); err != nil {
			return err
		}
		if len(list.Items) < desired {
			return fmt.Errorf("metrics for %d nodes, want %d", len(list.Items), desired)
		}
		for _, n := range list.Items {
			if n.Usage["cpu"] == "" || n.Usage["memory"] == "" {
				return fmt.Errorf("node %s has no cpu/memory usage: %v", n.Metadata.Name, n.Usage)
			}
		}
		return nil
	})
}

// checkPodIdentityEndpoint: a pod on the overlay reaches the Pod Identity agent's link-local
// endpoint (169.254.170.23:80 on the node's pod-id-link0). Without a token the agent answers
// with an HTTP error, which is enough: the TCP path from the pod network to the agent works.
func checkPodIdentityEndpoint(t *testing.T, kube kubernetes.Interface) {
	ctx := context.Background()
	ns := fmt.Sprintf("e2e-pod-identity-%d", time.Now().Unix()%100000)
	if _, err := kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = kube.CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{}) })
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "probe"},
		Spec: corev1.PodSpec{
			RestartPolicy: corev1.RestartPolicyNever,
			Containers: []corev1.Container{{
				Name:    "probe",
				Image:   "registry.k8s.io/e2e-test-images/busybox:1.36.1-1",
				Command: []string{"sh", "-c", "wget -S -q -T 5 -O- http://169.254.170.23/v1/credentials 2>&1; true"},
			}},
		},
	}
	if _, err := kube.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Minute, "probe pod finished", func(ctx context.Context) error {
		p, err := kube.CoreV1().Pods(ns).Get(ctx, "probe", metav1.GetOptions{})
		if err != nil {
			return err
		}
		if p.Status.Phase != corev1.PodSucceeded && p.Status.Phase != corev1.PodFailed {
			return fmt.Errorf("phase %s", p.Status.Phase)
		}
		return nil
	})
	logs, _ := kube.CoreV1().Pods(ns).GetLogs("probe", &corev1.PodLogOptions{}).DoRaw(ctx)
	if !bytes.Contains(logs, []byte("HTTP/1.")) {
		t.Errorf("a pod on the pod network got no HTTP answer from 169.254.170.23:80 (Pod Identity agent):\n%s", logs)
	}
}

// checkNLB exposes an echo server through a LoadBalancer Service the AWS Load Balancer
// Controller turns into an internet-facing NLB with instance targets (the NodePort on every
// node), and fetches from it. It deletes the Service and waits until the controller has
// removed the NLB, which would otherwise block the VPC's destruction.
func checkNLB(t *testing.T, kube kubernetes.Interface) {
	ctx := context.Background()
	ns := fmt.Sprintf("e2e-nlb-%d", time.Now().Unix()%100000)
	if _, err := kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = kube.CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{}) })
	labels := map[string]string{"app": "echo"}
	server := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "echo", Labels: labels},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{
			Name:  "echo",
			Image: "registry.k8s.io/e2e-test-images/agnhost:2.53",
			Args:  []string{"netexec", "--http-port=8080"},
			Ports: []corev1.ContainerPort{{ContainerPort: 8080}},
		}}},
	}
	if _, err := kube.CoreV1().Pods(ns).Create(ctx, server, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	class := "service.k8s.aws/nlb"
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "echo", Annotations: map[string]string{
			"service.beta.kubernetes.io/aws-load-balancer-nlb-target-type": "instance",
			"service.beta.kubernetes.io/aws-load-balancer-scheme":          "internet-facing",
		}},
		Spec: corev1.ServiceSpec{
			Type:              corev1.ServiceTypeLoadBalancer,
			LoadBalancerClass: &class,
			Selector:          labels,
			Ports:             []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromInt32(8080)}},
		},
	}
	if _, err := kube.CoreV1().Services(ns).Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating the Service (through %s's webhooks): %v", charts.LoadBalancerControllerRelease, err)
	}
	t.Cleanup(func() {
		ctx := context.Background()
		_ = kube.CoreV1().Services(ns).Delete(ctx, "echo", metav1.DeleteOptions{})
		// The controller's finalizer goes once the NLB, its target groups and security
		// groups are gone.
		eventually(t, 10*time.Minute, "NLB deleted", func(ctx context.Context) error {
			_, err := kube.CoreV1().Services(ns).Get(ctx, "echo", metav1.GetOptions{})
			if apierrors.IsNotFound(err) {
				return nil
			}
			return fmt.Errorf("Service echo still exists (finalizer pending): %v", err)
		})
	})
	var host string
	eventually(t, 10*time.Minute, "NLB provisioned", func(ctx context.Context) error {
		s, err := kube.CoreV1().Services(ns).Get(ctx, "echo", metav1.GetOptions{})
		if err != nil {
			return err
		}
		if len(s.Status.LoadBalancer.Ingress) == 0 || s.Status.LoadBalancer.Ingress[0].Hostname == "" {
			return errors.New("no load balancer hostname yet")
		}
		host = s.Status.LoadBalancer.Ingress[0].Hostname
		return nil
	})
	client := &http.Client{Timeout: 5 * time.Second}
	eventually(t, 10*time.Minute, "NLB "+host+" answers", func(ctx context.Context) error {
		resp, err := client.Get("http://" + host + "/hostname")
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "echo") {
			return fmt.Errorf("HTTP %d: %q", resp.StatusCode, body)
		}
		return nil
	})
}
