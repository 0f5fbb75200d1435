package guard

import (
	"fmt"

	"github.com/eks-cilium/eks-cilium/migration"
	"github.com/eks-cilium/eks-cilium/stackconfig"
)

// CheckMigration enforces the order of an adopted cluster's migration against the phase the
// previous deployment exported (its migrationPhase output): an update stays in the deployed
// phase or takes the next one; skipping a phase, and going back once finalize is deployed
// (Cilium then owns every node's CNI configuration, and aws-node is fenced off nowhere), are
// refused naming eks-cilium:migration.phase. A stack that created its cluster cannot start
// adopting one, nor the other way round. prev == nil is the first deployment: an adopted
// cluster starts at install.
func CheckMigration(prev *Deployed, cfg stackconfig.Config) stackconfig.Problems {
	want := migration.Phase(cfg)
	keyExisting := stackconfig.KeyClusterExisting
	// Stacks deployed before clusterExisting was exported all created their clusters.
	if was := prev != nil && prev.Existing != nil && *prev.Existing; prev != nil && was != cfg.Cluster.Existing {
		rule := "a stack that created its cluster cannot adopt one: the created cluster and everything in it would be deleted"
		if was {
			rule = "a stack that adopted its cluster cannot create one in its place: the stack would try to create a second cluster of the same name"
		}
		return stackconfig.Problems{{Key: keyExisting, Value: fmt.Sprintf("%v (deployed: %v)", cfg.Cluster.Existing, was), Rule: rule,
			Fix: "keep it as deployed; use a new stack for the other kind of cluster"}}
	}
	if want == "" {
		return nil
	}
	deployed := ""
	if prev != nil {
		deployed = prev.MigrationPhase
	}
	key := migration.KeyPhase
	if want == migration.PhaseComplete {
		key = stackconfig.KeyMigration
	}
	from, to := migration.Order(deployed), migration.Order(want)
	show := func(p string) string {
		if p == migration.PhaseComplete {
			return "(eks-cilium:migration removed)"
		}
		return p
	}
	value := fmt.Sprintf("%s (deployed: %s)", show(want), deployed)
	if deployed == "" {
		value = show(want) + " (nothing deployed yet)"
	}
	next := migration.Phases()
	nextOf := func(order int) string {
		if order < len(next) {
			return next[order]
		}
		return migration.PhaseComplete
	}
	switch {
	case to == from || to == from+1:
		return nil
	case to > from+1:
		return stackconfig.Problems{{Key: key, Value: value,
			Rule: "skips " + show(nextOf(from)) + ": the migration advances one phase per update, each one checked against the cluster before the next",
			Fix:  "deploy " + show(nextOf(from)) + " first"}}
	default:
		return stackconfig.Problems{{Key: key, Value: value,
			Rule: "goes back after " + deployed + ": once finalize is deployed Cilium writes every node's CNI configuration and enforces policy, and aws-node is no longer kept off any node; there is no way back to aws-node (docs/migration.md, \"Rolling back\")",
			Fix:  "keep " + show(deployed) + ", or advance to " + show(nextOf(from))}}
	}
}
