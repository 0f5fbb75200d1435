package rules

import (
	"testing"

	"github.com/eks-cilium/eks-cilium/stackconfig"
	"github.com/eks-cilium/eks-cilium/stackconfig/stackconfigtest"
)

func TestCheckMigration_AcceptsAnAdoptedClusterInEveryPhase(t *testing.T) {
	for _, phase := range []string{"install", "finalize", "remove-aws-node"} {
		cfg := stackconfigtest.Adopted()
		cfg.Migration.Phase = phase
		if w, r := Check(cfg, today); len(w) != 0 || len(r) != 0 {
			t.Errorf("%s: warnings %v, refusals %v", phase, w, r)
		}
	}
	complete := stackconfigtest.Adopted()
	complete.Migration = nil
	if _, r := Check(complete, today); len(r) != 0 {
		t.Errorf("an adopted cluster after its migration: %v", r)
	}
}

func TestCheckMigration_RefusesWhatAnAdoptedClusterCannotTake(t *testing.T) {
	adopted := func(f func(c *stackconfig.Config)) func(*stackconfig.Config) {
		return func(c *stackconfig.Config) {
			*c = stackconfigtest.Adopted()
			f(c)
		}
	}
	migration := func(f func(m *stackconfig.MigrationConfig)) func(*stackconfig.Config) {
		return adopted(func(c *stackconfig.Config) { f(c.Migration) })
	}
	checkRefusals(t, []refusal{
		{name: "migration of a created cluster", mutate: func(c *stackconfig.Config) {
			c.Migration = stackconfigtest.Adopted().Migration
		}, key: "eks-cilium:migration", rule: "this stack creates its own cluster", fix: "cluster.existing: true"},
		{name: "adopted without a name", mutate: adopted(func(c *stackconfig.Config) { c.Cluster.Name = "" }),
			key: "eks-cilium:cluster.name", rule: "must name the cluster to adopt"},
		{name: "adopted without its VPC", mutate: adopted(func(c *stackconfig.Config) {
			c.Vpc.Id, c.Vpc.PrivateSubnetIds, c.Vpc.PublicSubnetIds = "", nil, nil
		}), key: "eks-cilium:vpc.id", rule: "the VPC is looked up, not created"},
		{name: "kube-proxy replacement", mutate: adopted(func(c *stackconfig.Config) { c.Cluster.KubeProxyReplacement = true }),
			key: "eks-cilium:cluster.kubeProxyReplacement", rule: "cilium/cilium#21579", fix: "false"},
		{name: "a KMS key of a created cluster", mutate: adopted(func(c *stackconfig.Config) {
			c.Cluster.KmsKeyArn = "arn:aws:kms:eu-west-1:111122223333:key/0a1b2c3d-0000-0000-0000-000000000000"
		}), key: "eks-cilium:cluster.kmsKeyArn", rule: "an adopted cluster keeps its own"},
		{name: "protect", mutate: adopted(func(c *stackconfig.Config) { c.Cluster.Protect = true }),
			key: "eks-cilium:cluster.protect", rule: "an adopted cluster keeps its own"},
		{name: "the migration label set by hand", mutate: adopted(func(c *stackconfig.Config) {
			c.NodeGroups[0].Labels = map[string]string{"io.cilium.migration/cilium-default": "true"}
		}), key: `eks-cilium:nodeGroups[0].labels["io.cilium.migration/cilium-default"]`, rule: "the stack sets itself"},
		{name: "a migration value in cilium.values", mutate: adopted(func(c *stackconfig.Config) {
			c.Cilium.Values = map[string]any{"cni": map[string]any{"customConf": false}}
		}), key: "eks-cilium:cilium.values.cni.customConf", rule: "set by the migration's phase"},
		{name: "an unknown phase", mutate: migration(func(m *stackconfig.MigrationConfig) { m.Phase = "finalise" }),
			key: "eks-cilium:migration.phase", rule: `must be one of "install", "finalize", "remove-aws-node"`, fix: `did you mean "finalize"?`},
		{name: "an unknown aws-node mode", mutate: migration(func(m *stackconfig.MigrationConfig) { m.AwsNode = "daemonset" }),
			key: "eks-cilium:migration.awsNode", rule: `must be one of "addon", "selfManaged"`},
		{name: "an empty legacy group", mutate: migration(func(m *stackconfig.MigrationConfig) { m.LegacyNodeGroups = []string{""} }),
			key: "eks-cilium:migration.legacyNodeGroups[0]", rule: "must name a managed node group"},
		{name: "a legacy group twice", mutate: migration(func(m *stackconfig.MigrationConfig) { m.LegacyNodeGroups = []string{"a", "a"} }),
			key: "eks-cilium:migration.legacyNodeGroups[1]", rule: "repeats eks-cilium:migration.legacyNodeGroups[0]"},
		{name: "a security group name for an id", mutate: migration(func(m *stackconfig.MigrationConfig) { m.LegacySecurityGroupIds = []string{"workers"} }),
			key: "eks-cilium:migration.legacySecurityGroupIds[0]", rule: "must be a security group id"},
		{name: "add-ons before finalize", mutate: adopted(func(c *stackconfig.Config) {
			c.Addons = &stackconfig.AddonsConfig{MetricsServer: &stackconfig.MetricsServerConfig{Version: "3.13.1", Replicas: 1}}
		}), key: "eks-cilium:addons", rule: "before finalize"},
		{name: "Karpenter while aws-node exists", mutate: adopted(func(c *stackconfig.Config) {
			c.Migration.Phase = "finalize"
			p := stackconfig.Default[stackconfig.NodePoolConfig]()
			p.Name, p.AmiVersion, p.Limits.Cpu = "default", "v20260512", 16
			c.Karpenter = &stackconfig.KarpenterConfig{Version: "1.14.1", NodePools: []stackconfig.NodePoolConfig{p}}
		}), key: "eks-cilium:karpenter", rule: "while aws-node exists", fix: "once remove-aws-node is deployed"},
	})
}

func TestCheckMigration_LeavesACreatedClusterAlone(t *testing.T) {
	cfg := validConfig()
	cfg.Cluster.KmsKeyArn = "arn:aws:kms:eu-west-1:111122223333:key/0a1b2c3d-0000-0000-0000-000000000000"
	cfg.NodeGroups[0].Labels = map[string]string{"io.cilium.migration/cilium-default": "true"}
	if w, r := CheckMigration(cfg); len(w) != 0 || len(r) != 0 {
		t.Errorf("a created cluster: warnings %v, refusals %v", w, r)
	}
}
