package engine

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/eks-cilium/eks-cilium/charts"
	"github.com/eks-cilium/eks-cilium/program"
	"github.com/eks-cilium/eks-cilium/tests/enginetest"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// setPhase edits eks-cilium:migration.phase of the stack file.
func setPhase(s *enginetest.Stack, phase string) {
	s.T.Helper()
	s.EditConfig(func(c map[string]any) { c["eks-cilium:migration"].(map[string]any)["phase"] = phase })
}

// refused checks that a preview failed naming key and rule, with nothing registered.
func refused(t *testing.T, what string, op enginetest.Operation, key, rule string) {
	t.Helper()
	if op.Err == nil {
		t.Fatalf("%s: preview succeeded, want a refusal naming %s:\n%s", what, key, op.Output)
	}
	if !strings.Contains(op.Output, key) || !strings.Contains(op.Output, rule) {
		t.Errorf("%s: the refusal does not name %s and %q:\n%s", what, key, rule, op.Output)
	}
	for _, c := range op.Calls {
		if c.Method == "Check" || c.Method == "Create" || c.Method == "Read" {
			t.Errorf("%s: the program registered %s before refusing", what, c)
		}
	}
}

// only fails unless every applied call of op is one the phase may make: changes named by
// allowed (method and type), nothing else of the cluster.
func only(t *testing.T, phase string, op enginetest.Operation, allowed map[string]bool) {
	t.Helper()
	for _, c := range enginetest.Applied(op.Calls) {
		if !allowed[c.Method+" "+c.Token] {
			t.Errorf("%s: unexpected %s", phase, c)
		}
	}
}

func addonCall(calls []enginetest.Call, method string) *enginetest.Call {
	for i := range calls {
		if calls[i].Method == method && !calls[i].Preview && calls[i].Token == "aws:eks/addon:Addon" {
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
	s := enginetest.NewStack(t, "adopt", "tests/fixtures/Pulumi.adopt.yaml", program.Run)
	cluster := enginetest.NewExistingCluster(t, s.Fakes)

	// install: the add-on is imported (Read) and updated, never created; Cilium, the state
	// ConfigMap, the CiliumNodeConfig, the security group rules and the new node group are
	// created, in that order where it matters.
	install := s.MustSucceed("install", s.Up())
	only(t, "install", install, map[string]bool{
		"Create kubernetes:core/v1:ConfigMap": true, "Create kubernetes:helm.sh/v3:Release": true,
		"Create kubernetes:cilium.io/v2:CiliumNodeConfig": true, "Update aws:eks/addon:Addon": true,
		"Create aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": true,
		"Create aws:iam/role:Role": true, "Create aws:iam/rolePolicyAttachment:RolePolicyAttachment": true,
		"Create aws:ec2/launchTemplate:LaunchTemplate": true, "Create aws:eks/nodeGroup:NodeGroup": true,
	})
	if kubeReads, eksReads := cluster.Reads(); kubeReads == 0 || eksReads == 0 {
		t.Errorf("the live checks made %d Kubernetes and %d EKS reads, want some of each", kubeReads, eksReads)
	}
	imported := false
	for _, c := range install.Calls {
		imported = imported || (c.Method == "Read" && c.Token == "aws:eks/addon:Addon")
	}
	if !imported {
		t.Errorf("install did not import the vpc-cni add-on:\n%s", enginetest.Describe(install.Calls))
	}
	update := addonCall(install.Calls, "Update")
	if update == nil {
		t.Fatalf("install did not update the add-on:\n%s", enginetest.Describe(install.Calls))
	}
	values := update.Inputs["configurationValues"].StringValue()
	for _, want := range []string{`"ENABLE_PREFIX_DELEGATION":"true"`, `"AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS":"100.64.0.0/16"`,
		`"AWS_EXTERNAL_SERVICE_CIDRS":"100.64.0.0/16"`, `"io.cilium.migration/cilium-default"`} {
		if !strings.Contains(values, want) {
			t.Errorf("install: the add-on's configurationValues lack %s: %s", want, values)
		}
	}
	if v := update.Inputs["serviceAccountRoleArn"]; !v.IsString() || !strings.HasSuffix(v.StringValue(), "role/legacy-vpc-cni") {
		t.Errorf("install: the add-on's IAM role is %v, want the owner's (kept through ignoreChanges)", v)
	}
	if v := update.Inputs["preserve"]; !v.IsBool() || !v.BoolValue() {
		t.Errorf("install: preserve = %v, want true", v)
	}
	assertSequence(t, "Create", install.Calls, []stage{
		{"the state ConfigMap", ofType("kubernetes:core/v1:ConfigMap")},
		{"the Cilium release", isRelease(charts.CiliumChart)},
		{"the CiliumNodeConfig", ofType("kubernetes:cilium.io/v2:CiliumNodeConfig")},
		{"the new node group", ofType("aws:eks/nodeGroup:NodeGroup")},
	})
	for _, c := range install.Calls {
		if c.Method == "Create" && !c.Preview && c.Token == "aws:eks/nodeGroup:NodeGroup" && c.Seq < update.Done {
			t.Errorf("the node group was created before aws-node was kept off its nodes")
		}
	}
	if !strings.Contains(install.Output, "NetworkPolicies") {
		t.Errorf("install does not warn about the cluster's NetworkPolicy:\n%s", install.Output)
	}
	if got := s.Outputs()["migrationPhase"].Value; got != "install" {
		t.Fatalf("migrationPhase output = %v, want install", got)
	}

	setPhase(s, "remove-aws-node")
	refused(t, "skip to remove-aws-node", s.Preview(), "eks-cilium:migration.phase", "skips finalize")

	setPhase(s, "finalize")
	refused(t, "finalize with legacy nodes", s.Preview(), "eks-cilium:migration.phase", "legacy node group workers-a still has 2 nodes")

	// finalize, once drained: Cilium's final values, the CiliumNodeConfig deleted, the add-on
	// armed (preserve: false) but not deleted.
	cluster.Drain()
	finalize := s.MustSucceed("finalize", s.Up())
	only(t, "finalize", finalize, map[string]bool{
		"Update kubernetes:core/v1:ConfigMap": true, "Update kubernetes:helm.sh/v3:Release": true,
		"Update aws:eks/addon:Addon": true, "Delete kubernetes:cilium.io/v2:CiliumNodeConfig": true,
	})
	if u := addonCall(finalize.Calls, "Update"); u == nil || !u.Inputs["preserve"].IsBool() || u.Inputs["preserve"].BoolValue() {
		t.Errorf("finalize did not arm the add-on with preserve: false:\n%s", enginetest.Describe(finalize.Calls))
	}
	for _, c := range enginetest.Applied(finalize.Calls) {
		if c.Token == "kubernetes:helm.sh/v3:Release" {
			raw, _ := json.Marshal(c.Inputs["values"].Mappable())
			if !strings.Contains(string(raw), `"customConf":false`) || !strings.Contains(string(raw), `"policyEnforcementMode":"default"`) {
				t.Errorf("finalize: the release's values are not Cilium's final ones: %s", raw)
			}
		}
	}

	setPhase(s, "install")
	refused(t, "back to install", s.Preview(), "eks-cilium:migration.phase", "goes back after finalize")

	// remove-aws-node: the add-on is deleted with preserve: false, and the rules between
	// legacy and new nodes go; nothing else.
	setPhase(s, "remove-aws-node")
	remove := s.MustSucceed("remove-aws-node", s.Up())
	only(t, "remove-aws-node", remove, map[string]bool{
		"Update kubernetes:core/v1:ConfigMap": true, "Delete aws:eks/addon:Addon": true,
		"Delete aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": true,
	})
	del := addonCall(remove.Calls, "Delete")
	if del == nil {
		t.Fatalf("remove-aws-node did not delete the add-on:\n%s", enginetest.Describe(remove.Calls))
	}
	if v := del.Inputs["preserve"]; !v.IsBool() || v.BoolValue() {
		t.Errorf("remove-aws-node deleted the add-on with preserve = %v: aws-node would keep running", v)
	}
	for urn, step := range remove.Steps() {
		if step == apitype.OpReplace || step == apitype.OpCreateReplacement {
			t.Errorf("remove-aws-node replaces %s", resource.URN(urn).Name())
		}
	}
}
