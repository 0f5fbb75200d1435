package tests

import (
	"bytes"
	"strings"
	"testing"

	"github.com/eks-cilium/eks-cilium/program"
	"github.com/eks-cilium/eks-cilium/render"
	"github.com/eks-cilium/eks-cilium/tests/fixtures/badprogram"
)

// TestPolicyOffline_ShippedStacksPass: the pack over every shipped stack, as `render -policy`.
func TestPolicyOffline_ShippedStacksPass(t *testing.T) {
	for _, path := range shippedStacks(t) {
		var out, errOut bytes.Buffer
		if code := render.Main([]string{"-config", path, "-policy"}, &out, &errOut, program.Run); code != 0 {
			t.Errorf("%s: exit %d:\n%s", path, code, errOut.String())
		}
	}
}

// TestPolicyOffline_BadProgramFailsWithExpectedViolations renders the deliberately wrong
// fixture program and expects every mandatory policy to name it, as the engine does in the
// program's first preview (tests/engine runs the same pack there): resource policies see the
// inputs, stack policies only what a first preview knows.
func TestPolicyOffline_BadProgramFailsWithExpectedViolations(t *testing.T) {
	var out, errOut bytes.Buffer
	code := render.Main([]string{"-config", "fixtures/Pulumi.badprogram.yaml", "-policy"}, &out, &errOut, badprogram.Run)
	if code != 1 {
		t.Fatalf("exit %d, want 1; stderr:\n%s", code, errOut.String())
	}
	want := map[string]string{
		"no-vpc-cni":           `aws:eks/addon:Addon::aws-node`,
		"cilium-startup-taint": `aws:eks/nodeGroup:NodeGroup::untainted`,
		// No subnet has an id in a first preview: the node group's subnetIds are traced to the
		// subnets they are computed from.
		"nodes-no-public-ip":      `subnetIds is computed from subnet bad-0-public`,
		"cilium-cluster-pool":     `values.ipam.mode is "eni"`,
		"pinned-chart-version":    `version is "~1.19"`,
		"pod-cidr-no-overlap":     `pod CIDR 192.168.0.0/16`,
		"no-cni-policy-on-nodes":  `AmazonEKS_CNI_Policy`,
		"karpenter-startup-taint": `kubernetes:karpenter.sh/v1:NodePool::untainted-pool`,
		"no-ip-targets":           `kubernetes:core/v1:Service::ip-targets`,
	}
	stderr := errOut.String()
	for policy, fragment := range want {
		found := false
		for _, line := range strings.Split(stderr, "\n") {
			if strings.Contains(line, "["+policy+"]") && strings.Contains(line, fragment) {
				found = true
			}
		}
		if !found {
			t.Errorf("no [%s] violation mentioning %q in:\n%s", policy, fragment, stderr)
		}
	}
	if !strings.Contains(stderr, "13 mandatory policy violation(s)") {
		t.Errorf("want exactly 13 mandatory violations:\n%s", stderr)
	}
}
