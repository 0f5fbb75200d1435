package karpenter

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/eks-cilium/eks-cilium/components/nodegroup"
)

// API versions and kinds of the objects the component applies (CRDs of karpenter-crd 1.14.1,
// which serve v1 only).
const (
	NodePoolAPIVersion     = "karpenter.sh/v1"
	NodePoolKind           = "NodePool"
	NodeClassAPIVersion    = "karpenter.k8s.aws/v1"
	NodeClassKind          = "EC2NodeClass"
	nodeClassGroup         = "karpenter.k8s.aws"
	DiscoveryTagKey        = "karpenter.sh/discovery"
	eksClusterNameTagKey   = "aws:eks:cluster-name"
	bottlerocketOSVolumeGi = 4
)

// Cilium's startup taint (Cilium docs, "Taint effects"; Karpenter docs v1.14 concepts/nodepools.md,
// "Cilium Startup Taint"): as a startupTaint Karpenter applies it but does not expect pods to
// tolerate it, so it neither refuses to provision for them nor launches a second node while
// the first waits for Cilium.
const (
	CiliumTaintKey    = "node.cilium.io/agent-not-ready"
	CiliumTaintValue  = "true"
	CiliumTaintEffect = "NoExecute"
)

// NodePoolInput is what one NodePool is rendered from (plain values, already validated and
// defaulted: stackconfig.NodePoolConfig.Resolved and ipplan's NodePoolPlan).
type NodePoolInput struct {
	Name               string
	InstanceFamilies   []string
	InstanceCategories []string
	CapacityTypes      []string
	Architectures      []string
	// MinCPU and MinMemoryMiB are the smallest instance allowed; the planner's node-count
	// bound holds because these requirements are part of the NodePool.
	MinCPU       int
	MinMemoryMiB int64
	// LimitCPU, LimitMemory ("" for none) and LimitNodes (0 for none) are spec.limits.
	LimitCPU    int
	LimitMemory string
	LimitNodes  int
}

// NodePool renders the karpenter.sh/v1 NodePool. Its EC2NodeClass has the same name.
func NodePool(in NodePoolInput) map[string]any {
	reqs := []any{
		requirement("kubernetes.io/arch", "In", in.Architectures...),
		requirement("kubernetes.io/os", "In", "linux"),
		requirement("karpenter.sh/capacity-type", "In", in.CapacityTypes...),
	}
	if len(in.InstanceFamilies) > 0 {
		reqs = append(reqs, requirement("karpenter.k8s.aws/instance-family", "In", in.InstanceFamilies...))
	}
	if len(in.InstanceCategories) > 0 {
		reqs = append(reqs, requirement("karpenter.k8s.aws/instance-category", "In", in.InstanceCategories...))
	}
	// Gt with n−1 is "at least n" for these integer labels, and Gt is what every Karpenter v1
	// accepts (Gte arrived later).
	reqs = append(reqs,
		requirement("karpenter.k8s.aws/instance-cpu", "Gt", strconv.Itoa(in.MinCPU-1)),
		requirement("karpenter.k8s.aws/instance-memory", "Gt", strconv.FormatInt(in.MinMemoryMiB-1, 10)),
	)
	// CPU as a string: the API server turns numbers into strings, and Karpenter's docs advise
	// strings to avoid GitOps drift (docs v1.14 concepts/nodepools.md, spec.limits).
	limits := map[string]any{"cpu": strconv.Itoa(in.LimitCPU)}
	if in.LimitMemory != "" {
		limits["memory"] = in.LimitMemory
	}
	if in.LimitNodes > 0 {
		limits["nodes"] = strconv.Itoa(in.LimitNodes)
	}
	return map[string]any{
		"apiVersion": NodePoolAPIVersion,
		"kind":       NodePoolKind,
		"metadata":   map[string]any{"name": in.Name},
		"spec": map[string]any{
			"template": map[string]any{
				"spec": map[string]any{
					"nodeClassRef": map[string]any{"group": nodeClassGroup, "kind": NodeClassKind, "name": in.Name},
					"startupTaints": []any{map[string]any{
						"key": CiliumTaintKey, "value": CiliumTaintValue, "effect": CiliumTaintEffect,
					}},
					"requirements": reqs,
				},
			},
			"limits": limits,
			"disruption": map[string]any{
				// Karpenter's defaults, explicit so the planner's surge reasoning reads off the object.
				"consolidationPolicy": "WhenEmptyOrUnderutilized",
				"consolidateAfter":    "0s",
				"budgets":             []any{map[string]any{"nodes": "10%"}},
			},
		},
	}
}

func requirement(key, op string, values ...string) map[string]any {
	vs := make([]any, len(values))
	for i, v := range values {
		vs[i] = v
	}
	return map[string]any{"key": key, "operator": op, "values": vs}
}

// NodeClassInput is what one EC2NodeClass is rendered from.
type NodeClassInput struct {
	Name string
	// ClusterName selects the cluster security group by the tag EKS puts on it.
	ClusterName string
	// AmiFamily is AL2023 or Bottlerocket; AmiVersion "latest" or a release.
	AmiFamily, AmiVersion string
	// RoleName is the node role; Karpenter creates the instance profile for it.
	RoleName string
	// SubnetIds selects these subnets; empty selects the subnets tagged
	// karpenter.sh/discovery=<ClusterName> (the private subnets components/vpc creates).
	SubnetIds []string
	// MaxPods is the kubelet's maxPods; the kube-reserved memory is sized for it.
	MaxPods int
	// DiskSize is the root (AL2023) or data (Bottlerocket) volume in GiB.
	DiskSize int
}

// EC2NodeClass renders the karpenter.k8s.aws/v1 EC2NodeClass.
func EC2NodeClass(in NodeClassInput) (map[string]any, error) {
	alias, devices, err := amiAndVolumes(in.AmiFamily, in.AmiVersion, in.DiskSize)
	if err != nil {
		return nil, err
	}
	var subnets []any
	if len(in.SubnetIds) == 0 {
		subnets = []any{map[string]any{"tags": map[string]any{DiscoveryTagKey: in.ClusterName}}}
	}
	for _, id := range in.SubnetIds {
		subnets = append(subnets, map[string]any{"id": id})
	}
	return map[string]any{
		"apiVersion": NodeClassAPIVersion,
		"kind":       NodeClassKind,
		"metadata":   map[string]any{"name": in.Name},
		"spec": map[string]any{
			"role":                in.RoleName,
			"amiSelectorTerms":    []any{map[string]any{"alias": alias}},
			"subnetSelectorTerms": subnets,
			// The cluster security group EKS creates and tags is the one the managed node
			// groups' nodes get: it admits all traffic between its members (VXLAN, Geneve,
			// health, Hubble; Cilium docs, "Firewall Rules":
			// https://docs.cilium.io/en/stable/operations/system_requirements/#firewall-rules).
			"securityGroupSelectorTerms": []any{map[string]any{"tags": map[string]any{eksClusterNameTagKey: in.ClusterName}}},
			// IMDSv2 only, and one hop: overlay pods are one hop from IMDS, so a hop limit of 2
			// would hand them the node role (docs/design.md, "Nodes"; EC2 instance metadata
			// options: https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-instance-metadata-options.html).
			"metadataOptions": map[string]any{
				"httpEndpoint":            "enabled",
				"httpProtocolIPv6":        "disabled",
				"httpPutResponseHopLimit": 1,
				"httpTokens":              "required",
			},
			"blockDeviceMappings": devices,
			"kubelet": map[string]any{
				"maxPods": in.MaxPods,
				// Only memory: Karpenter sizes kube-reserved CPU per instance type from its vCPUs,
				// which one EC2NodeClass cannot know.
				"kubeReserved": map[string]any{"memory": fmt.Sprintf("%dMi", nodegroup.KubeReservedMemoryMiB(in.MaxPods))},
			},
		},
	}, nil
}

// amiAndVolumes returns the AMI alias and the encrypted gp3 volumes of an AMI family.
func amiAndVolumes(family, version string, diskGiB int) (string, []any, error) {
	volume := func(device string, gib int) map[string]any {
		return map[string]any{"deviceName": device, "ebs": map[string]any{
			"volumeSize": fmt.Sprintf("%dGi", gib), "volumeType": "gp3", "encrypted": true, "deleteOnTermination": true,
		}}
	}
	switch family {
	case "AL2023":
		// AL2023 keeps images and pods on its root volume.
		return "al2023@" + version, []any{volume("/dev/xvda", diskGiB)}, nil
	case "Bottlerocket":
		// Bottlerocket boots from a small OS volume and keeps images and pods on /dev/xvdb;
		// mapping one replaces Karpenter's defaults, so both are listed (and both encrypted).
		return "bottlerocket@" + version, []any{volume("/dev/xvda", bottlerocketOSVolumeGi), volume("/dev/xvdb", diskGiB)}, nil
	}
	return "", nil, fmt.Errorf("karpenter: AMI family %q: want AL2023 or Bottlerocket", family)
}

// ObjectName is "<kind>/<name>", how the render and errors refer to an object.
func ObjectName(obj map[string]any) string {
	meta, _ := obj["metadata"].(map[string]any)
	name, _ := meta["name"].(string)
	kind, _ := obj["kind"].(string)
	return strings.ToLower(kind) + "/" + name
}
