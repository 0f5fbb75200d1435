package main

import (
	"reflect"
	"testing"

	"github.com/eks-cilium/eks-cilium/provider/ekscilium"
	"github.com/eks-cilium/eks-cilium/stackconfig"
)

func TestArgs_ConfigLaysGivenValuesOverTheDefaults(t *testing.T) {
	minimal := ekscilium.PlatformArgs{
		NodeGroups: []ekscilium.NodeGroupConfig{{Name: "general", InstanceTypes: []string{"m5.large"}, MinSize: 1, DesiredSize: 2, MaxSize: 3}},
		Cilium:     ekscilium.CiliumConfig{ClusterPoolIPv4PodCIDRList: []string{"10.200.0.0/16"}},
	}
	cases := []struct {
		name  string
		args  func() ekscilium.PlatformArgs
		check func(t *testing.T, cfg stackconfig.Config)
	}{
		{"omitted objects are stackconfig's defaults", func() ekscilium.PlatformArgs { return minimal },
			func(t *testing.T, cfg stackconfig.Config) {
				def := stackconfig.Defaults()
				if !reflect.DeepEqual(cfg.Vpc, def.Vpc) || !reflect.DeepEqual(cfg.Cluster, def.Cluster) {
					t.Errorf("vpc/cluster = %+v %+v, want the defaults %+v %+v", cfg.Vpc, cfg.Cluster, def.Vpc, def.Cluster)
				}
				ng := stackconfig.Default[stackconfig.NodeGroupConfig]()
				ng.Name, ng.InstanceTypes, ng.MinSize, ng.DesiredSize, ng.MaxSize = "general", []string{"m5.large"}, 1, 2, 3
				if !reflect.DeepEqual(cfg.NodeGroups, []stackconfig.NodeGroupConfig{ng}) {
					t.Errorf("node groups = %+v, want %+v", cfg.NodeGroups, ng)
				}
				if cfg.Cilium.ClusterPoolIPv4MaskSize != def.Cilium.ClusterPoolIPv4MaskSize || cfg.Cilium.TunnelProtocol != def.Cilium.TunnelProtocol {
					t.Errorf("cilium = %+v, want the defaults for mask and tunnel", cfg.Cilium)
				}
			}},
		{"an explicit false overrides a true default", func() ekscilium.PlatformArgs {
			a := minimal
			a.Cluster = &ekscilium.ClusterConfig{KubeProxyReplacement: ptr(false)}
			a.Cilium.HubbleRelay = ptr(false)
			return a
		}, func(t *testing.T, cfg stackconfig.Config) {
			if cfg.Cluster.KubeProxyReplacement || cfg.Cilium.HubbleRelay {
				t.Errorf("kubeProxyReplacement=%v hubbleRelay=%v, want both false", cfg.Cluster.KubeProxyReplacement, cfg.Cilium.HubbleRelay)
			}
			if cfg.Cluster.ServiceCidr != stackconfig.Defaults().Cluster.ServiceCidr {
				t.Errorf("a partial cluster object lost the default serviceCidr: %q", cfg.Cluster.ServiceCidr)
			}
		}},
		{"absent add-ons and Karpenter stay absent", func() ekscilium.PlatformArgs { return minimal },
			func(t *testing.T, cfg stackconfig.Config) {
				if cfg.Addons != nil || cfg.Karpenter != nil {
					t.Errorf("addons %+v karpenter %+v, want nil (nothing installed)", cfg.Addons, cfg.Karpenter)
				}
			}},
		{"add-ons and node pools keep what is set and take the declared defaults for the rest", func() ekscilium.PlatformArgs {
			a := minimal
			a.Addons = &ekscilium.AddonsConfig{MetricsServer: &ekscilium.MetricsServerConfig{Version: "3.13.1"},
				AwsLoadBalancerController: &ekscilium.AwsLoadBalancerControllerConfig{Version: "3.5.0", ReplicaCount: ptr(3)}}
			a.Karpenter = &ekscilium.KarpenterConfig{Version: "1.14.1", NodePools: []ekscilium.NodePoolConfig{{
				Name: "default", InstanceCategories: []string{"c", "m"}, AmiVersion: "v20260512",
				MinInstance: &ekscilium.InstanceSize{Cpu: ptr(4)}, Limits: ekscilium.NodePoolLimits{Cpu: 16, Memory: ptr("64Gi")},
			}}}
			return a
		}, func(t *testing.T, cfg stackconfig.Config) {
			wantAddons := &stackconfig.AddonsConfig{MetricsServer: &stackconfig.MetricsServerConfig{Version: "3.13.1", Replicas: 1},
				AwsLoadBalancerController: &stackconfig.AwsLoadBalancerControllerConfig{Version: "3.5.0", ReplicaCount: 3}}
			if !reflect.DeepEqual(cfg.Addons, wantAddons) {
				t.Errorf("addons %+v, want %+v", cfg.Addons, wantAddons)
			}
			pool := stackconfig.Default[stackconfig.NodePoolConfig]()
			pool.Name, pool.InstanceCategories, pool.AmiVersion = "default", []string{"c", "m"}, "v20260512"
			pool.MinInstance.Cpu, pool.Limits = 4, stackconfig.NodePoolLimits{Cpu: 16, Memory: "64Gi"}
			wantKarpenter := &stackconfig.KarpenterConfig{Version: "1.14.1", NodePools: []stackconfig.NodePoolConfig{pool}}
			if !reflect.DeepEqual(cfg.Karpenter, wantKarpenter) {
				t.Errorf("karpenter %+v, want %+v", cfg.Karpenter, wantKarpenter)
			}
		}},
		{"a list given empty stays empty (the rules refuse it) instead of taking the default", func() ekscilium.PlatformArgs {
			a := minimal
			a.Karpenter = &ekscilium.KarpenterConfig{Version: "1.14.1", NodePools: []ekscilium.NodePoolConfig{{
				Name: "default", AmiVersion: "v20260512", CapacityTypes: []string{}, Limits: ekscilium.NodePoolLimits{Cpu: 16},
			}}}
			return a
		}, func(t *testing.T, cfg stackconfig.Config) {
			if got := cfg.Karpenter.NodePools[0].CapacityTypes; got == nil || len(got) != 0 {
				t.Errorf("capacityTypes = %#v, want the empty list given", got)
			}
		}},
		{"stack and region come from the program", func() ekscilium.PlatformArgs { return minimal },
			func(t *testing.T, cfg stackconfig.Config) {
				if cfg.Stack != "dev" || cfg.Region != "eu-west-1" || cfg.ClusterName() != "eks-cilium-dev" {
					t.Errorf("stack %q region %q cluster %q", cfg.Stack, cfg.Region, cfg.ClusterName())
				}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := tc.args().Config("dev", "eu-west-1")
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, cfg)
		})
	}
}
