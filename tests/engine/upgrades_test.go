package engine

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/eks-cilium/eks-cilium/program"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// isReleaseNamed matches the Helm release whose release name (not chart) is name.
func isReleaseNamed(name string) func(call) bool {
	return func(c call) bool {
		v, ok := c.inputs["name"]
		return c.token == "kubernetes:helm.sh/v3:Release" && ok && v.IsString() && v.StringValue() == name
	}
}

// cluster returns the eks-cilium:cluster object of a config map for editing.
func clusterConfig(config map[string]any) map[string]any {
	return config["eks-cilium:cluster"].(map[string]any)
}

// output is one stack output, unwrapped.
func (s *engineStack) output(key string) any {
	s.t.Helper()
	return s.outputs()[key].Value
}

// nodeGroupOutput is field of the first element of the nodeGroups output.
func (s *engineStack) nodeGroupOutput(field string) any {
	s.t.Helper()
	groups, _ := s.output("nodeGroups").([]any)
	if len(groups) == 0 {
		s.t.Fatalf("no nodeGroups output: %v", s.outputs())
	}
	return groups[0].(map[string]any)[field]
}

// refusedBeforeRegistering checks that a preview failed naming key with the deployed value,
// having registered nothing.
func refusedBeforeRegistering(t *testing.T, op operation, key, words string) {
	t.Helper()
	if op.err == nil {
		t.Fatalf("preview succeeded, want %s refused:\n%s", key, op.output)
	}
	for _, want := range []string{key, "deployed:", words} {
		if !strings.Contains(op.output, want) {
			t.Errorf("the refusal lacks %q:\n%s", want, op.output)
		}
	}
	for _, c := range op.calls {
		if c.method == "Check" || c.method == "Create" || c.method == "Update" || c.method == "Construct" {
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
	s := newEngineStack(t, "dev", "stacks/Pulumi.dev.yaml", program.Run)
	s.editConfig(func(c map[string]any) { clusterConfig(c)["version"] = "1.34" })
	start := time.Now()
	s.mustSucceed("up at 1.34", s.up())
	t.Logf("create at 1.34: %s", time.Since(start).Round(time.Millisecond))
	if got := s.output("kubernetesVersion"); got != "1.34" {
		t.Fatalf("output kubernetesVersion = %v, want 1.34", got)
	}
	if got := s.nodeGroupOutput("kubernetesVersion"); got != "1.34" {
		t.Errorf("nodeGroups[0].kubernetesVersion = %v, want 1.34", got)
	}
	if got := s.output("ciliumInitialVersion"); got != "1.19.6" {
		t.Errorf("ciliumInitialVersion = %v, want the first Cilium installed, 1.19.6", got)
	}

	t.Run("a failed control-plane update rolls no node", func(t *testing.T) {
		s.fakes.aws.failUpdate("aws:eks/cluster:Cluster", "ResourceInUseException: the cluster update failed its health checks and was reverted (fake)", 0)
		defer s.fakes.aws.failUpdate("aws:eks/cluster:Cluster", "", 0)
		s.editConfig(func(c map[string]any) { clusterConfig(c)["version"] = "1.35" })
		op := s.up()
		if op.err == nil {
			t.Fatalf("the up succeeded although the control-plane update failed:\n%s", op.output)
		}
		for _, c := range applied(op.calls) {
			switch c.token {
			case "aws:eks/nodeGroup:NodeGroup", "aws:ec2/launchTemplate:LaunchTemplate", "aws:eks/addon:Addon":
				t.Errorf("%s although the control plane did not move", c)
			}
		}
		if got := s.output("kubernetesVersion"); got != "1.34" {
			t.Errorf("after the failed update kubernetesVersion = %v, want the deployed 1.34", got)
		}
	})

	t.Run("1.34 to 1.35: control plane, then addons, then node groups", func(t *testing.T) {
		start := time.Now()
		op := s.mustSucceed("up to 1.35", s.up())
		t.Logf("update to 1.35: %s", time.Since(start).Round(time.Millisecond))
		assertSequence(t, "Update", op.calls, []stage{
			{"the control plane", ofType("aws:eks/cluster:Cluster")},
			{"the CoreDNS and Pod Identity addons", ofType("aws:eks/addon:Addon")},
			{"the node groups' launch templates and node groups", func(c call) bool {
				return c.token == "aws:ec2/launchTemplate:LaunchTemplate" || c.token == "aws:eks/nodeGroup:NodeGroup"
			}},
		})
		for _, c := range applied(op.calls) {
			if c.token == "aws:ec2/launchTemplate:LaunchTemplate" {
				if v := c.inputs["imageId"]; !v.IsString() || v.StringValue() == "" {
					t.Errorf("launch template update without an image: %v", v)
				}
			}
			if c.method != "Update" {
				t.Errorf("an upgrade only updates: %s", c)
			}
		}
		if got := s.output("kubernetesVersion"); got != "1.35" {
			t.Errorf("kubernetesVersion = %v, want 1.35", got)
		}
		if got := s.nodeGroupOutput("kubernetesVersion"); got != "1.35" {
			t.Errorf("nodeGroups[0].kubernetesVersion = %v, want 1.35", got)
		}
	})

	original, err := os.ReadFile(s.file)
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
				if err := os.WriteFile(s.file, original, 0o644); err != nil {
					t.Fatal(err)
				}
			}()
			s.editConfig(func(c map[string]any) {
				clusterConfig(c)["version"] = tc.version
				clusterConfig(c)["allowVersionRollback"] = tc.allow
			})
			refusedBeforeRegistering(t, s.preview(), "eks-cilium:cluster.version", tc.words)
		})
	}

	t.Run("Cilium 1.19 to 1.20: the pre-flight release is ready before the main release changes", func(t *testing.T) {
		s.editConfig(func(c map[string]any) { cilium(c)["version"] = "1.20.0" })
		start := time.Now()
		op := s.mustSucceed("up to Cilium 1.20.0", s.up())
		t.Logf("Cilium minor update: %s", time.Since(start).Round(time.Millisecond))
		var preflight, main []call
		for _, c := range applied(op.calls) {
			switch {
			case isReleaseNamed("cilium-preflight")(c):
				preflight = append(preflight, c)
			case isReleaseNamed("cilium")(c):
				main = append(main, c)
			}
		}
		if len(preflight) != 1 || preflight[0].method != "Create" || len(main) != 1 || main[0].method != "Update" {
			t.Fatalf("want one Create of the pre-flight release and one Update of the main release, got %v and %v", preflight, main)
		}
		if preflight[0].done > main[0].seq {
			t.Errorf("the main release's update (%s) began before the pre-flight release was ready (%s)", main[0], preflight[0])
		}
		in := preflight[0].inputs
		values := in["values"].ObjectValue()
		for path, want := range map[string]string{"preflight.enabled": "true", "agent": "false", "operator.enabled": "false"} {
			if v, ok := valueAt(values, path); !ok || fmt.Sprint(v.V) != want {
				t.Errorf("pre-flight value %s = %v, want %s", path, v, want)
			}
		}
		if v := in["skipAwait"]; v.IsBool() && v.BoolValue() {
			t.Error("the pre-flight release must wait for its pods (skipAwait false)")
		}
		if v := in["version"]; !v.IsString() || v.StringValue() != "1.20.0" {
			t.Errorf("pre-flight chart version %v, want the target 1.20.0", v)
		}
		if v, _ := valueAt(main[0].inputs["values"].ObjectValue(), "upgradeCompatibility"); !v.IsString() || v.StringValue() != "1.19" {
			t.Errorf("main release upgradeCompatibility = %v, want the first Cilium's minor 1.19", v)
		}
		for key, want := range map[string]any{"ciliumVersion": "1.20.0", "ciliumInitialVersion": "1.19.6", "ciliumPreflight": "1.20.0"} {
			if got := s.output(key); got != want {
				t.Errorf("output %s = %v, want %v", key, got, want)
			}
		}
	})

	t.Run("the next update removes the pre-flight release and nothing else", func(t *testing.T) {
		op := s.mustSucceed("up with unchanged versions", s.up())
		got := applied(op.calls)
		if len(got) != 1 || got[0].method != "Delete" || resource.URN(got[0].urn).Name() != "eks-cilium-dev-preflight" {
			t.Errorf("want exactly the pre-flight release deleted, got:\n%s", describe(got))
		}
		if v, ok := s.outputs()["ciliumPreflight"]; ok {
			t.Errorf("ciliumPreflight is still exported: %v", v)
		}
	})
}
