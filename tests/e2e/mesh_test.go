//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/eks-cilium/eks-cilium/fleetrun"
	"github.com/eks-cilium/eks-cilium/stackconfig"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// meshNeeded is what one mesh run takes at most: two members deployed one after the other
// (~25 min each, with their NLBs), the second pass that requests and accepts the peering
// (~3 min), the checks (~10 min) and two destroys (~30 min).
const meshNeeded = 110 * time.Minute

// globalServiceAnnotation makes Cilium load-balance a Service across every cluster of the
// mesh that has a Service of the same name and namespace (Cilium docs, network/clustermesh/
// services.rst, "Load-balancing with Global Services").
const globalServiceAnnotation = "service.cilium.io/global"

// meshMember is one member of the test's mesh: its stack, kubeconfig and client.
type meshMember struct {
	stack      string
	kubeconfig string // a file
	kube       kubernetes.Interface
}

// meshValues are a member's configuration: examples/fleet's member file moved into the test's
// Region, meshed with the other member only, its API server reachable from the test.
func meshValues(t *testing.T, file, region, self, peer string, id int) (stackconfig.Config, map[string]string) {
	t.Helper()
	cfg, values, err := stackconfig.LoadFile(file)
	if err != nil {
		t.Fatalf("loading %s: %v", file, err)
	}
	edit := func(key string, change func(map[string]any)) {
		var m map[string]any
		if err := json.Unmarshal([]byte(values[key]), &m); err != nil {
			t.Fatalf("%s of %s: %v", key, file, err)
		}
		change(m)
		raw, _ := json.Marshal(m)
		values[key] = string(raw)
	}
	values[stackconfig.KeyRegion] = region
	edit(stackconfig.KeyCluster, func(c map[string]any) {
		c["name"] = "eks-cilium-" + self
		c["publicAccessCidrs"] = []string{"0.0.0.0/0"} // the test reaches the API server from wherever it runs
	})
	edit(stackconfig.KeyClusterMesh, func(m map[string]any) {
		m["id"], m["peers"] = id, []string{peer}
	})
	// What destroy needs to find the cluster's leftovers.
	cfg.Stack, cfg.Region, cfg.Cluster.Name = self, region, "eks-cilium-"+self
	return cfg, values
}

// TestE2E_TwoMembersMeshAndShareAGlobalService deploys two members of a ClusterMesh into one
// Region (examples/fleet's euw1 and use1, with their disjoint VPCs, service ranges and pools)
// through fleetrun on one backend, then checks on real EKS what no offline test can: both
// clustermesh-apiservers serve behind their internal NLBs, `cilium clustermesh status` sees
// the peer (when the cilium CLI is on PATH), and a global Service answers a client in one
// cluster from the pods of the other, across the VPC peering, over the tunnel.
//
//	EKS_CILIUM_E2E=1 AWS_PROFILE=... go test -trimpath -tags e2e -timeout 120m -v -run Mesh ./tests/e2e
func TestE2E_TwoMembersMeshAndShareAGlobalService(t *testing.T) {
	requireAWS(t, "deploy a two-member ClusterMesh to AWS (~110 min, ~2 USD)", meshNeeded, "120m")
	region := os.Getenv("EKS_CILIUM_E2E_REGION")
	if region == "" {
		region = "eu-west-1" // examples/fleet's first member's Region
	}
	run := time.Now().Unix() % 1_000_000
	names := []string{fmt.Sprintf("mesh%da", run), fmt.Sprintf("mesh%db", run)}
	files := []string{"../../examples/fleet/Pulumi.euw1.yaml", "../../examples/fleet/Pulumi.use1.yaml"}

	// One backend for both: each member reads the other through a StackReference.
	dir, err := os.MkdirTemp("", "eks-cilium-e2e-mesh-")
	if err != nil {
		t.Fatal(err)
	}
	backend := "file://" + dir
	stacks := map[string]auto.Stack{}
	var members []fleetrun.Member
	for i, name := range names {
		cfg, values := meshValues(t, files[i], region, name, names[1-i], i+1)
		s := newStackOn(t, backend, name, values)
		stacks[name] = s
		members = append(members, fleetrun.Member{Stack: name, ID: i + 1})
		// Registered before every other cleanup, so they run last, whatever the test did;
		// the second member is destroyed first (the first holds the mesh's CA in its outputs).
		t.Cleanup(func() { destroy(t, s, backend, cfg) })
	}

	runner := &fleetrun.Runner{
		Open:     func(_ context.Context, stack string) (auto.Stack, error) { return stacks[stack], nil },
		Progress: os.Stdout,
	}
	ctx, cancel := context.WithTimeout(context.Background(), 75*time.Minute)
	defer cancel()
	report, err := runner.Up(ctx, members)
	if report != nil {
		t.Logf("fleet run:\n%s", report.Text())
	}
	if err != nil {
		t.Fatalf("the fleet run failed: %v", err)
	}
	if len(report.Waiting) > 0 {
		t.Fatalf("the fleet run ended with members still waiting: %v", report.Waiting)
	}

	var mesh []meshMember
	for _, name := range names {
		s := stacks[name]
		outs, err := s.Outputs(ctx)
		if err != nil {
			t.Fatal(err)
		}
		kubeconfig, _ := outs["kubeconfig"].Value.(string)
		if kubeconfig == "" {
			t.Fatalf("%s exported no kubeconfig", name)
		}
		file := filepath.Join(t.TempDir(), name+".kubeconfig")
		if err := os.WriteFile(file, []byte(kubeconfig), 0o600); err != nil {
			t.Fatal(err)
		}
		rc, err := clientcmd.RESTConfigFromKubeConfig([]byte(kubeconfig))
		if err != nil {
			t.Fatal(err)
		}
		mesh = append(mesh, meshMember{stack: name, kubeconfig: file, kube: kubernetes.NewForConfigOrDie(rc)})
	}

	t.Run("ClusterMeshAPIServersAvailable", func(t *testing.T) {
		for _, m := range mesh {
			eventually(t, 10*time.Minute, m.stack+": clustermesh-apiserver available", func(ctx context.Context) error {
				d, err := m.kube.AppsV1().Deployments("kube-system").Get(ctx, "clustermesh-apiserver", metav1.GetOptions{})
				if err != nil {
					return err
				}
				if !deploymentAvailable(d) {
					return fmt.Errorf("%d of %d replicas available", d.Status.AvailableReplicas, d.Status.Replicas)
				}
				return nil
			})
		}
	})
	t.Run("CiliumSeesThePeer", func(t *testing.T) {
		if _, err := exec.LookPath("cilium"); err != nil {
			t.Skip("the cilium CLI is not on PATH: `cilium clustermesh status` not run (the global Service below still checks the mesh)")
		}
		for _, m := range mesh {
			out, err := exec.Command("cilium", "--kubeconfig", m.kubeconfig, "clustermesh", "status", "--wait", "--wait-duration", "10m").CombinedOutput()
			if err != nil {
				t.Errorf("%s: cilium clustermesh status: %v\n%s", m.stack, err, out)
			}
		}
	})
	t.Run("GlobalServiceAnswersFromThePeer", func(t *testing.T) { checkGlobalService(t, mesh) })
}

// deploymentAvailable reports whether every replica of the current rollout is available.
func deploymentAvailable(d *appsv1.Deployment) bool {
	want := int32(1)
	if d.Spec.Replicas != nil {
		want = *d.Spec.Replicas
	}
	return d.Status.ObservedGeneration >= d.Generation && d.Status.UpdatedReplicas == want && d.Status.AvailableReplicas == want
}

// checkGlobalService runs an echo Deployment behind a global Service of the same name in both
// clusters, each pod answering with its name, and a client in the first cluster that calls
// the Service 40 times: some answers must come from the second cluster's pods.
func checkGlobalService(t *testing.T, mesh []meshMember) {
	ctx := context.Background()
	ns := "e2e-mesh"
	labels := map[string]string{"app": "echo"}
	pods := map[string]string{} // pod name prefix -> member
	for _, m := range mesh {
		if _, err := m.kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		kube := m.kube
		t.Cleanup(func() { _ = kube.CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{}) })
		name := "echo-" + m.stack
		pods[name] = m.stack
		replicas := int32(2)
		dep := &appsv1.Deployment{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: appsv1.DeploymentSpec{
				Replicas: &replicas,
				Selector: &metav1.LabelSelector{MatchLabels: labels},
				Template: corev1.PodTemplateSpec{
					ObjectMeta: metav1.ObjectMeta{Labels: labels},
					Spec: corev1.PodSpec{Containers: []corev1.Container{{
						Name: "echo", Image: "registry.k8s.io/e2e-test-images/agnhost:2.53",
						Args:  []string{"netexec", "--http-port=8080"},
						Ports: []corev1.ContainerPort{{ContainerPort: 8080}},
						ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{
							HTTPGet: &corev1.HTTPGetAction{Path: "/hostname", Port: intstr.FromInt32(8080)},
						}},
					}}},
				},
			},
		}
		if _, err := m.kube.AppsV1().Deployments(ns).Create(ctx, dep, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		svc := &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Name: "echo", Annotations: map[string]string{globalServiceAnnotation: "true"}},
			Spec:       corev1.ServiceSpec{Selector: labels, Ports: []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromInt32(8080)}}},
		}
		if _, err := m.kube.CoreV1().Services(ns).Create(ctx, svc, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, m := range mesh {
		eventually(t, 5*time.Minute, m.stack+": echo pods available", func(ctx context.Context) error {
			d, err := m.kube.AppsV1().Deployments(ns).Get(ctx, "echo-"+m.stack, metav1.GetOptions{})
			if err != nil {
				return err
			}
			if !deploymentAvailable(d) {
				return fmt.Errorf("%d available", d.Status.AvailableReplicas)
			}
			return nil
		})
	}

	// The client asks 40 times; Cilium picks a backend among both clusters' pods each time.
	script := fmt.Sprintf("for i in $(seq 40); do wget -q -T 5 -O- http://echo.%s.svc.cluster.local/hostname; echo; done", ns)
	client := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "client"},
		Spec: corev1.PodSpec{RestartPolicy: corev1.RestartPolicyNever, Containers: []corev1.Container{{
			Name: "client", Image: "registry.k8s.io/e2e-test-images/busybox:1.36.1-1", Command: []string{"sh", "-c", script},
		}}},
	}
	first := mesh[0]
	var logs string
	// The peer's endpoints reach the first cluster through its clustermesh-apiserver; retry
	// the client until they do or the time is up.
	eventually(t, 10*time.Minute, "answers from both clusters", func(ctx context.Context) error {
		_ = first.kube.CoreV1().Pods(ns).Delete(ctx, "client", metav1.DeleteOptions{GracePeriodSeconds: new(int64)})
		for {
			if _, err := first.kube.CoreV1().Pods(ns).Get(ctx, "client", metav1.GetOptions{}); err != nil {
				break
			}
			time.Sleep(2 * time.Second)
		}
		if _, err := first.kube.CoreV1().Pods(ns).Create(ctx, client, metav1.CreateOptions{}); err != nil {
			return err
		}
		for {
			p, err := first.kube.CoreV1().Pods(ns).Get(ctx, "client", metav1.GetOptions{})
			if err != nil {
				return err
			}
			if p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
				break
			}
			time.Sleep(2 * time.Second)
		}
		raw, err := first.kube.CoreV1().Pods(ns).GetLogs("client", &corev1.PodLogOptions{}).DoRaw(ctx)
		if err != nil {
			return err
		}
		logs = string(raw)
		from := map[string]int{}
		for _, line := range strings.Fields(logs) {
			for prefix, member := range pods {
				if strings.HasPrefix(line, prefix+"-") {
					from[member]++
				}
			}
		}
		for _, m := range mesh {
			if from[m.stack] == 0 {
				return fmt.Errorf("no answer from %s's pods (answers by cluster: %v)", m.stack, from)
			}
		}
		t.Logf("answers by cluster: %v", from)
		return nil
	})
}
