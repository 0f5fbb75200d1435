package engine

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/eks-cilium/eks-cilium/charts"
	"github.com/eks-cilium/eks-cilium/program"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// setPhase edits eks-cilium:migration.phase of the stack file.
func (s *engineStack) setPhase(phase string) {
	s.t.Helper()
	s.editConfig(func(c map[string]any) { c["eks-cilium:migration"].(map[string]any)["phase"] = phase })
}

// refused checks that a preview failed naming key and rule, with nothing registered.
func refused(t *testing.T, what string, op operation, key, rule string) {
	t.Helper()
	if op.err == nil {
		t.Fatalf("%s: preview succeeded, want a refusal naming %s:\n%s", what, key, op.output)
	}
	if !strings.Contains(op.output, key) || !strings.Contains(op.output, rule) {
		t.Errorf("%s: the refusal does not name %s and %q:\n%s", what, key, rule, op.output)
	}
	for _, c := range op.calls {
		if c.method == "Check" || c.method == "Create" || c.method == "Read" {
			t.Errorf("%s: the program registered %s before refusing", what, c)
		}
	}
}

// only fails unless every applied call of op is one the phase may make: changes named by
// allowed (method and type), nothing else of the cluster.
func only(t *testing.T, phase string, op operation, allowed map[string]bool) {
	t.Helper()
	for _, c := range applied(op.calls) {
		if !allowed[c.method+" "+c.token] {
			t.Errorf("%s: unexpected %s", phase, c)
		}
	}
}

func addonCall(calls []call, method string) *call {
	for i := range calls {
		if calls[i].method == method && !calls[i].preview && calls[i].token == "aws:eks/addon:Addon" {
			return &calls[i]
		}
	}
	return nil
}

// TestEngine_AdoptedClusterMigratesOnePhasePerUpdate adopts a fake EKS cluster on the AWS
// VPC CNI (two legacy node groups, the vpc-cni add-on, aws-node on three nodes) and walks the
// migration through the real engine and the real StackReference: install, a skip refused,
// finalize refused while legacy nodes remain, finalize, going back refused, remove-aws-node.
// Nothing of the cluster is created, replaced or deleted except what each phase must change.
func TestEngine_AdoptedClusterMigratesOnePhasePerUpdate(t *testing.T) {
	s := newEngineStack(t, "adopt", "tests/fixtures/Pulumi.adopt.yaml", program.Run)
	cluster := newExistingCluster(t, s.fakes)

	// install: the add-on is imported (Read) and updated, never created; Cilium, the state
	// ConfigMap, the CiliumNodeConfig, the security group rules and the new node group are
	// created, in that order where it matters.
	install := s.mustSucceed("install", s.up())
	only(t, "install", install, map[string]bool{
		"Create kubernetes:core/v1:ConfigMap": true, "Create kubernetes:helm.sh/v3:Release": true,
		"Create kubernetes:cilium.io/v2:CiliumNodeConfig": true, "Update aws:eks/addon:Addon": true,
		"Create aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": true,
		"Create aws:iam/role:Role": true, "Create aws:iam/rolePolicyAttachment:RolePolicyAttachment": true,
		"Create aws:ec2/launchTemplate:LaunchTemplate": true, "Create aws:eks/nodeGroup:NodeGroup": true,
	})
	if cluster.kubeReads == 0 || cluster.eksReads == 0 {
		t.Errorf("the live checks made %d Kubernetes and %d EKS reads, want some of each", cluster.kubeReads, cluster.eksReads)
	}
	imported := false
	for _, c := range install.calls {
		imported = imported || (c.method == "Read" && c.token == "aws:eks/addon:Addon")
	}
	if !imported {
		t.Errorf("install did not import the vpc-cni add-on:\n%s", describe(install.calls))
	}
	update := addonCall(install.calls, "Update")
	if update == nil {
		t.Fatalf("install did not update the add-on:\n%s", describe(install.calls))
	}
	values := update.inputs["configurationValues"].StringValue()
	for _, want := range []string{`"ENABLE_PREFIX_DELEGATION":"true"`, `"AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS":"100.64.0.0/16"`,
		`"AWS_EXTERNAL_SERVICE_CIDRS":"100.64.0.0/16"`, `"io.cilium.migration/cilium-default"`} {
		if !strings.Contains(values, want) {
			t.Errorf("install: the add-on's configurationValues lack %s: %s", want, values)
		}
	}
	if v := update.inputs["serviceAccountRoleArn"]; !v.IsString() || !strings.HasSuffix(v.StringValue(), "role/legacy-vpc-cni") {
		t.Errorf("install: the add-on's IAM role is %v, want the owner's (kept through ignoreChanges)", v)
	}
	if v := update.inputs["preserve"]; !v.IsBool() || !v.BoolValue() {
		t.Errorf("install: preserve = %v, want true", v)
	}
	assertSequence(t, "Create", install.calls, []stage{
		{"the state ConfigMap", ofType("kubernetes:core/v1:ConfigMap")},
		{"the Cilium release", isRelease(charts.CiliumChart)},
		{"the CiliumNodeConfig", ofType("kubernetes:cilium.io/v2:CiliumNodeConfig")},
		{"the new node group", ofType("aws:eks/nodeGroup:NodeGroup")},
	})
	for _, c := range install.calls {
		if c.method == "Create" && !c.preview && c.token == "aws:eks/nodeGroup:NodeGroup" && c.seq < update.done {
			t.Errorf("the node group was created before aws-node was kept off its nodes")
		}
	}
	if !strings.Contains(install.output, "NetworkPolicies") {
		t.Errorf("install does not warn about the cluster's NetworkPolicy:\n%s", install.output)
	}
	if got := s.outputs()["migrationPhase"].Value; got != "install" {
		t.Fatalf("migrationPhase output = %v, want install", got)
	}

	s.setPhase("remove-aws-node")
	refused(t, "skip to remove-aws-node", s.preview(), "eks-cilium:migration.phase", "skips finalize")

	s.setPhase("finalize")
	refused(t, "finalize with legacy nodes", s.preview(), "eks-cilium:migration.phase", "legacy node group workers-a still has 2 nodes")

	// finalize, once drained: Cilium's final values, the CiliumNodeConfig deleted, the add-on
	// armed (preserve: false) but not deleted.
	cluster.drain()
	finalize := s.mustSucceed("finalize", s.up())
	only(t, "finalize", finalize, map[string]bool{
		"Update kubernetes:core/v1:ConfigMap": true, "Update kubernetes:helm.sh/v3:Release": true,
		"Update aws:eks/addon:Addon": true, "Delete kubernetes:cilium.io/v2:CiliumNodeConfig": true,
	})
	if u := addonCall(finalize.calls, "Update"); u == nil || !u.inputs["preserve"].IsBool() || u.inputs["preserve"].BoolValue() {
		t.Errorf("finalize did not arm the add-on with preserve: false:\n%s", describe(finalize.calls))
	}
	for _, c := range applied(finalize.calls) {
		if c.token == "kubernetes:helm.sh/v3:Release" {
			raw, _ := json.Marshal(c.inputs["values"].Mappable())
			if !strings.Contains(string(raw), `"customConf":false`) || !strings.Contains(string(raw), `"policyEnforcementMode":"default"`) {
				t.Errorf("finalize: the release's values are not Cilium's final ones: %s", raw)
			}
		}
	}

	s.setPhase("install")
	refused(t, "back to install", s.preview(), "eks-cilium:migration.phase", "goes back after finalize")

	// remove-aws-node: the add-on is deleted with preserve: false, and the rules between
	// legacy and new nodes go; nothing else.
	s.setPhase("remove-aws-node")
	remove := s.mustSucceed("remove-aws-node", s.up())
	only(t, "remove-aws-node", remove, map[string]bool{
		"Update kubernetes:core/v1:ConfigMap": true, "Delete aws:eks/addon:Addon": true,
		"Delete aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": true,
	})
	del := addonCall(remove.calls, "Delete")
	if del == nil {
		t.Fatalf("remove-aws-node did not delete the add-on:\n%s", describe(remove.calls))
	}
	if v := del.inputs["preserve"]; !v.IsBool() || v.BoolValue() {
		t.Errorf("remove-aws-node deleted the add-on with preserve = %v: aws-node would keep running", v)
	}
	for urn, step := range remove.steps() {
		if step == apitype.OpReplace || step == apitype.OpCreateReplacement {
			t.Errorf("remove-aws-node replaces %s", resource.URN(urn).Name())
		}
	}
}
