package tests

import (
	"errors"
	"slices"
	"testing"

	"github.com/eks-cilium/eks-cilium/program"
	"github.com/eks-cilium/eks-cilium/render"
	"github.com/eks-cilium/eks-cilium/stackconfig"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// TestGuard_StackReferenceAnsweredByMock runs program.Run with the StackReference to its own
// stack answered by the mock: the previous deployment's outputs decide what is refused.
func TestGuard_StackReferenceAnsweredByMock(t *testing.T) {
	_, values, err := stackconfig.LoadFile("../stacks/Pulumi.prod.yaml")
	if err != nil {
		t.Fatal(err)
	}
	base := map[string]any{
		"clusterName": "eks-cilium-prod", "vpcCidr": "10.20.0.0/16", "serviceCidr": "172.20.0.0/16",
		"ipamMode": "cluster-pool", "routingMode": "tunnel", "podCidrMaskSize": 24,
	}
	with := func(pods ...any) map[string]any {
		m := map[string]any{"podCidrs": pods}
		for k, v := range base {
			m[k] = v
		}
		return m
	}
	cases := []struct {
		name    string
		prev    map[string]any
		refused string
	}{
		{"first deployment", nil, ""},
		{"append", with("10.100.0.0/17"), ""},
		{"removal", with("10.100.0.0/17", "10.101.0.0/17", "10.102.0.0/17"), "eks-cilium:cilium.clusterPoolIPv4PodCIDRList[2]"},
		{"modification", with("10.100.0.0/17", "10.109.0.0/17"), "eks-cilium:cilium.clusterPoolIPv4PodCIDRList[1]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			counter := &countingMocks{}
			mocks := render.NewMocks("prod", "eu-west-1", false, c.prev)
			err := pulumi.RunErr(program.Run, pulumi.WithMocksWithOrganization("organization", "eks-cilium", "prod", teeMocks{mocks, counter}),
				func(info *pulumi.RunInfo) { info.Config = values; info.DryRun = true })
			if c.refused == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if len(counter.types) < 10 {
					t.Errorf("only %d resources registered", len(counter.types))
				}
				return
			}
			var probs stackconfig.Problems
			if !errors.As(err, &probs) || !slices.ContainsFunc(probs, func(p stackconfig.Problem) bool { return p.Key == c.refused }) {
				t.Fatalf("err = %v, want a refusal naming %s", err, c.refused)
			}
			if !slices.Equal(counter.types, []string{"pulumi:pulumi:StackReference"}) {
				t.Errorf("a refused change registered %v; want only the read of the previous outputs", counter.types)
			}
		})
	}
}

// teeMocks answers with the first monitor and records registrations in the second.
type teeMocks struct {
	answer pulumi.MockResourceMonitor
	record *countingMocks
}

func (m teeMocks) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	_, _, _ = m.record.NewResource(args)
	return m.answer.NewResource(args)
}

func (m teeMocks) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	return m.answer.Call(args)
}
