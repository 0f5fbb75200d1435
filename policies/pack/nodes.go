package pack

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
)

// Cilium's startup taint (docs: "Considerations on node pool taints and unmanaged pods").
const (
	startupTaintKey   = "node.cilium.io/agent-not-ready"
	startupTaintValue = "true"
	// Managed node groups take the EKS API spelling of the effect.
	startupTaintEffectEKS = "NO_EXECUTE"
	// Self-managed node groups pass taints to kubelet --register-with-taints.
	startupTaintEffectKubelet = "NoExecute"
)

const startupTaintWhy = "pods that start on a node before its Cilium agent is ready are not managed by " +
	"Cilium and must be restarted; the taint keeps them off until the Cilium operator removes it"

var ciliumStartupTaint = resourcePolicy(
	"cilium-startup-taint",
	"Every node group registers its nodes with Cilium's startup taint node.cilium.io/agent-not-ready=true:NoExecute.",
	policyx.EnforcementLevelMandatory,
	nil,
	checkCiliumStartupTaint,
)

func checkCiliumStartupTaint(res policyx.AnalyzerResource, _ map[string]any) []string {
	if inputsHidden(res) {
		return nil
	}
	switch res.Type {
	case typeEksManagedNodeGroup, typeAwsEksNodeGroup:
		v, p := lookup(res.Properties, "taints")
		return checkTaintList(v, p)
	case typeEksNodeGroup, typeEksNodeGroupV2:
		return checkTaintMap(res.Properties)
	}
	return nil
}

// checkTaintList checks the list form {key, value, effect} of managed node groups.
func checkTaintList(taints property.Value, p presence) []string {
	want := fmt.Sprintf("want {key: %q, value: %q, effect: %q}", startupTaintKey, startupTaintValue, startupTaintEffectEKS)
	switch {
	case p == unknown:
		return nil
	case p == absent || !taints.IsArray():
		return []string{fmt.Sprintf("taints is %s, %s: %s.", describe(taints, p), want, startupTaintWhy)}
	}
	switch found, wrong, maybe := findStartupTaint(taints, startupTaintEffectEKS); {
	case found && wrong != "":
		return []string{fmt.Sprintf("taint %s has %s, %s: %s.", startupTaintKey, wrong, want, startupTaintWhy)}
	case found || maybe:
		return nil
	}
	return []string{fmt.Sprintf("taints is %s, %s: %s.", show(taints), want, startupTaintWhy)}
}

// findStartupTaint looks for Cilium's startup taint in a list of taints: found and, if its value
// or effect (effect spelled as the list's API spells it) is wrong, what is wrong; maybe is true
// when the taint is absent but an unknown element could still be it.
func findStartupTaint(taints property.Value, effect string) (found bool, wrong string, maybe bool) {
	for _, taint := range taints.AsArray().All {
		key, kp, _ := stringAt(mapOf(taint), "key")
		if taint.IsComputed() || kp == unknown {
			maybe = true
			continue
		}
		if key == startupTaintKey {
			return true, wrongTaintFields(mapOf(taint), effect), false
		}
	}
	return false, "", maybe
}

// checkTaintMap checks the map form key -> {value, effect} of self-managed node groups.
func checkTaintMap(props property.Map) []string {
	want := fmt.Sprintf("want %q: {value: %q, effect: %q}", startupTaintKey, startupTaintValue, startupTaintEffectKubelet)
	taints, p := lookup(props, "taints")
	if p == unknown {
		return nil
	}
	taint, tp := lookup(props, "taints", startupTaintKey)
	switch tp {
	case unknown:
		return nil
	case absent:
		return []string{fmt.Sprintf("taints is %s, %s: %s.", describe(taints, p), want, startupTaintWhy)}
	}
	if wrong := wrongTaintFields(mapOf(taint), startupTaintEffectKubelet); wrong != "" {
		return []string{fmt.Sprintf("taint %s has %s, %s: %s.", startupTaintKey, wrong, want, startupTaintWhy)}
	}
	return nil
}

// wrongTaintFields describes the value/effect of a startup taint that differ from Cilium's,
// or returns "" when they match or are unknown.
func wrongTaintFields(taint property.Map, effect string) string {
	var wrong []string
	if v, p := lookup(taint, "value"); p != unknown && !(v.IsString() && v.AsString() == startupTaintValue) {
		wrong = append(wrong, "value "+describe(v, p))
	}
	if v, p := lookup(taint, "effect"); p != unknown && !(v.IsString() && v.AsString() == effect) {
		wrong = append(wrong, "effect "+describe(v, p))
	}
	return strings.Join(wrong, " and ")
}

// mapOf returns v as a map, or an empty map when v is not one.
func mapOf(v property.Value) property.Map {
	if v.IsMap() {
		return v.AsMap()
	}
	return property.Map{}
}

const publicIPWhy = "a node with a public IP is reachable from the internet on whatever its security groups " +
	"allow (NodePorts, kubelet, VXLAN 8472), while private nodes reach out through the NAT gateway"

const elbRoleTag = "kubernetes.io/role/elb"

var nodesNoPublicIP = stackPolicy(
	"nodes-no-public-ip",
	"Nodes get no public IP: node groups use private subnets and launch templates do not associate public addresses.",
	policyx.EnforcementLevelMandatory,
	checkNodesNoPublicIP,
)

// publicSubnet is a subnet of the stack that gives instances public IPs or is meant for
// internet-facing load balancers.
type publicSubnet struct {
	name   string
	reason string
}

func checkNodesNoPublicIP(resources []policyx.AnalyzerResource) []finding {
	public := publicSubnets{byID: map[string]publicSubnet{}, byURN: map[string]publicSubnet{}}
	for _, res := range resources {
		if res.Type != typeAwsSubnet {
			continue
		}
		reason := subnetPublicReason(res.Properties)
		if reason == "" {
			continue
		}
		subnet := publicSubnet{name: res.Name, reason: reason}
		public.byURN[res.URN] = subnet
		if id, p, ok := stringAt(res.Properties, "id"); p == known && ok && id != "" {
			public.byID[id] = subnet
		}
	}

	var out []finding
	for _, res := range resources {
		if inputsHidden(res) {
			continue
		}
		switch res.Type {
		case typeEksManagedNodeGroup, typeAwsEksNodeGroup:
			out = append(out, nodeSubnetFindings(res, "subnetIds", public)...)
		case typeEksNodeGroup, typeEksNodeGroupV2:
			out = append(out, nodeSubnetFindings(res, "nodeSubnetIds", public)...)
			if v, p := lookup(res.Properties, "nodeAssociatePublicIpAddress"); p == known {
				if b, ok := boolish(v); ok && b {
					out = append(out, finding{res.URN, fmt.Sprintf(
						"nodeAssociatePublicIpAddress is true: %s.", publicIPWhy)})
				}
			}
		case typeAwsLaunchTemplate:
			out = append(out, launchTemplatePublicIPFindings(res)...)
		}
	}
	return out
}

// publicSubnets are the stack's public subnets, by id (known once they exist) and by URN.
type publicSubnets struct {
	byID, byURN map[string]publicSubnet
}

// subnetPublicReason says why a subnet counts as public, or "" when it does not (or cannot
// be told yet).
func subnetPublicReason(props property.Map) string {
	if v, p := lookup(props, "mapPublicIpOnLaunch"); p == known {
		if b, ok := boolish(v); ok && b {
			return "maps a public IP to every instance (mapPublicIpOnLaunch: true)"
		}
	}
	for _, tags := range []string{"tags", "tagsAll"} {
		if _, p := lookup(props, tags, elbRoleTag); p == known {
			return "is tagged " + elbRoleTag + ", the tag of public subnets for internet-facing load balancers"
		}
	}
	return ""
}

// nodeSubnetFindings reports the public subnets a node group's subnet list names: by id when
// the ids are known, and by the subnets the list was computed from (the engine's property
// dependencies) when they are not, as in a first preview, where no subnet has an id yet.
func nodeSubnetFindings(res policyx.AnalyzerResource, key string, public publicSubnets) []finding {
	var out []finding
	reported := map[string]bool{}
	if v, p := lookup(res.Properties, key); p == known {
		ids, _ := stringItems(v)
		for _, id := range ids {
			if subnet, ok := public.byID[id]; ok && !reported[subnet.name] {
				reported[subnet.name] = true
				out = append(out, finding{res.URN, fmt.Sprintf("%s contains %q (subnet %s), which %s: %s.",
					key, id, subnet.name, subnet.reason, publicIPWhy)})
			}
		}
	}
	for _, urn := range res.PropertyDependencies[key] {
		if subnet, ok := public.byURN[urn]; ok && !reported[subnet.name] {
			reported[subnet.name] = true
			out = append(out, finding{res.URN, fmt.Sprintf("%s is computed from subnet %s, which %s: %s.",
				key, subnet.name, subnet.reason, publicIPWhy)})
		}
	}
	return out
}

func launchTemplatePublicIPFindings(res policyx.AnalyzerResource) []finding {
	v, p := lookup(res.Properties, "networkInterfaces")
	if p != known || !v.IsArray() {
		return nil
	}
	var out []finding
	for i, nic := range v.AsArray().All {
		assoc, ap := lookup(mapOf(nic), "associatePublicIpAddress")
		if ap != known {
			continue
		}
		if b, ok := boolish(assoc); ok && b {
			out = append(out, finding{res.URN, fmt.Sprintf(
				"networkInterfaces[%d].associatePublicIpAddress is %s: %s.", i, show(assoc), publicIPWhy)})
		}
	}
	return out
}

const imdsWhy = "IMDSv1 answers plain GET requests, so any request-forgery bug on the node hands out the " +
	"node role's credentials; IMDSv2 requires a session token obtained with a PUT"

const hopLimitWhy = "a pod on Cilium's overlay is one hop further from IMDS than the node, like any container, " +
	"so a hop limit of 2 or more lets every pod read the node role's credentials; 1 still serves the node and " +
	"host-network pods (Cilium's agent and operator, the Pod Identity agent). Give pods AWS access with EKS Pod Identity"

// defaultMaxHopLimit is the largest httpPutResponseHopLimit imdsv2-required accepts unless
// configured otherwise: 1, the EKS Best Practices Guide's value for managed nodes with a custom
// launch template ("Restrict access to the instance profile assigned to the worker node").
const defaultMaxHopLimit = 1

var imdsv2Required = resourcePolicy(
	"imdsv2-required",
	"Node launch templates require IMDSv2 tokens and keep the metadata hop limit low.",
	policyx.EnforcementLevelAdvisory,
	&policyx.ConfigSchema{Properties: map[string]map[string]any{
		"maxHopLimit": {
			"type":        "integer",
			"minimum":     1,
			"maximum":     64,
			"default":     defaultMaxHopLimit,
			"description": "Largest metadataOptions.httpPutResponseHopLimit allowed on a launch template.",
		},
	}},
	checkImdsv2Required,
)

func checkImdsv2Required(res policyx.AnalyzerResource, cfg map[string]any) []string {
	if inputsHidden(res) {
		return nil
	}
	switch res.Type {
	case typeAwsLaunchTemplate:
		var out []string
		tokens, p := lookup(res.Properties, "metadataOptions", "httpTokens")
		if p != unknown && !(tokens.IsString() && tokens.AsString() == "required") {
			what := describe(tokens, p)
			if p == absent {
				what = `not set (EC2 default "optional")`
			}
			out = append(out, fmt.Sprintf("metadataOptions.httpTokens is %s, want \"required\": %s.", what, imdsWhy))
		}
		maxHops := configInt(cfg, "maxHopLimit", defaultMaxHopLimit)
		if hops, p := lookup(res.Properties, "metadataOptions", "httpPutResponseHopLimit"); p == known {
			if n, ok := wholeNumber(hops); ok && n > maxHops {
				out = append(out, fmt.Sprintf("metadataOptions.httpPutResponseHopLimit is %d, above %d: %s.",
					n, maxHops, hopLimitWhy))
			}
		}
		return out
	case typeEksManagedNodeGroup:
		// A custom launch template conflicts with enableIMDSv2; the template itself is checked.
		if _, p := lookup(res.Properties, "launchTemplate"); p != absent {
			return nil
		}
		v, p := lookup(res.Properties, "enableIMDSv2")
		if p != unknown && !(v.IsBool() && v.AsBool()) {
			return []string{fmt.Sprintf("enableIMDSv2 is %s (pulumi-eks default false), want true: %s.",
				describe(v, p), imdsWhy)}
		}
	}
	return nil
}

const encryptionWhy = "an unencrypted EBS volume exposes container images, emptyDir data and logs to anyone " +
	"who can read its snapshots"

var encryptedVolumes = resourcePolicy(
	"encrypted-volumes",
	"Node launch templates encrypt every EBS volume they map.",
	policyx.EnforcementLevelAdvisory,
	&policyx.ConfigSchema{Properties: map[string]map[string]any{
		"requireKmsKey": {
			"type":        "boolean",
			"default":     false,
			"description": "Also require ebs.kmsKeyId (a customer-managed key) on every mapped volume.",
		},
	}},
	checkEncryptedVolumes,
)

// checkEncryptedVolumes looks at the volumes a launch template maps explicitly. A template with
// no blockDeviceMappings keeps the AMI's mappings, whose encryption depends on the account's
// EBS encryption-by-default setting, which the pack cannot see: no violation.
func checkEncryptedVolumes(res policyx.AnalyzerResource, cfg map[string]any) []string {
	if res.Type != typeAwsLaunchTemplate {
		return nil
	}
	mappings, p := lookup(res.Properties, "blockDeviceMappings")
	if p != known || !mappings.IsArray() {
		return nil
	}
	requireKey := configBool(cfg, "requireKmsKey", false)
	var out []string
	for i, mapping := range mappings.AsArray().All {
		m := mapOf(mapping)
		if _, ep := lookup(m, "ebs"); ep != known {
			continue // unknown, or not an EBS volume (noDevice, instance store)
		}
		where := fmt.Sprintf("blockDeviceMappings[%d]", i)
		if device, dp, ok := stringAt(m, "deviceName"); dp == known && ok {
			where += fmt.Sprintf(" (%s)", device)
		}
		encrypted, ep := lookup(m, "ebs", "encrypted")
		if ep == unknown {
			continue
		}
		if b, ok := boolish(encrypted); !ok || !b {
			out = append(out, fmt.Sprintf("%s ebs.encrypted is %s, want true: %s.",
				where, describe(encrypted, ep), encryptionWhy))
			continue
		}
		if _, kp := lookup(m, "ebs", "kmsKeyId"); requireKey && kp == absent {
			out = append(out, fmt.Sprintf("%s ebs.kmsKeyId is not set, and requireKmsKey is on: the volume "+
				"uses the AWS-managed aws/ebs key, whose use you cannot restrict or audit per key policy.", where))
		}
	}
	return out
}
