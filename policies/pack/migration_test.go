package pack

import (
	"testing"

	"github.com/eks-cilium/eks-cilium/migration"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
)

// stateConfigMap is the migration's state ConfigMap as the program registers it.
func stateConfigMap(t *testing.T, phase, awsNode, groups string) policyx.AnalyzerResource {
	return analyzerResource(t, typeConfigMap, "legacy-state", map[string]any{
		"metadata": map[string]any{"name": "eks-cilium-migration", "namespace": "kube-system"},
		"data":     map[string]any{"phase": phase, "awsNode": awsNode, "legacyNodeGroups": groups},
	})
}

// fencedAddonValues is a vpc-cni add-on configuration that keeps aws-node off labelled nodes
// (migration.AddonConfiguration's).
func fencedAddonValues(t *testing.T) string {
	v, err := migration.AddonConfiguration([]string{"100.64.0.0/16"}, `{"env":{"WARM_IP_TARGET":"5"}}`)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func vpcCniAddon(t *testing.T, preserve any, values string) policyx.AnalyzerResource {
	inputs := map[string]any{"clusterName": "legacy", "addonName": "vpc-cni", "configurationValues": values}
	if preserve != nil {
		inputs["preserve"] = preserve
	}
	return analyzerResource(t, typeAwsEksAddon, "legacy-vpc-cni", inputs)
}

func TestNoVpcCni_AcceptsTheAdoptedAddonOnlyFencedOffCiliumNodes(t *testing.T) {
	fenced := fencedAddonValues(t)
	runResourceCases(t, noVpcCni, []resourceCase{
		{name: "fenced off labelled nodes", typ: typeAwsEksAddon,
			inputs: map[string]any{"clusterName": "legacy", "addonName": "vpc-cni", "configurationValues": fenced}},
		{name: "configuration without the fence", typ: typeAwsEksAddon,
			inputs: map[string]any{"clusterName": "legacy", "addonName": "vpc-cni", "configurationValues": `{"env":{"WARM_IP_TARGET":"5"}}`},
			want:   1, contains: []string{"must keep aws-node off nodes labelled io.cilium.migration/cilium-default=true"}},
		{name: "a second term without the fence", typ: typeAwsEksAddon,
			inputs: map[string]any{"clusterName": "legacy", "addonName": "vpc-cni", "configurationValues": `{"affinity":{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[` +
				`{"matchExpressions":[{"key":"io.cilium.migration/cilium-default","operator":"NotIn","values":["true"]}]},` +
				`{"matchExpressions":[{"key":"kubernetes.io/os","operator":"In","values":["linux"]}]}]}}}}`},
			want: 1},
		{name: "configuration unknown", typ: typeAwsEksAddon,
			inputs: map[string]any{"clusterName": "legacy", "addonName": "vpc-cni", "configurationValues": computed}},
	})
}

func TestVpcCniKeptUntilRemoval_RefusesLosingAwsNodeBeforeItsPhase(t *testing.T) {
	fenced := fencedAddonValues(t)
	state := stateConfigMap(t, "install", "addon", "workers-a")
	runStackCases(t, vpcCniKeptUntilRemoval, []stackCase{
		{name: "install keeps the add-on, preserved",
			resources: []policyx.AnalyzerResource{state, vpcCniAddon(t, true, fenced)}},
		{name: "install without the add-on", resources: []policyx.AnalyzerResource{state},
			want: 1, wantURN: state.URN, contains: []string{"phase install", "vpc-cni add-on", "before remove-aws-node"}},
		{name: "install arms the deletion early",
			resources: []policyx.AnalyzerResource{state, vpcCniAddon(t, false, fenced)},
			want:      1, contains: []string{"preserve is false in phase install"}},
		{name: "finalize arms it", resources: []policyx.AnalyzerResource{
			stateConfigMap(t, "finalize", "addon", "workers-a"), vpcCniAddon(t, false, fenced)}},
		{name: "finalize without the add-on", resources: []policyx.AnalyzerResource{stateConfigMap(t, "finalize", "addon", "workers-a")},
			want: 1, contains: []string{"phase finalize"}},
		{name: "remove-aws-node deletes it", resources: []policyx.AnalyzerResource{stateConfigMap(t, "remove-aws-node", "addon", "workers-a")}},
		{name: "self-managed keeps its patch", resources: []policyx.AnalyzerResource{
			stateConfigMap(t, "install", "selfManaged", "workers-a"),
			analyzerResource(t, typeDaemonSetPatch, "legacy-aws-node", map[string]any{"metadata": map[string]any{"name": "aws-node", "namespace": "kube-system"}})}},
		{name: "self-managed without its patch", resources: []policyx.AnalyzerResource{stateConfigMap(t, "install", "selfManaged", "workers-a")},
			want: 1, contains: []string{"the aws-node DaemonSet patch"}},
		{name: "a stack that migrates nothing", resources: []policyx.AnalyzerResource{
			analyzerResource(t, typeConfigMap, "other", map[string]any{"metadata": map[string]any{"name": "other", "namespace": "kube-system"}, "data": map[string]any{"phase": "install"}})}},
	})
}

func ciliumRelease(t *testing.T, customConf any, enforcement any) policyx.AnalyzerResource {
	values := map[string]any{"ipam": map[string]any{"mode": "cluster-pool"}, "cni": map[string]any{}}
	if customConf != nil {
		values["cni"].(map[string]any)["customConf"] = customConf
	}
	if enforcement != nil {
		values["policyEnforcementMode"] = enforcement
	}
	return analyzerResource(t, typeHelmRelease, "legacy", map[string]any{"chart": "cilium", "version": "1.19.6", "values": values})
}

func TestCiliumMigrationMode_RefusesLeavingMigrationModeWhileLegacyGroupsRemain(t *testing.T) {
	runSequenceCases(t, func() policyx.Policy { return newCiliumMigrationMode() }, []stackCase{
		{name: "install in migration mode", resources: []policyx.AnalyzerResource{
			stateConfigMap(t, "install", "addon", "workers-a,workers-b"), ciliumRelease(t, true, "never")}},
		{name: "install with the final values", resources: []policyx.AnalyzerResource{
			stateConfigMap(t, "install", "addon", "workers-a,workers-b"), ciliumRelease(t, false, "default")},
			want: 2, contains: []string{"values.cni.customConf is false in phase install while legacy node groups remain (workers-a, workers-b)",
				"values.policyEnforcementMode is \"default\""}},
		{name: "install, values left to the chart", resources: []policyx.AnalyzerResource{
			stateConfigMap(t, "install", "addon", "workers-a"), ciliumRelease(t, nil, "never")},
			want: 1, contains: []string{"values.cni.customConf is not set"}},
		{name: "install, values unknown", resources: []policyx.AnalyzerResource{
			stateConfigMap(t, "install", "addon", "workers-a"), ciliumRelease(t, computed, computed)}},
		{name: "finalize leaves migration mode", resources: []policyx.AnalyzerResource{
			stateConfigMap(t, "finalize", "addon", "workers-a"), ciliumRelease(t, false, "default")}},
		{name: "install without legacy groups", resources: []policyx.AnalyzerResource{
			stateConfigMap(t, "install", "addon", ""), ciliumRelease(t, false, "default")}},
		{name: "a release without any migration", resources: []policyx.AnalyzerResource{ciliumRelease(t, false, "default")}},
	})
}
