// Package migrate adds what a phase of an adopted cluster's migration (package migration)
// puts into the cluster beside Cilium: aws-node adopted and kept off the new nodes, the
// CiliumNodeConfig that makes Cilium the CNI of labelled nodes, the tunnel and health ports
// between the legacy and the new nodes' security groups, and the state ConfigMap. Whatever
// the cluster already had stays its owner's, except aws-node, which the migration must change
// and finally delete: it is adopted explicitly (the vpc-cni add-on imported with
// retain-on-delete, or the self-managed DaemonSet patched) and armed for deletion only in
// finalize, so that nothing of it is deleted before remove-aws-node.
package migrate

import (
	"fmt"
	"slices"
	"strings"

	"github.com/eks-cilium/eks-cilium/migration"
	"github.com/eks-cilium/eks-cilium/stackconfig"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/vpc"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	appsv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apps/v1"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Token is the component's type token.
const Token = "eks-cilium:index:Migration"

// MigrationArgs are the inputs of Migration: everything is plain, the cluster exists.
type MigrationArgs struct {
	// Config is the stack's configuration; its migration section says the phase.
	Config stackconfig.Config
	// ClusterName and ClusterSecurityGroupId are the adopted cluster's.
	ClusterName, ClusterSecurityGroupId string
	// Pool is the pod pool (clusterPoolIPv4PodCIDRList), which aws-node must not masquerade.
	Pool []string
	// TunnelPort is the Cilium tunnelPort value (0: the protocol's default port).
	TunnelPort int
	// Live are the cluster's facts (the add-on's current configuration, aws-node's env); nil
	// offline, where only the migration's own values are shown.
	Live *migration.Facts
	// Provider is the adopted cluster's Kubernetes provider.
	Provider *kubernetes.Provider
}

// Migration is the component.
type Migration struct {
	pulumi.ResourceState

	// State is the state ConfigMap: the Cilium release waits for it, so the policy pack sees
	// the phase before the release.
	State pulumi.Resource `pulumi:"-"`
	// Ready are what a new node must not boot before: aws-node kept off labelled nodes and,
	// in install, the CiliumNodeConfig (NodeConfig) that makes Cilium write the node's CNI
	// configuration (without it the node never turns Ready and the node group fails).
	Ready []pulumi.Resource `pulumi:"-"`

	provider *kubernetes.Provider
	phase    string

	Phase pulumi.StringOutput `pulumi:"phase"`
}

// NewMigration registers the phase's objects.
func NewMigration(ctx *pulumi.Context, name string, args *MigrationArgs, opts ...pulumi.ResourceOption) (*Migration, error) {
	cfg := args.Config
	if cfg.Migration == nil {
		return nil, fmt.Errorf("migrate: %s is not set", stackconfig.KeyMigration)
	}
	phase := cfg.Migration.Phase
	comp := &Migration{}
	if err := ctx.RegisterComponentResource(Token, name, comp, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(comp)
	k8s := []pulumi.ResourceOption{parent, pulumi.Provider(args.Provider)}

	state, err := corev1.NewConfigMap(ctx, name+"-state", &corev1.ConfigMapArgs{
		Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String(migration.StateConfigMap), Namespace: pulumi.String(migration.Namespace)},
		Data:     pulumi.ToStringMap(migration.StateData(cfg)),
	}, k8s...)
	if err != nil {
		return nil, err
	}

	// In remove-aws-node none of aws-node is registered any more: the engine deletes what
	// finalize armed (the add-on, or the imported DaemonSet) and forgets the retained patch.
	if migration.AwsNodeKept(phase) {
		fence, err := awsNode(ctx, name, args, phase, state, parent, k8s)
		if err != nil {
			return nil, err
		}
		comp.Ready = append(comp.Ready, fence...)
		if err := securityGroupRules(ctx, name, args, parent); err != nil {
			return nil, err
		}
	}

	comp.State, comp.provider, comp.phase = state, args.Provider, phase
	comp.Phase = pulumi.String(phase).ToStringOutput()
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{"phase": comp.Phase}); err != nil {
		return nil, err
	}
	return comp, nil
}

// NodeConfig registers, in install, the CiliumNodeConfig after the Cilium release, whose
// operator registers its CRD; in the phases after it is no longer registered, so finalize
// deletes it (k8s-install-migration.rst v1.19.6 L340-344).
func (m *Migration) NodeConfig(ctx *pulumi.Context, name string, release pulumi.Resource) error {
	if !migration.BeforeFinalize(m.phase) {
		return nil
	}
	obj := migration.NodeConfig()
	meta := obj["metadata"].(map[string]any)
	cnc, err := apiextensions.NewCustomResource(ctx, name+"-"+migration.NodeConfigName, &apiextensions.CustomResourceArgs{
		ApiVersion:  pulumi.String(obj["apiVersion"].(string)),
		Kind:        pulumi.String(obj["kind"].(string)),
		Metadata:    &metav1.ObjectMetaArgs{Name: pulumi.String(meta["name"].(string)), Namespace: pulumi.String(meta["namespace"].(string))},
		OtherFields: kubernetes.UntypedArgs{"spec": pulumi.ToMap(obj["spec"].(map[string]any))},
	}, pulumi.Parent(m), pulumi.Provider(m.provider), pulumi.DependsOn([]pulumi.Resource{release}))
	if err != nil {
		return err
	}
	m.Ready = append(m.Ready, cnc)
	return nil
}

// awsNode adopts aws-node in install and finalize. As an EKS add-on it is imported (cluster
// name and add-on name, the id pulumi-aws v6.83.4 imports aws:eks/addon:Addon by) and only its
// configurationValues, preserve and conflict resolution are the stack's: the version, the IAM
// role and the tags stay the owner's (ignoreChanges, so the import takes them as they are).
// In install it is retained on delete with preserve: true, so neither a destroy nor a program
// change can remove aws-node; finalize arms the deletion (preserve: false, no retain): Pulumi
// deletes a resource with the options its state recorded, so remove-aws-node, which no longer
// registers it, then deletes the add-on and aws-node with it (pulumi-eks's own VpcCniAddon
// would keep aws-node running: it deletes with preserve: true, nodejs/eks/addons/cni-addon.ts).
// Self-managed, the DaemonSet gets a server-side-apply patch; finalize retains the patch and
// imports the DaemonSet itself, whose deletion remove-aws-node then carries out.
func awsNode(ctx *pulumi.Context, name string, args *MigrationArgs, phase string, state pulumi.Resource, parent pulumi.ResourceOption, k8s []pulumi.ResourceOption) ([]pulumi.Resource, error) {
	install := phase == stackconfig.PhaseInstall
	after := pulumi.DependsOn([]pulumi.Resource{state})
	if args.Config.Migration.AwsNode == stackconfig.AwsNodeAddon {
		current := ""
		if args.Live != nil && args.Live.Addon != nil {
			current = args.Live.Addon.ConfigurationValues
		}
		values, err := migration.AddonConfiguration(args.Pool, current)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", stackconfig.KeyMigrationAwsNode, err)
		}
		addon, err := eks.NewAddon(ctx, name+"-"+migration.AddonName, &eks.AddonArgs{
			ClusterName:         pulumi.String(args.ClusterName),
			AddonName:           pulumi.String(migration.AddonName),
			ConfigurationValues: pulumi.String(values),
			// PRESERVE keeps fields someone changed on the DaemonSet directly (EKS
			// UpdateAddon resolveConflicts).
			ResolveConflictsOnUpdate: pulumi.String("PRESERVE"),
			Preserve:                 pulumi.Bool(install),
		}, parent, after,
			pulumi.Import(pulumi.ID(args.ClusterName+":"+migration.AddonName)),
			pulumi.IgnoreChanges([]string{"addonVersion", "serviceAccountRoleArn", "podIdentityAssociations", "tags", "resolveConflictsOnCreate"}),
			pulumi.RetainOnDelete(install))
		if err != nil {
			return nil, err
		}
		return []pulumi.Resource{addon}, nil
	}

	var env map[string]string
	if args.Live != nil && args.Live.AwsNode != nil {
		env = args.Live.AwsNode.Env
	}
	patch, err := daemonSetPatch(ctx, name+"-aws-node", migration.AwsNodePatch(args.Pool, env),
		append(k8s, after, pulumi.RetainOnDelete(!install))...)
	if err != nil {
		return nil, err
	}
	out := []pulumi.Resource{patch}
	if !install {
		ds, err := appsv1.NewDaemonSet(ctx, name+"-aws-node-daemonset", &appsv1.DaemonSetArgs{
			Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String(migration.AwsNodeDaemonSet), Namespace: pulumi.String(migration.Namespace)},
		}, append(k8s, pulumi.DependsOn([]pulumi.Resource{patch}),
			pulumi.Import(pulumi.ID(migration.Namespace+"/"+migration.AwsNodeDaemonSet)),
			// The DaemonSet stays as its owner and the patch made it; the stack only deletes it.
			pulumi.IgnoreChanges([]string{"metadata", "spec"}))...)
		if err != nil {
			return nil, err
		}
		out = append(out, ds)
	}
	return out, nil
}

// daemonSetPatch applies a rendered DaemonSet patch (migration.AwsNodePatch).
func daemonSetPatch(ctx *pulumi.Context, name string, obj map[string]any, opts ...pulumi.ResourceOption) (*appsv1.DaemonSetPatch, error) {
	meta := obj["metadata"].(map[string]any)
	annotations := pulumi.StringMap{}
	for k, v := range meta["annotations"].(map[string]any) {
		annotations[k] = pulumi.String(v.(string))
	}
	podSpec := obj["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)
	var terms corev1.NodeSelectorTermPatchArray
	required := podSpec["affinity"].(map[string]any)["nodeAffinity"].(map[string]any)["requiredDuringSchedulingIgnoredDuringExecution"].(map[string]any)
	for _, t := range required["nodeSelectorTerms"].([]any) {
		var exprs corev1.NodeSelectorRequirementPatchArray
		for _, e := range t.(map[string]any)["matchExpressions"].([]any) {
			em := e.(map[string]any)
			exprs = append(exprs, corev1.NodeSelectorRequirementPatchArgs{
				Key: pulumi.String(em["key"].(string)), Operator: pulumi.String(em["operator"].(string)),
				Values: pulumi.ToStringArray(em["values"].([]string)),
			})
		}
		terms = append(terms, corev1.NodeSelectorTermPatchArgs{MatchExpressions: exprs})
	}
	var containers corev1.ContainerPatchArray
	for _, c := range podSpec["containers"].([]any) {
		cm := c.(map[string]any)
		var env corev1.EnvVarPatchArray
		for _, e := range cm["env"].([]any) {
			em := e.(map[string]any)
			env = append(env, corev1.EnvVarPatchArgs{Name: pulumi.String(em["name"].(string)), Value: pulumi.String(em["value"].(string))})
		}
		containers = append(containers, corev1.ContainerPatchArgs{Name: pulumi.String(cm["name"].(string)), Env: env})
	}
	return appsv1.NewDaemonSetPatch(ctx, name, &appsv1.DaemonSetPatchArgs{
		Metadata: &metav1.ObjectMetaPatchArgs{
			Name: pulumi.String(meta["name"].(string)), Namespace: pulumi.String(meta["namespace"].(string)), Annotations: annotations,
		},
		Spec: &appsv1.DaemonSetSpecPatchArgs{Template: &corev1.PodTemplateSpecPatchArgs{Spec: &corev1.PodSpecPatchArgs{
			Affinity: &corev1.AffinityPatchArgs{NodeAffinity: &corev1.NodeAffinityPatchArgs{
				RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelectorPatchArgs{NodeSelectorTerms: terms},
			}},
			Containers: containers,
		}}},
	}, opts...)
}

// securityGroupRules opens Cilium's node-to-node ports (migration.NodePorts) both ways between
// the cluster security group, which the new nodes get, and each listed legacy security group.
// Egress is left as it is: the security groups EKS and eksctl create allow all egress.
func securityGroupRules(ctx *pulumi.Context, name string, args *MigrationArgs, parent pulumi.ResourceOption) error {
	legacy := slices.Clone(args.Config.Migration.LegacySecurityGroupIds)
	slices.Sort(legacy)
	ports := migration.NodePorts(args.Config, args.TunnelPort)
	for _, sg := range legacy {
		for _, p := range ports {
			for _, dir := range []struct{ to, from, label string }{
				{args.ClusterSecurityGroupId, sg, "to-new"},
				{sg, args.ClusterSecurityGroupId, "to-legacy"},
			} {
				rule := &vpc.SecurityGroupIngressRuleArgs{
					SecurityGroupId:           pulumi.String(dir.to),
					ReferencedSecurityGroupId: pulumi.String(dir.from),
					IpProtocol:                pulumi.String(p.Protocol),
					FromPort:                  pulumi.Int(p.From),
					ToPort:                    pulumi.Int(p.To),
					Description:               pulumi.String("eks-cilium migration: Cilium " + p.What + " between legacy and new nodes"),
				}
				id := fmt.Sprintf("%s-%s-%s-%s-%d", name, strings.TrimPrefix(sg, "sg-"), dir.label, p.Protocol, p.From)
				if _, err := vpc.NewSecurityGroupIngressRule(ctx, id, rule, parent); err != nil {
					return err
				}
			}
		}
	}
	return nil
}
