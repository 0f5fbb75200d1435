package live

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/eks-cilium/eks-cilium/migration"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// awsAnswers answers the data sources the live reads call, as pulumi-aws would.
type awsAnswers map[string]func(args resource.PropertyMap) (map[string]any, error)

func (a awsAnswers) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	return "", nil, fmt.Errorf("the live reads register nothing, got %s", args.TypeToken)
}

func (a awsAnswers) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	answer, ok := a[args.Token]
	if !ok {
		return nil, fmt.Errorf("no answer for %s", args.Token)
	}
	out, err := answer(args.Args)
	if err != nil {
		return nil, err
	}
	return resource.NewPropertyMapFromMap(out), nil
}

func TestReadAws_VpcCidrsRoutesLegacyGroupsAndAddon(t *testing.T) {
	answers := awsAnswers{
		"aws:ec2/getVpc:getVpc": func(resource.PropertyMap) (map[string]any, error) {
			return map[string]any{"id": "vpc-1", "cidrBlock": "10.0.0.0/16", "cidrBlockAssociations": []any{
				map[string]any{"cidrBlock": "10.0.0.0/16", "state": "associated"},
				map[string]any{"cidrBlock": "10.1.0.0/16", "state": "associated"},
				map[string]any{"cidrBlock": "10.2.0.0/16", "state": "disassociated"},
			}}, nil
		},
		"aws:ec2/getRouteTables:getRouteTables": func(resource.PropertyMap) (map[string]any, error) {
			return map[string]any{"id": "vpc-1", "ids": []any{"rtb-b", "rtb-a"}}, nil
		},
		"aws:ec2/getRouteTable:getRouteTable": func(args resource.PropertyMap) (map[string]any, error) {
			routes := map[string][]any{
				"rtb-a": {map[string]any{"cidrBlock": "10.0.0.0/16", "gatewayId": "local"}, map[string]any{"cidrBlock": "0.0.0.0/0", "natGatewayId": "nat-1"}},
				"rtb-b": {map[string]any{"cidrBlock": "172.31.0.0/16", "vpcPeeringConnectionId": "pcx-1"}, map[string]any{"cidrBlock": "192.168.0.0/16", "transitGatewayId": "tgw-1"}},
			}[args["routeTableId"].StringValue()]
			return map[string]any{"id": args["routeTableId"].StringValue(), "routes": routes}, nil
		},
		"aws:eks/getNodeGroup:getNodeGroup": func(args resource.PropertyMap) (map[string]any, error) {
			if args["nodeGroupName"].StringValue() != "workers-a" {
				return nil, fmt.Errorf("couldn't find resource")
			}
			return map[string]any{"id": "x", "scalingConfigs": []any{map[string]any{"desiredSize": 2}},
				"launchTemplates": []any{map[string]any{"id": "lt-1", "version": "3"}}}, nil
		},
		"aws:ec2/getLaunchTemplate:getLaunchTemplate": func(resource.PropertyMap) (map[string]any, error) {
			return map[string]any{"id": "lt-1", "vpcSecurityGroupIds": []any{"sg-b"},
				"networkInterfaces": []any{map[string]any{"securityGroups": []any{"sg-a"}}}}, nil
		},
		"aws:eks/getAddon:getAddon": func(resource.PropertyMap) (map[string]any, error) {
			return nil, fmt.Errorf("ResourceNotFoundException: No addon: vpc-cni found in cluster: legacy")
		},
	}
	f := &migration.Facts{}
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		if err := readVpc(ctx, "vpc-1", f); err != nil {
			return err
		}
		if err := readLegacyGroups(ctx, "legacy", []string{"workers-a", "gone"}, f); err != nil {
			return err
		}
		f.Addon, f.AddonError = readAddon(ctx, "legacy")
		return nil
	}, pulumi.WithMocks("eks-cilium", "test", answers))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"10.0.0.0/16", "10.1.0.0/16"}; !reflect.DeepEqual(f.VpcCidrs, want) {
		t.Errorf("VPC CIDRs %v, want %v (a disassociated block holds no addresses)", f.VpcCidrs, want)
	}
	wantRoutes := []migration.Route{{Table: "rtb-b", Cidr: "172.31.0.0/16", Target: "pcx-1"}, {Table: "rtb-b", Cidr: "192.168.0.0/16", Target: "tgw-1"}}
	if !reflect.DeepEqual(f.Routes, wantRoutes) {
		t.Errorf("routes %v, want %v (not the VPC's own, not the default route)", f.Routes, wantRoutes)
	}
	if g := f.LegacyGroups[0]; !g.Found || g.DesiredSize != 2 || !reflect.DeepEqual(g.SecurityGroupIds, []string{"sg-a", "sg-b"}) {
		t.Errorf("workers-a = %+v", g)
	}
	if g := f.LegacyGroups[1]; g.Found || g.Error == "" {
		t.Errorf("a group EKS does not know = %+v, want not found with EKS's answer", g)
	}
	if f.Addon != nil || f.AddonError == "" {
		t.Errorf("a cluster without the add-on: %+v, %q", f.Addon, f.AddonError)
	}
}
