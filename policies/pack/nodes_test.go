package pack

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
)

func TestCiliumStartupTaint_RejectsNodeGroupWithoutTaint(t *testing.T) {
	runResourceCases(t, ciliumStartupTaint, []resourceCase{
		{name: "managed node group without taints", typ: typeEksManagedNodeGroup,
			inputs: withPath(goodManagedNodeGroup(), deleted, "taints"),
			want:   1, contains: []string{"taints is not set", `key: "node.cilium.io/agent-not-ready"`}},
		{name: "managed node group with other taints only", typ: typeEksManagedNodeGroup,
			inputs: withPath(goodManagedNodeGroup(), []any{map[string]any{"key": "gpu", "value": "true", "effect": "NO_SCHEDULE"}}, "taints"),
			want:   1, contains: []string{`taints is [{effect: "NO_SCHEDULE", key: "gpu", value: "true"}]`}},
		{name: "aws node group with an empty list", typ: typeAwsEksNodeGroup,
			inputs: withPath(goodAwsNodeGroup(), []any{}, "taints"),
			want:   1, contains: []string{"taints is []"}},
		{name: "self-managed node group without the taint", typ: typeEksNodeGroupV2,
			inputs: map[string]any{"taints": map[string]any{"gpu": map[string]any{"value": "true", "effect": "NoSchedule"}}},
			want:   1, contains: []string{`"node.cilium.io/agent-not-ready": {value: "true", effect: "NoExecute"}`}},
	})
}

func TestCiliumStartupTaint_RejectsWrongValueOrEffect(t *testing.T) {
	runResourceCases(t, ciliumStartupTaint, []resourceCase{
		{name: "NoSchedule instead of NoExecute", typ: typeEksManagedNodeGroup,
			inputs: withPath(goodManagedNodeGroup(), []any{withPath(startupTaint(), "NO_SCHEDULE", "effect")}, "taints"),
			want:   1, contains: []string{`has effect "NO_SCHEDULE"`}},
		{name: "kubelet spelling on a managed node group", typ: typeAwsEksNodeGroup,
			inputs: withPath(goodAwsNodeGroup(), []any{withPath(startupTaint(), "NoExecute", "effect")}, "taints"),
			want:   1, contains: []string{`has effect "NoExecute"`}},
		{name: "value false and no effect", typ: typeEksManagedNodeGroup,
			inputs: withPath(goodManagedNodeGroup(), []any{map[string]any{"key": "node.cilium.io/agent-not-ready", "value": "false"}}, "taints"),
			want:   1, contains: []string{`has value "false" and effect not set`}},
		{name: "self-managed node group with EKS spelling", typ: typeEksNodeGroup,
			inputs: map[string]any{"taints": map[string]any{"node.cilium.io/agent-not-ready": map[string]any{"value": "true", "effect": "NO_EXECUTE"}}},
			want:   1, contains: []string{`has effect "NO_EXECUTE"`}},
	})
}

func TestCiliumStartupTaint_AcceptsTaintedNodeGroups(t *testing.T) {
	runResourceCases(t, ciliumStartupTaint, []resourceCase{
		{name: "managed node group", typ: typeEksManagedNodeGroup, inputs: goodManagedNodeGroup()},
		{name: "aws node group among other taints", typ: typeAwsEksNodeGroup, inputs: goodAwsNodeGroup()},
		{name: "self-managed node group", typ: typeEksNodeGroupV2, inputs: map[string]any{"taints": map[string]any{
			"node.cilium.io/agent-not-ready": map[string]any{"value": "true", "effect": "NoExecute"}}}},
		{name: "not a node group", typ: typeAwsEksCluster, inputs: goodAwsCluster()},
	})
}

func TestCiliumStartupTaint_SkipsUnknownValues(t *testing.T) {
	runResourceCases(t, ciliumStartupTaint, []resourceCase{
		{name: "taints unknown", typ: typeEksManagedNodeGroup, inputs: withPath(goodManagedNodeGroup(), computed, "taints")},
		{name: "one taint unknown", typ: typeAwsEksNodeGroup, inputs: withPath(goodAwsNodeGroup(), []any{computed}, "taints")},
		{name: "taint key unknown", typ: typeAwsEksNodeGroup,
			inputs: withPath(goodAwsNodeGroup(), []any{map[string]any{"key": computed, "value": "true", "effect": "NO_EXECUTE"}}, "taints")},
		{name: "taint effect unknown", typ: typeEksManagedNodeGroup,
			inputs: withPath(goodManagedNodeGroup(), []any{withPath(startupTaint(), computed, "effect")}, "taints")},
		{name: "self-managed taints unknown", typ: typeEksNodeGroupV2, inputs: map[string]any{"taints": computed}},
		{name: "component registered by its provider", typ: typeEksManagedNodeGroup, inputs: map[string]any{}},
	})
}

func subnet(t *testing.T, name, id string, inputs map[string]any) policyx.AnalyzerResource {
	t.Helper()
	inputs = withPath(inputs, id, "id")
	if id == "" {
		inputs = withPath(inputs, computed, "id")
	}
	return analyzerResource(t, typeAwsSubnet, name, inputs)
}

func TestNodesNoPublicIP_RejectsNodesInPublicSubnets(t *testing.T) {
	publicMapping := subnet(t, "public-a", "subnet-pub-a", map[string]any{"vpcId": "vpc-0123", "mapPublicIpOnLaunch": true})
	elbTagged := subnet(t, "public-b", "subnet-pub-b", map[string]any{
		"vpcId": "vpc-0123", "tags": map[string]any{"kubernetes.io/role/elb": "1"}})
	private := subnet(t, "private-a", "subnet-priv-a", map[string]any{
		"vpcId": "vpc-0123", "mapPublicIpOnLaunch": false, "tags": map[string]any{"kubernetes.io/role/internal-elb": "1"}})

	mng := analyzerResource(t, typeEksManagedNodeGroup, "general",
		withPath(goodManagedNodeGroup(), []any{"subnet-priv-a", "subnet-pub-a", "subnet-pub-b"}, "subnetIds"))
	awsNG := analyzerResource(t, typeAwsEksNodeGroup, "general",
		withPath(goodAwsNodeGroup(), []any{"subnet-pub-b"}, "subnetIds"))
	selfManaged := analyzerResource(t, typeEksNodeGroupV2, "legacy", map[string]any{
		"nodeSubnetIds": []any{"subnet-priv-a"}, "nodeAssociatePublicIpAddress": true})
	publicLT := analyzerResource(t, typeAwsLaunchTemplate, "nodes",
		withPath(goodLaunchTemplate(), []any{map[string]any{"associatePublicIpAddress": "true"}}, "networkInterfaces"))
	publicLTBool := analyzerResource(t, typeAwsLaunchTemplate, "nodes-bool",
		withPath(goodLaunchTemplate(), []any{map[string]any{"deviceIndex": 0}, map[string]any{"associatePublicIpAddress": true}}, "networkInterfaces"))

	runStackCases(t, nodesNoPublicIP, []stackCase{
		{name: "managed node group in two public subnets",
			resources: []policyx.AnalyzerResource{publicMapping, elbTagged, private, mng},
			want:      2, wantURN: mng.URN,
			contains: []string{`subnetIds contains "subnet-pub-a" (subnet public-a), which maps a public IP`,
				`subnetIds contains "subnet-pub-b" (subnet public-b), which is tagged kubernetes.io/role/elb`}},
		{name: "aws node group in an elb-tagged subnet",
			resources: []policyx.AnalyzerResource{awsNG, elbTagged},
			want:      1, wantURN: awsNG.URN, contains: []string{`"subnet-pub-b"`}},
		{name: "self-managed node group asking for public IPs",
			resources: []policyx.AnalyzerResource{private, selfManaged},
			want:      1, wantURN: selfManaged.URN, contains: []string{"nodeAssociatePublicIpAddress is true"}},
		{name: "launch template associating a public IP (string)",
			resources: []policyx.AnalyzerResource{publicLT},
			want:      1, wantURN: publicLT.URN, contains: []string{`networkInterfaces[0].associatePublicIpAddress is "true"`}},
		{name: "launch template associating a public IP (bool)",
			resources: []policyx.AnalyzerResource{publicLTBool},
			want:      1, wantURN: publicLTBool.URN, contains: []string{`networkInterfaces[1].associatePublicIpAddress is true`}},
	})
}

func TestNodesNoPublicIP_AcceptsPrivateNodes(t *testing.T) {
	private := subnet(t, "private-a", "subnet-priv-a", map[string]any{"mapPublicIpOnLaunch": false})
	public := subnet(t, "public-a", "subnet-pub-a", map[string]any{"mapPublicIpOnLaunch": true})
	runStackCases(t, nodesNoPublicIP, []stackCase{
		{name: "node groups in private subnets", resources: []policyx.AnalyzerResource{
			private, public,
			analyzerResource(t, typeEksManagedNodeGroup, "general", goodManagedNodeGroup()),
			analyzerResource(t, typeAwsEksNodeGroup, "general", goodAwsNodeGroup()),
			analyzerResource(t, typeAwsLaunchTemplate, "nodes", goodLaunchTemplate()),
		}},
		{name: "subnets outside the stack are not judged", resources: []policyx.AnalyzerResource{
			analyzerResource(t, typeAwsEksNodeGroup, "general", withPath(goodAwsNodeGroup(), []any{"subnet-elsewhere"}, "subnetIds")),
		}},
	})
}

func TestNodesNoPublicIP_FollowsPropertyDependenciesWhenIdsAreUnknown(t *testing.T) {
	public := subnet(t, "public-a", "", map[string]any{"tags": map[string]any{"kubernetes.io/role/elb": "1"}})
	private := subnet(t, "private-a", "", map[string]any{"mapPublicIpOnLaunch": false})
	maybe := subnet(t, "maybe", "", map[string]any{"mapPublicIpOnLaunch": computed})
	fromSubnets := func(typ, key string, inputs map[string]any, subnets ...policyx.AnalyzerResource) policyx.AnalyzerResource {
		res := analyzerResource(t, typ, "general", withPath(inputs, []any{computed, computed}, key))
		res.PropertyDependencies = map[string][]string{}
		for _, s := range subnets {
			res.PropertyDependencies[key] = append(res.PropertyDependencies[key], s.URN)
		}
		return res
	}
	inPublic := fromSubnets(typeAwsEksNodeGroup, "subnetIds", goodAwsNodeGroup(), private, public)
	selfManaged := fromSubnets(typeEksNodeGroupV2, "nodeSubnetIds", map[string]any{}, public)
	runStackCases(t, nodesNoPublicIP, []stackCase{
		{name: "aws node group computed from a public subnet",
			resources: []policyx.AnalyzerResource{public, private, inPublic},
			want:      1, wantURN: inPublic.URN, contains: []string{"subnetIds is computed from subnet public-a, which is tagged kubernetes.io/role/elb"}},
		{name: "self-managed node group computed from a public subnet",
			resources: []policyx.AnalyzerResource{public, selfManaged},
			want:      1, wantURN: selfManaged.URN, contains: []string{"nodeSubnetIds is computed from subnet public-a"}},
		{name: "computed from private subnets only",
			resources: []policyx.AnalyzerResource{public, private, fromSubnets(typeAwsEksNodeGroup, "subnetIds", goodAwsNodeGroup(), private)}},
		{name: "computed from a subnet whose public mapping is unknown",
			resources: []policyx.AnalyzerResource{maybe, fromSubnets(typeAwsEksNodeGroup, "subnetIds", goodAwsNodeGroup(), maybe)}},
		{name: "known id and dependency name the same subnet once", resources: []policyx.AnalyzerResource{
			subnet(t, "public-b", "subnet-pub-b", map[string]any{"mapPublicIpOnLaunch": true}),
			func() policyx.AnalyzerResource {
				res := analyzerResource(t, typeAwsEksNodeGroup, "general", withPath(goodAwsNodeGroup(), []any{"subnet-pub-b"}, "subnetIds"))
				res.PropertyDependencies = map[string][]string{"subnetIds": {urnOf(typeAwsSubnet, "public-b")}}
				return res
			}(),
		}, want: 1},
	})
}

func TestNodesNoPublicIP_SkipsUnknownValues(t *testing.T) {
	public := subnet(t, "public-a", "subnet-pub-a", map[string]any{"mapPublicIpOnLaunch": true})
	runStackCases(t, nodesNoPublicIP, []stackCase{
		{name: "node group subnet ids unknown", resources: []policyx.AnalyzerResource{
			public, analyzerResource(t, typeEksManagedNodeGroup, "general", withPath(goodManagedNodeGroup(), computed, "subnetIds")),
		}},
		{name: "one subnet id unknown", resources: []policyx.AnalyzerResource{
			public, analyzerResource(t, typeAwsEksNodeGroup, "general", withPath(goodAwsNodeGroup(), []any{computed}, "subnetIds")),
		}},
		{name: "subnet id unknown (preview of a new subnet)", resources: []policyx.AnalyzerResource{
			subnet(t, "public-a", "", map[string]any{"mapPublicIpOnLaunch": true}),
			analyzerResource(t, typeAwsEksNodeGroup, "general", withPath(goodAwsNodeGroup(), []any{computed}, "subnetIds")),
		}},
		{name: "subnet public mapping unknown", resources: []policyx.AnalyzerResource{
			subnet(t, "maybe", "subnet-maybe", map[string]any{"mapPublicIpOnLaunch": computed, "tags": computed}),
			analyzerResource(t, typeAwsEksNodeGroup, "general", withPath(goodAwsNodeGroup(), []any{"subnet-maybe"}, "subnetIds")),
		}},
		{name: "launch template interface unknown", resources: []policyx.AnalyzerResource{
			analyzerResource(t, typeAwsLaunchTemplate, "nodes", withPath(goodLaunchTemplate(), []any{computed}, "networkInterfaces")),
			analyzerResource(t, typeAwsLaunchTemplate, "nodes2", withPath(goodLaunchTemplate(),
				[]any{map[string]any{"associatePublicIpAddress": computed}}, "networkInterfaces")),
		}},
	})
}

func TestImdsv2Required_RejectsOptionalTokens(t *testing.T) {
	runResourceCases(t, imdsv2Required, []resourceCase{
		{name: "launch template without metadata options", typ: typeAwsLaunchTemplate,
			inputs: withPath(goodLaunchTemplate(), deleted, "metadataOptions"),
			want:   1, contains: []string{`metadataOptions.httpTokens is not set (EC2 default "optional")`}},
		{name: "launch template with optional tokens", typ: typeAwsLaunchTemplate,
			inputs: withPath(goodLaunchTemplate(), "optional", "metadataOptions", "httpTokens"),
			want:   1, contains: []string{`metadataOptions.httpTokens is "optional", want "required"`}},
		{name: "managed node group without enableIMDSv2", typ: typeEksManagedNodeGroup,
			inputs: withPath(goodManagedNodeGroup(), deleted, "enableIMDSv2"),
			want:   1, contains: []string{"enableIMDSv2 is not set (pulumi-eks default false), want true"}},
	})
}

func TestImdsv2Required_RejectsHopLimitAboveConfiguredMaximum(t *testing.T) {
	runResourceCases(t, imdsv2Required, []resourceCase{
		{name: "hop limit 2 reaches overlay pods", typ: typeAwsLaunchTemplate,
			inputs: withPath(goodLaunchTemplate(), 2, "metadataOptions", "httpPutResponseHopLimit"),
			want:   1, contains: []string{"httpPutResponseHopLimit is 2, above 1", "one hop further from IMDS"}},
		{name: "hop limit 3", typ: typeAwsLaunchTemplate,
			inputs: withPath(goodLaunchTemplate(), 3, "metadataOptions", "httpPutResponseHopLimit"),
			want:   1, contains: []string{"httpPutResponseHopLimit is 3, above 1"}},
		{name: "hop limit 1 by default", typ: typeAwsLaunchTemplate,
			inputs: withPath(goodLaunchTemplate(), 1, "metadataOptions", "httpPutResponseHopLimit")},
		{name: "configured maximum 2 accepts 2", typ: typeAwsLaunchTemplate,
			inputs: withPath(goodLaunchTemplate(), 2, "metadataOptions", "httpPutResponseHopLimit"),
			config: map[string]any{"maxHopLimit": float64(2)}},
		{name: "configured maximum 2 refuses 3", typ: typeAwsLaunchTemplate,
			inputs: withPath(goodLaunchTemplate(), 3, "metadataOptions", "httpPutResponseHopLimit"),
			config: map[string]any{"maxHopLimit": float64(2)},
			want:   1, contains: []string{"httpPutResponseHopLimit is 3, above 2"}},
	})
}

func TestImdsv2Required_AcceptsRequiredTokens(t *testing.T) {
	runResourceCases(t, imdsv2Required, []resourceCase{
		{name: "launch template", typ: typeAwsLaunchTemplate, inputs: goodLaunchTemplate()},
		{name: "managed node group", typ: typeEksManagedNodeGroup, inputs: goodManagedNodeGroup()},
		{name: "managed node group with its own launch template", typ: typeEksManagedNodeGroup,
			inputs: withPath(withPath(goodManagedNodeGroup(), deleted, "enableIMDSv2"),
				map[string]any{"id": "lt-0123", "version": "1"}, "launchTemplate")},
	})
}

func TestImdsv2Required_SkipsUnknownValues(t *testing.T) {
	runResourceCases(t, imdsv2Required, []resourceCase{
		{name: "metadata options unknown", typ: typeAwsLaunchTemplate, inputs: withPath(goodLaunchTemplate(), computed, "metadataOptions")},
		{name: "tokens and hop limit unknown", typ: typeAwsLaunchTemplate, inputs: withPath(withPath(goodLaunchTemplate(),
			computed, "metadataOptions", "httpTokens"), computed, "metadataOptions", "httpPutResponseHopLimit")},
		{name: "enableIMDSv2 unknown", typ: typeEksManagedNodeGroup, inputs: withPath(goodManagedNodeGroup(), computed, "enableIMDSv2")},
		{name: "launch template reference unknown", typ: typeEksManagedNodeGroup,
			inputs: withPath(withPath(goodManagedNodeGroup(), deleted, "enableIMDSv2"), computed, "launchTemplate")},
	})
}

func TestEncryptedVolumes_RejectsUnencryptedVolumes(t *testing.T) {
	unencrypted := []any{
		map[string]any{"deviceName": "/dev/xvda", "ebs": map[string]any{"volumeSize": 50}},
		map[string]any{"deviceName": "/dev/xvdb", "ebs": map[string]any{"encrypted": "false"}},
		map[string]any{"deviceName": "/dev/xvdc", "ebs": map[string]any{"encrypted": true}},
	}
	runResourceCases(t, encryptedVolumes, []resourceCase{
		{name: "missing and false encryption", typ: typeAwsLaunchTemplate,
			inputs: withPath(goodLaunchTemplate(), unencrypted, "blockDeviceMappings"),
			want:   2, contains: []string{"blockDeviceMappings[0] (/dev/xvda) ebs.encrypted is not set, want true",
				`blockDeviceMappings[1] (/dev/xvdb) ebs.encrypted is "false"`}},
		{name: "requireKmsKey without a key", typ: typeAwsLaunchTemplate, inputs: goodLaunchTemplate(),
			config: map[string]any{"requireKmsKey": true},
			want:   1, contains: []string{"blockDeviceMappings[0] (/dev/xvda) ebs.kmsKeyId is not set"}},
	})
}

func TestEncryptedVolumes_AcceptsEncryptedVolumes(t *testing.T) {
	runResourceCases(t, encryptedVolumes, []resourceCase{
		{name: "encrypted as string", typ: typeAwsLaunchTemplate, inputs: goodLaunchTemplate()},
		{name: "encrypted as bool with a key", typ: typeAwsLaunchTemplate,
			inputs: withPath(goodLaunchTemplate(), []any{map[string]any{"deviceName": "/dev/xvda",
				"ebs": map[string]any{"encrypted": true, "kmsKeyId": "arn:aws:kms:eu-west-1:111122223333:key/abcd"}}},
				"blockDeviceMappings"),
			config: map[string]any{"requireKmsKey": true}},
		{name: "no explicit mappings", typ: typeAwsLaunchTemplate, inputs: withPath(goodLaunchTemplate(), deleted, "blockDeviceMappings")},
		{name: "instance store mapping", typ: typeAwsLaunchTemplate,
			inputs: withPath(goodLaunchTemplate(), []any{map[string]any{"deviceName": "/dev/sdb", "virtualName": "ephemeral0"}},
				"blockDeviceMappings")},
	})
}

func TestEncryptedVolumes_SkipsUnknownValues(t *testing.T) {
	runResourceCases(t, encryptedVolumes, []resourceCase{
		{name: "mappings unknown", typ: typeAwsLaunchTemplate, inputs: withPath(goodLaunchTemplate(), computed, "blockDeviceMappings")},
		{name: "one mapping unknown", typ: typeAwsLaunchTemplate, inputs: withPath(goodLaunchTemplate(), []any{computed}, "blockDeviceMappings")},
		{name: "encrypted unknown", typ: typeAwsLaunchTemplate, inputs: withPath(goodLaunchTemplate(),
			[]any{map[string]any{"ebs": map[string]any{"encrypted": computed}}}, "blockDeviceMappings")},
		{name: "kms key unknown", typ: typeAwsLaunchTemplate, config: map[string]any{"requireKmsKey": true},
			inputs: withPath(goodLaunchTemplate(), []any{map[string]any{"ebs": map[string]any{"encrypted": "true", "kmsKeyId": computed}}},
				"blockDeviceMappings")},
	})
}
