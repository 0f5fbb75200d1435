//go:build e2e

package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/eks-cilium/eks-cilium/stackconfig"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// Labels Karpenter puts on its nodes: the NodePool's name, and "initialized" once the node is
// Ready and every startup taint is gone (Karpenter docs, concepts/nodepools.md).
const (
	nodePoolLabel    = "karpenter.sh/nodepool"
	initializedLabel = "karpenter.sh/initialized"
)

// checkKarpenter deploys a pod that fits none of the node groups' instance types and checks
// that Karpenter launches exactly one node for it, that the node loses Cilium's startup taint
// once the agent runs, and that the pod gets its IP from the cluster pool. One node, not
// more: a NodePool without the startup taint makes Karpenter see its own new node as
// unusable and launch again.
func checkKarpenter(t *testing.T, kube kubernetes.Interface, cfg stackconfig.Config, pools []netip.Prefix) {
	if cfg.Karpenter == nil || len(cfg.Karpenter.NodePools) == 0 {
		t.Skip("the stack installs no Karpenter")
	}
	pool := cfg.Karpenter.NodePools[0]
	ctx := context.Background()
	ns := fmt.Sprintf("e2e-karpenter-%d", time.Now().Unix()%100000)
	if _, err := kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// Deleting the pod lets Karpenter consolidate the empty node away before the destroy.
	t.Cleanup(func() { _ = kube.CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{}) })

	// More CPU than the dev stack's node group instances have (t3.medium: 2 vCPUs), and
	// pinned to the pool so only Karpenter can place it.
	const cpu = 3
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "big"},
		Spec: corev1.PodSpec{
			NodeSelector: map[string]string{nodePoolLabel: pool.Name},
			Containers: []corev1.Container{{
				Name:  "pause",
				Image: "registry.k8s.io/pause:3.10",
				Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
					corev1.ResourceCPU: *resource.NewQuantity(cpu, resource.DecimalSI),
				}},
			}},
		},
	}
	if _, err := kube.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	var node corev1.Node
	eventually(t, 10*time.Minute, "one Karpenter node Ready, initialized and without Cilium's startup taint", func(ctx context.Context) error {
		nodes, err := kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{LabelSelector: nodePoolLabel + "=" + pool.Name})
		if err != nil {
			return err
		}
		if len(nodes.Items) != 1 {
			return fmt.Errorf("%d nodes of node pool %s, want 1", len(nodes.Items), pool.Name)
		}
		node = nodes.Items[0]
		if !nodeReady(node) {
			return errors.New(node.Name + " not Ready")
		}
		for _, taint := range node.Spec.Taints {
			if taint.Key == startupTaint {
				return errors.New(node.Name + " still has " + startupTaint)
			}
		}
		if node.Labels[initializedLabel] != "true" {
			return errors.New(node.Name + " not initialized by Karpenter yet")
		}
		return nil
	})
	if got := node.Status.Capacity.Pods(); pool.MaxPods > 0 && got.Value() != int64(pool.MaxPods) {
		t.Errorf("node %s has pod capacity %d, want the node pool's maxPods %d (the EC2NodeClass's kubelet.maxPods)", node.Name, got.Value(), pool.MaxPods)
	}

	eventually(t, 5*time.Minute, "the pod Running on the Karpenter node with an IP from the pool", func(ctx context.Context) error {
		p, err := kube.CoreV1().Pods(ns).Get(ctx, "big", metav1.GetOptions{})
		if err != nil {
			return err
		}
		if p.Status.Phase != corev1.PodRunning || p.Spec.NodeName != node.Name {
			return fmt.Errorf("pod %s on %q, want Running on %s", p.Status.Phase, p.Spec.NodeName, node.Name)
		}
		ip, err := netip.ParseAddr(p.Status.PodIP)
		if err != nil {
			return fmt.Errorf("pod IP %q: %v", p.Status.PodIP, err)
		}
		if !inPools(ip, pools) {
			return fmt.Errorf("pod IP %s is outside the pool %v", ip, pools)
		}
		return nil
	})

	// Still one node a minute later: Karpenter did not launch a second one while the first
	// waited for Cilium.
	time.Sleep(time.Minute)
	nodes, err := kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{LabelSelector: nodePoolLabel + "=" + pool.Name})
	if err != nil {
		t.Fatal(err)
	}
	if len(nodes.Items) != 1 {
		t.Errorf("%d nodes of node pool %s a minute after the pod ran, want 1", len(nodes.Items), pool.Name)
	}
}
