package migration

import (
	"maps"
	"slices"
	"strings"

	"github.com/eks-cilium/eks-cilium/stackconfig"
)

// NodeConfig is the CiliumNodeConfig of the install phase: labelled nodes (the new node
// groups) get Cilium as their CNI, every other node keeps aws-node.
func NodeConfig() map[string]any {
	defaults := map[string]any{}
	for k, v := range NodeConfigDefaults {
		defaults[k] = v
	}
	return map[string]any{
		"apiVersion": NodeConfigAPIVersion,
		"kind":       NodeConfigKind,
		"metadata":   map[string]any{"name": NodeConfigName, "namespace": Namespace},
		"spec": map[string]any{
			"nodeSelector": map[string]any{"matchLabels": map[string]any{NodeLabelKey: NodeLabelValue}},
			"defaults":     defaults,
		},
	}
}

// StateData is the data of the ConfigMap kube-system/eks-cilium-migration: the phase this
// update deploys and the legacy node groups, for `kubectl -n kube-system get cm
// eks-cilium-migration -o yaml` and for the policy pack.
func StateData(cfg stackconfig.Config) map[string]string {
	m := cfg.Migration
	return map[string]string{
		"phase":            m.Phase,
		"legacyNodeGroups": strings.Join(m.LegacyNodeGroups, ","),
		"awsNode":          m.AwsNode,
	}
}

// AwsNodePatch is the server-side-apply patch of a self-managed aws-node DaemonSet: the
// migration's env entries on its aws-node container (after the values it has, current; nil
// offline) and the affinity that keeps it off labelled nodes. The env list merges by name,
// so the container's other variables stay; the affinity's term list is atomic, so the patch
// takes it over (pulumi.com/patchForce) and repeats the default terms.
func AwsNodePatch(pool []string, current map[string]string) map[string]any {
	env := AwsNodeEnv(pool, current)
	var entries []any
	for _, name := range slices.Sorted(maps.Keys(env)) {
		entries = append(entries, map[string]any{"name": name, "value": env[name]})
	}
	return map[string]any{
		"apiVersion": "apps/v1",
		"kind":       "DaemonSet",
		"metadata": map[string]any{
			"name": AwsNodeDaemonSet, "namespace": Namespace,
			// pulumi-kubernetes v4 Patch resources: take over fields another manager owns.
			"annotations": map[string]any{"pulumi.com/patchForce": "true"},
		},
		"spec": map[string]any{"template": map[string]any{"spec": map[string]any{
			"affinity":   AwsNodeAffinity(),
			"containers": []any{map[string]any{"name": AwsNodeContainer, "env": entries}},
		}}},
	}
}
