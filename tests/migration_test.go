package tests

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/eks-cilium/eks-cilium/render"
	"github.com/eks-cilium/eks-cilium/stackconfig"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	helmv3 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v3"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// adoptFixture adopts the existing cluster "legacy" in phase install (docs/migration.md).
const adoptFixture = "fixtures/Pulumi.adopt.yaml"

// adoptedOutputs are the outputs of the fixture's stack after phase previous was deployed.
func adoptedOutputs(previous string) map[string]any {
	if previous == "" {
		return nil
	}
	return map[string]any{"clusterName": "legacy", "vpcCidr": "10.0.0.0/16", "serviceCidr": "172.20.0.0/16",
		"podCidrs": []any{"100.64.0.0/16"}, "podCidrMaskSize": 24.0, "ipamMode": "cluster-pool", "routingMode": "tunnel",
		"kubeProxyReplacement": false, "clusterExisting": true, "migrationPhase": previous}
}

// adoptedValues are the fixture's config values in phase (""): eks-cilium:migration removed)
// with aws-node run as awsNode.
func adoptedValues(t *testing.T, phase, awsNode string) map[string]string {
	t.Helper()
	_, values, err := stackconfig.LoadFile(adoptFixture)
	if err != nil {
		t.Fatal(err)
	}
	m := values[stackconfig.KeyMigration]
	m = strings.Replace(m, `"phase":"install"`, `"phase":"`+phase+`"`, 1)
	m = strings.Replace(m, `"awsNode":"addon"`, `"awsNode":"`+awsNode+`"`, 1)
	values[stackconfig.KeyMigration] = m
	if phase == "" {
		delete(values, stackconfig.KeyMigration)
	}
	return values
}

func renderPhase(t *testing.T, phase, awsNode, previous string) *render.Result {
	t.Helper()
	res, err := render.Run("adopt", adoptedValues(t, phase, awsNode), render.Options{Known: true, Previous: adoptedOutputs(previous)})
	if err != nil {
		t.Fatalf("phase %q after %q: %v", phase, previous, err)
	}
	return res
}

func dependsOnType(res *render.Result, r render.Resource, typ string) bool {
	for _, d := range r.DependsOn {
		for _, o := range res.Resources {
			if o.URN == d && o.Type == typ {
				return true
			}
		}
	}
	return false
}

// TestMigration_EachPhaseRendersExactlyWhatItChanges renders every phase of the adopted
// fixture, for both ways a cluster runs aws-node, after the phase before it: what each phase
// registers, with which options, and that nothing of the existing cluster is created, and
// nothing of it adopted except aws-node, retained until the phase that deletes it.
func TestMigration_EachPhaseRendersExactlyWhatItChanges(t *testing.T) {
	const (
		addon   = "aws:eks/addon:Addon"
		patch   = "kubernetes:apps/v1:DaemonSetPatch"
		ds      = "kubernetes:apps/v1:DaemonSet"
		cnc     = "kubernetes:cilium.io/v2:CiliumNodeConfig"
		state   = "kubernetes:core/v1:ConfigMap"
		sgRule  = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
		release = "kubernetes:helm.sh/v3:Release"
		group   = "aws:eks/nodeGroup:NodeGroup"
	)
	tests := []struct {
		phase, awsNode, previous string
		count                    map[string]int
		customConf               bool
	}{
		{"install", "addon", "", map[string]int{addon: 1, patch: 0, ds: 0, cnc: 1, state: 1, sgRule: 8}, true},
		{"finalize", "addon", "install", map[string]int{addon: 1, patch: 0, ds: 0, cnc: 0, state: 1, sgRule: 8}, false},
		{"remove-aws-node", "addon", "finalize", map[string]int{addon: 0, patch: 0, ds: 0, cnc: 0, state: 1, sgRule: 0}, false},
		{"", "addon", "remove-aws-node", map[string]int{addon: 0, patch: 0, ds: 0, cnc: 0, state: 0, sgRule: 0}, false},
		{"install", "selfManaged", "", map[string]int{addon: 0, patch: 1, ds: 0, cnc: 1, state: 1, sgRule: 8}, true},
		{"finalize", "selfManaged", "install", map[string]int{addon: 0, patch: 1, ds: 1, cnc: 0, state: 1, sgRule: 8}, false},
		{"remove-aws-node", "selfManaged", "finalize", map[string]int{addon: 0, patch: 0, ds: 0, cnc: 0, state: 1, sgRule: 0}, false},
	}
	for _, tt := range tests {
		name := tt.phase + "/" + tt.awsNode
		if tt.phase == "" {
			name = "complete"
		}
		t.Run(name, func(t *testing.T) {
			res := renderPhase(t, tt.phase, tt.awsNode, tt.previous)
			for typ, want := range tt.count {
				if got := len(ofType(res, typ)); got != want {
					t.Errorf("%d %s, want %d", got, typ, want)
				}
			}
			// Nothing of the existing cluster is created: no control plane, VPC, subnet,
			// CoreDNS add-on or key; the only node group is the stack's own.
			for _, typ := range []string{"eks:index:Cluster", "aws:eks/cluster:Cluster", "aws:ec2/vpc:Vpc", "aws:ec2/subnet:Subnet", "aws:kms/key:Key"} {
				if n := len(ofType(res, typ)); n != 0 {
					t.Errorf("the adopted cluster got %d %s", n, typ)
				}
			}
			groups := ofType(res, group)
			if len(groups) != 1 {
				t.Fatalf("%d node groups, want only the stack's own", len(groups))
			}
			for _, r := range res.Resources {
				if r.Import == "" {
					continue
				}
				// What is adopted is aws-node only, retained until finalize arms its deletion.
				switch {
				case r.Type == addon && r.Import == "legacy:vpc-cni":
				case r.Type == ds && r.Import == "kube-system/aws-node" && tt.phase == "finalize":
				default:
					t.Errorf("%s %s imports %s: only aws-node is adopted", r.Type, r.Name, r.Import)
				}
				if r.RetainOnDelete != (tt.phase == "install") {
					t.Errorf("%s retainOnDelete = %v in phase %s, want %v", r.Type, r.RetainOnDelete, tt.phase, tt.phase == "install")
				}
			}
			if a := ofType(res, addon); len(a) == 1 {
				if v, _ := get(a[0].Inputs, "preserve"); !v.IsBool() || v.BoolValue() != (tt.phase == "install") {
					t.Errorf("the add-on's preserve = %v in phase %s", v, tt.phase)
				}
				if !slices.Contains(a[0].IgnoreChanges, "serviceAccountRoleArn") || !slices.Contains(a[0].IgnoreChanges, "addonVersion") {
					t.Errorf("the add-on takes over its owner's role or version: ignoreChanges %v", a[0].IgnoreChanges)
				}
				values, _ := get(a[0].Inputs, "configurationValues")
				for _, want := range []string{`"AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS":"100.64.0.0/16"`, `"key":"io.cilium.migration/cilium-default","operator":"NotIn"`} {
					if !strings.Contains(values.StringValue(), want) {
						t.Errorf("the add-on's configurationValues lack %s: %s", want, values.StringValue())
					}
				}
			}
			if p := ofType(res, patch); len(p) == 1 && p[0].RetainOnDelete != (tt.phase == "finalize") {
				t.Errorf("the aws-node patch retainOnDelete = %v in phase %s, want it only from finalize on", p[0].RetainOnDelete, tt.phase)
			}

			rel := oneWith(t, res, release, "chart", "cilium")
			if cc, _ := get(rel.Inputs, "values.cni.customConf"); !cc.IsBool() || cc.BoolValue() != tt.customConf {
				t.Errorf("values.cni.customConf = %v, want %v", cc, tt.customConf)
			}
			if skip, _ := get(rel.Inputs, "skipAwait"); !skip.IsBool() || skip.BoolValue() {
				t.Errorf("the release skips waiting on a cluster that has nodes: skipAwait = %v", skip)
			}
			if tt.count[state] == 1 && !dependsOnType(res, rel, state) {
				t.Errorf("the release does not wait for the state ConfigMap, so the policy pack may see it first")
			}
			if c := ofType(res, cnc); len(c) == 1 && !dependsOnType(res, c[0], release) {
				t.Errorf("the CiliumNodeConfig does not wait for the release, whose operator registers its CRD")
			}

			// The stack's node group: labelled for the CiliumNodeConfig, tainted until the agent
			// runs, and started only once aws-node is kept off it and the CiliumNodeConfig exists.
			ng := groups[0]
			labels, _ := get(ng.Inputs, "labels") // the label key has dots: read the map
			if l := labels.ObjectValue()["io.cilium.migration/cilium-default"]; !l.IsString() || l.StringValue() != "true" {
				t.Errorf("the node group lacks the migration label: %v", labels)
			}
			if taints, _ := get(ng.Inputs, "taints"); !strings.Contains(taints.String(), "node.cilium.io/agent-not-ready") {
				t.Errorf("the node group lacks the agent-not-ready taint: %v", taints)
			}
			for _, fence := range []string{addon, patch, cnc} {
				if len(ofType(res, fence)) == 1 && !dependsOnType(res, ng, fence) {
					t.Errorf("the node group does not wait for the %s", fence)
				}
			}
			if tt.phase != "" {
				cm := one(t, res, state)
				if v, _ := get(cm.Inputs, "data.phase"); v.StringValue() != tt.phase {
					t.Errorf("state ConfigMap phase = %v", v)
				}
			}
		})
	}
}

// TestMigration_RefusesSkippingAndGoingBackNamingThePhase: the guard through the render, from
// the outputs the previous deployment exported.
func TestMigration_RefusesSkippingAndGoingBackNamingThePhase(t *testing.T) {
	tests := []struct {
		name, phase, previous, key, rule string
	}{
		{"finalize first", "finalize", "", "eks-cilium:migration.phase", "skips install"},
		{"skip finalize", "remove-aws-node", "install", "eks-cilium:migration.phase", "skips finalize"},
		{"back to install", "install", "finalize", "eks-cilium:migration.phase", "goes back after finalize"},
		{"drop the migration early", "", "finalize", "eks-cilium:migration", "skips remove-aws-node"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := render.Run("adopt", adoptedValues(t, tt.phase, "addon"), render.Options{Previous: adoptedOutputs(tt.previous)})
			var probs stackconfig.Problems
			if !errors.As(err, &probs) || len(probs) != 1 || probs[0].Key != tt.key || !strings.Contains(probs[0].Rule, tt.rule) {
				t.Fatalf("got %v, want one refusal of %s (%q)", err, tt.key, tt.rule)
			}
		})
	}
}

// TestMigration_PhasesPassThePolicyPack evaluates the pack over every phase as the first
// preview of that update shows it: the adopted add-on is fenced (no-vpc-cni), kept until its
// phase, and Cilium stays in migration mode during install.
func TestMigration_PhasesPassThePolicyPack(t *testing.T) {
	for _, tt := range []struct{ phase, awsNode, previous string }{
		{"install", "addon", ""}, {"finalize", "addon", "install"}, {"remove-aws-node", "addon", "finalize"},
		{"install", "selfManaged", ""}, {"finalize", "selfManaged", "install"},
	} {
		violations, err := render.EvaluatePolicies("adopt", adoptedValues(t, tt.phase, tt.awsNode), render.Options{Previous: adoptedOutputs(tt.previous)})
		if err != nil {
			t.Fatalf("%s/%s: %v", tt.phase, tt.awsNode, err)
		}
		for _, v := range violations {
			if v.Level == "mandatory" {
				t.Errorf("%s/%s: %s: %s", tt.phase, tt.awsNode, v.Policy, v.Message)
			}
		}
	}
}

// TestMigration_PolicyPackCatchesAProgramThatDropsAwsNodeOrMigrationMode is the negative
// control of the test above: a program that registers the migration's state for phase install
// but neither keeps the vpc-cni add-on nor Cilium's migration values is caught by both
// policies, offline as in the first preview.
func TestMigration_PolicyPackCatchesAProgramThatDropsAwsNodeOrMigrationMode(t *testing.T) {
	bad := func(ctx *pulumi.Context) error {
		k8s, err := kubernetes.NewProvider(ctx, "legacy", &kubernetes.ProviderArgs{Kubeconfig: pulumi.String(`{"apiVersion":"v1"}`)})
		if err != nil {
			return err
		}
		state, err := corev1.NewConfigMap(ctx, "legacy-state", &corev1.ConfigMapArgs{
			Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String("eks-cilium-migration"), Namespace: pulumi.String("kube-system")},
			Data:     pulumi.StringMap{"phase": pulumi.String("install"), "awsNode": pulumi.String("addon"), "legacyNodeGroups": pulumi.String("workers-a")},
		}, pulumi.Provider(k8s))
		if err != nil {
			return err
		}
		_, err = helmv3.NewRelease(ctx, "legacy", &helmv3.ReleaseArgs{
			Chart: pulumi.String("cilium"), Version: pulumi.String("1.19.6"),
			Values: pulumi.Map{"cni": pulumi.Map{"customConf": pulumi.Bool(false)}, "policyEnforcementMode": pulumi.String("never")},
		}, pulumi.Provider(k8s), pulumi.DependsOn([]pulumi.Resource{state}))
		return err
	}
	violations, err := render.EvaluatePolicies("adopt", adoptedValues(t, "install", "addon"), render.Options{Program: bad})
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]string{}
	for _, v := range violations {
		found[v.Policy] = v.Message
	}
	if !strings.Contains(found["vpc-cni-kept-until-removal"], "no longer holds the vpc-cni add-on") {
		t.Errorf("vpc-cni-kept-until-removal did not catch the missing add-on: %v", violations)
	}
	if !strings.Contains(found["cilium-migration-mode"], "values.cni.customConf is false in phase install") {
		t.Errorf("cilium-migration-mode did not catch the release leaving migration mode: %v", violations)
	}
}
