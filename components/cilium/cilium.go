// Package cilium installs Cilium as the cluster's only CNI: cluster-pool IPAM with pod
// CIDRs chosen per stack, overlay (tunnel) routing, optionally replacing kube-proxy.
package cilium

import (
	"github.com/eks-cilium/eks-cilium/charts"
	"github.com/eks-cilium/eks-cilium/stackconfig"
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
	// Source is where the chart comes from, for the main and the pre-flight release
	// (eks-cilium:chartSources.cilium, validated by the plan); nil: Cilium's repository.
	Source *stackconfig.ChartSource
	// Values are the release's Helm values (charts.CiliumValues, as the plan renders them).
	Values map[string]any
	// K8sServiceHost is the API endpoint host (no scheme). It replaces the values'
	// k8sServiceHost, present with kube-proxy replacement, once the cluster is known.
	K8sServiceHost pulumi.StringInput
	// Provider is the cluster's Kubernetes provider.
	Provider *kubernetes.Provider
	// Preflight deploys Cilium's pre-flight check of Version (charts.CiliumPreflightValues) as
	// its own release, waits until it is ready, and only then updates the main release: set
	// in an update that changes the Cilium minor. The next update leaves it out, which
	// removes it.
	Preflight bool
	// Inputs replace values only the deployment knows, each at its path in Values (a mesh
	// member's subnet IDs and CA; charts.MeshInputPaths).
	Inputs []ValueInput
	// Wait makes the release wait for Cilium's pods, for a cluster that already has nodes
	// (an adopted one); a new cluster has none when Cilium is installed.
	Wait bool
	// DependsOn are resources the release waits for (an adopted cluster's migration state).
	DependsOn []pulumi.Resource
}

// ValueInput is a Helm value that comes from another resource or a secret.
type ValueInput struct {
	Path  []string
	Value pulumi.Input
}

// PreflightTimeoutSeconds bounds the wait for the pre-flight check: the image pull on every
// node and the validation of every network policy (Helm's default is 5 minutes).
const PreflightTimeoutSeconds = 900

// Cilium is the Helm release.
type Cilium struct {
	pulumi.ResourceState

	// Release is the helm/v3 Release; node groups depend on it.
	Release *helmv3.Release `pulumi:"-"`
	// PreflightRelease is the pre-flight check's release, nil unless Preflight was set.
	PreflightRelease *helmv3.Release `pulumi:"-"`

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
	values := args.Values
	if len(args.Inputs) > 0 {
		values = deepCopy(values)
		for _, in := range args.Inputs {
			setPath(values, in.Path, in.Value)
		}
	}
	pvalues := pulumi.ToMap(values)
	_, kubeProxyFree := args.Values["k8sServiceHost"]
	if kubeProxyFree {
		pvalues["k8sServiceHost"] = args.K8sServiceHost
	}
	releaseOpts := []pulumi.ResourceOption{pulumi.Parent(comp), pulumi.Provider(args.Provider), pulumi.DependsOn(args.DependsOn)}
	chart := charts.Cilium.Ref(args.Version, args.Source)
	var repo helmv3.RepositoryOptsPtrInput
	if chart.Repo != "" {
		repo = &helmv3.RepositoryOptsArgs{Repo: pulumi.String(chart.Repo)}
	}
	if args.Preflight {
		pre := pulumi.ToMap(charts.CiliumPreflightValues(kubeProxyFree, ""))
		if kubeProxyFree {
			pre["k8sServiceHost"] = args.K8sServiceHost
		}
		preflight, err := helmv3.NewRelease(ctx, name+"-preflight", &helmv3.ReleaseArgs{
			Name:           pulumi.String(charts.CiliumPreflightRelease),
			Chart:          pulumi.String(chart.Chart),
			Version:        pulumi.String(chart.Version),
			RepositoryOpts: repo,
			Namespace:      pulumi.String(charts.Namespace),
			Values:         pre,
			// Waits (Helm's --wait) until the pre-flight DaemonSet is ready on every node that
			// runs Cilium and the policy-validating Deployment is 1/1: Cilium's condition for
			// going on with the upgrade (upgrade.rst, "Running pre-flight check").
			SkipAwait: pulumi.Bool(false),
			// The DaemonSet pulls the new agent image on every node first.
			Timeout: pulumi.Int(PreflightTimeoutSeconds),
		}, releaseOpts...)
		if err != nil {
			return nil, err
		}
		comp.PreflightRelease = preflight
		releaseOpts = append(releaseOpts, pulumi.DependsOn([]pulumi.Resource{preflight}))
	}
	rel, err := helmv3.NewRelease(ctx, name, &helmv3.ReleaseArgs{
		Name:           pulumi.String(charts.CiliumRelease),
		Chart:          pulumi.String(chart.Chart),
		Version:        pulumi.String(chart.Version),
		RepositoryOpts: repo,
		Namespace:      pulumi.String(charts.Namespace),
		Values:         pvalues,
		// No nodes exist yet: waiting for the agent pods would dead-lock with the node groups.
		SkipAwait: pulumi.Bool(!args.Wait),
		// Keep a few revisions for `helm rollback` during a Cilium upgrade.
		MaxHistory: pulumi.Int(5),
	}, releaseOpts...)
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

// deepCopy copies nested maps, so setting a path does not change the caller's values.
func deepCopy(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		if sub, ok := v.(map[string]any); ok {
			v = deepCopy(sub)
		}
		out[k] = v
	}
	return out
}

// setPath sets m[path[0]]...[path[n-1]] = v, creating maps on the way. pulumi.ToMap then
// resolves the Input where it sits (a secret Input makes its top-level key secret).
func setPath(m map[string]any, path []string, v any) {
	for _, k := range path[:len(path)-1] {
		sub, ok := m[k].(map[string]any)
		if !ok {
			sub = map[string]any{}
			m[k] = sub
		}
		m = sub
	}
	m[path[len(path)-1]] = v
}
