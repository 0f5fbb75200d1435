package guard

import (
	"strings"
	"testing"

	"github.com/eks-cilium/eks-cilium/stackconfig/stackconfigtest"
)

func deployedPhase(existing *bool, phase string) *Deployed {
	return &Deployed{Existing: existing, MigrationPhase: phase}
}

func TestCheckMigration_AdvancesOnePhasePerUpdate(t *testing.T) {
	yes, no := true, false
	tests := []struct {
		name     string
		prev     *Deployed
		existing bool
		phase    string // "" removes eks-cilium:migration
		key      string // "" accepts
		rule     string
	}{
		{"first update installs", nil, true, "install", "", ""},
		{"first update skips install", nil, true, "finalize", "eks-cilium:migration.phase", "skips install"},
		{"first update without the migration", nil, true, "", "eks-cilium:migration", "skips install"},
		{"install again", deployedPhase(&yes, "install"), true, "install", "", ""},
		{"install to finalize", deployedPhase(&yes, "install"), true, "finalize", "", ""},
		{"install skips finalize", deployedPhase(&yes, "install"), true, "remove-aws-node", "eks-cilium:migration.phase", "skips finalize"},
		{"install drops the migration", deployedPhase(&yes, "install"), true, "", "eks-cilium:migration", "skips finalize"},
		{"finalize again", deployedPhase(&yes, "finalize"), true, "finalize", "", ""},
		{"finalize back to install", deployedPhase(&yes, "finalize"), true, "install", "eks-cilium:migration.phase", "goes back after finalize"},
		{"finalize to remove-aws-node", deployedPhase(&yes, "finalize"), true, "remove-aws-node", "", ""},
		{"remove-aws-node back to finalize", deployedPhase(&yes, "remove-aws-node"), true, "finalize", "eks-cilium:migration.phase", "goes back after remove-aws-node"},
		{"remove-aws-node completes", deployedPhase(&yes, "remove-aws-node"), true, "", "", ""},
		{"complete stays complete", deployedPhase(&yes, "complete"), true, "", "", ""},
		{"complete back to install", deployedPhase(&yes, "complete"), true, "install", "eks-cilium:migration.phase", "goes back after complete"},
		{"a created cluster adopts one", deployedPhase(&no, ""), true, "install", "eks-cilium:cluster.existing", "cannot adopt one"},
		{"a stack from before the outputs adopts one", deployedPhase(nil, ""), true, "install", "eks-cilium:cluster.existing", "cannot adopt one"},
		{"an adopted cluster is created instead", deployedPhase(&yes, "install"), false, "", "eks-cilium:cluster.existing", "cannot create one in its place"},
		{"a created cluster stays created", deployedPhase(nil, ""), false, "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := stackconfigtest.Adopted()
			cfg.Cluster.Existing = tt.existing
			if tt.phase == "" {
				cfg.Migration = nil
			} else {
				cfg.Migration.Phase = tt.phase
			}
			probs := CheckMigration(tt.prev, cfg)
			if tt.key == "" {
				if len(probs) != 0 {
					t.Errorf("refused: %v", probs)
				}
				return
			}
			if len(probs) != 1 || probs[0].Key != tt.key || !strings.Contains(probs[0].Rule, tt.rule) {
				t.Fatalf("got %v, want one refusal of %s (%q)", probs, tt.key, tt.rule)
			}
			if !strings.Contains(probs[0].Value, "deployed: ") && !strings.Contains(probs[0].Value, "nothing deployed yet") {
				t.Errorf("the refusal does not show the deployed phase: %v", probs[0])
			}
		})
	}
}

func TestFromOutputs_ReadsTheMigrationOutputs(t *testing.T) {
	base := map[string]any{"clusterName": "legacy", "vpcCidr": "10.0.0.0/16", "serviceCidr": "172.20.0.0/16", "podCidrs": []any{"100.64.0.0/16"},
		"podCidrMaskSize": 24.0, "ipamMode": "cluster-pool", "routingMode": "tunnel"}
	with := func(k string, v any) map[string]any {
		out := map[string]any{k: v}
		for key, val := range base {
			out[key] = val
		}
		return out
	}
	d, err := FromOutputs(with("migrationPhase", "finalize"))
	if err != nil || d.MigrationPhase != "finalize" || d.Existing != nil {
		t.Errorf("migrationPhase finalize: %+v, %v", d, err)
	}
	d, err = FromOutputs(with("clusterExisting", true))
	if err != nil || d.Existing == nil || !*d.Existing {
		t.Errorf("clusterExisting true: %+v, %v", d, err)
	}
	if d, err = FromOutputs(with("migrationPhase", "")); err != nil || d.MigrationPhase != "" {
		t.Errorf("a created cluster's empty phase: %+v, %v", d, err)
	}
	for _, bad := range []map[string]any{with("migrationPhase", "finalise"), with("migrationPhase", 2.0), with("clusterExisting", "yes")} {
		if _, err := FromOutputs(bad); err == nil {
			t.Errorf("FromOutputs accepted %v", bad)
		}
	}
}
