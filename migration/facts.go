package migration

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/eks-cilium/eks-cilium/stackconfig"
)

// Facts are what only the adopted cluster and its AWS account know. The program reads them
// on every preview and update (nothing is registered before they are checked); offline they
// are nil and the render lists DeployTimeChecks instead.
type Facts struct {
	Cluster ClusterFacts
	// VpcCidrs are every IPv4 CIDR associated with the cluster's VPC, secondary ones included.
	VpcCidrs []string
	// Routes are the VPC's routes that leave it (peering, transit gateway, VPN, ...): the
	// pool must not overlap what the VPC already routes somewhere else.
	Routes []Route
	// FargateProfiles are the cluster's Fargate profiles by name.
	FargateProfiles []string
	// LegacyGroups are eks-cilium:migration.legacyNodeGroups as EKS and the nodes show them,
	// in the configured order.
	LegacyGroups []LegacyGroup
	// Nodes is how many nodes the cluster has in all (Cilium gives every one a pod CIDR).
	Nodes int
	// Addon is the vpc-cni EKS add-on; nil when the cluster has none, with AddonError what
	// EKS answered.
	Addon      *Addon
	AddonError string
	// AwsNode is the aws-node DaemonSet; nil when the cluster has none.
	AwsNode *DaemonSet
	// Cilium is what kube-system/cilium-config shows of a Cilium already in the cluster.
	Cilium Cilium
	// NetworkPolicies, SecurityGroupPolicies and IPTargets name (namespace/name) what the
	// overlay cannot carry over as it is; HiddenBackends names the webhooks and APIServices
	// whose endpoints are not node addresses (pods the control plane reaches over the VPC today
	// and cannot reach on the overlay).
	NetworkPolicies       []string
	SecurityGroupPolicies []string
	IPTargets             []string
	HiddenBackends        []string
}

// ClusterFacts is the EKS DescribeCluster answer, as far as the migration needs it.
type ClusterFacts struct {
	Name, Version, VpcId string
	// ServiceCidr is kubernetesNetworkConfig.serviceIpv4Cidr; IpFamily ipv4 or ipv6.
	ServiceCidr, IpFamily string
	// SecurityGroupId is the cluster security group EKS gives managed nodes (and ours).
	SecurityGroupId string
	// AutoMode is computeConfig.enabled: EKS Auto Mode.
	AutoMode bool
}

// Route is one route of a VPC route table towards something outside the VPC.
type Route struct{ Table, Cidr, Target string }

// LegacyGroup is one legacy managed node group.
type LegacyGroup struct {
	Name string
	// Found is false when EKS does not know the group (deleted, or a typo); Error is then
	// what EKS answered.
	Found bool
	Error string
	// DesiredSize is the group's scalingConfig.desiredSize; Nodes the Kubernetes nodes
	// labelled eks.amazonaws.com/nodegroup=<name>.
	DesiredSize, Nodes int
	// SecurityGroupIds are the security groups its launch template gives its nodes (none when
	// the nodes only get the cluster security group).
	SecurityGroupIds []string
}

// Addon is the vpc-cni EKS add-on as DescribeAddon shows it.
type Addon struct {
	Version string
	// ConfigurationValues is the add-on's current JSON configuration ("" when none): the
	// migration's values are merged into it, never replace it.
	ConfigurationValues string
}

// DaemonSet is the aws-node DaemonSet: its status and its container's environment.
type DaemonSet struct {
	DesiredNumberScheduled, CurrentNumberScheduled int
	Env                                            map[string]string
}

// Cilium is kube-system/cilium-config of a Cilium already in the cluster.
type Cilium struct {
	Present bool
	// ChainingMode is its cni-chaining-mode ("" or none: not chained).
	ChainingMode string
}

// Keys the live checks name.
const (
	keyExisting         = stackconfig.KeyClusterExisting
	keyServiceCidr      = stackconfig.KeyClusterServiceCidr
	keyClusterVersion   = stackconfig.KeyClusterVersion
	keyVpcID            = stackconfig.KeyVpcId
	keyPool             = stackconfig.KeyCiliumClusterPoolIPv4PodCIDRList
	KeyPhase            = stackconfig.KeyMigrationPhase
	keyLegacyGroups     = stackconfig.KeyMigrationLegacyNodeGroups
	keyAwsNode          = stackconfig.KeyMigrationAwsNode
	keyLegacySecurityGs = stackconfig.KeyMigrationLegacySecurityGroupIds
)

// Check compares an adopted cluster's configuration with its live facts, for the phase the
// configuration deploys; previous is the phase deployed before ("" on the first update).
// nodeCIDRsNeeded and nodeCIDRsTotal are the planner's: the pool must also hold a node CIDR
// for every node that is not ours while the migration runs.
func Check(cfg stackconfig.Config, previous string, f *Facts, nodeCIDRsNeeded int, nodeCIDRsTotal uint64) (warnings, refusals stackconfig.Problems) {
	phase := Phase(cfg)
	refuse := func(key, value, rule, fix string) {
		refusals = append(refusals, stackconfig.Problem{Key: key, Value: value, Rule: rule, Fix: fix})
	}
	warn := func(key, value, rule string) {
		warnings = append(warnings, stackconfig.Problem{Key: key, Value: value, Rule: rule})
	}
	c := f.Cluster

	// The adopted cluster is what the configuration describes. vpc.id, serviceCidr and the
	// version are the planner's inputs (overlaps, the nodes' AMI), so they must be the
	// cluster's own, not a guess.
	if c.VpcId != "" && c.VpcId != cfg.Vpc.Id {
		refuse(keyVpcID, cfg.Vpc.Id, "is not the VPC of cluster "+c.Name+" ("+c.VpcId+")", "set it to "+c.VpcId)
	}
	if c.ServiceCidr != "" && c.ServiceCidr != cfg.Cluster.ServiceCidr {
		refuse(keyServiceCidr, cfg.Cluster.ServiceCidr, "is not the service range of cluster "+c.Name+" ("+c.ServiceCidr+"), which EKS cannot change",
			"set it to "+c.ServiceCidr)
	}
	if c.Version != "" && c.Version != cfg.Cluster.Version {
		refuse(keyClusterVersion, cfg.Cluster.Version, "is not the Kubernetes version of cluster "+c.Name+" ("+c.Version+
			"): the new node groups take their AMI from it, and this stack does not upgrade an adopted control plane", "set it to "+c.Version)
	}

	// Before install: what Cilium's migration or the overlay cannot handle.
	if phase == stackconfig.PhaseInstall {
		// EKS Auto Mode "does not support alternate CNI plugins"
		// (https://docs.aws.amazon.com/eks/latest/userguide/alternate-cni-plugins.html).
		if c.AutoMode {
			refuse(keyExisting, "true", "cluster "+c.Name+" runs EKS Auto Mode, which does not support an alternate CNI (EKS user guide, alternate-cni-plugins)", "")
		}
		// Cilium's migration is untested across IP families (k8s-install-migration.rst v1.19.6
		// L83) and this project's pool is IPv4 only.
		if c.IpFamily != "" && c.IpFamily != "ipv4" {
			refuse(keyExisting, "true", "cluster "+c.Name+" is "+c.IpFamily+": Cilium's migration does not change IP families and the pod pool here is IPv4", "")
		}
		// Fargate pods always get the VPC CNI and cannot reach the overlay (EKS user guide,
		// alternate-cni-plugins: Fargate pods keep the VPC CNI).
		if len(f.FargateProfiles) > 0 {
			refuse(keyExisting, "true", "cluster "+c.Name+" has Fargate profiles ("+strings.Join(f.FargateProfiles, ", ")+
				"): Fargate pods always run on the VPC CNI and cannot reach pods on Cilium's overlay", "move those workloads to node groups and delete the profiles first")
		}
		// Migrating from Cilium in chained mode is not supported (k8s-install-migration.rst
		// v1.19.6 L84); a Cilium the stack did not install would fight the release over its
		// objects.
		if f.Cilium.ChainingMode != "" && f.Cilium.ChainingMode != "none" {
			refuse(keyExisting, "true", "cluster "+c.Name+" runs Cilium chained to "+f.Cilium.ChainingMode+
				": Cilium's migration guide does not cover migrating from chaining mode", "uninstall the chained Cilium first, or rebuild the cluster")
		} else if f.Cilium.Present && previous == "" {
			refuse(keyExisting, "true", "cluster "+c.Name+" already runs a Cilium (kube-system/cilium-config exists) this stack did not install", "uninstall it first")
		}
		checkPoolAgainst(cfg, f, refuse)
		checkLegacySecurityGroups(cfg, f, refuse)
		if nodeCIDRsTotal > 0 && uint64(nodeCIDRsNeeded+f.Nodes) > nodeCIDRsTotal {
			refuse(keyPool, strings.Join(cfg.Cilium.ClusterPoolIPv4PodCIDRList, ", "), fmt.Sprintf(
				"holds %d node CIDRs, but while the migration runs Cilium gives one to each of the cluster's %d current nodes as well as the %d the new node groups need",
				nodeCIDRsTotal, f.Nodes, nodeCIDRsNeeded), "append a CIDR to the pool or use a longer clusterPoolIPv4MaskSize before install")
		}
	}

	if AwsNodeKept(phase) {
		m := cfg.Migration
		switch {
		case m.AwsNode == stackconfig.AwsNodeAddon && f.Addon == nil:
			refuse(keyAwsNode, m.AwsNode, "cluster "+c.Name+" has no vpc-cni EKS add-on (EKS: "+stackconfig.Shorten(f.AddonError, 160)+")",
				"if aws-node is self-managed, set it to "+stackconfig.AwsNodeSelfManaged)
		case m.AwsNode == stackconfig.AwsNodeSelfManaged && f.Addon != nil:
			refuse(keyAwsNode, m.AwsNode, "cluster "+c.Name+" runs aws-node as the vpc-cni EKS add-on, which would undo changes made to the DaemonSet directly", "set it to "+stackconfig.AwsNodeAddon)
		}
		if f.AwsNode == nil {
			refuse(keyExisting, "true", "cluster "+c.Name+" has no kube-system/aws-node DaemonSet: there is no AWS VPC CNI to migrate from", "")
		}
		for i, g := range f.LegacyGroups {
			if !g.Found {
				refuse(fmt.Sprintf("%s[%d]", keyLegacyGroups, i), g.Name, "cannot be read as a managed node group of cluster "+c.Name+" (EKS: "+stackconfig.Shorten(g.Error, 160)+")",
					"list the names `aws eks list-nodegroups --cluster-name "+c.Name+"` shows; remove a group that was deleted")
			}
		}
	}

	// finalize and remove-aws-node need a cluster without legacy nodes and without aws-node
	// pods: Cilium then writes its CNI configuration on every node and enforces policy, and
	// aws-node is deleted. Giant Swarm's aws-operator deleted aws-node only once its
	// DaemonSet's desiredNumberScheduled was 0 (v14.0.0 service/controller/resource/
	// awscnicleaner/create.go L59-76); the legacy groups' own counts catch nodes still joining.
	if phase == stackconfig.PhaseFinalize || phase == stackconfig.PhaseRemoveAwsNode {
		for _, g := range f.LegacyGroups {
			if g.Found && (g.DesiredSize > 0 || g.Nodes > 0) {
				refuse(KeyPhase, phase, fmt.Sprintf("legacy node group %s still has %d nodes (desiredSize %d): their pods run on aws-node", g.Name, g.Nodes, g.DesiredSize),
					"drain it and scale it to 0 (docs/migration.md, \"Draining a legacy node group\"), then run this update again")
			}
		}
		if ds := f.AwsNode; ds != nil && (ds.DesiredNumberScheduled > 0 || ds.CurrentNumberScheduled > 0) {
			refuse(KeyPhase, phase, fmt.Sprintf("aws-node is still scheduled on %d nodes (desiredNumberScheduled %d): those nodes are not on Cilium yet",
				ds.CurrentNumberScheduled, ds.DesiredNumberScheduled), "`kubectl -n kube-system get pods -l k8s-app=aws-node -o wide` shows where; drain and remove those nodes first")
		}
	}

	if BeforeFinalize(phase) || phase == stackconfig.PhaseFinalize {
		named := func(what string, list []string) string {
			return fmt.Sprintf("%d %s (%s)", len(list), what, stackconfig.Shorten(strings.Join(list, ", "), 120))
		}
		// Policy enforcement is off while the migration runs and comes back at finalize; an
		// existing NetworkPolicy provider is untested (k8s-install-migration.rst v1.19.6
		// L85-91).
		if len(f.NetworkPolicies) > 0 {
			warn(KeyPhase, phase, named("NetworkPolicies", f.NetworkPolicies)+
				": Cilium enforces none of them until finalize, then enforces all of them itself; a pod-IP ipBlock written for VPC addresses no longer matches")
		}
		// Security groups for pods need the VPC CNI's branch ENIs; Cilium supports them only
		// chained to the VPC CNI, and the overlay has no equivalent (cilium/cilium#23209).
		podENI := f.AwsNode != nil && strings.EqualFold(f.AwsNode.Env["ENABLE_POD_ENI"], "true")
		if len(f.SecurityGroupPolicies) > 0 || podENI {
			what := "aws-node has ENABLE_POD_ENI=true"
			if len(f.SecurityGroupPolicies) > 0 {
				what = named("SecurityGroupPolicies", f.SecurityGroupPolicies)
			}
			warn(KeyPhase, phase, what+": security groups for pods need the VPC CNI's branch ENIs and have no equivalent on Cilium's overlay (cilium/cilium#23209); those pods lose their security groups on the new nodes")
		}
		// Overlay pod IPs are not VPC addresses: a load balancer cannot target them.
		if len(f.IPTargets) > 0 {
			warn(KeyPhase, phase, named("load balancers with IP targets", f.IPTargets)+
				": pods on the overlay have no VPC address a target group can reach; switch them to instance targets before their pods move")
		}
		// The EKS control plane reaches only VPC addresses (cilium/cilium#30111).
		if len(f.HiddenBackends) > 0 {
			warn(KeyPhase, phase, named("webhooks and APIServices served by pods off the host network", f.HiddenBackends)+
				": the EKS control plane cannot reach pods on the overlay, so once those pods move they time out; serve them from the host network first (docs/migration.md, What cannot be carried over)")
		}
	}
	warnings.Sort()
	refusals.Sort()
	return warnings, refusals
}

// checkPoolAgainst refuses a pool entry that overlaps an address range the cluster already
// uses or routes: Cilium's migration needs a new CIDR "distinct from all other CIDRs in use"
// (k8s-install-migration.rst v1.19.6 L151). The planner already compares the pool with the
// configured VPC CIDR and service range; here it is the VPC's every CIDR, the live service
// range and the routes that leave the VPC.
func checkPoolAgainst(cfg stackconfig.Config, f *Facts, refuse func(key, value, rule, fix string)) {
	type used struct {
		prefix netip.Prefix
		what   string
	}
	var others []used
	add := func(cidr, what string) {
		if p, err := netip.ParsePrefix(cidr); err == nil && p.Addr().Is4() {
			others = append(others, used{p.Masked(), what})
		}
	}
	for _, c := range f.VpcCidrs {
		add(c, "a CIDR of VPC "+f.Cluster.VpcId)
	}
	add(f.Cluster.ServiceCidr, "the service range of cluster "+f.Cluster.Name)
	for _, r := range f.Routes {
		add(r.Cidr, "a route of "+r.Table+" to "+r.Target)
	}
	for i, entry := range cfg.Cilium.ClusterPoolIPv4PodCIDRList {
		p, err := netip.ParsePrefix(entry)
		if err != nil {
			continue // the planner refuses it
		}
		for _, o := range others {
			if p.Overlaps(o.prefix) {
				refuse(fmt.Sprintf("%s[%d]", keyPool, i), entry, "overlaps "+o.prefix.String()+", "+o.what+
					": Cilium's pool must be distinct from every CIDR in use, or traffic to it goes the wrong way", "choose a range nothing in or around the VPC uses")
			}
		}
	}
}

// checkLegacySecurityGroups refuses a legacy node whose security groups are neither the
// cluster security group nor listed: the tunnel and health ports would stay closed between it
// and the new nodes.
func checkLegacySecurityGroups(cfg stackconfig.Config, f *Facts, refuse func(key, value, rule, fix string)) {
	listed := map[string]bool{f.Cluster.SecurityGroupId: true}
	for _, id := range cfg.Migration.LegacySecurityGroupIds {
		listed[id] = true
	}
	var missing []string
	for _, g := range f.LegacyGroups {
		for _, sg := range g.SecurityGroupIds {
			if !listed[sg] {
				missing = append(missing, sg+" ("+g.Name+")")
				listed[sg] = true
			}
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		refuse(keyLegacySecurityGs, strings.Join(cfg.Migration.LegacySecurityGroupIds, ", "),
			"does not list "+strings.Join(missing, ", ")+": the legacy nodes' launch templates put them in these groups, and the tunnel and health ports must be open between them and the new nodes",
			"add them to the list")
	}
}

// DeployTimeChecks are what the program reads from the cluster and checks on every preview
// and update of an adopted cluster, in the phase the configuration deploys: the render shows
// them because it cannot read a cluster.
func DeployTimeChecks(cfg stackconfig.Config) []string {
	phase := Phase(cfg)
	out := []string{
		"EKS DescribeCluster: vpc.id, cluster.serviceCidr and cluster.version are the cluster's own",
	}
	if phase == stackconfig.PhaseInstall {
		out = append(out,
			"refused: EKS Auto Mode, an IPv6 cluster, Fargate profiles, Cilium chained to another CNI or a Cilium this stack did not install",
			"refused: a pool entry overlapping any CIDR of the VPC (secondary ones included), the live service range or a route leaving the VPC (peering, transit gateway, VPN)",
			"refused: a pool too small for the cluster's current nodes plus the new node groups",
			"refused: a legacy node group's launch-template security group missing from migration.legacySecurityGroupIds",
		)
	}
	if AwsNodeKept(phase) {
		out = append(out,
			"refused: migration.awsNode not matching the cluster (a vpc-cni add-on or a self-managed aws-node DaemonSet), a legacy node group EKS does not know",
		)
		if cfg.Migration.AwsNode == stackconfig.AwsNodeAddon {
			out = append(out, "the vpc-cni add-on's current configurationValues are merged under the migration's (shown here alone)")
		} else {
			out = append(out, "aws-node's current AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS and AWS_EXTERNAL_SERVICE_CIDRS are kept beside the pool (shown here alone)")
		}
	}
	if phase == stackconfig.PhaseFinalize || phase == stackconfig.PhaseRemoveAwsNode {
		out = append(out, "refused: any legacy node group with nodes or desiredSize > 0, aws-node scheduled on any node (DaemonSet status)")
	}
	if BeforeFinalize(phase) || phase == stackconfig.PhaseFinalize {
		out = append(out, "warned: NetworkPolicies, SecurityGroupPolicies or ENABLE_POD_ENI, load balancers with IP targets, webhooks and APIServices served off the host network")
	}
	return out
}
