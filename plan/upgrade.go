package plan

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/eks-cilium/eks-cilium/charts"
	"github.com/eks-cilium/eks-cilium/guard"
	"github.com/eks-cilium/eks-cilium/rules"
	"github.com/eks-cilium/eks-cilium/stackconfig"
	"github.com/eks-cilium/eks-cilium/versions"
)

// Versions are the versions this update deploys, decided from the configuration and what the
// stack deployed last time.
type Versions struct {
	// ControlPlane is the Kubernetes version sent to EKS: cluster.version, except in the first
	// update of a rollback, which keeps the deployed version while the node groups go back.
	ControlPlane string
	// NodesPinned is the node groups' Kubernetes version in the first update of a rollback;
	// "" otherwise: the node groups then follow the control plane's deployed version (its
	// output), so a control-plane update that fails rolls no node.
	NodesPinned string
	// CiliumInitial is the first Cilium ever deployed on the stack (the ciliumInitialVersion
	// output); UpgradeCompatibility its minor, the chart's upgradeCompatibility value.
	CiliumInitial, UpgradeCompatibility string
	// CiliumPreflight is set when the Cilium minor changes: the pre-flight release of the new
	// chart is deployed, ready, before the main release updates.
	CiliumPreflight bool
	// Addons are the EKS addon versions by addon name (coredns; eks-pod-identity-agent and
	// kube-proxy where installed); "" leaves EKS's default.
	Addons map[string]string
	// CoreDNSWaitsForNodes is whether the CoreDNS and Pod Identity addons wait for the node
	// groups: on a cluster without nodes yet their pods cannot start and the addons time out;
	// once node groups exist, addons update right after the control plane.
	CoreDNSWaitsForNodes bool
}

// Step is one change of an update, in the order the engine makes it (the `upgradePlan` of the
// render).
type Step struct {
	Step int `json:"step"`
	// Component is cilium-preflight, cilium, control-plane, addon, node-group, karpenter or chart.
	Component string `json:"component"`
	Name      string `json:"name"`
	From      string `json:"from"`
	To        string `json:"to"`
	// Why says why the step is there, what it rolls and about how long it takes.
	Why string `json:"why"`
}

// Step components, in the order of an update: Cilium and the control plane never change in
// the same update (guard), the release depends on the cluster, node groups on the release and
// the add-on charts and Karpenter on the node groups; addons follow the control plane.
const (
	StepCiliumPreflight = "cilium-preflight"
	StepCilium          = "cilium"
	StepControlPlane    = "control-plane"
	StepAddon           = "addon"
	StepNodeGroup       = "node-group"
	StepKarpenter       = "karpenter"
	StepChart           = "chart"
)

// decideVersions fills Versions and returns notices (addons without a table row, held addon
// versions, the rollback's two updates).
func decideVersions(cfg stackconfig.Config, prev *guard.Deployed) (Versions, stackconfig.Problems, []string) {
	v := Versions{ControlPlane: cfg.Cluster.Version, CoreDNSWaitsForNodes: true}
	var warnings stackconfig.Problems
	var notices []string
	var deployed guard.DeployedVersions
	if prev != nil {
		deployed = prev.Versions
	}

	if d, ok := versions.MinorsBetween(deployed.KubernetesVersion, cfg.Cluster.Version); ok && d == -1 && cfg.Cluster.AllowVersionRollback {
		// A kubelet may never be newer than the API server: while any node group still runs
		// the deployed minor, this update takes the node groups back and keeps the control
		// plane; the next one (every group back) rolls the control plane back.
		for _, g := range deployed.NodeGroups {
			if deployed.NodeVersion(g) != cfg.Cluster.Version {
				v.ControlPlane, v.NodesPinned = deployed.KubernetesVersion, cfg.Cluster.Version
			}
		}
		if v.NodesPinned != "" {
			notices = append(notices, fmt.Sprintf("rollback, update 1 of 2: the node groups go back to %s, the control plane stays at %s; run `pulumi up` again to roll the control plane back", cfg.Cluster.Version, deployed.KubernetesVersion))
		} else {
			notices = append(notices, fmt.Sprintf("rollback, update 2 of 2: every node group runs %s; the control plane goes back from %s", cfg.Cluster.Version, deployed.KubernetesVersion))
		}
	}

	initial, notice := guard.InitialCilium(prev, cfg)
	if notice != "" {
		notices = append(notices, notice)
	}
	v.CiliumInitial, v.UpgradeCompatibility = initial, versions.Minor(initial)
	if deployed.CiliumVersion != "" {
		if d, ok := versions.MinorsBetween(deployed.CiliumVersion, cfg.Cilium.Version); ok && d != 0 {
			v.CiliumPreflight = true
		}
	}

	if prev != nil && deployed.NodeGroups != nil {
		// Node groups that exist keep the addons' pods running; only a stack whose every
		// configured group is new still has no node for them.
		v.CoreDNSWaitsForNodes = !slices.ContainsFunc(cfg.NodeGroups, func(ng stackconfig.NodeGroupConfig) bool {
			_, ok := deployed.NodeGroup(ng.Name)
			return ok
		})
	}

	v.Addons = map[string]string{}
	wanted := []string{versions.CoreDNS}
	if NeedsPodIdentityAgent(cfg) {
		wanted = append(wanted, versions.PodIdentityAgent)
	}
	if !cfg.Cluster.KubeProxyReplacement {
		wanted = append(wanted, versions.KubeProxy)
	}
	for _, name := range wanted {
		if name == versions.CoreDNS && cfg.Cluster.CorednsVersion != "" {
			v.Addons[name] = cfg.Cluster.CorednsVersion
			continue
		}
		row, ok := versions.AddonFor(name, v.ControlPlane)
		if !ok {
			fix := "add a row to versions/data/eks-addons.json (aws eks describe-addon-versions --addon-name " + name + " --kubernetes-version " + v.ControlPlane + ")"
			key := stackconfig.KeyClusterVersion
			if name == versions.CoreDNS {
				fix = "set " + stackconfig.KeyClusterCorednsVersion + ", or " + fix
			}
			warnings = append(warnings, stackconfig.Problem{Key: key, Value: v.ControlPlane,
				Rule: "has no " + name + " version in this project's addon table (read " + versions.Addons.Read + "): EKS installs its default and never updates it", Fix: fix})
			v.Addons[name] = ""
			continue
		}
		v.Addons[name] = row.Version
		if was := deployed.Addons[name]; was != "" {
			if cmp, ok := versions.CompareAddonVersions(was, row.Version); ok && cmp > 0 {
				// EKS rolls no addon back (rollback-cluster.html); a lower version would be a
				// downgrade EKS may refuse.
				v.Addons[name] = was
				notices = append(notices, fmt.Sprintf("the %s addon stays at the deployed %s, newer than the table's %s for %s: add-ons are never downgraded", name, was, row.Version, v.ControlPlane))
			}
		}
	}
	return v, warnings, notices
}

// NodeVersion is the Kubernetes minor the node groups run after this update.
func (v Versions) NodeVersion() string {
	if v.NodesPinned != "" {
		return v.NodesPinned
	}
	return v.ControlPlane
}

// AmiParameter is the SSM parameter node group i's image comes from at Kubernetes version
// minor (the control plane's deployed version at deploy time).
func (p *Plan) AmiParameter(i int, minor string) (string, error) {
	ng := p.Config.NodeGroups[i]
	return rules.AmiParameter(ng.AmiType, minor, ng.AmiVersion)
}

// upgradeSteps lists what this update changes against the previous deployment, in the order
// the engine makes the changes. Only what is known from the previous outputs is compared.
func (p *Plan) upgradeSteps() ([]Step, []string) {
	prev := p.Previous
	if prev == nil {
		return nil, nil
	}
	cfg, v, was := p.Config, p.Versions, prev.Versions
	var steps []Step
	var notices []string
	add := func(component, name, from, to, why string) {
		steps = append(steps, Step{Component: component, Name: name, From: from, To: to, Why: why})
	}

	if v.CiliumPreflight {
		add(StepCiliumPreflight, PreflightRelease, "", cfg.Cilium.Version,
			fmt.Sprintf("the Cilium minor changes (%s to %s): Cilium's pre-flight check, a release of the %s chart with only its pre-flight DaemonSet and Deployment, pre-pulls the new image on every node and validates the network policies; the main release waits until it is ready (1-2 min, more while images pull); the next update removes it",
				versions.Minor(was.CiliumVersion), versions.Minor(cfg.Cilium.Version), cfg.Cilium.Version))
	}
	if was.CiliumVersion != "" && was.CiliumVersion != cfg.Cilium.Version {
		add(StepCilium, CiliumReleaseName, was.CiliumVersion, cfg.Cilium.Version,
			fmt.Sprintf("Helm upgrades the operator and rolls the agent DaemonSet one node at a time (pods keep their addresses; traffic through Envoy is briefly interrupted on each node, upgrade.rst); upgradeCompatibility %q keeps the defaults of the first Cilium installed; 1-2 min plus the DaemonSet's roll", v.UpgradeCompatibility))
	} else if was.CiliumVersion != "" && was.CiliumInitialVersion == "" {
		add(StepCilium, CiliumReleaseName, was.CiliumVersion, cfg.Cilium.Version+" with upgradeCompatibility "+v.UpgradeCompatibility,
			"upgradeCompatibility is set for the first time (from the deployed Cilium, the earliest known): the same minor's defaults, so the rendered agent configuration does not change; Helm records a new revision")
	}

	if was.KubernetesVersion != "" && v.ControlPlane != was.KubernetesVersion {
		why := fmt.Sprintf("EKS updates the control plane in place, one minor at a time (about as long as creating one: 9-16 min); nodes keep running %s until their groups follow", was.KubernetesVersion)
		if d, _ := versions.MinorsBetween(was.KubernetesVersion, v.ControlPlane); d < 0 {
			why = "EKS version rollback (rollback-cluster.html: within 7 days of the in-place upgrade; etcd data and add-ons are not rolled back); every node group already runs " + v.ControlPlane
		}
		add(StepControlPlane, cfg.ClusterName(), was.KubernetesVersion, v.ControlPlane, why)
	}

	for _, name := range slices.Sorted(maps.Keys(v.Addons)) {
		to, from := v.Addons[name], was.Addons[name]
		if to == "" || from == to || (from == "" && was.Addons != nil) {
			continue // EKS's default, unchanged, or a new addon (created, not upgraded)
		}
		why := fmt.Sprintf("EKS updates no addon after a control-plane upgrade (updating-an-add-on.html): the addon table's version for %s", v.ControlPlane)
		if name == versions.CoreDNS && cfg.Cluster.CorednsVersion != "" {
			why = "set by " + stackconfig.KeyClusterCorednsVersion
		}
		if from == "" {
			from = "(not exported)"
			why += "; pinned for the first time (it ran the version EKS chose at creation)"
		}
		add(StepAddon, name, from, to, why+"; its pods are replaced within the addon's disruption budget (about 1 min)")
	}

	nodeTarget := v.NodeVersion()
	for i, ng := range cfg.NodeGroups {
		g, ok := was.NodeGroup(ng.Name)
		if was.NodeGroups == nil {
			break
		}
		if !ok {
			add(StepNodeGroup, ng.Name, "", "created", fmt.Sprintf("a new node group: %d nodes of Kubernetes %s join after the Cilium release (2-4 min)", ng.DesiredSize, nodeTarget))
			continue
		}
		var from, to []string
		change := func(field, a, b string) {
			if a != b {
				from, to = append(from, field+"="+a), append(to, field+"="+b)
			}
		}
		if nv := was.NodeVersion(g); nv != "" {
			change("kubernetesVersion", nv, nodeTarget)
		}
		// A group deployed before amiVersion was exported ran the recommended image.
		change("amiVersion", unpinned(g.AmiVersion), unpinned(ng.AmiVersion))
		if g.MaxPods != 0 {
			change("maxPods", fmt.Sprint(g.MaxPods), fmt.Sprint(p.IP.NodeGroups[i].MaxPods))
		}
		if g.Labels != nil && !maps.Equal(g.Labels, nonNilLabels(ng.Labels)) {
			change("labels", labelText(g.Labels), labelText(ng.Labels))
		}
		if len(from) == 0 {
			continue
		}
		param, _ := p.AmiParameter(i, nodeTarget)
		why := fmt.Sprintf("a new launch template version (image from %s): EKS replaces all %d nodes, %d at a time, adding up to %d surge nodes and draining each old node (up to 15 min per node for pods to leave, managed-node-update-behavior.html); 2-4 min plus the drains",
			param, ng.DesiredSize, ng.MaxUnavailable, p.IP.NodeGroups[i].Surge)
		if v.NodesPinned != "" {
			why = "rollback, update 1 of 2: the node group goes back before the control plane (a kubelet may never be newer than the API server); " + why
		}
		add(StepNodeGroup, ng.Name, strings.Join(from, ", "), strings.Join(to, ", "), why)
	}
	if was.NodeGroups != nil {
		for _, g := range was.NodeGroups {
			if !slices.ContainsFunc(cfg.NodeGroups, func(ng stackconfig.NodeGroupConfig) bool { return ng.Name == g.Name }) {
				add(StepNodeGroup, g.Name, "deployed", "removed", "the node group is deleted: EKS drains and terminates its nodes (move workloads first)")
			}
		}
	}

	if k := cfg.Karpenter; k != nil {
		if from := was.Charts[ChartKarpenter]; from != "" && from != k.Version {
			add(StepKarpenter, "karpenter-crd", from, k.Version, "Karpenter's CRD chart first: the controller chart's crds/ are installed only at its first install (Karpenter upgrade guide)")
			add(StepKarpenter, "karpenter", from, k.Version, "the controller, after its CRDs; it restarts with one replica at a time")
		}
		if was.KubernetesVersion != "" && v.ControlPlane != was.KubernetesVersion {
			for _, np := range k.NodePools {
				add(StepKarpenter, "node pool "+np.Name, was.KubernetesVersion, v.ControlPlane, "Karpenter drifts the pool's nodes to the control plane's new version by itself, respecting disruption budgets (Karpenter FAQ); not a step of `pulumi up`")
			}
		}
	}
	if a := cfg.Addons; a != nil {
		if ms := a.MetricsServer; ms != nil {
			if from := was.Charts[ChartMetricsServer]; from != "" && from != ms.Version {
				add(StepChart, ChartMetricsServer, from, ms.Version, "Helm upgrades the release; one pod at a time on the host network")
			}
		}
		if lbc := a.AwsLoadBalancerController; lbc != nil {
			if from := was.Charts[ChartLoadBalancerController]; from != "" && from != lbc.Version {
				add(StepChart, ChartLoadBalancerController+" CRDs", from, lbc.Version, "the chart's CRDs are applied before the release: `helm upgrade` does not update crds/ (aws-load-balancer-controller installation.md)")
				add(StepChart, ChartLoadBalancerController, from, lbc.Version, "Helm upgrades the release; one pod at a time on the host network")
			}
		}
	}
	if was.CiliumPreflight != "" && !v.CiliumPreflight {
		add(StepCiliumPreflight, PreflightRelease, was.CiliumPreflight, "", "removed: the pre-flight check of the last Cilium minor change has done its job (deleted at the end of the update)")
	}
	if was.Charts == nil && (cfg.Karpenter != nil || cfg.Addons != nil) {
		notices = append(notices, "the last deployment exported no chartVersions (deployed before it existed): chart changes are not listed in the upgrade plan")
	}
	for i := range steps {
		steps[i].Step = i + 1
	}
	if steps == nil {
		steps = []Step{}
	}
	return steps, notices
}

func unpinned(release string) string {
	if release == "" {
		return "(recommended)"
	}
	return release
}

func nonNilLabels(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

func labelText(m map[string]string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, k+":"+m[k])
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// Release and chart names the plan speaks of: the Helm release names, which are also the keys
// of the chartVersions output.
const (
	CiliumReleaseName           = charts.CiliumRelease
	PreflightRelease            = charts.CiliumPreflightRelease
	ChartKarpenter              = "karpenter" // components/karpenter ReleaseName
	ChartMetricsServer          = charts.MetricsServerRelease
	ChartLoadBalancerController = charts.LoadBalancerControllerRelease
)
