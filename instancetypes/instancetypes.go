// Package instancetypes holds the facts this project needs about EC2 instance types: how
// many ENIs and IPv4 addresses per ENI each takes (AWS data carried by amazon-eks-ami's
// nodeadm) and the CPU architecture each runs. It imports no Pulumi package; the planner and
// the configuration rules share it.
package instancetypes

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// instanceENILimits is AWS data, copied from amazon-eks-ami's nodeadm
// (nodeadm/internal/kubelet/instance-info.jsonl): for every EC2 instance type, how many ENIs it
// takes and how many IPv4 addresses each ENI holds. nodeadm derives the default kubelet
// maxPods from it; we use it to show what the VPC CNI would have allowed next to what the
// overlay allows, and as the list of instance types that exist.
//
//go:embed instance-eni-limits.jsonl
var instanceENILimits []byte

// Architecture is a CPU architecture as EC2 names it in ProcessorInfo.SupportedArchitectures.
type Architecture string

// The architectures EC2 reports. The two Mac ones are macOS on Dedicated Hosts.
const (
	X86_64    Architecture = "x86_64"
	ARM64     Architecture = "arm64"
	X86_64Mac Architecture = "x86_64_mac"
	ARM64Mac  Architecture = "arm64_mac"
)

// IsMac reports whether the architecture is one of EC2's macOS ones, which no EKS node AMI
// runs on (EKS optimized AMIs exist for Amazon Linux, Bottlerocket and Windows only).
func (a Architecture) IsMac() bool { return a == X86_64Mac || a == ARM64Mac }

// Info is what this project knows about one instance type.
type Info struct {
	Type       string
	ENIs       int
	IPv4PerENI int
	// ENIMaxPods is nodeadm's formula ENIs × (IPv4PerENI − 1) + 2: each ENI's primary
	// address is the node's, not a pod's; the 2 are host-network pods (aws-node, kube-proxy).
	ENIMaxPods int
	// Architecture is the CPU architecture the type runs (see ArchitectureOf).
	Architecture Architecture
}

var table = sync.OnceValues(func() (map[string]Info, []string) {
	byType := map[string]Info{}
	for line := range bytes.Lines(instanceENILimits) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var row struct {
			InstanceType              string `json:"instanceType"`
			DefaultMaxENIs            int    `json:"defaultMaxENIs"`
			IPv4AddressesPerInterface int    `json:"ipv4AddressesPerInterface"`
		}
		if err := json.Unmarshal(line, &row); err != nil || row.InstanceType == "" {
			// The table is compiled in; a bad row is a build defect, caught by the tests.
			panic(fmt.Sprintf("instancetypes: embedded instance-eni-limits.jsonl: bad row %q: %v", line, err))
		}
		byType[row.InstanceType] = Info{
			Type:         row.InstanceType,
			ENIs:         row.DefaultMaxENIs,
			IPv4PerENI:   row.IPv4AddressesPerInterface,
			ENIMaxPods:   row.DefaultMaxENIs*(row.IPv4AddressesPerInterface-1) + 2,
			Architecture: ArchitectureOf(row.InstanceType),
		}
	}
	types := make([]string, 0, len(byType))
	for t := range byType {
		types = append(types, t)
	}
	slices.Sort(types)
	return byType, types
})

// Lookup returns what is known about an EC2 instance type such as "m5.large".
func Lookup(instanceType string) (Info, bool) {
	byType, _ := table()
	i, ok := byType[instanceType]
	return i, ok
}

// Types lists every instance type the table knows, sorted.
func Types() []string {
	_, types := table()
	return slices.Clone(types)
}

// familyRe splits an instance family into its series letters, generation and the
// attribute letters (and any suffix after a dash): m7gd -> m, 7, gd; c7i-flex -> c, 7, i-flex.
var familyRe = regexp.MustCompile(`^([a-z]+)([0-9]+)(.*)$`)

// ArchitectureOf classifies an instance type by EC2's naming convention
// (https://docs.aws.amazon.com/ec2/latest/instancetypes/instance-type-names.html): the
// attribute letters after the generation name the processor, and "g" is AWS Graviton (arm64);
// "a" (AMD) and "i" (Intel) or none are x86_64. Two families break the pattern: a1, the first
// Graviton, and Mac (mac1 is Intel, mac2 and mac-m* are Apple silicon). The classification
// is checked over the whole table against EC2's own DescribeInstanceTypes data in the tests.
func ArchitectureOf(instanceType string) Architecture {
	family, _, _ := strings.Cut(instanceType, ".")
	switch {
	case family == "mac1":
		return X86_64Mac
	case strings.HasPrefix(family, "mac"):
		return ARM64Mac
	case family == "a1":
		return ARM64
	}
	if m := familyRe.FindStringSubmatch(family); m != nil && strings.Contains(m[3], "g") {
		return ARM64
	}
	return X86_64
}
