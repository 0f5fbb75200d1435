// Package mesh connects a ClusterMesh member's network to its peers': a VPC peering
// connection per pair (requested by the lower ID, accepted by the higher) or an attachment to
// a transit gateway, a route to each peer's VPC in every private route table, and the node
// security group rules for the traffic Cilium sends between the clusters' nodes, and the
// clustermesh-apiserver Service, an internal NLB of the AWS Load Balancer Controller. The
// Cilium side (cluster identity, peers, the CA) is in the Cilium release's values.
package mesh

import (
	"fmt"
	"strings"

	"github.com/eks-cilium/eks-cilium/charts"
	"github.com/eks-cilium/eks-cilium/fleet"
	"github.com/eks-cilium/eks-cilium/stackconfig"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2transitgateway"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Token is the component's type token.
const Token = "eks-cilium:index:ClusterMesh"

// ClusterMeshArgs are the inputs of ClusterMesh. The wiring (which peers, who requests) is
// plain data from the plan (plan.Mesh); what the cloud computes is Inputs.
type ClusterMeshArgs struct {
	// Self is this member; Links its peers with the peering decisions (fleet.Wire).
	Self  fleet.Member
	Links []fleet.Link
	// VpcId, PrivateSubnetIds and PrivateRouteTableIds are this member's VPC.
	VpcId                pulumi.StringInput
	PrivateSubnetIds     pulumi.StringArrayInput
	PrivateRouteTableIds []pulumi.StringOutput
	// NodeSecurityGroupId is the security group of the nodes (the EKS cluster security group).
	NodeSecurityGroupId pulumi.StringInput
	// Ingress are the rules every peer's VPC gets on the nodes (fleet.PeerIngress).
	Ingress []fleet.IngressRule
	// Service is the clustermesh-apiserver Service (charts.ClusterMeshAPIServerService), made
	// with Provider after ServiceDependsOn: the load balancer controller's release (which
	// makes its NLB, and removes it when the Service is deleted) and the Cilium release.
	Service          charts.MeshAPIServerService
	Provider         *kubernetes.Provider
	ServiceDependsOn []pulumi.Resource
}

// ClusterMesh is a member's side of the mesh network.
type ClusterMesh struct {
	pulumi.ResourceState

	// Peerings are the peering connections this member requested, by peer stack: the higher
	// ID accepts the one named after it.
	Peerings pulumi.StringMapOutput `pulumi:"peerings"`
}

// NewClusterMesh creates the member's side of the network to every peer in Links.
func NewClusterMesh(ctx *pulumi.Context, name string, args *ClusterMeshArgs, opts ...pulumi.ResourceOption) (*ClusterMesh, error) {
	if args == nil || args.VpcId == nil || args.NodeSecurityGroupId == nil || args.Provider == nil {
		return nil, fmt.Errorf("cluster mesh %s: VpcId, NodeSecurityGroupId and Provider are required", name)
	}
	comp := &ClusterMesh{}
	if err := ctx.RegisterComponentResource(Token, name, comp, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(comp)
	self := args.Self
	tags := func(what string) pulumi.StringMap {
		return pulumi.StringMap{"Name": pulumi.String(name + "-" + what)}
	}

	var attachment *ec2transitgateway.VpcAttachment
	if self.Connectivity == stackconfig.ConnectivityTransitGateway {
		var err error
		// Associated with and propagated to the gateway's default route table, where the other
		// members' attachments are (AWS defaults for a transit gateway's attachments).
		attachment, err = ec2transitgateway.NewVpcAttachment(ctx, name+"-mesh", &ec2transitgateway.VpcAttachmentArgs{
			TransitGatewayId: pulumi.String(self.TransitGatewayID),
			VpcId:            args.VpcId,
			SubnetIds:        args.PrivateSubnetIds,
			Tags:             tags("mesh"),
		}, parent)
		if err != nil {
			return nil, err
		}
	}

	requested := pulumi.StringMap{}
	for _, link := range args.Links {
		peer := link.Peer
		prefix := name + "-mesh-" + peer.Stack
		var via func(*ec2.RouteArgs)
		var after []pulumi.Resource
		switch {
		case attachment != nil:
			via = func(r *ec2.RouteArgs) { r.TransitGatewayId = pulumi.String(self.TransitGatewayID) }
			after = []pulumi.Resource{attachment}
		case link.Request:
			peering := &ec2.VpcPeeringConnectionArgs{
				VpcId:     args.VpcId,
				PeerVpcId: pulumi.String(peer.VpcID),
				Tags:      tags("mesh-" + peer.Stack),
			}
			// A peer in another Region accepts in its own Region (VPC peering guide,
			// "Create a VPC peering connection").
			if peer.Region != self.Region {
				peering.PeerRegion = pulumi.String(peer.Region)
			}
			pcx, err := ec2.NewVpcPeeringConnection(ctx, prefix, peering, parent)
			if err != nil {
				return nil, err
			}
			requested[peer.Stack] = pcx.ID().ToStringOutput()
			// A route to a connection still pending acceptance is a blackhole until the peer
			// accepts (VPC peering guide, vpc-peering-routing.html), so routes need not wait.
			via = func(r *ec2.RouteArgs) { r.VpcPeeringConnectionId = pcx.ID() }
			after = []pulumi.Resource{pcx}
		case link.PeeringID != "":
			accepter, err := ec2.NewVpcPeeringConnectionAccepter(ctx, prefix, &ec2.VpcPeeringConnectionAccepterArgs{
				VpcPeeringConnectionId: pulumi.String(link.PeeringID),
				AutoAccept:             pulumi.Bool(true),
				Tags:                   tags("mesh-" + peer.Stack),
			}, parent)
			if err != nil {
				return nil, err
			}
			via = func(r *ec2.RouteArgs) { r.VpcPeeringConnectionId = accepter.ID() }
			after = []pulumi.Resource{accepter}
		}
		if via != nil {
			for i, rt := range args.PrivateRouteTableIds {
				route := &ec2.RouteArgs{RouteTableId: rt, DestinationCidrBlock: pulumi.String(peer.VpcCIDR.String())}
				via(route)
				if _, err := ec2.NewRoute(ctx, fmt.Sprintf("%s-%d", prefix, i), route, parent, pulumi.DependsOn(after)); err != nil {
					return nil, err
				}
			}
		}
		for _, rule := range args.Ingress {
			if _, err := ec2.NewSecurityGroupRule(ctx, prefix+"-"+rule.Name, &ec2.SecurityGroupRuleArgs{
				Type:            pulumi.String("ingress"),
				SecurityGroupId: args.NodeSecurityGroupId,
				Protocol:        pulumi.String(rule.Protocol),
				FromPort:        pulumi.Int(rule.FromPort),
				ToPort:          pulumi.Int(rule.ToPort),
				CidrBlocks:      pulumi.StringArray{pulumi.String(peer.VpcCIDR.String())},
				Description:     pulumi.String(rule.Why + " from mesh peer " + peer.Stack),
			}, parent); err != nil {
				return nil, err
			}
		}
	}
	svc := args.Service
	annotations := pulumi.StringMap{}
	for k, v := range svc.Annotations {
		annotations[k] = pulumi.String(v)
		if v == charts.PlaceholderSubnets {
			annotations[k] = args.PrivateSubnetIds.ToStringArrayOutput().ApplyT(func(ids []string) string {
				return strings.Join(ids, ", ")
			}).(pulumi.StringOutput)
		}
	}
	if _, err := corev1.NewService(ctx, name+"-clustermesh-apiserver", &corev1.ServiceArgs{
		Metadata: &metav1.ObjectMetaArgs{
			Name:        pulumi.String(svc.Name),
			Namespace:   pulumi.String(svc.Namespace),
			Labels:      pulumi.ToStringMap(svc.Labels),
			Annotations: annotations,
		},
		Spec: &corev1.ServiceSpecArgs{
			Type:                     pulumi.String("LoadBalancer"),
			LoadBalancerClass:        pulumi.String(svc.LoadBalancerClass),
			LoadBalancerSourceRanges: pulumi.ToStringArray(svc.SourceRanges),
			Selector:                 pulumi.ToStringMap(svc.Selector),
			Ports: corev1.ServicePortArray{&corev1.ServicePortArgs{
				Name: pulumi.String("etcd"), Port: pulumi.Int(svc.Port), Protocol: pulumi.String("TCP"),
			}},
		},
	}, parent, pulumi.Provider(args.Provider), pulumi.DependsOn(args.ServiceDependsOn)); err != nil {
		return nil, err
	}

	comp.Peerings = requested.ToStringMapOutput()
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{"peerings": comp.Peerings}); err != nil {
		return nil, err
	}
	return comp, nil
}
