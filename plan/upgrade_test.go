package plan

import (
	"strings"
	"testing"
	"time"

	"github.com/eks-cilium/eks-cilium/guard"
	"github.com/eks-cilium/eks-cilium/stackconfig"
	"github.com/eks-cilium/eks-cilium/stackconfig/stackconfigtest"
)

var today = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

// deployedAt is the base stack (stackconfigtest.Valid) as deployed at a Kubernetes minor with
// Cilium 1.19.6, first installed as 1.18.14; edit changes the outputs before they are read.
func deployedAt(t *testing.T, kube string, edit func(map[string]any)) *guard.Deployed {
	t.Helper()
	out := map[string]any{
		"clusterName": "eks-cilium-test", "vpcCidr": "192.168.0.0/16", "serviceCidr": "172.20.0.0/16",
		"ipamMode": "cluster-pool", "routingMode": "tunnel", "podCidrMaskSize": 24.0, "kubeProxyReplacement": true,
		"podCidrs":          []any{"10.200.0.0/16"},
		"kubernetesVersion": kube, "ciliumVersion": "1.19.6", "ciliumInitialVersion": "1.18.14",
		"nodeGroups":    []any{map[string]any{"name": "general", "kubernetesVersion": kube, "amiVersion": "v20260714", "maxPods": 110.0, "labels": map[string]any{}}},
		"addonVersions": map[string]any{"coredns": "v1.13.2-eksbuild.7"},
		"chartVersions": map[string]any{},
	}
	if edit != nil {
		edit(out)
	}
	d, err := guard.FromOutputs(out)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func planOf(t *testing.T, cfg stackconfig.Config, prev *guard.Deployed) *Plan {
	t.Helper()
	p, err := New(Inputs{Config: cfg, Previous: prev, Today: today})
	if err != nil {
		t.Fatalf("refused: %v", err)
	}
	return p
}

func steps(p *Plan) []string {
	var out []string
	for _, s := range p.Upgrade {
		out = append(out, s.Component+" "+s.Name+": "+s.From+" -> "+s.To)
	}
	return out
}

func TestVersions_NewStack(t *testing.T) {
	p := planOf(t, stackconfigtest.Valid(), nil)
	v := p.Versions
	if v.ControlPlane != "1.35" || v.NodesPinned != "" || v.CiliumInitial != "1.19.6" || v.UpgradeCompatibility != "1.19" || v.CiliumPreflight || !v.CoreDNSWaitsForNodes {
		t.Errorf("versions of a new stack = %+v", v)
	}
	if v.Addons["coredns"] != "v1.14.2-eksbuild.4" {
		t.Errorf("CoreDNS = %q, want the table's for 1.35", v.Addons["coredns"])
	}
	if _, ok := v.Addons["kube-proxy"]; ok {
		t.Error("kube-proxy is replaced by Cilium and has no addon version")
	}
	if p.Upgrade != nil {
		t.Errorf("a first deployment has no upgrade plan: %v", p.Upgrade)
	}
	values, err := p.CiliumValues("")
	if err != nil || values["upgradeCompatibility"] != "1.19" {
		t.Errorf("upgradeCompatibility = %v (%v), want 1.19 on a new 1.19 stack", values["upgradeCompatibility"], err)
	}
}

func TestUpgrade_KubernetesMinor(t *testing.T) {
	cfg := stackconfigtest.Valid()
	p := planOf(t, cfg, deployedAt(t, "1.34", nil))
	want := []string{
		"control-plane eks-cilium-test: 1.34 -> 1.35",
		"addon coredns: v1.13.2-eksbuild.7 -> v1.14.2-eksbuild.4",
		"node-group general: kubernetesVersion=1.34 -> kubernetesVersion=1.35",
	}
	if got := steps(p); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("steps:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for i, s := range p.Upgrade {
		if s.Step != i+1 || s.Why == "" {
			t.Errorf("step %d: %+v", i, s)
		}
	}
	if p.Versions.CoreDNSWaitsForNodes {
		t.Error("with node groups deployed, the addons must follow the control plane, not wait for the nodes")
	}
	if p.Versions.UpgradeCompatibility != "1.18" {
		t.Errorf("upgradeCompatibility = %q, want 1.18: the first Cilium ever installed", p.Versions.UpgradeCompatibility)
	}
}

func TestUpgrade_NothingChanges(t *testing.T) {
	p := planOf(t, stackconfigtest.Valid(), deployedAt(t, "1.35", func(o map[string]any) {
		o["addonVersions"] = map[string]any{"coredns": "v1.14.2-eksbuild.4"}
	}))
	if p.Upgrade == nil || len(p.Upgrade) != 0 {
		t.Errorf("want an empty (not nil) plan, got %v", steps(p))
	}
}

func TestUpgrade_LaunchTemplateInputsAreNodeGroupSteps(t *testing.T) {
	cfg := stackconfigtest.Valid()
	cfg.NodeGroups[0].AmiVersion = "v20260625"
	cfg.NodeGroups[0].MaxPods = 100
	cfg.NodeGroups[0].Labels = map[string]string{"team": "a"}
	p := planOf(t, cfg, deployedAt(t, "1.35", func(o map[string]any) { o["addonVersions"] = map[string]any{} }))
	want := "node-group general: amiVersion=v20260714, maxPods=110, labels={} -> amiVersion=v20260625, maxPods=100, labels={team:a}"
	if got := steps(p); len(got) != 1 || got[0] != want {
		t.Errorf("steps %v, want [%s]", got, want)
	}
}

func TestUpgrade_CiliumMinorRunsThePreflightFirst(t *testing.T) {
	cfg := stackconfigtest.Valid()
	cfg.Cilium.Version = "1.20.0"
	p := planOf(t, cfg, deployedAt(t, "1.35", func(o map[string]any) { o["addonVersions"] = map[string]any{} }))
	if !p.Versions.CiliumPreflight {
		t.Fatal("a Cilium minor change must deploy the pre-flight check")
	}
	want := []string{"cilium-preflight cilium-preflight:  -> 1.20.0", "cilium cilium: 1.19.6 -> 1.20.0"}
	if got := steps(p); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("steps %v, want %v", got, want)
	}
	// 1.20.0 on 1.35 renders, with a warning: its tested list is unknown.
	if w := strings.Join(p.Warnings(), "\n"); !strings.Contains(w, "Cilium 1.20's e2e-tested Kubernetes versions are not known here") {
		t.Errorf("warnings lack the unknown matrix:\n%s", w)
	}
	// A patch of the same minor is no pre-flight case; the next update removes the release.
	next := deployedAt(t, "1.35", func(o map[string]any) {
		o["ciliumVersion"], o["ciliumPreflight"], o["addonVersions"] = "1.20.0", "1.20.0", map[string]any{}
	})
	p = planOf(t, cfg, next)
	if p.Versions.CiliumPreflight || strings.Join(steps(p), "|") != "cilium-preflight cilium-preflight: 1.20.0 -> " {
		t.Errorf("next update: preflight %v, steps %v", p.Versions.CiliumPreflight, steps(p))
	}
}

func TestUpgrade_RollbackTakesTwoUpdatesNodesFirst(t *testing.T) {
	cfg := stackconfigtest.Valid()
	cfg.Cluster.Version, cfg.Cluster.AllowVersionRollback = "1.34", true
	p := planOf(t, cfg, deployedAt(t, "1.35", func(o map[string]any) { o["addonVersions"] = map[string]any{"coredns": "v1.14.2-eksbuild.4"} }))
	if p.Versions.ControlPlane != "1.35" || p.Versions.NodesPinned != "1.34" {
		t.Fatalf("first update: %+v; want the control plane kept at 1.35 and the nodes pinned to 1.34", p.Versions)
	}
	if got := steps(p); len(got) != 1 || got[0] != "node-group general: kubernetesVersion=1.35 -> kubernetesVersion=1.34" {
		t.Errorf("first update steps %v", got)
	}
	// Every node group back: the control plane goes; the CoreDNS addon stays (never downgraded).
	second := deployedAt(t, "1.35", func(o map[string]any) {
		o["nodeGroups"].([]any)[0].(map[string]any)["kubernetesVersion"] = "1.34"
		o["addonVersions"] = map[string]any{"coredns": "v1.14.2-eksbuild.4"}
	})
	p = planOf(t, cfg, second)
	if p.Versions.ControlPlane != "1.34" || p.Versions.NodesPinned != "" || p.Versions.Addons["coredns"] != "v1.14.2-eksbuild.4" {
		t.Errorf("second update: %+v", p.Versions)
	}
	if got := steps(p); len(got) != 1 || got[0] != "control-plane eks-cilium-test: 1.35 -> 1.34" {
		t.Errorf("second update steps %v", got)
	}
	if n := strings.Join(p.Notices, "\n"); !strings.Contains(n, "never downgraded") || !strings.Contains(n, "update 2 of 2") {
		t.Errorf("notices:\n%s", n)
	}
}

func TestUpgrade_OlderStacksAreNotBlocked(t *testing.T) {
	prev := deployedAt(t, "", func(o map[string]any) {
		for _, k := range []string{"kubernetesVersion", "ciliumInitialVersion", "addonVersions", "chartVersions"} {
			delete(o, k)
		}
		o["nodeGroups"] = []any{map[string]any{"name": "general", "maxPods": 110.0}}
	})
	p := planOf(t, stackconfigtest.Valid(), prev)
	notices := strings.Join(p.Warnings(), "\n")
	for _, want := range []string{"no kubernetesVersion", "no ciliumInitialVersion"} {
		if !strings.Contains(notices, want) {
			t.Errorf("the render does not say %q was skipped:\n%s", want, notices)
		}
	}
	// upgradeCompatibility is set for the first time from the deployed Cilium, CoreDNS and the
	// node image pinned for the first time (a group deployed then ran the recommended image).
	want := []string{"cilium cilium: 1.19.6 -> 1.19.6 with upgradeCompatibility 1.19", "addon coredns: (not exported) -> v1.14.2-eksbuild.4",
		"node-group general: amiVersion=(recommended) -> amiVersion=v20260714"}
	if got := steps(p); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("steps %v, want %v", got, want)
	}
}

func TestUpgrade_ChartChangesAndKarpenterDrift(t *testing.T) {
	cfg := stackconfigtest.Valid()
	cfg.Addons = &stackconfig.AddonsConfig{
		MetricsServer:             &stackconfig.MetricsServerConfig{Version: "3.13.1", Replicas: 1},
		AwsLoadBalancerController: &stackconfig.AwsLoadBalancerControllerConfig{Version: "3.5.0", ReplicaCount: 2},
	}
	pool := stackconfig.Default[stackconfig.NodePoolConfig]()
	pool.Name, pool.AmiVersion, pool.Limits = "default", "v20260714", stackconfig.NodePoolLimits{Cpu: 16, Memory: "64Gi"}
	cfg.Karpenter = &stackconfig.KarpenterConfig{Version: "1.14.1", NodePools: []stackconfig.NodePoolConfig{pool}}
	p := planOf(t, cfg, deployedAt(t, "1.34", func(o map[string]any) {
		o["addonVersions"] = map[string]any{"coredns": "v1.14.2-eksbuild.4", "eks-pod-identity-agent": "v1.3.10-eksbuild.2"}
		o["chartVersions"] = map[string]any{"metrics-server": "3.13.0", "aws-load-balancer-controller": "3.4.0", "karpenter": "1.14.0"}
	}))
	want := []string{
		"control-plane eks-cilium-test: 1.34 -> 1.35",
		"node-group general: kubernetesVersion=1.34 -> kubernetesVersion=1.35",
		"karpenter karpenter-crd: 1.14.0 -> 1.14.1",
		"karpenter karpenter: 1.14.0 -> 1.14.1",
		"karpenter node pool default: 1.34 -> 1.35",
		"chart metrics-server: 3.13.0 -> 3.13.1",
		"chart aws-load-balancer-controller CRDs: 3.4.0 -> 3.5.0",
		"chart aws-load-balancer-controller: 3.4.0 -> 3.5.0",
	}
	if got := steps(p); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("steps:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
