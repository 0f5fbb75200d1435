package engine

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/eks-cilium/eks-cilium/charts"
	"github.com/eks-cilium/eks-cilium/program"
	"github.com/eks-cilium/eks-cilium/tests/enginetest"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// stage is one step of the design's order (docs/design.md, "Resource graph and order"): the
// calls that belong to it.
type stage struct {
	what  string
	match func(enginetest.Call) bool
}

func ofType(token string) func(enginetest.Call) bool {
	return func(c enginetest.Call) bool { return c.Token == token }
}

// isAddon matches the aws:eks/addon:Addon whose addonName is name.
func isAddon(name string) func(enginetest.Call) bool {
	return func(c enginetest.Call) bool {
		if c.Token != "aws:eks/addon:Addon" {
			return false
		}
		v, ok := c.Inputs["addonName"]
		return ok && v.IsString() && v.StringValue() == name
	}
}

// isRelease matches the Helm releases whose chart input ends with one of charts.
func isRelease(charts ...string) func(enginetest.Call) bool {
	return func(c enginetest.Call) bool {
		if c.Token != "kubernetes:helm.sh/v3:Release" {
			return false
		}
		v, ok := c.Inputs["chart"]
		if !ok || !v.IsString() {
			return false
		}
		for _, chart := range charts {
			if strings.HasSuffix(v.StringValue(), chart) {
				return true
			}
		}
		return false
	}
}

// isAssociation matches the Pod Identity association of a service account.
func isAssociation(serviceAccount string) func(enginetest.Call) bool {
	return func(c enginetest.Call) bool {
		v, ok := c.Inputs["serviceAccount"]
		return c.Token == "aws:eks/podIdentityAssociation:PodIdentityAssociation" && ok && v.IsString() && v.StringValue() == serviceAccount
	}
}

// designOrder is the create order: VPC -> EKS -> Cilium release -> node groups -> CoreDNS.
var designOrder = []stage{
	{"the VPC", ofType("aws:ec2/vpc:Vpc")},
	{"the EKS cluster", ofType("aws:eks/cluster:Cluster")},
	{"the Cilium release", isRelease(charts.CiliumChart)},
	{"the node groups", ofType("aws:eks/nodeGroup:NodeGroup")},
	{"the CoreDNS addon", isAddon("coredns")},
}

// addonOrder is where dev's add-ons and Karpenter join it (components/platform): the Pod
// Identity agent and metrics-server after the node groups (their pods need Ready nodes); the
// load balancer controller (after its Pod Identity association) and Karpenter after CoreDNS
// too (they resolve AWS endpoints through it); Karpenter's NodePool after its CRD release.
var addonOrder = [][]stage{
	{{"the node groups", ofType("aws:eks/nodeGroup:NodeGroup")},
		{"the Pod Identity agent and metrics-server", func(c enginetest.Call) bool {
			return isAddon("eks-pod-identity-agent")(c) || isRelease(charts.MetricsServerChart)(c)
		}}},
	{{"the Pod Identity agent", isAddon("eks-pod-identity-agent")},
		{"the Pod Identity associations", ofType("aws:eks/podIdentityAssociation:PodIdentityAssociation")}},
	{{"the CoreDNS addon", isAddon("coredns")},
		{"the load balancer controller and Karpenter releases", isRelease(charts.LoadBalancerControllerChart, charts.KarpenterCRDChart, "/"+charts.KarpenterChart)}},
	{{"the controller's Pod Identity association", isAssociation(charts.LoadBalancerControllerServiceAccount)},
		{"the load balancer controller release", isRelease(charts.LoadBalancerControllerChart)}},
	{{"Karpenter's Pod Identity association", isAssociation("karpenter")},
		{"the Karpenter controller release", isRelease("/" + charts.KarpenterChart)}},
	{{"the Karpenter releases", isRelease(charts.KarpenterCRDChart, "/"+charts.KarpenterChart)},
		{"the NodePool", ofType("kubernetes:karpenter.sh/v1:NodePool")}},
}

// assertSequence checks that every call of each stage ended before any call of the next
// began: the engine waited for one before starting the other. Each stage must have a call.
func assertSequence(t *testing.T, method string, calls []enginetest.Call, stages []stage) {
	t.Helper()
	var groups [][]enginetest.Call
	for _, st := range stages {
		var g []enginetest.Call
		for _, c := range calls {
			if c.Method == method && !c.Preview && st.match(c) {
				g = append(g, c)
			}
		}
		if len(g) == 0 {
			t.Fatalf("no %s of %s in the call log:\n%s", method, st.what, enginetest.Describe(calls))
		}
		groups = append(groups, g)
	}
	for i := 1; i < len(groups); i++ {
		for _, before := range groups[i-1] {
			for _, after := range groups[i] {
				if before.Done > after.Seq {
					t.Errorf("%s of %s (%s) started before %s of %s (%s) finished",
						method, stages[i].what, after, method, stages[i-1].what, before)
				}
			}
		}
	}
}

func TestEngine_FirstUpOfDevCreatesInDesignOrder(t *testing.T) {
	s := enginetest.NewStack(t, "dev", "stacks/Pulumi.dev.yaml", program.Run)
	op := s.MustSucceed("up", s.Up())
	assertSequence(t, "Create", op.Calls, designOrder)
	for _, order := range addonOrder {
		assertSequence(t, "Create", op.Calls, order)
	}
	for _, c := range enginetest.Applied(op.Calls) {
		if c.Err != "" {
			t.Errorf("%s failed: %s", c, c.Err)
		}
	}
}

func TestEngine_FirstUpOfProdCreatesInDesignOrder(t *testing.T) {
	s := enginetest.NewStack(t, "prod", "stacks/Pulumi.prod.yaml", program.Run)
	op := s.MustSucceed("up", s.Up())
	assertSequence(t, "Create", op.Calls, designOrder)
	// prod has two node groups; both wait for Cilium and CoreDNS waits for both.
	groups := 0
	for _, c := range enginetest.Applied(op.Calls) {
		if c.Token == "aws:eks/nodeGroup:NodeGroup" {
			groups++
		}
	}
	if groups != 2 {
		t.Errorf("created %d node groups, want 2 (general, compute)", groups)
	}
}

// changesBeyondTheGuard are op's change counts without the read of the StackReference the
// day-2 guard makes in every run (it must be the only read).
func changesBeyondTheGuard(t *testing.T, op enginetest.Operation) map[string]int {
	t.Helper()
	for urn, step := range op.Steps() {
		if step == apitype.OpRead && resource.URN(urn).Type() != "pulumi:pulumi:StackReference" {
			t.Errorf("unexpected read of %s", urn)
		}
	}
	out := map[string]int{}
	for kind, n := range op.Changes {
		if kind != "read" && n > 0 {
			out[kind] = n
		}
	}
	return out
}

func TestEngine_SecondUpChangesNothing(t *testing.T) {
	s := enginetest.NewStack(t, "dev", "stacks/Pulumi.dev.yaml", program.Run)
	s.MustSucceed("first up", s.Up())
	op := s.MustSucceed("second up", s.Up())
	for kind, n := range changesBeyondTheGuard(t, op) {
		if kind != "same" {
			t.Errorf("second up: %d %s, want only unchanged resources (%v)", n, kind, op.Changes)
		}
	}
	if got := enginetest.Applied(op.Calls); len(got) > 0 {
		t.Errorf("second up changed the cloud:\n%s", enginetest.Describe(got))
	}
	if op.Changes["same"] == 0 {
		t.Errorf("second up reports no resources at all: %v", op.Changes)
	}
}

func TestEngine_AppendingAPoolCIDRPreviewsOneUpdateOfTheRelease(t *testing.T) {
	s := enginetest.NewStack(t, "dev", "stacks/Pulumi.dev.yaml", program.Run)
	s.MustSucceed("up", s.Up())
	s.EditConfig(func(c map[string]any) {
		cil := enginetest.CiliumConfig(c)
		cil["clusterPoolIPv4PodCIDRList"] = append(cil["clusterPoolIPv4PodCIDRList"].([]any), "10.201.0.0/16")
	})
	op := s.MustSucceed("preview", s.Preview())
	changes := changesBeyondTheGuard(t, op)
	if changes["update"] != 1 {
		t.Errorf("preview: %v, want exactly one update", op.Changes)
	}
	for kind, n := range changes {
		if kind != "same" && kind != "update" {
			t.Errorf("preview: %d %s, want none (%v)", n, kind, op.Changes)
		}
	}
	var updated []string
	for urn, step := range op.Steps() {
		if step == apitype.OpUpdate {
			updated = append(updated, urn)
		}
	}
	if len(updated) != 1 || resource.URN(updated[0]).Type() != "kubernetes:helm.sh/v3:Release" {
		t.Errorf("updated %v, want only the Cilium release", updated)
	}
	// The fake's Diff saw the new pool in the release's values.
	for _, c := range op.Calls {
		if c.Method == "Diff" && c.Token == "kubernetes:helm.sh/v3:Release" {
			return
		}
	}
	t.Errorf("the release was never diffed:\n%s", enginetest.Describe(op.Calls))
}

// Rewriting, removing or re-masking the pool of a deployed stack is refused by the program
// itself, from the outputs the real StackReference returns, before it registers anything.
func TestEngine_GuardRefusesPoolChangesThroughTheStackReference(t *testing.T) {
	s := enginetest.NewStack(t, "prod", "stacks/Pulumi.prod.yaml", program.Run)
	s.MustSucceed("up", s.Up())
	deployed := s.Outputs()
	if got := fmt.Sprint(deployed["podCidrs"].Value); got != "[10.100.0.0/17 10.101.0.0/17]" {
		t.Fatalf("deployed podCidrs = %s", got)
	}
	tests := []struct {
		name string
		edit func(cil map[string]any)
		key  string
	}{
		{"rewrite an entry", func(cil map[string]any) {
			cil["clusterPoolIPv4PodCIDRList"] = []any{"10.102.0.0/17", "10.101.0.0/17"}
		}, `eks-cilium:cilium.clusterPoolIPv4PodCIDRList[0]`},
		{"remove an entry", func(cil map[string]any) {
			cil["clusterPoolIPv4PodCIDRList"] = []any{"10.100.0.0/17"}
		}, `eks-cilium:cilium.clusterPoolIPv4PodCIDRList[1]`},
		{"change the mask", func(cil map[string]any) {
			cil["clusterPoolIPv4MaskSize"] = 25
		}, `eks-cilium:cilium.clusterPoolIPv4MaskSize`},
	}
	original, err := os.ReadFile(s.File)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if err := os.WriteFile(s.File, original, 0o644); err != nil {
					t.Fatal(err)
				}
			}()
			s.EditConfig(func(c map[string]any) { tt.edit(enginetest.CiliumConfig(c)) })
			op := s.Preview()
			if op.Err == nil {
				t.Fatalf("preview succeeded, want the guard to refuse %s:\n%s", tt.key, op.Output)
			}
			if !strings.Contains(op.Output, tt.key) {
				t.Errorf("refusal does not name %s:\n%s", tt.key, op.Output)
			}
			if !strings.Contains(op.Output, "deployed:") {
				t.Errorf("refusal does not show the deployed value:\n%s", op.Output)
			}
			for _, c := range op.Calls {
				if c.Method == "Check" || c.Method == "Create" || c.Method == "Construct" {
					t.Errorf("the program registered a resource before refusing: %s", c)
				}
			}
		})
	}
}

func TestEngine_FailedFirstUpAtTheNodeGroupStillGuardsThePool(t *testing.T) {
	s := enginetest.NewStack(t, "dev", "stacks/Pulumi.dev.yaml", program.Run)
	// The stack outputs the guard reads are registered once the cluster exists; EKS takes
	// minutes to give up on nodes that never join, the fake a few seconds.
	s.Fakes.AWS.FailCreate("aws:eks/nodeGroup:NodeGroup",
		"NodeCreationFailure: Instances failed to join the kubernetes cluster (fake)", 3*time.Second)
	op := s.Up()
	if op.Err == nil {
		t.Fatalf("first up succeeded although the node group failed:\n%s", op.Output)
	}
	released := false
	for _, c := range enginetest.Applied(op.Calls) {
		if c.Token == "kubernetes:helm.sh/v3:Release" && c.Err == "" {
			released = true
		}
	}
	if !released {
		t.Fatalf("the failed up never installed Cilium, so there is nothing to guard:\n%s", enginetest.Describe(op.Calls))
	}
	if got := fmt.Sprint(s.Outputs()["podCidrs"].Value); got != "[10.200.0.0/16]" {
		t.Errorf("after the failed up the stack exports podCidrs = %s, want [10.200.0.0/16] (the guard reads it)", got)
	}
	s.EditConfig(func(c map[string]any) {
		enginetest.CiliumConfig(c)["clusterPoolIPv4PodCIDRList"] = []any{"10.210.0.0/16"}
	})
	next := s.Preview()
	if next.Err == nil || !strings.Contains(next.Output, "eks-cilium:cilium.clusterPoolIPv4PodCIDRList[0]") {
		t.Errorf("after a failed first up, rewriting the installed pool was not refused:\n%s", next.Output)
	}
}

func TestEngine_DestroyRemovesInReverseDesignOrder(t *testing.T) {
	s := enginetest.NewStack(t, "dev", "stacks/Pulumi.dev.yaml", program.Run)
	s.MustSucceed("up", s.Up())
	op := s.MustSucceed("destroy", s.Destroy())
	reverse := make([]stage, len(designOrder))
	for i, st := range designOrder {
		reverse[len(designOrder)-1-i] = st
	}
	assertSequence(t, "Delete", op.Calls, reverse)
	for _, order := range addonOrder {
		assertSequence(t, "Delete", op.Calls, []stage{order[1], order[0]})
	}
	created, deleted := 0, 0
	for _, c := range s.Fakes.Log.Since(0) {
		switch {
		case c.Method == "Create" && !c.Preview && c.Err == "":
			created++
		case c.Method == "Delete":
			deleted++
		}
	}
	if created != deleted {
		t.Errorf("created %d resources, destroy deleted %d", created, deleted)
	}
}

func TestEngine_ProdProtectStopsDestroyAtTheCluster(t *testing.T) {
	s := enginetest.NewStack(t, "prod", "stacks/Pulumi.prod.yaml", program.Run)
	s.MustSucceed("up", s.Up())
	op := s.Destroy()
	if op.Err == nil {
		t.Fatalf("destroy of prod succeeded despite protect:\n%s", op.Output)
	}
	if !strings.Contains(op.Output, "protected") {
		t.Errorf("destroy failed, but not because of protect:\n%s", op.Output)
	}
	for _, c := range enginetest.Applied(op.Calls) {
		if c.Token == "aws:eks/cluster:Cluster" || c.Token == "aws:ec2/vpc:Vpc" {
			t.Errorf("destroy deleted %s although the cluster is protected", c)
		}
	}
}
