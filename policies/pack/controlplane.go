package pack

import (
	"fmt"
	"net/netip"
	"slices"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
)

// allLogTypes are the EKS control-plane log types (EKS API LogType enum).
var allLogTypes = []string{"api", "audit", "authenticator", "controllerManager", "scheduler"}

const logsWhy = "EKS keeps no control-plane logs unless it ships them to CloudWatch, so without them " +
	"there is no record of who changed the cluster or why the scheduler did what it did"

var controlPlaneLogs = resourcePolicy(
	"control-plane-logs",
	"The EKS control plane ships its logs (api, audit, authenticator, controllerManager, scheduler) to CloudWatch.",
	policyx.EnforcementLevelAdvisory,
	&policyx.ConfigSchema{Properties: map[string]map[string]any{
		"requiredLogTypes": {
			"type":        "array",
			"items":       map[string]any{"type": "string", "enum": anySlice(allLogTypes)},
			"default":     anySlice(allLogTypes),
			"description": "Log types enabledClusterLogTypes must contain.",
		},
	}},
	checkControlPlaneLogs,
)

func checkControlPlaneLogs(res policyx.AnalyzerResource, cfg map[string]any) []string {
	if inputsHidden(res) || (res.Type != typeEksCluster && res.Type != typeAwsEksCluster) {
		return nil
	}
	required := configStrings(cfg, "requiredLogTypes", allLogTypes)
	v, p := lookup(res.Properties, "enabledClusterLogTypes")
	if p == unknown {
		return nil
	}
	enabled, someUnknown := stringItems(v)
	missing := missingFrom(required, enabled)
	if len(missing) == 0 || someUnknown {
		return nil
	}
	return []string{fmt.Sprintf("enabledClusterLogTypes is %s, missing %s: %s.",
		describe(v, p), showStrings(missing), logsWhy)}
}

const secretsWhy = "without a KMS key you own, Secrets are protected only by keys AWS owns; your own key " +
	"records every decrypt in CloudTrail and lets you revoke access by disabling it"

var secretsEncryption = resourcePolicy(
	"secrets-encryption",
	"Kubernetes Secrets are envelope-encrypted with a customer-managed KMS key.",
	policyx.EnforcementLevelAdvisory,
	nil,
	checkSecretsEncryption,
)

func checkSecretsEncryption(res policyx.AnalyzerResource, _ map[string]any) []string {
	if inputsHidden(res) {
		return nil
	}
	switch res.Type {
	case typeEksCluster:
		v, p := lookup(res.Properties, "encryptionConfigKeyArn")
		if p == unknown || (v.IsString() && v.AsString() != "") {
			return nil
		}
		return []string{fmt.Sprintf("encryptionConfigKeyArn is %s: %s.", describe(v, p), secretsWhy)}
	case typeAwsEksCluster:
		config, p := lookup(res.Properties, "encryptionConfig")
		if p == unknown {
			return nil
		}
		resources, rp := lookup(res.Properties, "encryptionConfig", "resources")
		if rp == unknown {
			return nil
		}
		items, someUnknown := stringItems(resources)
		if slices.Contains(items, "secrets") || someUnknown {
			return nil
		}
		return []string{fmt.Sprintf("encryptionConfig is %s, want resources to contain \"secrets\": %s.",
			describe(config, p), secretsWhy)}
	}
	return nil
}

const endpointWhy = "the Kubernetes API is then reachable from the whole internet, so every API-server or " +
	"authentication flaw is exposed to it"

var restrictedPublicEndpoint = resourcePolicy(
	"restricted-public-endpoint",
	"A public EKS API endpoint only accepts the CIDRs listed in publicAccessCidrs, never 0.0.0.0/0.",
	policyx.EnforcementLevelAdvisory,
	&policyx.ConfigSchema{Properties: map[string]map[string]any{
		"allowPublicEndpoint": {
			"type":        "boolean",
			"default":     true,
			"description": "When false, any public API endpoint is a violation (private-only clusters).",
		},
	}},
	checkRestrictedPublicEndpoint,
)

func checkRestrictedPublicEndpoint(res policyx.AnalyzerResource, cfg map[string]any) []string {
	if inputsHidden(res) {
		return nil
	}
	var settings property.Map
	var prefix string
	switch res.Type {
	case typeEksCluster:
		settings = res.Properties
	case typeAwsEksCluster:
		vpcConfig, p := lookup(res.Properties, "vpcConfig")
		if p != known {
			return nil
		}
		settings, prefix = mapOf(vpcConfig), "vpcConfig."
	default:
		return nil
	}

	access, ap := lookup(settings, "endpointPublicAccess")
	if ap == unknown {
		return nil
	}
	if b, ok := boolish(access); ap == known && ok && !b {
		return nil // private endpoint only
	}
	accessText := describe(access, ap)
	if ap == absent {
		accessText += " (default true)"
	}
	if !configBool(cfg, "allowPublicEndpoint", true) {
		return []string{fmt.Sprintf("%sendpointPublicAccess is %s and allowPublicEndpoint is false: %s.",
			prefix, accessText, endpointWhy)}
	}

	cidrs, cp := lookup(settings, "publicAccessCidrs")
	switch cp {
	case unknown:
		return nil
	case absent:
		return []string{fmt.Sprintf("%sendpointPublicAccess is %s and %spublicAccessCidrs is not set, so EKS "+
			"allows 0.0.0.0/0: %s.", prefix, accessText, prefix, endpointWhy)}
	}
	items, someUnknown := stringItems(cidrs)
	if len(items) == 0 && !someUnknown {
		return []string{fmt.Sprintf("%spublicAccessCidrs is %s, so EKS allows 0.0.0.0/0: %s.",
			prefix, show(cidrs), endpointWhy)}
	}
	var out []string
	for _, cidr := range items {
		if p, err := netip.ParsePrefix(cidr); err == nil && p.Bits() == 0 {
			out = append(out, fmt.Sprintf("%spublicAccessCidrs contains %q: %s.", prefix, cidr, endpointWhy))
		}
	}
	return out
}

// anySlice converts for JSON-schema literals, which policyx serialises through structpb.
func anySlice(items []string) []any {
	out := make([]any, len(items))
	for i, s := range items {
		out[i] = s
	}
	return out
}
