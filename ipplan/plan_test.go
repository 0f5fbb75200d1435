package ipplan

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/eks-cilium/eks-cilium/instancetypes"
	"github.com/eks-cilium/eks-cilium/stackconfig"
)

// validConfig is the base every test mutates: 3 AZs in 192.168.0.0/16, services in
// 172.20.0.0/16, pods in 10.200.0.0/16 cut into /24s, one m5.large group of 2/3/6 at 110 pods.
func validConfig() stackconfig.Config {
	cfg := stackconfig.Defaults()
	cfg.Stack, cfg.Region = "test", "eu-west-1"
	cfg.Vpc.Cidr, cfg.Vpc.AvailabilityZones = "192.168.0.0/16", 3
	cfg.Cluster.ServiceCidr = "172.20.0.0/16"
	cfg.Cilium.ClusterPoolIPv4PodCIDRList = []string{"10.200.0.0/16"}
	cfg.Cilium.ClusterPoolIPv4MaskSize = 24
	ng := stackconfig.Default[stackconfig.NodeGroupConfig]()
	ng.Name, ng.InstanceTypes = "general", []string{"m5.large"}
	ng.MinSize, ng.DesiredSize, ng.MaxSize, ng.MaxPods = 2, 3, 6, 110
	cfg.NodeGroups = []stackconfig.NodeGroupConfig{ng}
	return cfg
}

func mustPlan(t *testing.T, cfg stackconfig.Config) *Plan {
	t.Helper()
	p, err := New(cfg)
	if err != nil {
		t.Fatalf("New refused a valid config:\n%v", err)
	}
	return p
}

func problemsOf(t *testing.T, err error) stackconfig.Problems {
	t.Helper()
	var ps stackconfig.Problems
	if !errors.As(err, &ps) {
		t.Fatalf("New returned %T (%v), want stackconfig.Problems", err, err)
	}
	return ps
}

func TestNew_SlashSixteenPoolWithMask24Holds256NodesOf252Pods(t *testing.T) {
	p := mustPlan(t, validConfig())
	if p.NodeCIDRsTotal != 256 {
		t.Errorf("NodeCIDRsTotal = %d, want 256", p.NodeCIDRsTotal)
	}
	if p.UsablePodIPsPerNode != 252 {
		t.Errorf("UsablePodIPsPerNode = %d, want 252 (256 − 4 reserved)", p.UsablePodIPsPerNode)
	}
	// maxSize 6 + surge 6 (2 × 3 AZs).
	if p.NodeCIDRsNeeded != 12 {
		t.Errorf("NodeCIDRsNeeded = %d, want 12", p.NodeCIDRsNeeded)
	}
	if want := 12.0 / 256; p.NodeCIDRUsage != want {
		t.Errorf("NodeCIDRUsage = %v, want %v", p.NodeCIDRUsage, want)
	}
	if p.MaskSize != 24 || p.VpcCIDR != netip.MustParsePrefix("192.168.0.0/16") || p.ServiceCIDR != netip.MustParsePrefix("172.20.0.0/16") {
		t.Errorf("mask/VPC/service = %d %s %s", p.MaskSize, p.VpcCIDR, p.ServiceCIDR)
	}
	if len(p.PodCIDRs) != 1 || p.PodCIDRs[0] != netip.MustParsePrefix("10.200.0.0/16") {
		t.Errorf("PodCIDRs = %v", p.PodCIDRs)
	}
	if len(p.Warnings) != 0 {
		t.Errorf("Warnings = %v, want none", p.Warnings)
	}
}

func TestNew_PoolCapacitySumsEveryCIDR(t *testing.T) {
	cfg := validConfig()
	cfg.Cilium.ClusterPoolIPv4PodCIDRList = []string{"10.200.0.0/16", "10.201.0.0/20", "10.202.0.0/24"}
	p := mustPlan(t, cfg)
	if p.NodeCIDRsTotal != 256+16+1 {
		t.Errorf("NodeCIDRsTotal = %d, want 273", p.NodeCIDRsTotal)
	}
}

func TestNew_NodeGroupComparesOverlayDensityWithENIMode(t *testing.T) {
	p := mustPlan(t, validConfig())
	g := p.NodeGroups[0]
	if g.Surge != 6 {
		t.Errorf("Surge = %d, want 6 (2 × 3 AZs)", g.Surge)
	}
	if g.ENIMaxPods != 29 {
		t.Errorf("ENIMaxPods = %d, want 29 (m5.large: 3 × (10 − 1) + 2)", g.ENIMaxPods)
	}
	if g.MaxPods != 110 || g.MaxPodsDefaulted {
		t.Errorf("MaxPods = %d (defaulted %v), want 110 as configured", g.MaxPods, g.MaxPodsDefaulted)
	}
	if want := 110.0 / 29; g.DensityRatio != want {
		t.Errorf("DensityRatio = %v, want %v", g.DensityRatio, want)
	}
	want := instancetypes.Info{Type: "m5.large", ENIs: 3, IPv4PerENI: 10, ENIMaxPods: 29, Architecture: instancetypes.X86_64}
	if len(g.Instances) != 1 || g.Instances[0] != want {
		t.Errorf("Instances = %+v, want [%+v]", g.Instances, want)
	}
	if g.Name != "general" || g.MinSize != 2 || g.DesiredSize != 3 || g.MaxSize != 6 {
		t.Errorf("group = %+v", g)
	}
}

func TestNew_ENIMaxPodsIsTheSmallestOfTheGroupsTypes(t *testing.T) {
	cfg := validConfig()
	cfg.NodeGroups[0].InstanceTypes = []string{"m5.large", "t3.medium"}
	g := mustPlan(t, cfg).NodeGroups[0]
	if g.ENIMaxPods != 17 {
		t.Errorf("ENIMaxPods = %d, want 17 (t3.medium)", g.ENIMaxPods)
	}
}

func TestNew_SurgeIsMaxUnavailableWhenLargerThanTwiceTheAZs(t *testing.T) {
	cfg := validConfig()
	cfg.NodeGroups[0].MaxUnavailable = 10
	p := mustPlan(t, cfg)
	if p.NodeGroups[0].Surge != 10 || p.NodeCIDRsNeeded != 16 {
		t.Errorf("Surge = %d, NodeCIDRsNeeded = %d; want 10 and 16", p.NodeGroups[0].Surge, p.NodeCIDRsNeeded)
	}
}

func TestNew_MaxPodsZeroMeansTheSmallerOf110AndTheNodeCIDR(t *testing.T) {
	for _, tc := range []struct {
		mask, want int
	}{{24, 110}, {25, 110}, {26, 60}, {29, 4}} {
		cfg := validConfig()
		cfg.Cilium.ClusterPoolIPv4MaskSize = tc.mask
		cfg.NodeGroups[0].MaxPods = 0
		g := mustPlan(t, cfg).NodeGroups[0]
		if g.MaxPods != tc.want || !g.MaxPodsDefaulted {
			t.Errorf("mask /%d: MaxPods = %d (defaulted %v), want %d defaulted", tc.mask, g.MaxPods, g.MaxPodsDefaulted, tc.want)
		}
	}
}

func TestNew_CarvesPrivateSubnetsLowAndPublicSubnetsHigh(t *testing.T) {
	p := mustPlan(t, validConfig())
	want := []AZSubnets{
		{Index: 0, Private: netip.MustParsePrefix("192.168.0.0/19"), Public: netip.MustParsePrefix("192.168.128.0/19")},
		{Index: 1, Private: netip.MustParsePrefix("192.168.32.0/19"), Public: netip.MustParsePrefix("192.168.160.0/19")},
		{Index: 2, Private: netip.MustParsePrefix("192.168.64.0/19"), Public: netip.MustParsePrefix("192.168.192.0/19")},
	}
	if len(p.Subnets) != len(want) {
		t.Fatalf("Subnets = %v, want %v", p.Subnets, want)
	}
	for i := range want {
		if p.Subnets[i] != want[i] {
			t.Errorf("Subnets[%d] = %+v, want %+v", i, p.Subnets[i], want[i])
		}
	}
}

func TestCarveSubnets_SplitsIntoTwiceTheNextPowerOfTwoBlocks(t *testing.T) {
	for _, tc := range []struct {
		vpc             string
		azs             int
		bits            int
		private, public []string
	}{
		{"10.0.0.0/16", 2, 18, []string{"10.0.0.0/18", "10.0.64.0/18"}, []string{"10.0.128.0/18", "10.0.192.0/18"}},
		{"10.0.0.0/16", 4, 19, []string{"10.0.0.0/19", "10.0.32.0/19", "10.0.64.0/19", "10.0.96.0/19"}, []string{"10.0.128.0/19", "10.0.160.0/19", "10.0.192.0/19", "10.0.224.0/19"}},
		{"10.0.0.0/16", 5, 20, []string{"10.0.0.0/20", "10.0.16.0/20", "10.0.32.0/20", "10.0.48.0/20", "10.0.64.0/20"}, []string{"10.0.128.0/20", "10.0.144.0/20", "10.0.160.0/20", "10.0.176.0/20", "10.0.192.0/20"}},
		{"10.1.2.0/24", 6, 28, []string{"10.1.2.0/28", "10.1.2.16/28", "10.1.2.32/28", "10.1.2.48/28", "10.1.2.64/28", "10.1.2.80/28"}, []string{"10.1.2.128/28", "10.1.2.144/28", "10.1.2.160/28", "10.1.2.176/28", "10.1.2.192/28", "10.1.2.208/28"}},
	} {
		subnets, bits := carveSubnets(netip.MustParsePrefix(tc.vpc), tc.azs)
		if bits != tc.bits || len(subnets) != tc.azs {
			t.Errorf("%s × %d AZs: /%d × %d, want /%d × %d", tc.vpc, tc.azs, bits, len(subnets), tc.bits, tc.azs)
			continue
		}
		for i, s := range subnets {
			if s.Index != i || s.Private.String() != tc.private[i] || s.Public.String() != tc.public[i] {
				t.Errorf("%s × %d AZs: subnet %d = %+v, want %s / %s", tc.vpc, tc.azs, i, s, tc.private[i], tc.public[i])
			}
		}
	}
}

func TestCarveSubnets_RefusesSubnetsSmallerThanSlash28(t *testing.T) {
	subnets, bits := carveSubnets(netip.MustParsePrefix("10.0.0.0/26"), 3)
	if subnets != nil || bits != 29 {
		t.Errorf("carveSubnets(/26, 3) = %v, /%d; want nil, /29", subnets, bits)
	}
}

func TestNew_NamedZonesLabelTheSubnets(t *testing.T) {
	cfg := validConfig()
	cfg.Vpc.AvailabilityZoneNames = []string{"eu-west-1a", "eu-west-1b", "eu-west-1c"}
	p := mustPlan(t, cfg)
	for i, z := range cfg.Vpc.AvailabilityZoneNames {
		if p.Subnets[i].Zone != z {
			t.Errorf("Subnets[%d].Zone = %q, want %q", i, p.Subnets[i].Zone, z)
		}
	}
}

func TestNew_ExistingVpcPlansNoSubnets(t *testing.T) {
	cfg := validConfig()
	cfg.Vpc.Id = "vpc-0123456789abcdef0"
	cfg.Vpc.PrivateSubnetIds = []string{"subnet-a", "subnet-b"}
	cfg.Vpc.PublicSubnetIds = []string{"subnet-c", "subnet-d"}
	p := mustPlan(t, cfg)
	if len(p.Subnets) != 0 {
		t.Errorf("Subnets = %v, want none for an existing VPC", p.Subnets)
	}
	if p.NodeCIDRsNeeded != 12 {
		t.Errorf("NodeCIDRsNeeded = %d, want 12", p.NodeCIDRsNeeded)
	}
}

func TestNew_ReportsEveryProblemAtOnce(t *testing.T) {
	cfg := validConfig()
	cfg.Vpc.Cidr = "192.168.0.0/8"
	cfg.NodeGroups[0].MaxUnavailable = 0
	ps := problemsOf(t, func() error { _, err := New(cfg); return err }())
	if len(ps) != 2 {
		t.Fatalf("got %d problems, want 2:\n%v", len(ps), ps)
	}
	if ps[0].Key != "eks-cilium:nodeGroups[0].maxUnavailable" || ps[1].Key != keyVpcCidr {
		t.Errorf("keys = %q, %q", ps[0].Key, ps[1].Key)
	}
}

func TestNew_ProblemsAreSortedByKeyWithNumericIndices(t *testing.T) {
	cfg := validConfig()
	for i := 1; i <= 11; i++ {
		ng := cfg.NodeGroups[0]
		ng.Name = "g" + strings.Repeat("x", i)
		cfg.NodeGroups = append(cfg.NodeGroups, ng)
	}
	cfg.NodeGroups[2].MaxUnavailable = 0
	cfg.NodeGroups[10].MaxUnavailable = 0
	cfg.Cluster.ServiceCidr = "latest"
	ps := problemsOf(t, func() error { _, err := New(cfg); return err }())
	var keys []string
	for _, p := range ps {
		keys = append(keys, p.Key)
	}
	want := []string{"eks-cilium:cluster.serviceCidr", "eks-cilium:nodeGroups[2].maxUnavailable", "eks-cilium:nodeGroups[10].maxUnavailable"}
	if strings.Join(keys, " ") != strings.Join(want, " ") {
		t.Errorf("keys = %v, want %v", keys, want)
	}
}

func TestNew_WarnsAboutAcceptedButRiskyChoices(t *testing.T) {
	cfg := validConfig()
	cfg.Cilium.ClusterPoolIPv4PodCIDRList = []string{"10.200.0.0/20"} // 16 node CIDRs for 14 nodes
	cfg.Cilium.ClusterPoolIPv4MaskSize = 24
	cfg.NodeGroups[0].MaxSize = 8
	cfg.NodeGroups[0].MaxPods = 200
	p := mustPlan(t, cfg)
	want := map[string]string{
		keyPodCIDRs:                        "88% of the pool",
		"eks-cilium:nodeGroups[0].maxPods": "caps managed node group maxPods at 110",
	}
	if len(p.Warnings) != len(want) {
		t.Fatalf("Warnings = %v, want %d", p.Warnings, len(want))
	}
	for _, w := range p.Warnings {
		if frag, ok := want[w.Key]; !ok || !strings.Contains(w.Rule, frag) {
			t.Errorf("warning %v; want one per key %v", w, want)
		}
	}
}

func TestNew_WarnsThatAPrivateEndpointIgnoresPublicAccessCidrs(t *testing.T) {
	cfg := validConfig()
	cfg.Cluster.EndpointPublicAccess = false
	if p := mustPlan(t, cfg); len(p.Warnings) != 0 {
		t.Errorf("private endpoint with the default CIDRs: Warnings = %v, want none", p.Warnings)
	}
	cfg.Cluster.PublicAccessCidrs = []string{"203.0.113.0/24"}
	p := mustPlan(t, cfg)
	if len(p.Warnings) != 1 || p.Warnings[0].Key != keyPublicAccessCidrs || !strings.Contains(p.Warnings[0].Rule, "is ignored") {
		t.Errorf("Warnings = %v, want one: publicAccessCidrs ignored", p.Warnings)
	}
	cfg.Cluster.EndpointPublicAccess = true
	if p := mustPlan(t, cfg); len(p.Warnings) != 0 {
		t.Errorf("public endpoint: Warnings = %v, want none", p.Warnings)
	}
}

func TestNew_WarnsAboutPublicPodRanges(t *testing.T) {
	cfg := validConfig()
	cfg.Cilium.ClusterPoolIPv4PodCIDRList = []string{"100.64.0.0/16", "203.0.113.0/24"}
	p := mustPlan(t, cfg)
	if len(p.Warnings) != 1 || p.Warnings[0].Key != keyPodCIDRs+"[1]" || !strings.Contains(p.Warnings[0].Rule, "not a private range") {
		t.Errorf("Warnings = %v, want one for the public 203.0.113.0/24 only", p.Warnings)
	}
}

func TestPlan_SummaryShowsTheNumbers(t *testing.T) {
	cfg := validConfig()
	cfg.NodeGroups = append(cfg.NodeGroups, cfg.NodeGroups[0])
	cfg.NodeGroups[1].Name, cfg.NodeGroups[1].InstanceTypes, cfg.NodeGroups[1].MaxPods = "small", []string{"t3.small", "t3.medium"}, 0
	want := `VPC         192.168.0.0/16
Services    172.20.0.0/16
Pod CIDRs   10.200.0.0/16
Node CIDR   /24: 252 pod IPs per node (256 addresses − 4 Cilium reserves)
Node CIDRs  256 available, 24 needed at maxSize + surge (9.4%)

AZ  ZONE  PRIVATE          PUBLIC
0   -     192.168.0.0/19   192.168.128.0/19
1   -     192.168.32.0/19  192.168.160.0/19
2   -     192.168.64.0/19  192.168.192.0/19

NODE GROUP  INSTANCES (ENI maxPods)        MIN/DESIRED/MAX  SURGE  MAXPODS     ENI MAXPODS  DENSITY
general     m5.large (29)                  2/3/6            6      110         29           3.8x
small       t3.small (11), t3.medium (17)  2/3/6            6      110 (auto)  11           10.0x
`
	got := mustPlan(t, cfg).Summary()
	if got != want {
		t.Errorf("Summary() =\n%s\nwant\n%s", got, want)
	}
}
