package fleet

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/eks-cilium/eks-cilium/ipplan"
	"github.com/eks-cilium/eks-cilium/stackconfig"
	"github.com/eks-cilium/eks-cilium/stackconfig/stackconfigtest"
)

// region is one member of the three-Region test fleet (docs/fleet.md's example): its stack,
// Region, ID and the second octet of its VPC (10.N.0.0/16), pods (10.10N.0.0/16) and
// services (172.(19+N).0.0/16).
type region struct {
	stack, region string
	n             int
}

var threeRegions = []region{{"euw1", "eu-west-1", 1}, {"use1", "us-east-1", 2}, {"apse1", "ap-southeast-1", 3}}

// memberConfig is a valid member of the three-Region fleet, peering with the other two, with
// the fleet-wide MTU of an inter-Region path.
func memberConfig(r region, peers ...string) stackconfig.Config {
	cfg := stackconfigtest.Valid()
	cfg.Stack, cfg.Region = r.stack, r.region
	cfg.Vpc.Cidr = fmt.Sprintf("10.%d.0.0/16", r.n)
	cfg.Cluster.ServiceCidr = fmt.Sprintf("172.%d.0.0/16", 19+r.n)
	cfg.Cilium.ClusterPoolIPv4PodCIDRList = []string{fmt.Sprintf("10.%d.0.0/16", 100+r.n)}
	cfg.Cilium.Values = map[string]any{"MTU": 8500}
	cfg.Addons = &stackconfig.AddonsConfig{AwsLoadBalancerController: &stackconfig.AwsLoadBalancerControllerConfig{Version: "3.5.0", ReplicaCount: 2}}
	m := stackconfig.Default[stackconfig.ClusterMeshConfig]()
	m.Id, m.Peers = r.n, peers
	cfg.ClusterMesh = &m
	return cfg
}

// fleetConfigs is the three-Region fleet, every member listing the other two.
func fleetConfigs() []stackconfig.Config {
	var out []stackconfig.Config
	for _, r := range threeRegions {
		var peers []string
		for _, o := range threeRegions {
			if o.stack != r.stack {
				peers = append(peers, o.stack)
			}
		}
		out = append(out, memberConfig(r, peers...))
	}
	return out
}

func source(stack string) string { return "stacks/Pulumi." + stack + ".yaml" }

// members plans each configuration and returns it as a mesh member from its stack file.
func members(t *testing.T, cfgs []stackconfig.Config) []Member {
	t.Helper()
	var out []Member
	for _, cfg := range cfgs {
		ip, err := ipplan.New(cfg)
		if err != nil {
			t.Fatalf("planning %s: %v", cfg.Stack, err)
		}
		m, ok := FromConfig(source(cfg.Stack), cfg, ip)
		if !ok {
			t.Fatalf("%s is not a mesh member", cfg.Stack)
		}
		out = append(out, m)
	}
	return out
}

func TestCheck_AcceptsTheThreeRegionFleet(t *testing.T) {
	w, r := Check(members(t, fleetConfigs()))
	if len(r) != 0 || len(w) != 0 {
		t.Errorf("refusals %v, warnings %v; want none", r, w)
	}
}

// Each cross-stack rule refuses one edit of the valid fleet, naming the stack file and the key.
func TestCheck_RefusesEveryCrossStackProblemNamingFileAndKey(t *testing.T) {
	tests := []struct {
		name     string
		edit     func(cfgs []stackconfig.Config)
		source   string // the stack file the refusal names
		key      string
		mentions string
	}{
		{"duplicate ID", func(c []stackconfig.Config) { c[2].ClusterMesh.Id = 1 }, "euw1", "eks-cilium:clusterMesh.id", "also the ID of stacks/Pulumi.apse1.yaml"},
		{"duplicate cluster name", func(c []stackconfig.Config) { c[1].Cluster.Name = "eks-cilium-euw1" }, "use1", "eks-cilium:cluster.name", "also the cluster name"},
		{"differing maxConnectedClusters", func(c []stackconfig.Config) { c[1].ClusterMesh.MaxConnectedClusters = 511 }, "use1", "eks-cilium:clusterMesh.maxConnectedClusters", "(255)"},
		{"peer not listed back", func(c []stackconfig.Config) { c[2].ClusterMesh.Peers = []string{"euw1"} }, "apse1", "eks-cilium:clusterMesh.peers", "does not list use1"},
		{"unknown peer", func(c []stackconfig.Config) { c[0].ClusterMesh.Peers = append(c[0].ClusterMesh.Peers, "saeast1") }, "euw1", "eks-cilium:clusterMesh.peers[2]", "not a mesh member here"},
		{"overlapping pod pools", func(c []stackconfig.Config) {
			c[1].Cilium.ClusterPoolIPv4PodCIDRList = []string{"10.102.0.0/16", "10.101.128.0/17"}
		}, "use1", "eks-cilium:cilium.clusterPoolIPv4PodCIDRList[1]", "overlaps stacks/Pulumi.euw1.yaml's eks-cilium:cilium.clusterPoolIPv4PodCIDRList[0]"},
		{"pod pool in a peer's VPC", func(c []stackconfig.Config) { c[0].Cilium.ClusterPoolIPv4PodCIDRList = []string{"10.3.0.0/16"} }, "euw1", "eks-cilium:cilium.clusterPoolIPv4PodCIDRList[0]", "the VPC of stacks/Pulumi.apse1.yaml"},
		{"overlapping VPCs", func(c []stackconfig.Config) { c[2].Vpc.Cidr = "10.1.0.0/16" }, "apse1", "eks-cilium:vpc.cidr", "overlaps stacks/Pulumi.euw1.yaml's eks-cilium:vpc.cidr"},
		{"equal service ranges", func(c []stackconfig.Config) { c[1].Cluster.ServiceCidr = "172.20.0.0/16" }, "use1", "eks-cilium:cluster.serviceCidr", "overlaps stacks/Pulumi.euw1.yaml's eks-cilium:cluster.serviceCidr"},
		{"service range over a peer's pods", func(c []stackconfig.Config) { c[0].Cluster.ServiceCidr = "10.102.0.0/16" }, "euw1", "eks-cilium:cluster.serviceCidr", "remote pods"},
		{"different tunnel protocol", func(c []stackconfig.Config) { c[1].Cilium.TunnelProtocol = "geneve" }, "use1", "eks-cilium:cilium.tunnelProtocol", "decapsulate"},
		{"WireGuard on one member", func(c []stackconfig.Config) { c[2].Cilium.Encryption = "wireguard" }, "apse1", "eks-cilium:cilium.encryption", "WireGuard"},
		{"Cilium minors two apart", func(c []stackconfig.Config) { c[1].Cilium.Version = "1.21.0" }, "use1", "eks-cilium:cilium.version", "more than one minor"},
		{"different connectivity", func(c []stackconfig.Config) {
			c[2].ClusterMesh.Connectivity, c[2].ClusterMesh.TransitGatewayId = stackconfig.ConnectivityTransitGateway, "tgw-0123abcd"
		}, "apse1", "eks-cilium:clusterMesh.connectivity", "differs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfgs := fleetConfigs()
			tt.edit(cfgs)
			_, refused := Check(members(t, cfgs))
			found := false
			for _, p := range refused {
				if p.Source == source(tt.source) && p.Key == tt.key && strings.Contains(p.String(), tt.mentions) {
					found = true
				}
			}
			if !found {
				t.Errorf("want a refusal of %s in %s mentioning %q, got:\n%v", tt.key, source(tt.source), tt.mentions, refused)
			}
			if len(refused) > 2 {
				t.Errorf("one edit, %d refusals (each pair is reported once, on one side):\n%v", len(refused), refused)
			}
		})
	}
}

func TestCheck_TransitGatewayMembersShareOneGatewayAndRegion(t *testing.T) {
	tgwFleet := func(edit func([]stackconfig.Config)) []stackconfig.Config {
		cfgs := fleetConfigs()[:2]
		for i := range cfgs {
			cfgs[i].Region = "eu-west-1"
			cfgs[i].ClusterMesh.Peers = []string{cfgs[1-i].Stack}
			cfgs[i].ClusterMesh.Connectivity, cfgs[i].ClusterMesh.TransitGatewayId = stackconfig.ConnectivityTransitGateway, "tgw-0123abcd"
		}
		edit(cfgs)
		return cfgs
	}
	if w, r := Check(members(t, tgwFleet(func([]stackconfig.Config) {}))); len(r) != 0 || len(w) != 0 {
		t.Fatalf("a valid transit gateway pair: refusals %v, warnings %v", r, w)
	}
	for name, tt := range map[string]struct {
		edit func([]stackconfig.Config)
		key  string
	}{
		"another gateway": {func(c []stackconfig.Config) { c[1].ClusterMesh.TransitGatewayId = "tgw-0123abce" }, "eks-cilium:clusterMesh.transitGatewayId"},
		"another Region":  {func(c []stackconfig.Config) { c[1].Region = "us-east-1" }, stackconfig.KeyRegion},
	} {
		t.Run(name, func(t *testing.T) {
			_, r := Check(members(t, tgwFleet(tt.edit)))
			if len(r) != 1 || r[0].Key != tt.key || r[0].Source != source("use1") {
				t.Errorf("want one refusal of %s in use1, got %v", tt.key, r)
			}
		})
	}
}

func TestCheck_WarnsWhereAPathCarriesLessThanTheTunnel(t *testing.T) {
	tests := []struct {
		name string
		edit func([]stackconfig.Config)
		want []string // source:key of every warning
	}{
		{"inter-Region peering, MTU unset on one", func(c []stackconfig.Config) { c[1].Cilium.Values = nil }, []string{
			"use1:" + keyMTU + ":(unset: 9001 detected)", "use1:" + keyMTU + ":0"}},
		{"inter-Region peering, MTU above the path", func(c []stackconfig.Config) {
			for i := range c {
				c[i].Cilium.Values = map[string]any{"MTU": 9001}
			}
		}, []string{"apse1:" + keyMTU + ":9001", "euw1:" + keyMTU + ":9001", "use1:" + keyMTU + ":9001"}},
		{"one Region, jumbo path, no MTU set", func(c []stackconfig.Config) {
			for i := range c {
				c[i].Region, c[i].Cilium.Values = "eu-west-1", nil
			}
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfgs := fleetConfigs()
			tt.edit(cfgs)
			w, r := Check(members(t, cfgs))
			if len(r) != 0 {
				t.Fatalf("refused: %v", r)
			}
			var got []string
			for _, p := range w {
				got = append(got, strings.TrimSuffix(strings.TrimPrefix(p.Source, "stacks/Pulumi."), ".yaml")+":"+p.Key+":"+p.Value)
			}
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("warnings %q, want %q:\n%v", got, tt.want, w)
			}
		})
	}
}

func TestCheck_PeeringQuota(t *testing.T) {
	var cfgs []stackconfig.Config
	const n = 52
	for i := 1; i <= n; i++ {
		var peers []string
		for j := 1; j <= n; j++ {
			if j != i {
				peers = append(peers, fmt.Sprintf("m%d", j))
			}
		}
		cfg := memberConfig(region{fmt.Sprintf("m%d", i), "eu-west-1", 1}, peers...)
		cfg.Vpc.Cidr = fmt.Sprintf("10.%d.0.0/16", i)
		cfg.Cluster.ServiceCidr = fmt.Sprintf("172.%d.%d.0/24", 16+i/64, (i%64)*4)
		cfg.Cilium.ClusterPoolIPv4PodCIDRList = []string{fmt.Sprintf("100.%d.0.0/16", 64+i)}
		cfg.ClusterMesh.Id = i
		cfgs = append(cfgs, cfg)
	}
	w, r := Check(members(t, cfgs))
	if len(r) != 0 {
		t.Fatalf("refused: %v", r)
	}
	quota := 0
	for _, p := range w {
		if p.Key == keyPeers && strings.Contains(p.Rule, "default quota of 50") {
			quota++
		}
	}
	if quota != n {
		t.Errorf("%d members warned about the peering quota, want all %d: %v", quota, n, w)
	}
}

// Two meshes in one directory may reuse IDs, names of nothing, and address ranges only
// across meshes that never connect.
func TestCheck_SeparateMeshesAreCheckedSeparately(t *testing.T) {
	cfgs := fleetConfigs()[:2]
	cfgs[0].ClusterMesh.Peers, cfgs[1].ClusterMesh.Peers = nil, nil
	cfgs[1].ClusterMesh.Id = cfgs[0].ClusterMesh.Id
	cfgs[1].Cilium.ClusterPoolIPv4PodCIDRList = cfgs[0].Cilium.ClusterPoolIPv4PodCIDRList
	if w, r := Check(members(t, cfgs)); len(r) != 0 || len(w) != 0 {
		t.Errorf("two meshes of one member each: refusals %v, warnings %v", r, w)
	}
}

func deployed(t *testing.T, m Member) Member {
	t.Helper()
	out, ok, err := FromOutputs(m.Stack, roundTrip(t, Outputs(m)))
	if err != nil || !ok {
		t.Fatalf("reading back %s: %v", m.Stack, err)
	}
	return out
}

// Under `pulumi up` the member being deployed is checked against its deployed peers, and the
// refusal names the member's own key.
func TestCheckDeployed_RefusesTheMemberBeingDeployed(t *testing.T) {
	ms := members(t, fleetConfigs())
	self := ms[0]
	self.ID = 3 // apse1's
	_, r := CheckDeployed(self, []Member{deployed(t, ms[1]), deployed(t, ms[2])})
	if len(r) != 1 || r[0].Source != source("euw1") || r[0].Key != keyID || !strings.Contains(r[0].Rule, "stack apse1 (deployed)") {
		t.Errorf("want one refusal of euw1's %s naming stack apse1 (deployed), got %v", keyID, r)
	}
}

func TestCheckDeployed_RefusesAPeerWithoutTheController(t *testing.T) {
	ms := members(t, fleetConfigs())
	peer := deployed(t, ms[1])
	peer.LoadBalancerController = false
	_, r := CheckDeployed(ms[0], []Member{peer})
	if len(r) != 1 || r[0].Source != "stack use1 (deployed)" || r[0].Key != keyLBC {
		t.Errorf("want a refusal of use1's %s, got %v", keyLBC, r)
	}
}

func TestAPIServerAddresses_AreTheLastUsableAddressOfEachPrivateSubnet(t *testing.T) {
	cfg := memberConfig(threeRegions[0])
	ip, err := ipplan.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	got := APIServerAddresses(ip)
	// 3 AZs in 10.1.0.0/16: k = 2, eight blocks of /19; the private subnets are blocks 0-2.
	want := []netip.Addr{netip.MustParseAddr("10.1.31.254"), netip.MustParseAddr("10.1.63.254"), netip.MustParseAddr("10.1.95.254")}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("addresses %v, want %v", got, want)
	}
	for i, a := range got {
		if s := ip.Subnets[i].Private; !s.Contains(a) {
			t.Errorf("%s is outside private subnet %s", a, s)
		}
	}
}
