package realkube

import (
	"context"
	"fmt"
	"net/netip"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/eks-cilium/eks-cilium/charts"
	"github.com/eks-cilium/eks-cilium/ipplan"
	"github.com/eks-cilium/eks-cilium/stackconfig"
	"github.com/eks-cilium/eks-cilium/tests/enginetest"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var ciliumNodes = schema.GroupVersionResource{Group: "cilium.io", Version: "v2", Resource: "ciliumnodes"}

// allocation is what the operator made of one CiliumNode.
type allocation struct {
	cidrs []string // spec.ipam.podCIDRs
	err   string   // status.ipam.operator-status.error
}

// createCiliumNodes creates CiliumNodes as Cilium agents do on start in cluster-pool mode:
// named after their node, with the node's address, asking for pod CIDRs by having none.
func createCiliumNodes(t *testing.T, l *Lane, names []string) {
	t.Helper()
	for i, name := range names {
		obj := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "cilium.io/v2",
			"kind":       "CiliumNode",
			"metadata":   map[string]any{"name": name, "labels": map[string]any{"kubernetes.io/hostname": name}},
			"spec": map[string]any{
				"addresses": []any{map[string]any{"type": "InternalIP", "ip": fmt.Sprintf("192.168.%d.%d", 100+i/250, 1+i%250)}},
				"ipam":      map[string]any{},
			},
		}}
		if _, err := l.Cluster.Dynamic.Resource(ciliumNodes).Create(context.Background(), obj, metav1.CreateOptions{}); err != nil {
			t.Fatalf("creating CiliumNode %s: %v", name, err)
		}
	}
}

// allocations reads every CiliumNode's pod CIDRs and operator error.
func allocations(t *testing.T, l *Lane) map[string]allocation {
	t.Helper()
	list, err := l.Cluster.Dynamic.Resource(ciliumNodes).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatalf("listing CiliumNodes: %v", err)
	}
	out := map[string]allocation{}
	for _, item := range list.Items {
		cidrs, _, _ := unstructured.NestedStringSlice(item.Object, "spec", "ipam", "podCIDRs")
		msg, _, _ := unstructured.NestedString(item.Object, "status", "ipam", "operator-status", "error")
		out[item.GetName()] = allocation{cidrs: cidrs, err: msg}
	}
	return out
}

// waitForAllocations waits until done holds for the CiliumNodes' allocations.
func waitForAllocations(t *testing.T, l *Lane, op *Operator, timeout time.Duration, what string, done func(map[string]allocation) bool) map[string]allocation {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		a := allocations(t, l)
		if done(a) {
			return a
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after %s; %s\noperator starts: %d; its log ends:\n%s", what, timeout, summarize(a), len(op.Starts()), op.Tail(20))
		}
		time.Sleep(time.Second)
	}
}

// summarize counts allocations by outcome.
func summarize(a map[string]allocation) string {
	counts := map[string]int{}
	for _, x := range a {
		switch {
		case len(x.cidrs) > 0:
			counts["with a pod CIDR"]++
		case x.err != "":
			counts["error: "+x.err]++
		default:
			counts["waiting"]++
		}
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%d %s", counts[k], k))
	}
	return fmt.Sprintf("%d CiliumNodes: %s", len(a), strings.Join(parts, ", "))
}

// availableNodeCIDRs is the render's "Node CIDRs ... available" figure of a stack file.
func availableNodeCIDRs(t *testing.T, stackFile string) (int, []netip.Prefix) {
	t.Helper()
	cfg, _, err := stackconfig.LoadFile(filepath.Join(enginetest.RepoRoot(t), stackFile))
	if err != nil {
		t.Fatal(err)
	}
	plan, err := ipplan.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(plan.Summary(), fmt.Sprintf("%d available", plan.NodeCIDRsTotal)) {
		t.Fatalf("the render's summary does not show %d available node CIDRs:\n%s", plan.NodeCIDRsTotal, plan.Summary())
	}
	return int(plan.NodeCIDRsTotal), plan.PodCIDRs
}

// within reports whether every CIDR lies in one of the pools.
func within(cidrs []string, pools ...netip.Prefix) bool {
	for _, c := range cidrs {
		p, err := netip.ParsePrefix(c)
		if err != nil {
			return false
		}
		in := false
		for _, pool := range pools {
			in = in || (pool.Contains(p.Addr()) && p.Bits() >= pool.Bits())
		}
		if !in {
			return false
		}
	}
	return true
}

// The pool of the dev stack, served by Cilium's real operator: exactly the render's count of
// node CIDRs, the rest refused as "allocator full"; after a pool append through `pulumi up`
// the operator's pods roll (and only its pods: the agents keep running), the restarted
// operator serves the waiting nodes from the appended CIDR, and no node's CIDR moves.
func TestRealKube_PoolAppendReachesTheRunningOperator(t *testing.T) {
	t.Parallel() // a control plane of its own: see doc.go
	var op *Operator
	l := NewLane(t, "dev", LaneOptions{BeforeStack: func(l *Lane) { op = AttachOperator(t, l) }})
	ctx := context.Background()
	available, pool := availableNodeCIDRs(t, "stacks/Pulumi.dev.yaml")
	if available != 256 || len(pool) != 1 || pool[0].String() != "10.200.0.0/16" {
		t.Fatalf("dev's plan: %d node CIDRs from %v; this scenario is written for 256 /24s of 10.200.0.0/16", available, pool)
	}
	appended := netip.MustParsePrefix("10.201.0.0/16")
	const overflow = 4

	l.Stack.MustSucceed("first up", l.Stack.Up())
	if len(op.Starts()) == 0 {
		t.Fatalf("no operator pod started during up:\n%s", l.Cluster.Events("kube-system"))
	}
	// The operator registers Cilium's CRDs itself (the chart ships none).
	deadline := time.Now().Add(2 * time.Minute)
	for {
		_, err := l.Cluster.Dynamic.Resource(ciliumNodes).List(ctx, metav1.ListOptions{Limit: 1})
		if err == nil {
			break
		}
		if time.Now().After(deadline) || !op.Running() {
			t.Fatalf("the operator did not register the CiliumNode CRD (%v); its log ends:\n%s", err, op.Tail(30))
		}
		time.Sleep(time.Second)
	}

	var names []string
	for i := range available + overflow {
		names = append(names, fmt.Sprintf("sim-node-%03d", i))
	}
	createCiliumNodes(t, l, names)
	settled := func(a map[string]allocation) bool {
		n := 0
		for _, x := range a {
			if len(x.cidrs) > 0 || x.err != "" {
				n++
			}
		}
		return n == len(names)
	}
	before := waitForAllocations(t, l, op, 3*time.Minute, "every CiliumNode allocated or refused", settled)
	served, full := 0, 0
	seen := map[string]string{}
	for name, a := range before {
		switch {
		case len(a.cidrs) == 1 && within(a.cidrs, pool...):
			served++
			if other, dup := seen[a.cidrs[0]]; dup {
				t.Errorf("%s and %s share %s", name, other, a.cidrs[0])
			}
			seen[a.cidrs[0]] = name
			if p := netip.MustParsePrefix(a.cidrs[0]); p.Bits() != 24 {
				t.Errorf("%s got %s, want a /24 (clusterPoolIPv4MaskSize)", name, p)
			}
		case len(a.cidrs) == 0 && a.err == "allocator full":
			full++
		default:
			t.Errorf("%s: pod CIDRs %v, error %q; want one /24 of %v or \"allocator full\"", name, a.cidrs, a.err, pool)
		}
	}
	if served != available || full != overflow {
		t.Fatalf("the operator served %d nodes and refused %d as allocator full; the render says %d available, so want %d and %d\n%s",
			served, full, available, available, overflow, summarize(before))
	}

	operatorBefore, err := l.Cluster.Client.AppsV1().Deployments(charts.Namespace).Get(ctx, "cilium-operator", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	agentBefore, err := l.Cluster.Client.AppsV1().DaemonSets(charts.Namespace).Get(ctx, "cilium", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	startsBefore := len(op.Starts())

	appendPool(l.Stack, appended.String())
	l.Stack.MustSucceed("up with an appended pool CIDR", l.Stack.Up())

	operatorAfter, err := l.Cluster.Client.AppsV1().Deployments(charts.Namespace).Get(ctx, "cilium-operator", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	agentAfter, err := l.Cluster.Client.AppsV1().DaemonSets(charts.Namespace).Get(ctx, "cilium", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(agentBefore.Spec.Template, agentAfter.Spec.Template) {
		t.Errorf("the pool append changed the agent DaemonSet's pod template: every node's agent restarts\nbefore: %v\nafter:  %v",
			agentBefore.Spec.Template.Annotations, agentAfter.Spec.Template.Annotations)
	}
	if reflect.DeepEqual(operatorBefore.Spec.Template, operatorAfter.Spec.Template) {
		t.Fatalf("the pool append left the operator Deployment's pod template unchanged (annotations %v): "+
			"its pods do not roll, and the running operator, which reads cluster-pool-ipv4-cidr only at start, never serves %s",
			operatorAfter.Spec.Template.Annotations, appended)
	}

	// The Deployment rolls; each new operator pod restarts the operator with the new config.
	after := waitForAllocations(t, l, op, 3*time.Minute, "the waiting nodes served from the appended CIDR", func(a map[string]allocation) bool {
		n := 0
		for _, x := range a {
			if within(x.cidrs, appended) && len(x.cidrs) == 1 {
				n++
			}
		}
		return n == overflow
	})
	starts := op.Starts()
	if len(starts) <= startsBefore {
		t.Errorf("the operator was not restarted after the append (%d starts)", len(starts))
	} else if got := starts[len(starts)-1].Config["cluster-pool-ipv4-cidr"]; got != "10.200.0.0/16 10.201.0.0/16" {
		t.Errorf("the restarted operator read cluster-pool-ipv4-cidr %q", got)
	}
	for name, a := range before {
		if len(a.cidrs) == 0 {
			continue
		}
		if got := after[name]; !reflect.DeepEqual(got.cidrs, a.cidrs) {
			t.Errorf("%s moved from %v to %v", name, a.cidrs, got.cidrs)
		}
	}
	for name, a := range after {
		if a.err != "" && !strings.Contains(a.err, "allocator full") {
			t.Errorf("%s: operator error %q after the append", name, a.err)
		}
	}
	if _, err := l.Cluster.Client.AppsV1().DaemonSets(charts.Namespace).Get(ctx, "cilium", metav1.GetOptions{}); apierrors.IsNotFound(err) {
		t.Errorf("the agent DaemonSet is gone")
	}
	t.Logf("%s; operator started %d times", summarize(after), len(op.Starts()))
}
