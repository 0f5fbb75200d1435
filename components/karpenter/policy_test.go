package karpenter

import (
	"encoding/json"
	"strings"
	"testing"
)

func policyInput() PolicyInput {
	return PolicyInput{
		Partition: "aws", Region: "eu-west-1", AccountID: "111122223333", ClusterName: "eks-cilium-dev",
		NodeRoleArn: "arn:aws:iam::111122223333:role/karpenter-node-20261201000000000000000001",
		QueueArn:    "arn:aws:sqs:eu-west-1:111122223333:karpenter-20261201000000000000000002",
	}
}

type policyDoc struct {
	Version   string
	Statement []struct {
		Sid       string
		Effect    string
		Resource  any
		Action    any
		Condition map[string]map[string]any
	}
}

func TestControllerPolicy_IsKarpenters1_14PolicyForThisCluster(t *testing.T) {
	text, err := ControllerPolicy(policyInput())
	if err != nil {
		t.Fatal(err)
	}
	var doc policyDoc
	if err := json.Unmarshal([]byte(text), &doc); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	// The Sids of the v1.14 CloudFormation template's controller policies, in its order.
	want := []string{
		"AllowScopedEC2InstanceAccessActions", "AllowScopedEC2LaunchTemplateAccessActions",
		"AllowScopedEC2InstanceActionsWithTags", "AllowScopedResourceCreationTagging", "AllowScopedResourceTagging",
		"AllowScopedDeletion", "AllowPassingInstanceRole", "AllowScopedInstanceProfileCreationActions",
		"AllowScopedInstanceProfileTagActions", "AllowScopedInstanceProfileActions", "AllowAPIServerEndpointDiscovery",
		"AllowInterruptionQueueActions", "AllowZonalShiftStatusReadOnly", "AllowRegionalReadActions",
		"AllowSSMReadActions", "AllowPricingReadActions", "AllowUnscopedInstanceProfileListAction",
		"AllowInstanceProfileReadActions",
	}
	if len(doc.Statement) != len(want) {
		t.Fatalf("%d statements, want %d", len(doc.Statement), len(want))
	}
	for i, s := range doc.Statement {
		if s.Sid != want[i] || s.Effect != "Allow" {
			t.Errorf("statement %d = %s (%s), want %s (Allow)", i, s.Sid, s.Effect, want[i])
		}
	}
	for _, frag := range []string{
		`"Resource":"arn:aws:iam::111122223333:role/karpenter-node-20261201000000000000000001","Action":"iam:PassRole"`,
		`"Resource":"arn:aws:sqs:eu-west-1:111122223333:karpenter-20261201000000000000000002"`,
		`"aws:RequestTag/kubernetes.io/cluster/eks-cilium-dev":"owned"`,
		`"arn:aws:eks:eu-west-1:111122223333:cluster/eks-cilium-dev"`,
		`"aws:RequestedRegion":"eu-west-1"`,
	} {
		if !strings.Contains(text, frag) {
			t.Errorf("policy lacks %s", frag)
		}
	}
	if strings.Contains(text, "${") || strings.ContainsAny(text, " \n") {
		t.Errorf("placeholder or whitespace left:\n%s", text)
	}
}

func TestControllerPolicy_FitsTheInlinePolicyQuotaForTheLongestClusterName(t *testing.T) {
	in := policyInput()
	in.ClusterName = strings.Repeat("c", 100) // EKS's longest cluster name
	in.Partition = "aws-iso-b"
	text, err := ControllerPolicy(in)
	if err != nil {
		t.Fatal(err)
	}
	if len(text) > MaxInlinePolicySize {
		t.Errorf("%d characters > %d", len(text), MaxInlinePolicySize)
	}
	t.Logf("policy size with a 100-character cluster name: %d of %d characters", len(text), MaxInlinePolicySize)
}

func TestControllerPolicy_RefusesMissingOrUnsafeValues(t *testing.T) {
	for name, mutate := range map[string]func(*PolicyInput){
		"no account":             func(p *PolicyInput) { p.AccountID = "" },
		"quote in cluster name":  func(p *PolicyInput) { p.ClusterName = `a"b` },
		"no queue":               func(p *PolicyInput) { p.QueueArn = "" },
		"backslash in node role": func(p *PolicyInput) { p.NodeRoleArn = `arn:aws:iam::1:role/\x` },
	} {
		in := policyInput()
		mutate(&in)
		if _, err := ControllerPolicy(in); err == nil {
			t.Errorf("%s: rendered", name)
		}
	}
}

func TestQueuePolicy_AllowsEventBridgeAndRefusesPlainHTTP(t *testing.T) {
	text, err := QueuePolicy("arn:aws:sqs:eu-west-1:1:q")
	if err != nil {
		t.Fatal(err)
	}
	var doc policyDoc
	if err := json.Unmarshal([]byte(text), &doc); err != nil || len(doc.Statement) != 2 {
		t.Fatalf("%v: %s", err, text)
	}
	if !strings.Contains(text, `"events.amazonaws.com"`) || doc.Statement[1].Effect != "Deny" ||
		doc.Statement[1].Condition["Bool"]["aws:SecureTransport"] != "false" {
		t.Errorf("policy = %s", text)
	}
}
