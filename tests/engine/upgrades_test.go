package engine

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/eks-cilium/eks-cilium/program"
	"github.com/eks-cilium/eks-cilium/tests/enginetest"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// isReleaseNamed matches the Helm release whose release name (not chart) is name.
func isReleaseNamed(name string) func(enginetest.Call) bool {
	return func(c enginetest.Call) bool {
		v, ok := c.Inputs["name"]
		return c.Token == "kubernetes:helm.sh/v3:Release" && ok && v.IsString() && v.StringValue() == name
	}
}

// cluster returns the eks-cilium:cluster object of a config map for editing.
func clusterConfig(config map[string]any) map[string]any {
	return config["eks-cilium:cluster"].(map[string]any)
}

// output is one stack output, unwrapped.
func output(s *enginetest.Stack, key string) any {
	s.T.Helper()
	return s.Outputs()[key].Value
}

// nodeGroupOutput is field of the first element of the nodeGroups output.
func nodeGroupOutput(s *enginetest.Stack, field string) any {
	s.T.Helper()
	groups, _ := output(s, "nodeGroups").([]any)
	if len(groups) == 0 {
		s.T.Fatalf("no nodeGroups output: %v", s.Outputs())
	}
	return groups[0].(map[string]any)[field]
}

// refusedBeforeRegistering checks that a preview failed naming key with the deployed value,
// having registered nothing.
func refusedBeforeRegistering(t *testing.T, op enginetest.Operation, key, words string) {
	t.Helper()
	if op.Err == nil {
		t.Fatalf("preview succeeded, want %s refused:\n%s", key, op.Output)
	}
	for _, want := range []string{key, "deployed:", words} {
		if !strings.Contains(op.Output, want) {
			t.Errorf("the refusal lacks %q:\n%s", want, op.Output)
		}
	}
	for _, c := range op.Calls {
		if c.Method == "Check" || c.Method == "Create" || c.Method == "Update" || c.Method == "Construct" {
			t.Errorf("the program registered a resource before refusing: %s", c)
		}
	}
}

// TestEngine_UpgradesOneStepAtATime is one dev stack through a year of upgrades, every step
// through the real engine and the StackReference to its own outputs: created at Kubernetes
// 1.34; a control-plane update that fails rolls nothing; the update to 1.35 goes control
// plane, then addons, then node groups; skips and unrequested rollbacks are refused; Cilium
// 1.19 to 1.20 runs the pre-flight release first, and the next update removes it.
func TestEngine_UpgradesOneStepAtATime(t *testing.T) {
	s := enginetest.NewStack(t, "dev", "stacks/Pulumi.dev.yaml", program.Run)
	s.EditConfig(func(c map[string]any) { clusterConfig(c)["version"] = "1.34" })
	start := time.Now()
	s.MustSucceed("up at 1.34", s.Up())
	t.Logf("create at 1.34: %s", time.Since(start).Round(time.Millisecond))
	if got := output(s, "kubernetesVersion"); got != "1.34" {
		t.Fatalf("output kubernetesVersion = %v, want 1.34", got)
	}
	if got := nodeGroupOutput(s, "kubernetesVersion"); got != "1.34" {
		t.Errorf("nodeGroups[0].kubernetesVersion = %v, want 1.34", got)
	}
	if got := output(s, "ciliumInitialVersion"); got != "1.19.6" {
		t.Errorf("ciliumInitialVersion = %v, want the first Cilium installed, 1.19.6", got)
	}

	t.Run("a failed control-plane update rolls no node", func(t *testing.T) {
		s.Fakes.AWS.FailUpdate("aws:eks/cluster:Cluster", "ResourceInUseException: the cluster update failed its health checks and was reverted (fake)", 0)
		defer s.Fakes.AWS.FailUpdate("aws:eks/cluster:Cluster", "", 0)
		s.EditConfig(func(c map[string]any) { clusterConfig(c)["version"] = "1.35" })
		op := s.Up()
		if op.Err == nil {
			t.Fatalf("the up succeeded although the control-plane update failed:\n%s", op.Output)
		}
		for _, c := range enginetest.Applied(op.Calls) {
			switch c.Token {
			case "aws:eks/nodeGroup:NodeGroup", "aws:ec2/launchTemplate:LaunchTemplate", "aws:eks/addon:Addon":
				t.Errorf("%s although the control plane did not move", c)
			}
		}
		if got := output(s, "kubernetesVersion"); got != "1.34" {
			t.Errorf("after the failed update kubernetesVersion = %v, want the deployed 1.34", got)
		}
	})

	t.Run("1.34 to 1.35: control plane, then addons, then node groups", func(t *testing.T) {
		start := time.Now()
		op := s.MustSucceed("up to 1.35", s.Up())
		t.Logf("update to 1.35: %s", time.Since(start).Round(time.Millisecond))
		assertSequence(t, "Update", op.Calls, []stage{
			{"the control plane", ofType("aws:eks/cluster:Cluster")},
			{"the CoreDNS and Pod Identity addons", ofType("aws:eks/addon:Addon")},
			{"the node groups' launch templates and node groups", func(c enginetest.Call) bool {
				return c.Token == "aws:ec2/launchTemplate:LaunchTemplate" || c.Token == "aws:eks/nodeGroup:NodeGroup"
			}},
		})
		for _, c := range enginetest.Applied(op.Calls) {
			if c.Token == "aws:ec2/launchTemplate:LaunchTemplate" {
				if v := c.Inputs["imageId"]; !v.IsString() || v.StringValue() == "" {
					t.Errorf("launch template update without an image: %v", v)
				}
			}
			if c.Method != "Update" {
				t.Errorf("an upgrade only updates: %s", c)
			}
		}
		if got := output(s, "kubernetesVersion"); got != "1.35" {
			t.Errorf("kubernetesVersion = %v, want 1.35", got)
		}
		if got := nodeGroupOutput(s, "kubernetesVersion"); got != "1.35" {
			t.Errorf("nodeGroups[0].kubernetesVersion = %v, want 1.35", got)
		}
	})

	original, err := os.ReadFile(s.File)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, version string
		allow         bool
		words         string
	}{
		{"a rollback without allowVersionRollback", "1.34", false, "eks-cilium:cluster.allowVersionRollback: true"},
		{"a rollback that skips a minor", "1.33", true, "previous minor only"},
	} {
		t.Run(tc.name+" is refused through the StackReference", func(t *testing.T) {
			defer func() {
				if err := os.WriteFile(s.File, original, 0o644); err != nil {
					t.Fatal(err)
				}
			}()
			s.EditConfig(func(c map[string]any) {
				clusterConfig(c)["version"] = tc.version
				clusterConfig(c)["allowVersionRollback"] = tc.allow
			})
			refusedBeforeRegistering(t, s.Preview(), "eks-cilium:cluster.version", tc.words)
		})
	}

	t.Run("Cilium 1.19 to 1.20: the pre-flight release is ready before the main release changes", func(t *testing.T) {
		s.EditConfig(func(c map[string]any) { enginetest.CiliumConfig(c)["version"] = "1.20.0" })
		start := time.Now()
		op := s.MustSucceed("up to Cilium 1.20.0", s.Up())
		t.Logf("Cilium minor update: %s", time.Since(start).Round(time.Millisecond))
		var preflight, main []enginetest.Call
		for _, c := range enginetest.Applied(op.Calls) {
			switch {
			case isReleaseNamed("cilium-preflight")(c):
				preflight = append(preflight, c)
			case isReleaseNamed("cilium")(c):
				main = append(main, c)
			}
		}
		if len(preflight) != 1 || preflight[0].Method != "Create" || len(main) != 1 || main[0].Method != "Update" {
			t.Fatalf("want one Create of the pre-flight release and one Update of the main release, got %v and %v", preflight, main)
		}
		if preflight[0].Done > main[0].Seq {
			t.Errorf("the main release's update (%s) began before the pre-flight release was ready (%s)", main[0], preflight[0])
		}
		in := preflight[0].Inputs
		values := in["values"].ObjectValue()
		for path, want := range map[string]string{"preflight.enabled": "true", "agent": "false", "operator.enabled": "false"} {
			if v, ok := enginetest.ValueAt(values, path); !ok || fmt.Sprint(v.V) != want {
				t.Errorf("pre-flight value %s = %v, want %s", path, v, want)
			}
		}
		if v := in["skipAwait"]; v.IsBool() && v.BoolValue() {
			t.Error("the pre-flight release must wait for its pods (skipAwait false)")
		}
		if v := in["version"]; !v.IsString() || v.StringValue() != "1.20.0" {
			t.Errorf("pre-flight chart version %v, want the target 1.20.0", v)
		}
		if v, _ := enginetest.ValueAt(main[0].Inputs["values"].ObjectValue(), "upgradeCompatibility"); !v.IsString() || v.StringValue() != "1.19" {
			t.Errorf("main release upgradeCompatibility = %v, want the first Cilium's minor 1.19", v)
		}
		for key, want := range map[string]any{"ciliumVersion": "1.20.0", "ciliumInitialVersion": "1.19.6", "ciliumPreflight": "1.20.0"} {
			if got := output(s, key); got != want {
				t.Errorf("output %s = %v, want %v", key, got, want)
			}
		}
	})

	t.Run("the next update removes the pre-flight release and nothing else", func(t *testing.T) {
		op := s.MustSucceed("up with unchanged versions", s.Up())
		got := enginetest.Applied(op.Calls)
		if len(got) != 1 || got[0].Method != "Delete" || resource.URN(got[0].URN).Name() != "eks-cilium-dev-preflight" {
			t.Errorf("want exactly the pre-flight release deleted, got:\n%s", enginetest.Describe(got))
		}
		if v, ok := s.Outputs()["ciliumPreflight"]; ok {
			t.Errorf("ciliumPreflight is still exported: %v", v)
		}
	})
}
