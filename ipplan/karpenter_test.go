package ipplan

import (
	"strings"
	"testing"

	"github.com/eks-cilium/eks-cilium/stackconfig"
)

// withPool is validConfig (one node group: maxSize 6 + surge 6 = 12 node CIDRs of the /16's
// 256) plus one node pool.
func withPool(f func(*stackconfig.NodePoolConfig)) stackconfig.Config {
	cfg := validConfig()
	pool := stackconfig.Default[stackconfig.NodePoolConfig]()
	pool.Name, pool.InstanceFamilies, pool.MaxPods = "default", []string{"m6i", "c6i"}, 110
	pool.Limits = stackconfig.NodePoolLimits{Cpu: 200, Memory: "800Gi"}
	if f != nil {
		f(&pool)
	}
	cfg.Karpenter = &stackconfig.KarpenterConfig{Version: "1.14.1", NodePools: []stackconfig.NodePoolConfig{pool}}
	return cfg
}

func TestKarpenterCountedMemoryMiB_TakesKarpentersOverheadOff(t *testing.T) {
	for _, tc := range []struct {
		mib   int64
		arm64 bool
		want  int64
	}{
		{4096, false, 4096 - 308},             // ceil(4096 × 0.075) = ceil(307.2)
		{4096, true, 4032 - 303},              // 64 MiB CMA first, then ceil(4032 × 0.075) = ceil(302.4)
		{8192, false, 8192 - 615},             // ceil(614.4)
		{1024 * 1024, false, 1048576 - 78644}, // ceil(78643.2)
	} {
		if got := KarpenterCountedMemoryMiB(tc.mib, tc.arm64); got != tc.want {
			t.Errorf("KarpenterCountedMemoryMiB(%d, arm64=%v) = %d, want %d", tc.mib, tc.arm64, got, tc.want)
		}
	}
}

func TestKarpenter_NodeCountIsTheLimitOverTheSmallestAllowedInstance(t *testing.T) {
	for _, tc := range []struct {
		name     string
		mutate   func(*stackconfig.NodePoolConfig)
		maxNodes int
		boundBy  string
	}{
		// 200 vCPU / 2 vCPU = 100; 800Gi / 3788 MiB counted = 216.
		{"cpu binds", nil, 100, "cpu"},
		// 64Gi = 65536 MiB / 3788 = 17.3.
		{"memory binds", func(p *stackconfig.NodePoolConfig) { p.Limits.Memory = "64Gi" }, 17, "memory"},
		{"nodes binds", func(p *stackconfig.NodePoolConfig) { p.Limits.Nodes = 5 }, 5, "nodes"},
		{"a larger smallest instance admits fewer nodes", func(p *stackconfig.NodePoolConfig) {
			p.MinInstance = stackconfig.InstanceSize{Cpu: 8, Memory: "32Gi"}
		}, 25, "cpu"},
		// 800Gi / (4032 − 303) MiB = 219.7, still above the cpu bound.
		{"arm64 counts less memory per node", func(p *stackconfig.NodePoolConfig) {
			p.Architectures, p.Limits.Memory = []string{"arm64"}, "40Gi"
		}, 10, "memory"}, // 40960 / 3729 = 10.98
		{"no memory limit: cpu alone", func(p *stackconfig.NodePoolConfig) { p.Limits.Memory = "" }, 100, "cpu"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := mustPlan(t, withPool(tc.mutate))
			got := p.Karpenter.NodePools[0]
			if got.MaxNodes != tc.maxNodes || got.BoundBy != tc.boundBy {
				t.Errorf("MaxNodes = %d (by %s), want %d (by %s)", got.MaxNodes, got.BoundBy, tc.maxNodes, tc.boundBy)
			}
			if got.Surge != got.MaxNodes {
				t.Errorf("Surge = %d, want one draining node per node (%d)", got.Surge, got.MaxNodes)
			}
			if want := 12 + 2*tc.maxNodes; p.NodeCIDRsNeeded != want {
				t.Errorf("NodeCIDRsNeeded = %d, want the node groups' 12 + 2 × %d", p.NodeCIDRsNeeded, tc.maxNodes)
			}
		})
	}
}

func TestKarpenter_MaxPodsZeroMeansTheSmallerOf110AndTheNodeCIDR(t *testing.T) {
	cfg := withPool(func(p *stackconfig.NodePoolConfig) { p.MaxPods = 0 })
	cfg.Cilium.ClusterPoolIPv4MaskSize = 25 // 124 pod IPs
	if got := mustPlan(t, cfg).Karpenter.NodePools[0]; got.MaxPods != 110 || !got.MaxPodsDefaulted {
		t.Errorf("MaxPods = %d (defaulted %v), want 110 (defaulted)", got.MaxPods, got.MaxPodsDefaulted)
	}
	cfg.Cilium.ClusterPoolIPv4MaskSize = 26 // 60 pod IPs
	cfg.NodeGroups[0].MaxPods = 60
	if got := mustPlan(t, cfg).Karpenter.NodePools[0]; got.MaxPods != 60 {
		t.Errorf("MaxPods = %d, want the node CIDR's 60", got.MaxPods)
	}
}

func TestKarpenter_RefusesANodePoolWithoutRoomInThePodPool(t *testing.T) {
	for _, tc := range []struct {
		name   string
		cfg    stackconfig.Config
		key    string
		rule   string
		fix    string
		others int // problems besides the one checked
	}{
		{
			// 250 nodes + 250 draining + 12 for the node group > 256; 122 × 2 + 12 = 256 fits.
			name: "limits too large for the pool",
			cfg:  withPool(func(p *stackconfig.NodePoolConfig) { p.Limits = stackconfig.NodePoolLimits{Cpu: 500} }),
			key:  "eks-cilium:karpenter.nodePools[0].limits", rule: "needs 512 node CIDRs of /24, the pool holds 256",
			fix: "set limits.nodes to 122 or less",
		},
		{
			name: "maxPods above the node CIDR",
			cfg: func() stackconfig.Config {
				c := withPool(nil)
				c.Cilium.ClusterPoolIPv4MaskSize, c.NodeGroups[0].MaxPods = 26, 60
				return c
			}(),
			key: "eks-cilium:karpenter.nodePools[0].maxPods", rule: "exceeds the 60 pod IPs of a /26 node CIDR",
			fix: "set maxPods to 60 or less, or clusterPoolIPv4MaskSize to 25 or less",
		},
		{
			// Private /27s hold 27 nodes each, 81 in all; 12 + 2 × 40 = 92.
			name: "private subnets too small for the pool's nodes",
			cfg: func() stackconfig.Config {
				c := withPool(func(p *stackconfig.NodePoolConfig) { p.Limits = stackconfig.NodePoolLimits{Cpu: 80} })
				c.Vpc.Cidr = "192.168.0.0/24"
				return c
			}(),
			key: keyVpcCidr, rule: "hold 81 node IPs", fix: "use a /23 or larger VPC CIDR",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.cfg)
			if err == nil {
				t.Fatal("New accepted it")
			}
			probs := problemsOf(t, err)
			found := false
			for _, p := range probs {
				if p.Key == tc.key && strings.Contains(p.Rule, tc.rule) && strings.Contains(p.Fix, tc.fix) {
					found = true
				}
			}
			if !found || len(probs) != 1+tc.others {
				t.Errorf("want one problem %s %q (fix %q), got:\n%v", tc.key, tc.rule, tc.fix, probs)
			}
		})
	}
}

func TestKarpenter_NamesEveryNodePoolWhenTogetherTheyDoNotFit(t *testing.T) {
	cfg := withPool(func(p *stackconfig.NodePoolConfig) { p.Limits = stackconfig.NodePoolLimits{Cpu: 200} })
	second := cfg.Karpenter.NodePools[0]
	second.Name = "batch"
	cfg.Karpenter.NodePools = append(cfg.Karpenter.NodePools, second)
	_, err := New(cfg) // 12 + 200 + 200 > 256
	probs := problemsOf(t, err)
	if len(probs) != 2 || probs[0].Key != "eks-cilium:karpenter.nodePools[0].limits" || probs[1].Key != "eks-cilium:karpenter.nodePools[1].limits" {
		t.Fatalf("want both node pools named, got:\n%v", probs)
	}
	// Either pool alone at 22 nodes (+22) fits beside the other's 200 and the group's 12.
	if !strings.Contains(probs[0].Fix, "set limits.nodes to 22 or less") {
		t.Errorf("fix = %q", probs[0].Fix)
	}
}

func TestKarpenter_NodeGroupsThatDoNotFitAreRefusedOnce(t *testing.T) {
	cfg := withPool(nil)
	cfg.Cilium.ClusterPoolIPv4PodCIDRList = []string{"10.200.0.0/22"} // 4 node CIDRs < 12
	probs := problemsOf(t, func() error { _, err := New(cfg); return err }())
	if len(probs) != 1 || probs[0].Key != keyPodCIDRs {
		t.Errorf("want only the node groups' refusal, got:\n%v", probs)
	}
}

func TestKarpenter_WithoutKarpenterThePlanHasNoShare(t *testing.T) {
	if p := mustPlan(t, validConfig()); p.Karpenter != nil || p.NodeCIDRsNeeded != 12 {
		t.Errorf("Karpenter = %v, NodeCIDRsNeeded = %d", p.Karpenter, p.NodeCIDRsNeeded)
	}
}

func TestKarpenter_SummaryShowsThePoolsShare(t *testing.T) {
	s := mustPlan(t, withPool(nil)).Summary()
	for _, want := range []string{
		"Karpenter: 200 of the 212 node CIDRs needed",
		"default", "2 vCPU, 4096 MiB (3788 MiB)", "{cpu: 200, memory: 819200Mi}", "100 (by cpu)",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("summary lacks %q:\n%s", want, s)
		}
	}
}
