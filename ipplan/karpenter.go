package ipplan

import (
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/eks-cilium/eks-cilium/stackconfig"
	"k8s.io/apimachinery/pkg/api/resource"
)

// KarpenterVMMemoryOverheadPercent is Karpenter's settings.vmMemoryOverheadPercent, which
// components/karpenter sets explicitly (the chart's default, karpenter 1.14.1 values.yaml):
// Karpenter counts an instance's memory against NodePool limits minus this share.
const KarpenterVMMemoryOverheadPercent = 0.075

// gravitonCMAMiB is the memory Karpenter takes off arm64 instance types before the VM
// overhead ("Gravitons have an extra 64 MiB of cma reserved memory"; karpenter-provider-aws
// pkg/providers/instancetype/types.go, memory()).
const gravitonCMAMiB = 64

// KarpenterPlan is Karpenter's share of the pod pool: every node a NodePool may run holds a
// node CIDR, exactly like a node group's.
type KarpenterPlan struct {
	// NodePools follows the order of eks-cilium:karpenter.nodePools.
	NodePools []NodePoolPlan
	// NodeCIDRs is Σ (MaxNodes + Surge) over the node pools.
	NodeCIDRs int
}

// NodePoolPlan is one NodePool with the numbers that bound its node count.
type NodePoolPlan struct {
	Name string
	// MaxPods is the kubelet's maxPods: as configured, or min(110, UsablePodIPsPerNode).
	MaxPods          int
	MaxPodsDefaulted bool
	// MinCPU and MinMemoryMiB are the smallest instance the NodePool admits: its requirements
	// karpenter.k8s.aws/instance-cpu > MinCPU−1 and karpenter.k8s.aws/instance-memory >
	// MinMemoryMiB−1, so Karpenter itself never launches anything smaller.
	MinCPU       int
	MinMemoryMiB int64
	// CountedMemoryMiB is what Karpenter counts against limits.memory for such an instance:
	// MinMemoryMiB minus the Graviton CMA (when arm64 is allowed) minus the VM overhead.
	CountedMemoryMiB int64
	// LimitCPU, LimitMemoryMiB (0: unset) and LimitNodes (0: unset) are spec.limits.
	LimitCPU       int
	LimitMemoryMiB int64
	LimitNodes     int
	// MaxNodes is the most nodes the limits admit when every node is the smallest allowed
	// instance: min(LimitCPU / MinCPU, limits.memory / CountedMemoryMiB, LimitNodes).
	MaxNodes int
	// BoundBy names the limit that sets MaxNodes: "cpu", "memory" or "nodes".
	BoundBy string
	// Surge is how many nodes may exist beyond MaxNodes: one per node, see karpenterSurge.
	Surge int
}

// karpenterSurge is how many nodes a NodePool may run beyond what its limits admit. Karpenter
// checks limits against the nodes that are not being deleted: the provisioner schedules
// against nodes.Active() ("We don't consider the nodes that are MarkedForDeletion",
// kubernetes-sigs/karpenter pkg/controllers/provisioning/provisioner.go, Schedule), while a
// node being drained keeps its instance, and so its Cilium node CIDR, until it is gone. Graceful
// disruption pre-spins replacements before deleting (docs v1.14 concepts/disruption.md,
// "Disruption Controller", step 4) and forceful disruption (expiration, spot interruption)
// provisions replacements while the old nodes drain. So each counted node may have one
// draining twin. Karpenter also warns that "limit checking is eventually consistent, which can
// result in overrun during rapid scale outs" (docs v1.14 concepts/nodepools.md, spec.limits);
// that overrun has no published bound and is not counted here.
func karpenterSurge(maxNodes int) int { return maxNodes }

// checkKarpenter adds Karpenter's node pools to the plan: each pool's maxPods must fit one
// node CIDR, and the node groups plus every pool at its limits plus surge must fit the pool
// of node CIDRs. poolOK reports that the pod pool and mask were valid; groupsOK that the node
// groups' need was counted. It runs after the node groups' own capacity check, so a refusal
// here is Karpenter's alone and names the node pools.
func (c *checker) checkKarpenter(p *Plan, maskOK, poolOK, groupsOK bool) {
	k := c.cfg.Karpenter
	if k == nil {
		return
	}
	plan := &KarpenterPlan{}
	complete := true
	for i, raw := range k.NodePools {
		pool, ok := c.planNodePool(i, raw, p, maskOK)
		complete = complete && ok
		plan.NodePools = append(plan.NodePools, pool)
		plan.NodeCIDRs = satAdd(plan.NodeCIDRs, satAdd(pool.MaxNodes, pool.Surge))
	}
	p.Karpenter = plan
	if !complete || !groupsOK {
		return
	}
	groupsNeed := p.NodeCIDRsNeeded
	p.NodeCIDRsNeeded = satAdd(p.NodeCIDRsNeeded, plan.NodeCIDRs)
	if !maskOK || !poolOK || p.NodeCIDRsTotal == 0 {
		return
	}
	p.NodeCIDRUsage = float64(p.NodeCIDRsNeeded) / float64(p.NodeCIDRsTotal)
	total := p.NodeCIDRsTotal
	if uint64(groupsNeed) > total {
		return // the node groups alone do not fit: refused by checkNodeCIDRCapacity
	}
	need := uint64(p.NodeCIDRsNeeded)
	if need <= total {
		if p.NodeCIDRUsage > 0.8 && float64(groupsNeed)/float64(total) <= 0.8 {
			c.warn(keyNodePools, fmt.Sprintf("%d node CIDRs", plan.NodeCIDRs), fmt.Sprintf(
				"the node groups and node pools at their limits plus surge take %.0f%% of the pool's %d node CIDRs; append a CIDR to %s before raising limits",
				100*p.NodeCIDRUsage, total, keyPodCIDRs))
		}
		return
	}
	// The pool is short: every node pool contributes, so each is named with the cap that
	// alone would make everything fit.
	appendBits := max(p.MaskSize-bits.Len64(need-total-1), 0)
	for i, pool := range plan.NodePools {
		others := int(need) - pool.MaxNodes - pool.Surge
		room := int(total) - others
		fix := fmt.Sprintf("append a /%d or larger CIDR to %s", appendBits, keyPodCIDRs)
		if fit := room / 2; fit >= 1 {
			fix = fmt.Sprintf("set limits.nodes to %d or less (or lower limits.cpu/limits.memory, or raise minInstance), or %s", fit, fix)
		}
		c.refuse(nodePoolKey(i, "limits"), limitsValue(pool),
			fmt.Sprintf("lets node pool %q run %d nodes (%s, every node the smallest allowed: %d vCPU, %d MiB) plus %d being replaced: with the node groups (%d) and the other node pools the cluster needs %d node CIDRs of /%d, the pool holds %d",
				pool.Name, pool.MaxNodes, boundDescription(pool), pool.MinCPU, pool.MinMemoryMiB, pool.Surge, groupsNeed, need, p.MaskSize, total),
			fix)
	}
}

// planNodePool computes one pool's bound. ok is false when a value it needs is invalid;
// rules.CheckKarpenter refuses those, naming the key.
func (c *checker) planNodePool(i int, np stackconfig.NodePoolConfig, p *Plan, maskOK bool) (NodePoolPlan, bool) {
	pool := NodePoolPlan{Name: np.Name, MaxPods: np.MaxPods, MinCPU: np.MinInstance.Cpu, LimitCPU: np.Limits.Cpu, LimitNodes: np.Limits.Nodes}

	if maskOK && np.MaxPods >= 0 {
		usable := p.UsablePodIPsPerNode
		switch {
		case np.MaxPods == 0:
			pool.MaxPods, pool.MaxPodsDefaulted = min(kubeletDefaultMaxPods, usable), true
		case np.MaxPods > usable && usable >= 1:
			c.refuse(nodePoolKey(i, "maxPods"), strconv.Itoa(np.MaxPods),
				fmt.Sprintf("exceeds the %d pod IPs of a /%d node CIDR (%s is %d; %d addresses minus %d Cilium reserves%s)",
					usable, p.MaskSize, keyMaskSize, p.MaskSize, 1<<(32-p.MaskSize), c.reserved, c.envoyNote()),
				fmt.Sprintf("set maxPods to %d or less, or clusterPoolIPv4MaskSize to %d or less", usable, c.largestMaskFor(np.MaxPods)))
		}
	}

	minMem, memOK := mebibytesCeil(np.MinInstance.Memory)
	if !memOK || pool.MinCPU < 1 || np.Limits.Cpu < 1 || np.Limits.Nodes < 0 {
		return pool, false
	}
	pool.MinMemoryMiB = minMem
	pool.CountedMemoryMiB = KarpenterCountedMemoryMiB(minMem, slices.Contains(np.Architectures, "arm64"))
	if pool.CountedMemoryMiB < 1 {
		return pool, false
	}

	pool.MaxNodes, pool.BoundBy = np.Limits.Cpu/pool.MinCPU, "cpu"
	if np.Limits.Memory != "" {
		q, err := resource.ParseQuantity(np.Limits.Memory)
		if err != nil || q.Sign() <= 0 {
			return pool, false
		}
		pool.LimitMemoryMiB = q.Value() / (1 << 20)
		if byMemory := q.Value() / (pool.CountedMemoryMiB << 20); byMemory < int64(pool.MaxNodes) {
			pool.MaxNodes, pool.BoundBy = int(byMemory), "memory"
		}
	}
	if np.Limits.Nodes > 0 && np.Limits.Nodes < pool.MaxNodes {
		pool.MaxNodes, pool.BoundBy = np.Limits.Nodes, "nodes"
	}
	pool.Surge = karpenterSurge(pool.MaxNodes)
	return pool, true
}

// KarpenterCountedMemoryMiB is the memory Karpenter counts for an instance type with mib MiB
// (karpenter-provider-aws pkg/providers/instancetype/types.go, memory()): the Graviton CMA
// off arm64 types, then ceil(overhead × the rest) off. It grows with mib, so the smallest
// allowed instance gives the smallest count and the largest node count.
func KarpenterCountedMemoryMiB(mib int64, arm64 bool) int64 {
	if arm64 {
		mib -= gravitonCMAMiB
	}
	return mib - int64(math.Ceil(float64(mib)*KarpenterVMMemoryOverheadPercent))
}

// mebibytesCeil parses a Kubernetes quantity and rounds it up to whole MiB (the unit of
// karpenter.k8s.aws/instance-memory).
func mebibytesCeil(s string) (int64, bool) {
	q, err := resource.ParseQuantity(s)
	if err != nil || q.Sign() <= 0 {
		return 0, false
	}
	return (q.Value() + (1 << 20) - 1) >> 20, true
}

var keyNodePools = stackconfig.KeyKarpenterNodePools

func nodePoolKey(i int, field string) string { return at(keyNodePools, i) + "." + field }

func limitsValue(p NodePoolPlan) string {
	parts := []string{"cpu: " + strconv.Itoa(p.LimitCPU)}
	if p.LimitMemoryMiB > 0 {
		parts = append(parts, fmt.Sprintf("memory: %dMi", p.LimitMemoryMiB))
	}
	if p.LimitNodes > 0 {
		parts = append(parts, "nodes: "+strconv.Itoa(p.LimitNodes))
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func boundDescription(p NodePoolPlan) string {
	switch p.BoundBy {
	case "memory":
		return fmt.Sprintf("limits.memory %dMi / %d MiB counted per node", p.LimitMemoryMiB, p.CountedMemoryMiB)
	case "nodes":
		return fmt.Sprintf("limits.nodes %d", p.LimitNodes)
	}
	return fmt.Sprintf("limits.cpu %d / %d vCPU per node", p.LimitCPU, p.MinCPU)
}

// Summary renders Karpenter's share of the pool for the CLI.
func (k *KarpenterPlan) Summary(p *Plan) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Karpenter: %d of the %d node CIDRs needed (node pools at their limits, plus one draining node each)\n", k.NodeCIDRs, p.NodeCIDRsNeeded)
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "NODE POOL\tSMALLEST ALLOWED (COUNTED)\tLIMITS\tMAX NODES\tSURGE\tMAXPODS")
	for _, n := range k.NodePools {
		maxPods := strconv.Itoa(n.MaxPods)
		if n.MaxPodsDefaulted {
			maxPods += " (auto)"
		}
		fmt.Fprintf(w, "%s\t%d vCPU, %d MiB (%d MiB)\t%s\t%d (by %s)\t%d\t%s\n",
			n.Name, n.MinCPU, n.MinMemoryMiB, n.CountedMemoryMiB, limitsValue(n), n.MaxNodes, n.BoundBy, n.Surge, maxPods)
	}
	w.Flush()
	return b.String()
}
