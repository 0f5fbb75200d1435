// Package migration is the plan of moving an EKS cluster this stack adopted
// (eks-cilium:cluster.existing) from the AWS VPC CNI (aws-node) to Cilium, one phase per
// update: the phases and their order, the objects each phase adds to the cluster, the facts
// only the live cluster knows and the refusals and warnings drawn from them. It is pure Go (no
// Pulumi, no component, no I/O): the program reads the facts live (package live and the
// cluster lookup), the offline render lists them as deploy-time checks instead.
//
// The procedure is Cilium's per-node migration (cilium/cilium v1.19.6,
// Documentation/installation/k8s-install-migration.rst), made EKS-specific: aws-node is kept
// off the new nodes and told not to masquerade traffic to Cilium's pool, the new nodes come
// from new managed node groups that carry the migration label from their first boot (instead
// of relabelling and rebooting legacy nodes in place), and aws-node is removed through its
// EKS add-on with preserve: false.
package migration

import (
	"slices"

	"github.com/eks-cilium/eks-cilium/stackconfig"
)

// NodeLabelKey and NodeLabelValue are the label the CiliumNodeConfig selects: nodes carrying
// it get Cilium as their CNI (k8s-install-migration.rst v1.19.6 L228-230, step 6).
const (
	NodeLabelKey   = "io.cilium.migration/cilium-default"
	NodeLabelValue = "true"
)

// NodeConfigName and Namespace name the CiliumNodeConfig (k8s-install-migration.rst v1.19.6
// L222-226: cilium.io/v2, kube-system/cilium-default). cilium.io/v2 is the served and stored
// version in v1.19.6; v2alpha1 is deprecated (pkg/k8s/apis/cilium.io/client/crds/v2/
// ciliumnodeconfigs.yaml L19, L115-120).
const (
	NodeConfigAPIVersion = "cilium.io/v2"
	NodeConfigKind       = "CiliumNodeConfig"
	NodeConfigName       = "cilium-default"
	Namespace            = "kube-system"
)

// NodeConfigDefaults are the agent settings the CiliumNodeConfig gives labelled nodes: write
// Cilium's CNI configuration once the agent is ready, take /etc/cni/net.d over, no chaining
// (k8s-install-migration.rst v1.19.6 L231-235). In the chart these are what cni.customConf:
// false writes into cilium-config (templates/cilium-configmap.yaml L976-980, chart 1.19.6).
var NodeConfigDefaults = map[string]string{
	"write-cni-conf-when-ready": "/host/etc/cni/net.d/05-cilium.conflist",
	"custom-cni-conf":           "false",
	"cni-chaining-mode":         "none",
	"cni-exclusive":             "true",
}

// The aws-node objects the migration adopts, changes and finally deletes.
const (
	// AddonName is the EKS add-on of the AWS VPC CNI.
	AddonName = "vpc-cni"
	// AwsNodeDaemonSet is the DaemonSet both the add-on and EKS's self-managed bootstrap
	// install in kube-system (amazon-vpc-cni-k8s charts/aws-vpc-cni values.yaml nameOverride).
	AwsNodeDaemonSet = "aws-node"
	// AwsNodeContainer is its main container, whose env the migration extends.
	AwsNodeContainer = "aws-node"
)

// StateConfigMap is the ConfigMap kube-system/eks-cilium-migration the stack keeps in the
// cluster: the phase and the legacy node groups as deployed, for operators (kubectl) and for
// the policy pack, which sees it beside the Cilium release and the vpc-cni add-on.
const StateConfigMap = "eks-cilium-migration"

// PhaseComplete is the migrationPhase output of an adopted cluster once eks-cilium:migration
// was removed after remove-aws-node: an ordinary eks-cilium stack that looks its cluster up.
const PhaseComplete = "complete"

// phases are the phases in order; an update may stay in its phase or take the next one.
var phases = []string{stackconfig.PhaseInstall, stackconfig.PhaseFinalize, stackconfig.PhaseRemoveAwsNode, PhaseComplete}

// Phases are the values of eks-cilium:migration.phase, in order.
func Phases() []string { return slices.Clone(phases[:3]) }

// Order is a phase's position (1 install ... 4 complete); 0 for anything else.
func Order(phase string) int { return slices.Index(phases, phase) + 1 }

// Phase is the phase a configuration deploys: its migration.phase, PhaseComplete for an
// adopted cluster without eks-cilium:migration, "" for a cluster the stack created.
func Phase(cfg stackconfig.Config) string {
	switch {
	case cfg.Migration != nil:
		return cfg.Migration.Phase
	case cfg.Cluster.Existing:
		return PhaseComplete
	}
	return ""
}

// BeforeFinalize reports whether a phase still has legacy nodes in service: Cilium in
// migration mode, the CiliumNodeConfig in place, aws-node fenced off the new nodes.
func BeforeFinalize(phase string) bool { return phase == stackconfig.PhaseInstall }

// AwsNodeKept reports whether a phase keeps aws-node (the add-on or the DaemonSet): every
// phase before remove-aws-node.
func AwsNodeKept(phase string) bool {
	return phase == stackconfig.PhaseInstall || phase == stackconfig.PhaseFinalize
}

// Changes is what the phase a configuration deploys changes in the cluster, in the words of
// docs/migration.md, for the render and the pull request that changes the phase.
func Changes(cfg stackconfig.Config) []string {
	m := cfg.Migration
	aws := "the vpc-cni add-on, imported with retain-on-delete"
	if m != nil && m.AwsNode == stackconfig.AwsNodeSelfManaged {
		aws = "the aws-node DaemonSet, patched in place"
	}
	switch Phase(cfg) {
	case stackconfig.PhaseInstall:
		return []string{
			"Cilium installed beside aws-node in migration mode: no CNI configuration written except on labelled nodes, no policy enforcement, host-stack routing, aws-node's iptables rules left alone, kube-proxy kept",
			"CiliumNodeConfig kube-system/" + NodeConfigName + ": Cilium is the CNI of nodes labelled " + NodeLabelKey + "=" + NodeLabelValue,
			"aws-node (" + aws + ") kept off labelled nodes and not masquerading traffic to the pod pool",
			"the node groups of eks-cilium:nodeGroups created with the label and the agent-not-ready taint",
			"the tunnel and health ports opened between the legacy security groups and the cluster security group",
			"legacy node groups untouched: drain them onto the new ones over as many updates as needed, then scale them to 0 (docs/migration.md)",
		}
	case stackconfig.PhaseFinalize:
		return []string{
			"refused unless no legacy node group has nodes and aws-node is scheduled nowhere",
			"Cilium's final values: its own CNI configuration on every node, policy enforcement back to default, unmanaged pods restarted, the agents rolled",
			"CiliumNodeConfig kube-system/" + NodeConfigName + " deleted",
			"aws-node armed for deletion in the next phase (" + aws + "; preserve: false, no retain-on-delete)",
		}
	case stackconfig.PhaseRemoveAwsNode:
		return []string{
			"refused unless aws-node is still scheduled nowhere",
			"aws-node deleted for good: " + aws,
			"the security group rules between legacy and new nodes deleted",
			"next: remove eks-cilium:migration; the stack is then an ordinary eks-cilium stack that looks its cluster up",
		}
	case PhaseComplete:
		return []string{"migration complete: Cilium is the only CNI; the cluster is looked up, everything else is an ordinary eks-cilium stack"}
	}
	return nil
}
