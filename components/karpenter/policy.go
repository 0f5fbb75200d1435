package karpenter

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"
)

// controllerPolicyTemplate is the Karpenter controller's IAM policy as Karpenter publishes it
// for v1.14: the statements of the NodeLifecycle, IAMIntegration, EKSIntegration,
// Interruption, ZonalShift and ResourceDiscovery policies of the getting-started CloudFormation
// template, aws/karpenter-provider-aws
// website/content/en/v1.14/getting-started/getting-started-with-karpenter/cloudformation.yaml
// (commit e0834c2bd02ed804561d5748ab92f5c2b8f86d60), merged into one document because Pod
// Identity roles here carry one inline policy. The placeholders keep CloudFormation's !Sub
// names so the file diffs line by line against the template of the next version.
//
//go:embed controller-policy.json
var controllerPolicyTemplate string

// MaxInlinePolicySize is IAM's quota on the inline policies of one role: 10,240 characters,
// whitespace not counted (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html,
// "Role policy size").
const MaxInlinePolicySize = 10240

// PolicyInput is what the controller policy is rendered for.
type PolicyInput struct {
	// Partition, Region and AccountID place the ARNs (aws, eu-west-1, 123456789012).
	Partition, Region, AccountID string
	// ClusterName is the EKS cluster; the policy only lets Karpenter touch what is tagged
	// with it.
	ClusterName string
	// NodeRoleArn is the role Karpenter's nodes get (iam:PassRole is limited to it).
	NodeRoleArn string
	// QueueArn is the interruption queue.
	QueueArn string
}

// ControllerPolicy renders the controller policy for one cluster, without whitespace.
func ControllerPolicy(in PolicyInput) (string, error) {
	for name, v := range map[string]string{
		"Partition": in.Partition, "Region": in.Region, "AccountID": in.AccountID,
		"ClusterName": in.ClusterName, "NodeRoleArn": in.NodeRoleArn, "QueueArn": in.QueueArn,
	} {
		if v == "" || strings.ContainsAny(v, `"\`) {
			return "", fmt.Errorf("karpenter controller policy: %s %q must be set and contain no quotes or backslashes", name, v)
		}
	}
	text := strings.NewReplacer(
		"${AWS::Partition}", in.Partition,
		"${AWS::Region}", in.Region,
		"${AWS::AccountId}", in.AccountID,
		"${ClusterName}", in.ClusterName,
		"${KarpenterNodeRole.Arn}", in.NodeRoleArn,
		"${KarpenterInterruptionQueue.Arn}", in.QueueArn,
	).Replace(controllerPolicyTemplate)
	if i := strings.Index(text, "${"); i >= 0 {
		return "", fmt.Errorf("karpenter controller policy: placeholder left at %q", text[i:min(len(text), i+40)])
	}
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(text)); err != nil {
		return "", fmt.Errorf("karpenter controller policy is not JSON: %w", err)
	}
	if b.Len() > MaxInlinePolicySize {
		return "", fmt.Errorf("karpenter controller policy is %d characters, above IAM's %d for a role's inline policies", b.Len(), MaxInlinePolicySize)
	}
	return b.String(), nil
}
