package stackconfigtest

import "github.com/eks-cilium/eks-cilium/stackconfig"

// Valid is a valid stack the tests mutate: stackconfig's defaults (3 AZs in 192.168.0.0/16,
// the default Kubernetes version) in eu-west-1, pods in 10.200.0.0/16 cut into /24s, one
// m5.large group of 2/3/6 at 110 pods.
func Valid() stackconfig.Config {
	cfg := stackconfig.Defaults()
	cfg.Stack, cfg.Region = "test", "eu-west-1"
	cfg.Cilium.ClusterPoolIPv4PodCIDRList = []string{"10.200.0.0/16"}
	ng := stackconfig.Default[stackconfig.NodeGroupConfig]()
	ng.Name, ng.InstanceTypes = "general", []string{"m5.large"}
	ng.MinSize, ng.DesiredSize, ng.MaxSize, ng.MaxPods = 2, 3, 6, 110
	// Pinned, as the shipped stacks are: an unpinned group is warned.
	ng.AmiVersion = "v20260714"
	cfg.NodeGroups = []stackconfig.NodeGroupConfig{ng}
	return cfg
}
