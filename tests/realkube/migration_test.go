package realkube

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/eks-cilium/eks-cilium/charts"
	"github.com/eks-cilium/eks-cilium/migration"
	"github.com/eks-cilium/eks-cilium/stackconfig"
	"github.com/eks-cilium/eks-cilium/tests/enginetest"
	"github.com/eks-cilium/eks-cilium/tests/localkube"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

// adoptToken is the bearer token the adopted cluster's API server accepts: what `aws eks
// get-token` prints (the fake aws CLI of enginetest.ExistingCluster).
const adoptToken = "k8s-aws-v1.realkube-adopted-cluster"

// legacyNodes are the adopted cluster's nodes before the migration: workers-a's two and
// workers-b's one (enginetest.ExistingCluster's legacy groups), on aws-node, no Cilium taint.
var legacyNodes = []localkube.Node{
	legacyNode("ip-10-0-1-10.eu-west-1.compute.internal", "eu-west-1a", "10.0.1.10", "workers-a"),
	legacyNode("ip-10-0-65-10.eu-west-1.compute.internal", "eu-west-1b", "10.0.65.10", "workers-a"),
	legacyNode("ip-10-0-1-20.eu-west-1.compute.internal", "eu-west-1a", "10.0.1.20", "workers-b"),
}

func legacyNode(name, zone, ip, group string) localkube.Node {
	n := localkube.T3Medium(name, zone, ip)
	n.NodeGroup, n.BeforeCilium = group, true
	return n
}

// ciliumNodeConfigs are Cilium's CiliumNodeConfig objects, whose CRD the operator registers.
var ciliumNodeConfigs = schema.GroupVersionResource{Group: "cilium.io", Version: "v2", Resource: "ciliumnodeconfigs"}

// applyAwsNode puts aws-node into the cluster as EKS bootstraps a self-managed one (server-side
// apply by its own field manager), shaped like amazon-vpc-cni-k8s v1.20's DaemonSet: host
// network, every taint tolerated, the chart's default node affinity, rolling updates. Its
// SNAT exclusions already list a peered network, which the migration must keep.
func applyAwsNode(t *testing.T, l *Lane) {
	t.Helper()
	ctx := context.Background()
	labels := map[string]any{"k8s-app": "aws-node"}
	ds := map[string]any{
		"apiVersion": "apps/v1", "kind": "DaemonSet",
		"metadata": map[string]any{"name": migration.AwsNodeDaemonSet, "namespace": migration.Namespace, "labels": labels},
		"spec": map[string]any{
			"selector":       map[string]any{"matchLabels": labels},
			"updateStrategy": map[string]any{"type": "RollingUpdate", "rollingUpdate": map[string]any{"maxUnavailable": "10%"}},
			"template": map[string]any{
				"metadata": map[string]any{"labels": labels},
				"spec": map[string]any{
					"hostNetwork": true, "priorityClassName": "system-node-critical", "serviceAccountName": "aws-node",
					"tolerations": []any{map[string]any{"operator": "Exists"}},
					"affinity": map[string]any{"nodeAffinity": map[string]any{"requiredDuringSchedulingIgnoredDuringExecution": map[string]any{
						"nodeSelectorTerms": []any{map[string]any{"matchExpressions": []any{
							map[string]any{"key": "kubernetes.io/os", "operator": "In", "values": []any{"linux"}},
							map[string]any{"key": "kubernetes.io/arch", "operator": "In", "values": []any{"amd64", "arm64"}},
							map[string]any{"key": "eks.amazonaws.com/compute-type", "operator": "NotIn", "values": []any{"fargate", "hybrid", "auto"}},
						}}},
					}}},
					"containers": []any{map[string]any{
						"name": migration.AwsNodeContainer, "image": "602401143452.dkr.ecr.eu-west-1.amazonaws.com/amazon-k8s-cni:v1.20.4-eksbuild.1",
						"env": []any{
							map[string]any{"name": "ENABLE_PREFIX_DELEGATION", "value": "true"},
							map[string]any{"name": "WARM_PREFIX_TARGET", "value": "1"},
							map[string]any{"name": migration.ExcludeSNATEnv, "value": "10.50.0.0/16"},
						},
					}},
				},
			},
		},
	}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "aws-node", Namespace: migration.Namespace}}
	if _, err := l.Cluster.Client.CoreV1().ServiceAccounts(migration.Namespace).Create(ctx, sa, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating aws-node's service account: %v", err)
	}
	body, err := json.Marshal(ds)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Cluster.Client.AppsV1().DaemonSets(migration.Namespace).Patch(ctx, migration.AwsNodeDaemonSet, types.ApplyPatchType, body,
		metav1.PatchOptions{FieldManager: "eks"}); err != nil {
		t.Fatalf("applying aws-node: %v", err)
	}
	l.waitAwsNode(t, "aws-node on the legacy nodes", func(ds *appsv1.DaemonSet) bool {
		return ds.Status.DesiredNumberScheduled == 3 && ds.Status.NumberReady == 3
	})
}

// awsNode reads the aws-node DaemonSet; nil when it is gone.
func (l *Lane) awsNode(t *testing.T) *appsv1.DaemonSet {
	t.Helper()
	ds, err := l.Cluster.Client.AppsV1().DaemonSets(migration.Namespace).Get(context.Background(), migration.AwsNodeDaemonSet, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		t.Fatalf("reading aws-node: %v", err)
	}
	return ds
}

// waitAwsNode waits until the DaemonSet controller has seen aws-node's current spec and ok
// holds of it.
func (l *Lane) waitAwsNode(t *testing.T, what string, ok func(*appsv1.DaemonSet) bool) *appsv1.DaemonSet {
	t.Helper()
	var ds *appsv1.DaemonSet
	start := time.Now()
	for end := start.Add(2 * time.Minute); time.Now().Before(end); time.Sleep(250 * time.Millisecond) {
		ds = l.awsNode(t)
		if ds != nil && ds.Status.ObservedGeneration == ds.Generation && ok(ds) {
			t.Logf("%s: after %s", what, time.Since(start).Round(100*time.Millisecond))
			return ds
		}
	}
	if ds == nil {
		t.Fatalf("%s: aws-node is gone", what)
	}
	t.Fatalf("%s: aws-node generation %d (observed %d), status %+v", what, ds.Generation, ds.Status.ObservedGeneration, ds.Status)
	return nil
}

// env is a container's environment by name.
func env(ds *appsv1.DaemonSet, container string) map[string]string {
	out := map[string]string{}
	for _, c := range ds.Spec.Template.Spec.Containers {
		if c.Name == container {
			for _, e := range c.Env {
				out[e.Name] = e.Value
			}
		}
	}
	return out
}

// keepsOffLabelledNodes reports whether aws-node's required node affinity excludes nodes with
// the migration label.
func keepsOffLabelledNodes(ds *appsv1.DaemonSet) bool {
	a := ds.Spec.Template.Spec.Affinity
	if a == nil || a.NodeAffinity == nil || a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution == nil {
		return false
	}
	for _, term := range a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms {
		if !slices.ContainsFunc(term.MatchExpressions, func(e corev1.NodeSelectorRequirement) bool {
			return e.Key == migration.NodeLabelKey && e.Operator == corev1.NodeSelectorOpNotIn && slices.Equal(e.Values, []string{migration.NodeLabelValue})
		}) {
			return false
		}
	}
	return true
}

// previewRefused fails unless a preview was refused with every one of wants in its output.
func previewRefused(t *testing.T, what string, op enginetest.Operation, wants ...string) {
	t.Helper()
	if op.Err == nil {
		t.Fatalf("%s: the preview succeeded, want a refusal:\n%s", what, op.Output)
	}
	requireContains(t, what+": the refusal", op.Output, wants...)
}

// noReplacement fails when an operation replaced anything: a phase changes the cluster's
// objects in place (the state ConfigMap included) or deletes them.
func noReplacement(t *testing.T, what string, op enginetest.Operation) {
	t.Helper()
	for urn, step := range op.Steps() {
		if step == apitype.OpReplace || step == apitype.OpCreateReplacement || step == apitype.OpDeleteReplaced {
			t.Errorf("%s replaced %s", what, urn)
		}
	}
}

// setMigration sets a key of eks-cilium:migration in the stack file.
func setMigration(s *enginetest.Stack, key, value string) {
	s.EditConfig(func(c map[string]any) { c[stackconfig.KeyMigration].(map[string]any)[key] = value })
}

// An adopted EKS cluster on a self-managed aws-node, migrated to Cilium one phase per update
// through the real provider against a real API server, with Cilium's real operator: the live
// checks read the real aws-node DaemonSet and nodes, the server-side-apply patch takes
// aws-node's node affinity over from its owner and keeps its other settings, the real
// DaemonSet controller keeps aws-node off a node of the new node group while Cilium's agent
// runs there, the CiliumNodeConfig is created once the operator has registered its CRD,
// finalize is refused while the DaemonSet controller still schedules aws-node and goes through
// once the legacy nodes are gone, and remove-aws-node deletes aws-node and nothing of Cilium.
//
// Not parallel: the fake EKS API and the fake aws CLI of enginetest.ExistingCluster reach the
// inline program through the test process's environment (t.Setenv).
func TestRealKube_SelfManagedAwsNodeMigratesPhaseByPhase(t *testing.T) {
	var op *Operator
	l := NewLane(t, "adopt", LaneOptions{
		StackFile: "tests/fixtures/Pulumi.adopt.yaml",
		Cluster:   localkube.Options{BearerToken: adoptToken},
		Nodes:     legacyNodes,
		BeforeStack: func(l *Lane) {
			op = AttachOperator(t, l)
			applyAwsNode(t, l)
		},
	})
	cluster := enginetest.NewExistingClusterWith(t, l.Stack.Fakes, enginetest.ExistingOptions{
		API:                &enginetest.KubeAPI{Server: l.Cluster.Server, CAPEM: l.Cluster.CA.CertPEM, Token: adoptToken},
		SelfManagedAwsNode: true,
	})
	setMigration(l.Stack, "awsNode", stackconfig.AwsNodeSelfManaged)
	ctx := context.Background()
	before := l.awsNode(t)

	// install.
	start := time.Now()
	install := l.Stack.MustSucceed("install", l.Stack.Up())
	t.Logf("install: %v in %s", install.Changes, time.Since(start).Round(time.Second))
	// The chart ships no CRD: the operator registers CiliumNodeConfig's once it runs, and the
	// provider retries a create whose kind is unknown (five times, the delay doubling:
	// pulumi-kubernetes v4.25.0 provider/pkg/await/await.go L253-260).
	t.Logf("install: the provider reported %d failed attempts to create the CiliumNodeConfig before its CRD existed",
		strings.Count(install.Output, `creation failed: no matches for kind "CiliumNodeConfig"`))
	dsUID := l.agentDaemonSetUID(t)
	if !slices.ContainsFunc(op.Starts(), func(s OperatorStart) bool { return s.Config["ipam"] == "cluster-pool" }) {
		t.Errorf("the Cilium operator never started with the release's cilium-config")
	}
	cfg := l.ConfigMap(charts.Namespace, "cilium-config")
	for key, want := range map[string]string{"custom-cni-conf": "true", "enable-policy": "never", "cluster-pool-ipv4-cidr": "100.64.0.0/16", "ipam": "cluster-pool"} {
		if cfg[key] != want {
			t.Errorf("install: cilium-config %s = %q, want %q", key, cfg[key], want)
		}
	}
	cnc, err := l.Cluster.Dynamic.Resource(ciliumNodeConfigs).Namespace(migration.Namespace).Get(ctx, migration.NodeConfigName, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("install: the CiliumNodeConfig: %v", err)
	}
	if sel, _, _ := unstructured.NestedString(cnc.Object, "spec", "nodeSelector", "matchLabels", migration.NodeLabelKey); sel != migration.NodeLabelValue {
		t.Errorf("install: the CiliumNodeConfig selects %q, want %s=%s", sel, migration.NodeLabelKey, migration.NodeLabelValue)
	}

	// aws-node: patched, not replaced; its owner's settings kept; still on the legacy nodes.
	patched := l.waitAwsNode(t, "aws-node after install", func(ds *appsv1.DaemonSet) bool {
		return ds.Generation > before.Generation && ds.Status.UpdatedNumberScheduled == 3 && ds.Status.NumberReady == 3
	})
	if patched.UID != before.UID {
		t.Errorf("install replaced aws-node (uid %s -> %s)", before.UID, patched.UID)
	}
	got := env(patched, migration.AwsNodeContainer)
	for name, want := range map[string]string{
		"ENABLE_PREFIX_DELEGATION": "true", "WARM_PREFIX_TARGET": "1",
		migration.ExcludeSNATEnv: "10.50.0.0/16,100.64.0.0/16", migration.ExternalServiceEnv: "100.64.0.0/16",
	} {
		if got[name] != want {
			t.Errorf("install: aws-node %s = %q, want %q (env %v)", name, got[name], want, got)
		}
	}
	if !keepsOffLabelledNodes(patched) {
		t.Errorf("install: aws-node's node affinity does not exclude %s=%s: %+v", migration.NodeLabelKey, migration.NodeLabelValue, patched.Spec.Template.Spec.Affinity)
	}
	if patched.Spec.Template.Spec.Containers[0].Image != before.Spec.Template.Spec.Containers[0].Image || !patched.Spec.Template.Spec.HostNetwork {
		t.Errorf("install changed aws-node beyond its env and affinity: %+v", patched.Spec.Template.Spec)
	}

	// A node of the new node group joins: Cilium's agent runs there and lifts the startup
	// taint; the DaemonSet controller schedules no aws-node there.
	newNode := localkube.T3Medium("ip-10-0-32-10.eu-west-1.compute.internal", "eu-west-1a", "10.0.32.10")
	newNode.NodeGroup, newNode.Labels = "cilium", map[string]string{migration.NodeLabelKey: migration.NodeLabelValue}
	l.Kubelets.AddNode(t, newNode)
	for end := time.Now().Add(2 * time.Minute); ; time.Sleep(250 * time.Millisecond) {
		agents, err := l.Cluster.Client.AppsV1().DaemonSets(charts.Namespace).Get(ctx, "cilium", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if agents.Status.DesiredNumberScheduled == 4 && agents.Status.NumberReady == 4 {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("Cilium's agent does not run on the new node: %+v", agents.Status)
		}
	}
	if ds := l.waitAwsNode(t, "aws-node once the new node joined", func(*appsv1.DaemonSet) bool { return true }); ds.Status.DesiredNumberScheduled != 3 {
		t.Errorf("aws-node is scheduled on %d nodes with the new node joined, want the 3 legacy ones", ds.Status.DesiredNumberScheduled)
	}
	for _, p := range l.Pods(migration.Namespace, "k8s-app=aws-node") {
		if p.Spec.NodeName == newNode.Name {
			t.Errorf("aws-node pod %s runs on the new node", p.Name)
		}
	}

	// finalize, refused while the live checks see legacy nodes and aws-node scheduled.
	setMigration(l.Stack, "phase", stackconfig.PhaseFinalize)
	previewRefused(t, "finalize with legacy nodes", l.Stack.Preview(),
		"legacy node group workers-a still has 2 nodes", "aws-node is still scheduled on 3 nodes")

	// The legacy groups are drained and scaled to zero; their nodes leave.
	cluster.Drain()
	for _, n := range legacyNodes {
		l.Kubelets.RemoveNode(t, n.Name)
	}
	l.waitAwsNode(t, "aws-node once the legacy nodes are gone", func(ds *appsv1.DaemonSet) bool {
		return ds.Status.DesiredNumberScheduled == 0 && ds.Status.CurrentNumberScheduled == 0
	})
	finalize := l.Stack.MustSucceed("finalize", l.Stack.Up())
	t.Logf("finalize: %v", finalize.Changes)
	noReplacement(t, "finalize", finalize)
	cfg = l.ConfigMap(charts.Namespace, "cilium-config")
	for key, want := range map[string]string{"custom-cni-conf": "false", "enable-policy": "default"} {
		if cfg[key] != want {
			t.Errorf("finalize: cilium-config %s = %q, want %q", key, cfg[key], want)
		}
	}
	if _, err := l.Cluster.Dynamic.Resource(ciliumNodeConfigs).Namespace(migration.Namespace).Get(ctx, migration.NodeConfigName, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("finalize: the CiliumNodeConfig: %v, want it deleted", err)
	}
	if ds := l.awsNode(t); ds == nil || ds.UID != before.UID {
		t.Errorf("finalize deleted or replaced aws-node: %v", ds)
	}

	// remove-aws-node: aws-node goes, Cilium stays.
	setMigration(l.Stack, "phase", stackconfig.PhaseRemoveAwsNode)
	remove := l.Stack.MustSucceed("remove-aws-node", l.Stack.Up())
	t.Logf("remove-aws-node: %v", remove.Changes)
	noReplacement(t, "remove-aws-node", remove)
	for end := time.Now().Add(time.Minute); l.awsNode(t) != nil; time.Sleep(250 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("remove-aws-node: aws-node still exists")
		}
	}
	if uid := l.agentDaemonSetUID(t); uid != dsUID {
		t.Errorf("Cilium's agent DaemonSet was replaced during the migration (uid %s -> %s)", dsUID, uid)
	}
	if got := l.Stack.Outputs()["migrationPhase"].Value; got != stackconfig.PhaseRemoveAwsNode {
		t.Errorf("migrationPhase output = %v, want %s", got, stackconfig.PhaseRemoveAwsNode)
	}
}
