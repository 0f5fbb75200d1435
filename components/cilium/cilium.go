// Package cilium installs Cilium as the cluster's only CNI: cluster-pool IPAM with pod
// CIDRs chosen per stack, overlay (tunnel) routing, optionally replacing kube-proxy.
package cilium

import (
	"github.com/eks-cilium/eks-cilium/charts"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	helmv3 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Token is the component's type token.
const Token = "eks-cilium:index:Cilium"

// CiliumArgs are the inputs of Cilium.
type CiliumArgs struct {
	// Version is the exact chart version, e.g. "1.19.6".
	Version string
	// Values are the release's Helm values (charts.CiliumValues, as the plan renders them).
	Values map[string]any
	// K8sServiceHost is the API endpoint host (no scheme). It replaces the values'
	// k8sServiceHost, present with kube-proxy replacement, once the cluster is known.
	K8sServiceHost pulumi.StringInput
	// Provider is the cluster's Kubernetes provider.
	Provider *kubernetes.Provider
	// Wait makes the release wait for Cilium's pods, for a cluster that already has nodes
	// (an adopted one); a new cluster has none when Cilium is installed.
	Wait bool
	// DependsOn are resources the release waits for (an adopted cluster's migration state).
	DependsOn []pulumi.Resource
}

// Cilium is the Helm release.
type Cilium struct {
	pulumi.ResourceState

	// Release is the helm/v3 Release; node groups depend on it.
	Release *helmv3.Release `pulumi:"-"`

	ReleaseName pulumi.StringOutput `pulumi:"releaseName"`
	Version     pulumi.StringOutput `pulumi:"version"`
}

// NewCilium installs the chart. The release does not wait for pods unless Wait: when a new
// cluster gets it, it has no nodes yet, and nodes only become Ready once this release runs on
// them.
func NewCilium(ctx *pulumi.Context, name string, args *CiliumArgs, opts ...pulumi.ResourceOption) (*Cilium, error) {
	comp := &Cilium{}
	if err := ctx.RegisterComponentResource(Token, name, comp, opts...); err != nil {
		return nil, err
	}
	pvalues := pulumi.ToMap(args.Values)
	if _, ok := args.Values["k8sServiceHost"]; ok {
		pvalues["k8sServiceHost"] = args.K8sServiceHost
	}
	rel, err := helmv3.NewRelease(ctx, name, &helmv3.ReleaseArgs{
		Name:           pulumi.String(charts.CiliumRelease),
		Chart:          pulumi.String(charts.CiliumChart),
		Version:        pulumi.String(args.Version),
		RepositoryOpts: &helmv3.RepositoryOptsArgs{Repo: pulumi.String(charts.CiliumRepo)},
		Namespace:      pulumi.String(charts.Namespace),
		Values:         pvalues,
		// No nodes exist yet: waiting for the agent pods would dead-lock with the node groups.
		SkipAwait: pulumi.Bool(!args.Wait),
		// Keep a few revisions for `helm rollback` during a Cilium upgrade.
		MaxHistory: pulumi.Int(5),
	}, pulumi.Parent(comp), pulumi.Provider(args.Provider), pulumi.DependsOn(args.DependsOn))
	if err != nil {
		return nil, err
	}
	comp.Release = rel
	comp.ReleaseName = pulumi.String(charts.CiliumRelease).ToStringOutput()
	comp.Version = pulumi.String(args.Version).ToStringOutput()
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"releaseName": comp.ReleaseName,
		"version":     comp.Version,
	}); err != nil {
		return nil, err
	}
	return comp, nil
}
