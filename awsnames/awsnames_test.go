package awsnames

import (
	"strings"
	"testing"

	"github.com/eks-cilium/eks-cilium/stackconfig"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

func config(stack, cluster string, groups ...string) stackconfig.Config {
	cfg := stackconfig.Defaults()
	cfg.Stack, cfg.Cluster.Name = stack, cluster
	for _, g := range groups {
		ng := stackconfig.Default[stackconfig.NodeGroupConfig]()
		ng.Name = g
		cfg.NodeGroups = append(cfg.NodeGroups, ng)
	}
	return cfg
}

func find(t *testing.T, names []Name, what string) Name {
	t.Helper()
	for _, n := range names {
		if n.What == what {
			return n
		}
	}
	t.Fatalf("no name %q among %v", what, names)
	return Name{}
}

// Pulumi's own autonaming check (the function pulumi-aws's bridge calls with the resource
// name, "-", 7 random characters and the provider's maximum) must agree with Fits for every
// autonamed name, on both sides of the limit.
func TestName_FitsAgreesWithPulumisAutonaming(t *testing.T) {
	for _, platform := range []string{"eks-cilium-dev", strings.Repeat("p", 43), strings.Repeat("p", 44), strings.Repeat("p", 200)} {
		for _, group := range []string{"general", strings.Repeat("g", 12), strings.Repeat("g", 13), strings.Repeat("g", 120)} {
			for _, n := range For(platform, config("dev", platform, group)) {
				if n.Suffix != AutonameSuffix {
					continue
				}
				_, err := resource.NewUniqueName(nil, n.Value+"-", AutonameSuffix-1, n.Max, nil)
				if (err == nil) != n.Fits() {
					t.Errorf("%s %q: Fits() = %v, Pulumi's autonaming says %v", n.What, n.Value, n.Fits(), err)
				}
			}
		}
	}
}

// The second example: the default cluster name of stack
// payments-platform-production-euw1 is 44 characters, and pulumi-eks's control-plane role
// "<cluster>-eksRole-role" plus Pulumi's suffix is 65.
func TestFor_PulumiEksServiceRoleOfALongStackNameIsTooLong(t *testing.T) {
	cfg := config("payments-platform-production-euw1", "", "general")
	n := find(t, For(cfg.ClusterName(), cfg), "IAM role pulumi-eks creates for the EKS control plane")
	if n.Value != "eks-cilium-payments-platform-production-euw1-eksRole-role" || n.Length() != 65 || n.Fits() {
		t.Errorf("%+v: length %d, fits %v; want 65 characters, too long", n, n.Length(), n.Fits())
	}
	if n.Key != "eks-cilium:cluster.name" || n.KeyValueMax() != 43 {
		t.Errorf("key %s, KeyValueMax %d; want eks-cilium:cluster.name, 43", n.Key, n.KeyValueMax())
	}
}

func TestFor_NodeGroupNamePrefixLeavesTheClusterOut(t *testing.T) {
	cfg := config("dev", "", "general-purpose-workers")
	n := find(t, For(cfg.ClusterName(), cfg), "EKS node group name prefix of general-purpose-workers")
	if n.Value != "general-purpose-workers-" || !n.Fits() {
		t.Errorf("%+v", n)
	}
	// 37 characters of prefix is terraform-provider-aws's limit: 63 minus its 26-character suffix.
	for length, fits := range map[int]bool{37: true, 38: false} {
		group := strings.Repeat("g", length-1)
		cfg := config("dev", "", group)
		n := find(t, For(cfg.ClusterName(), cfg), "EKS node group name prefix of "+group)
		if len(n.Value) != length || n.Fits() != fits {
			t.Errorf("prefix of %d characters: fits %v, want %v", len(n.Value), n.Fits(), fits)
		}
	}
}

func TestName_KeyValueMaxIsTheBoundary(t *testing.T) {
	cfg := config("dev", strings.Repeat("c", 40), "general")
	for _, n := range For(cfg.ClusterName(), cfg) {
		m := n.KeyValueMax()
		at := strings.Replace(n.Value, n.KeyValue, strings.Repeat("x", m), 1)
		over := strings.Replace(n.Value, n.KeyValue, strings.Repeat("x", m+1), 1)
		if len(at)+n.Suffix != n.Max || len(over)+n.Suffix != n.Max+1 {
			t.Errorf("%s: KeyValueMax %d does not put the name at its limit %d", n.What, m, n.Max)
		}
	}
}

func TestFor_NamesEveryNodeGroupsRoleTemplatePrefixAndTag(t *testing.T) {
	cfg := config("prod", "", "general", "compute")
	names := For(cfg.ClusterName(), cfg)
	for _, group := range []string{"general", "compute"} {
		key := map[string]string{"general": "eks-cilium:nodeGroups[0].name", "compute": "eks-cilium:nodeGroups[1].name"}[group]
		for what, value := range map[string]string{
			"EKS node group name prefix of " + group:           group + "-",
			"IAM role of node group " + group:                  "eks-cilium-prod-" + group,
			"launch template of node group " + group:           "eks-cilium-prod-" + group,
			"Name tag of the instances of node group " + group: "eks-cilium-prod-" + group,
		} {
			n := find(t, names, what)
			if n.Value != value || n.Key != key || n.KeyValue != group {
				t.Errorf("%s = %+v, want value %q under %s", what, n, value, key)
			}
		}
	}
}

func TestPlatformKey_BlamesTheClusterNameOnlyWhenThePlatformIsNamedAfterIt(t *testing.T) {
	cfg := config("dev", "", "general")
	if k := PlatformKey("eks-cilium-dev", cfg); k != "eks-cilium:cluster.name" {
		t.Errorf("PlatformKey = %s", k)
	}
	if k := PlatformKey("shop", cfg); k != "platform.NewPlatform name" {
		t.Errorf("PlatformKey = %s", k)
	}
}

// The controller's Pod Identity role is named after the cluster, not the Platform, so a Go
// program that names its Platform briefly still meets IAM's limit through the cluster name.
func TestFor_LoadBalancerControllerRoleOnlyWithTheControllerAndBlamesTheClusterName(t *testing.T) {
	cfg := config("dev", strings.Repeat("c", 53), "general")
	for _, n := range For("shop", cfg) {
		if strings.Contains(n.What, "Load Balancer Controller") {
			t.Fatalf("a stack without the controller names its role: %+v", n)
		}
	}
	cfg.Addons = &stackconfig.AddonsConfig{AwsLoadBalancerController: &stackconfig.AwsLoadBalancerControllerConfig{Version: "3.5.0"}}
	n := find(t, For("shop", cfg), "IAM role of the AWS Load Balancer Controller")
	if n.Value != strings.Repeat("c", 53)+"-lbc" || n.Fits() || n.Key != "eks-cilium:cluster.name" {
		t.Errorf("%+v: fits %v; want the 57-character prefix refused, blaming eks-cilium:cluster.name", n, n.Fits())
	}
	cfg.Cluster.Name = strings.Repeat("c", 52)
	if n := find(t, For("shop", cfg), "IAM role of the AWS Load Balancer Controller"); !n.Fits() {
		t.Errorf("%+v: a 52-character cluster name must fit (52 + 4 + 8 = 64)", n)
	}
}
