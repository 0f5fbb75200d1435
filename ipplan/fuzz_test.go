package ipplan

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/eks-cilium/eks-cilium/stackconfig"
)

// FuzzNew varies the address fields of the valid base. New must never panic, must refuse
// with Problems that name our keys, and every plan it accepts must be self-consistent.
func FuzzNew(f *testing.F) {
	f.Add("10.200.0.0/16", 24, "192.168.0.0/16", "172.20.0.0/16", 110, 6)
	f.Add("10.200.0.0/16,10.201.0.0/20", 26, "10.0.0.0/16", "172.20.0.0/16", 0, 30)
	f.Add("100.64.0.0/10", 29, "10.1.2.0/24", "192.168.0.0/24", 4, 1)
	f.Add("10.200.0.0/22", 24, "192.168.0.0/24", "10.96.0.0/12", 250, 100)
	f.Add("10.200.1.0/16,fd00::/104,10.200.0.0", 30, "2001:db8::/56", "172.20.0.1/16", -1, 0)
	f.Add("0.0.0.0/0", 8, "192.168.0.0/8", "8.8.8.0/24", 251, 1<<62)
	f.Add("", 31, "", "", 1, -5)
	f.Fuzz(func(t *testing.T, pods string, mask int, vpc, svc string, maxPods, maxSize int) {
		cfg := validConfig()
		cfg.Cilium.ClusterPoolIPv4PodCIDRList = nil
		if pods != "" {
			cfg.Cilium.ClusterPoolIPv4PodCIDRList = strings.Split(pods, ",")
		}
		cfg.Cilium.ClusterPoolIPv4MaskSize = mask
		cfg.Vpc.Cidr, cfg.Cluster.ServiceCidr = vpc, svc
		cfg.NodeGroups[0].MaxPods, cfg.NodeGroups[0].MaxSize = maxPods, maxSize
		cfg.NodeGroups[0].MinSize, cfg.NodeGroups[0].DesiredSize = min(1, maxSize), min(1, maxSize)

		p, err := New(cfg)
		if err != nil {
			var ps stackconfig.Problems
			if !errors.As(err, &ps) || len(ps) == 0 {
				t.Fatalf("error %T %v, want non-empty Problems", err, err)
			}
			for _, pr := range ps {
				if !strings.HasPrefix(pr.Key, stackconfig.Namespace+":") || pr.Rule == "" {
					t.Errorf("problem without our key or a rule: %+v", pr)
				}
			}
			return
		}
		if err := consistent(p); err != nil {
			t.Fatalf("%v\n%s", err, p.Summary())
		}
	})
}

// consistent checks what every accepted plan promises.
func consistent(p *Plan) error {
	ranges := append([]netip.Prefix{p.VpcCIDR, p.ServiceCIDR}, p.PodCIDRs...)
	for i := range ranges {
		for j := i + 1; j < len(ranges); j++ {
			if ranges[i].Overlaps(ranges[j]) {
				return fmt.Errorf("accepted overlapping %s and %s", ranges[i], ranges[j])
			}
		}
	}
	var subnets []netip.Prefix
	for _, s := range p.Subnets {
		subnets = append(subnets, s.Private, s.Public)
	}
	for i, s := range subnets {
		if !within(s, p.VpcCIDR) || s.Bits() < minSubnetBits || s.Bits() > maxSubnetBits {
			return fmt.Errorf("subnet %s outside VPC %s or AWS's sizes", s, p.VpcCIDR)
		}
		for _, o := range subnets[i+1:] {
			if s.Overlaps(o) {
				return fmt.Errorf("subnets %s and %s overlap", s, o)
			}
		}
	}
	for _, g := range p.NodeGroups {
		if g.MaxPods < 1 || g.MaxPods > p.UsablePodIPsPerNode {
			return fmt.Errorf("group %s: maxPods %d, %d pod IPs per node", g.Name, g.MaxPods, p.UsablePodIPsPerNode)
		}
	}
	if p.NodeCIDRsTotal < uint64(p.NodeCIDRsNeeded) || p.NodeCIDRsNeeded < 1 {
		return fmt.Errorf("node CIDRs: %d total, %d needed", p.NodeCIDRsTotal, p.NodeCIDRsNeeded)
	}
	return nil
}
