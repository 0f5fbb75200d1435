// Package coredns puts EKS's CoreDNS addon under management once nodes can run it.
package coredns

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Token is the component's type token.
const Token = "eks-cilium:index:CoreDns"

// CoreDnsArgs are the inputs of CoreDns.
type CoreDnsArgs struct {
	// ClusterName is the EKS cluster.
	ClusterName pulumi.StringInput
	// AddonVersion pins the addon; empty takes EKS's default for the cluster version.
	AddonVersion string
	// DependsOn are what the addon waits for: the node groups. Pulumi does not pass a
	// component's DependsOn on to its children, so it is an argument.
	DependsOn []pulumi.Resource
}

// CoreDns is the coredns EKS addon.
type CoreDns struct {
	pulumi.ResourceState

	AddonVersion pulumi.StringOutput `pulumi:"addonVersion"`
}

// NewCoreDns adopts the self-managed CoreDNS Deployment EKS bootstraps. Create it only after
// the node groups (CoreDnsArgs.DependsOn): the addon waits for its pods, which need Ready
// nodes, and Ready nodes need Cilium.
func NewCoreDns(ctx *pulumi.Context, name string, args *CoreDnsArgs, opts ...pulumi.ResourceOption) (*CoreDns, error) {
	comp := &CoreDns{}
	if err := ctx.RegisterComponentResource(Token, name, comp, opts...); err != nil {
		return nil, err
	}
	addonArgs := &eks.AddonArgs{
		ClusterName: args.ClusterName,
		AddonName:   pulumi.String("coredns"),
		// The bootstrapped Deployment already exists; OVERWRITE adopts it instead of failing.
		ResolveConflictsOnCreate: pulumi.String("OVERWRITE"),
		// Keep user edits (e.g. a Corefile change) on addon upgrades.
		ResolveConflictsOnUpdate: pulumi.String("PRESERVE"),
	}
	if args.AddonVersion != "" {
		addonArgs.AddonVersion = pulumi.String(args.AddonVersion)
	}
	addon, err := eks.NewAddon(ctx, name, addonArgs, pulumi.Parent(comp), pulumi.DependsOn(args.DependsOn))
	if err != nil {
		return nil, err
	}
	comp.AddonVersion = addon.AddonVersion
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{"addonVersion": comp.AddonVersion}); err != nil {
		return nil, err
	}
	return comp, nil
}
