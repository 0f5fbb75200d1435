package stackconfig

import (
	"errors"
	"strings"
	"testing"
)

// decodeYAML decodes a stack file's text the way LoadFile does.
func decodeYAML(t *testing.T, text string) (Config, error) {
	t.Helper()
	cfg, _, err := LoadBytes("test", []byte(text))
	return cfg, err
}

func TestDecode_NamesTheKeyOfEveryMistake(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		key, rule  string
		fix        string
	}{
		{
			name: "quoted mask size",
			yaml: "config:\n  eks-cilium:cilium:\n    clusterPoolIPv4MaskSize: \"24\"\n",
			key:  "eks-cilium:cilium.clusterPoolIPv4MaskSize", rule: "must be an integer", fix: "without quotes",
		},
		{
			name: "misspelt field",
			yaml: "config:\n  eks-cilium:cilium:\n    tunelProtocol: vxlan\n",
			key:  "eks-cilium:cilium.tunelProtocol", rule: "unknown field", fix: "did you mean eks-cilium:cilium.tunnelProtocol?",
		},
		{
			name: "misspelt top-level key",
			yaml: "config:\n  eks-cilium:cillium:\n    version: 1.19.6\n",
			key:  "eks-cilium:cillium", rule: "unknown config key", fix: "did you mean eks-cilium:cilium?",
		},
		{
			name: "unquoted Kubernetes version",
			yaml: "config:\n  eks-cilium:cluster:\n    version: 1.30\n",
			key:  "eks-cilium:cluster.version", rule: "must be a string", fix: `quote it, e.g. "1.30"`,
		},
		{
			name: "malformed YAML",
			yaml: "config:\n  eks-cilium:vpc: {cidr: [\n",
			key:  "(file)", rule: "valid YAML",
		},
		{
			name: "node groups as an object",
			yaml: "config:\n  eks-cilium:nodeGroups:\n    name: general\n",
			key:  "eks-cilium:nodeGroups", rule: "must be a list",
		},
		{
			name: "wrong type inside a node group",
			yaml: "config:\n  eks-cilium:nodeGroups:\n    - name: general\n      maxSize: six\n",
			key:  "eks-cilium:nodeGroups[0].maxSize", rule: "must be an integer",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := decodeYAML(t, tc.yaml)
			var ps Problems
			if !errors.As(err, &ps) || len(ps) != 1 {
				t.Fatalf("got %v, want exactly one Problem", err)
			}
			p := ps[0]
			if p.Key != tc.key || !strings.Contains(p.Rule, tc.rule) || !strings.Contains(p.Fix, tc.fix) {
				t.Errorf("got %+v\nwant key %q, rule containing %q, fix containing %q", p, tc.key, tc.rule, tc.fix)
			}
		})
	}
}

func TestDecode_AppliesNodeGroupDefaultsToOmittedFields(t *testing.T) {
	cfg, err := decodeYAML(t, `config:
  aws:region: eu-west-1
  eks-cilium:nodeGroups:
    - {name: general, instanceTypes: [m5.large], minSize: 1, desiredSize: 2, maxSize: 3}
    - {name: arm, instanceTypes: [m6g.large], minSize: 1, desiredSize: 1, maxSize: 2, amiType: AL2023_ARM_64_STANDARD, diskSize: 80, maxUnavailable: 2}
`)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.NodeGroups) != 2 {
		t.Fatalf("NodeGroups = %+v", cfg.NodeGroups)
	}
	def, set := cfg.NodeGroups[0], cfg.NodeGroups[1]
	if def.AmiType != "AL2023_x86_64_STANDARD" || def.DiskSize != 50 || def.MaxUnavailable != 1 || def.CapacityType != "ON_DEMAND" {
		t.Errorf("omitted fields = %+v, want DefaultNodeGroup()'s", def)
	}
	if set.AmiType != "AL2023_ARM_64_STANDARD" || set.DiskSize != 80 || set.MaxUnavailable != 2 {
		t.Errorf("given fields = %+v, want them kept", set)
	}
	if cfg.Region != "eu-west-1" || cfg.Stack != "test" {
		t.Errorf("Region, Stack = %q, %q", cfg.Region, cfg.Stack)
	}
}

func TestDecode_OmittedSectionsTakeDefaults(t *testing.T) {
	cfg, err := decodeYAML(t, "config:\n  eks-cilium:cilium:\n    clusterPoolIPv4PodCIDRList: [10.200.0.0/16]\n")
	if err != nil {
		t.Fatal(err)
	}
	d := Defaults()
	if cfg.Vpc.Cidr != d.Vpc.Cidr || cfg.Cluster.ServiceCidr != d.Cluster.ServiceCidr || cfg.Cilium.ClusterPoolIPv4MaskSize != 24 || cfg.Cilium.TunnelProtocol != "vxlan" {
		t.Errorf("cfg = %+v, want defaults around the pod list", cfg)
	}
	if len(cfg.Cilium.ClusterPoolIPv4PodCIDRList) != 1 || cfg.Cilium.ClusterPoolIPv4PodCIDRList[0] != "10.200.0.0/16" {
		t.Errorf("pod list = %v", cfg.Cilium.ClusterPoolIPv4PodCIDRList)
	}
}

func TestDecode_ReportsProblemsOfEverySection(t *testing.T) {
	_, err := decodeYAML(t, `config:
  eks-cilium:vpc: {availabilityZones: "3"}
  eks-cilium:cilium: {tunelProtocol: vxlan}
`)
	var ps Problems
	if !errors.As(err, &ps) || len(ps) != 2 {
		t.Fatalf("got %v, want two Problems", err)
	}
	if ps[0].Key != "eks-cilium:cilium.tunelProtocol" || ps[1].Key != "eks-cilium:vpc.availabilityZones" {
		t.Errorf("keys = %q, %q; want sorted by key", ps[0].Key, ps[1].Key)
	}
}
