package pack

import "testing"

func TestControlPlaneLogs_AcceptsAllLogTypes(t *testing.T) {
	runResourceCases(t, controlPlaneLogs, []resourceCase{
		{name: "pulumi-eks cluster", typ: typeEksCluster, inputs: goodEksCluster()},
		{name: "aws cluster", typ: typeAwsEksCluster, inputs: goodAwsCluster()},
		{name: "configured subset", typ: typeEksCluster,
			inputs: withPath(goodEksCluster(), []any{"audit", "api"}, "enabledClusterLogTypes"),
			config: map[string]any{"requiredLogTypes": []any{"api", "audit"}}},
	})
}

func TestControlPlaneLogs_RejectsMissingLogTypes(t *testing.T) {
	runResourceCases(t, controlPlaneLogs, []resourceCase{
		{name: "logging off", typ: typeEksCluster, inputs: withPath(goodEksCluster(), deleted, "enabledClusterLogTypes"),
			want: 1, contains: []string{`enabledClusterLogTypes is not set, missing ["api", "audit", "authenticator", "controllerManager", "scheduler"]`}},
		{name: "audit and authenticator missing", typ: typeAwsEksCluster,
			inputs: withPath(goodAwsCluster(), []any{"api", "controllerManager", "scheduler"}, "enabledClusterLogTypes"),
			want:   1, contains: []string{`missing ["audit", "authenticator"]`, "CloudWatch"}},
		{name: "configured type missing", typ: typeEksCluster,
			inputs: withPath(goodEksCluster(), []any{"api"}, "enabledClusterLogTypes"),
			config: map[string]any{"requiredLogTypes": []any{"api", "audit"}},
			want:   1, contains: []string{`missing ["audit"]`}},
	})
}

func TestControlPlaneLogs_SkipsUnknownValues(t *testing.T) {
	runResourceCases(t, controlPlaneLogs, []resourceCase{
		{name: "list unknown", typ: typeAwsEksCluster, inputs: withPath(goodAwsCluster(), computed, "enabledClusterLogTypes")},
		{name: "entry unknown", typ: typeEksCluster, inputs: withPath(goodEksCluster(), []any{"api", computed}, "enabledClusterLogTypes")},
		{name: "component registered by its provider", typ: typeEksCluster, inputs: map[string]any{}},
	})
}

func TestSecretsEncryption_AcceptsKMSKey(t *testing.T) {
	runResourceCases(t, secretsEncryption, []resourceCase{
		{name: "pulumi-eks cluster", typ: typeEksCluster, inputs: goodEksCluster()},
		{name: "aws cluster", typ: typeAwsEksCluster, inputs: goodAwsCluster()},
	})
}

func TestSecretsEncryption_RejectsClusterWithoutKey(t *testing.T) {
	runResourceCases(t, secretsEncryption, []resourceCase{
		{name: "pulumi-eks cluster without key", typ: typeEksCluster, inputs: withPath(goodEksCluster(), deleted, "encryptionConfigKeyArn"),
			want: 1, contains: []string{"encryptionConfigKeyArn is not set", "CloudTrail"}},
		{name: "pulumi-eks cluster with empty key", typ: typeEksCluster, inputs: withPath(goodEksCluster(), "", "encryptionConfigKeyArn"),
			want: 1, contains: []string{`encryptionConfigKeyArn is ""`}},
		{name: "secret values are never printed", typ: typeEksCluster, inputs: withPath(goodEksCluster(), secret{""}, "encryptionConfigKeyArn"),
			want: 1, contains: []string{"encryptionConfigKeyArn is [secret]"}},
		{name: "aws cluster without config", typ: typeAwsEksCluster, inputs: withPath(goodAwsCluster(), deleted, "encryptionConfig"),
			want: 1, contains: []string{`encryptionConfig is not set, want resources to contain "secrets"`}},
		{name: "aws cluster encrypting nothing", typ: typeAwsEksCluster, inputs: withPath(goodAwsCluster(), []any{}, "encryptionConfig", "resources"),
			want: 1, contains: []string{"resources: []"}},
	})
}

func TestSecretsEncryption_SkipsUnknownValues(t *testing.T) {
	runResourceCases(t, secretsEncryption, []resourceCase{
		{name: "key arn unknown", typ: typeEksCluster, inputs: withPath(goodEksCluster(), computed, "encryptionConfigKeyArn")},
		{name: "key arn secret and known", typ: typeEksCluster, inputs: withPath(goodEksCluster(), secret{"arn:aws:kms:eu-west-1:1:key/x"}, "encryptionConfigKeyArn")},
		{name: "config unknown", typ: typeAwsEksCluster, inputs: withPath(goodAwsCluster(), computed, "encryptionConfig")},
		{name: "resources unknown", typ: typeAwsEksCluster, inputs: withPath(goodAwsCluster(), computed, "encryptionConfig", "resources")},
	})
}

func TestRestrictedPublicEndpoint_AcceptsRestrictedOrPrivateEndpoint(t *testing.T) {
	runResourceCases(t, restrictedPublicEndpoint, []resourceCase{
		{name: "pulumi-eks cluster with CIDRs", typ: typeEksCluster, inputs: goodEksCluster()},
		{name: "aws cluster with CIDRs", typ: typeAwsEksCluster, inputs: goodAwsCluster()},
		{name: "private endpoint only", typ: typeEksCluster,
			inputs: withPath(withPath(goodEksCluster(), false, "endpointPublicAccess"), deleted, "publicAccessCidrs"),
			config: map[string]any{"allowPublicEndpoint": false}},
		{name: "aws cluster private endpoint only", typ: typeAwsEksCluster,
			inputs: withPath(withPath(goodAwsCluster(), false, "vpcConfig", "endpointPublicAccess"), deleted, "vpcConfig", "publicAccessCidrs")},
	})
}

func TestRestrictedPublicEndpoint_RejectsOpenEndpoint(t *testing.T) {
	runResourceCases(t, restrictedPublicEndpoint, []resourceCase{
		{name: "default public endpoint without CIDRs", typ: typeEksCluster,
			inputs: withPath(withPath(goodEksCluster(), deleted, "endpointPublicAccess"), deleted, "publicAccessCidrs"),
			want:   1, contains: []string{"endpointPublicAccess is not set (default true) and publicAccessCidrs is not set, so EKS allows 0.0.0.0/0"}},
		{name: "world-open CIDR", typ: typeEksCluster,
			inputs: withPath(goodEksCluster(), []any{"203.0.113.0/24", "0.0.0.0/0"}, "publicAccessCidrs"),
			want:   1, contains: []string{`publicAccessCidrs contains "0.0.0.0/0"`}},
		{name: "aws cluster without CIDRs", typ: typeAwsEksCluster,
			inputs: withPath(goodAwsCluster(), deleted, "vpcConfig", "publicAccessCidrs"),
			want:   1, contains: []string{"vpcConfig.endpointPublicAccess is true and vpcConfig.publicAccessCidrs is not set"}},
		{name: "aws cluster with an empty list", typ: typeAwsEksCluster,
			inputs: withPath(goodAwsCluster(), []any{}, "vpcConfig", "publicAccessCidrs"),
			want:   1, contains: []string{"vpcConfig.publicAccessCidrs is [], so EKS allows 0.0.0.0/0"}},
		{name: "public endpoint forbidden by config", typ: typeAwsEksCluster, inputs: goodAwsCluster(),
			config: map[string]any{"allowPublicEndpoint": false},
			want:   1, contains: []string{"allowPublicEndpoint is false"}},
	})
}

func TestRestrictedPublicEndpoint_SkipsUnknownValues(t *testing.T) {
	runResourceCases(t, restrictedPublicEndpoint, []resourceCase{
		{name: "access flag unknown", typ: typeEksCluster, inputs: withPath(withPath(goodEksCluster(), computed, "endpointPublicAccess"), deleted, "publicAccessCidrs")},
		{name: "CIDRs unknown", typ: typeEksCluster, inputs: withPath(goodEksCluster(), computed, "publicAccessCidrs")},
		{name: "vpcConfig unknown", typ: typeAwsEksCluster, inputs: withPath(goodAwsCluster(), computed, "vpcConfig")},
		{name: "CIDR entry unknown", typ: typeAwsEksCluster, inputs: withPath(goodAwsCluster(), []any{computed}, "vpcConfig", "publicAccessCidrs")},
	})
}
