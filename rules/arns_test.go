package rules

import (
	"strings"
	"testing"

	"github.com/eks-cilium/eks-cilium/stackconfig"
)

func admins(arns ...string) func(*stackconfig.Config) {
	return func(c *stackconfig.Config) { c.Cluster.AdminPrincipalArns = arns }
}

func kms(arn string) func(*stackconfig.Config) {
	return func(c *stackconfig.Config) { c.Cluster.KmsKeyArn = arn }
}

func TestCheckARNs_Refuses(t *testing.T) {
	const key = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	checkRefusals(t, []refusal{
		{"admin that is not an ARN", admins("admin"), keyAdminPrincipalArns + "[0]", "IAM principal ARN", "", 0},
		{"admin session ARN", admins("arn:aws:sts::111122223333:assumed-role/Admin/alice"), keyAdminPrincipalArns + "[0]",
			"STS session", "use arn:aws:iam::111122223333:role/Admin", 0},
		{"admin group", admins("arn:aws:iam::111122223333:group/admins"), keyAdminPrincipalArns + "[0]", "IAM principal ARN", "", 0},
		{"admin account root", admins("arn:aws:iam::111122223333:root"), keyAdminPrincipalArns + "[0]", "IAM principal ARN", "", 0},
		{"admin with a short account", admins("arn:aws:iam::1111:role/Admin"), keyAdminPrincipalArns + "[0]", "IAM principal ARN", "", 0},
		{"admin role name over 64 characters", admins("arn:aws:iam::111122223333:role/" + strings.Repeat("r", 65)), keyAdminPrincipalArns + "[0]", "IAM principal ARN", "", 0},
		{"admin in another partition", admins("arn:aws-cn:iam::111122223333:role/Admin"), keyAdminPrincipalArns + "[0]",
			"is in partition aws-cn but aws:region eu-west-1 is in partition aws", "", 0},
		{"admin twice", admins("arn:aws:iam::111122223333:role/Admin", "arn:aws:iam::111122223333:role/Admin"), keyAdminPrincipalArns + "[1]", "repeats " + keyAdminPrincipalArns + "[0]", "", 0},
		{"KMS key that is not a KMS ARN", kms("arn:aws:iam::111122223333:role/x"), keyKmsKeyArn, "KMS key ARN", "", 0},
		{"KMS key id instead of its ARN", kms("1234abcd-12ab-34cd-56ef-1234567890ab"), keyKmsKeyArn, "KMS key ARN", "", 0},
		{"KMS key in another Region", kms("arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"), keyKmsKeyArn, "EKS needs the secrets key in the cluster's Region, eu-west-1", "", 0},
		{"KMS key in another partition", func(c *stackconfig.Config) { c.Region = "cn-north-1"; c.Vpc.AvailabilityZoneNames = nil; kms(key)(c) }, keyKmsKeyArn, "partition aws but aws:region cn-north-1", "", 0},
	})
}

func TestCheckARNs_AcceptsRealShapes(t *testing.T) {
	for region, mutate := range map[string]func(*stackconfig.Config){
		"eu-west-1": admins("arn:aws:iam::111122223333:role/Admin", "arn:aws:iam::111122223333:user/alice",
			"arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0123456789abcdef"),
		"cn-north-1":    admins("arn:aws-cn:iam::111122223333:role/Admin"),
		"us-gov-west-1": admins("arn:aws-us-gov:iam::111122223333:role/Admin"),
	} {
		cfg := validConfig()
		cfg.Region = region
		mutate(&cfg)
		if _, ps := CheckARNs(cfg); len(ps) != 0 {
			t.Errorf("%s: refused %v", region, ps)
		}
	}
	for _, arn := range []string{
		"arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
		"arn:aws:kms:eu-west-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab",
		"arn:aws:kms:eu-west-1:111122223333:alias/eks-secrets",
	} {
		cfg := validConfig()
		kms(arn)(&cfg)
		if _, ps := CheckARNs(cfg); len(ps) != 0 {
			t.Errorf("%s refused: %v", arn, ps)
		}
	}
}

func TestPartitionOf(t *testing.T) {
	for region, want := range map[string]string{"eu-west-1": "aws", "cn-northwest-1": "aws-cn", "us-gov-east-1": "aws-us-gov", "us-east-1": "aws", "us-iso-east-1": ""} {
		if got := PartitionOf(region); got != want {
			t.Errorf("PartitionOf(%s) = %q, want %q", region, got, want)
		}
	}
}
