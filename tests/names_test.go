package tests

import (
	"slices"
	"strings"
	"testing"

	"github.com/eks-cilium/eks-cilium/awsnames"
	"github.com/eks-cilium/eks-cilium/components/platform"
	"github.com/eks-cilium/eks-cilium/program"
	"github.com/eks-cilium/eks-cilium/render"
	"github.com/eks-cilium/eks-cilium/stackconfig"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// TestNames_EveryLimitedNameTheProgramRegistersIsChecked renders the program and requires
// that every AWS name it registers with a length limit is among the names awsnames.For
// derives (and rules.CheckNames checks): the autonamed IAM roles and launch templates, the
// node group prefixes, the instance Name tags, the subnet cluster tag and the EKS cluster name.
// A component that adds such a resource without adding its name to awsnames.For fails here.
func TestNames_EveryLimitedNameTheProgramRegistersIsChecked(t *testing.T) {
	autonamed := map[string]bool{
		"aws:iam/role:Role":                     true, // IAM: 64
		"aws:ec2/launchTemplate:LaunchTemplate": true, // 125
		"aws:ec2/securityGroup:SecurityGroup":   true, // 255
	}
	for _, path := range append(shippedStacks(t), "fixtures/rules/valid/Pulumi.long-prefix.yaml") {
		res := renderStack(t, path, nil)
		cfg := res.Config
		checked := map[string]bool{}
		for _, n := range awsnames.For(cfg.ClusterName(), cfg) {
			checked[n.Value] = true
		}
		mustBeChecked := func(what, name string) {
			t.Helper()
			if !checked[name] {
				t.Errorf("%s: %s %q is not among the names awsnames.For checks", cfg.Stack, what, name)
			}
		}
		for _, r := range res.Resources {
			if autonamed[r.Type] {
				if _, named := get(r.Inputs, "name"); named {
					t.Errorf("%s: %s %s sets its name; awsnames assumes Pulumi autonames it", cfg.Stack, r.Type, r.Name)
				}
				mustBeChecked(r.Type+" autoname", r.Name)
			}
			switch r.Type {
			case "aws:eks/nodeGroup:NodeGroup":
				v, _ := get(r.Inputs, "nodeGroupNamePrefix")
				mustBeChecked("node group prefix", v.StringValue())
			case "aws:ec2/launchTemplate:LaunchTemplate":
				specs, _ := get(r.Inputs, "tagSpecifications")
				for _, s := range specs.ArrayValue() {
					if name, ok := s.ObjectValue()["tags"].ObjectValue()["Name"]; ok {
						mustBeChecked("instance Name tag", name.StringValue())
					}
				}
			case "aws:ec2/subnet:Subnet":
				tags, _ := get(r.Inputs, "tags")
				for k := range tags.ObjectValue() {
					if strings.HasPrefix(string(k), "kubernetes.io/cluster/") {
						mustBeChecked("subnet tag key", string(k))
					}
				}
			case "eks:index:Cluster":
				// pulumi-eks derives its own names (<name>-eksRole-role, security groups) from
				// its resource name; awsnames assumes it is the Platform's.
				v, _ := get(r.Inputs, "name")
				mustBeChecked("EKS cluster name", v.StringValue())
				if r.Name != cfg.ClusterName() || !checked[awsnames.PulumiEksServiceRole(r.Name)] {
					t.Errorf("%s: pulumi-eks cluster registered as %q; its role %q is not checked", cfg.Stack, r.Name, awsnames.PulumiEksServiceRole(r.Name))
				}
			}
		}
	}
}

// The instance Name tag no longer repeats the cluster name: "<cluster>-<group>", not
// "<cluster>-<cluster>-<group>".
func TestNames_InstanceNameTagNamesClusterAndGroupOnce(t *testing.T) {
	res := renderStack(t, "../stacks/Pulumi.dev.yaml", nil)
	lt := one(t, res, typeLT)
	specs, _ := get(lt.Inputs, "tagSpecifications")
	var names []string
	for _, s := range specs.ArrayValue() {
		if n, ok := s.ObjectValue()["tags"].ObjectValue()["Name"]; ok {
			names = append(names, n.StringValue())
		}
	}
	if !slices.Equal(names, []string{"eks-cilium-dev-general"}) {
		t.Errorf("instance Name tags %v, want [eks-cilium-dev-general]", names)
	}
	ng := one(t, res, typeNodeGroup)
	if v, _ := get(ng.Inputs, "nodeGroupNamePrefix"); v.StringValue() != "general-" {
		t.Errorf("nodeGroupNamePrefix %q, want general-", v.StringValue())
	}
}

// A Go program may name the Platform differently from the cluster: the names Pulumi derives
// from that name are checked before anything is registered.
func TestNames_PlatformNamedOtherThanTheClusterIsChecked(t *testing.T) {
	_, err := render.Run("dev", devValues(t), render.Options{Program: programNamed(strings.Repeat("p", 50))})
	if err == nil || !strings.Contains(err.Error(), "platform.NewPlatform name") || !strings.Contains(err.Error(), "eksRole-role") {
		t.Errorf("a 50-character Platform name: err = %v, want the pulumi-eks role refused", err)
	}
	if _, err := render.Run("dev", devValues(t), render.Options{Program: programNamed("shop")}); err != nil {
		t.Errorf("Platform named shop: %v", err)
	}
}

// programNamed is the program with the Platform registered under name.
func programNamed(name string) pulumi.RunFunc {
	return func(ctx *pulumi.Context) error {
		cfg, err := program.LoadConfig(ctx)
		if err != nil {
			return err
		}
		_, err = platform.NewPlatform(ctx, name, &platform.PlatformArgs{Config: cfg})
		return err
	}
}

func devValues(t *testing.T) map[string]string {
	t.Helper()
	_, values, err := stackconfig.LoadFile("../stacks/Pulumi.dev.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return values
}
