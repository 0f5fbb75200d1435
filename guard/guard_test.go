package guard

import (
	"strings"
	"testing"

	"github.com/eks-cilium/eks-cilium/stackconfig"
)

func deployed() *Deployed {
	return &Deployed{
		ClusterName: "eks-cilium-prod", VpcCidr: "10.20.0.0/16", ServiceCidr: "172.20.0.0/16",
		PodCidrs: []string{"10.100.0.0/17", "10.101.0.0/17"}, MaskSize: 24,
		IpamMode: IpamMode, RoutingMode: RoutingMode,
	}
}

func config() stackconfig.Config {
	cfg := stackconfig.Defaults()
	cfg.Stack = "prod"
	cfg.Vpc.Cidr = "10.20.0.0/16"
	cfg.Cilium.ClusterPoolIPv4PodCIDRList = []string{"10.100.0.0/17", "10.101.0.0/17"}
	return cfg
}

func TestCheck(t *testing.T) {
	cases := []struct {
		name     string
		prev     func(*Deployed) *Deployed
		edit     func(*stackconfig.Config)
		wantKeys []string // refused keys; empty: accepted
		wantRule string
		wantWarn string
	}{
		{name: "first deployment refuses nothing", prev: func(*Deployed) *Deployed { return nil },
			edit: func(c *stackconfig.Config) { c.Cilium.ClusterPoolIPv4MaskSize = 20 }},
		{name: "unchanged", edit: func(*stackconfig.Config) {}},
		{name: "appending a CIDR is allowed", edit: func(c *stackconfig.Config) {
			c.Cilium.ClusterPoolIPv4PodCIDRList = append(c.Cilium.ClusterPoolIPv4PodCIDRList, "10.102.0.0/17")
		}},
		{name: "removing the last CIDR is refused", edit: func(c *stackconfig.Config) {
			c.Cilium.ClusterPoolIPv4PodCIDRList = c.Cilium.ClusterPoolIPv4PodCIDRList[:1]
		}, wantKeys: []string{"eks-cilium:cilium.clusterPoolIPv4PodCIDRList[1]"}, wantRule: "removing a pod CIDR"},
		{name: "modifying a CIDR is refused", edit: func(c *stackconfig.Config) {
			c.Cilium.ClusterPoolIPv4PodCIDRList[1] = "10.109.0.0/17"
		}, wantKeys: []string{"eks-cilium:cilium.clusterPoolIPv4PodCIDRList[1]"}, wantRule: "changing or reordering"},
		{name: "reordering is refused", edit: func(c *stackconfig.Config) {
			c.Cilium.ClusterPoolIPv4PodCIDRList = []string{"10.101.0.0/17", "10.100.0.0/17"}
		}, wantKeys: []string{"eks-cilium:cilium.clusterPoolIPv4PodCIDRList[0]", "eks-cilium:cilium.clusterPoolIPv4PodCIDRList[1]"}, wantRule: "reordering"},
		{name: "inserting at the front is refused", edit: func(c *stackconfig.Config) {
			c.Cilium.ClusterPoolIPv4PodCIDRList = append([]string{"10.99.0.0/17"}, c.Cilium.ClusterPoolIPv4PodCIDRList...)
		}, wantKeys: []string{"eks-cilium:cilium.clusterPoolIPv4PodCIDRList[0]", "eks-cilium:cilium.clusterPoolIPv4PodCIDRList[1]"}, wantRule: "append new CIDRs at the end"},
		{name: "mask change is refused", edit: func(c *stackconfig.Config) { c.Cilium.ClusterPoolIPv4MaskSize = 25 },
			wantKeys: []string{"eks-cilium:cilium.clusterPoolIPv4MaskSize"}, wantRule: "mask size of a running cluster cannot change"},
		{name: "IPAM mode change is refused", prev: func(d *Deployed) *Deployed { d.IpamMode = "eni"; return d },
			edit: func(*stackconfig.Config) {}, wantKeys: []string{"eks-cilium:cilium (ipam.mode)"}, wantRule: "IPAM mode"},
		{name: "routing mode change is refused", prev: func(d *Deployed) *Deployed { d.RoutingMode = "native"; return d },
			edit: func(*stackconfig.Config) {}, wantKeys: []string{"eks-cilium:cilium (routingMode)"}, wantRule: "routing mode"},
		{name: "escape hatch turns pool refusals into warnings", edit: func(c *stackconfig.Config) {
			c.Cilium.AllowPoolRewrite = true
			c.Cilium.ClusterPoolIPv4MaskSize = 25
			c.Cilium.ClusterPoolIPv4PodCIDRList = []string{"10.110.0.0/16"}
		}, wantWarn: "allowed by allowPoolRewrite"},
		{name: "escape hatch does not allow replacing the cluster", edit: func(c *stackconfig.Config) {
			c.Cilium.AllowPoolRewrite = true
			c.Cluster.ServiceCidr = "172.21.0.0/16"
		}, wantKeys: []string{"eks-cilium:cluster.serviceCidr"}, wantRule: "replaces the EKS cluster"},
		{name: "VPC CIDR change is refused", edit: func(c *stackconfig.Config) { c.Vpc.Cidr = "10.30.0.0/16" },
			wantKeys: []string{"eks-cilium:vpc.cidr"}, wantRule: "replaces the EKS cluster"},
		{name: "cluster rename is refused", edit: func(c *stackconfig.Config) { c.Cluster.Name = "other" },
			wantKeys: []string{"eks-cilium:cluster.name"}, wantRule: "renaming the cluster"},
		{name: "allowClusterReplacement lets a replacement through with a warning", edit: func(c *stackconfig.Config) {
			c.Cluster.AllowClusterReplacement = true
			c.Cluster.ServiceCidr = "172.21.0.0/16"
		}, wantWarn: "allowed by allowClusterReplacement"},
		{name: "kube-proxy replacement unchanged", prev: withKubeProxyReplacement(true),
			edit: func(c *stackconfig.Config) { c.Cluster.KubeProxyReplacement = true }},
		{name: "turning kube-proxy replacement on is refused", prev: withKubeProxyReplacement(false),
			edit:     func(c *stackconfig.Config) { c.Cluster.KubeProxyReplacement = true },
			wantKeys: []string{"eks-cilium:cluster.kubeProxyReplacement"}, wantRule: "preserve: true"},
		{name: "turning kube-proxy replacement off is refused", prev: withKubeProxyReplacement(true),
			edit:     func(c *stackconfig.Config) { c.Cluster.KubeProxyReplacement = false },
			wantKeys: []string{"eks-cilium:cluster.kubeProxyReplacement"}, wantRule: "build a new cluster"},
		{name: "no escape hatch lets the kube-proxy switch through", prev: withKubeProxyReplacement(false),
			edit: func(c *stackconfig.Config) {
				c.Cluster.KubeProxyReplacement = true
				c.Cilium.AllowPoolRewrite = true
				c.Cluster.AllowClusterReplacement = true
			}, wantKeys: []string{"eks-cilium:cluster.kubeProxyReplacement"}, wantRule: "kube-proxy running beside Cilium"},
		{name: "a new cluster may switch kube-proxy replacement", prev: withKubeProxyReplacement(false),
			edit: func(c *stackconfig.Config) {
				c.Cluster.KubeProxyReplacement = true
				c.Cluster.Name = "eks-cilium-prod-2"
				c.Cluster.AllowClusterReplacement = true
			}, wantWarn: "allowed by allowClusterReplacement"},
		{name: "a rename that is refused is the only refusal", prev: withKubeProxyReplacement(false),
			edit: func(c *stackconfig.Config) {
				c.Cluster.KubeProxyReplacement = true
				c.Cluster.Name = "eks-cilium-prod-2"
			}, wantKeys: []string{"eks-cilium:cluster.name"}, wantRule: "renaming the cluster"},
		{name: "deployments from before the output was exported are not checked",
			edit: func(c *stackconfig.Config) { c.Cluster.KubeProxyReplacement = false }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			prev := deployed()
			if c.prev != nil {
				prev = c.prev(prev)
			}
			cfg := config()
			c.edit(&cfg)
			warnings, err := Check(prev, cfg)
			if len(c.wantKeys) == 0 {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
			} else {
				probs, ok := err.(stackconfig.Problems)
				if !ok {
					t.Fatalf("err = %v, want Problems for %v", err, c.wantKeys)
				}
				var keys []string
				for _, p := range probs {
					keys = append(keys, p.Key)
					if !strings.Contains(p.Rule+" "+p.Fix, c.wantRule) {
						t.Errorf("%s: rule %q / fix %q lacks %q", p.Key, p.Rule, p.Fix, c.wantRule)
					}
					if p.Fix == "" || !strings.Contains(p.Value, "deployed") {
						t.Errorf("%s: a refusal must show the deployed value and a fix: %+v", p.Key, p)
					}
				}
				if strings.Join(keys, ",") != strings.Join(c.wantKeys, ",") {
					t.Errorf("refused keys %v, want %v", keys, c.wantKeys)
				}
			}
			if c.wantWarn != "" && !strings.Contains(strings.Join(warnings, "\n"), c.wantWarn) {
				t.Errorf("warnings %q lack %q", warnings, c.wantWarn)
			}
		})
	}
}

func withKubeProxyReplacement(on bool) func(*Deployed) *Deployed {
	return func(d *Deployed) *Deployed { d.KubeProxyReplacement = &on; return d }
}

func TestCheck_EscapeHatchAlwaysWarns(t *testing.T) {
	cfg := config()
	cfg.Cilium.AllowPoolRewrite = true
	for _, prev := range []*Deployed{nil, deployed()} {
		warnings, err := Check(prev, cfg)
		if err != nil || len(warnings) == 0 || !strings.Contains(warnings[0], "allowPoolRewrite is true") {
			t.Errorf("prev %v: warnings %q err %v; want the escape hatch announced", prev, warnings, err)
		}
	}
}

func TestFromOutputs(t *testing.T) {
	good := map[string]any{
		"clusterName": "c", "vpcCidr": "10.20.0.0/16", "serviceCidr": "172.20.0.0/16",
		"ipamMode": "cluster-pool", "routingMode": "tunnel",
		"podCidrs": []any{"10.100.0.0/17"}, "podCidrMaskSize": float64(24),
	}
	d, err := FromOutputs(good)
	if err != nil || d == nil || d.MaskSize != 24 || len(d.PodCidrs) != 1 || d.ClusterName != "c" {
		t.Fatalf("FromOutputs(good) = %+v, %v", d, err)
	}
	if d.KubeProxyReplacement != nil {
		t.Errorf("outputs without kubeProxyReplacement (deployed before it was exported) read as %v, want nil", *d.KubeProxyReplacement)
	}
	for _, on := range []bool{true, false} {
		m := map[string]any{"kubeProxyReplacement": on}
		for k, v := range good {
			m[k] = v
		}
		if d, err := FromOutputs(m); err != nil || d.KubeProxyReplacement == nil || *d.KubeProxyReplacement != on {
			t.Errorf("kubeProxyReplacement %v read as %+v, %v", on, d, err)
		}
	}
	if d, err := FromOutputs(nil); d != nil || err != nil {
		t.Errorf("no outputs (first deployment) = %+v, %v; want nil, nil", d, err)
	}
	for name, edit := range map[string]func(map[string]any){
		"pool is a string":                   func(m map[string]any) { m["podCidrs"] = "10.100.0.0/17" },
		"mask is fractional":                 func(m map[string]any) { m["podCidrMaskSize"] = 24.5 },
		"mask missing":                       func(m map[string]any) { delete(m, "podCidrMaskSize") },
		"cluster name empty":                 func(m map[string]any) { m["clusterName"] = "" },
		"kube-proxy replacement is a string": func(m map[string]any) { m["kubeProxyReplacement"] = "true" },
	} {
		m := map[string]any{}
		for k, v := range good {
			m[k] = v
		}
		edit(m)
		if _, err := FromOutputs(m); err == nil || !strings.Contains(err.Error(), "not those of an eks-cilium deployment") {
			t.Errorf("%s: err = %v, want a clear refusal to read", name, err)
		}
	}
}
