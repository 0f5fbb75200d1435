// Package program is the eks-cilium Pulumi program: read the stack's configuration, build
// the Platform, export what operators and the day-2 guard need. main.go runs Run; the
// offline render and the tests run the very same function under mocks.
package program

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/eks-cilium/eks-cilium/components/cluster"
	"github.com/eks-cilium/eks-cilium/components/platform"
	"github.com/eks-cilium/eks-cilium/guard"
	"github.com/eks-cilium/eks-cilium/live"
	"github.com/eks-cilium/eks-cilium/localcharts"
	"github.com/eks-cilium/eks-cilium/migration"
	"github.com/eks-cilium/eks-cilium/plan"
	"github.com/eks-cilium/eks-cilium/stackconfig"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
)

// Run is the program: main.go passes it to pulumi.Run. It validates the stack first (an
// invalid stack reads and registers nothing), then reads what the stack deployed last time
// for the day-2 guard, then builds the platform.
func Run(ctx *pulumi.Context) error {
	cfg, err := LoadConfig(ctx)
	if err != nil {
		return err
	}
	// Plan once without the previous deployment: an invalid stack fails here, before the
	// StackReference below is registered. The local chart archives chartSources names are
	// read for it (from the working directory, the project directory under pulumi up).
	if _, err := plan.New(plan.Inputs{Config: cfg, PreviousUnread: true, LocalCharts: localcharts.Read(cfg, "")}); err != nil {
		return err
	}
	prev, self, err := previous(ctx)
	if err != nil {
		return err
	}
	var mesh *plan.MeshInputs
	if cfg.ClusterMesh != nil {
		if mesh, err = ReadMesh(ctx, cfg, self); err != nil {
			return err
		}
	}
	// The day-2 guard (the migration's phase order included) before reading anything of an
	// adopted cluster: a skipped phase is refused as such, reachable cluster or not.
	if cfg.Cluster.Existing {
		if _, err := plan.New(plan.Inputs{Config: cfg, Previous: prev}); err != nil {
			return err
		}
	}
	adopted, err := Adopted(ctx, cfg)
	if err != nil {
		return err
	}
	_, err = deploy(ctx, cfg, prev, mesh, adopted)
	return err
}

// Adoption is an adopted cluster (cluster.existing) as the program found it: the EKS
// lookup, and the facts the migration is checked against.
type Adoption struct {
	Found *cluster.Found
	// Live is nil under mocks: the offline render cannot read a cluster and lists the checks
	// instead (plan.Plan.DeployTimeChecks).
	Live *migration.Facts
}

// Adopted looks up the cluster of a stack with cluster.existing and, outside mocks, reads its
// facts (package live), before anything is registered; nil for a stack that creates its
// cluster.
func Adopted(ctx *pulumi.Context, cfg stackconfig.Config) (*Adoption, error) {
	if !cfg.Cluster.Existing {
		return nil, nil
	}
	found, err := cluster.Lookup(ctx, cfg.ClusterName())
	if err != nil {
		return nil, err
	}
	a := &Adoption{Found: found}
	if !ctx.RunningWithMocks() {
		if a.Live, err = live.Read(ctx, cfg, found); err != nil {
			return nil, fmt.Errorf("%s: reading the adopted cluster for the migration's checks: %w", stackconfig.KeyClusterExisting, err)
		}
	}
	return a, nil
}

// PreviousOutputs are the stack outputs the day-2 guard reads back. kubeProxyReplacement,
// the version outputs, clusterExisting and migrationPhase are missing from stacks last
// deployed before they were exported; the guard then skips those checks and says so (such
// stacks all created their clusters).
var PreviousOutputs = []string{"clusterName", "vpcCidr", "serviceCidr", "podCidrs", "podCidrMaskSize", "ipamMode", "routingMode", "kubeProxyReplacement",
	"kubernetesVersion", "ciliumVersion", "ciliumInitialVersion", "ciliumPreflight", "nodeGroups", "addonVersions", "chartVersions",
	"clusterExisting", "migrationPhase"}

// Previous reads this stack's own outputs from its last deployment through a StackReference
// (organization/<project>/<stack> on DIY backends). A first deployment has none: nil.
func Previous(ctx *pulumi.Context) (*guard.Deployed, error) {
	prev, _, err := previous(ctx)
	return prev, err
}

// previous is Previous with the StackReference to the stack itself, which a mesh member also
// reads its CA from.
func previous(ctx *pulumi.Context) (*guard.Deployed, *pulumi.StackReference, error) {
	name := fmt.Sprintf("%s/%s/%s", ctx.Organization(), ctx.Project(), ctx.Stack())
	ref, err := pulumi.NewStackReference(ctx, "previous-deployment", &pulumi.StackReferenceArgs{Name: pulumi.String(name)})
	if err != nil {
		return nil, nil, fmt.Errorf("reading the previous deployment of %s: %w", name, err)
	}
	outputs := map[string]any{}
	for _, key := range PreviousOutputs {
		d, err := ref.GetOutputDetails(key)
		if err != nil {
			return nil, nil, fmt.Errorf("reading output %s of %s: %w", key, name, err)
		}
		if d.Value != nil {
			outputs[key] = d.Value
		}
	}
	prev, err := guard.FromOutputs(outputs)
	return prev, ref, err
}

// LoadConfig reads every key of the stack with config.Try (no Require*: a bad stack is an
// error, not a panic) and decodes it strictly (stackconfig.Decode).
//
// config.Try answers only for the keys asked for, so a misspelt key (eks_cilium:vpc,
// aws:regoin) would go unnoticed. Under `pulumi up` the Go language host hands the program
// every key of the stack in PULUMI_CONFIG, the same JSON pulumi.Run reads its config from
// (sdk/go/pulumi/run.go); keys this program does not know are refused from there. Under
// mocks there is no such variable: the render reads the stack file with the same checks.
func LoadConfig(ctx *pulumi.Context) (stackconfig.Config, error) {
	values := map[string]string{}
	for _, key := range stackconfig.Keys() {
		v, err := config.Try(ctx, key)
		switch {
		case err == nil:
			values[key] = v
		case !errors.Is(err, config.ErrMissingVar):
			return stackconfig.Config{}, err
		}
	}
	var unknown stackconfig.Problems
	if !ctx.RunningWithMocks() {
		unknown = UnknownKeys(os.Getenv(pulumi.EnvConfig))
	}
	cfg, err := stackconfig.Decode(ctx.Stack(), values)
	if len(unknown) > 0 {
		var probs stackconfig.Problems
		errors.As(err, &probs)
		return stackconfig.Config{}, append(unknown, probs...)
	}
	return cfg, err
}

// UnknownKeys refuses the keys of a stack's config this program does not know, given the
// PULUMI_CONFIG the language host sets (a JSON object of every key); nothing when it is
// unset or not that object.
func UnknownKeys(pulumiConfig string) stackconfig.Problems {
	var all map[string]string
	if err := json.Unmarshal([]byte(pulumiConfig), &all); err != nil {
		return nil
	}
	keys := make([]string, 0, len(all))
	for k := range all {
		keys = append(keys, k)
	}
	return stackconfig.CheckKeys(keys)
}

// Deploy builds the platform from a decoded configuration and exports the stack outputs.
// prev is the previous deployment (nil on the first one) for the day-2 guard.
func Deploy(ctx *pulumi.Context, cfg stackconfig.Config, prev *guard.Deployed) (*platform.Platform, error) {
	return deploy(ctx, cfg, prev, nil, nil)
}

// DeployWith is Deploy for a ClusterMesh member too: mesh is what it read about its peers
// (ReadMesh).
func DeployWith(ctx *pulumi.Context, cfg stackconfig.Config, prev *guard.Deployed, mesh *plan.MeshInputs) (*platform.Platform, error) {
	return deploy(ctx, cfg, prev, mesh, nil)
}

// DeployAdopted is Deploy with what Adopted found of an adopted cluster (nil: looked up by
// the platform, no live checks).
func DeployAdopted(ctx *pulumi.Context, cfg stackconfig.Config, prev *guard.Deployed, adopted *Adoption) (*platform.Platform, error) {
	return deploy(ctx, cfg, prev, nil, adopted)
}

func deploy(ctx *pulumi.Context, cfg stackconfig.Config, prev *guard.Deployed, mesh *plan.MeshInputs, adopted *Adoption) (*platform.Platform, error) {
	args := &platform.PlatformArgs{Config: cfg, Previous: prev, Mesh: mesh}
	if adopted != nil {
		args.Adopted, args.Live = adopted.Found, adopted.Live
	}
	p, err := platform.NewPlatform(ctx, cfg.ClusterName(), args)
	if err != nil {
		return nil, err
	}
	for k, v := range Outputs(cfg, p) {
		ctx.Export(k, v)
	}
	return p, nil
}

// Outputs are the stack outputs. The plain ones (pool, mask, modes, CIDRs, name) are also
// what the day-2 guard reads back from the previous deployment.
func Outputs(cfg stackconfig.Config, p *platform.Platform) map[string]pulumi.Input {
	ip := p.Plan.IP
	cidrs := make([]string, len(ip.PodCIDRs))
	for i, c := range ip.PodCIDRs {
		cidrs[i] = c.String()
	}
	groups := pulumi.Array{}
	for i, ng := range ip.NodeGroups {
		group := pulumi.Map{
			"name":          pulumi.String(ng.Name),
			"instanceTypes": pulumi.ToStringArray(ng.InstanceTypes),
			"maxPods":       pulumi.Int(ng.MaxPods),
			"eniMaxPods":    pulumi.Int(ng.ENIMaxPods),
			"minSize":       pulumi.Int(ng.MinSize),
			"maxSize":       pulumi.Int(ng.MaxSize),
			// Read back by the day-2 guard and the upgrade plan: what the nodes run.
			"amiVersion": pulumi.String(cfg.NodeGroups[i].AmiVersion),
			"labels":     pulumi.ToStringMap(nonNil(cfg.NodeGroups[i].Labels)),
		}
		if i < len(p.NodeGroups) {
			group["kubernetesVersion"] = p.NodeGroups[i].KubernetesVersion
		}
		groups = append(groups, group)
	}
	// The EKS addons' and the charts' versions: an upgrade never moves an addon back, and the
	// plan lists what changes. Plain values, not the addons' outputs: on a first `up` the
	// addons come after the node groups, and an output waiting for a resource that failed
	// would keep every output (the pool the guard protects among them) from being recorded.
	addonVersions := pulumi.Map{}
	for name, v := range p.Plan.Versions.Addons {
		if v != "" {
			addonVersions[name] = pulumi.String(v)
		}
	}
	chartVersions := pulumi.Map{}
	if a := cfg.Addons; a != nil {
		if a.MetricsServer != nil {
			chartVersions[plan.ChartMetricsServer] = pulumi.String(a.MetricsServer.Version)
		}
		if a.AwsLoadBalancerController != nil {
			chartVersions[plan.ChartLoadBalancerController] = pulumi.String(a.AwsLoadBalancerController.Version)
		}
	}
	if cfg.Karpenter != nil {
		chartVersions[plan.ChartKarpenter] = pulumi.String(cfg.Karpenter.Version)
	}
	// The add-ons' host ports, for firewall rules and for anyone adding a host-network chart.
	planned := pulumi.Array{}
	for _, e := range p.Plan.HostPorts.Planned() {
		planned = append(planned, pulumi.Map{
			"port":    pulumi.Int(e.Port),
			"holder":  pulumi.String(e.Holder),
			"purpose": pulumi.String(e.Purpose),
		})
	}
	outputs := map[string]pulumi.Input{
		"hostPorts":       planned,
		"kubeconfig":      p.Kubeconfig,
		"clusterName":     p.ClusterName,
		"clusterEndpoint": p.ClusterEndpoint,
		"vpcId":           p.VpcId,
		"vpcCidr":         pulumi.String(ip.VpcCIDR.String()),
		"serviceCidr":     pulumi.String(ip.ServiceCIDR.String()),
		"podCidrs":        pulumi.ToStringArray(cidrs),
		"podCidrMaskSize": pulumi.Int(ip.MaskSize),
		"ipamMode":        pulumi.String("cluster-pool"),
		"routingMode":     pulumi.String("tunnel"),
		// Read back by the day-2 guard: the switch cannot be made on a running cluster.
		"kubeProxyReplacement": pulumi.Bool(cfg.Cluster.KubeProxyReplacement),
		// Read back by the guard: the control plane's version as EKS reports it (a failed
		// update leaves the deployed one), the Cilium release's chart version, and the first
		// Cilium ever deployed (upgradeCompatibility, for the stack's life).
		"kubernetesVersion":    p.Cluster.Version,
		"ciliumVersion":        p.Cilium.Release.Version,
		"ciliumInitialVersion": pulumi.String(p.Plan.Versions.CiliumInitial),
		"nodeGroups":           groups,
		"addonVersions":        addonVersions,
		"chartVersions":        chartVersions,
		// Read back by the guard: an adopted cluster's migration advances one phase per update.
		"clusterExisting": pulumi.Bool(cfg.Cluster.Existing),
		"ipPlan": pulumi.Map{
			"nodeCidrsTotal":      pulumi.Float64(float64(ip.NodeCIDRsTotal)),
			"nodeCidrsNeeded":     pulumi.Int(ip.NodeCIDRsNeeded),
			"nodeCidrUsage":       pulumi.Float64(ip.NodeCIDRUsage),
			"usablePodIPsPerNode": pulumi.Int(ip.UsablePodIPsPerNode),
		},
	}
	// The pre-flight release of a Cilium minor change; the next update, with unchanged
	// versions, removes it.
	if p.Cilium.PreflightRelease != nil {
		outputs["ciliumPreflight"] = p.Cilium.PreflightRelease.Version
	}
	for k, v := range MeshOutputs(p) {
		outputs[k] = v
	}
	// Read back by the guard: an adopted cluster's migration phase ("" for a created cluster).
	outputs["migrationPhase"] = pulumi.String(migration.Phase(cfg))
	return outputs
}

func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}
