package ipplan

import (
	"fmt"
	"strings"
	"text/tabwriter"
)

// Summary renders the plan as a compact text table for the CLI. The same plan always
// renders the same text.
func (p *Plan) Summary() string {
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	pods := make([]string, len(p.PodCIDRs))
	for i, c := range p.PodCIDRs {
		pods[i] = c.String()
	}
	fmt.Fprintf(w, "VPC\t%s\n", p.VpcCIDR)
	fmt.Fprintf(w, "Services\t%s\n", p.ServiceCIDR)
	fmt.Fprintf(w, "Pod CIDRs\t%s\n", strings.Join(pods, " "))
	envoy := ""
	if p.EnvoyBy != "" {
		envoy = ", one for Envoy: cilium.values." + p.EnvoyBy
	}
	fmt.Fprintf(w, "Node CIDR\t/%d: %d pod IPs per node (%d addresses − %d Cilium reserves%s)\n",
		p.MaskSize, p.UsablePodIPsPerNode, p.UsablePodIPsPerNode+p.Reserved, p.Reserved, envoy)
	fmt.Fprintf(w, "Node CIDRs\t%d available, %d needed at maxSize + surge (%.1f%%)\n",
		p.NodeCIDRsTotal, p.NodeCIDRsNeeded, 100*p.NodeCIDRUsage)
	w.Flush()

	b.WriteString("\n")
	if len(p.Subnets) == 0 {
		b.WriteString("Subnets: existing VPC, not planned here\n")
	} else {
		fmt.Fprintln(w, "AZ\tZONE\tPRIVATE\tPUBLIC")
		for _, s := range p.Subnets {
			zone := s.Zone
			if zone == "" {
				zone = "-"
			}
			fmt.Fprintf(w, "%d\t%s\t%s\t%s\n", s.Index, zone, s.Private, s.Public)
		}
		w.Flush()
	}

	b.WriteString("\n")
	fmt.Fprintln(w, "NODE GROUP\tINSTANCES (ENI maxPods)\tMIN/DESIRED/MAX\tSURGE\tMAXPODS\tENI MAXPODS\tDENSITY")
	for _, g := range p.NodeGroups {
		instances := make([]string, len(g.Instances))
		for i, l := range g.Instances {
			instances[i] = fmt.Sprintf("%s (%d)", l.Type, l.ENIMaxPods)
		}
		maxPods := fmt.Sprint(g.MaxPods)
		if g.MaxPodsDefaulted {
			maxPods += " (auto)"
		}
		fmt.Fprintf(w, "%s\t%s\t%d/%d/%d\t%d\t%s\t%d\t%.1fx\n", g.Name, strings.Join(instances, ", "),
			g.MinSize, g.DesiredSize, g.MaxSize, g.Surge, maxPods, g.ENIMaxPods, g.DensityRatio)
	}
	w.Flush()
	if p.Karpenter != nil {
		b.WriteString("\n" + p.Karpenter.Summary(p))
	}

	if len(p.Warnings) > 0 {
		b.WriteString("\nWarnings:\n")
		for _, warning := range p.Warnings {
			b.WriteString("  " + warning.String() + "\n")
		}
	}
	return b.String()
}
