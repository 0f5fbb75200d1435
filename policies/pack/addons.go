package pack

import (
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/eks-cilium/eks-cilium/hostports"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
)

// Kubernetes resources that can ask the AWS Load Balancer Controller for targets. Pulumi
// registers a custom resource under kubernetes:<group>/<version>:<kind>.
const (
	typeK8sService                  = "kubernetes:core/v1:Service"
	typeK8sServicePatch             = "kubernetes:core/v1:ServicePatch"
	typeK8sIngress                  = "kubernetes:networking.k8s.io/v1:Ingress"
	typeK8sIngressPatch             = "kubernetes:networking.k8s.io/v1:IngressPatch"
	typeLBCIngressClassParams       = "kubernetes:elbv2.k8s.aws/v1beta1:IngressClassParams"
	typeLBCTargetGroupBindingBeta   = "kubernetes:elbv2.k8s.aws/v1beta1:TargetGroupBinding"
	typeLBCTargetGroupBindingAlpha  = "kubernetes:elbv2.k8s.aws/v1alpha1:TargetGroupBinding"
	typeLBCTargetGroupConfiguration = "kubernetes:gateway.k8s.aws/v1beta1:TargetGroupConfiguration"
	typeLBCTargetGroupConfigV1      = "kubernetes:gateway.k8s.aws/v1:TargetGroupConfiguration"
)

// Annotations the AWS Load Balancer Controller reads (its docs: guide/service/annotations,
// guide/ingress/annotations).
const (
	annotationNLBTargetType = "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type"
	// aws-load-balancer-type: nlb-ip is the controller's legacy spelling of NLB with IP targets.
	annotationLBType        = "service.beta.kubernetes.io/aws-load-balancer-type"
	annotationALBTargetType = "alb.ingress.kubernetes.io/target-type"
)

const ipTargetsWhy = "the targets would be pod IPs, and on the Cilium overlay pod IPs are not VPC addresses: " +
	"the load balancer can neither register nor reach them (every target stays unhealthy). Use instance " +
	"targets (the controller's default here): traffic enters through the node's NodePort and Cilium " +
	"forwards it to the pod"

var noIPTargets = resourcePolicy(
	"no-ip-targets",
	"No Service, Ingress or AWS Load Balancer Controller resource asks for `ip` targets: overlay pod IPs are not VPC addresses.",
	policyx.EnforcementLevelMandatory,
	nil,
	checkNoIPTargets,
)

func checkNoIPTargets(res policyx.AnalyzerResource, _ map[string]any) []string {
	annotation := func(key string) (string, bool) {
		s, p, ok := stringAt(res.Properties, "metadata", "annotations", key)
		return s, p == known && ok
	}
	var out []string
	switch res.Type {
	case typeK8sService, typeK8sServicePatch:
		if v, ok := annotation(annotationNLBTargetType); ok && strings.EqualFold(strings.TrimSpace(v), "ip") {
			out = append(out, fmt.Sprintf("metadata.annotations[%q] is %q: %s.", annotationNLBTargetType, v, ipTargetsWhy))
		}
		if v, ok := annotation(annotationLBType); ok && strings.EqualFold(strings.TrimSpace(v), "nlb-ip") {
			out = append(out, fmt.Sprintf("metadata.annotations[%q] is %q (an NLB with ip targets): %s.", annotationLBType, v, ipTargetsWhy))
		}
	case typeK8sIngress, typeK8sIngressPatch:
		if v, ok := annotation(annotationALBTargetType); ok && strings.EqualFold(strings.TrimSpace(v), "ip") {
			out = append(out, fmt.Sprintf("metadata.annotations[%q] is %q: %s.", annotationALBTargetType, v, ipTargetsWhy))
		}
	case typeLBCIngressClassParams, typeLBCTargetGroupBindingBeta, typeLBCTargetGroupBindingAlpha:
		if v, p, ok := stringAt(res.Properties, "spec", "targetType"); p == known && ok && v == "ip" {
			out = append(out, fmt.Sprintf("spec.targetType is %q: %s.", v, ipTargetsWhy))
		}
	case typeLBCTargetGroupConfiguration, typeLBCTargetGroupConfigV1:
		if v, p, ok := stringAt(res.Properties, "spec", "defaultConfiguration", "targetType"); p == known && ok && v == "ip" {
			out = append(out, fmt.Sprintf("spec.defaultConfiguration.targetType is %q: %s.", v, ipTargetsWhy))
		}
		routes, _ := lookup(res.Properties, "spec", "routeConfigurations")
		if routes.IsArray() {
			for i, r := range routes.AsArray().All {
				if v, p, ok := stringAt(mapOf(r), "targetGroupProps", "targetType"); p == known && ok && v == "ip" {
					out = append(out, fmt.Sprintf("spec.routeConfigurations[%d].targetGroupProps.targetType is %q: %s.", i, v, ipTargetsWhy))
				}
			}
		}
	}
	return out
}

// webhookChart is a chart known to serve something the EKS control plane calls (admission
// webhooks, an aggregated API), with the values that move it onto the host network.
type webhookChart struct {
	chart string
	// hostNetwork is the value path that puts the serving pod on the host network.
	hostNetwork string
	// port is the value path of the port it then binds on the node, and defaultPort the
	// chart's default for it.
	port        string
	defaultPort int
	// onlyIf is a value path that must be true for the chart to serve webhooks at all ("" when
	// it always does).
	onlyIf string
	serves string
	source string
}

var webhookCharts = []webhookChart{
	{"cert-manager", "webhook.hostNetwork", "webhook.securePort", 10250, "",
		"the cert-manager webhook", "cert-manager docs, installation/compatibility (AWS EKS): set webhook.hostNetwork and move webhook.securePort off the kubelet's 10250"},
	{"kyverno", "admissionController.hostNetwork", "admissionController.webhookServer.port", 9443, "",
		"Kyverno's admission webhooks", "kyverno chart README: admissionController.hostNetwork (custom CNI on EKS)"},
	{"gatekeeper", "controllerManager.hostNetwork", "controllerManager.port", 8443, "",
		"Gatekeeper's admission webhook", "gatekeeper chart README: controllerManager.hostNetwork, controllerManager.port"},
	{"karpenter", "hostNetwork", "webhook.port", 8443, "webhook.enabled",
		"Karpenter's webhooks (older charts; 1.14 serves none)", "karpenter chart values.yaml hostNetwork (\"required when using a custom CNI\")"},
	{"aws-load-balancer-controller", "hostNetwork", "webhookBindPort", 9443, "",
		"the controller's admission webhooks", "aws-load-balancer-controller chart 3.5.0 values.yaml hostNetwork, webhookBindPort"},
	{"metrics-server", "hostNetwork.enabled", "containerPort", 10250, "",
		"the metrics.k8s.io aggregated API", "metrics-server chart 3.13.1 values.yaml hostNetwork.enabled, containerPort"},
}

var chartVersionSuffix = regexp.MustCompile(`-v?[0-9]+\.[0-9]+.*$`)

// chartName is the chart a Helm reference names: "cert-manager", "jetstack/cert-manager",
// "oci://quay.io/jetstack/charts/cert-manager:v1.16.0", "./charts/cert-manager-v1.16.0.tgz".
func chartName(ref string) string {
	name := path.Base(strings.TrimSuffix(ref, "/"))
	name, _, _ = strings.Cut(name, ":")
	if strings.HasSuffix(name, ".tgz") {
		name = chartVersionSuffix.ReplaceAllString(strings.TrimSuffix(name, ".tgz"), "")
	}
	return name
}

const podNetworkWhy = "on the Cilium overlay the EKS control plane lives in the VPC and cannot reach pod IPs, so " +
	"every call to it times out and whatever it guards fails (or is silently skipped with failurePolicy Ignore)"

var webhooksOnHostNetwork = resourcePolicy(
	"webhooks-on-host-network",
	"Helm releases of charts that serve admission webhooks or aggregated APIs run them on the host network, on a free port.",
	policyx.EnforcementLevelAdvisory,
	nil,
	checkWebhooksOnHostNetwork,
)

// nodePorts is what every node holds whatever the stack (kube-proxy and the Pod Identity
// agent included, since a release may come before or after either).
var nodePorts = func() *hostports.Map {
	held, err := hostports.NodeHeld(hostports.Node{CiliumValues: map[string]any{}, KubeProxy: true, PodIdentityAgent: true})
	if err != nil {
		panic(err) // empty values cannot fail; a failure here is a programming error caught by the tests
	}
	m, err := hostports.Plan(held, nil)
	if err != nil {
		panic(err)
	}
	return m
}()

func checkWebhooksOnHostNetwork(res policyx.AnalyzerResource, _ map[string]any) []string {
	if res.Type != typeHelmRelease && res.Type != typeHelmChartV4 {
		return nil
	}
	ref, p, ok := stringAt(res.Properties, "chart")
	if p != known || !ok {
		return nil
	}
	name := chartName(ref)
	var chart *webhookChart
	for i := range webhookCharts {
		if webhookCharts[i].chart == name {
			chart = &webhookCharts[i]
		}
	}
	if chart == nil {
		return nil
	}
	values, vp := lookup(res.Properties, "values")
	if vp == unknown {
		return nil
	}
	files, fp := lookup(res.Properties, "valueYamlFiles")
	partial := fp == unknown || (fp == known && files.IsArray() && files.AsArray().Len() > 0)
	at := func(dotted string) (property.Value, presence) {
		v, p := lookup(mapOf(values), strings.Split(dotted, ".")...)
		if p == absent && partial {
			return v, unknown // the value files may set it
		}
		return v, p
	}

	if chart.onlyIf != "" {
		v, p := at(chart.onlyIf)
		if on, ok := boolish(v); p != known || !ok || !on {
			return nil
		}
	}
	hn, hp := at(chart.hostNetwork)
	if hp == unknown {
		return nil
	}
	if on, ok := boolish(hn); !ok || !on {
		return []string{fmt.Sprintf(
			"chart %s serves %s from a pod on the pod network (values.%s is %s): %s. Set values.%s: true and values.%s "+
				"to a port from the host port plan (go run ./cmd/render shows what every node holds; docs/addons.md, \"Other webhook charts\"). Source: %s.",
			name, chart.serves, chart.hostNetwork, describe(hn, hp), podNetworkWhy, chart.hostNetwork, chart.port, chart.source)}
	}

	port := chart.defaultPort
	pv, pp := at(chart.port)
	switch pp {
	case unknown:
		return nil
	case known:
		n, ok := portNumber(pv)
		if !ok {
			return nil
		}
		port = n
	}
	if e, held := nodePorts.Holds(port, hostports.TCP); held {
		return []string{fmt.Sprintf("chart %s runs on the host network with values.%s = %d, which %s already holds on every node (%s): "+
			"the pod cannot bind it. Pick a free port from the host port plan.", name, chart.port, port, e.Holder, e.Purpose)}
	}
	for _, r := range hostports.Excluded {
		if port >= r.Min && port <= r.Max {
			return []string{fmt.Sprintf("chart %s runs on the host network with values.%s = %d, inside %s: %s. Pick a free port from the host port plan (%s).",
				name, chart.port, port, r, r.Why, hostports.Window)}
		}
	}
	return nil
}

// portNumber reads a port given as a number, a string or a listen address (":9443").
func portNumber(v property.Value) (int, bool) {
	if n, ok := wholeNumber(v); ok {
		return n, true
	}
	if v.IsString() {
		s := v.AsString()
		n, err := strconv.Atoi(s[strings.LastIndex(s, ":")+1:])
		return n, err == nil
	}
	return 0, false
}
