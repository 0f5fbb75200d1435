package rules

import (
	"strings"
	"testing"

	"github.com/eks-cilium/eks-cilium/stackconfig"
)

func karpenterConfig(f func(*stackconfig.KarpenterConfig)) stackconfig.Config {
	cfg := stackconfig.Defaults()
	cfg.Stack = "dev"
	p := stackconfig.Default[stackconfig.NodePoolConfig]()
	p.Name, p.InstanceFamilies, p.InstanceCategories = "default", []string{"m6i", "c7g"}, []string{"m", "c"}
	p.CapacityTypes, p.Architectures, p.MaxPods = []string{"spot", "on-demand"}, []string{"amd64", "arm64"}, 110
	p.AmiVersion, p.Limits = "v20260512", stackconfig.NodePoolLimits{Cpu: 200, Memory: "800Gi"}
	k := &stackconfig.KarpenterConfig{Version: "1.14.1", NodePools: []stackconfig.NodePoolConfig{p}}
	if f != nil {
		f(k)
	}
	cfg.Karpenter = k
	return cfg
}

func pool0(f func(*stackconfig.NodePoolConfig)) func(*stackconfig.KarpenterConfig) {
	return func(k *stackconfig.KarpenterConfig) { f(&k.NodePools[0]) }
}

func TestCheckKarpenter_AcceptsValidNodePools(t *testing.T) {
	for name, cfg := range map[string]stackconfig.Config{
		"issue example": karpenterConfig(nil),
		"defaults only": karpenterConfig(pool0(func(p *stackconfig.NodePoolConfig) {
			limits := p.Limits
			*p = stackconfig.Default[stackconfig.NodePoolConfig]()
			p.Name, p.AmiVersion, p.Limits = "x", "v20260512", limits
		})),
		"bottlerocket pin": karpenterConfig(pool0(func(p *stackconfig.NodePoolConfig) { p.AmiFamily, p.AmiVersion = "Bottlerocket", "v1.38.0" })),
		"al2023 pin":       karpenterConfig(pool0(func(p *stackconfig.NodePoolConfig) { p.AmiVersion = "v20250505" })),
		"node cap":         karpenterConfig(pool0(func(p *stackconfig.NodePoolConfig) { p.Limits.Nodes = 10 })),
		"no karpenter":     stackconfig.Defaults(),
		"latest (warned)":  karpenterConfig(pool0(func(p *stackconfig.NodePoolConfig) { p.AmiVersion = "latest" })),
		"46-character name": func() stackconfig.Config {
			c := karpenterConfig(nil)
			c.Cluster.Name = strings.Repeat("c", 46)
			return c
		}(),
	} {
		if _, probs := CheckKarpenter(cfg); len(probs) > 0 {
			t.Errorf("%s: refused:\n%v", name, probs)
		}
	}
}

func TestCheckKarpenter_WarnsOfTheLatestAMI(t *testing.T) {
	warnings, refusals := CheckKarpenter(karpenterConfig(pool0(func(p *stackconfig.NodePoolConfig) { p.AmiVersion = "latest" })))
	if len(refusals) != 0 || len(warnings) != 1 || warnings[0].Key != "eks-cilium:karpenter.nodePools[0].amiVersion" || !strings.Contains(warnings[0].Rule, "drift") {
		t.Errorf("latest: warnings %v, refusals %v; want one drift warning on amiVersion", warnings, refusals)
	}
	if warnings, _ := CheckKarpenter(karpenterConfig(nil)); len(warnings) != 0 {
		t.Errorf("pinned: warnings %v", warnings)
	}
}

func TestCheckKarpenter_RefusesWhatKarpenterOrAWSWouldRefuse(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(*stackconfig.KarpenterConfig)
		key    string
		rule   string
		fix    string
	}{
		{"unpinned version", func(k *stackconfig.KarpenterConfig) { k.Version = "1.14" }, "eks-cilium:karpenter.version", "exact chart version", "1.14.1"},
		{"another minor", func(k *stackconfig.KarpenterConfig) { k.Version = "1.15.0" }, "eks-cilium:karpenter.version", "controller IAM policy embedded", "use 1.14.x"},
		{"no node pools", func(k *stackconfig.KarpenterConfig) { k.NodePools = nil }, "eks-cilium:karpenter.nodePools", "at least one node pool", ""},
		{"upper-case name", pool0(func(p *stackconfig.NodePoolConfig) { p.Name = "Default" }), "eks-cilium:karpenter.nodePools[0].name", "DNS-1123 label", ""},
		{"empty name", pool0(func(p *stackconfig.NodePoolConfig) { p.Name = "" }), "eks-cilium:karpenter.nodePools[0].name", "must not be empty", ""},
		{"repeated name", func(k *stackconfig.KarpenterConfig) { k.NodePools = append(k.NodePools, k.NodePools[0]) }, "eks-cilium:karpenter.nodePools[1].name", "repeats eks-cilium:karpenter.nodePools[0].name", ""},
		{"unknown family", pool0(func(p *stackconfig.NodePoolConfig) { p.InstanceFamilies = []string{"m6i", "m6ii"} }), "eks-cilium:karpenter.nodePools[0].instanceFamilies[1]", "not an EC2 instance family", "did you mean m6i?"},
		{"unknown category", pool0(func(p *stackconfig.NodePoolConfig) { p.InstanceCategories = []string{"q"} }), "eks-cilium:karpenter.nodePools[0].instanceCategories[0]", "not an EC2 instance category", ""},
		{"capacity type in EKS spelling", pool0(func(p *stackconfig.NodePoolConfig) { p.CapacityTypes = []string{"SPOT"} }), "eks-cilium:karpenter.nodePools[0].capacityTypes[0]", "must be one of on-demand, spot", "did you mean spot?"},
		{"architecture in EC2 spelling", pool0(func(p *stackconfig.NodePoolConfig) { p.Architectures = []string{"x86_64"} }), "eks-cilium:karpenter.nodePools[0].architectures[0]", "must be one of amd64, arm64", ""},
		{"AMI family AL2", pool0(func(p *stackconfig.NodePoolConfig) { p.AmiFamily = "AL2" }), "eks-cilium:karpenter.nodePools[0].amiFamily", "AL2023, Bottlerocket", ""},
		{"AMI version without v", pool0(func(p *stackconfig.NodePoolConfig) { p.AmiVersion = "20250505" }), "eks-cilium:karpenter.nodePools[0].amiVersion", "an AMI release such as", ""},
		{"AMI version missing", pool0(func(p *stackconfig.NodePoolConfig) { p.AmiVersion = "" }), "eks-cilium:karpenter.nodePools[0].amiVersion", "is required", "pin a release"},
		{"no CPU limit", pool0(func(p *stackconfig.NodePoolConfig) { p.Limits.Cpu = 0 }), "eks-cilium:karpenter.nodePools[0].limits.cpu", "nothing bounds", "limits: {cpu: 64"},
		{"memory limit not a quantity", pool0(func(p *stackconfig.NodePoolConfig) { p.Limits.Memory = "800GB" }), "eks-cilium:karpenter.nodePools[0].limits.memory", "Kubernetes memory quantity", ""},
		{"negative node cap", pool0(func(p *stackconfig.NodePoolConfig) { p.Limits.Nodes = -1 }), "eks-cilium:karpenter.nodePools[0].limits.nodes", "must be 0", ""},
		{"tiny smallest instance", pool0(func(p *stackconfig.NodePoolConfig) { p.MinInstance.Memory = "512Mi" }), "eks-cilium:karpenter.nodePools[0].minInstance.memory", "at least 1Gi", ""},
		{"negative smallest vCPUs", pool0(func(p *stackconfig.NodePoolConfig) { p.MinInstance.Cpu = -2 }), "eks-cilium:karpenter.nodePools[0].minInstance.cpu", "at least 1 vCPU", ""},
		{"maxPods above 250", pool0(func(p *stackconfig.NodePoolConfig) { p.MaxPods = 251 }), "eks-cilium:karpenter.nodePools[0].maxPods", "1 to 250", ""},
		{"disk too small", pool0(func(p *stackconfig.NodePoolConfig) { p.DiskSize = 10 }), "eks-cilium:karpenter.nodePools[0].diskSize", "20 to 16384 GiB", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, probs := CheckKarpenter(karpenterConfig(tc.mutate))
			if len(probs) != 1 || probs[0].Key != tc.key || !strings.Contains(probs[0].Rule, tc.rule) || !strings.Contains(probs[0].Fix, tc.fix) {
				t.Errorf("want one problem %s %q (fix %q), got:\n%v", tc.key, tc.rule, tc.fix, probs)
			}
		})
	}
}
