package ipplan

import (
	"fmt"
	"testing"

	"github.com/eks-cilium/eks-cilium/stackconfig"
)

// BenchmarkNew plans a large stack: 32 pod CIDRs and 20 node groups.
func BenchmarkNew(b *testing.B) {
	cfg := validConfig()
	cfg.Cilium.ClusterPoolIPv4PodCIDRList = nil
	for i := range 32 {
		cfg.Cilium.ClusterPoolIPv4PodCIDRList = append(cfg.Cilium.ClusterPoolIPv4PodCIDRList, fmt.Sprintf("10.%d.0.0/16", 100+i))
	}
	types := []string{"m5.large", "m5.xlarge", "c5.2xlarge", "r5.large", "t3.medium"}
	cfg.NodeGroups = nil
	for i := range 20 {
		ng := stackconfig.Default[stackconfig.NodeGroupConfig]()
		ng.Name = fmt.Sprintf("group-%d", i)
		ng.InstanceTypes = []string{types[i%len(types)], types[(i+1)%len(types)]}
		ng.MinSize, ng.DesiredSize, ng.MaxSize, ng.MaxPods = 1, 2, 10, 110
		ng.Labels = map[string]string{"workload": ng.Name}
		cfg.NodeGroups = append(cfg.NodeGroups, ng)
	}
	if _, err := New(cfg); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := New(cfg); err != nil {
			b.Fatal(err)
		}
	}
}
