package ipplan

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
)

// instanceENILimits is AWS data, copied from amazon-eks-ami's nodeadm: for every EC2
// instance type, how many ENIs it takes and how many IPv4 addresses each ENI holds. nodeadm
// derives the default kubelet maxPods from it; we use it to show what the VPC CNI would have
// allowed next to what the overlay allows.
//
//go:embed instance-eni-limits.jsonl
var instanceENILimits []byte

// InstanceLimits is one instance type's ENI limits and the maxPods they imply under ENI-mode
// networking (the VPC CNI, or Cilium's own ENI IPAM).
type InstanceLimits struct {
	Type       string
	ENIs       int
	IPv4PerENI int
	// ENIMaxPods is nodeadm's formula ENIs × (IPv4PerENI − 1) + 2: each ENI's primary
	// address is the node's, not a pod's; the 2 are host-network pods (aws-node, kube-proxy).
	ENIMaxPods int
}

var instanceTable = sync.OnceValues(func() (map[string]InstanceLimits, []string) {
	byType := map[string]InstanceLimits{}
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
			panic(fmt.Sprintf("ipplan: embedded instance-eni-limits.jsonl: bad row %q: %v", line, err))
		}
		byType[row.InstanceType] = InstanceLimits{
			Type:       row.InstanceType,
			ENIs:       row.DefaultMaxENIs,
			IPv4PerENI: row.IPv4AddressesPerInterface,
			ENIMaxPods: row.DefaultMaxENIs*(row.IPv4AddressesPerInterface-1) + 2,
		}
	}
	types := make([]string, 0, len(byType))
	for t := range byType {
		types = append(types, t)
	}
	slices.Sort(types)
	return byType, types
})

// LookupInstance returns the ENI limits of an EC2 instance type such as "m5.large".
func LookupInstance(instanceType string) (InstanceLimits, bool) {
	byType, _ := instanceTable()
	l, ok := byType[instanceType]
	return l, ok
}

// InstanceTypes lists every instance type the table knows, sorted.
func InstanceTypes() []string {
	_, types := instanceTable()
	return slices.Clone(types)
}
