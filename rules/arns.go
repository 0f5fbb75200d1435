package rules

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/eks-cilium/eks-cilium/stackconfig"
)

// PartitionOf is the AWS partition of a region: the first field of every ARN in it
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html). Regions of the
// isolated partitions return "" and are not matched against.
func PartitionOf(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	case strings.Contains(region, "-iso"):
		return ""
	}
	return "aws"
}

var (
	// principalArnRe is an IAM role or user ARN: arn:<partition>:iam::<12-digit account>:role|user/<path/>name.
	principalArnRe = regexp.MustCompile(`^arn:(aws|aws-cn|aws-us-gov):iam::([0-9]{12}):(role|user)/(.+)$`)
	// iamNameRe: IAM role and user names are 1 to 64 of [A-Za-z0-9+=,.@_-]; path segments are
	// printable ASCII without '/' (IAM API CreateRole/CreateUser RoleName, UserName and Path).
	iamNameRe    = regexp.MustCompile(`^[A-Za-z0-9+=,.@_-]{1,64}$`)
	iamPathPart  = regexp.MustCompile(`^[\x21-\x2E\x30-\x7E]+$`)
	stsSessionRe = regexp.MustCompile(`^arn:(aws|aws-cn|aws-us-gov):sts::([0-9]{12}):assumed-role/([^/]+)/`)
	// kmsArnRe is a KMS key ARN (key/<uuid> or a multi-Region key/mrk-<32 hex>) or an alias ARN
	// (https://docs.aws.amazon.com/kms/latest/developerguide/concepts.html#key-id).
	kmsArnRe = regexp.MustCompile(`^arn:(aws|aws-cn|aws-us-gov):kms:([a-z0-9-]+):([0-9]{12}):(key/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})|alias/[A-Za-z0-9/_-]+)$`)
)

// CheckARNs checks the principals given cluster admin access and the KMS key for secrets:
// EKS access entries take IAM roles and users, once each (CreateAccessEntry principalArn:
// "You can't use the STS session principal type with access entries", "You can't specify the
// same ARN in more than one access entry"); the secrets key must be a KMS key in the
// cluster's Region (EKS API Provider keyArn). Both in the partition of aws:region.
func CheckARNs(cfg stackconfig.Config) (warnings, refusals stackconfig.Problems) {
	c := &collector{}
	partition := PartitionOf(cfg.Region)
	first := map[string]int{}
	for i, arn := range cfg.Cluster.AdminPrincipalArns {
		key := at(keyAdminPrincipalArns, i)
		if j, dup := first[arn]; dup {
			c.refuse(key, arn, "repeats "+at(keyAdminPrincipalArns, j)+": EKS allows one access entry per principal", "remove it")
			continue
		}
		first[arn] = i
		if m := stsSessionRe.FindStringSubmatch(arn); m != nil {
			c.refuse(key, arn, "is an STS session (assumed-role) ARN: EKS access entries take the IAM role itself, not a session of it",
				fmt.Sprintf("use arn:%s:iam::%s:role/%s (with the role's path, if it has one)", m[1], m[2], m[3]))
			continue
		}
		m := principalArnRe.FindStringSubmatch(arn)
		if m == nil || !validIAMPathAndName(m[4]) {
			c.refuse(key, arn, "must be an IAM principal ARN, a role or user: arn:aws:iam::<12-digit account>:role/<name> (or user/<name>; aws-cn and aws-us-gov partitions likewise)", "")
			continue
		}
		if partition != "" && m[1] != partition {
			c.refuse(key, arn, fmt.Sprintf("is in partition %s but aws:region %s is in partition %s", m[1], cfg.Region, partition),
				"use the principal's ARN in partition "+partition)
		}
	}
	if k := cfg.Cluster.KmsKeyArn; k != "" {
		m := kmsArnRe.FindStringSubmatch(k)
		switch {
		case m == nil:
			c.refuse(keyKmsKeyArn, k, "must be empty (a key is created) or a KMS key ARN (arn:aws:kms:<region>:<account>:key/<key id>) or alias ARN", "")
		case partition != "" && m[1] != partition:
			c.refuse(keyKmsKeyArn, k, fmt.Sprintf("is in partition %s but aws:region %s is in partition %s", m[1], cfg.Region, partition), "")
		case m[2] != cfg.Region:
			c.refuse(keyKmsKeyArn, k, "is a key in "+m[2]+": EKS needs the secrets key in the cluster's Region, "+cfg.Region, "use a key (or a multi-Region replica) in "+cfg.Region)
		}
	}
	return c.result()
}

func validIAMPathAndName(s string) bool {
	parts := strings.Split(s, "/")
	for _, p := range parts[:len(parts)-1] {
		if !iamPathPart.MatchString(p) {
			return false
		}
	}
	return iamNameRe.MatchString(parts[len(parts)-1])
}
