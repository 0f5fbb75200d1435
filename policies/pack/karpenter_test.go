package pack

import "testing"

const (
	typeNodePool     = "kubernetes:karpenter.sh/v1:NodePool"
	typeEC2NodeClass = "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"
)

func goodNodePool() map[string]any {
	return map[string]any{
		"apiVersion": "karpenter.sh/v1", "kind": "NodePool", "metadata": map[string]any{"name": "default"},
		"spec": map[string]any{"template": map[string]any{"spec": map[string]any{
			"startupTaints": []any{
				map[string]any{"key": "example.com/other", "effect": "NoSchedule"},
				map[string]any{"key": "node.cilium.io/agent-not-ready", "value": "true", "effect": "NoExecute"},
			},
			"requirements": []any{},
		}}},
	}
}

func goodEC2NodeClass() map[string]any {
	return map[string]any{
		"apiVersion": "karpenter.k8s.aws/v1", "kind": "EC2NodeClass", "metadata": map[string]any{"name": "default"},
		"spec": map[string]any{"metadataOptions": map[string]any{"httpTokens": "required", "httpPutResponseHopLimit": 1}},
	}
}

var startupTaintsPath = []string{"spec", "template", "spec", "startupTaints"}

func TestKarpenterStartupTaint_RejectsNodePoolsWithoutTheTaint(t *testing.T) {
	runResourceCases(t, karpenterStartupTaint, []resourceCase{
		{name: "no startup taints", typ: typeNodePool, inputs: withPath(goodNodePool(), deleted, startupTaintsPath...),
			want: 1, contains: []string{"startupTaints is not set", `key: "node.cilium.io/agent-not-ready"`, "launches more"}},
		{name: "other startup taints only", typ: typeNodePool,
			inputs: withPath(goodNodePool(), []any{map[string]any{"key": "x", "effect": "NoSchedule"}}, startupTaintsPath...),
			want:   1, contains: []string{`startupTaints is [{effect: "NoSchedule", key: "x"}]`}},
		{name: "as a plain taint instead", typ: typeNodePool, inputs: withPath(withPath(goodNodePool(), deleted, startupTaintsPath...),
			[]any{map[string]any{"key": "node.cilium.io/agent-not-ready", "value": "true", "effect": "NoExecute"}}, "spec", "template", "spec", "taints"),
			want: 1, contains: []string{"It is in spec.template.spec.taints instead"}},
		{name: "EKS spelling of the effect", typ: typeNodePool, inputs: withPath(goodNodePool(),
			[]any{map[string]any{"key": "node.cilium.io/agent-not-ready", "value": "true", "effect": "NO_EXECUTE"}}, startupTaintsPath...),
			want: 1, contains: []string{`has effect "NO_EXECUTE"`}},
		{name: "v1beta1 NodePool", typ: "kubernetes:karpenter.sh/v1beta1:NodePool", inputs: withPath(goodNodePool(), []any{}, startupTaintsPath...),
			want: 1, contains: []string{"startupTaints is []"}},
	})
}

func TestKarpenterStartupTaint_AcceptsTaintedNodePoolsAndUnknowns(t *testing.T) {
	runResourceCases(t, karpenterStartupTaint, []resourceCase{
		{name: "tainted", typ: typeNodePool, inputs: goodNodePool()},
		{name: "taints unknown", typ: typeNodePool, inputs: withPath(goodNodePool(), computed, startupTaintsPath...)},
		{name: "spec unknown", typ: typeNodePool, inputs: withPath(goodNodePool(), computed, "spec")},
		{name: "one taint unknown", typ: typeNodePool, inputs: withPath(goodNodePool(), []any{computed}, startupTaintsPath...)},
		{name: "not a NodePool", typ: typeEC2NodeClass, inputs: goodEC2NodeClass()},
	})
}

func TestKarpenterIMDSv2_RejectsIMDSv1AndHopsAboveOne(t *testing.T) {
	runResourceCases(t, karpenterIMDSv2, []resourceCase{
		{name: "optional tokens", typ: typeEC2NodeClass, inputs: withPath(goodEC2NodeClass(), "optional", "spec", "metadataOptions", "httpTokens"),
			want: 1, contains: []string{`httpTokens is "optional", want "required"`}},
		{name: "hop limit 2", typ: typeEC2NodeClass, inputs: withPath(goodEC2NodeClass(), 2, "spec", "metadataOptions", "httpPutResponseHopLimit"),
			want: 1, contains: []string{"httpPutResponseHopLimit is 2, above 1", "one hop from IMDS"}},
		{name: "both", typ: typeEC2NodeClass, inputs: withPath(goodEC2NodeClass(), map[string]any{"httpTokens": "optional", "httpPutResponseHopLimit": 3}, "spec", "metadataOptions"),
			want: 2},
	})
}

func TestKarpenterIMDSv2_AcceptsTheCRDDefaultsAndConfiguredLimits(t *testing.T) {
	runResourceCases(t, karpenterIMDSv2, []resourceCase{
		{name: "explicit", typ: typeEC2NodeClass, inputs: goodEC2NodeClass()},
		{name: "CRD defaults (required, 1)", typ: typeEC2NodeClass, inputs: withPath(goodEC2NodeClass(), deleted, "spec", "metadataOptions")},
		{name: "unknown", typ: typeEC2NodeClass, inputs: withPath(goodEC2NodeClass(), computed, "spec", "metadataOptions", "httpPutResponseHopLimit")},
		{name: "hop limit 2 allowed by config", typ: typeEC2NodeClass, config: map[string]any{"maxHopLimit": 2},
			inputs: withPath(goodEC2NodeClass(), 2, "spec", "metadataOptions", "httpPutResponseHopLimit")},
		{name: "a launch template is another policy's", typ: typeAwsLaunchTemplate, inputs: map[string]any{}},
	})
}
