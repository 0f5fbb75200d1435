package ipplan

import (
	"strings"
	"testing"

	"github.com/eks-cilium/eks-cilium/stackconfig"
)

// TestNew_RefusesBadConfig changes one thing of the valid base per case and expects the
// problem naming that key, the rule's distinctive words and, where there is one, the fix.
func TestNew_RefusesBadConfig(t *testing.T) {
	ng0 := func(f func(*stackconfig.NodeGroupConfig)) func(*stackconfig.Config) {
		return func(c *stackconfig.Config) { f(&c.NodeGroups[0]) }
	}
	pods := func(list ...string) func(*stackconfig.Config) {
		return func(c *stackconfig.Config) { c.Cilium.ClusterPoolIPv4PodCIDRList = list }
	}
	cases := []struct {
		name   string
		mutate func(*stackconfig.Config)
		key    string
		rule   string
		fix    string
		// problems is how many problems the change causes; 0 means 1.
		problems int
	}{
		// The pod pool.
		{"pod CIDR with host bits", pods("10.200.1.0/16"), keyPodCIDRs + "[0]", "not canonical", "did you mean 10.200.0.0/16?", 0},
		{"IPv6 pod CIDR", pods("10.200.0.0/16", "fd00:10::/104"), keyPodCIDRs + "[1]", "this is the IPv4 pool; IPv6 is not supported", "", 0},
		{"pod CIDR without length", pods("10.200.0.0"), keyPodCIDRs + "[0]", "address, not a CIDR", "10.200.0.0/16", 0},
		{"pod CIDR that is not a CIDR", pods("10.200.0.0/33"), keyPodCIDRs + "[0]", "is not a CIDR", "", 0},
		{"no pod CIDR", pods(), keyPodCIDRs, "Cilium's own 10.0.0.0/8 overlaps most VPCs", "10.200.0.0/16", 0},
		{"duplicate pod CIDR", pods("10.200.0.0/16", "10.200.0.0/16"), keyPodCIDRs + "[1]", "duplicates " + keyPodCIDRs + "[0]", "", 0},
		{"overlapping pod CIDRs", pods("10.200.0.0/16", "10.200.128.0/17"), keyPodCIDRs + "[1]", "overlaps " + keyPodCIDRs + "[0] (10.200.0.0/16)", "", 0},
		{"pod CIDR inside the VPC", pods("192.168.128.0/17"), keyPodCIDRs + "[0]", "overlaps eks-cilium:vpc.cidr (192.168.0.0/16)", "", 0},
		{"pod CIDR on the services", pods("172.20.0.0/16"), keyPodCIDRs + "[0]", "overlaps eks-cilium:cluster.serviceCidr (172.20.0.0/16)", "", 0},
		{"link-local pod CIDR", pods("169.254.0.0/16"), keyPodCIDRs + "[0]", "instance metadata service", "", 0},
		{"loopback pod CIDR", pods("127.16.0.0/16"), keyPodCIDRs + "[0]", "127.0.0.0/8 (loopback)", "", 0},
		{"multicast pod CIDR", pods("230.0.0.0/16"), keyPodCIDRs + "[0]", "multicast", "", 0},
		{"pool too small for the nodes", pods("10.200.0.0/22"), keyPodCIDRs, "holds 4 node CIDRs of /24 but the node groups need 12", "append a /21 or larger CIDR", 0},
		{"pool too small, a longer mask would fit", func(c *stackconfig.Config) {
			c.Cilium.ClusterPoolIPv4PodCIDRList = []string{"10.200.0.0/22"}
			c.NodeGroups[0].MaxPods = 50
		}, keyPodCIDRs, "need 12", "set clusterPoolIPv4MaskSize to 26", 0},

		// The per-node mask.
		{"mask longer than /30", func(c *stackconfig.Config) { c.Cilium.ClusterPoolIPv4MaskSize = 31 }, keyMaskSize, "Cilium's smallest per-node CIDR is a /30", "", 0},
		{"mask shorter than /8", func(c *stackconfig.Config) { c.Cilium.ClusterPoolIPv4MaskSize = 4 }, keyMaskSize, "must be at least 8", "", 0},
		{"mask shorter than a pod CIDR", func(c *stackconfig.Config) { c.Cilium.ClusterPoolIPv4MaskSize = 15 }, keyMaskSize, keyPodCIDRs + "[0] (10.200.0.0/16) is a /16", "set clusterPoolIPv4MaskSize to 16 or more", 0},
		{"mask /30 leaves no pod IPs", func(c *stackconfig.Config) { c.Cilium.ClusterPoolIPv4MaskSize = 30 }, keyMaskSize, "leaves no pod IPs", "set clusterPoolIPv4MaskSize to 25 or less", 2},
		{"maxPods above the node CIDR", func(c *stackconfig.Config) { c.Cilium.ClusterPoolIPv4MaskSize = 26 }, "eks-cilium:nodeGroups[0].maxPods", "exceeds the 60 pod IPs of a /26 node CIDR (" + keyMaskSize + " is 26", "set clusterPoolIPv4MaskSize to 25 or less, or maxPods to 60 or less", 0},

		// The service range.
		{"public service CIDR", func(c *stackconfig.Config) { c.Cluster.ServiceCidr = "100.64.0.0/16" }, keyServiceCidr, "RFC 1918", "172.20.0.0/16", 0},
		{"service CIDR too large", func(c *stackconfig.Config) { c.Cluster.ServiceCidr = "10.0.0.0/11" }, keyServiceCidr, "must be a /12 to /24", "", 0},
		{"service CIDR inside the VPC", func(c *stackconfig.Config) { c.Cluster.ServiceCidr = "192.168.250.0/24" }, keyServiceCidr, "overlaps eks-cilium:vpc.cidr", "", 0},
		{"service CIDR with host bits", func(c *stackconfig.Config) { c.Cluster.ServiceCidr = "172.20.0.1/16" }, keyServiceCidr, "not canonical", "did you mean 172.20.0.0/16?", 0},

		// The VPC.
		{"VPC larger than /16", func(c *stackconfig.Config) { c.Vpc.Cidr = "10.0.0.0/12" }, keyVpcCidr, "must be a /16 to /24", "use a /16, e.g. 10.0.0.0/16", 0},
		{"VPC smaller than /24", func(c *stackconfig.Config) { c.Vpc.Cidr = "192.168.0.0/26" }, keyVpcCidr, "must be a /16 to /24", "use a /24 or larger", 0},
		{"IPv6 VPC", func(c *stackconfig.Config) { c.Vpc.Cidr = "2001:db8::/56" }, keyVpcCidr, "IPv6 is not supported", "", 0},
		{"link-local VPC", func(c *stackconfig.Config) { c.Vpc.Cidr = "169.254.0.0/16" }, keyVpcCidr, "AWS does not allow in a VPC", "", 0},
		{"private subnets too small for the nodes", func(c *stackconfig.Config) {
			c.Vpc.Cidr, c.Vpc.AvailabilityZones = "192.168.0.0/24", 6
			c.NodeGroups[0].MaxSize = 60
		}, keyVpcCidr, "6 private subnets (/28) hold 66 node IPs after AWS reserves 5 per subnet, but the node groups need 72", "use a /23 or larger VPC CIDR", 0},
		{"one AZ", func(c *stackconfig.Config) { c.Vpc.AvailabilityZones = 1 }, keyVpcAZs, "must be 2 to 6", "", 0},
		{"seven AZs", func(c *stackconfig.Config) { c.Vpc.AvailabilityZones = 7 }, keyVpcAZs, "must be 2 to 6", "", 0},
		{"too few zone names", func(c *stackconfig.Config) { c.Vpc.AvailabilityZoneNames = []string{"eu-west-1a", "eu-west-1b"} }, keyVpcAZNames, "lists 2 zones but vpc.availabilityZones is 3", "", 0},

		// Node groups.
		{"no node group", func(c *stackconfig.Config) { c.NodeGroups = nil }, stackconfig.KeyNodeGroups, "at least one node group", "instanceTypes: [m5.large]", 0},
		{"negative minSize", ng0(func(g *stackconfig.NodeGroupConfig) { g.MinSize = -1 }), "eks-cilium:nodeGroups[0].minSize", "must be 0 or more", "", 0},
		{"maxSize zero", ng0(func(g *stackconfig.NodeGroupConfig) { g.MinSize, g.DesiredSize, g.MaxSize = 0, 0, 0 }), "eks-cilium:nodeGroups[0].maxSize", "must be at least 1", "", 0},
		{"desiredSize below minSize", ng0(func(g *stackconfig.NodeGroupConfig) { g.MinSize = 4 }), "eks-cilium:nodeGroups[0].desiredSize", "must be at least minSize (4)", "", 0},
		{"desiredSize above maxSize", ng0(func(g *stackconfig.NodeGroupConfig) { g.DesiredSize = 7 }), "eks-cilium:nodeGroups[0].desiredSize", "must be at most maxSize (6)", "", 0},
		{"maxPods above 250", ng0(func(g *stackconfig.NodeGroupConfig) { g.MaxPods = 251 }), "eks-cilium:nodeGroups[0].maxPods", "at most 250", "", 0},
		{"negative maxPods", ng0(func(g *stackconfig.NodeGroupConfig) { g.MaxPods = -1 }), "eks-cilium:nodeGroups[0].maxPods", "must be 0 (automatic) or 1 to 250", "", 0},
		{"maxUnavailable zero", ng0(func(g *stackconfig.NodeGroupConfig) { g.MaxUnavailable = 0 }), "eks-cilium:nodeGroups[0].maxUnavailable", "must be 1 to 100", "", 0},
		{"maxUnavailable above EKS's quota", ng0(func(g *stackconfig.NodeGroupConfig) { g.MaxUnavailable = 101 }), "eks-cilium:nodeGroups[0].maxUnavailable", "must be 1 to 100", "", 0},

		// Envoy takes one more address of every node CIDR.
		{"maxPods above the node CIDR with Envoy on", func(c *stackconfig.Config) {
			c.Cilium.ClusterPoolIPv4MaskSize = 26
			c.NodeGroups[0].MaxPods = 60
			c.Cilium.Values = map[string]any{"ingressController": map[string]any{"enabled": true}}
		}, "eks-cilium:nodeGroups[0].maxPods", "exceeds the 59 pod IPs of a /26 node CIDR (" + keyMaskSize + " is 26; 64 addresses minus 5 Cilium reserves, one of them Envoy's ingress IP because eks-cilium:cilium.values.ingressController.enabled is set)", "or maxPods to 59 or less", 0},

		// The cluster.
		{"public access address without length", func(c *stackconfig.Config) { c.Cluster.PublicAccessCidrs = []string{"203.0.113.0/24", "198.51.100.7"} }, keyPublicAccessCidrs + "[1]", "address, not a CIDR", "198.51.100.7/32", 0},
	}
	if len(cases) < 30 {
		t.Fatalf("only %d cases", len(cases))
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := validConfig()
			tc.mutate(&cfg)
			p, err := New(cfg)
			if err == nil {
				t.Fatalf("New accepted it:\n%s", p.Summary())
			}
			ps := problemsOf(t, err)
			if want := max(tc.problems, 1); len(ps) != want {
				t.Errorf("got %d problems, want %d:\n%v", len(ps), want, ps)
			}
			for _, p := range ps {
				if p.Key == tc.key && strings.Contains(p.Rule, tc.rule) {
					if !strings.Contains(p.Fix, tc.fix) {
						t.Errorf("fix = %q, want it to contain %q", p.Fix, tc.fix)
					}
					return
				}
			}
			t.Errorf("no problem with key %q and rule containing %q in:\n%v", tc.key, tc.rule, ps)
		})
	}
}
