package main

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/blang/semver"
	"github.com/eks-cilium/eks-cilium/ipplan"
	"github.com/eks-cilium/eks-cilium/provider/ekscilium"
	"github.com/eks-cilium/eks-cilium/render"
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/integration"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// registrations records what a construct registered, on top of the offline cloud the
// render uses (render.NewMocks answers AZ, region and SSM look-ups like AWS would).
type registrations struct {
	pulumi.MockResourceMonitor
	mu    sync.Mutex
	types []string
}

func (r *registrations) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	r.mu.Lock()
	r.types = append(r.types, args.TypeToken)
	r.mu.Unlock()
	return r.MockResourceMonitor.NewResource(args)
}

func (r *registrations) count(typ string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, t := range r.types {
		if t == typ {
			n++
		}
	}
	return n
}

// construct asks the provider to construct a Platform named "shop" in stack dev, the way
// the engine does for `pulumi up` in another language, with the cloud mocked.
func construct(t *testing.T, inputs map[string]any) (p.ConstructResponse, *registrations, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	prov, err := ekscilium.Provider()
	if err != nil {
		t.Fatal(err)
	}
	regs := &registrations{MockResourceMonitor: render.NewMocks("dev", "eu-west-1", true, nil)}
	server, err := integration.NewServer(ctx, ekscilium.Name, semver.MustParse(ekscilium.Version),
		integration.WithProvider(prov), integration.WithMocks(regs))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := server.Construct(p.ConstructRequest{
		Urn:    resource.NewURN("dev", "consumer", "", platformToken, "shop"),
		Config: map[config.Key]string{config.MustMakeKey("aws", "region"): "eu-west-1"},
		Inputs: resource.FromResourcePropertyMap(resource.NewPropertyMapFromMap(inputs)),
	})
	return resp, regs, err
}

// devInputs are the dev stack's values as Platform properties.
func devInputs() map[string]any {
	return map[string]any{
		"vpc": map[string]any{"cidr": "192.168.0.0/16", "availabilityZones": 2, "natGateways": "single"},
		"cluster": map[string]any{
			"version": "1.33", "serviceCidr": "172.20.0.0/16", "kubeProxyReplacement": true,
			"endpointPublicAccess": true, "publicAccessCidrs": []any{"0.0.0.0/0"},
		},
		"nodeGroups": []any{map[string]any{
			"name": "general", "instanceTypes": []any{"t3.medium"},
			"minSize": 1, "desiredSize": 2, "maxSize": 3, "maxPods": 110, "capacityType": "SPOT",
		}},
		"cilium": map[string]any{
			"version": "1.19.6", "clusterPoolIPv4PodCIDRList": []any{"10.200.0.0/16"},
			"clusterPoolIPv4MaskSize": 24, "tunnelProtocol": "vxlan",
		},
	}
}

func TestConstruct_PlatformIsTheLibraryComponentWithItsOutputs(t *testing.T) {
	resp, regs, err := construct(t, devInputs())
	if err != nil {
		t.Fatalf("construct failed: %v", err)
	}
	if got := resp.Urn.Type(); got != platformToken {
		t.Errorf("constructed %s, want %s", got, platformToken)
	}
	// Exactly one Platform: the provider serves the library's component, it does not wrap it.
	if n := regs.count(platformToken); n != 1 {
		t.Errorf("%d %s registered, want 1 (no wrapper around the library's component)", n, platformToken)
	}
	for _, typ := range []string{"eks-cilium:index:Vpc", "eks-cilium:index:Cluster", "eks-cilium:index:Cilium",
		"eks-cilium:index:NodeGroup", "eks-cilium:index:CoreDns", "kubernetes:helm.sh/v3:Release"} {
		if regs.count(typ) == 0 {
			t.Errorf("no %s registered; the library's tree is incomplete", typ)
		}
	}

	state := resp.State
	if got := state.Get("podCidrs"); !got.Equals(property.New([]property.Value{property.New("10.200.0.0/16")})) {
		t.Errorf("podCidrs = %v, want [10.200.0.0/16]", got)
	}
	if got := state.Get("podCidrMaskSize"); !got.Equals(property.New(24.0)) {
		t.Errorf("podCidrMaskSize = %v, want 24", got)
	}
	// No cluster.name given: the library's default, eks-cilium-<stack>.
	if got := state.Get("clusterName"); !got.Equals(property.New("eks-cilium-dev")) {
		t.Errorf("clusterName = %v, want eks-cilium-dev", got)
	}
	if kc := state.Get("kubeconfig"); !kc.Secret() {
		t.Errorf("kubeconfig must be secret, got %v", kc)
	}
	for _, name := range []string{"clusterEndpoint", "vpcId", "privateSubnetIds"} {
		if v, ok := state.GetOk(name); !ok || v.IsNull() {
			t.Errorf("output %s missing from the construct result", name)
		}
	}
}

func TestConstruct_InvalidConfigurationFailsWithThePlannersMessage(t *testing.T) {
	cases := []struct {
		name   string
		modify func(in map[string]any)
		want   []string // fragments of the error, besides the planner's own message
	}{
		{"pod pool overlaps the VPC", func(in map[string]any) {
			in["cilium"].(map[string]any)["clusterPoolIPv4PodCIDRList"] = []any{"192.168.0.0/16"}
		}, []string{"clusterPoolIPv4PodCIDRList", "192.168.0.0/16"}},
		{"mask size beyond /30", func(in map[string]any) {
			in["cilium"].(map[string]any)["clusterPoolIPv4MaskSize"] = 31
		}, []string{"clusterPoolIPv4MaskSize"}},
		{"unknown tunnel protocol", func(in map[string]any) {
			in["cilium"].(map[string]any)["tunnelProtocol"] = "gre"
		}, []string{"tunnelProtocol", "gre"}},
		{"no node groups", func(in map[string]any) {
			in["nodeGroups"] = []any{}
		}, []string{"nodeGroups"}},
		{"extra Helm values override the design", func(in map[string]any) {
			in["cilium"].(map[string]any)["values"] = map[string]any{"routingMode": "native"}
		}, []string{"routingMode"}},
		{"maxPods beyond the node CIDR", func(in map[string]any) {
			in["cilium"].(map[string]any)["clusterPoolIPv4MaskSize"] = 28
		}, []string{"maxPods"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := devInputs()
			tc.modify(in)
			_, regs, err := construct(t, in)
			if err == nil {
				t.Fatal("construct succeeded, want the planner's refusal")
			}
			for _, frag := range tc.want {
				if !strings.Contains(err.Error(), frag) {
					t.Errorf("error does not mention %q:\n%v", frag, err)
				}
			}
			// Nothing is registered before validation passes.
			if len(regs.types) != 0 {
				t.Errorf("an invalid configuration registered %v", regs.types)
			}
		})
	}
}

// The error a consumer sees is the planner's message verbatim, as the Go program reports it.
func TestConstruct_ErrorIsThePlannersError(t *testing.T) {
	in := devInputs()
	in["cilium"].(map[string]any)["clusterPoolIPv4PodCIDRList"] = []any{"10.200.1.0/16"}
	_, _, err := construct(t, in)
	if err == nil {
		t.Fatal("construct succeeded with a non-canonical pool")
	}
	args := ekscilium.PlatformArgs{
		Vpc:        &ekscilium.VpcConfig{Cidr: ptr("192.168.0.0/16"), AvailabilityZones: ptr(2), NatGateways: ptr("single")},
		NodeGroups: []ekscilium.NodeGroupConfig{{Name: "general", InstanceTypes: []string{"t3.medium"}, MinSize: 1, DesiredSize: 2, MaxSize: 3, MaxPods: ptr(110), CapacityType: ptr("SPOT")}},
		Cilium:     ekscilium.CiliumConfig{ClusterPoolIPv4PodCIDRList: []string{"10.200.1.0/16"}},
	}
	cfg, cfgErr := args.Config("dev", "eu-west-1")
	if cfgErr != nil {
		t.Fatal(cfgErr)
	}
	_, planErr := ipplan.New(cfg)
	if planErr == nil {
		t.Fatal("the planner accepts 10.200.1.0/16; the test's premise is wrong")
	}
	for _, line := range strings.Split(planErr.Error(), "\n")[1:] {
		if !strings.Contains(err.Error(), strings.TrimSpace(line)) {
			t.Errorf("construct error lacks the planner's line %q:\n%v", strings.TrimSpace(line), err)
		}
	}
}

func TestConstruct_OmittedObjectsTakeStackconfigDefaults(t *testing.T) {
	in := devInputs()
	delete(in, "vpc")
	delete(in, "cluster")
	resp, regs, err := construct(t, in)
	if err != nil {
		t.Fatalf("construct without vpc and cluster failed: %v", err)
	}
	if regs.count("aws:ec2/vpc:Vpc") != 1 {
		t.Errorf("no VPC created from the default vpc object")
	}
	if got := resp.State.Get("podCidrMaskSize"); !got.Equals(property.New(24.0)) {
		t.Errorf("podCidrMaskSize = %v, want 24", got)
	}
	// Three AZs by default: three private subnets.
	if subnets := resp.State.Get("privateSubnetIds"); !subnets.IsArray() || subnets.AsArray().Len() != 3 {
		t.Errorf("privateSubnetIds = %v, want 3 (stackconfig's default availabilityZones)", subnets)
	}
}

func ptr[T any](v T) *T { return &v }
