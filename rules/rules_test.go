package rules

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/eks-cilium/eks-cilium/stackconfig"
	"github.com/eks-cilium/eks-cilium/stackconfig/stackconfigtest"
)

// today is the date every test checks against, so that no test changes with the calendar.
var today = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

// validConfig is the valid stack every test mutates (stackconfigtest.Valid).
func validConfig() stackconfig.Config { return stackconfigtest.Valid() }

func ng0(f func(*stackconfig.NodeGroupConfig)) func(*stackconfig.Config) {
	return func(c *stackconfig.Config) { f(&c.NodeGroups[0]) }
}

// refusal is one expected problem: the key, the rule's distinctive words and, where there is
// one, words of the fix.
type refusal struct {
	name   string
	mutate func(*stackconfig.Config)
	key    string
	rule   string
	fix    string
	// problems is how many refusals the change causes; 0 means 1.
	problems int
}

// checkRefusals runs Check on the valid base changed by each case and expects exactly the
// case's number of refusals, one of them naming the key with the rule and the fix.
func checkRefusals(t *testing.T, cases []refusal) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := validConfig()
			tc.mutate(&cfg)
			_, ps := Check(cfg, today)
			if want := max(tc.problems, 1); len(ps) != want {
				t.Errorf("got %d refusals, want %d:\n%v", len(ps), want, ps)
			}
			for _, p := range ps {
				if p.Key == tc.key && strings.Contains(p.Rule, tc.rule) {
					if !strings.Contains(p.Fix, tc.fix) {
						t.Errorf("fix = %q, want it to contain %q", p.Fix, tc.fix)
					}
					return
				}
			}
			t.Errorf("no refusal with key %q and rule containing %q in:\n%v", tc.key, tc.rule, ps)
		})
	}
}

func TestCheck_AcceptsTheValidBase(t *testing.T) {
	if w, r := Check(validConfig(), today); len(w) != 0 || len(r) != 0 {
		t.Errorf("warnings %v, refusals %v", w, r)
	}
}

func TestCheck_AcceptsTheShippedStacks(t *testing.T) {
	files, err := filepath.Glob("../stacks/Pulumi.*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no shipped stacks (%v)", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			cfg, _, err := stackconfig.LoadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			w, r := Check(cfg, today)
			if len(r) > 0 {
				t.Fatalf("refused:\n%v", r)
			}
			if len(w) > 0 {
				t.Errorf("a shipped stack should not warn on %s:\n%v", today.Format(time.DateOnly), w)
			}
		})
	}
}

func TestCheck_ReportsEveryConcernAtOnceSortedByKey(t *testing.T) {
	cfg := validConfig()
	for i := 1; i <= 11; i++ {
		ng := cfg.NodeGroups[0]
		ng.Name = "g" + strings.Repeat("x", i)
		cfg.NodeGroups = append(cfg.NodeGroups, ng)
	}
	cfg.NodeGroups[2].DiskSize = 1
	cfg.NodeGroups[10].DiskSize = 1
	cfg.Cluster.Version = "latest"
	cfg.Cilium.TunnelProtocol = "gre"
	_, ps := Check(cfg, today)
	var keys []string
	for _, p := range ps {
		keys = append(keys, p.Key)
	}
	want := []string{"eks-cilium:cilium.tunnelProtocol", "eks-cilium:cluster.version", "eks-cilium:nodeGroups[2].diskSize", "eks-cilium:nodeGroups[10].diskSize"}
	if strings.Join(keys, " ") != strings.Join(want, " ") {
		t.Errorf("keys = %v, want %v", keys, want)
	}
}

// Each concern reports through Check; a concern missing from the list would let its problems
// through silently.
func TestCheck_RunsEveryConcern(t *testing.T) {
	probes := map[string]func(*stackconfig.Config){
		"CheckNames":        func(c *stackconfig.Config) { c.NodeGroups[0].Name = "" },
		"CheckNodeGroups":   func(c *stackconfig.Config) { c.NodeGroups[0].DiskSize = 1 },
		"CheckLabels":       func(c *stackconfig.Config) { c.NodeGroups[0].Labels = map[string]string{"a b": "x"} },
		"CheckArchitecture": func(c *stackconfig.Config) { c.NodeGroups[0].InstanceTypes = []string{"m6g.large"} },
		"CheckVpc":          func(c *stackconfig.Config) { c.Vpc.NatGateways = "many" },
		"CheckARNs":         func(c *stackconfig.Config) { c.Cluster.KmsKeyArn = "key" },
		"CheckCoreDNS":      func(c *stackconfig.Config) { c.Cluster.CorednsVersion = "1" },
		"CheckCilium":       func(c *stackconfig.Config) { c.Cilium.Encryption = "ipsec" },
		"CheckKarpenter": func(c *stackconfig.Config) {
			p := stackconfig.Default[stackconfig.NodePoolConfig]()
			p.Name, p.AmiVersion, p.Limits.Cpu = "default", "v20260512", 16
			c.Karpenter = &stackconfig.KarpenterConfig{Version: "latest", NodePools: []stackconfig.NodePoolConfig{p}}
		},
		"CheckAddons": func(c *stackconfig.Config) {
			c.Addons = &stackconfig.AddonsConfig{MetricsServer: &stackconfig.MetricsServerConfig{Version: "latest", Replicas: 1}}
		},
		"KubernetesVersionOn":   func(c *stackconfig.Config) { c.Cluster.Version = "1.3" },
		"CheckNodeGroupAMIs":    func(c *stackconfig.Config) { c.NodeGroups[0].AmiVersion = "20260714" },
		"CheckCiliumKubernetes": func(c *stackconfig.Config) { c.Cilium.Version = "1.18.14" },
		// metrics-server 0.8 needs 1.31: 1.30 was still offered (in extended support) in June
		// 2026 (probeDay), with Cilium 1.18, which is tested on it.
		"CheckChartKubernetes": func(c *stackconfig.Config) {
			c.Cluster.Version, c.Cilium.Version = "1.30", "1.18.14"
			c.Addons = &stackconfig.AddonsConfig{MetricsServer: &stackconfig.MetricsServerConfig{Version: "3.13.1", Replicas: 1}}
		},
		"CheckClusterMesh": func(c *stackconfig.Config) {
			c.Addons = &stackconfig.AddonsConfig{AwsLoadBalancerController: &stackconfig.AwsLoadBalancerControllerConfig{Version: "3.5.0", ReplicaCount: 1}}
			c.ClusterMesh = &stackconfig.ClusterMeshConfig{Id: 0, MaxConnectedClusters: 255, Connectivity: "peering"}
		},
		"CheckMigration": func(c *stackconfig.Config) {
			c.Migration = &stackconfig.MigrationConfig{Phase: "install", AwsNode: "addon"}
		},
		"CheckChartSources": func(c *stackconfig.Config) {
			c.ChartSources = &stackconfig.ChartSourcesConfig{Cilium: &stackconfig.ChartSource{Repository: "http://charts.example.internal"}}
		},
	}
	if len(probes) != len(concerns)+len(versionConcerns)+1 {
		t.Fatalf("%d probes for %d concerns (and the version): give every concern a probe", len(probes), len(concerns))
	}
	probeDay := map[string]time.Time{"CheckChartKubernetes": time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)}
	for name, mutate := range probes {
		cfg := validConfig()
		mutate(&cfg)
		day, ok := probeDay[name]
		if !ok {
			day = today
		}
		if _, r := Check(cfg, day); len(r) != 1 {
			t.Errorf("%s: %d refusals, want 1: %v", name, len(r), r)
		}
	}
}
