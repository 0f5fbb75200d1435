// Package guard is the day-2 safety check: it compares a stack's configuration with what the
// stack deployed last time (its own previous outputs) and refuses the edits Cilium or EKS
// cannot apply to a running cluster. It is pure Go: the program feeds it the outputs of a
// StackReference to its own stack, the offline render feeds it `pulumi stack output --json`.
package guard

import (
	"fmt"
	"strings"

	"github.com/eks-cilium/eks-cilium/migration"
	"github.com/eks-cilium/eks-cilium/stackconfig"
)

// Deployed is what the previous deployment exported (see program.Outputs).
type Deployed struct {
	ClusterName string
	VpcCidr     string
	ServiceCidr string
	PodCidrs    []string
	MaskSize    int
	IpamMode    string
	RoutingMode string
	// KubeProxyReplacement is the deployed cluster.kubeProxyReplacement; nil when the stack was
	// last deployed by a version of the program that did not export it.
	KubeProxyReplacement *bool
	// Versions are the deployed Kubernetes, Cilium, node image, addon and chart versions.
	Versions DeployedVersions
	// Mesh is the deployed clusterMesh identity; nil when the stack was not a mesh member (or
	// was last deployed before the output existed).
	Mesh *DeployedMesh
	// Existing is the deployed cluster.existing and MigrationPhase the migration phase an
	// adopted cluster deployed (migration.Phase: "" for a created cluster). Existing is nil
	// for stacks last deployed before the outputs existed: their clusters were all created.
	Existing       *bool
	MigrationPhase string
}

// The values this version of the program always deploys.
const (
	IpamMode    = "cluster-pool"
	RoutingMode = "tunnel"
)

// FromOutputs reads the previous stack outputs. No outputs (a first deployment, or a stack
// whose last update exported nothing) returns nil, nil. Outputs that exist but do not have the
// expected shape are an error: the guard must not silently pass on data it cannot read.
func FromOutputs(outputs map[string]any) (*Deployed, error) {
	if len(outputs) == 0 {
		return nil, nil
	}
	var d Deployed
	var bad []string
	str := func(key string, into *string) {
		v, ok := outputs[key].(string)
		if !ok || v == "" {
			bad = append(bad, fmt.Sprintf("%s (want a non-empty string, got %v)", key, outputs[key]))
		}
		*into = v
	}
	str("clusterName", &d.ClusterName)
	str("vpcCidr", &d.VpcCidr)
	str("serviceCidr", &d.ServiceCidr)
	str("ipamMode", &d.IpamMode)
	str("routingMode", &d.RoutingMode)
	switch m := outputs["podCidrMaskSize"].(type) {
	case float64:
		d.MaskSize = int(m)
		if float64(d.MaskSize) != m {
			bad = append(bad, fmt.Sprintf("podCidrMaskSize (want an integer, got %v)", m))
		}
	case int:
		d.MaskSize = m
	default:
		bad = append(bad, fmt.Sprintf("podCidrMaskSize (want an integer, got %v)", outputs["podCidrMaskSize"]))
	}
	switch v := outputs["kubeProxyReplacement"].(type) {
	case nil: // deployed before the output existed; checked from the next deployment on
	case bool:
		d.KubeProxyReplacement = &v
	default:
		bad = append(bad, fmt.Sprintf("kubeProxyReplacement (want a boolean, got %v)", v))
	}
	d.Versions = readVersions(outputs, &bad)
	d.Mesh, bad = meshFromOutputs(outputs, bad)
	switch v := outputs["clusterExisting"].(type) {
	case nil: // deployed before the output existed, when every stack created its cluster
	case bool:
		d.Existing = &v
	default:
		bad = append(bad, fmt.Sprintf("clusterExisting (want a boolean, got %v)", v))
	}
	switch v := outputs["migrationPhase"].(type) {
	case nil:
	case string:
		if v != "" && migration.Order(v) == 0 {
			bad = append(bad, fmt.Sprintf("migrationPhase (want one of %v or %s, got %q)", migration.Phases(), migration.PhaseComplete, v))
		}
		d.MigrationPhase = v
	default:
		bad = append(bad, fmt.Sprintf("migrationPhase (want a string, got %v)", v))
	}
	list, ok := outputs["podCidrs"].([]any)
	if !ok || len(list) == 0 {
		bad = append(bad, fmt.Sprintf("podCidrs (want a non-empty list, got %v)", outputs["podCidrs"]))
	}
	for _, e := range list {
		s, ok := e.(string)
		if !ok {
			bad = append(bad, fmt.Sprintf("podCidrs entry %v (want a string)", e))
			continue
		}
		d.PodCidrs = append(d.PodCidrs, s)
	}
	if len(bad) > 0 {
		return nil, fmt.Errorf("previous stack outputs are not those of an eks-cilium deployment: missing or malformed %s", strings.Join(bad, "; "))
	}
	return &d, nil
}

// Check compares cfg with the previous deployment. It returns the refusals as
// stackconfig.Problems (nil when the change is safe) and warnings for escape hatches in use.
// prev == nil (first deployment) refuses nothing.
func Check(prev *Deployed, cfg stackconfig.Config) (warnings []string, err error) {
	if cfg.Cilium.AllowPoolRewrite {
		warnings = append(warnings, stackconfig.KeyCiliumAllowPoolRewrite+" is true: changes to the pod pool, mask size and IPAM/routing mode are NOT refused. Only for a cluster being recreated; set it back to false afterwards.")
	}
	if cfg.Cluster.AllowClusterReplacement {
		warnings = append(warnings, stackconfig.KeyClusterAllowClusterReplacement+" is true: changes of VPC CIDR, service CIDR or cluster name, which replace the EKS cluster and everything in it, are NOT refused.")
	}
	if prev == nil {
		return warnings, nil
	}
	var pool, cluster, refusedAlways stackconfig.Problems
	versionNotices, versionRefusals := checkVersions(prev, cfg)
	warnings = append(append(warnings, prev.Versions.Skipped...), versionNotices...)
	refusedAlways = append(refusedAlways, versionRefusals...)
	pool = append(pool, checkPool(prev, cfg)...)
	if prev.IpamMode != IpamMode {
		pool = append(pool, stackconfig.Problem{
			Key: stackconfig.KeyCilium + " (ipam.mode)", Value: fmt.Sprintf("%s (deployed: %s)", IpamMode, prev.IpamMode),
			Rule: "the IPAM mode of a running cluster cannot change: existing pods keep addresses the new mode does not know, and nodes lose their pod CIDRs",
			Fix:  "recreate the cluster (set " + stackconfig.KeyCiliumAllowPoolRewrite + ": true while doing so)",
		})
	}
	if prev.RoutingMode != RoutingMode {
		pool = append(pool, stackconfig.Problem{
			Key: stackconfig.KeyCilium + " (routingMode)", Value: fmt.Sprintf("%s (deployed: %s)", RoutingMode, prev.RoutingMode),
			Rule: "switching routing mode on a running cluster drops pod-to-pod traffic between nodes until every agent restarts, and native routing needs VPC routes this project does not create",
			Fix:  "recreate the cluster (set " + stackconfig.KeyCiliumAllowPoolRewrite + ": true while doing so)",
		})
	}
	replace := func(key, now, was, what string) {
		if now != was {
			cluster = append(cluster, stackconfig.Problem{
				Key: key, Value: fmt.Sprintf("%s (deployed: %s)", now, was),
				Rule: what + " replaces the EKS cluster: every node, pod, load balancer and volume attachment in it is recreated",
				Fix:  "revert it; or, to really rebuild the cluster, set " + stackconfig.KeyClusterAllowClusterReplacement + ": true",
			})
		}
	}
	if p := checkKubeProxy(prev, cfg); p != nil {
		refusedAlways = append(refusedAlways, *p)
	}
	meshWarnings, meshRefusals := checkMesh(prev, cfg)
	warnings = append(warnings, meshWarnings...)
	refusedAlways = append(refusedAlways, meshRefusals...)
	replace(stackconfig.KeyVpcCidr, cfg.Vpc.Cidr, prev.VpcCidr, "changing the VPC CIDR")
	replace(stackconfig.KeyClusterServiceCidr, cfg.Cluster.ServiceCidr, prev.ServiceCidr, "changing the service CIDR")
	replace(stackconfig.KeyClusterName, cfg.ClusterName(), prev.ClusterName, "renaming the cluster")

	refused := refusedAlways
	if !cfg.Cilium.AllowPoolRewrite {
		refused = append(refused, pool...)
	} else {
		for _, p := range pool {
			warnings = append(warnings, "allowed by allowPoolRewrite: "+p.String())
		}
	}
	if !cfg.Cluster.AllowClusterReplacement {
		refused = append(refused, cluster...)
	} else {
		for _, p := range cluster {
			warnings = append(warnings, "allowed by allowClusterReplacement: "+p.String())
		}
	}
	if len(refused) > 0 {
		return warnings, refused
	}
	return warnings, nil
}

// checkKubeProxy refuses switching kube-proxy replacement on a running cluster, in either
// direction, because this program cannot do it safely:
//   - on: pulumi-aws removes bootstrapped addons (defaultAddonsToRemove) only when it creates
//     the cluster, and pulumi-eks v3.9.1 deletes its own kube-proxy addon with preserve: true
//     (nodejs/eks/cluster/cluster.ts, createCore, the "kube-proxy" aws.eks.Addon), so the
//     kube-proxy DaemonSet and its iptables rules stay beside Cilium's replacement;
//   - off: the kube-proxy addon is created while every Cilium agent restarts without its
//     service handling, so Services on a node are served by neither for a while.
//
// A new cluster gets either setting right at creation, so a change that also renames the
// cluster (refused separately unless allowClusterReplacement) is not refused here.
func checkKubeProxy(prev *Deployed, cfg stackconfig.Config) *stackconfig.Problem {
	if prev.KubeProxyReplacement == nil || *prev.KubeProxyReplacement == cfg.Cluster.KubeProxyReplacement || cfg.ClusterName() != prev.ClusterName {
		return nil
	}
	key := stackconfig.KeyClusterKubeProxyReplacement
	value := fmt.Sprintf("%v (deployed: %v)", cfg.Cluster.KubeProxyReplacement, *prev.KubeProxyReplacement)
	steps := func(want bool) string {
		return fmt.Sprintf("keep %s: %v on this cluster. To switch, build a new cluster with %v: either a new stack "+
			"(blue/green: deploy it, move the workloads, destroy the old one), or in this stack a new %s.name together "+
			"with allowClusterReplacement: true (every node, pod and volume attachment is recreated; set it back to "+
			"false afterwards)", key, !want, want, stackconfig.KeyCluster)
	}
	if cfg.Cluster.KubeProxyReplacement {
		return &stackconfig.Problem{
			Key: key, Value: value,
			Rule: "turning kube-proxy replacement on for a running cluster leaves kube-proxy running beside Cilium: " +
				"pulumi-aws removes EKS's default addons only when it creates a cluster, and pulumi-eks deletes its " +
				"kube-proxy addon with preserve: true, so the DaemonSet and its iptables rules stay",
			Fix: steps(true),
		}
	}
	return &stackconfig.Problem{
		Key: key, Value: value,
		Rule: "turning kube-proxy replacement off for a running cluster creates the kube-proxy addon while every Cilium " +
			"agent restarts without its service handling, so Services stop answering on each node until kube-proxy is up there",
		Fix: steps(false),
	}
}

// checkPool enforces Cilium's rule for clusterPoolIPv4PodCIDRList on a running cluster: the
// deployed entries stay exactly as they are, in place; new entries go at the end. Order is
// part of the rule because Cilium's operator hands out node CIDRs from the first pool with
// room, so a reorder silently changes where new nodes' pods live; it is refused like an edit.
func checkPool(prev *Deployed, cfg stackconfig.Config) stackconfig.Problems {
	key := stackconfig.KeyCiliumClusterPoolIPv4PodCIDRList
	now := cfg.Cilium.ClusterPoolIPv4PodCIDRList
	var probs stackconfig.Problems
	for i, was := range prev.PodCidrs {
		switch {
		case i >= len(now):
			probs = append(probs, stackconfig.Problem{
				Key: fmt.Sprintf("%s[%d]", key, i), Value: fmt.Sprintf("(removed; deployed: %s)", was),
				Rule: "removing a pod CIDR from a running cluster is unsupported by Cilium: nodes keep pod CIDRs from it and the operator can hand them out again, so pods get duplicate or unroutable addresses",
				Fix:  "keep " + was + " in the list at position " + fmt.Sprint(i) + "; to shrink the pool, recreate the cluster with " + stackconfig.KeyCiliumAllowPoolRewrite + ": true",
			})
		case now[i] != was:
			probs = append(probs, stackconfig.Problem{
				Key: fmt.Sprintf("%s[%d]", key, i), Value: fmt.Sprintf("%s (deployed: %s)", now[i], was),
				Rule: "changing or reordering an existing pod CIDR entry is unsupported by Cilium: node CIDRs already allocated from the old entry stay in use and no longer match the pool",
				Fix:  "keep " + was + " at position " + fmt.Sprint(i) + " and append new CIDRs at the end of the list",
			})
		}
	}
	if cfg.Cilium.ClusterPoolIPv4MaskSize != prev.MaskSize {
		probs = append(probs, stackconfig.Problem{
			Key: stackconfig.KeyCiliumClusterPoolIPv4MaskSize, Value: fmt.Sprintf("%d (deployed: %d)", cfg.Cilium.ClusterPoolIPv4MaskSize, prev.MaskSize),
			Rule: "the per-node mask size of a running cluster cannot change: existing nodes keep their CIDRs of the old size and new ones are cut differently from the same pool, overlapping them",
			Fix:  "keep " + fmt.Sprint(prev.MaskSize) + "; for more pod IPs per node append a pool in a new cluster, or recreate this one with " + stackconfig.KeyCiliumAllowPoolRewrite + ": true",
		})
	}
	return probs
}
