// Command go is the README's example of importing the Platform into another Go program;
// tests/readme_test.go keeps the two identical.
package main

import (
	"github.com/eks-cilium/eks-cilium/components/platform"
	"github.com/eks-cilium/eks-cilium/stackconfig"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		cfg := stackconfig.Defaults()
		cfg.Stack, cfg.Region = ctx.Stack(), "eu-west-1"
		cfg.NodeGroups = []stackconfig.NodeGroupConfig{func() stackconfig.NodeGroupConfig {
			ng := stackconfig.Default[stackconfig.NodeGroupConfig]()
			ng.Name, ng.InstanceTypes = "general", []string{"m5.large"}
			ng.MinSize, ng.DesiredSize, ng.MaxSize, ng.MaxPods = 2, 3, 6, 110
			return ng
		}()}
		cfg.Cilium.ClusterPoolIPv4PodCIDRList = []string{"10.200.0.0/16"}

		p, err := platform.NewPlatform(ctx, "shop", &platform.PlatformArgs{Config: cfg})
		if err != nil {
			return err // names the config field, the value and the rule
		}
		ctx.Export("kubeconfig", p.Kubeconfig)
		// p.Cluster.Provider deploys your workloads into the cluster.
		return nil
	})
}
