package localkube

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/retry"
	"k8s.io/client-go/util/workqueue"
)

// Cilium's startup taint: nodes join with it (this project's node groups and Karpenter pools
// set it) and the agent removes it once it runs on the node
// (https://docs.cilium.io/en/stable/installation/taints/).
const (
	CiliumStartupTaintKey = "node.cilium.io/agent-not-ready"
	// CiliumAgentLabel selects the agent's pods (the chart's DaemonSet: k8s-app=cilium).
	CiliumAgentLabel = "k8s-app"
	ciliumAgentValue = "cilium"
)

// Node is a simulated node, shaped like one of this project's EKS nodes.
type Node struct {
	Name         string
	Zone         string // topology.kubernetes.io/zone
	InstanceType string // node.kubernetes.io/instance-type
	NodeGroup    string // eks.amazonaws.com/nodegroup
	IP           string // InternalIP (also the host-network pods' address)
	// CPU and Memory are allocatable; Pods is maxPods.
	CPU, Memory string
	Pods        int
	// Labels are added to the node's well-known labels (e.g. the label a node group gives
	// its nodes).
	Labels map[string]string
	// BeforeCilium is a node that joined before Cilium was installed (a cluster on the AWS VPC
	// CNI): it carries no Cilium startup taint.
	BeforeCilium bool
}

// T3Medium is a node of dev's node group: a t3.medium (2 vCPUs, 4 GiB) with maxPods 110.
// Allocatable CPU and memory approximate what EKS leaves after its reservations, computed,
// not read from a real node: kube-reserved CPU 6% of the first core and 1% of the second
// (70m), memory 255 MiB + 11 MiB per pod (1465 MiB at 110 pods), a 100 MiB eviction threshold
// (amazon-eks-ami's kube-reserved formula), rounded down from the remaining ~2.5 GiB.
func T3Medium(name, zone, ip string) Node {
	return Node{Name: name, Zone: zone, InstanceType: "t3.medium", NodeGroup: "general", IP: ip,
		CPU: "1930m", Memory: "2400Mi", Pods: 110}
}

// Kubelets plays the kubelets of the simulated nodes: see the package comment.
type Kubelets struct {
	c     *Cluster
	queue workqueue.TypedRateLimitingInterface[string]
	pods  cache.Indexer

	mu      sync.Mutex
	nodes   map[string]Node
	podIPs  map[string]string // pod uid -> address
	nextIP  netip.Addr
	onStart []func(*corev1.Pod)
	holds   map[int]func(*corev1.Pod) bool
	nextID  int
}

// StartKubelets starts the loop that plays the kubelets of the nodes added with AddNode. It
// runs until the test ends.
func (c *Cluster) StartKubelets(t testing.TB) *Kubelets {
	t.Helper()
	k := &Kubelets{
		c:      c,
		queue:  workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[string]()),
		nodes:  map[string]Node{},
		podIPs: map[string]string{},
		// Pod addresses the simulated kubelets hand out: a range of their own, not the pool's
		// (Cilium's IPAM is not simulated here; the lane runs the real operator for that).
		nextIP: netip.MustParseAddr("100.127.0.1"),
	}
	ctx, cancel := context.WithCancel(context.Background())
	factory := informers.NewSharedInformerFactory(c.Client, 0)
	informer := factory.Core().V1().Pods().Informer()
	k.pods = informer.GetIndexer()
	enqueue := func(obj any) {
		if key, err := cache.MetaNamespaceKeyFunc(obj); err == nil {
			k.queue.Add(key)
		}
	}
	if _, err := informer.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    enqueue,
		UpdateFunc: func(_, obj any) { enqueue(obj) },
	}); err != nil {
		t.Fatal(err)
	}
	factory.Start(ctx.Done())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for k.work(ctx) {
		}
	}()
	t.Cleanup(func() {
		cancel()
		k.queue.ShutDown()
		factory.Shutdown()
		<-done
	})
	if !cache.WaitForCacheSync(ctx.Done(), informer.HasSynced) {
		t.Fatal("the pod informer did not sync")
	}
	return k
}

// OnPodStart calls f for every pod the simulated kubelets start (once per pod), after its
// status says Running.
func (k *Kubelets) OnPodStart(f func(*corev1.Pod)) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.onStart = append(k.onStart, f)
}

// Hold keeps the pods for which held returns true from starting (they stay Pending, as on a
// node whose kubelet cannot pull their images), until the returned function is called, which
// starts them. It lets a test stop a Helm install or upgrade at its wait.
func (k *Kubelets) Hold(held func(*corev1.Pod) bool) (release func()) {
	k.mu.Lock()
	if k.holds == nil {
		k.holds = map[int]func(*corev1.Pod) bool{}
	}
	id := k.nextID
	k.nextID++
	k.holds[id] = held
	k.mu.Unlock()
	return func() {
		k.mu.Lock()
		delete(k.holds, id)
		k.mu.Unlock()
		for _, key := range k.pods.ListKeys() {
			k.queue.Add(key)
		}
	}
}

// held reports whether a hold keeps the pod from starting.
func (k *Kubelets) held(pod *corev1.Pod) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, h := range k.holds {
		if h(pod) {
			return true
		}
	}
	return false
}

// AddNode registers a node as an EKS node joins: Ready, with Cilium's startup taint unless it
// joined before Cilium. The TaintNodesByCondition admission adds node.kubernetes.io/not-ready
// to every new node and only the node lifecycle controller (off here: no kubelet reports
// status) would lift it, so AddNode lifts it once the node reports Ready.
func (k *Kubelets) AddNode(t testing.TB, n Node) {
	t.Helper()
	ctx := context.Background()
	labels := map[string]string{
		"kubernetes.io/hostname":           n.Name,
		"kubernetes.io/os":                 "linux",
		"kubernetes.io/arch":               "amd64",
		"topology.kubernetes.io/zone":      n.Zone,
		"topology.kubernetes.io/region":    regionOf(n.Zone),
		"node.kubernetes.io/instance-type": n.InstanceType,
		"eks.amazonaws.com/nodegroup":      n.NodeGroup,
		"eks.amazonaws.com/capacityType":   "ON_DEMAND",
	}
	maps.Copy(labels, n.Labels)
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: n.Name, Labels: labels},
		Spec:       corev1.NodeSpec{ProviderID: "aws:///" + n.Zone + "/i-" + shortHash(n.Name, 17)},
	}
	if !n.BeforeCilium {
		node.Spec.Taints = []corev1.Taint{{Key: CiliumStartupTaintKey, Value: "true", Effect: corev1.TaintEffectNoExecute}}
	}
	k.mu.Lock()
	k.nodes[n.Name] = n
	k.mu.Unlock()
	if _, err := k.c.Client.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{}); err != nil {
		t.Fatalf("registering node %s: %v", n.Name, err)
	}
	capacity := corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse(n.CPU),
		corev1.ResourceMemory: resource.MustParse(n.Memory),
		corev1.ResourcePods:   *resource.NewQuantity(int64(n.Pods), resource.DecimalSI),
	}
	now := metav1.Now()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		cur, err := k.c.Client.CoreV1().Nodes().Get(ctx, n.Name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		cur.Status = corev1.NodeStatus{
			Capacity: capacity, Allocatable: capacity,
			Conditions: []corev1.NodeCondition{
				{Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady", LastHeartbeatTime: now, LastTransitionTime: now},
				{Type: corev1.NodeMemoryPressure, Status: corev1.ConditionFalse, LastHeartbeatTime: now, LastTransitionTime: now},
				{Type: corev1.NodeDiskPressure, Status: corev1.ConditionFalse, LastHeartbeatTime: now, LastTransitionTime: now},
				{Type: corev1.NodePIDPressure, Status: corev1.ConditionFalse, LastHeartbeatTime: now, LastTransitionTime: now},
			},
			Addresses: []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: n.IP}, {Type: corev1.NodeHostName, Address: n.Name}},
			NodeInfo: corev1.NodeSystemInfo{
				KubeletVersion: Version, OperatingSystem: "linux", Architecture: "amd64",
				ContainerRuntimeVersion: "containerd://1.7.27", OSImage: "Amazon Linux 2023",
			},
		}
		_, err = k.c.Client.CoreV1().Nodes().UpdateStatus(ctx, cur, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		t.Fatalf("node %s status: %v", n.Name, err)
	}
	if err := k.removeTaint(ctx, n.Name, "node.kubernetes.io/not-ready"); err != nil {
		t.Fatalf("node %s: %v", n.Name, err)
	}
}

// RemoveNode deletes a node as a node group scaled to zero does once the instance is gone: its
// pods are then the pod garbage collector's, and no kubelet answers for them any more.
func (k *Kubelets) RemoveNode(t testing.TB, name string) {
	t.Helper()
	if err := k.c.Client.CoreV1().Nodes().Delete(context.Background(), name, metav1.DeleteOptions{}); err != nil {
		t.Fatalf("deleting node %s: %v", name, err)
	}
	k.mu.Lock()
	delete(k.nodes, name)
	k.mu.Unlock()
}

// removeTaint drops every taint with key from a node.
func (k *Kubelets) removeTaint(ctx context.Context, node, key string) error {
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		cur, err := k.c.Client.CoreV1().Nodes().Get(ctx, node, metav1.GetOptions{})
		if err != nil {
			return err
		}
		kept := slices.DeleteFunc(slices.Clone(cur.Spec.Taints), func(t corev1.Taint) bool { return t.Key == key })
		if len(kept) == len(cur.Spec.Taints) {
			return nil
		}
		cur.Spec.Taints = kept
		_, err = k.c.Client.CoreV1().Nodes().Update(ctx, cur, metav1.UpdateOptions{})
		return err
	})
}

func (k *Kubelets) work(ctx context.Context) bool {
	key, quit := k.queue.Get()
	if quit {
		return false
	}
	defer k.queue.Done(key)
	if err := k.sync(ctx, key); err != nil && ctx.Err() == nil {
		k.queue.AddRateLimited(key)
		return true
	}
	k.queue.Forget(key)
	return true
}

// sync does for one pod what its node's kubelet would: confirm a deletion, or start it.
func (k *Kubelets) sync(ctx context.Context, key string) error {
	obj, exists, err := k.pods.GetByKey(key)
	if err != nil || !exists {
		return err
	}
	pod := obj.(*corev1.Pod)
	k.mu.Lock()
	node, ours := k.nodes[pod.Spec.NodeName]
	k.mu.Unlock()
	if !ours {
		return nil
	}
	pods := k.c.Client.CoreV1().Pods(pod.Namespace)
	if pod.DeletionTimestamp != nil {
		// The containers are "stopped" at once; the kubelet then deletes the pod for good.
		err := pods.Delete(ctx, pod.Name, metav1.DeleteOptions{GracePeriodSeconds: new(int64), Preconditions: &metav1.Preconditions{UID: &pod.UID}})
		if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
			return nil
		}
		return err
	}
	if pod.Status.Phase != "" && pod.Status.Phase != corev1.PodPending {
		return nil
	}
	if k.held(pod) {
		return nil
	}
	started := k.startedStatus(pod, node)
	updated := pod.DeepCopy()
	updated.Status = started
	if _, err := pods.UpdateStatus(ctx, updated, metav1.UpdateOptions{}); err != nil {
		if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
			return nil // deleted meanwhile, or a newer version is queued
		}
		return err
	}
	if pod.Labels[CiliumAgentLabel] == ciliumAgentValue {
		// The agent runs: it lifts its startup taint, as the real one does.
		if err := k.removeTaint(ctx, pod.Spec.NodeName, CiliumStartupTaintKey); err != nil {
			return err
		}
	}
	k.mu.Lock()
	hooks := slices.Clone(k.onStart)
	k.mu.Unlock()
	for _, f := range hooks {
		f(updated)
	}
	return nil
}

// startedStatus is the status of a pod whose containers all started and passed their probes
// (nothing runs, so probes are taken as passed); a Job's pod has completed instead.
func (k *Kubelets) startedStatus(pod *corev1.Pod, node Node) corev1.PodStatus {
	now := metav1.Now()
	ip := node.IP
	if !pod.Spec.HostNetwork {
		ip = k.podIP(string(pod.UID))
	}
	job := false
	for _, o := range pod.OwnerReferences {
		job = job || o.Kind == "Job"
	}
	phase := corev1.PodRunning
	if job {
		phase = corev1.PodSucceeded
	}
	running := func(c corev1.Container, ready bool) corev1.ContainerStatus {
		st := corev1.ContainerStatus{
			Name: c.Name, Image: c.Image, ImageID: c.Image, Ready: ready, Started: &ready,
			ContainerID: "containerd://" + shortHash(string(pod.UID)+c.Name, 64),
			State:       corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: now}},
		}
		if job || !ready {
			st.Ready, st.Started = false, new(bool)
			st.State = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 0, Reason: "Completed", StartedAt: now, FinishedAt: now}}
		}
		return st
	}
	status := corev1.PodStatus{
		Phase: phase, HostIP: node.IP, HostIPs: []corev1.HostIP{{IP: node.IP}},
		PodIP: ip, PodIPs: []corev1.PodIP{{IP: ip}}, StartTime: &now, QOSClass: pod.Status.QOSClass,
	}
	for _, c := range pod.Spec.InitContainers {
		sidecar := c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways
		status.InitContainerStatuses = append(status.InitContainerStatuses, running(c, sidecar && !job))
	}
	for _, c := range pod.Spec.Containers {
		status.ContainerStatuses = append(status.ContainerStatuses, running(c, true))
	}
	ready := corev1.ConditionTrue
	if job {
		ready = corev1.ConditionFalse
	}
	for _, ct := range []corev1.PodConditionType{corev1.PodReadyToStartContainers, corev1.PodInitialized, corev1.PodScheduled} {
		status.Conditions = append(status.Conditions, corev1.PodCondition{Type: ct, Status: corev1.ConditionTrue, LastTransitionTime: now})
	}
	for _, ct := range []corev1.PodConditionType{corev1.ContainersReady, corev1.PodReady} {
		status.Conditions = append(status.Conditions, corev1.PodCondition{Type: ct, Status: ready, LastTransitionTime: now})
	}
	for _, g := range pod.Spec.ReadinessGates {
		status.Conditions = append(status.Conditions, corev1.PodCondition{Type: g.ConditionType, Status: ready, LastTransitionTime: now})
	}
	return status
}

func (k *Kubelets) podIP(uid string) string {
	k.mu.Lock()
	defer k.mu.Unlock()
	if ip, ok := k.podIPs[uid]; ok {
		return ip
	}
	ip := k.nextIP.String()
	k.podIPs[uid] = ip
	k.nextIP = k.nextIP.Next()
	return ip
}

// WaitForPods waits until every pod of the namespace runs (or completed), and names those
// that do not.
func (k *Kubelets) WaitForPods(t testing.TB, namespace string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		list, err := k.c.Client.CoreV1().Pods(namespace).List(context.Background(), metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var pending []string
		for _, p := range list.Items {
			if p.Status.Phase != corev1.PodRunning && p.Status.Phase != corev1.PodSucceeded {
				pending = append(pending, p.Name+" ("+string(p.Status.Phase)+")")
			}
		}
		if len(pending) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("pods not running after %s: %v\nevents:\n%s", timeout, pending, k.c.Events(namespace))
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func regionOf(zone string) string {
	if len(zone) > 1 {
		return zone[:len(zone)-1]
	}
	return zone
}

func shortHash(s string, n int) string {
	sum := sha256.Sum256([]byte(s))
	return fmt.Sprintf("%.*s", n, hex.EncodeToString(sum[:]))
}
