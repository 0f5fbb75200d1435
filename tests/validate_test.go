package tests

import (
	"errors"
	"strings"
	"testing"

	"github.com/eks-cilium/eks-cilium/plan"
	"github.com/eks-cilium/eks-cilium/stackconfig"
	"github.com/eks-cilium/eks-cilium/stackconfig/stackconfigtest"
)

// validConfig is the valid stack every test mutates (stackconfigtest.Valid).
func validConfig() stackconfig.Config { return stackconfigtest.Valid() }

func validateProblems(t *testing.T, cfg stackconfig.Config) stackconfig.Problems {
	t.Helper()
	_, err := plan.New(plan.Inputs{Config: cfg})
	var ps stackconfig.Problems
	if !errors.As(err, &ps) {
		t.Fatalf("plan.New returned %v, want stackconfig.Problems", err)
	}
	return ps
}

func keys(ps stackconfig.Problems) string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Key)
	}
	return strings.Join(out, " ")
}

// The planner's, the rules' and the Cilium values' problems come back together, sorted.
func TestValidate_ReportsEveryProblemAtOnce(t *testing.T) {
	cfg := validConfig()
	cfg.Vpc.Cidr = "192.168.0.0/8"
	cfg.NodeGroups[0].InstanceTypes = []string{"m5.lrage"}
	ps := validateProblems(t, cfg)
	if got, want := keys(ps), "eks-cilium:nodeGroups[0].instanceTypes[0] eks-cilium:vpc.cidr"; got != want {
		t.Errorf("keys %q, want %q:\n%v", got, want, ps)
	}
	cfg.Cilium.Values = map[string]any{"routingMode": "native"}
	cfg.Cluster.Version = "1.3"
	ps = validateProblems(t, cfg)
	want := "eks-cilium:cilium.values.routingMode eks-cilium:cluster.version eks-cilium:nodeGroups[0].instanceTypes[0] eks-cilium:vpc.cidr"
	if got := keys(ps); got != want {
		t.Errorf("keys %q, want %q:\n%v", got, want, ps)
	}
}

func TestValidate_ProblemsAreSortedByKeyWithNumericIndices(t *testing.T) {
	cfg := validConfig()
	for i := 1; i <= 11; i++ {
		ng := cfg.NodeGroups[0]
		ng.Name = "g" + strings.Repeat("x", i)
		cfg.NodeGroups = append(cfg.NodeGroups, ng)
	}
	cfg.NodeGroups[2].DiskSize = 1
	cfg.NodeGroups[10].DiskSize = 1
	cfg.NodeGroups[3].MaxUnavailable = 0
	cfg.Cluster.Version = "latest"
	want := "eks-cilium:cluster.version eks-cilium:nodeGroups[2].diskSize eks-cilium:nodeGroups[3].maxUnavailable eks-cilium:nodeGroups[10].diskSize"
	if got := keys(validateProblems(t, cfg)); got != want {
		t.Errorf("keys %q, want %q", got, want)
	}
}

// Warnings of the planner and of the rules join the plan's, sorted (the date is the package's
// snapshotDate, on which 1.33 is in extended support).
func TestValidate_WarningsOfBothJoinThePlan(t *testing.T) {
	cfg := validConfig()
	cfg.Cluster.Version = "1.33"
	cfg.NodeGroups[0].MaxPods = 200
	p, err := plan.New(plan.Inputs{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := keys(p.IP.Warnings), "eks-cilium:cluster.version eks-cilium:nodeGroups[0].maxPods"; got != want {
		t.Errorf("warnings %q, want %q:\n%v", got, want, p.IP.Warnings)
	}
}
