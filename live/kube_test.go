package live

import (
	"context"
	"reflect"
	"testing"

	"github.com/eks-cilium/eks-cilium/migration"
	admissionv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"
)

func meta(ns, name string, annotations map[string]string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Namespace: ns, Name: name, Annotations: annotations}
}

func node(name, group, ip string) *corev1.Node {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{}}}
	if group != "" {
		n.Labels["eks.amazonaws.com/nodegroup"] = group
	}
	n.Status.Addresses = []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: ip}}
	return n
}

func unstructuredObject(apiVersion, kind, ns, name string, fields map[string]any) *unstructured.Unstructured {
	obj := map[string]any{"apiVersion": apiVersion, "kind": kind, "metadata": map[string]any{"name": name, "namespace": ns}}
	for k, v := range fields {
		obj[k] = v
	}
	return &unstructured.Unstructured{Object: obj}
}

// TestKube_ReadsWhatTheMigrationChecks reads a cluster with something of every kind the
// migration looks at, through client-go's fake clients (the same calls the program makes).
func TestKube_ReadsWhatTheMigrationChecks(t *testing.T) {
	svcRef := func(ns, name string) *admissionv1.WebhookClientConfig {
		return &admissionv1.WebhookClientConfig{Service: &admissionv1.ServiceReference{Namespace: ns, Name: name}}
	}
	client := fake.NewSimpleClientset(
		node("a-1", "workers-a", "10.0.1.10"), node("a-2", "workers-a", "10.0.1.11"), node("c-1", "cilium-x", "10.0.2.10"),
		&appsv1.DaemonSet{ObjectMeta: meta("kube-system", "aws-node", nil),
			Spec: appsv1.DaemonSetSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{
				{Name: "aws-node", Env: []corev1.EnvVar{{Name: "ENABLE_POD_ENI", Value: "true"}}},
				{Name: "aws-eks-nodeagent", Env: []corev1.EnvVar{{Name: "OTHER", Value: "x"}}},
			}}}},
			Status: appsv1.DaemonSetStatus{DesiredNumberScheduled: 2, CurrentNumberScheduled: 2}},
		&corev1.ConfigMap{ObjectMeta: meta("kube-system", "cilium-config", nil), Data: map[string]string{"cni-chaining-mode": "aws-cni"}},
		&networkingv1.NetworkPolicy{ObjectMeta: meta("shop", "deny-all", nil)},
		&corev1.Service{ObjectMeta: meta("shop", "web", map[string]string{"service.beta.kubernetes.io/aws-load-balancer-nlb-target-type": "ip"})},
		&corev1.Service{ObjectMeta: meta("shop", "api", map[string]string{"service.beta.kubernetes.io/aws-load-balancer-nlb-target-type": "instance"})},
		&networkingv1.Ingress{ObjectMeta: meta("shop", "front", map[string]string{"alb.ingress.kubernetes.io/target-type": "ip"})},
		&admissionv1.ValidatingWebhookConfiguration{ObjectMeta: meta("", "gatekeeper", nil),
			Webhooks: []admissionv1.ValidatingWebhook{{Name: "v.gk", ClientConfig: *svcRef("gk", "webhook")}}},
		&admissionv1.MutatingWebhookConfiguration{ObjectMeta: meta("", "lbc", nil),
			Webhooks: []admissionv1.MutatingWebhook{{Name: "m.lbc", ClientConfig: *svcRef("kube-system", "lbc-webhook")}}},
		// gatekeeper's endpoint is a pod IP; the controller's a node address (host network).
		&discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{Namespace: "gk", Name: "webhook-1", Labels: map[string]string{"kubernetes.io/service-name": "webhook"}},
			Endpoints: []discoveryv1.Endpoint{{Addresses: []string{"10.0.1.77"}}}},
		&discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{Namespace: "kube-system", Name: "lbc-1", Labels: map[string]string{"kubernetes.io/service-name": "lbc-webhook"}},
			Endpoints: []discoveryv1.Endpoint{{Addresses: []string{"10.0.2.10"}}}},
	)
	lists := map[schema.GroupVersionResource]string{
		securityGroupPolicies: "SecurityGroupPolicyList", targetGroupBindings: "TargetGroupBindingList", apiServices: "APIServiceList",
	}
	dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), lists,
		unstructuredObject("vpcresources.k8s.aws/v1beta1", "SecurityGroupPolicy", "shop", "db", nil),
		unstructuredObject("elbv2.k8s.aws/v1beta1", "TargetGroupBinding", "shop", "tgb-ip", map[string]any{"spec": map[string]any{"targetType": "ip"}}),
		unstructuredObject("elbv2.k8s.aws/v1beta1", "TargetGroupBinding", "shop", "tgb-instance", map[string]any{"spec": map[string]any{"targetType": "instance"}}),
		unstructuredObject("apiregistration.k8s.io/v1", "APIService", "", "v1beta1.metrics.k8s.io", map[string]any{"spec": map[string]any{"service": map[string]any{"namespace": "gk", "name": "webhook"}}}),
	)
	f := &migration.Facts{LegacyGroups: []migration.LegacyGroup{{Name: "workers-a", Found: true}, {Name: "workers-b", Found: true}}}
	if err := NewKubeFrom(client, dyn).Read(context.Background(), f); err != nil {
		t.Fatal(err)
	}
	if f.Nodes != 3 || f.LegacyGroups[0].Nodes != 2 || f.LegacyGroups[1].Nodes != 0 {
		t.Errorf("nodes %d, per legacy group %d and %d; want 3, 2, 0", f.Nodes, f.LegacyGroups[0].Nodes, f.LegacyGroups[1].Nodes)
	}
	wantDS := &migration.DaemonSet{DesiredNumberScheduled: 2, CurrentNumberScheduled: 2, Env: map[string]string{"ENABLE_POD_ENI": "true"}}
	if !reflect.DeepEqual(f.AwsNode, wantDS) {
		t.Errorf("aws-node = %+v, want %+v (the aws-node container's env only)", f.AwsNode, wantDS)
	}
	if f.Cilium != (migration.Cilium{Present: true, ChainingMode: "aws-cni"}) {
		t.Errorf("cilium = %+v", f.Cilium)
	}
	for name, got := range map[string][]string{"NetworkPolicies": f.NetworkPolicies, "SecurityGroupPolicies": f.SecurityGroupPolicies} {
		if len(got) != 1 {
			t.Errorf("%s = %v, want one", name, got)
		}
	}
	wantTargets := []string{"Ingress shop/front", "Service shop/web", "TargetGroupBinding shop/tgb-ip"}
	if !reflect.DeepEqual(f.IPTargets, wantTargets) {
		t.Errorf("IP targets = %v, want %v", f.IPTargets, wantTargets)
	}
	wantHidden := []string{"APIService v1beta1.metrics.k8s.io (Service gk/webhook)", "ValidatingWebhookConfiguration gatekeeper (Service gk/webhook)"}
	if !reflect.DeepEqual(f.HiddenBackends, wantHidden) {
		t.Errorf("hidden backends = %v, want %v", f.HiddenBackends, wantHidden)
	}
}

func TestKube_AClusterWithoutAwsNodeOrCiliumReadsAsSuch(t *testing.T) {
	lists := map[schema.GroupVersionResource]string{
		securityGroupPolicies: "SecurityGroupPolicyList", targetGroupBindings: "TargetGroupBindingList", apiServices: "APIServiceList",
	}
	f := &migration.Facts{}
	if err := NewKubeFrom(fake.NewSimpleClientset(), dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), lists)).Read(context.Background(), f); err != nil {
		t.Fatal(err)
	}
	if f.AwsNode != nil || f.Cilium.Present || f.Nodes != 0 {
		t.Errorf("an empty cluster reads as %+v", f)
	}
}
