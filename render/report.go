package render

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/eks-cilium/eks-cilium/charts"
	"github.com/eks-cilium/eks-cilium/hostports"
	"github.com/eks-cilium/eks-cilium/ipplan"
	"github.com/eks-cilium/eks-cilium/migration"
	"github.com/eks-cilium/eks-cilium/plan"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"gopkg.in/yaml.v3"
)

// Computed is how a value the cloud would compute appears in the render.
const Computed = "<computed>"

// Report is the JSON document `cmd/render -format json` prints. Field order and the sorting
// of every list make two runs over the same stack produce identical bytes.
type Report struct {
	Stack     string         `json:"stack"`
	Resources []ResourceView `json:"resources"`
	IPPlan    PlanView       `json:"ipPlan"`
	// HostPorts is the port map of every node: held ports and those planned for add-ons.
	HostPorts    []hostports.Entry `json:"hostPorts"`
	CiliumValues map[string]any    `json:"ciliumValues"`
	// Charts are the Helm releases the stack installs, each with where its chart comes from
	// (eks-cilium:chartSources).
	Charts []ChartView `json:"charts"`
	// UserData is each node group's launch template user data (nodeadm NodeConfig or
	// Bottlerocket TOML) by node group name, with cluster-computed values as Computed.
	UserData     map[string]string `json:"userData"`
	CriticalPath CriticalPath      `json:"criticalPath"`
	// UpgradePlan is what the update changes against the deployed stack, in the order the
	// engine makes the changes: only with -previous (an empty list when nothing changes).
	UpgradePlan *[]plan.Step `json:"upgradePlan,omitempty"`
	// ClusterMesh is the stack's part of its ClusterMesh; absent outside a mesh.
	ClusterMesh *MeshView `json:"clusterMesh,omitempty"`
	// Migration is the phase an adopted cluster's update deploys and what the program checks
	// against the live cluster; absent for a cluster the stack creates.
	Migration *MigrationView `json:"migration,omitempty"`
	Warnings  []string       `json:"warnings"`
}

// ChartView is one Helm release and its chart's source.
type ChartView struct {
	Release string `json:"release"`
	Chart   string `json:"chart"`
	Version string `json:"version"`
	// Source is upstream, repository (an https:// mirror), oci (a registry) or path (a local
	// archive); From the repository URL, the chart's registry reference or the archive's path.
	Source string `json:"source"`
	From   string `json:"from"`
	// Crds are the load balancer controller's CRD manifests, applied before its release: URLs
	// or local paths.
	Crds []string `json:"crds,omitempty"`
}

// chartViews lists the plan's releases with their sources.
func chartViews(p *plan.Plan) []ChartView {
	out := []ChartView{}
	for _, r := range p.Charts {
		v := ChartView{Release: r.Name, Chart: r.Chart.Name, Version: r.Version, Source: r.Kind(), From: r.From()}
		if r.Chart.Field == charts.LoadBalancerController.Field {
			manifests, _ := charts.LoadBalancerControllerCRDs(r.Version, p.Config.ChartSources.LoadBalancerController())
			for _, m := range manifests {
				v.Crds = append(v.Crds, m.File)
			}
		}
		out = append(out, v)
	}
	return out
}

// MigrationView is an adopted cluster's migration as the render can show it.
type MigrationView struct {
	Phase string `json:"phase"`
	// Changes is what this phase changes in the cluster; DeployTimeChecks what the program
	// reads from the cluster and checks before registering anything (offline it cannot).
	Changes          []string `json:"changes"`
	DeployTimeChecks []string `json:"deployTimeChecks"`
}

// ResourceView is a resource as the report shows it.
type ResourceView struct {
	URN       string   `json:"urn"`
	Type      string   `json:"type"`
	Name      string   `json:"name"`
	Parent    string   `json:"parent"`
	DependsOn []string `json:"dependsOn"`
	Provider  string   `json:"provider,omitempty"`
	// Protect and IgnoreChanges are resource options: deletion protection and inputs left to
	// others after creation (e.g. an autoscaler's desiredSize).
	Protect       bool     `json:"protect,omitempty"`
	IgnoreChanges []string `json:"ignoreChanges,omitempty"`
	// Import is the id of an existing cloud object the resource adopts; RetainOnDelete keeps
	// the object when the resource leaves the stack.
	Import         string         `json:"import,omitempty"`
	RetainOnDelete bool           `json:"retainOnDelete,omitempty"`
	Inputs         map[string]any `json:"inputs"`
}

// PlanView is the IP plan with stable JSON names.
type PlanView struct {
	VpcCidr             string          `json:"vpcCidr"`
	ServiceCidr         string          `json:"serviceCidr"`
	PodCidrs            []string        `json:"podCidrs"`
	MaskSize            int             `json:"maskSize"`
	UsablePodIPsPerNode int             `json:"usablePodIPsPerNode"`
	ReservedPerNodeCidr int             `json:"reservedPerNodeCidr"`
	NodeCidrsTotal      uint64          `json:"nodeCidrsTotal"`
	NodeCidrsNeeded     int             `json:"nodeCidrsNeeded"`
	NodeCidrUsage       float64         `json:"nodeCidrUsage"`
	Subnets             []SubnetView    `json:"subnets"`
	NodeGroups          []NodeGroupView `json:"nodeGroups"`
	// Karpenter is Karpenter's share of the node CIDRs; absent without Karpenter.
	Karpenter *KarpenterView `json:"karpenter,omitempty"`
}

// KarpenterView is the node pools' share of the pod pool.
type KarpenterView struct {
	NodeCidrs int            `json:"nodeCidrs"`
	NodePools []NodePoolView `json:"nodePools"`
}

// NodePoolView is one node pool's bound: at most MaxNodes nodes of at least MinCpu vCPUs
// and MinMemoryMiB, plus Surge nodes being replaced.
type NodePoolView struct {
	Name             string `json:"name"`
	MinCpu           int    `json:"minCpu"`
	MinMemoryMiB     int64  `json:"minMemoryMiB"`
	CountedMemoryMiB int64  `json:"countedMemoryMiB"`
	MaxNodes         int    `json:"maxNodes"`
	BoundBy          string `json:"boundBy"`
	Surge            int    `json:"surge"`
	MaxPods          int    `json:"maxPods"`
}

// SubnetView is one AZ's subnet pair.
type SubnetView struct {
	Index   int    `json:"index"`
	Zone    string `json:"zone,omitempty"`
	Private string `json:"private"`
	Public  string `json:"public"`
}

// NodeGroupView is one node group's density numbers.
type NodeGroupView struct {
	Name          string   `json:"name"`
	InstanceTypes []string `json:"instanceTypes"`
	MaxSize       int      `json:"maxSize"`
	Surge         int      `json:"surge"`
	MaxPods       int      `json:"maxPods"`
	ENIMaxPods    int      `json:"eniMaxPods"`
	DensityRatio  float64  `json:"densityRatio"`
}

// NewReport builds the report of a render result.
func NewReport(r *Result) (*Report, error) {
	rep := &Report{Stack: r.Stack, IPPlan: planView(r.Plan.IP), CriticalPath: criticalPath(r.Resources), UserData: map[string]string{}}
	maps.Copy(rep.UserData, r.UserData)
	for _, res := range r.Resources {
		inputs := plainMap(res.Inputs)
		rep.Resources = append(rep.Resources, ResourceView{
			URN: res.URN, Type: res.Type, Name: res.Name, Parent: res.Parent,
			DependsOn: nonNil(res.DependsOn), Provider: res.Provider, Inputs: inputs,
			Protect: res.Protect, IgnoreChanges: res.IgnoreChanges, Import: res.Import, RetainOnDelete: res.RetainOnDelete,
		})
		// The main Cilium release: Cilium's chart in any of its sources' forms
		// (eks-cilium:chartSources.cilium), not the pre-flight check's release.
		chart, _ := inputs["chart"].(string)
		if res.Type == "kubernetes:helm.sh/v3:Release" && charts.Cilium.Names(chart) && inputs["name"] != charts.CiliumPreflightRelease {
			if v, ok := inputs["values"].(map[string]any); ok {
				rep.CiliumValues = v
			}
		}
	}
	if rep.CiliumValues == nil {
		return nil, fmt.Errorf("render: the program registered no Cilium release")
	}
	rep.HostPorts = r.Plan.HostPorts.Entries
	rep.Charts = chartViews(r.Plan)
	rep.Warnings = append(r.Plan.Warnings(), r.Warnings...)
	if r.Plan.Upgrade != nil {
		steps := slices.Clone(r.Plan.Upgrade)
		rep.UpgradePlan = &steps
	}
	mesh, err := meshView(r.Plan)
	if err != nil {
		return nil, err
	}
	rep.ClusterMesh = mesh
	if phase := migration.Phase(r.Config); phase != "" {
		rep.Migration = &MigrationView{Phase: phase, Changes: migration.Changes(r.Config), DeployTimeChecks: nonNil(r.Plan.DeployTimeChecks)}
	}
	return rep, nil
}

// JSON is the report as indented JSON with a trailing newline.
func (rep *Report) JSON() ([]byte, error) {
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// Text is the human-readable report.
func (rep *Report) Text(plan *ipplan.Plan) (string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "Stack %s: %d resources\n\n", rep.Stack, len(rep.Resources))
	b.WriteString("Resources\n")
	writeTree(&b, rep.Resources)
	b.WriteString("\nIP plan\n")
	b.WriteString(indent(plan.Summary()))
	b.WriteString("\nHost ports (every node; * = planned for an add-on)\n")
	for _, e := range rep.HostPorts {
		mark := " "
		if e.Planned {
			mark = "*"
		}
		fmt.Fprintf(&b, "  %s %5d/%-3s  %-28s %s\n", mark, e.Port, e.Protocol, e.Holder, e.Purpose)
	}
	if rep.ClusterMesh != nil {
		b.WriteString("\nClusterMesh\n")
		text, err := rep.ClusterMesh.text()
		if err != nil {
			return "", err
		}
		b.WriteString(text)
	}
	b.WriteString("\nHelm charts (eks-cilium:chartSources; docs/charts.md)\n")
	for _, c := range rep.Charts {
		fmt.Fprintf(&b, "  %-28s %-36s %s\n", c.Release, c.Chart+" "+c.Version, sourceText(c))
		for _, crd := range c.Crds {
			fmt.Fprintf(&b, "    CRDs: %s\n", crd)
		}
	}
	b.WriteString("\nCilium Helm values\n")
	var y strings.Builder
	enc := yaml.NewEncoder(&y)
	enc.SetIndent(2)
	if err := enc.Encode(rep.CiliumValues); err != nil {
		return "", err
	}
	b.WriteString(indent(y.String()))
	if len(rep.UserData) > 0 {
		fmt.Fprintf(&b, "\nNode user data (%s: filled in from the cluster at deploy time)\n", Computed)
		for _, name := range slices.Sorted(maps.Keys(rep.UserData)) {
			fmt.Fprintf(&b, "  %s\n", name)
			for line := range strings.Lines(rep.UserData[name]) {
				if line = strings.TrimRight(line, "\n"); line != "" {
					line = "    " + line
				}
				b.WriteString(line + "\n")
			}
		}
	}
	if objs := karpenterObjects(rep.Resources); len(objs) > 0 {
		b.WriteString("\nKarpenter objects (applied after the karpenter release)\n")
		for _, o := range objs {
			var y strings.Builder
			enc := yaml.NewEncoder(&y)
			enc.SetIndent(2)
			if err := enc.Encode(o); err != nil {
				return "", err
			}
			b.WriteString("  ---\n" + indent(y.String()))
		}
	}
	if m := rep.Migration; m != nil {
		fmt.Fprintf(&b, "\nMigration: phase %s (docs/migration.md)\n", m.Phase)
		for _, c := range m.Changes {
			fmt.Fprintf(&b, "  - %s\n", c)
		}
		if len(m.DeployTimeChecks) > 0 {
			b.WriteString("  Checked against the live cluster at deploy time (preview and update):\n")
			for _, c := range m.DeployTimeChecks {
				fmt.Fprintf(&b, "  - %s\n", c)
			}
		}
	}
	cp := rep.CriticalPath
	b.WriteString("\nTime to ready (typical durations: docs/design.md)\n")
	fmt.Fprintf(&b, "  critical path %s min, sequential %s min\n", minutes(cp.Minutes), minutes(cp.SequentialMinutes))
	for _, step := range cp.Path {
		fmt.Fprintf(&b, "  -> %-40s %s min\n", shortURN(step.URN), minutes(step.Minutes))
	}
	if rep.UpgradePlan != nil {
		b.WriteString("\nUpgrade plan (against the deployed stack, in the order of the update)\n")
		if len(*rep.UpgradePlan) == 0 {
			b.WriteString("  nothing to upgrade: no version or node image changes\n")
		}
		for _, s := range *rep.UpgradePlan {
			from, to := s.From, s.To
			if from == "" {
				from = "-"
			}
			if to == "" {
				to = "-"
			}
			fmt.Fprintf(&b, "  %d. %-16s %s: %s -> %s\n", s.Step, s.Component, s.Name, from, to)
			fmt.Fprintf(&b, "     %s\n", s.Why)
		}
	}
	b.WriteString("\nWarnings\n")
	if len(rep.Warnings) == 0 {
		b.WriteString("  none\n")
	}
	for _, w := range rep.Warnings {
		fmt.Fprintf(&b, "  - %s\n", w)
	}
	return b.String(), nil
}

// sourceText is where a chart comes from, in the text report.
func sourceText(c ChartView) string {
	switch c.Source {
	case charts.SourceUpstream:
		return c.From + " (upstream)"
	case charts.SourceOCI:
		return c.From + " (OCI registry)"
	case charts.SourcePath:
		return c.From + " (local archive)"
	}
	return c.From + " (mirror repository)"
}

func writeTree(b *strings.Builder, res []ResourceView) {
	children := map[string][]ResourceView{}
	known := map[string]bool{}
	for _, r := range res {
		known[r.URN] = true
	}
	var roots []ResourceView
	for _, r := range res {
		if known[r.Parent] {
			children[r.Parent] = append(children[r.Parent], r)
		} else {
			roots = append(roots, r)
		}
	}
	var walk func(r ResourceView, depth int)
	walk = func(r ResourceView, depth int) {
		var opts []string
		if r.Protect {
			opts = append(opts, "protected")
		}
		if len(r.IgnoreChanges) > 0 {
			opts = append(opts, "ignores changes to "+strings.Join(r.IgnoreChanges, ", "))
		}
		if r.Import != "" {
			opts = append(opts, "imports "+r.Import)
		}
		if r.RetainOnDelete {
			opts = append(opts, "retained on delete")
		}
		suffix := ""
		if len(opts) > 0 {
			suffix = "  (" + strings.Join(opts, "; ") + ")"
		}
		fmt.Fprintf(b, "  %s%s  %s%s\n", strings.Repeat("  ", depth), r.Type, r.Name, suffix)
		for _, c := range children[r.URN] {
			walk(c, depth+1)
		}
	}
	for _, r := range roots {
		walk(r, 0)
	}
}

func planView(p *ipplan.Plan) PlanView {
	v := PlanView{
		VpcCidr: p.VpcCIDR.String(), ServiceCidr: p.ServiceCIDR.String(), MaskSize: p.MaskSize,
		UsablePodIPsPerNode: p.UsablePodIPsPerNode, ReservedPerNodeCidr: p.Reserved,
		NodeCidrsTotal: p.NodeCIDRsTotal, NodeCidrsNeeded: p.NodeCIDRsNeeded,
		NodeCidrUsage: round(p.NodeCIDRUsage, 4), Subnets: []SubnetView{}, PodCidrs: []string{},
	}
	for _, c := range p.PodCIDRs {
		v.PodCidrs = append(v.PodCidrs, c.String())
	}
	for _, s := range p.Subnets {
		v.Subnets = append(v.Subnets, SubnetView{Index: s.Index, Zone: s.Zone, Private: s.Private.String(), Public: s.Public.String()})
	}
	for _, g := range p.NodeGroups {
		v.NodeGroups = append(v.NodeGroups, NodeGroupView{
			Name: g.Name, InstanceTypes: g.InstanceTypes, MaxSize: g.MaxSize, Surge: g.Surge,
			MaxPods: g.MaxPods, ENIMaxPods: g.ENIMaxPods, DensityRatio: round(g.DensityRatio, 2),
		})
	}
	if k := p.Karpenter; k != nil {
		v.Karpenter = &KarpenterView{NodeCidrs: k.NodeCIDRs, NodePools: []NodePoolView{}}
		for _, n := range k.NodePools {
			v.Karpenter.NodePools = append(v.Karpenter.NodePools, NodePoolView{
				Name: n.Name, MinCpu: n.MinCPU, MinMemoryMiB: n.MinMemoryMiB, CountedMemoryMiB: n.CountedMemoryMiB,
				MaxNodes: n.MaxNodes, BoundBy: n.BoundBy, Surge: n.Surge, MaxPods: n.MaxPods,
			})
		}
	}
	return v
}

// plainMap turns Pulumi property values into JSON-able values: unknowns become Computed,
// secrets "<secret>", resource references their URN.
func plainMap(m resource.PropertyMap) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		if strings.HasPrefix(string(k), "__") {
			continue // engine bookkeeping such as __defaults
		}
		out[string(k)] = plain(v)
	}
	return out
}

func plain(v resource.PropertyValue) any {
	switch {
	case v.IsComputed():
		return Computed
	case v.IsOutput():
		o := v.OutputValue()
		if !o.Known {
			return Computed
		}
		if o.Secret {
			return "<secret>"
		}
		return plain(o.Element)
	case v.IsSecret():
		return "<secret>"
	case v.IsResourceReference():
		return string(v.ResourceReferenceValue().URN)
	case v.IsObject():
		return plainMap(v.ObjectValue())
	case v.IsArray():
		arr := v.ArrayValue()
		out := make([]any, len(arr))
		for i, e := range arr {
			out[i] = plain(e)
		}
		return out
	case v.IsNumber():
		f := v.NumberValue()
		if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
			return int64(f)
		}
		return f
	case v.IsString():
		return v.StringValue()
	case v.IsBool():
		return v.BoolValue()
	case v.IsAsset() || v.IsArchive():
		return "<asset>"
	default:
		return nil
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func round(f float64, places int) float64 {
	p := math.Pow(10, float64(places))
	return math.Round(f*p) / p
}

func indent(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = "  " + l
	}
	return strings.Join(lines, "\n") + "\n"
}

func shortURN(urn string) string {
	t := resource.URN(urn)
	return string(t.Type().Name()) + " " + t.Name()
}

// karpenterObjects are the NodePools and EC2NodeClasses the program applies, as manifests:
// the inputs of their CustomResources (apiVersion, kind, metadata, spec).
func karpenterObjects(res []ResourceView) []map[string]any {
	var out []map[string]any
	for _, r := range res {
		if r.Type != "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass" && r.Type != "kubernetes:karpenter.sh/v1:NodePool" {
			continue
		}
		obj := map[string]any{}
		for _, k := range []string{"apiVersion", "kind", "metadata", "spec"} {
			if v, ok := r.Inputs[k]; ok {
				obj[k] = v
			}
		}
		out = append(out, obj)
	}
	return out
}
