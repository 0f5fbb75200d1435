package pack

import (
	"strings"
	"testing"
)

// resource is a resource as an update shows it: outputs are the inputs plus the id, when known.
func resource(t *testing.T, typ, name, id string, inputs map[string]any) Resource {
	outputs := inputs
	if id != "" {
		outputs = withPath(inputs, id, "id")
	}
	return Resource{URN: urnOf(typ, name), Type: typ, Name: name, Inputs: props(t, inputs), Outputs: props(t, outputs)}
}

func TestEvaluate_ReportsEveryPolicyInPackThenInputOrder(t *testing.T) {
	resources := []Resource{
		resource(t, typeAwsVpc, "main", "vpc-0123", map[string]any{"cidrBlock": "10.0.0.0/16"}),
		// The id is in the outputs only, as the engine shows a created subnet.
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

// Resource policies see inputs and stack policies outputs, as in the engine: a value only in
// the outputs (a subnet id) reaches nodes-no-public-ip and nothing else.
func TestEvaluate_FeedsInputsToResourcePoliciesAndOutputsToStackPolicies(t *testing.T) {
	publicSubnet := Resource{URN: urnOf(typeAwsSubnet, "public-a"), Type: typeAwsSubnet, Name: "public-a",
		Inputs:  props(t, map[string]any{"mapPublicIpOnLaunch": true}),
		Outputs: props(t, map[string]any{"mapPublicIpOnLaunch": true, "id": "subnet-pub-a"})}
	ng := Resource{URN: urnOf(typeAwsEksNodeGroup, "general"), Type: typeAwsEksNodeGroup, Name: "general",
		Inputs:  props(t, withPath(goodAwsNodeGroup(), deleted, "taints")),
		Outputs: props(t, withPath(goodAwsNodeGroup(), []any{"subnet-pub-a"}, "subnetIds"))}
	got, err := Evaluate([]Resource{publicSubnet, ng})
	if err != nil {
		t.Fatalf("Evaluate: %v", err)
	}
	var policies []string
	for _, v := range got {
		policies = append(policies, v.Policy)
	}
	// The taints are missing only from the inputs, the public subnet id only in the outputs.
	if strings.Join(policies, ",") != "cilium-startup-taint,nodes-no-public-ip" {
		t.Errorf("got %v, want cilium-startup-taint (inputs) then nodes-no-public-ip (outputs)", got)
	}
}

// In a first preview no subnet has an id; the engine's property dependencies still tie a node
// group's subnet list to the subnets it came from.
func TestEvaluate_FindsPublicSubnetsThroughPropertyDependencies(t *testing.T) {
	publicSubnet := resource(t, typeAwsSubnet, "public-a", "", map[string]any{"tags": map[string]any{"kubernetes.io/role/elb": "1"}})
	ng := resource(t, typeAwsEksNodeGroup, "general", "", withPath(goodAwsNodeGroup(), []any{computed, computed}, "subnetIds"))
	ng.PropertyDependencies = map[string][]string{"subnetIds": {publicSubnet.URN}}
	got, err := Evaluate([]Resource{publicSubnet, ng})
	if err != nil {
		t.Fatalf("Evaluate: %v", err)
	}
	if len(got) != 1 || got[0].Policy != "nodes-no-public-ip" || !strings.Contains(got[0].Message, "subnetIds is computed from subnet public-a") {
		t.Errorf("got %+v, want one nodes-no-public-ip violation naming subnet public-a", got)
	}
}

func TestEvaluate_LeavesInputlessComponentsHidden(t *testing.T) {
	// A component with no inputs (as the engine shows pulumi-eks components) stays skipped.
	got, err := Evaluate([]Resource{resource(t, typeEksCluster, "main", "", map[string]any{})})
	if err != nil {
		t.Fatalf("Evaluate: %v", err)
	}
	if len(got) != 0 {
		t.Errorf("got %+v, want no violations", got)
	}
}
