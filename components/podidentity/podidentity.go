// Package podidentity gives pods AWS access through EKS Pod Identity instead of the node's
// role: the eks-pod-identity-agent addon once per cluster, then per service account an IAM
// role trusted by pods.eks.amazonaws.com and a Pod Identity association. Nodes keep a low
// IMDS hop limit, so a pod without an association has no AWS credentials at all.
//
// On the Cilium overlay the agent's endpoint, 169.254.170.23:80 on the node's
// pod-id-link0 device, is a host address: a pod on the pod network reaches it through the
// host (Cilium identity "host"), a host-network pod directly. Network policies that
// restrict egress must allow the host entity on TCP 80 for such pods (cilium/cilium#34387).
package podidentity

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Token is the component's type token.
const Token = "eks-cilium:index:PodIdentityRole"

// AgentAddonName is the EKS addon that runs the Pod Identity agent on every node
// (https://docs.aws.amazon.com/eks/latest/userguide/pod-id-agent-setup.html).
const AgentAddonName = "eks-pod-identity-agent"

// TrustPolicy lets EKS Pod Identity assume a role for a pod: the service principal and the two
// actions the EKS docs require ("Create an IAM role and associate it with a Kubernetes service
// account", https://docs.aws.amazon.com/eks/latest/userguide/pod-id-role.html).
const TrustPolicy = `{"Version":"2012-10-17","Statement":[{"Sid":"AllowEksAuthToAssumeRoleForPodIdentity","Effect":"Allow","Principal":{"Service":"pods.eks.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"]}]}`

// MaxRoleResourceName is the longest resource name NewServiceAccountRole accepts: the IAM
// role takes it as its autoname prefix, Pulumi appends "-" and 7 random characters, and IAM
// role names are at most 64 characters
// (https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html, RoleName).
const MaxRoleResourceName = 64 - 8

// AgentArgs are the inputs of NewAgent.
type AgentArgs struct {
	// ClusterName is the EKS cluster.
	ClusterName pulumi.StringInput
	// AddonVersion pins the addon; empty takes EKS's default for the cluster version.
	AddonVersion string
	// DependsOn are what the addon waits for: the node groups (its DaemonSet pods need
	// Ready nodes, and nodes are Ready only once Cilium runs).
	DependsOn []pulumi.Resource
}

// NewAgent installs the eks-pod-identity-agent addon. Create it once per cluster, whatever
// the number of service accounts using it. The returned addon is what every association's
// pods need at run time; pass it as ServiceAccountRoleArgs.Agent.
func NewAgent(ctx *pulumi.Context, name string, args *AgentArgs, opts ...pulumi.ResourceOption) (*eks.Addon, error) {
	if args == nil || args.ClusterName == nil {
		return nil, fmt.Errorf("podidentity agent %s: ClusterName is required", name)
	}
	addonArgs := &eks.AddonArgs{
		ClusterName: args.ClusterName,
		AddonName:   pulumi.String(AgentAddonName),
		// Nothing else installs the agent; OVERWRITE only matters for a cluster where someone
		// applied its manifests by hand.
		ResolveConflictsOnCreate: pulumi.String("OVERWRITE"),
		ResolveConflictsOnUpdate: pulumi.String("PRESERVE"),
	}
	if args.AddonVersion != "" {
		addonArgs.AddonVersion = pulumi.String(args.AddonVersion)
	}
	all := append(append([]pulumi.ResourceOption{}, opts...), pulumi.DependsOn(args.DependsOn))
	return eks.NewAddon(ctx, name, addonArgs, all...)
}

// ServiceAccountRoleArgs are the inputs of NewServiceAccountRole.
type ServiceAccountRoleArgs struct {
	// ClusterName is the EKS cluster.
	ClusterName pulumi.StringInput
	// Namespace and ServiceAccount name the Kubernetes service account the role is for.
	Namespace, ServiceAccount string
	// PolicyDocument is the role's inline IAM policy (JSON).
	PolicyDocument pulumi.StringInput
	// Agent is the eks-pod-identity-agent addon; the association waits for it.
	Agent pulumi.Resource
}

// ServiceAccountRole is an IAM role a Kubernetes service account assumes through Pod Identity.
type ServiceAccountRole struct {
	pulumi.ResourceState

	// Association is the Pod Identity association; workloads using the role depend on it
	// (EKS injects the credentials into pods created after it exists).
	Association *eks.PodIdentityAssociation `pulumi:"-"`

	RoleArn  pulumi.StringOutput `pulumi:"roleArn"`
	RoleName pulumi.StringOutput `pulumi:"roleName"`
}

// NewServiceAccountRole creates the role, its inline policy and the association. name is
// the role's autoname prefix: keep it short (MaxRoleResourceName).
func NewServiceAccountRole(ctx *pulumi.Context, name string, args *ServiceAccountRoleArgs, opts ...pulumi.ResourceOption) (*ServiceAccountRole, error) {
	if args == nil || args.Namespace == "" || args.ServiceAccount == "" || args.PolicyDocument == nil || args.ClusterName == nil {
		return nil, fmt.Errorf("podidentity %s: ClusterName, Namespace, ServiceAccount and PolicyDocument are required", name)
	}
	if len(name) > MaxRoleResourceName {
		return nil, fmt.Errorf("podidentity %s: name is %d characters; the IAM role it names would exceed 64 with Pulumi's 8-character suffix (use at most %d)",
			name, len(name), MaxRoleResourceName)
	}
	comp := &ServiceAccountRole{}
	if err := ctx.RegisterComponentResource(Token, name, comp, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(comp)
	role, err := iam.NewRole(ctx, name, &iam.RoleArgs{
		AssumeRolePolicy: pulumi.String(TrustPolicy),
		Description:      pulumi.Sprintf("EKS Pod Identity role of %s/%s", args.Namespace, args.ServiceAccount),
	}, parent)
	if err != nil {
		return nil, err
	}
	policy, err := iam.NewRolePolicy(ctx, name, &iam.RolePolicyArgs{
		Role:   role.Name,
		Policy: args.PolicyDocument,
	}, parent)
	if err != nil {
		return nil, err
	}
	// The association waits for the policy: a pod that gets credentials before the policy is
	// attached fails its first AWS calls with AccessDenied.
	deps := []pulumi.Resource{policy}
	if args.Agent != nil {
		deps = append(deps, args.Agent)
	}
	assoc, err := eks.NewPodIdentityAssociation(ctx, name, &eks.PodIdentityAssociationArgs{
		ClusterName:    args.ClusterName,
		Namespace:      pulumi.String(args.Namespace),
		ServiceAccount: pulumi.String(args.ServiceAccount),
		RoleArn:        role.Arn,
	}, parent, pulumi.DependsOn(deps))
	if err != nil {
		return nil, err
	}
	comp.Association = assoc
	comp.RoleArn = role.Arn
	comp.RoleName = role.Name
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{"roleArn": comp.RoleArn, "roleName": comp.RoleName}); err != nil {
		return nil, err
	}
	return comp, nil
}
