package stackconfig

import (
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
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
			p := onlyProblem(t, err)
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
		t.Errorf("omitted fields = %+v, want Default[NodeGroupConfig]()'s", def)
	}
	if set.AmiType != "AL2023_ARM_64_STANDARD" || set.DiskSize != 80 || set.MaxUnavailable != 2 {
		t.Errorf("given fields = %+v, want them kept", set)
	}
	if cfg.Region != "eu-west-1" || cfg.Stack != "test" {
		t.Errorf("Region, Stack = %q, %q", cfg.Region, cfg.Stack)
	}
}

// A required field left out of an object is refused by name, with the object's line.
func TestDecode_RefusesARequiredFieldLeftOut(t *testing.T) {
	_, err := decodeYAML(t, "config:\n  eks-cilium:nodeGroups:\n    - {name: general, instanceTypes: [m5.large], minSize: 1, maxSize: 3}\n")
	var ps Problems
	if !errors.As(err, &ps) || len(ps) != 1 {
		t.Fatalf("got %v, want one Problem", err)
	}
	if p := ps[0]; p.Key != "eks-cilium:nodeGroups[0].desiredSize" || p.Rule != requiredRule || p.Line != 3 {
		t.Errorf("got %+v, want nodeGroups[0].desiredSize required at line 3", p)
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
  eks-cilium:cilium: {tunelProtocol: vxlan, clusterPoolIPv4PodCIDRList: [10.200.0.0/16]}
`)
	var ps Problems
	if !errors.As(err, &ps) || len(ps) != 2 {
		t.Fatalf("got %v, want two Problems", err)
	}
	if ps[0].Key != "eks-cilium:cilium.tunelProtocol" || ps[1].Key != "eks-cilium:vpc.availabilityZones" {
		t.Errorf("keys = %q, %q; want sorted by key", ps[0].Key, ps[1].Key)
	}
}

func TestDecode_IsStrictAboutNamesNullsAndTypes(t *testing.T) {
	for _, tc := range []struct {
		name      string
		values    map[string]string
		key, rule string
		fix       string
	}{
		{"a field in the wrong case",
			map[string]string{KeyCilium: `{"clusterPoolIPv4PodCidrList": ["10.200.0.0/16"]}`},
			"eks-cilium:cilium.clusterPoolIPv4PodCidrList", "field names are case-sensitive", "did you mean eks-cilium:cilium.clusterPoolIPv4PodCIDRList?"},
		{"a null on a key with a default",
			map[string]string{KeyCilium: `{"clusterPoolIPv4MaskSize": null}`},
			"eks-cilium:cilium.clusterPoolIPv4MaskSize", "has no value", "delete the line to take the default 24"},
		{"a null in a list",
			map[string]string{KeyCluster: `{"publicAccessCidrs": [null]}`},
			"eks-cilium:cluster.publicAccessCidrs[0]", "has no value", "write a value"},
		{"a null label",
			map[string]string{KeyNodeGroups: `[{"labels": {"tier": null}}]`},
			`eks-cilium:nodeGroups[0].labels["tier"]`, "has no value", ""},
		{"a null optional section",
			map[string]string{KeyAddons: `null`},
			"eks-cilium:addons", "has no value", ""},
		{"a quoted boolean",
			map[string]string{KeyCluster: `{"protect": "true"}`},
			"eks-cilium:cluster.protect", "must be a boolean (true or false), got string", "without quotes"},
		{"a fractional integer",
			map[string]string{KeyCilium: `{"clusterPoolIPv4MaskSize": 24.5}`},
			"eks-cilium:cilium.clusterPoolIPv4MaskSize", "must be an integer, got 24.5", "whole number"},
		{"an integer beyond 64 bits",
			map[string]string{KeyNodeGroups: `[{"maxSize": 1e+20}]`},
			"eks-cilium:nodeGroups[0].maxSize", "must be an integer", ""},
		{"a section as plain text",
			map[string]string{KeyVpc: `notanobject`},
			"eks-cilium:vpc", "must be an object (a YAML mapping), got plain text", ""},
		{"labels as a list",
			map[string]string{KeyNodeGroups: `[{"labels": ["a"]}]`},
			"eks-cilium:nodeGroups[0].labels", "must be an object (a YAML mapping), got list", ""},
		{"an unknown field of a nested section",
			map[string]string{KeyKarpenter: `{"nodePools": [{"limits": {"cpus": 10}}]}`},
			"eks-cilium:karpenter.nodePools[0].limits.cpus", "unknown field", "did you mean eks-cilium:karpenter.nodePools[0].limits.cpu?"},
		{"an unknown namespace",
			map[string]string{"eks_cilium:vpc": `{}`},
			"eks_cilium:vpc", "unknown namespace", "did you mean eks-cilium:vpc?"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode("test", tc.values)
			p := onlyProblem(t, err)
			if p.Key != tc.key || !strings.Contains(p.Rule, tc.rule) || !strings.Contains(p.Fix, tc.fix) {
				t.Errorf("got %+v\nwant key %q, rule containing %q, fix containing %q", p, tc.key, tc.rule, tc.fix)
			}
		})
	}
}

func TestDecode_OptionalSectionsArePresentOnlyWhenSet(t *testing.T) {
	cfg, err := Decode("test", map[string]string{KeyAddons: `{"metricsServer": {"version": "3.13.0"}}`})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Karpenter != nil || cfg.Addons == nil || cfg.Addons.MetricsServer == nil || cfg.Addons.MetricsServer.Version != "3.13.0" || cfg.Addons.AwsLoadBalancerController != nil {
		t.Errorf("cfg = %+v, want only addons.metricsServer", cfg)
	}
}

// filled sets every field reachable from v to a value unlike its zero and its default, so a
// field the decoder does not handle shows up as a difference.
func filled(v reflect.Value, depth int) {
	switch v.Kind() {
	case reflect.String:
		v.SetString("s" + strconv.Itoa(depth))
	case reflect.Bool:
		v.SetBool(depth%2 == 0) // both values across the tree; false differs from true defaults
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(7 + depth))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(7 + depth))
	case reflect.Float32, reflect.Float64:
		v.SetFloat(0.5 + float64(depth))
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		filled(v.Elem(), depth+1)
	case reflect.Struct:
		for i := range v.NumField() {
			if jsonName(v.Type().Field(i)) != "" {
				filled(v.Field(i), depth+i+1)
			}
		}
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		filled(v.Index(0), depth+1)
		filled(v.Index(1), depth+2)
	case reflect.Map:
		v.Set(reflect.MakeMap(v.Type()))
		e := reflect.New(v.Type().Elem()).Elem()
		if e.Kind() == reflect.Interface {
			e.Set(reflect.ValueOf(map[string]any{"nested": []any{"x", 1.5, true}}))
		} else {
			filled(e, depth+1)
		}
		v.SetMapIndex(reflect.ValueOf("key/with.dots"), e)
	}
}

// TestDecode_ReadsEveryFieldOfEverySection: the decoder is driven by Config's types and json
// tags, so a field added to any section (or a new section) is read without changing it.
// Every field of every section gets a non-default value, is written as Pulumi passes it
// (JSON), and must come back unchanged.
func TestDecode_ReadsEveryFieldOfEverySection(t *testing.T) {
	want := Defaults()
	want.Stack, want.Region = "test", "eu-west-1"
	values := map[string]string{KeyRegion: "eu-west-1"}
	root := reflect.ValueOf(&want).Elem()
	for _, s := range sections() {
		filled(root.Field(s.index), s.index)
		b, err := json.Marshal(root.Field(s.index).Interface())
		if err != nil {
			t.Fatal(err)
		}
		values[Namespace+":"+s.name] = string(b)
	}
	got, err := Decode("test", values)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("decoded\n%+v\nwant\n%+v", got, want)
	}
}
