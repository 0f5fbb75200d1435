package rules

import (
	"regexp"
	"strconv"

	"github.com/eks-cilium/eks-cilium/charts"
	"github.com/eks-cilium/eks-cilium/migration"
	"github.com/eks-cilium/eks-cilium/stackconfig"
)

// securityGroupIDRe is an EC2 security group id: sg- and 8 or 17 hex digits
// (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/resource-ids.html).
var securityGroupIDRe = regexp.MustCompile(`^sg-([0-9a-f]{8}|[0-9a-f]{17})$`)

// awsNodeModes are the values of migration.awsNode.
var awsNodeModes = []string{stackconfig.AwsNodeAddon, stackconfig.AwsNodeSelfManaged}

const (
	keyExisting              = stackconfig.KeyClusterExisting
	keyKubeProxyReplacement  = stackconfig.KeyClusterKubeProxyReplacement
	keyMigrationPhase        = stackconfig.KeyMigrationPhase
	keyMigrationLegacyGroups = stackconfig.KeyMigrationLegacyNodeGroups
	keyMigrationAwsNode      = stackconfig.KeyMigrationAwsNode
	keyMigrationLegacySGs    = stackconfig.KeyMigrationLegacySecurityGroupIds
)

// CheckMigration checks an adopted cluster's configuration (cluster.existing) and its
// migration (eks-cilium:migration) on their own; what the cluster itself must show is checked
// live (package migration) and the order of the phases against the previous deployment (guard).
func CheckMigration(cfg stackconfig.Config) (warnings, refusals stackconfig.Problems) {
	c := &collector{}
	m := cfg.Migration
	cl := cfg.Cluster
	if m != nil && !cl.Existing {
		c.refuse(stackconfig.KeyMigration, "phase "+m.Phase, "migrates a cluster this stack adopted; this stack creates its own cluster, which has no aws-node to migrate from",
			"remove eks-cilium:migration, or set cluster.existing: true to adopt a cluster that runs the AWS VPC CNI")
	}
	if !cl.Existing {
		return c.result()
	}
	// The cluster is looked up by name and its VPC by id: neither may be a guess.
	if cl.Name == "" {
		c.refuse(keyClusterName, "", "must name the cluster to adopt when cluster.existing is true (the default eks-cilium-<stack> is the name of a cluster this stack would create)", "set it to the EKS cluster's name")
	}
	if !cfg.Vpc.UsesExistingVpc() {
		c.refuse(keyVpcID, "", "must be the adopted cluster's VPC when cluster.existing is true: the VPC is looked up, not created",
			"set vpc.id, vpc.cidr (its primary CIDR) and the private and public subnet ids")
	}
	// kube-proxy keeps serving Services on every node while the two CNIs coexist: with
	// kube-proxy replacement during a node-by-node move from the AWS CNI, "all load balancers
	// stop working" (cilium/cilium#21579), and Cilium's guide leaves it out of the migration.
	if cl.KubeProxyReplacement {
		c.refuse(keyKubeProxyReplacement, "true", "must be false on an adopted cluster: kube-proxy keeps serving Services while aws-node and Cilium run side by side, and Cilium's kube-proxy replacement beside kube-proxy breaks load balancers (cilium/cilium#21579)",
			"set it to false")
	}
	// What the adopted control plane already has stays its owner's: these keys shape a
	// cluster the stack creates and would silently do nothing here.
	notApplied := func(key, value string) {
		c.refuse(key, value, "is a setting of a cluster this stack creates; an adopted cluster keeps its own (cluster.existing is true)", "remove it")
	}
	if cl.KmsKeyArn != "" {
		notApplied(keyKmsKeyArn, cl.KmsKeyArn)
	}
	if len(cl.AdminPrincipalArns) > 0 {
		notApplied(keyAdminPrincipalArns, listValue(cl.AdminPrincipalArns))
	}
	if cl.CorednsVersion != "" {
		notApplied(keyCorednsVersion, cl.CorednsVersion)
	}
	if cl.Protect {
		notApplied(stackconfig.KeyClusterProtect, "true")
	}
	for i, g := range cfg.NodeGroups {
		if _, ok := g.Labels[migration.NodeLabelKey]; ok {
			c.refuse(nodeGroupKey(i, "labels")+"["+strconv.Quote(migration.NodeLabelKey)+"]", g.Labels[migration.NodeLabelKey],
				"is the migration's label, which the stack sets itself on every node group of an adopted cluster", "remove it")
		}
	}
	for _, leaf := range leavesOf(cfg.Cilium.Values) {
		for _, key := range charts.CiliumMigrationKeys {
			if leaf == key || len(leaf) > len(key) && leaf[:len(key)+1] == key+"." {
				c.refuse(stackconfig.KeyCiliumValues+"."+leaf, "", "is set by the migration's phase on an adopted cluster", "remove it from eks-cilium:cilium.values")
			}
		}
	}
	if m == nil {
		return c.result()
	}
	c.oneOf(keyMigrationPhase, m.Phase, migration.Phases())
	c.oneOf(keyMigrationAwsNode, m.AwsNode, awsNodeModes)
	seen := map[string]int{}
	for i, name := range m.LegacyNodeGroups {
		key := at(keyMigrationLegacyGroups, i)
		switch j, dup := seen[name]; {
		case name == "":
			c.refuse(key, name, "must name a managed node group of the cluster", "")
		case dup:
			c.refuse(key, name, "repeats "+at(keyMigrationLegacyGroups, j), "")
		}
		seen[name] = i
	}
	seenSG := map[string]int{}
	for i, id := range m.LegacySecurityGroupIds {
		key := at(keyMigrationLegacySGs, i)
		switch j, dup := seenSG[id]; {
		case !securityGroupIDRe.MatchString(id):
			c.refuse(key, id, "must be a security group id: sg- and 8 or 17 hex digits", "")
		case dup:
			c.refuse(key, id, "repeats "+at(keyMigrationLegacySGs, j), "")
		}
		seenSG[id] = i
	}
	// Until finalize the cluster may already run its own add-ons (an EKS Pod Identity agent
	// add-on, a metrics-server or load balancer controller release) that the stack's would
	// collide with. Karpenter's nodes would join without the migration label, so aws-node,
	// fenced off labelled nodes only, would run on them as long as it exists.
	if migration.BeforeFinalize(m.Phase) && cfg.Addons != nil {
		c.refuse(stackconfig.KeyAddons, "", "is not installed on an adopted cluster before finalize: it may run its own add-ons, which these would collide with", "add it once finalize is deployed, if the cluster has none of its own")
	}
	if migration.AwsNodeKept(m.Phase) && cfg.Karpenter != nil {
		c.refuse(stackconfig.KeyKarpenter, "", "is not installed on an adopted cluster while aws-node exists: Karpenter's nodes would join without the migration label and run aws-node", "add it once remove-aws-node is deployed")
	}
	return c.result()
}

// leavesOf lists the dotted paths of a nested map's non-map values.
func leavesOf(m map[string]any) []string {
	var out []string
	var walk func(prefix string, m map[string]any)
	walk = func(prefix string, m map[string]any) {
		for k, v := range m {
			p := k
			if prefix != "" {
				p = prefix + "." + k
			}
			if sub, ok := v.(map[string]any); ok && len(sub) > 0 {
				walk(p, sub)
				continue
			}
			out = append(out, p)
		}
	}
	walk("", m)
	return out
}
