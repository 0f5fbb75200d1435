package migration

import (
	"strings"
	"testing"

	"github.com/eks-cilium/eks-cilium/stackconfig"
	"github.com/eks-cilium/eks-cilium/stackconfig/stackconfigtest"
)

// cleanFacts are the facts of a cluster the adopted configuration (stackconfigtest.Adopted)
// describes exactly, with nothing the migration refuses or warns about.
func cleanFacts() *Facts {
	return &Facts{
		Cluster: ClusterFacts{Name: "legacy", Version: "1.35", VpcId: "vpc-0a1b2c3d4e5f60718", ServiceCidr: "172.20.0.0/16",
			IpFamily: "ipv4", SecurityGroupId: "sg-0c1a2b3c4d5e6f708"},
		VpcCidrs: []string{"10.0.0.0/16"},
		Routes:   []Route{{Table: "rtb-1", Cidr: "10.50.0.0/16", Target: "pcx-1"}},
		LegacyGroups: []LegacyGroup{
			{Name: "workers-a", Found: true, DesiredSize: 2, Nodes: 2, SecurityGroupIds: []string{"sg-0a1b2c3d4e5f60799"}},
			{Name: "workers-b", Found: true, DesiredSize: 1, Nodes: 1},
		},
		Nodes:   3,
		Addon:   &Addon{Version: "v1.20.4-eksbuild.1"},
		AwsNode: &DaemonSet{DesiredNumberScheduled: 3, CurrentNumberScheduled: 3, Env: map[string]string{}},
	}
}

// drained are clean facts once every legacy node is gone.
func drained() *Facts {
	f := cleanFacts()
	for i := range f.LegacyGroups {
		f.LegacyGroups[i].DesiredSize, f.LegacyGroups[i].Nodes = 0, 0
	}
	f.Nodes = 3
	f.AwsNode.DesiredNumberScheduled, f.AwsNode.CurrentNumberScheduled = 0, 0
	return f
}

func TestCheck_AcceptsACleanClusterInEveryPhase(t *testing.T) {
	for _, tt := range []struct {
		phase, previous string
		facts           *Facts
	}{
		{"install", "", cleanFacts()},
		{"finalize", "install", drained()},
		{"remove-aws-node", "finalize", drained()},
	} {
		cfg := stackconfigtest.Adopted()
		cfg.Migration.Phase = tt.phase
		if w, r := Check(cfg, tt.previous, tt.facts, 12, 256); len(w) != 0 || len(r) != 0 {
			t.Errorf("%s: warnings %v, refusals %v", tt.phase, w, r)
		}
	}
}

func TestCheck_RefusesWhatOnlyTheClusterShows(t *testing.T) {
	tests := []struct {
		name     string
		phase    string
		previous string
		facts    func(f *Facts)
		config   func(c *stackconfig.Config)
		key      string
		rule     string
	}{
		{name: "another VPC", facts: func(f *Facts) { f.Cluster.VpcId = "vpc-0ffffffffffffffff" },
			key: "eks-cilium:vpc.id", rule: "is not the VPC of cluster legacy (vpc-0ffffffffffffffff)"},
		{name: "another service range", facts: func(f *Facts) { f.Cluster.ServiceCidr = "10.100.0.0/16" },
			key: "eks-cilium:cluster.serviceCidr", rule: "is not the service range of cluster legacy (10.100.0.0/16)"},
		{name: "another Kubernetes version", facts: func(f *Facts) { f.Cluster.Version = "1.34" },
			key: "eks-cilium:cluster.version", rule: "this stack does not upgrade an adopted control plane"},
		{name: "EKS Auto Mode", facts: func(f *Facts) { f.Cluster.AutoMode = true },
			key: "eks-cilium:cluster.existing", rule: "EKS Auto Mode"},
		{name: "IPv6", facts: func(f *Facts) { f.Cluster.IpFamily = "ipv6" },
			key: "eks-cilium:cluster.existing", rule: "is ipv6"},
		{name: "Fargate profiles", facts: func(f *Facts) { f.FargateProfiles = []string{"batch"} },
			key: "eks-cilium:cluster.existing", rule: "has Fargate profiles (batch)"},
		{name: "Cilium chained to the VPC CNI", facts: func(f *Facts) { f.Cilium = Cilium{Present: true, ChainingMode: "aws-cni"} },
			key: "eks-cilium:cluster.existing", rule: "runs Cilium chained to aws-cni"},
		{name: "a Cilium of its own", facts: func(f *Facts) { f.Cilium = Cilium{Present: true} },
			key: "eks-cilium:cluster.existing", rule: "already runs a Cilium"},
		{name: "a secondary VPC CIDR under the pool", facts: func(f *Facts) { f.VpcCidrs = append(f.VpcCidrs, "100.64.0.0/16") },
			key: "eks-cilium:cilium.clusterPoolIPv4PodCIDRList[0]", rule: "overlaps 100.64.0.0/16, a CIDR of VPC vpc-0a1b2c3d4e5f60718"},
		{name: "a peered range under the pool", facts: func(f *Facts) { f.Routes = append(f.Routes, Route{"rtb-2", "100.64.128.0/17", "tgw-1"}) },
			key: "eks-cilium:cilium.clusterPoolIPv4PodCIDRList[0]", rule: "a route of rtb-2 to tgw-1"},
		{name: "the live service range under the pool", facts: func(f *Facts) { f.Cluster.ServiceCidr = "100.64.0.0/20" },
			config: func(c *stackconfig.Config) { c.Cluster.ServiceCidr = "100.64.0.0/20" },
			key:    "eks-cilium:cilium.clusterPoolIPv4PodCIDRList[0]", rule: "the service range of cluster legacy"},
		{name: "a pool too small for the current nodes", facts: func(f *Facts) { f.Nodes = 250 },
			key: "eks-cilium:cilium.clusterPoolIPv4PodCIDRList", rule: "cluster's 250 current nodes as well as the 12"},
		{name: "a legacy security group not listed", facts: func(f *Facts) { f.LegacyGroups[1].SecurityGroupIds = []string{"sg-0b0b0b0b0b0b0b0b0"} },
			key: "eks-cilium:migration.legacySecurityGroupIds", rule: "does not list sg-0b0b0b0b0b0b0b0b0 (workers-b)"},
		{name: "addon mode without the add-on", facts: func(f *Facts) { f.Addon, f.AddonError = nil, "ResourceNotFoundException: No addon: vpc-cni found" },
			key: "eks-cilium:migration.awsNode", rule: "has no vpc-cni EKS add-on (EKS: ResourceNotFoundException"},
		{name: "self-managed with the add-on", config: func(c *stackconfig.Config) { c.Migration.AwsNode = "selfManaged" },
			key: "eks-cilium:migration.awsNode", rule: "runs aws-node as the vpc-cni EKS add-on"},
		{name: "no aws-node at all", facts: func(f *Facts) { f.AwsNode = nil },
			key: "eks-cilium:cluster.existing", rule: "has no kube-system/aws-node DaemonSet"},
		{name: "a legacy group EKS does not know", facts: func(f *Facts) {
			f.LegacyGroups[1] = LegacyGroup{Name: "workers-b", Error: "couldn't find resource"}
		}, key: "eks-cilium:migration.legacyNodeGroups[1]", rule: "cannot be read as a managed node group of cluster legacy (EKS: couldn't find resource)"},
		{name: "finalize with legacy nodes", phase: "finalize", previous: "install", facts: func(f *Facts) {
			*f = *drained()
			f.LegacyGroups[0].Nodes = 1
		}, key: "eks-cilium:migration.phase", rule: "legacy node group workers-a still has 1 nodes (desiredSize 0)"},
		{name: "finalize with a legacy group still sized", phase: "finalize", previous: "install", facts: func(f *Facts) {
			*f = *drained()
			f.LegacyGroups[1].DesiredSize = 1
		}, key: "eks-cilium:migration.phase", rule: "legacy node group workers-b still has 0 nodes (desiredSize 1)"},
		{name: "finalize with aws-node scheduled", phase: "finalize", previous: "install", facts: func(f *Facts) {
			*f = *drained()
			f.AwsNode.DesiredNumberScheduled = 1
		}, key: "eks-cilium:migration.phase", rule: "aws-node is still scheduled on 0 nodes (desiredNumberScheduled 1)"},
		{name: "remove-aws-node with aws-node running", phase: "remove-aws-node", previous: "finalize", facts: func(f *Facts) {
			*f = *drained()
			f.AwsNode.CurrentNumberScheduled = 2
		}, key: "eks-cilium:migration.phase", rule: "aws-node is still scheduled on 2 nodes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := stackconfigtest.Adopted()
			if tt.phase != "" {
				cfg.Migration.Phase = tt.phase
			}
			if tt.config != nil {
				tt.config(&cfg)
			}
			f := cleanFacts()
			if tt.facts != nil {
				tt.facts(f)
			}
			_, refusals := Check(cfg, tt.previous, f, 12, 256)
			if len(refusals) != 1 {
				t.Fatalf("got %d refusals, want 1: %v", len(refusals), refusals)
			}
			if p := refusals[0]; p.Key != tt.key || !strings.Contains(p.Rule, tt.rule) {
				t.Errorf("got %v, want %s with %q", p, tt.key, tt.rule)
			}
		})
	}
}

func TestCheck_AcceptsWhatALaterPhaseExpects(t *testing.T) {
	// Our own Cilium once install is deployed; legacy groups deleted by their owner and the
	// add-on gone once aws-node is removed.
	cfg := stackconfigtest.Adopted()
	f := cleanFacts()
	f.Cilium = Cilium{Present: true}
	if _, r := Check(cfg, "install", f, 12, 256); len(r) != 0 {
		t.Errorf("install again, with the stack's own Cilium: %v", r)
	}
	cfg.Migration.Phase = "remove-aws-node"
	f = drained()
	f.Addon, f.AwsNode = nil, nil
	f.LegacyGroups[0] = LegacyGroup{Name: "workers-a", Error: "couldn't find resource"}
	if _, r := Check(cfg, "remove-aws-node", f, 12, 256); len(r) != 0 {
		t.Errorf("remove-aws-node once aws-node and a legacy group are gone: %v", r)
	}
}

func TestCheck_WarnsAboutWhatTheOverlayCannotCarryOver(t *testing.T) {
	tests := []struct {
		name  string
		facts func(f *Facts)
		rule  string
	}{
		{"NetworkPolicies", func(f *Facts) { f.NetworkPolicies = []string{"shop/deny-all"} }, "1 NetworkPolicies (shop/deny-all)"},
		{"SecurityGroupPolicies", func(f *Facts) { f.SecurityGroupPolicies = []string{"shop/db"} }, "1 SecurityGroupPolicies (shop/db): security groups for pods"},
		{"pod ENIs", func(f *Facts) { f.AwsNode.Env["ENABLE_POD_ENI"] = "true" }, "aws-node has ENABLE_POD_ENI=true"},
		{"IP targets", func(f *Facts) { f.IPTargets = []string{"Service shop/web"} }, "load balancers with IP targets (Service shop/web)"},
		{"webhooks off the host network", func(f *Facts) {
			f.HiddenBackends = []string{"ValidatingWebhookConfiguration gatekeeper (Service gk/webhook)"}
		},
			"the EKS control plane cannot reach pods on the overlay"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := cleanFacts()
			tt.facts(f)
			w, r := Check(stackconfigtest.Adopted(), "", f, 12, 256)
			if len(r) != 0 || len(w) != 1 || w[0].Key != "eks-cilium:migration.phase" || !strings.Contains(w[0].Rule, tt.rule) {
				t.Errorf("warnings %v, refusals %v; want one warning with %q", w, r, tt.rule)
			}
		})
	}
	cfg := stackconfigtest.Adopted()
	cfg.Migration.Phase = "remove-aws-node"
	f := drained()
	f.NetworkPolicies = []string{"shop/deny-all"}
	if w, _ := Check(cfg, "finalize", f, 12, 256); len(w) != 0 {
		t.Errorf("remove-aws-node still warns about the migration's caveats: %v", w)
	}
}

func TestDeployTimeChecks_ListWhatEachPhaseReadsLive(t *testing.T) {
	for _, tt := range []struct {
		phase      string
		want, none []string
	}{
		{"install", []string{"EKS Auto Mode", "overlapping any CIDR of the VPC", "configurationValues are merged", "NetworkPolicies"}, []string{"desiredSize > 0"}},
		{"finalize", []string{"desiredSize > 0", "aws-node scheduled on any node", "NetworkPolicies"}, []string{"EKS Auto Mode"}},
		{"remove-aws-node", []string{"desiredSize > 0"}, []string{"NetworkPolicies", "configurationValues"}},
	} {
		cfg := stackconfigtest.Adopted()
		cfg.Migration.Phase = tt.phase
		text := strings.Join(DeployTimeChecks(cfg), "\n")
		for _, w := range tt.want {
			if !strings.Contains(text, w) {
				t.Errorf("%s: no deploy-time check mentions %q:\n%s", tt.phase, w, text)
			}
		}
		for _, n := range tt.none {
			if strings.Contains(text, n) {
				t.Errorf("%s: a deploy-time check mentions %q, which the phase does not check:\n%s", tt.phase, n, text)
			}
		}
	}
}
