package localkube

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

func waitUntil(t *testing.T, timeout time.Duration, what string, ok func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		done, state := ok()
		if done {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after %s (%s)", what, timeout, state)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func hasTaint(t *testing.T, c *Cluster, node, key string) bool {
	t.Helper()
	n, err := c.Client.CoreV1().Nodes().Get(context.Background(), node, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return slices.ContainsFunc(n.Spec.Taints, func(tt corev1.Taint) bool { return tt.Key == key })
}

// A node joins with Cilium's startup taint only; a privileged agent pod tolerating it runs and
// lifts the taint; only then a workload schedules there and runs; deleted, its pods go.
func TestCluster_RunsPodsOnSimulatedNodesOnceTheAgentRuns(t *testing.T) {
	c := Start(t, Options{})
	k := c.StartKubelets(t)
	ctx := context.Background()
	node := T3Medium("ip-192-168-0-10.eu-west-1.compute.internal", "eu-west-1a", "192.168.0.10")
	k.AddNode(t, node)
	if hasTaint(t, c, node.Name, "node.kubernetes.io/not-ready") || !hasTaint(t, c, node.Name, CiliumStartupTaintKey) {
		n, _ := c.Client.CoreV1().Nodes().Get(ctx, node.Name, metav1.GetOptions{})
		t.Fatalf("new node's taints: %v, want only %s", n.Spec.Taints, CiliumStartupTaintKey)
	}

	web := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"},
		Spec: appsv1.DeploymentSpec{
			Replicas: new(int32(1)),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "nginx"}}},
			},
		},
	}
	if _, err := c.Client.AppsV1().Deployments("default").Create(ctx, web, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	podPhase := func(ns, selector string) (corev1.PodPhase, string) {
		pods, err := c.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: selector})
		if err != nil || len(pods.Items) == 0 {
			return "", "no pod"
		}
		return pods.Items[0].Status.Phase, pods.Items[0].Spec.NodeName
	}
	time.Sleep(3 * time.Second)
	if phase, _ := podPhase("default", "app=web"); phase == corev1.PodRunning {
		t.Fatal("a workload pod ran on a node still carrying Cilium's startup taint")
	}

	agent := &appsv1.DaemonSet{
		ObjectMeta: metav1.ObjectMeta{Name: "cilium", Namespace: "kube-system"},
		Spec: appsv1.DaemonSetSpec{
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{CiliumAgentLabel: ciliumAgentValue}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{CiliumAgentLabel: ciliumAgentValue}},
				Spec: corev1.PodSpec{
					HostNetwork: true,
					Tolerations: []corev1.Toleration{{Operator: corev1.TolerationOpExists}},
					Containers: []corev1.Container{{Name: "agent", Image: "quay.io/cilium/cilium",
						SecurityContext: &corev1.SecurityContext{Privileged: new(true)}}},
				},
			},
		},
	}
	if _, err := c.Client.AppsV1().DaemonSets("kube-system").Create(ctx, agent, metav1.CreateOptions{}); err != nil {
		t.Fatalf("a privileged DaemonSet (EKS allows them): %v", err)
	}
	waitUntil(t, time.Minute, "the agent runs and lifts the startup taint", func() (bool, string) {
		phase, _ := podPhase("kube-system", "k8s-app=cilium")
		return phase == corev1.PodRunning && !hasTaint(t, c, node.Name, CiliumStartupTaintKey), string(phase)
	})
	waitUntil(t, time.Minute, "the workload runs", func() (bool, string) {
		phase, at := podPhase("default", "app=web")
		return phase == corev1.PodRunning && at == node.Name, string(phase)
	})
	d, err := c.Client.AppsV1().Deployments("default").Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, time.Minute, "the Deployment is available", func() (bool, string) {
		d, err = c.Client.AppsV1().Deployments("default").Get(ctx, "web", metav1.GetOptions{})
		return err == nil && d.Status.AvailableReplicas == 1, d.Status.String()
	})
	if err := c.Client.AppsV1().Deployments("default").Delete(ctx, "web", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, time.Minute, "the workload's pods are gone", func() (bool, string) {
		phase, _ := podPhase("default", "app=web")
		return phase == "", string(phase)
	})
}

// The API server calls admission webhooks served by pods through the stand-in: one with a
// Service and TLS Secret (as the AWS Load Balancer Controller's chart makes them) is called and
// allows; one whose Service does not exist fails the request, as failurePolicy Fail says.
func TestCluster_AnswersForWebhooksServedByPods(t *testing.T) {
	c := Start(t, Options{})
	ctx := context.Background()
	ns := "webhooks"
	if _, err := c.Client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "hook", Namespace: ns},
		Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "hook"},
			Ports: []corev1.ServicePort{{Port: 443, TargetPort: intstr.FromInt32(9443)}}},
	}
	if _, err := c.Client.CoreV1().Services(ns).Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// The chart's own CA and serving certificate, not the harness's.
	chartCA, err := NewCA("chart-generated-ca")
	if err != nil {
		t.Fatal(err)
	}
	serving, err := chartCA.Issue("hook", nil, "hook."+ns+".svc")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Client.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "hook-tls", Namespace: ns}, Type: corev1.SecretTypeTLS,
		Data: map[string][]byte{corev1.TLSCertKey: serving.CertPEM, corev1.TLSPrivateKeyKey: serving.KeyPEM},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	hook := func(name, service string) admissionregistrationv1.ValidatingWebhook {
		path := "/validate"
		return admissionregistrationv1.ValidatingWebhook{
			Name: name,
			ClientConfig: admissionregistrationv1.WebhookClientConfig{
				Service:  &admissionregistrationv1.ServiceReference{Namespace: ns, Name: service, Path: &path},
				CABundle: chartCA.CertPEM,
			},
			Rules: []admissionregistrationv1.RuleWithOperations{{
				Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
				Rule:       admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"configmaps"}},
			}},
			FailurePolicy:           new(admissionregistrationv1.Fail),
			SideEffects:             new(admissionregistrationv1.SideEffectClassNone),
			AdmissionReviewVersions: []string{"v1"},
			NamespaceSelector:       &metav1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/metadata.name": ns}},
			ObjectSelector:          &metav1.LabelSelector{MatchLabels: map[string]string{"hook": name}},
		}
	}
	cfg := &admissionregistrationv1.ValidatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: "hooks"},
		Webhooks:   []admissionregistrationv1.ValidatingWebhook{hook("served.example.com", "hook"), hook("unserved.example.com", "missing")},
	}
	if _, err := c.Client.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(ctx, cfg, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	create := func(name, hookName string) error {
		_, err := c.Client.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"hook": hookName}},
		}, metav1.CreateOptions{})
		return err
	}
	// The API server picks up a new webhook configuration within a moment.
	waitUntil(t, 30*time.Second, "the served webhook is called and allows", func() (bool, string) {
		err := create("allowed-"+time.Now().Format("150405.000000000")[7:], "served.example.com")
		calls := c.PodEndpointCalls()
		return err == nil && slices.ContainsFunc(calls, func(pc PodEndpointCall) bool {
			return pc.Service == ns+"/hook" && pc.Kind == "ConfigMap" && pc.Operation == "CREATE" && pc.Answer == "allowed"
		}), errText(err)
	})
	err = create("refused", "unserved.example.com")
	if err == nil || !strings.Contains(err.Error(), "unserved.example.com") {
		t.Errorf("creating through a webhook with no Service: %v, want the webhook's failure", err)
	}
}

func errText(err error) string {
	if err == nil {
		return "no error"
	}
	return err.Error()
}
