// Package plan is the planning pipeline: one pure function from a stack's configuration and
// its previous deployment to everything the components build from, or to every problem at
// once. It runs the address planner (ipplan), the configuration rules (rules), the Helm values
// of the charts (charts) and the host port plan (hostports), and the day-2 guard (guard); the
// components only consume its result. Nothing here imports a component or Pulumi, so the
// render, the tests and other programs plan a stack without an engine.
package plan

import (
	"errors"
	"slices"
	"time"

	"github.com/eks-cilium/eks-cilium/charts"
	"github.com/eks-cilium/eks-cilium/guard"
	"github.com/eks-cilium/eks-cilium/hostports"
	"github.com/eks-cilium/eks-cilium/ipplan"
	"github.com/eks-cilium/eks-cilium/migration"
	"github.com/eks-cilium/eks-cilium/rules"
	"github.com/eks-cilium/eks-cilium/stackconfig"
)

// Inputs are what a plan depends on.
type Inputs struct {
	Config stackconfig.Config
	// Previous is what the stack deployed last time (its outputs); nil on a first deployment.
	Previous *guard.Deployed
	// PreviousUnread says Previous is nil because it was not read yet (a program validating
	// its configuration before it reads its previous outputs), not because nothing was
	// deployed: the checks that need the previous deployment wait for a later plan.
	PreviousUnread bool
	// Today is the date Kubernetes versions' support is checked against; zero means Today().
	Today time.Time
	// Name is the Platform's resource name when a program names it other than its cluster
	// (the program names it after the cluster); the names derived from it are checked too.
	Name string
	// Mesh is what a ClusterMesh member read about its peers (nil: not read; nothing is
	// wired to them then).
	Mesh *MeshInputs
	// Live are the facts of an adopted cluster (cluster.existing) as the program read them
	// from EKS and the cluster; nil offline, where the plan lists them as DeployTimeChecks.
	Live *migration.Facts
	// LocalCharts are what was read from the local files chartSources names (package
	// localcharts); nil: not read, and the archives' names and versions are not checked.
	LocalCharts *charts.LocalFacts
}

// Plan is a validated stack: what every component is built from.
type Plan struct {
	Config   stackconfig.Config
	Previous *guard.Deployed
	// IP is the address plan and capacity; IP.Warnings are the rules' and planner's warnings.
	IP *ipplan.Plan
	// HostPorts is the host port map of every node: what the node holds and each
	// host-network add-on's planned ports.
	HostPorts *hostports.Map
	// Notices are what whoever runs `pulumi up` must know: escape hatches in use, where the
	// deployment must run from, the checks skipped for outputs an older deployment lacks.
	Notices []string
	// Versions are the Kubernetes, Cilium and addon versions this update deploys.
	Versions Versions
	// Upgrade is what this update changes against the previous deployment, in the order the
	// engine makes the changes; nil on a first deployment.
	Upgrade []Step
	// Mesh is the stack's part of its ClusterMesh; nil when it is not a member.
	Mesh *Mesh
	// Live are the adopted cluster's facts the plan was checked against (nil offline and for a
	// created cluster); DeployTimeChecks are what the program checks live when Live is nil.
	Live             *migration.Facts
	DeployTimeChecks []string
	// Charts are the Helm releases the stack installs, each with its chart's source.
	Charts []charts.Release
}

// Today is the date the Kubernetes version lifecycle is checked against when Inputs.Today is
// zero. The snapshot tests pin it so that the golden files do not change with the calendar.
var Today = func() time.Time { return time.Now().UTC() }

// New validates a configuration completely, registering nothing: the address plan and
// capacity, every other rule (as of Inputs.Today), the extra Cilium values, the host port plan,
// the names derived from a Platform name and the change from the previous deployment. All
// refusals come back at once, sorted by key, as stackconfig.Problems.
func New(in Inputs) (*Plan, error) {
	cfg := in.Config
	today := in.Today
	if today.IsZero() {
		today = Today()
	}
	var refusals stackconfig.Problems
	collect := func(err error) error {
		var probs stackconfig.Problems
		if errors.As(err, &probs) {
			refusals = append(refusals, probs...)
			return nil
		}
		return err
	}

	ip, err := ipplan.New(cfg)
	if err := collect(err); err != nil {
		return nil, err
	}
	warnings, refused := rules.Check(cfg, today)
	refusals = append(refusals, refused...)
	if err := collect(charts.CheckCiliumExtra(cfg.Cilium.Values)); err != nil {
		return nil, err
	}
	refusals = append(refusals, charts.CheckLocal(cfg, in.LocalCharts)...)
	if in.Name != "" && in.Name != cfg.ClusterName() {
		refusals = append(refusals, rules.CheckNamesOf(in.Name, cfg)...)
	}
	notices, err := guard.Check(in.Previous, cfg)
	if err := collect(err); err != nil {
		return nil, err
	}
	if !in.PreviousUnread {
		refusals = append(refusals, guard.CheckMigration(in.Previous, cfg)...)
	}
	var deployTime []string
	if cfg.Cluster.Existing && len(refusals) == 0 && !in.PreviousUnread {
		if in.Live == nil {
			deployTime = migration.DeployTimeChecks(cfg)
		} else {
			previous := ""
			if in.Previous != nil {
				previous = in.Previous.MigrationPhase
			}
			w, r := migration.Check(cfg, previous, in.Live, ip.NodeCIDRsNeeded, ip.NodeCIDRsTotal)
			warnings = append(warnings, w...)
			refusals = append(refusals, r...)
		}
	}
	var ports *hostports.Map
	if len(refusals) == 0 {
		if ports, err = hostPortMap(cfg, ip); err != nil {
			refusals = append(refusals, stackconfig.Problem{
				Key: stackconfig.KeyAddons, Value: "", Rule: err.Error(),
				Fix: "move the Cilium port named in eks-cilium:cilium.values away from the add-ons' ports (see the render's host port map)",
			})
		}
	}
	var mesh *Mesh
	if len(refusals) == 0 {
		var meshWarnings, meshRefusals stackconfig.Problems
		mesh, meshWarnings, meshRefusals, err = planMesh(cfg, ip, in.Mesh)
		if err != nil {
			return nil, err
		}
		refusals = append(refusals, meshRefusals...)
		warnings = append(warnings, meshWarnings...)
	}
	if len(refusals) > 0 {
		refusals.Sort()
		return nil, refusals
	}
	vers, versionWarnings, versionNotices := decideVersions(cfg, in.Previous)
	ip.Warnings = append(append(ip.Warnings, warnings...), versionWarnings...)
	ip.Warnings.Sort()
	p := &Plan{Config: cfg, Previous: in.Previous, IP: ip, HostPorts: ports, Versions: vers, Mesh: mesh,
		Notices: append(append(append(notices, configNotices(cfg)...), mesh.notices()...), versionNotices...),
		Live:    in.Live, DeployTimeChecks: deployTime, Charts: charts.Releases(cfg)}
	steps, stepNotices := p.upgradeSteps()
	p.Upgrade, p.Notices = steps, append(p.Notices, stepNotices...)
	return p, nil
}

// configNotices are the notices of a valid configuration itself, whatever was deployed before.
func configNotices(cfg stackconfig.Config) []string {
	var out []string
	if !cfg.Cluster.EndpointPublicAccess {
		out = append(out, stackconfig.KeyClusterEndpointPublicAccess+" is false: the Kubernetes API is reachable only "+
			"from inside the VPC, so run `pulumi up` from there (a runner in the VPC, a VPN or a peered network): "+
			"it installs Cilium through that API. publicAccessCidrs is not sent.")
	}
	return out
}

// NeedsPodIdentityAgent reports whether anything in the stack takes AWS credentials through
// EKS Pod Identity (the load balancer controller, Karpenter); the eks-pod-identity-agent addon
// is then installed once for all of them. A new consumer is one more condition here.
func NeedsPodIdentityAgent(cfg stackconfig.Config) bool {
	return (cfg.Addons != nil && cfg.Addons.AwsLoadBalancerController != nil) || cfg.Karpenter != nil
}

// CiliumInput is what the Cilium values are rendered from. k8sServiceHost is the endpoint
// host when known; the component passes the cluster's endpoint once it exists.
func (p *Plan) CiliumInput(k8sServiceHost string) charts.CiliumInput {
	in := ciliumInput(p.Config, p.IP, k8sServiceHost, p.Versions.UpgradeCompatibility)
	in.Mesh = p.Mesh.ciliumMesh()
	return in
}

// CiliumValues are the Cilium release's Helm values, with k8sServiceHost as given.
func (p *Plan) CiliumValues(k8sServiceHost string) (map[string]any, error) {
	return charts.CiliumValues(p.CiliumInput(k8sServiceHost))
}

func ciliumInput(cfg stackconfig.Config, ip *ipplan.Plan, k8sServiceHost, upgradeCompatibility string) charts.CiliumInput {
	expected := 0
	for _, ng := range cfg.NodeGroups {
		expected += ng.DesiredSize
	}
	cidrs := make([]string, len(ip.PodCIDRs))
	for i, c := range ip.PodCIDRs {
		cidrs[i] = c.String()
	}
	return charts.CiliumInput{
		PodCIDRs:             cidrs,
		MaskSize:             ip.MaskSize,
		TunnelProtocol:       cfg.Cilium.TunnelProtocol,
		KubeProxyReplacement: cfg.Cluster.KubeProxyReplacement,
		K8sServiceHost:       k8sServiceHost,
		HubbleRelay:          cfg.Cilium.HubbleRelay,
		Encryption:           cfg.Cilium.Encryption,
		ExpectedNodes:        expected,
		UpgradeCompatibility: upgradeCompatibility,
		Extra:                cfg.Cilium.Values,
		MigrationPhase:       migration.Phase(cfg),
	}
}

// hostPortMap plans the host ports of every node: what the kubelet, Cilium (with the stack's
// own Cilium values), kube-proxy and the Pod Identity agent hold, and a port for each listener
// of each host-network add-on.
func hostPortMap(cfg stackconfig.Config, ip *ipplan.Plan) (*hostports.Map, error) {
	values, err := charts.CiliumValues(ciliumInput(cfg, ip, "", ""))
	if err != nil {
		return nil, err
	}
	held, err := hostports.NodeHeld(hostports.Node{
		CiliumValues:     values,
		KubeProxy:        !cfg.Cluster.KubeProxyReplacement,
		PodIdentityAgent: NeedsPodIdentityAgent(cfg),
	})
	if err != nil {
		return nil, err
	}
	held = append(held, charts.AddonPortsHeld(cfg.Addons)...)
	return hostports.Plan(held, charts.AddonPortRequests(cfg.Addons))
}

// Warnings are every warning of the plan as text: the rules' and planner's (by key), then the
// notices.
func (p *Plan) Warnings() []string {
	out := make([]string, 0, len(p.IP.Warnings)+len(p.Notices))
	for _, w := range p.IP.Warnings {
		out = append(out, w.String())
	}
	return append(out, slices.Clone(p.Notices)...)
}
