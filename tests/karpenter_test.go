package tests

import (
	"encoding/json"
	"github.com/eks-cilium/eks-cilium/awsnames"
	"slices"
	"strings"
	"testing"

	"github.com/eks-cilium/eks-cilium/render"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

const (
	typeNodePool  = "kubernetes:karpenter.sh/v1:NodePool"
	typeNodeClass = "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"
)

func releaseOfChart(t *testing.T, res *render.Result, chart string) render.Resource {
	t.Helper()
	return oneWith(t, res, typeRelease, "chart", chart)
}

// TestKarpenter_InstallsAfterNodeGroupsAndAppliesObjectsAfterTheController: the charts wait
// for every node group (the controller runs there), the controller for its Pod Identity
// association and queue, the objects for the CRDs and the controller, so that a destroy
// deletes NodePools while the controller still runs to terminate their nodes.
func TestKarpenter_InstallsAfterNodeGroupsAndAppliesObjectsAfterTheController(t *testing.T) {
	res := renderStack(t, "../stacks/Pulumi.dev.yaml", nil)
	crds := releaseOfChart(t, res, "oci://public.ecr.aws/karpenter/karpenter-crd")
	controller := releaseOfChart(t, res, "oci://public.ecr.aws/karpenter/karpenter")
	provider := clusterProvider(t, res)
	for _, ng := range ofType(res, typeNodeGroup) {
		for _, rel := range []render.Resource{crds, controller} {
			if !slices.Contains(rel.DependsOn, ng.URN) {
				t.Errorf("release %s does not wait for node group %s", rel.Name, ng.Name)
			}
		}
	}
	for _, dep := range []string{
		crds.URN,
		oneWith(t, res, "aws:eks/podIdentityAssociation:PodIdentityAssociation", "serviceAccount", "karpenter").URN,
		one(t, res, "aws:sqs/queue:Queue").URN,
		one(t, res, "aws:eks/accessEntry:AccessEntry").URN,
	} {
		if !slices.Contains(controller.DependsOn, dep) {
			t.Errorf("the karpenter release does not depend on %s", dep)
		}
	}
	assoc := oneWith(t, res, "aws:eks/podIdentityAssociation:PodIdentityAssociation", "serviceAccount", "karpenter")
	agent := oneWith(t, res, typeAddon, "addonName", "eks-pod-identity-agent")
	if !slices.Contains(assoc.DependsOn, agent.URN) {
		t.Errorf("the association does not wait for the Pod Identity agent")
	}
	for _, ng := range ofType(res, typeNodeGroup) {
		if !slices.Contains(agent.DependsOn, ng.URN) {
			t.Errorf("the Pod Identity agent addon does not wait for node group %s (its pods need Ready nodes)", ng.Name)
		}
	}
	if ns, sa := assoc.Inputs["namespace"].StringValue(), assoc.Inputs["serviceAccount"].StringValue(); ns != "kube-system" || sa != "karpenter" {
		t.Errorf("association for %s/%s, want kube-system/karpenter (the chart's service account)", ns, sa)
	}
	for _, typ := range []string{typeNodePool, typeNodeClass} {
		for _, obj := range ofType(res, typ) {
			if obj.Provider != provider.URN {
				t.Errorf("%s uses provider %q", obj.Name, obj.Provider)
			}
			for _, dep := range []string{crds.URN, controller.URN} {
				if !slices.Contains(obj.DependsOn, dep) {
					t.Errorf("%s %s does not depend on %s", typ, obj.Name, dep)
				}
			}
		}
	}
}

// TestKarpenter_NodeClassUsesTheNodeRoleAndTheControllerMayPassOnlyIt: the EC2NodeClass names
// the node role that has the EC2_LINUX access entry, and the controller policy's iam:PassRole
// is limited to that role's ARN.
func TestKarpenter_NodeClassUsesTheNodeRoleAndTheControllerMayPassOnlyIt(t *testing.T) {
	res := renderStack(t, "../stacks/Pulumi.dev.yaml", nil)
	entry := one(t, res, "aws:eks/accessEntry:AccessEntry")
	if typ := entry.Inputs["type"].StringValue(); typ != "EC2_LINUX" {
		t.Errorf("access entry type %q, want EC2_LINUX", typ)
	}
	class := one(t, res, typeNodeClass)
	role, _ := get(class.Inputs, "spec.role")
	if want := awsnames.KarpenterNodeRole(res.Config.ClusterName()) + "-"; !strings.HasPrefix(role.StringValue(), want) {
		t.Errorf("EC2NodeClass role = %v, want the autonamed %s… role", role, want)
	}
	var policy string
	for _, p := range ofType(res, "aws:iam/rolePolicy:RolePolicy") {
		if strings.Contains(p.URN, "eks-cilium:index:Karpenter") {
			policy = p.Inputs["policy"].StringValue()
		}
	}
	var doc struct{ Statement []map[string]any }
	if err := json.Unmarshal([]byte(policy), &doc); err != nil {
		t.Fatalf("controller policy: %v", err)
	}
	for _, s := range doc.Statement {
		if s["Action"] == "iam:PassRole" && s["Resource"] != "arn:aws:mock:::"+entry.Name {
			t.Errorf("iam:PassRole on %v, want only the node role", s["Resource"])
		}
	}
}

// TestKarpenter_PrivateSubnetsAreTaggedForDiscoveryOnlyWithKarpenter: the EC2NodeClass
// selects subnets by karpenter.sh/discovery, which only the private subnets carry; a stack
// without Karpenter tags nothing.
func TestKarpenter_PrivateSubnetsAreTaggedForDiscoveryOnlyWithKarpenter(t *testing.T) {
	for _, path := range shippedStacks(t) {
		res := renderStack(t, path, nil)
		for _, s := range ofType(res, typeSubnet) {
			tag, tagged := get(s.Inputs, "tags")
			_, has := tag.ObjectValue()[resource.PropertyKey("karpenter.sh/discovery")]
			wantTag := res.Config.Karpenter != nil && strings.HasSuffix(s.Name, "-private")
			if tagged && has != wantTag {
				t.Errorf("%s: subnet %s karpenter.sh/discovery tagged %v, want %v", res.Config.Stack, s.Name, has, wantTag)
			}
		}
	}
}
