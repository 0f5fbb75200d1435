package pack

import "testing"

func instanceTargetService() map[string]any {
	return map[string]any{
		"metadata": map[string]any{"name": "web", "annotations": map[string]any{
			annotationNLBTargetType:                               "instance",
			"service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing",
		}},
		"spec": map[string]any{"type": "LoadBalancer", "loadBalancerClass": "service.k8s.aws/nlb"},
	}
}

func instanceTargetIngress() map[string]any {
	return map[string]any{
		"metadata": map[string]any{"name": "web", "annotations": map[string]any{annotationALBTargetType: "instance"}},
		"spec":     map[string]any{"ingressClassName": "alb"},
	}
}

func TestNoIPTargets_RefusesEveryWayOfAskingForPodIPTargets(t *testing.T) {
	const tgbBeta, tgbAlpha = typeLBCTargetGroupBindingBeta, typeLBCTargetGroupBindingAlpha
	runResourceCases(t, noIPTargets, []resourceCase{
		{name: "NLB Service with ip targets", typ: typeK8sService,
			inputs: withPath(instanceTargetService(), "ip", "metadata", "annotations", annotationNLBTargetType),
			want:   1, contains: []string{annotationNLBTargetType, `"ip"`, "not VPC addresses", "instance"}},
		{name: "ip target annotation in capitals", typ: typeK8sService,
			inputs: withPath(instanceTargetService(), "IP", "metadata", "annotations", annotationNLBTargetType), want: 1},
		{name: "legacy nlb-ip type", typ: typeK8sService,
			inputs: withPath(instanceTargetService(), "nlb-ip", "metadata", "annotations", annotationLBType),
			want:   1, contains: []string{`"nlb-ip"`}},
		{name: "Service patch", typ: typeK8sServicePatch,
			inputs: withPath(instanceTargetService(), "ip", "metadata", "annotations", annotationNLBTargetType), want: 1},
		{name: "ALB Ingress with ip targets", typ: typeK8sIngress,
			inputs: withPath(instanceTargetIngress(), "ip", "metadata", "annotations", annotationALBTargetType),
			want:   1, contains: []string{annotationALBTargetType}},
		{name: "Ingress patch", typ: typeK8sIngressPatch,
			inputs: withPath(instanceTargetIngress(), "ip", "metadata", "annotations", annotationALBTargetType), want: 1},
		{name: "IngressClassParams", typ: typeLBCIngressClassParams,
			inputs: map[string]any{"spec": map[string]any{"targetType": "ip"}}, want: 1, contains: []string{"spec.targetType"}},
		{name: "TargetGroupBinding v1beta1", typ: tgbBeta,
			inputs: map[string]any{"spec": map[string]any{"targetType": "ip", "serviceRef": map[string]any{"name": "web", "port": 80}}}, want: 1},
		{name: "TargetGroupBinding v1alpha1", typ: tgbAlpha,
			inputs: map[string]any{"spec": map[string]any{"targetType": "ip"}}, want: 1},
		{name: "Gateway TargetGroupConfiguration, default and per route", typ: typeLBCTargetGroupConfigV1,
			inputs: map[string]any{"spec": map[string]any{
				"defaultConfiguration": map[string]any{"targetType": "ip"},
				"routeConfigurations": []any{
					map[string]any{"targetGroupProps": map[string]any{"targetType": "instance"}},
					map[string]any{"targetGroupProps": map[string]any{"targetType": "ip"}},
				}}},
			want: 2, contains: []string{"spec.defaultConfiguration.targetType", "spec.routeConfigurations[1].targetGroupProps.targetType"}},
	})
}

func TestNoIPTargets_AcceptsInstanceTargetsAndWhatItCannotSee(t *testing.T) {
	runResourceCases(t, noIPTargets, []resourceCase{
		{name: "instance targets", typ: typeK8sService, inputs: instanceTargetService()},
		{name: "no target type (the controller's default here is instance)", typ: typeK8sService,
			inputs: withPath(instanceTargetService(), deleted, "metadata", "annotations", annotationNLBTargetType)},
		{name: "plain nlb type", typ: typeK8sService,
			inputs: withPath(instanceTargetService(), "nlb", "metadata", "annotations", annotationLBType)},
		{name: "annotation unknown during preview", typ: typeK8sService,
			inputs: withPath(instanceTargetService(), computed, "metadata", "annotations", annotationNLBTargetType)},
		{name: "annotations unknown", typ: typeK8sIngress, inputs: withPath(instanceTargetIngress(), computed, "metadata", "annotations")},
		{name: "instance ALB", typ: typeK8sIngress, inputs: instanceTargetIngress()},
		{name: "instance TargetGroupBinding", typ: typeLBCTargetGroupBindingBeta,
			inputs: map[string]any{"spec": map[string]any{"targetType": "instance"}}},
		{name: "ip annotation on another kind", typ: "kubernetes:core/v1:ConfigMap",
			inputs: withPath(instanceTargetService(), "ip", "metadata", "annotations", annotationNLBTargetType)},
	})
}

// webhookRelease is a Helm release of chart with the given values.
func webhookRelease(chart string, values map[string]any) map[string]any {
	return map[string]any{"chart": chart, "version": "1.0.0", "namespace": "kube-system", "values": values}
}

func TestWebhooksOnHostNetwork_AdvisesWebhookChartsOnThePodNetwork(t *testing.T) {
	runResourceCases(t, webhooksOnHostNetwork, []resourceCase{
		{name: "cert-manager with chart defaults", typ: typeHelmRelease, inputs: webhookRelease("cert-manager", map[string]any{}),
			want: 1, contains: []string{"cert-manager webhook", "values.webhook.hostNetwork is not set", "cannot reach pod IPs", "values.webhook.securePort"}},
		{name: "cert-manager from a repo alias", typ: typeHelmRelease,
			inputs: webhookRelease("jetstack/cert-manager", map[string]any{"webhook": map[string]any{"hostNetwork": false}}),
			want:   1, contains: []string{"values.webhook.hostNetwork is false"}},
		{name: "kyverno as an OCI reference", typ: typeHelmChartV4,
			inputs: webhookRelease("oci://ghcr.io/kyverno/charts/kyverno:3.3.0", map[string]any{}),
			want:   1, contains: []string{"admissionController.hostNetwork"}},
		{name: "gatekeeper from a packaged chart", typ: typeHelmRelease,
			inputs: webhookRelease("./charts/gatekeeper-3.18.0.tgz", map[string]any{}),
			want:   1, contains: []string{"controllerManager.hostNetwork"}},
		{name: "karpenter with webhooks on", typ: typeHelmRelease,
			inputs: webhookRelease("karpenter", map[string]any{"webhook": map[string]any{"enabled": true}}),
			want:   1, contains: []string{"values.hostNetwork is not set"}},
		{name: "metrics-server on the pod network", typ: typeHelmRelease,
			inputs: webhookRelease("metrics-server", map[string]any{"hostNetwork": map[string]any{"enabled": false}}),
			want:   1, contains: []string{"metrics.k8s.io aggregated API"}},
	})
}

func TestWebhooksOnHostNetwork_AdvisesAHostPortTheNodeAlreadyHolds(t *testing.T) {
	runResourceCases(t, webhooksOnHostNetwork, []resourceCase{
		{name: "cert-manager on the host network on the kubelet's default port", typ: typeHelmRelease,
			inputs: webhookRelease("cert-manager", map[string]any{"webhook": map[string]any{"hostNetwork": true}}),
			want:   1, contains: []string{"values.webhook.securePort = 10250", "kubelet"}},
		{name: "controller webhook on Cilium's metrics port", typ: typeHelmRelease,
			inputs: webhookRelease("aws-load-balancer-controller", map[string]any{"hostNetwork": true, "webhookBindPort": 9962}),
			want:   1, contains: []string{"9962", "cilium-agent"}},
		{name: "gatekeeper in Cilium's L7 proxy range", typ: typeHelmRelease,
			inputs: webhookRelease("gatekeeper", map[string]any{"controllerManager": map[string]any{"hostNetwork": true, "port": "15443"}}),
			want:   1, contains: []string{"15443", "L7 proxy"}},
	})
}

func TestWebhooksOnHostNetwork_AcceptsHostNetworkOnAFreePortAndWhatItCannotSee(t *testing.T) {
	runResourceCases(t, webhooksOnHostNetwork, []resourceCase{
		{name: "cert-manager on the host network, free port", typ: typeHelmRelease,
			inputs: webhookRelease("cert-manager", map[string]any{"webhook": map[string]any{"hostNetwork": true, "securePort": 20001}})},
		{name: "the controller as the program installs it", typ: typeHelmRelease,
			inputs: webhookRelease("aws-load-balancer-controller", map[string]any{"hostNetwork": true, "webhookBindPort": 20444})},
		{name: "metrics-server as the program installs it", typ: typeHelmRelease,
			inputs: webhookRelease("metrics-server", map[string]any{"hostNetwork": map[string]any{"enabled": true}, "containerPort": 20443})},
		{name: "karpenter without webhooks (1.14 has none)", typ: typeHelmRelease, inputs: webhookRelease("karpenter", map[string]any{})},
		{name: "a chart serving no webhooks", typ: typeHelmRelease, inputs: webhookRelease("ingress-nginx-dashboard", map[string]any{})},
		{name: "Cilium", typ: typeHelmRelease, inputs: goodCiliumRelease()},
		{name: "values unknown", typ: typeHelmRelease, inputs: withPath(webhookRelease("cert-manager", nil), computed, "values")},
		{name: "hostNetwork unknown", typ: typeHelmRelease,
			inputs: webhookRelease("cert-manager", map[string]any{"webhook": map[string]any{"hostNetwork": computed}})},
		{name: "chart unknown", typ: typeHelmRelease, inputs: withPath(webhookRelease("cert-manager", map[string]any{}), computed, "chart")},
		{name: "hostNetwork may be set in value files", typ: typeHelmRelease,
			inputs: withPath(webhookRelease("kyverno", map[string]any{}), []any{"kyverno.yaml"}, "valueYamlFiles")},
		{name: "port unknown", typ: typeHelmRelease,
			inputs: webhookRelease("cert-manager", map[string]any{"webhook": map[string]any{"hostNetwork": true, "securePort": computed}})},
	})
}

func TestChartName_ReadsHelmChartReferences(t *testing.T) {
	for ref, want := range map[string]string{
		"cert-manager":                               "cert-manager",
		"jetstack/cert-manager":                      "cert-manager",
		"oci://quay.io/jetstack/charts/cert-manager": "cert-manager",
		"oci://ghcr.io/kyverno/charts/kyverno:3.3.0": "kyverno",
		"./charts/cert-manager-v1.16.0.tgz":          "cert-manager",
		"../shared/charts/metrics-server-3.13.1.tgz": "metrics-server",
		// The forms eks-cilium:chartSources gives the releases (charts.Chart.Ref).
		"oci://123456789012.dkr.ecr.eu-west-1.amazonaws.com/helm-mirror/aws-load-balancer-controller": "aws-load-balancer-controller",
		"/opt/charts/metrics-server-3.13.1.tgz":                                                       "metrics-server",
		"./charts/karpenter-crd-1.14.1.tgz":                                                           "karpenter-crd",
		"./charts/karpenter-1.14.1.tgz":                                                               "karpenter",
		"aws-load-balancer-controller":                                                                "aws-load-balancer-controller",
	} {
		if got := chartName(ref); got != want {
			t.Errorf("chartName(%q) = %q, want %q", ref, got, want)
		}
	}
}
