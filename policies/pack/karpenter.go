package pack

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
)

// Karpenter's objects as pulumi-kubernetes registers them (CustomResource, or a yaml/v2
// ConfigGroup's children): "kubernetes:<apiVersion>:<kind>". karpenter-crd 1.14.1 serves v1;
// v1beta1 is what older Karpenter served.
var (
	nodePoolTypes     = []string{"kubernetes:karpenter.sh/v1:NodePool", "kubernetes:karpenter.sh/v1beta1:NodePool"}
	ec2NodeClassTypes = []string{"kubernetes:karpenter.k8s.aws/v1:EC2NodeClass", "kubernetes:karpenter.k8s.aws/v1beta1:EC2NodeClass"}
)

const karpenterTaintWhy = "without it Karpenter's nodes take pods before their Cilium agent runs, and Karpenter, " +
	"not knowing the taint Cilium's operator manages, sees the new node as unusable and launches more " +
	"(Karpenter docs, \"Cilium Startup Taint\"); as a startup taint pods need not tolerate it"

var karpenterStartupTaint = resourcePolicy(
	"karpenter-startup-taint",
	"Every Karpenter NodePool starts its nodes with Cilium's startup taint node.cilium.io/agent-not-ready=true:NoExecute in spec.template.spec.startupTaints.",
	policyx.EnforcementLevelMandatory,
	nil,
	checkKarpenterStartupTaint,
)

func checkKarpenterStartupTaint(res policyx.AnalyzerResource, _ map[string]any) []string {
	if !isType(res, nodePoolTypes) {
		return nil
	}
	want := fmt.Sprintf("want {key: %q, value: %q, effect: %q}", startupTaintKey, startupTaintValue, startupTaintEffectKubelet)
	taints, p := lookup(res.Properties, "spec", "template", "spec", "startupTaints")
	switch {
	case p == unknown:
		return nil
	case p == absent || !taints.IsArray():
		msg := fmt.Sprintf("spec.template.spec.startupTaints is %s, %s: %s.", describe(taints, p), want, karpenterTaintWhy)
		if hasCiliumTaint(res.Properties, "taints") {
			msg += " (It is in spec.template.spec.taints instead: there Karpenter expects every pod to tolerate it and launches nothing for pods that do not.)"
		}
		return []string{msg}
	}
	switch found, wrong, maybe := findStartupTaint(taints, startupTaintEffectKubelet); {
	case found && wrong != "":
		return []string{fmt.Sprintf("startup taint %s has %s, %s: %s.", startupTaintKey, wrong, want, karpenterTaintWhy)}
	case found || maybe:
		return nil
	}
	return []string{fmt.Sprintf("spec.template.spec.startupTaints is %s, %s: %s.", show(taints), want, karpenterTaintWhy)}
}

// hasCiliumTaint reports whether the NodePool lists Cilium's taint under spec.template.spec.<field>.
func hasCiliumTaint(props property.Map, field string) bool {
	v, p := lookup(props, "spec", "template", "spec", field)
	if p != known || !v.IsArray() {
		return false
	}
	for _, taint := range v.AsArray().All {
		if key, _, _ := stringAt(mapOf(taint), "key"); key == startupTaintKey {
			return true
		}
	}
	return false
}

const nodeClassHopWhy = "a pod on the Cilium overlay is one hop from IMDS, so a hop limit of 2 or more lets " +
	"every pod read the node role's credentials (give pods AWS access with EKS Pod Identity)"

// defaultNodeClassHopLimit is the hop limit karpenter-imdsv2 accepts: 1, the EC2NodeClass
// CRD's own default, which keeps overlay pods (one hop away) off the node role.
const defaultNodeClassHopLimit = 1

var karpenterIMDSv2 = resourcePolicy(
	"karpenter-imdsv2",
	"Karpenter EC2NodeClasses keep IMDSv2 (httpTokens: required) with a response hop limit of 1.",
	policyx.EnforcementLevelAdvisory,
	&policyx.ConfigSchema{Properties: map[string]map[string]any{
		"maxHopLimit": {
			"type":        "integer",
			"default":     defaultNodeClassHopLimit,
			"minimum":     1,
			"description": "Largest spec.metadataOptions.httpPutResponseHopLimit accepted.",
		},
	}},
	checkKarpenterIMDSv2,
)

// checkKarpenterIMDSv2 reads spec.metadataOptions. Unset fields take the CRD's defaults
// (httpTokens required, hop limit 1: karpenter.k8s.aws_ec2nodeclasses.yaml), so absence
// is compliant.
func checkKarpenterIMDSv2(res policyx.AnalyzerResource, cfg map[string]any) []string {
	if !isType(res, ec2NodeClassTypes) {
		return nil
	}
	var out []string
	if tokens, p := lookup(res.Properties, "spec", "metadataOptions", "httpTokens"); p == known && !(tokens.IsString() && tokens.AsString() == "required") {
		out = append(out, fmt.Sprintf("spec.metadataOptions.httpTokens is %s, want \"required\": %s.", show(tokens), imdsWhy))
	}
	maxHops := configInt(cfg, "maxHopLimit", defaultNodeClassHopLimit)
	if hops, p := lookup(res.Properties, "spec", "metadataOptions", "httpPutResponseHopLimit"); p == known {
		if n, ok := wholeNumber(hops); !ok || n > maxHops {
			out = append(out, fmt.Sprintf("spec.metadataOptions.httpPutResponseHopLimit is %s, above %d: %s.", show(hops), maxHops, nodeClassHopWhy))
		}
	}
	return out
}

func isType(res policyx.AnalyzerResource, types []string) bool {
	for _, t := range types {
		if res.Type == t {
			return true
		}
	}
	return false
}
