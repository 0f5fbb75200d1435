package engine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/eks-cilium/eks-cilium/fleet"
	"github.com/eks-cilium/eks-cilium/fleetrun"
	"github.com/eks-cilium/eks-cilium/program"
	"github.com/eks-cilium/eks-cilium/tests/enginetest"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// fleetWorkspace is one project directory with many member stacks on one file backend, all
// served by one set of fakes, as cmd/fleet runs them (with inline programs instead of the Go
// language host).
type fleetWorkspace struct {
	t     *testing.T
	dir   string
	env   map[string]string
	fakes *enginetest.Fakes
}

func newFleetWorkspace(t *testing.T) *fleetWorkspace {
	t.Helper()
	enginetest.RequireTool(t, "pulumi")
	dir := t.TempDir()
	enginetest.CopyFile(t, filepath.Join(enginetest.RepoRoot(t), "Pulumi.yaml"), filepath.Join(dir, "Pulumi.yaml"))
	// The ordering scenarios sleep the typical durations (docs/design.md); this one checks wiring, not order,
	// and runs fifteen updates: no sleeping.
	fs := enginetest.StartFakes(t, enginetest.Options{Instant: true})
	return &fleetWorkspace{t: t, dir: dir, env: enginetest.Env(t, fs), fakes: fs}
}

// writeMember writes the stack file of member m<n>: ID n, VPC 10.n.0.0/16, services
// 172.(19+n).0.0/16, pods 10.(100+n).0.0/16, the cheapest stack a member can be (two AZs,
// one NAT gateway, one node group, the load balancer controller).
func (w *fleetWorkspace) writeMember(n int, peers ...int) {
	w.t.Helper()
	names := make([]string, len(peers))
	for i, p := range peers {
		names[i] = fmt.Sprintf("m%d", p)
	}
	text := fmt.Sprintf(`config:
  aws:region: eu-west-1
  eks-cilium:vpc: {cidr: 10.%[1]d.0.0/16, availabilityZones: 2, natGateways: single}
  eks-cilium:cluster: {name: mesh-m%[1]d, serviceCidr: 172.%[2]d.0.0/16}
  eks-cilium:nodeGroups:
    - {name: general, instanceTypes: [t3.medium], minSize: 1, desiredSize: 1, maxSize: 2, maxPods: 110}
  eks-cilium:cilium: {clusterPoolIPv4PodCIDRList: [10.%[3]d.0.0/16]}
  eks-cilium:addons: {awsLoadBalancerController: {version: 3.5.0, replicaCount: 1}}
  eks-cilium:clusterMesh: {id: %[1]d, peers: [%[4]s]}
`, n, 19+n, 100+n, strings.Join(names, ", "))
	path := filepath.Join(w.dir, "stacks", fmt.Sprintf("Pulumi.m%d.yaml", n))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		w.t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		w.t.Fatal(err)
	}
}

func (w *fleetWorkspace) open(ctx context.Context, stack string) (auto.Stack, error) {
	return auto.UpsertStackInlineSource(ctx, stack, "eks-cilium", program.Run, auto.WorkDir(w.dir), auto.EnvVars(w.env))
}

func (w *fleetWorkspace) runner() *fleetrun.Runner {
	r := &fleetrun.Runner{Open: w.open}
	if testing.Verbose() {
		r.Progress = os.Stderr
	}
	return r
}

func members(ns ...int) []fleetrun.Member {
	var out []fleetrun.Member
	for _, n := range ns {
		out = append(out, fleetrun.Member{Stack: fmt.Sprintf("m%d", n), ID: n})
	}
	return out
}

// mesh returns a member's clusterMesh output.
func (w *fleetWorkspace) mesh(stack string) map[string]any {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := w.open(ctx, stack)
	if err != nil {
		w.t.Fatal(err)
	}
	outs, err := s.Outputs(ctx)
	if err != nil {
		w.t.Fatal(err)
	}
	m, _ := outs[fleet.OutputMesh].Value.(map[string]any)
	if m == nil {
		w.t.Fatalf("%s exports no %s", stack, fleet.OutputMesh)
	}
	return m
}

func peeringsOf(m map[string]any) []string {
	p, _ := m[fleet.FieldPeerings].(map[string]any)
	var out []string
	for k := range p {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// stepsText is "pass:stack" for each step of a report.
func stepsText(rep *fleetrun.Report) string {
	var out []string
	for _, s := range rep.Steps {
		out = append(out, fmt.Sprintf("%d:%s:%s", s.Pass, s.Op, s.Stack))
	}
	return strings.Join(out, " ")
}

// countApplied counts the operations of method on a type, by stack, among calls.
func countApplied(calls []enginetest.Call, method, token string) map[string]int {
	out := map[string]int{}
	for _, c := range enginetest.Applied(calls) {
		if c.Method == method && c.Token == token && c.Err == "" {
			out[string(resource.URN(c.URN).Stack())]++
		}
	}
	return out
}

// meshClusters are the remote clusters in the Cilium values of the latest release call of a
// stack (clustermesh.config.clusters), by cluster name.
func meshClusters(t *testing.T, calls []enginetest.Call, stack string) []string {
	t.Helper()
	for i := len(calls) - 1; i >= 0; i-- {
		c := calls[i]
		if c.Token != "kubernetes:helm.sh/v3:Release" || c.Preview || (c.Method != "Create" && c.Method != "Update") ||
			string(resource.URN(c.URN).Stack()) != stack || !isRelease("cilium")(c) {
			continue
		}
		values, _ := enginetest.Plain(c.Inputs["values"]).(map[string]any)
		cm, _ := values["clustermesh"].(map[string]any)
		conf, _ := cm["config"].(map[string]any)
		clusters, _ := conf["clusters"].(map[string]any)
		var out []string
		for name := range clusters {
			out = append(out, name)
		}
		sort.Strings(out)
		return out
	}
	t.Fatalf("no Cilium release call of %s", stack)
	return nil
}

func expect[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

// TestEngine_FleetUpAddsAndRemovesMembers runs a mesh through the real engine on one file
// backend: three members brought up from nothing by fleetrun (two passes: deploy, then peer),
// a refusal under `pulumi up` read from the deployed peers, a fourth member added, and the
// second removed. Each step checks the stacks' outputs and what the engine created or
// deleted.
func TestEngine_FleetUpAddsAndRemovesMembers(t *testing.T) {
	w := newFleetWorkspace(t)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()

	// 1. Three members from nothing.
	w.writeMember(1, 2, 3)
	w.writeMember(2, 1, 3)
	w.writeMember(3, 1, 2)
	start, mark := time.Now(), w.fakes.Log.Len()
	rep, err := w.runner().Up(ctx, members(1, 2, 3))
	if err != nil {
		t.Fatalf("fleet up: %v\n%s", err, rep.Text())
	}
	t.Logf("fleet up of three members: %s\n%s", time.Since(start).Round(time.Second), rep.Text())
	expect(t, "steps", stepsText(rep), "1:up:m1 1:up:m2 1:up:m3 2:up:m1 2:up:m2 2:up:m3")
	expect(t, "members still waiting", len(rep.Waiting), 0)
	if p := rep.Steps[0].Pending; len(p) != 2 || !strings.Contains(p[0], "is not deployed yet") {
		t.Errorf("the first member's first update should wait for both undeployed peers, pending: %q", p)
	}
	calls := w.fakes.Log.Since(mark)
	expect(t, "peerings requested by m1, m2, m3", fmt.Sprint(countApplied(calls, "Create", "aws:ec2/vpcPeeringConnection:VpcPeeringConnection")), "map[m1:2 m2:1]")
	expect(t, "peerings accepted by m2, m3", fmt.Sprint(countApplied(calls, "Create", "aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter")), "map[m2:1 m3:2]")
	// Two peers each, a route in each of the two private route tables, three node rules.
	expect(t, "routes", fmt.Sprint(countApplied(calls, "Create", "aws:ec2/route:Route")), "map[m1:4 m2:4 m3:4]")
	expect(t, "node rules", fmt.Sprint(countApplied(calls, "Create", "aws:ec2/securityGroupRule:SecurityGroupRule")), "map[m1:6 m2:6 m3:6]")
	ca := w.mesh("m1")[fleet.FieldCACert]
	for n, want := range map[int]string{1: "[m2 m3]", 2: "[m3]", 3: "[]"} {
		m := w.mesh(fmt.Sprintf("m%d", n))
		expect(t, fmt.Sprintf("m%d requested", n), fmt.Sprint(peeringsOf(m)), want)
		if m[fleet.FieldCACert] != ca || ca == "" {
			t.Errorf("m%d deployed with another CA than m1", n)
		}
	}
	expect(t, "m2's Cilium peers", fmt.Sprint(meshClusters(t, calls, "m2")), "[mesh-m1 mesh-m3]")

	// 2. Under `pulumi up`, the deployed peers' outputs refuse a member that breaks the mesh,
	// before anything is registered.
	w.writeMember(2, 1, 3)
	path := filepath.Join(w.dir, "stacks", "Pulumi.m2.yaml")
	text, _ := os.ReadFile(path)
	if err := os.WriteFile(path, []byte(strings.Replace(string(text), "eks-cilium:cilium: {", "eks-cilium:cilium: {tunnelProtocol: geneve, ", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	s2, err := w.open(ctx, "m2")
	if err != nil {
		t.Fatal(err)
	}
	mark = w.fakes.Log.Len()
	_, err = s2.Preview(ctx)
	if err == nil || !strings.Contains(err.Error(), "eks-cilium:cilium.tunnelProtocol") || !strings.Contains(err.Error(), "stack m1 (deployed)") {
		t.Errorf("a member switching to Geneve in a VXLAN mesh previewed, or the refusal names neither key nor peer: %v", err)
	}
	for _, c := range w.fakes.Log.Since(mark) {
		if c.Method == "Check" || c.Method == "Create" || c.Method == "Construct" {
			t.Errorf("the refused member registered %s", c)
		}
	}
	w.writeMember(2, 1, 3)

	// 3. A fourth member joins: it is deployed first, the others request its peerings, then it
	// accepts them.
	w.writeMember(1, 2, 3, 4)
	w.writeMember(2, 1, 3, 4)
	w.writeMember(3, 1, 2, 4)
	w.writeMember(4, 1, 2, 3)
	start, mark = time.Now(), w.fakes.Log.Len()
	rep, err = w.runner().Up(ctx, members(1, 2, 3, 4))
	if err != nil {
		t.Fatalf("fleet up with a fourth member: %v\n%s", err, rep.Text())
	}
	t.Logf("adding a fourth member: %s\n%s", time.Since(start).Round(time.Second), rep.Text())
	expect(t, "steps", stepsText(rep), "1:up:m4 1:up:m1 1:up:m2 1:up:m3 2:up:m4")
	expect(t, "members still waiting", len(rep.Waiting), 0)
	calls = w.fakes.Log.Since(mark)
	expect(t, "peerings requested", fmt.Sprint(countApplied(calls, "Create", "aws:ec2/vpcPeeringConnection:VpcPeeringConnection")), "map[m1:1 m2:1 m3:1]")
	expect(t, "peerings accepted", fmt.Sprint(countApplied(calls, "Create", "aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter")), "map[m4:3]")
	expect(t, "m4's CA", w.mesh("m4")[fleet.FieldCACert], ca)
	expect(t, "m1's Cilium peers", fmt.Sprint(meshClusters(t, calls, "m1")), "[mesh-m2 mesh-m3 mesh-m4]")
	expect(t, "m4's Cilium peers", fmt.Sprint(meshClusters(t, calls, "m4")), "[mesh-m1 mesh-m2 mesh-m3]")

	// 4. The second member leaves: the others drop its peerings, routes, rules and Cilium
	// entry, then its stack is destroyed.
	w.writeMember(1, 3, 4)
	w.writeMember(2)
	w.writeMember(3, 1, 4)
	w.writeMember(4, 1, 3)
	start, mark = time.Now(), w.fakes.Log.Len()
	rep, err = w.runner().Remove(ctx, "m2", members(1, 3, 4))
	if err != nil {
		t.Fatalf("fleet remove m2: %v\n%s", err, rep.Text())
	}
	t.Logf("removing the second member: %s\n%s", time.Since(start).Round(time.Second), rep.Text())
	expect(t, "steps", stepsText(rep), "1:up:m1 1:up:m3 1:up:m4 1:destroy:m2")
	calls = w.fakes.Log.Since(mark)
	gone := map[string][]string{}
	for _, c := range enginetest.Applied(calls) {
		if c.Method == "Delete" && c.Err == "" && strings.Contains(resource.URN(c.URN).Name(), "-mesh-m2") {
			stack := string(resource.URN(c.URN).Stack())
			gone[stack] = append(gone[stack], string(resource.URN(c.URN).Type()))
		}
	}
	for _, stack := range []string{"m1", "m3", "m4"} {
		types := gone[stack]
		want := "aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter"
		if stack == "m1" {
			want = "aws:ec2/vpcPeeringConnection:VpcPeeringConnection"
		}
		if !slices.Contains(types, want) || !slices.Contains(types, "aws:ec2/route:Route") || !slices.Contains(types, "aws:ec2/securityGroupRule:SecurityGroupRule") {
			t.Errorf("%s did not delete its peering, routes and rules for m2: %v", stack, types)
		}
		expect(t, stack+"'s Cilium peers still naming m2", slices.Contains(meshClusters(t, calls, stack), "mesh-m2"), false)
	}
	created, deleted := 0, 0
	for _, c := range enginetest.Applied(w.fakes.Log.Since(0)) {
		if string(resource.URN(c.URN).Stack()) != "m2" || c.Err != "" {
			continue
		}
		switch c.Method {
		case "Create":
			created++
		case "Delete":
			deleted++
		}
	}
	if created == 0 || created != deleted {
		t.Errorf("m2 created %d resources over its life and its destroy deleted %d", created, deleted)
	}
	expect(t, "m1 requested", fmt.Sprint(peeringsOf(w.mesh("m1"))), "[m3 m4]")
}
