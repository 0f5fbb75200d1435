package pack

import "testing"

func TestNoVpcCni_RejectsVpcCniAddons(t *testing.T) {
	runResourceCases(t, noVpcCni, []resourceCase{
		{name: "aws addon vpc-cni", typ: typeAwsEksAddon,
			inputs: map[string]any{"clusterName": "main", "addonName": "vpc-cni"},
			want:   1, contains: []string{`addonName is "vpc-cni"`, "aws-node"}},
		{name: "pulumi-eks addon vpc-cni", typ: typeEksAddon,
			inputs: map[string]any{"addonName": "vpc-cni"},
			want:   1, contains: []string{`addonName is "vpc-cni"`}},
		{name: "pulumi-eks VpcCniAddon", typ: typeEksVpcCniAddon,
			inputs: map[string]any{"clusterName": "main"},
			want:   1, contains: []string{"eks:index:VpcCniAddon installs the vpc-cni add-on"}},
	})
}

func TestNoVpcCni_AcceptsOtherAddons(t *testing.T) {
	runResourceCases(t, noVpcCni, []resourceCase{
		{name: "coredns", typ: typeAwsEksAddon, inputs: map[string]any{"clusterName": "main", "addonName": "coredns"}},
		{name: "pod identity agent", typ: typeEksAddon, inputs: map[string]any{"addonName": "eks-pod-identity-agent"}},
		{name: "unknown addon name", typ: typeAwsEksAddon, inputs: map[string]any{"addonName": computed}},
	})
}

func TestNoVpcCni_RejectsClusterThatKeepsAwsNode(t *testing.T) {
	runResourceCases(t, noVpcCni, []resourceCase{
		{name: "default node group", typ: typeEksCluster,
			inputs: withPath(goodEksCluster(), deleted, "skipDefaultNodeGroup"),
			want:   1, contains: []string{"skipDefaultNodeGroup is not set, want true"}},
		{name: "pulumi-eks installs its own vpc-cni", typ: typeEksCluster,
			inputs: withPath(goodEksCluster(), false, "useDefaultVpcCni"),
			want:   1, contains: []string{"useDefaultVpcCni is false, want true"}},
		{name: "bootstrapped aws-node kept", typ: typeEksCluster,
			inputs: withPath(goodEksCluster(), []any{"kube-proxy"}, "defaultAddonsToRemove"),
			want:   1, contains: []string{`defaultAddonsToRemove is ["kube-proxy"], want it to contain "vpc-cni"`}},
		{name: "none of the three inputs", typ: typeEksCluster,
			inputs: map[string]any{"vpcId": "vpc-0123"},
			want:   3, contains: []string{"skipDefaultNodeGroup", "useDefaultVpcCni", "defaultAddonsToRemove"}},
		{name: "aws cluster bootstraps addons", typ: typeAwsEksCluster,
			inputs: withPath(goodAwsCluster(), deleted, "defaultAddonsToRemoves"),
			want:   1, contains: []string{"bootstrapSelfManagedAddons is not set and defaultAddonsToRemoves is not set"}},
		{name: "aws cluster bootstraps explicitly", typ: typeAwsEksCluster,
			inputs: withPath(withPath(goodAwsCluster(), true, "bootstrapSelfManagedAddons"), []any{"coredns"}, "defaultAddonsToRemoves"),
			want:   1, contains: []string{"bootstrapSelfManagedAddons is true"}},
	})
}

func TestNoVpcCni_AcceptsClusterWithoutAwsNode(t *testing.T) {
	runResourceCases(t, noVpcCni, []resourceCase{
		{name: "pulumi-eks cluster with all three inputs", typ: typeEksCluster, inputs: goodEksCluster()},
		{name: "aws cluster removing vpc-cni", typ: typeAwsEksCluster, inputs: goodAwsCluster()},
		{name: "aws cluster without bootstrapped addons", typ: typeAwsEksCluster,
			inputs: withPath(withPath(goodAwsCluster(), deleted, "defaultAddonsToRemoves"), false, "bootstrapSelfManagedAddons")},
	})
}

func TestNoVpcCni_SkipsUnknownValues(t *testing.T) {
	runResourceCases(t, noVpcCni, []resourceCase{
		{name: "all three inputs unknown", typ: typeEksCluster, inputs: map[string]any{
			"skipDefaultNodeGroup": computed, "useDefaultVpcCni": computed, "defaultAddonsToRemove": computed}},
		{name: "addon list with an unknown entry", typ: typeEksCluster,
			inputs: withPath(goodEksCluster(), []any{"kube-proxy", computed}, "defaultAddonsToRemove")},
		{name: "aws cluster bootstrap flag unknown", typ: typeAwsEksCluster,
			inputs: withPath(withPath(goodAwsCluster(), deleted, "defaultAddonsToRemoves"), computed, "bootstrapSelfManagedAddons")},
		{name: "aws cluster addon list unknown", typ: typeAwsEksCluster,
			inputs: withPath(goodAwsCluster(), computed, "defaultAddonsToRemoves")},
		// A real run shows the pack an empty map for pulumi-eks components.
		{name: "component registered by its provider", typ: typeEksCluster, inputs: map[string]any{}},
	})
}

func TestNoCNIPolicyOnNodes_RejectsCNIPolicy(t *testing.T) {
	runResourceCases(t, noCNIPolicyOnNodes, []resourceCase{
		{name: "policy attachment", typ: typeAwsRolePolicyAttach,
			inputs: map[string]any{"role": "node", "policyArn": "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"},
			want:   1, contains: []string{`policyArn is "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"`, "ENIs"}},
		{name: "policy attachment in GovCloud", typ: typeAwsRolePolicyAttach,
			inputs: map[string]any{"role": "node", "policyArn": "arn:aws-us-gov:iam::aws:policy/AmazonEKS_CNI_Policy"},
			want:   1, contains: []string{"aws-us-gov"}},
		{name: "role managed policy", typ: typeAwsIamRole,
			inputs: map[string]any{"managedPolicyArns": []any{
				"arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
				"arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
			}},
			want: 1, contains: []string{`managedPolicyArns contains "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"`}},
	})
}

func TestNoCNIPolicyOnNodes_AcceptsNodePoliciesWithoutCNI(t *testing.T) {
	runResourceCases(t, noCNIPolicyOnNodes, []resourceCase{
		{name: "worker node policy", typ: typeAwsRolePolicyAttach,
			inputs: map[string]any{"role": "node", "policyArn": "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy"}},
		{name: "role without CNI policy", typ: typeAwsIamRole, inputs: map[string]any{"managedPolicyArns": []any{
			"arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
			"arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
		}}},
		{name: "a customer policy merely named like it", typ: typeAwsRolePolicyAttach,
			inputs: map[string]any{"role": "node", "policyArn": "arn:aws:iam::111122223333:policy/MyAmazonEKS_CNI_Policy"}},
	})
}

func TestNoCNIPolicyOnNodes_SkipsUnknownValues(t *testing.T) {
	runResourceCases(t, noCNIPolicyOnNodes, []resourceCase{
		{name: "attachment arn unknown", typ: typeAwsRolePolicyAttach, inputs: map[string]any{"role": "node", "policyArn": computed}},
		{name: "role arns unknown", typ: typeAwsIamRole, inputs: map[string]any{"managedPolicyArns": computed}},
		{name: "role arn entry unknown", typ: typeAwsIamRole, inputs: map[string]any{"managedPolicyArns": []any{computed}}},
	})
}
