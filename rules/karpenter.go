// Package rules holds the configuration rules that are not about addresses, one file per
// concern; ipplan keeps addresses and capacity.
package rules

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"

	"github.com/eks-cilium/eks-cilium/instancetypes"
	"github.com/eks-cilium/eks-cilium/stackconfig"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"
)

// KarpenterPolicyMinor is the Karpenter minor whose controller IAM policy
// components/karpenter embeds: other minors may need permissions it lacks.
const KarpenterPolicyMinor = "1.14"

// Limits of the values a node pool carries into AWS and Kubernetes.
const (
	maxNodePoolMaxPods  = 250
	minNodePoolDiskSize = 20    // GiB, as node groups (EKS's minimum)
	maxNodePoolDiskSize = 16384 // GiB, gp3's maximum
)

var (
	karpenterVersionRe = regexp.MustCompile(`^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$`)
	// Karpenter's AMI alias is <family>@<version>; the EC2NodeClass CRD takes any version
	// after the "@" (rule ^[a-zA-Z0-9]+@.+$); AL2023 releases look like v20250505,
	// Bottlerocket's like v1.38.0.
	amiVersionRe = regexp.MustCompile(`^(latest|v[0-9][0-9A-Za-z.-]*)$`)
	// Karpenter capacity types a NodePool can use without capacity reservations.
	nodePoolCapacityTypes = []string{"on-demand", "spot"}
	// kubernetes.io/arch values Karpenter launches for on AWS.
	nodePoolArchitectures = []string{"amd64", "arm64"}
	// The EC2NodeClass AMI families that match the node groups' AMI types.
	nodePoolAmiFamilies = []string{"AL2023", "Bottlerocket"}
)

// instanceFamilies are the families of every instance type in the ENI table (AWS data,
// amazon-eks-ami's nodeadm): what karpenter.k8s.aws/instance-family takes, e.g. m6i from
// m6i.large. categories are their leading letters (karpenter.k8s.aws/instance-category).
var instanceFamilies = sync.OnceValues(func() (families, categories []string) {
	for _, t := range instancetypes.Types() {
		family, _, _ := strings.Cut(t, ".")
		if !slices.Contains(families, family) {
			families = append(families, family)
		}
		if c := family[:strings.IndexFunc(family+"0", unicode.IsDigit)]; c != "" && !slices.Contains(categories, c) {
			categories = append(categories, c)
		}
	}
	slices.Sort(families)
	slices.Sort(categories)
	return families, categories
})

// CheckKarpenter checks eks-cilium:karpenter (when present) before anything is registered:
// the chart version, and every node pool's names, requirements, sizes and limits. The
// node pools' room in the pod pool is ipplan's (ipplan/karpenter.go).
func CheckKarpenter(cfg stackconfig.Config) (warnings, refusals stackconfig.Problems) {
	k := cfg.Karpenter
	if k == nil {
		return nil, nil
	}
	var probs stackconfig.Problems
	refuse := func(key, value, rule, fix string) {
		probs = append(probs, stackconfig.Problem{Key: key, Value: value, Rule: rule, Fix: fix})
	}

	versionKey := stackconfig.KeyKarpenterVersion
	switch {
	case !karpenterVersionRe.MatchString(k.Version):
		refuse(versionKey, k.Version, "must be an exact chart version X.Y.Z: the karpenter and karpenter-crd charts are pinned", "e.g. 1.14.1")
	case !strings.HasPrefix(k.Version, KarpenterPolicyMinor+"."):
		refuse(versionKey, k.Version, "the controller IAM policy embedded in components/karpenter is Karpenter "+KarpenterPolicyMinor+"'s (aws/karpenter-provider-aws getting-started CloudFormation template); another minor may need other permissions",
			"use "+KarpenterPolicyMinor+".x, or update the embedded policy with the chart")
	}

	poolsKey := stackconfig.KeyKarpenterNodePools
	if len(k.NodePools) == 0 {
		refuse(poolsKey, "", "must list at least one node pool: without a NodePool Karpenter launches nothing",
			"e.g. [{name: default, instanceFamilies: [m6i, c6i], limits: {cpu: 64, memory: 256Gi}}]")
	}
	first := map[string]int{}
	for i, raw := range k.NodePools {
		p := raw
		key := func(field string) string { return fmt.Sprintf("%s[%d].%s", poolsKey, i, field) }

		switch j, seen := first[p.Name]; {
		case p.Name == "":
			refuse(key("name"), "", "must not be empty: it names the NodePool and its EC2NodeClass", "")
		case seen:
			refuse(key("name"), p.Name, fmt.Sprintf("repeats %s[%d].name: NodePool names are unique in the cluster", poolsKey, j), "")
		default:
			// The name is the objects' name and the value of the karpenter.sh/nodepool label:
			// a DNS-1123 label satisfies both.
			if errs := validation.IsDNS1123Label(p.Name); len(errs) > 0 {
				refuse(key("name"), p.Name, "is not a DNS-1123 label ("+strings.Join(errs, "; ")+"): it names Kubernetes objects and is a label value", "")
			}
		}
		if _, seen := first[p.Name]; !seen {
			first[p.Name] = i
		}

		families, categories := instanceFamilies()
		for j, f := range p.InstanceFamilies {
			if !slices.Contains(families, f) {
				fix := ""
				if n := stackconfig.Nearest(f, families); n != "" {
					fix = "did you mean " + n + "?"
				}
				refuse(fmt.Sprintf("%s[%d]", key("instanceFamilies"), j), f, "is not an EC2 instance family of AWS's ENI table (amazon-eks-ami)", fix)
			}
		}
		for j, c := range p.InstanceCategories {
			if !slices.Contains(categories, c) {
				refuse(fmt.Sprintf("%s[%d]", key("instanceCategories"), j), c, "is not an EC2 instance category (the letters of a family before its generation: m of m6i); known: "+strings.Join(categories, ", "), "")
			}
		}
		// An empty list would leave the NodePool without the requirement, i.e. any value;
		// the default is what leaving the key out gives.
		for field, list := range map[string][]string{"capacityTypes": p.CapacityTypes, "architectures": p.Architectures} {
			if list != nil && len(list) == 0 {
				refuse(key(field), "[]", "must list at least one value", "leave the key out to take the default")
			}
		}
		for j, t := range p.CapacityTypes {
			oneOf(refuse, fmt.Sprintf("%s[%d]", key("capacityTypes"), j), t, nodePoolCapacityTypes, "")
		}
		for j, a := range p.Architectures {
			oneOf(refuse, fmt.Sprintf("%s[%d]", key("architectures"), j), a, nodePoolArchitectures, "")
		}
		oneOf(refuse, key("amiFamily"), p.AmiFamily, nodePoolAmiFamilies, "the node groups' AMI families")
		switch {
		case p.AmiVersion == "":
			// No default: with @latest Karpenter's drift detection replaces every node of
			// the pool each time AWS publishes an AMI (Karpenter docs, "Managing AMIs":
			// pin AMIs in production), so the stack says which release it runs.
			refuse(key("amiVersion"), p.AmiVersion, "is required: the EC2NodeClass alias is <family>@<version>, and an unpinned alias lets Karpenter replace the pool's nodes whenever AWS publishes an AMI",
				"pin a release, e.g. v20260512 (amazon-eks-ami, AL2023) or v1.38.0 (Bottlerocket); \"latest\" is accepted with a warning")
		case p.AmiVersion == "latest":
			warnings = append(warnings, stackconfig.Problem{Key: key("amiVersion"), Value: p.AmiVersion,
				Rule: "tracks the newest AMI: Karpenter's drift detection replaces every node of the pool whenever AWS publishes one (Karpenter docs, \"Managing AMIs\")",
				Fix:  "pin a release such as v20260512 for production"})
		case !amiVersionRe.MatchString(p.AmiVersion):
			refuse(key("amiVersion"), p.AmiVersion, "must be an AMI release such as v20260512 (AL2023) or v1.38.0 (Bottlerocket), or latest: the EC2NodeClass alias is <family>@<version>", "")
		}

		if p.MinInstance.Cpu < 1 {
			refuse(key("minInstance.cpu"), strconv.Itoa(p.MinInstance.Cpu), "must be at least 1 vCPU: it bounds the pool's node count", "")
		}
		if q, err := resource.ParseQuantity(p.MinInstance.Memory); err != nil || q.Cmp(resource.MustParse("1Gi")) < 0 {
			refuse(key("minInstance.memory"), p.MinInstance.Memory, "must be a Kubernetes memory quantity of at least 1Gi (e.g. 4Gi): it bounds the pool's node count", "")
		}
		switch {
		case p.MaxPods < 0 || p.MaxPods > maxNodePoolMaxPods:
			refuse(key("maxPods"), strconv.Itoa(p.MaxPods), fmt.Sprintf("must be 0 (automatic) or 1 to %d, as for node groups", maxNodePoolMaxPods), "")
		}
		if p.DiskSize < minNodePoolDiskSize || p.DiskSize > maxNodePoolDiskSize {
			refuse(key("diskSize"), strconv.Itoa(p.DiskSize), fmt.Sprintf("must be %d to %d GiB", minNodePoolDiskSize, maxNodePoolDiskSize), "")
		}

		if p.Limits.Cpu < 1 {
			refuse(key("limits.cpu"), strconv.Itoa(p.Limits.Cpu), "must be at least 1: without a CPU limit nothing bounds how many node CIDRs the pool takes",
				"e.g. limits: {cpu: 64, memory: 256Gi}")
		}
		if m := p.Limits.Memory; m != "" {
			if q, err := resource.ParseQuantity(m); err != nil || q.Sign() <= 0 {
				refuse(key("limits.memory"), m, "must be a positive Kubernetes memory quantity such as 800Gi", "")
			}
		}
		if p.Limits.Nodes < 0 {
			refuse(key("limits.nodes"), strconv.Itoa(p.Limits.Nodes), "must be 0 (no node cap) or more", "")
		}
	}
	return warnings, probs
}

func oneOf(refuse func(key, value, rule, fix string), key, value string, allowed []string, what string) {
	if slices.Contains(allowed, value) {
		return
	}
	rule := "must be one of " + strings.Join(allowed, ", ")
	if what != "" {
		rule += " (" + what + ")"
	}
	fix := ""
	if n := stackconfig.Nearest(value, allowed); n != "" {
		fix = "did you mean " + n + "?"
	}
	refuse(key, value, rule, fix)
}
