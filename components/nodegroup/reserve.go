package nodegroup

import "fmt"

// The EKS AMIs size what they reserve for the kubelet and the container runtime
// (kubeReserved) from the node's pod count and vCPUs. Both AL2023's nodeadm and
// Bottlerocket use the same two formulas:
//   - nodeadm: amazon-eks-ami nodeadm/internal/kubelet/config.go,
//     GetMemoryMebibytesToReserve (11*maxPods + 255) and getCPUMillicoresToReserve;
//   - Bottlerocket: bottlerocket-core-kit sources/api/schnauzer/src/helpers.rs,
//     kube_reserve_memory ("max_num_pods * 11 + 255", from amazon-eks-ami PR #419) and
//     kube_cpu_helper (KUBE_RESERVE_1_CORE .. KUBE_RESERVE_ADDITIONAL).
//
// The catch is which pod count. nodeadm feeds the memory formula with the ENI pod count of the
// instance type or, since amazon-eks-ami PR #2446, with the result of kubelet.maxPodsExpression,
// but never with kubelet.config.maxPods (NodeConfig API, nodeadm/internal/api/types.go,
// KubeletOptions.MaxPodsExpression; issue #1698, and #2580 for a node where maxPods was 110 and
// the reserve followed the expression). A t3.medium allowed 110 pods would reserve
// 11*17+255 = 442Mi instead of 1465Mi. Bottlerocket's kubelet-config template feeds the formula
// with settings.kubernetes.max-pods, which our TOML sets
// (bottlerocket-core-kit packages/kubernetes-1.33/kubelet-config), so it needs nothing.
//
// The NodeConfig therefore sets kubelet.config.kubeReserved.memory itself rather than a
// maxPodsExpression: kubelet.config overrides what nodeadm generates on every nodeadm version
// (types.go: "override default generated configurations"; on 1.29+ it is a drop-in the kubelet
// merges as a JSON merge patch, so the cpu and ephemeral-storage nodeadm computes stay), the
// number is visible in the rendered user data, and nodeadm's own API types, as served by the Go
// module proxy, can check it (they predate maxPodsExpression).

// KubeReservedMemoryMiB is the memory, in MiB, the EKS AMIs reserve for a node that may run
// maxPods pods: 11 MiB per pod plus 255 MiB.
func KubeReservedMemoryMiB(maxPods int) int { return 11*maxPods + 255 }

// KubeReservedCPUMillicores is the CPU, in millicores, the EKS AMIs reserve for a node with
// vcpus vCPUs: 6% of the first core, 1% of the second, 0.5% each of the third and fourth and
// 0.25% of every further one (nodeadm computes it in integer millicores per band; Bottlerocket
// floors the sum; both give the same numbers).
func KubeReservedCPUMillicores(vcpus int) int {
	// Band upper bounds in millicores and the reserve in hundredths of a percent within each.
	bands := []struct{ upTo, basisPoints int }{{1000, 600}, {2000, 100}, {4000, 50}, {1 << 30, 25}}
	total, from, reserved := vcpus*1000, 0, 0
	for _, b := range bands {
		if total <= from {
			break
		}
		reserved += (min(total, b.upTo) - from) * b.basisPoints / 10000
		from = b.upTo
	}
	return reserved
}

// KubeReservedEphemeralStorage is the ephemeral storage the EKS AMIs reserve on every node.
const KubeReservedEphemeralStorage = "1Gi"

// KubeReserved is the kubelet's kubeReserved for a node with vcpus vCPUs that may run maxPods
// pods, in the kubelet's own keys and quantities: what nodeadm and Bottlerocket would reserve
// had they sized memory for maxPods. Karpenter's EC2NodeClass takes the same map as
// spec.kubelet.kubeReserved; give it the vCPUs of the smallest instance type the NodePool
// allows (the reserve grows with vCPUs, and the smallest node is the one that must not be
// over-committed).
func KubeReserved(maxPods, vcpus int) map[string]string {
	return map[string]string{
		"cpu":               fmt.Sprintf("%dm", KubeReservedCPUMillicores(vcpus)),
		"memory":            fmt.Sprintf("%dMi", KubeReservedMemoryMiB(maxPods)),
		"ephemeral-storage": KubeReservedEphemeralStorage,
	}
}
