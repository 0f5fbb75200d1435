package pack

import (
	"strings"
	"testing"
)

func resource(t *testing.T, typ, name, id string, inputs map[string]any) Resource {
	return Resource{URN: urnOf(typ, name), Type: typ, Name: name, ID: id, Inputs: props(t, inputs)}
}

func TestEvaluate_ReportsEveryPolicyInPackThenInputOrder(t *testing.T) {
	resources := []Resource{
		resource(t, typeAwsVpc, "main", "vpc-0123", map[string]any{"cidrBlock": "10.0.0.0/16"}),
		// The id comes from Resource.ID, as the offline render passes a mock's id.
		resource(t, typeAwsSubnet, "public-a", "subnet-pub-a", map[string]any{"vpcId": "vpc-0123", "mapPublicIpOnLaunch": true}),
		resource(t, typeEksCluster, "main", "", withPath(goodEksCluster(), false, "useDefaultVpcCni")),
		resource(t, typeEksManagedNodeGroup, "general", "",
			withPath(withPath(goodManagedNodeGroup(), deleted, "taints"), []any{"subnet-pub-a"}, "subnetIds")),
		resource(t, typeHelmRelease, "cilium", "", releaseWithValue([]any{"10.0.128.0/17"}, "ipam", "operator", "clusterPoolIPv4PodCIDRList")),
		resource(t, typeAwsIamRole, "node", "", map[string]any{"managedPolicyArns": []any{"arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"}}),
		resource(t, typeAwsLaunchTemplate, "nodes", "", withPath(goodLaunchTemplate(), "optional", "metadataOptions", "httpTokens")),
	}
	got, err := Evaluate(resources)
	if err != nil {
		t.Fatalf("Evaluate: %v", err)
	}
	want := []struct{ policy, urn, level, fragment string }{
		{"no-vpc-cni", resources[2].URN, "mandatory", "useDefaultVpcCni is false"},
		{"cilium-startup-taint", resources[3].URN, "mandatory", "taints is not set"},
		{"nodes-no-public-ip", resources[3].URN, "mandatory", `subnetIds contains "subnet-pub-a"`},
		{"pod-cidr-no-overlap", resources[4].URN, "mandatory", "pod CIDR 10.0.128.0/17"},
		{"no-cni-policy-on-nodes", resources[5].URN, "mandatory", "AmazonEKS_CNI_Policy"},
		{"imdsv2-required", resources[6].URN, "advisory", `httpTokens is "optional"`},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d violations, want %d:\n%v", len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		if g.Policy != w.policy || g.URN != w.urn || g.Level != w.level || !strings.Contains(g.Message, w.fragment) {
			t.Errorf("violation %d = %+v, want policy %s on %s (%s) mentioning %q", i, g, w.policy, w.urn, w.level, w.fragment)
		}
	}

	again, err := Evaluate(resources)
	if err != nil {
		t.Fatalf("Evaluate again: %v", err)
	}
	for i := range got {
		if got[i] != again[i] {
			t.Errorf("second run differs at %d: %+v vs %+v", i, got[i], again[i])
		}
	}
}

func TestEvaluate_AcceptsCompliantStack(t *testing.T) {
	resources := []Resource{
		resource(t, typeAwsVpc, "main", "vpc-0123", map[string]any{"cidrBlock": "192.168.0.0/16"}),
		resource(t, typeAwsSubnet, "private-a", "subnet-priv-a", map[string]any{"mapPublicIpOnLaunch": false}),
		resource(t, typeAwsSubnet, "public-a", "subnet-pub-a", map[string]any{"mapPublicIpOnLaunch": true}),
		resource(t, typeEksCluster, "main", "", goodEksCluster()),
		resource(t, typeHelmRelease, "cilium", "", goodCiliumRelease()),
		resource(t, typeEksManagedNodeGroup, "general", "", goodManagedNodeGroup()),
	}
	got, err := Evaluate(resources)
	if err != nil {
		t.Fatalf("Evaluate: %v", err)
	}
	if len(got) != 0 {
		t.Errorf("got violations for a compliant stack: %+v", got)
	}
}

func TestEvaluate_KeepsAnExplicitIDProperty(t *testing.T) {
	// Inputs that carry an id win over Resource.ID.
	resources := []Resource{
		resource(t, typeAwsSubnet, "public-a", "subnet-mock-id", map[string]any{"id": "subnet-pub-a", "mapPublicIpOnLaunch": true}),
		resource(t, typeAwsEksNodeGroup, "general", "", withPath(goodAwsNodeGroup(), []any{"subnet-pub-a"}, "subnetIds")),
	}
	got, err := Evaluate(resources)
	if err != nil {
		t.Fatalf("Evaluate: %v", err)
	}
	if len(got) != 1 || got[0].Policy != "nodes-no-public-ip" {
		t.Errorf("got %+v, want one nodes-no-public-ip violation", got)
	}
}

func TestEvaluate_LeavesInputlessComponentsHidden(t *testing.T) {
	// A component with no inputs (as the engine shows pulumi-eks components) stays skipped
	// even when the render knows a mock id for it.
	got, err := Evaluate([]Resource{resource(t, typeEksCluster, "main", "main-id", map[string]any{})})
	if err != nil {
		t.Fatalf("Evaluate: %v", err)
	}
	if len(got) != 0 {
		t.Errorf("got %+v, want no violations", got)
	}
}
