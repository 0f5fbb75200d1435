package render

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/eks-cilium/eks-cilium/stackconfig"
)

// BenchmarkRender_ShippedStack measures the whole render of a shipped stack: decode, plan,
// the program under mocks, the report as JSON.
func BenchmarkRender_ShippedStack(b *testing.B) {
	for _, stack := range []string{"dev", "prod"} {
		b.Run(stack, func(b *testing.B) {
			path := "../stacks/Pulumi." + stack + ".yaml"
			for b.Loop() {
				if _, err := Stack(path, Options{}, "json", false); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRender_WithPrevious is the day-2 render (`render -previous`): the shipped stack
// against outputs of its deployment at 1.34, with the guard and the upgrade plan (target:
// under 0.1 s per render).
func BenchmarkRender_WithPrevious(b *testing.B) {
	for _, stack := range []string{"dev", "prod"} {
		b.Run(stack, func(b *testing.B) {
			prev, err := LoadPrevious("../tests/fixtures/previous/" + stack + "-1.34.json")
			if err != nil {
				b.Fatal(err)
			}
			path := "../stacks/Pulumi." + stack + ".yaml"
			out, err := Stack(path, Options{Previous: prev}, "json", false)
			if err != nil || !strings.Contains(out, `"upgradePlan"`) {
				b.Fatalf("no upgrade plan (%v)", err)
			}
			for b.Loop() {
				if _, err := Stack(path, Options{Previous: prev}, "json", false); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// largeStack is a generated stack with 20 node groups and 32 pod CIDRs.
func largeStack() map[string]string {
	var cidrs []string
	for i := range 32 {
		cidrs = append(cidrs, fmt.Sprintf("10.%d.0.0/16", 128+i))
	}
	var groups []map[string]any
	for i := range 20 {
		groups = append(groups, map[string]any{
			"name": fmt.Sprintf("group-%02d", i), "instanceTypes": []string{"m5.large", "m5a.large"},
			"minSize": 1, "desiredSize": 2, "maxSize": 10, "maxPods": 110,
		})
	}
	enc := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	return map[string]string{
		stackconfig.KeyRegion:     "eu-west-1",
		stackconfig.KeyVpc:        enc(map[string]any{"cidr": "192.168.0.0/16", "availabilityZones": 3, "natGateways": "onePerAz"}),
		stackconfig.KeyNodeGroups: enc(groups),
		stackconfig.KeyCilium:     enc(map[string]any{"version": "1.19.6", "clusterPoolIPv4PodCIDRList": cidrs, "clusterPoolIPv4MaskSize": 24}),
	}
}

func TestRender_LargeStack(t *testing.T) {
	res, err := Run("large", largeStack(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(res.Plan.IP.NodeGroups); n != 20 {
		t.Fatalf("%d node groups, want 20", n)
	}
	if got := len(ofTypeForTest(res, "aws:eks/nodeGroup:NodeGroup")); got != 20 {
		t.Fatalf("%d EKS node groups registered, want 20", got)
	}
}

func ofTypeForTest(res *Result, typ string) []Resource {
	var out []Resource
	for _, r := range res.Resources {
		if r.Type == typ {
			out = append(out, r)
		}
	}
	return out
}

// BenchmarkRender_LargeStack: 20 node groups and 32 pod CIDRs (target < 5 s).
func BenchmarkRender_LargeStack(b *testing.B) {
	values := largeStack()
	for b.Loop() {
		res, err := Run("large", values, Options{})
		if err != nil {
			b.Fatal(err)
		}
		rep, err := NewReport(res)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := rep.JSON(); err != nil {
			b.Fatal(err)
		}
	}
}
