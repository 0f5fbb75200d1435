// Package live reads what only an adopted cluster and its AWS account know (migration.Facts)
// for the migration's checks: from AWS through pulumi-aws's data sources (invokes, which run
// in previews too and register nothing), from EKS's Fargate API, and from the Kubernetes API
// with the cluster's kubeconfig. Nothing here changes anything.
package live

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/eks-cilium/eks-cilium/components/cluster"
	"github.com/eks-cilium/eks-cilium/migration"
	"github.com/eks-cilium/eks-cilium/stackconfig"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Timeout bounds all the reads of one run: an unreachable API must fail the preview, not
// hang it.
const Timeout = 2 * time.Minute

// Read gathers the facts of an adopted cluster that found describes. Errors name what could
// not be read; the program then refuses to continue (a check it cannot make is not passed).
func Read(ctx *pulumi.Context, cfg stackconfig.Config, found *cluster.Found) (*migration.Facts, error) {
	f := &migration.Facts{Cluster: migration.ClusterFacts{
		Name: found.Name, Version: found.Version, VpcId: found.VpcId, ServiceCidr: found.ServiceCidr,
		IpFamily: found.IpFamily, SecurityGroupId: found.SecurityGroupId, AutoMode: found.AutoMode,
	}}
	if err := readVpc(ctx, found.VpcId, f); err != nil {
		return nil, err
	}
	if cfg.Migration != nil {
		if err := readLegacyGroups(ctx, found.Name, cfg.Migration.LegacyNodeGroups, f); err != nil {
			return nil, err
		}
		f.Addon, f.AddonError = readAddon(ctx, found.Name)
	}
	c, cancel := context.WithTimeout(ctx.Context(), Timeout)
	defer cancel()
	profiles, err := FargateProfiles(c, cfg.Region, found.Name)
	if err != nil {
		return nil, fmt.Errorf("listing the Fargate profiles of %s: %w", found.Name, err)
	}
	f.FargateProfiles = profiles
	kube, err := NewKube([]byte(found.Kubeconfig(cfg.Region)))
	if err != nil {
		return nil, err
	}
	if err := kube.Read(c, f); err != nil {
		return nil, fmt.Errorf("reading cluster %s through the Kubernetes API: %w", found.Name, err)
	}
	return f, nil
}

// readVpc reads the VPC's CIDRs (primary and secondary) and its routes that leave it.
func readVpc(ctx *pulumi.Context, vpcId string, f *migration.Facts) error {
	v, err := ec2.LookupVpc(ctx, &ec2.LookupVpcArgs{Id: &vpcId})
	if err != nil {
		return fmt.Errorf("looking up VPC %s: %w", vpcId, err)
	}
	seen := map[string]bool{}
	for _, c := range append([]string{v.CidrBlock}, cidrsOf(v.CidrBlockAssociations)...) {
		if c != "" && !seen[c] {
			seen[c] = true
			f.VpcCidrs = append(f.VpcCidrs, c)
		}
	}
	tables, err := ec2.GetRouteTables(ctx, &ec2.GetRouteTablesArgs{VpcId: &vpcId})
	if err != nil {
		return fmt.Errorf("listing the route tables of VPC %s: %w", vpcId, err)
	}
	ids := append([]string(nil), tables.Ids...)
	sort.Strings(ids)
	for _, id := range ids {
		t, err := ec2.LookupRouteTable(ctx, &ec2.LookupRouteTableArgs{RouteTableId: &id})
		if err != nil {
			return fmt.Errorf("reading route table %s: %w", id, err)
		}
		for _, r := range t.Routes {
			// The default route claims no range of its own, and "local" is the VPC itself.
			if r.CidrBlock == "" || r.CidrBlock == "0.0.0.0/0" || r.GatewayId == "local" {
				continue
			}
			f.Routes = append(f.Routes, migration.Route{Table: id, Cidr: r.CidrBlock, Target: routeTarget(r)})
		}
	}
	return nil
}

func cidrsOf(assocs []ec2.GetVpcCidrBlockAssociation) []string {
	var out []string
	for _, a := range assocs {
		// Associations being removed or that failed hold no addresses.
		if a.State == "" || a.State == "associated" || a.State == "associating" {
			out = append(out, a.CidrBlock)
		}
	}
	return out
}

// routeTarget names where a route goes, for the refusal's message.
func routeTarget(r ec2.GetRouteTableRoute) string {
	for _, t := range []string{r.VpcPeeringConnectionId, r.TransitGatewayId, r.GatewayId, r.NatGatewayId, r.NetworkInterfaceId,
		r.InstanceId, r.LocalGatewayId, r.CarrierGatewayId, r.CoreNetworkArn, r.VpcEndpointId, r.EgressOnlyGatewayId} {
		if t != "" {
			return t
		}
	}
	return "a target"
}

// readLegacyGroups reads each legacy node group from EKS and the security groups its launch
// template gives its nodes. A group EKS cannot read is recorded with the reason, not fatal:
// the migration refuses it by name (or, once aws-node is gone, ignores a deleted group).
func readLegacyGroups(ctx *pulumi.Context, clusterName string, names []string, f *migration.Facts) error {
	for _, name := range names {
		g := migration.LegacyGroup{Name: name}
		ng, err := eks.LookupNodeGroup(ctx, &eks.LookupNodeGroupArgs{ClusterName: clusterName, NodeGroupName: name})
		if err != nil {
			g.Error = err.Error()
			f.LegacyGroups = append(f.LegacyGroups, g)
			continue
		}
		g.Found = true
		for _, s := range ng.ScalingConfigs {
			g.DesiredSize += s.DesiredSize
		}
		for _, lt := range ng.LaunchTemplates {
			id := lt.Id
			t, err := ec2.LookupLaunchTemplate(ctx, &ec2.LookupLaunchTemplateArgs{Id: &id})
			if err != nil {
				return fmt.Errorf("reading launch template %s of node group %s: %w", id, name, err)
			}
			sgs := append([]string(nil), t.VpcSecurityGroupIds...)
			for _, ni := range t.NetworkInterfaces {
				sgs = append(sgs, ni.SecurityGroups...)
			}
			g.SecurityGroupIds = append(g.SecurityGroupIds, sgs...)
		}
		sort.Strings(g.SecurityGroupIds)
		f.LegacyGroups = append(f.LegacyGroups, g)
	}
	return nil
}

// readAddon reads the vpc-cni add-on; a cluster without one answers with an error, returned
// as text for the migration's message.
func readAddon(ctx *pulumi.Context, clusterName string) (*migration.Addon, string) {
	a, err := eks.LookupAddon(ctx, &eks.LookupAddonArgs{ClusterName: clusterName, AddonName: migration.AddonName})
	if err != nil {
		return nil, strings.TrimSpace(err.Error())
	}
	return &migration.Addon{Version: a.AddonVersion, ConfigurationValues: a.ConfigurationValues}, ""
}
