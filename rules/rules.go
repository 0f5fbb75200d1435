// Package rules holds the configuration rules that are not about addresses: names and the
// AWS limits on them, node labels the kubelet accepts, instance architectures, Kubernetes
// versions EKS offers, the formats of ARNs, regions and zones, node group and Cilium chart
// fields. Each concern is one file with its own tests and cites the upstream rule it mirrors.
// Package ipplan keeps the address plan and capacity; the planning pipeline (plan.New) runs
// both and reports every problem at once. It imports no Pulumi package.
package rules

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/eks-cilium/eks-cilium/stackconfig"
)

// A Concern checks one part of a configuration and returns what it accepts with a caveat
// (warnings) and what it refuses; every Problem names the key, the value, the rule and,
// where there is one, the fix.
type Concern func(cfg stackconfig.Config) (warnings, refusals stackconfig.Problems)

// concerns are every rule of this package except those that need the date. A new concern is
// a file with its Concern and one line here.
var concerns = []Concern{
	CheckNames,
	CheckNodeGroups,
	CheckLabels,
	CheckArchitecture,
	CheckVpc,
	CheckARNs,
	CheckCoreDNS,
	CheckCilium,
	CheckAddons,
	CheckKarpenter,
	CheckClusterMesh,
	CheckMigration,
	CheckChartSources,
}

// versionConcerns are the rules about what runs on the cluster's Kubernetes version (node
// images, Cilium's and the charts' tested ranges). They run only for a version EKS offers on
// the day checked: a version that is refused itself would only repeat its problem through
// every one of them.
var versionConcerns = []Concern{
	CheckNodeGroupAMIs,
	CheckCiliumKubernetes,
	CheckChartKubernetes,
}

// Check runs every concern over cfg. today is the date the Kubernetes version lifecycle is
// checked against (the program passes the real date; tests and snapshots pin it). Both lists
// are sorted by key.
func Check(cfg stackconfig.Config, today time.Time) (warnings, refusals stackconfig.Problems) {
	all := append(slices.Clone(concerns), KubernetesVersionOn(today))
	if _, support := SupportOn(cfg.Cluster.Version, today); support == Standard || support == Extended {
		all = append(all, versionConcerns...)
	}
	for _, c := range all {
		w, r := c(cfg)
		warnings = append(warnings, w...)
		refusals = append(refusals, r...)
	}
	warnings.Sort()
	refusals.Sort()
	return warnings, refusals
}

// collector gathers the problems of one concern; nothing stops at the first.
type collector struct {
	warned, refused stackconfig.Problems
}

func (c *collector) refuse(key, value, rule, fix string) {
	c.refused = append(c.refused, stackconfig.Problem{Key: key, Value: value, Rule: rule, Fix: fix})
}

func (c *collector) warn(key, value, rule string) {
	c.warned = append(c.warned, stackconfig.Problem{Key: key, Value: value, Rule: rule})
}

func (c *collector) result() (warnings, refusals stackconfig.Problems) { return c.warned, c.refused }

// oneOf refuses value unless it is in allowed, suggesting the nearest allowed value.
func (c *collector) oneOf(key, value string, allowed []string) bool {
	if slices.Contains(allowed, value) {
		return true
	}
	shown := make([]string, len(allowed))
	for i, a := range allowed {
		shown[i] = strconv.Quote(a)
	}
	fix := ""
	if n := stackconfig.Nearest(value, allowed); n != "" {
		fix = "did you mean " + strconv.Quote(n) + "?"
	}
	c.refuse(key, value, "must be one of "+strings.Join(shown, ", "), fix)
	return false
}

func at(key string, i int) string { return key + "[" + strconv.Itoa(i) + "]" }

func nodeGroupKey(i int, field string) string {
	return at(stackconfig.KeyNodeGroups, i) + "." + field
}

func listValue(list []string) string { return "[" + strings.Join(list, ", ") + "]" }

// Config keys the rules name.
const (
	keyClusterName        = stackconfig.KeyClusterName
	keyClusterVersion     = stackconfig.KeyClusterVersion
	keyAdminPrincipalArns = stackconfig.KeyClusterAdminPrincipalArns
	keyKmsKeyArn          = stackconfig.KeyClusterKmsKeyArn
	keyCorednsVersion     = stackconfig.KeyClusterCorednsVersion
	keyVpcAZNames         = stackconfig.KeyVpcAvailabilityZoneNames
	keyVpcNatGateways     = stackconfig.KeyVpcNatGateways
	keyVpcID              = stackconfig.KeyVpcId
	keyVpcPrivateSubnets  = stackconfig.KeyVpcPrivateSubnetIds
	keyVpcPublicSubnets   = stackconfig.KeyVpcPublicSubnetIds
	keyCiliumVersion      = stackconfig.KeyCiliumVersion
	keyTunnelProtocol     = stackconfig.KeyCiliumTunnelProtocol
	keyEncryption         = stackconfig.KeyCiliumEncryption
)
