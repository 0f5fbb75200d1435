package stackconfig

// MigrationConfig is eks-cilium:migration: moving a cluster this stack adopted
// (cluster.existing) from the AWS VPC CNI (aws-node) to Cilium, one phase per update
// (docs/migration.md).
type MigrationConfig struct {
	// Phase is the migration's phase: install (Cilium beside aws-node, the new node groups
	// labelled for Cilium), finalize (Cilium's final values once no legacy node is left) or
	// remove-aws-node (aws-node deleted for good). It advances one phase per update and never
	// goes back after finalize.
	Phase string `json:"phase" required:"true"`
	// LegacyNodeGroups are the cluster's existing EKS managed node groups whose nodes run
	// aws-node, by their EKS names. They stay with their owner: this stack never changes them;
	// finalize waits until they have no nodes.
	LegacyNodeGroups []string `json:"legacyNodeGroups" required:"true"`
	// AwsNode is how the cluster runs aws-node: addon (the EKS vpc-cni add-on, adopted with
	// retain-on-delete until remove-aws-node) or selfManaged (the aws-node DaemonSet EKS
	// bootstraps, patched in place). No default: EKS installs either, depending on how the
	// cluster was created.
	AwsNode string `json:"awsNode" required:"true"`
	// LegacySecurityGroupIds are security groups of the legacy nodes other than the cluster
	// security group (from their launch templates); the tunnel and health ports are opened
	// between each of them and the cluster security group the new nodes use.
	LegacySecurityGroupIds []string `json:"legacySecurityGroupIds,omitempty" derived:"none: the legacy nodes use only the cluster security group, which allows all traffic between its members"`
}

// The phases of eks-cilium:migration.phase, in order.
const (
	PhaseInstall       = "install"
	PhaseFinalize      = "finalize"
	PhaseRemoveAwsNode = "remove-aws-node"
)

// The ways a cluster runs aws-node (eks-cilium:migration.awsNode).
const (
	AwsNodeAddon       = "addon"
	AwsNodeSelfManaged = "selfManaged"
)

// Migrating reports whether the stack is in a phase of the migration.
func (c Config) Migrating() bool { return c.Migration != nil }
