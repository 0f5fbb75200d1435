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

// Adopted is a valid stack that adopts the existing cluster "legacy" (cluster.existing) in
// phase install of its migration: its VPC 10.0.0.0/16 with two subnets of each kind, kube-proxy
// kept, pods in 100.64.0.0/16, two legacy node groups on the vpc-cni add-on, one legacy
// security group.
func Adopted() stackconfig.Config {
	cfg := Valid()
	cfg.Cluster.Existing, cfg.Cluster.Name, cfg.Cluster.KubeProxyReplacement = true, "legacy", false
	cfg.Vpc.Id, cfg.Vpc.Cidr = "vpc-0a1b2c3d4e5f60718", "10.0.0.0/16"
	cfg.Vpc.PrivateSubnetIds = []string{"subnet-0a1b2c3d4e5f60711", "subnet-0a1b2c3d4e5f60712"}
	cfg.Vpc.PublicSubnetIds = []string{"subnet-0a1b2c3d4e5f60721", "subnet-0a1b2c3d4e5f60722"}
	cfg.Cilium.ClusterPoolIPv4PodCIDRList = []string{"100.64.0.0/16"}
	cfg.Migration = &stackconfig.MigrationConfig{
		Phase: stackconfig.PhaseInstall, LegacyNodeGroups: []string{"workers-a", "workers-b"},
		AwsNode: stackconfig.AwsNodeAddon, LegacySecurityGroupIds: []string{"sg-0a1b2c3d4e5f60799"},
	}
	return cfg
}
