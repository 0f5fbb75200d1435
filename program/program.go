// Package program is the eks-cilium Pulumi program: read the stack's configuration, build
// the Platform, export what operators and the day-2 guard need. main.go runs Run; the
// offline render and the tests run the very same function under mocks.
package program

import (
	"errors"

	"github.com/eks-cilium/eks-cilium/components/platform"
	"github.com/eks-cilium/eks-cilium/stackconfig"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
)

// Run is the program: main.go passes it to pulumi.Run.
func Run(ctx *pulumi.Context) error {
	cfg, err := LoadConfig(ctx)
	if err != nil {
		return err
	}
	_, err = Deploy(ctx, cfg)
	return err
}

// LoadConfig reads every key of the stack with config.Try (no Require*: a bad stack is an
// error, not a panic) and decodes it strictly.
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
	return stackconfig.Decode(ctx.Stack(), values)
}

// Deploy builds the platform from a decoded configuration and exports the stack outputs.
func Deploy(ctx *pulumi.Context, cfg stackconfig.Config) (*platform.Platform, error) {
	p, err := platform.NewPlatform(ctx, cfg.ClusterName(), &platform.PlatformArgs{Config: cfg})
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
	plan := p.Plan
	cidrs := make([]string, len(plan.PodCIDRs))
	for i, c := range plan.PodCIDRs {
		cidrs[i] = c.String()
	}
	groups := pulumi.Array{}
	for _, ng := range plan.NodeGroups {
		groups = append(groups, pulumi.Map{
			"name":          pulumi.String(ng.Name),
			"instanceTypes": pulumi.ToStringArray(ng.InstanceTypes),
			"maxPods":       pulumi.Int(ng.MaxPods),
			"eniMaxPods":    pulumi.Int(ng.ENIMaxPods),
			"minSize":       pulumi.Int(ng.MinSize),
			"maxSize":       pulumi.Int(ng.MaxSize),
		})
	}
	return map[string]pulumi.Input{
		"kubeconfig":      p.Kubeconfig,
		"clusterName":     p.ClusterName,
		"clusterEndpoint": p.ClusterEndpoint,
		"vpcId":           p.VpcId,
		"vpcCidr":         pulumi.String(plan.VpcCIDR.String()),
		"serviceCidr":     pulumi.String(plan.ServiceCIDR.String()),
		"podCidrs":        pulumi.ToStringArray(cidrs),
		"podCidrMaskSize": pulumi.Int(plan.MaskSize),
		"ipamMode":        pulumi.String("cluster-pool"),
		"routingMode":     pulumi.String("tunnel"),
		"ciliumVersion":   pulumi.String(cfg.Cilium.Version),
		"nodeGroups":      groups,
		"ipPlan": pulumi.Map{
			"nodeCidrsTotal":      pulumi.Float64(float64(plan.NodeCIDRsTotal)),
			"nodeCidrsNeeded":     pulumi.Int(plan.NodeCIDRsNeeded),
			"nodeCidrUsage":       pulumi.Float64(plan.NodeCIDRUsage),
			"usablePodIPsPerNode": pulumi.Int(plan.UsablePodIPsPerNode),
		},
	}
}
