package rules

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/eks-cilium/eks-cilium/charts/lbcpolicy"
	"github.com/eks-cilium/eks-cilium/stackconfig"
)

// Config keys of eks-cilium:addons, as a user writes them.
const (
	keyAddonsMetricsServer = stackconfig.KeyAddonsMetricsServer
	keyAddonsLBC           = stackconfig.KeyAddonsAwsLoadBalancerController
)

// addonsChartVersionRe is an exact chart version, as Helm resolves it without a range: a
// range or "latest" would install whatever is newest when `pulumi up` runs.
var addonsChartVersionRe = regexp.MustCompile(`^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?$`)

// CheckAddons validates eks-cilium:addons: exact chart versions, a controller version whose
// IAM policy is carried, replica counts every node group together can hold (each replica
// needs a node of its own, its host port being taken once per node), and the region the
// controller needs (the role's name length is awsnames'). A stack without the key has nothing to check.
func CheckAddons(cfg stackconfig.Config) (warnings, refusals stackconfig.Problems) {
	a := cfg.Addons
	if a == nil {
		return nil, nil
	}
	var probs stackconfig.Problems
	refuse := func(key, value, rule, fix string) {
		probs = append(probs, stackconfig.Problem{Key: key, Value: value, Rule: rule, Fix: fix})
	}
	maxNodes, capped := addonsNodeCapacity(cfg)

	if ms := a.MetricsServer; ms != nil {
		if !addonsChartVersionRe.MatchString(ms.Version) {
			refuse(keyAddonsMetricsServer+".version", ms.Version,
				"must be an exact metrics-server chart version MAJOR.MINOR.PATCH (no v, no range, no latest)",
				"pin the version the chart contract test renders, e.g. 3.13.1")
		}
		probs = append(probs, addonsCheckReplicas(keyAddonsMetricsServer+".replicas", ms.Replicas, maxNodes, capped)...)
	}

	if lbc := a.AwsLoadBalancerController; lbc != nil {
		if _, ok := lbcpolicy.ForChart(lbc.Version); !ok {
			rule := "must be an aws-load-balancer-controller chart version whose controller IAM policy this project carries"
			if !addonsChartVersionRe.MatchString(lbc.Version) {
				rule = "must be an exact chart version MAJOR.MINOR.PATCH (no v, no range, no latest) whose controller IAM policy this project carries"
			}
			refuse(keyAddonsLBC+".version", lbc.Version, rule,
				"use one of "+strings.Join(lbcpolicy.ChartVersions(), ", ")+
					"; a newer chart needs its release's docs/install/iam_policy.json added to charts/lbcpolicy")
		}
		probs = append(probs, addonsCheckReplicas(keyAddonsLBC+".replicaCount", lbc.ReplicaCount, maxNodes, capped)...)
		if cfg.Region == "" {
			refuse(stackconfig.KeyRegion, "", "is required with the AWS Load Balancer Controller: it is passed to the controller, which cannot ask IMDS from a pod",
				"set aws:region in the stack file")
		}
	}
	return nil, probs
}

// addonsNodeCapacity is how many nodes the node groups can have at most; capped is false
// when Karpenter may add nodes beyond them.
func addonsNodeCapacity(cfg stackconfig.Config) (nodes int, capped bool) {
	for _, ng := range cfg.NodeGroups {
		nodes += ng.MaxSize
	}
	return nodes, cfg.Karpenter == nil
}

func addonsCheckReplicas(key string, n, maxNodes int, capped bool) stackconfig.Problems {
	switch {
	case n < 1:
		return stackconfig.Problems{{Key: key, Value: strconv.Itoa(n), Rule: "must be 1 or more", Fix: "remove it to take the chart's default, or set a positive count"}}
	case capped && n > maxNodes:
		return stackconfig.Problems{{Key: key, Value: strconv.Itoa(n),
			Rule: fmt.Sprintf("each replica listens on the same host port, so it needs a node of its own; the node groups hold at most %d nodes", maxNodes),
			Fix:  fmt.Sprintf("set at most %d, or raise a node group's maxSize", maxNodes)}}
	}
	return nil
}
