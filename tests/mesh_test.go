package tests

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/eks-cilium/eks-cilium/charts"
	"github.com/eks-cilium/eks-cilium/fleet"
	"github.com/eks-cilium/eks-cilium/render"
	"github.com/eks-cilium/eks-cilium/stackconfig"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// The three-Region example mesh of docs/fleet.md: euw1 (id 1), use1 (id 2), apse1 (id 3).
const fleetDir = "../examples/fleet"

// renderMember runs the program for an example member, with its peers' outputs as their
// StackReferences will return them (from the stack files beside it), edited by edit.
func renderMember(t *testing.T, stack string, edit func(peers map[string]map[string]any)) (*render.Result, error) {
	t.Helper()
	path := filepath.Join(fleetDir, "Pulumi."+stack+".yaml")
	cfg, values, err := stackconfig.LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	peers, notes, err := render.PeerOutputs(fleetDir, cfg)
	if err != nil || len(notes) > 0 {
		t.Fatalf("peers of %s: %v %v", stack, notes, err)
	}
	if edit != nil {
		edit(peers)
	}
	return render.Run(cfg.Stack, values, render.Options{Known: true, Peers: peers})
}

func named(res *render.Result, typ, contains string) []render.Resource {
	var out []render.Resource
	for _, r := range ofType(res, typ) {
		if strings.Contains(r.Name, contains) {
			out = append(out, r)
		}
	}
	return out
}

const (
	typePeering  = "aws:ec2/vpcPeeringConnection:VpcPeeringConnection"
	typeAccepter = "aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter"
	typeRoute    = "aws:ec2/route:Route"
	typeRule     = "aws:ec2/securityGroupRule:SecurityGroupRule"
	typeService  = "kubernetes:core/v1:Service"
)

// The middle member of three requests the peering with the higher ID and accepts the lower
// one's, routes both peers' VPCs in each of its three private route tables, and opens its
// nodes to both for the tunnel and the health checks.
func TestMember_WiresEachPeerByID(t *testing.T) {
	res, err := renderMember(t, "use1", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := named(res, typePeering, "-mesh-apse1"); len(got) != 1 || len(ofType(res, typePeering)) != 1 {
		t.Errorf("use1 should request exactly the peering with apse1 (id 3), got %d peerings", len(ofType(res, typePeering)))
	} else {
		in := got[0].Inputs
		if in["peerRegion"].StringValue() != "ap-southeast-1" || in["peerVpcId"].StringValue() != render.Computed {
			t.Errorf("the peering with apse1: peerRegion %v, peerVpcId %v", in["peerRegion"], in["peerVpcId"])
		}
	}
	if got := named(res, typeAccepter, "-mesh-euw1"); len(got) != 1 || len(ofType(res, typeAccepter)) != 1 {
		t.Errorf("use1 should accept exactly euw1's (id 1) peering, got %d accepters", len(ofType(res, typeAccepter)))
	}
	for _, peer := range []struct{ stack, cidr string }{{"euw1", "10.1.0.0/16"}, {"apse1", "10.3.0.0/16"}} {
		routes := named(res, typeRoute, "-mesh-"+peer.stack+"-")
		tables := map[string]bool{}
		for _, r := range routes {
			if r.Inputs["destinationCidrBlock"].StringValue() != peer.cidr {
				t.Errorf("route %s goes to %v, want %s", r.Name, r.Inputs["destinationCidrBlock"], peer.cidr)
			}
			tables[r.Inputs["routeTableId"].StringValue()] = true
		}
		if len(routes) != 3 || len(tables) != 3 {
			t.Errorf("%d routes to %s in %d route tables, want one in each of the 3 private route tables", len(routes), peer.stack, len(tables))
		}
		var ports []string
		for _, r := range named(res, typeRule, "-mesh-"+peer.stack+"-") {
			in := r.Inputs
			if in["type"].StringValue() != "ingress" || fmt.Sprint(in["cidrBlocks"].ArrayValue()[0].StringValue()) != peer.cidr {
				t.Errorf("rule %s is not an ingress from %s: %v", r.Name, peer.cidr, in)
			}
			ports = append(ports, fmt.Sprintf("%s/%v", in["protocol"].StringValue(), in["fromPort"].NumberValue()))
		}
		sort.Strings(ports)
		if want := "[icmp/8 tcp/4240 udp/8472]"; fmt.Sprint(ports) != want {
			t.Errorf("node rules from %s: %v, want %s", peer.stack, ports, want)
		}
	}
}

// The mesh API server's Service is created after the load balancer controller (so the
// controller makes its NLB and removes it on delete), in the private subnets, on the planned
// addresses.
func TestMember_APIServerServiceIsTheControllersInternalNLB(t *testing.T) {
	res, err := renderMember(t, "euw1", nil)
	if err != nil {
		t.Fatal(err)
	}
	svc := one(t, res, typeService)
	meta := svc.Inputs["metadata"].ObjectValue()
	ann := meta["annotations"].ObjectValue()
	var subnets []string
	for _, r := range ofType(res, "aws:ec2/subnet:Subnet") {
		if strings.HasSuffix(r.Name, "-private") {
			subnets = append(subnets, r.ID)
		}
	}
	sort.Strings(subnets) // euw1-0-private, -1-, -2-: subnet order
	for k, want := range map[string]string{
		charts.AnnotationSubnets:    strings.Join(subnets, ", "),
		charts.AnnotationPrivateIPs: "10.1.31.254, 10.1.63.254, 10.1.95.254",
		charts.AnnotationScheme:     "internal",
		charts.AnnotationTargetType: "instance",
	} {
		if got := ann[resource.PropertyKey(k)]; !got.IsString() || got.StringValue() != want {
			t.Errorf("annotation %s = %v, want %s", k, got, want)
		}
	}
	spec := svc.Inputs["spec"].ObjectValue()
	if spec["loadBalancerClass"].StringValue() != charts.LoadBalancerClassNLB || spec["type"].StringValue() != "LoadBalancer" {
		t.Errorf("Service spec %v", spec)
	}
	lbc := oneWith(t, res, "kubernetes:helm.sh/v3:Release", "chart", charts.LoadBalancerControllerChart)
	if !slices.Contains(svc.DependsOn, lbc.URN) {
		t.Errorf("the Service does not wait for the load balancer controller's release: %v", svc.DependsOn)
	}
}

// A peer not deployed yet is a notice, not an error, and nothing is wired to it.
func TestMember_APeerNotDeployedIsPending(t *testing.T) {
	res, err := renderMember(t, "apse1", func(peers map[string]map[string]any) { delete(peers, "use1") })
	if err != nil {
		t.Fatal(err)
	}
	if len(named(res, typeAccepter, "-mesh-use1")) != 0 || len(named(res, typeRoute, "-mesh-use1")) != 0 {
		t.Errorf("something was wired to use1, which is not deployed")
	}
	if len(named(res, typeAccepter, "-mesh-euw1")) != 1 {
		t.Errorf("the deployed peer euw1 is not wired")
	}
	if !slices.ContainsFunc(res.Plan.Warnings(), func(w string) bool { return strings.Contains(w, "peer use1 is not deployed yet") }) {
		t.Errorf("no notice that use1 is not deployed: %v", res.Plan.Warnings())
	}
}

// Under `pulumi up` the program refuses a member that breaks the mesh its deployed peers
// form, naming its own key and the peer, before registering anything.
func TestMember_RefusedByItsDeployedPeers(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(mesh map[string]any)
		key   string
		peer  string
		error string
	}{
		{"a peer with this member's ID", func(m map[string]any) { m["id"] = 1 }, "eks-cilium:clusterMesh.id", "stack use1 (deployed)", ""},
		{"a peer overlapping this member's pods", func(m map[string]any) { m["podCidrs"] = []any{"10.101.128.0/17"} }, "eks-cilium:cilium.clusterPoolIPv4PodCIDRList[0]", "stack use1 (deployed)", ""},
		{"a peer without the controller", func(m map[string]any) { m["loadBalancerController"] = false }, "stack use1 (deployed): eks-cilium:addons.awsLoadBalancerController", "", ""},
		{"a peer whose outputs are not a member's", func(m map[string]any) { delete(m, "vpcCidr") }, "", "", "stack use1: output clusterMesh is not an eks-cilium mesh member's: missing or malformed vpcCidr"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := renderMember(t, "euw1", func(peers map[string]map[string]any) { tt.edit(peers["use1"][fleet.OutputMesh].(map[string]any)) })
			if err == nil {
				t.Fatal("rendered")
			}
			if tt.error != "" {
				if !strings.Contains(err.Error(), tt.error) {
					t.Errorf("error %v, want %q", err, tt.error)
				}
				return
			}
			var probs stackconfig.Problems
			if !errors.As(err, &probs) {
				t.Fatalf("not a configuration problem: %v", err)
			}
			found := false
			for _, p := range probs {
				if p.Key == tt.key && strings.Contains(p.String(), tt.peer) {
					found = true
				}
			}
			if !found {
				t.Errorf("want %s naming %q, got:\n%v", tt.key, tt.peer, probs)
			}
		})
	}
}
