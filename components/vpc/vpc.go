// Package vpc creates the network an eks-cilium cluster lives in: per availability zone a
// public subnet (load balancers, NAT) and a private subnet (nodes), NAT egress and an S3
// gateway endpoint. Pod IPs are not taken from these subnets: Cilium's overlay gives pods
// addresses from the cluster pool, so the subnets only need room for nodes.
package vpc

import (
	"fmt"
	"net/netip"

	"github.com/eks-cilium/eks-cilium/awsnames"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Token is the component's type token.
const Token = "eks-cilium:index:Vpc"

// NAT gateway layouts.
const (
	NatOnePerAz = "onePerAz"
	NatSingle   = "single"
)

// SubnetPair is the private and public subnet CIDR of one availability zone.
type SubnetPair struct {
	// Zone is the AZ name; empty takes the AZ of the same index from the region's list.
	Zone    string
	Private netip.Prefix
	Public  netip.Prefix
}

// VpcArgs are the inputs of Vpc. The subnet layout is plain data (it shapes the graph);
// compute it with ipplan.New, which also validates it.
type VpcArgs struct {
	// Cidr is the VPC's CIDR block.
	Cidr string
	// Subnets has one entry per availability zone.
	Subnets []SubnetPair
	// NatGateways is NatOnePerAz or NatSingle.
	NatGateways string
	// ClusterName tags the subnets for the AWS load balancer controller's discovery.
	ClusterName string
	// KarpenterDiscovery also tags the private subnets karpenter.sh/discovery=<ClusterName>,
	// where Karpenter's EC2NodeClasses look for subnets.
	KarpenterDiscovery bool
}

// Vpc is the created network.
type Vpc struct {
	pulumi.ResourceState

	// Egress are the private route table associations: once they exist, private subnets
	// route to NAT. Nodes depend on them (a component's own children are not a reliable
	// dependency target in Pulumi's Go SDK, so they are listed explicitly).
	Egress []pulumi.Resource `pulumi:"-"`
	// PrivateRouteTableIds are the private subnets' route tables, one per AZ in subnet order:
	// where routes to a ClusterMesh member's peers go.
	PrivateRouteTableIds []pulumi.StringOutput `pulumi:"-"`

	VpcId            pulumi.StringOutput      `pulumi:"vpcId"`
	PrivateSubnetIds pulumi.StringArrayOutput `pulumi:"privateSubnetIds"`
	PublicSubnetIds  pulumi.StringArrayOutput `pulumi:"publicSubnetIds"`
}

// NewVpc creates the VPC, its subnets, gateways and routes.
func NewVpc(ctx *pulumi.Context, name string, args *VpcArgs, opts ...pulumi.ResourceOption) (*Vpc, error) {
	if err := args.validate(); err != nil {
		return nil, err
	}
	comp := &Vpc{}
	if err := ctx.RegisterComponentResource(Token, name, comp, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(comp)

	vpc, err := ec2.NewVpc(ctx, name, &ec2.VpcArgs{
		CidrBlock: pulumi.String(args.Cidr),
		// Both are required for EKS private endpoint resolution and for nodes to register.
		EnableDnsSupport:   pulumi.Bool(true),
		EnableDnsHostnames: pulumi.Bool(true),
		Tags:               pulumi.StringMap{"Name": pulumi.String(name)},
	}, parent)
	if err != nil {
		return nil, err
	}
	igw, err := ec2.NewInternetGateway(ctx, name, &ec2.InternetGatewayArgs{
		VpcId: vpc.ID(),
		Tags:  pulumi.StringMap{"Name": pulumi.String(name)},
	}, parent)
	if err != nil {
		return nil, err
	}

	zones := zoneNames(ctx, args.Subnets, parent)
	publicRT, err := ec2.NewRouteTable(ctx, name+"-public", &ec2.RouteTableArgs{
		VpcId: vpc.ID(),
		Routes: ec2.RouteTableRouteArray{&ec2.RouteTableRouteArgs{
			CidrBlock: pulumi.String("0.0.0.0/0"), GatewayId: igw.ID(),
		}},
		Tags: pulumi.StringMap{"Name": pulumi.String(name + "-public")},
	}, parent)
	if err != nil {
		return nil, err
	}

	var publicIds, privateIds pulumi.StringArray
	var privateRTs pulumi.StringArray
	var nats []*ec2.NatGateway
	for i, s := range args.Subnets {
		az := fmt.Sprintf("%s-%d", name, i)
		// The tag key repeats the cluster name (awsnames checks its length).
		cluster := awsnames.ClusterTagKey(args.ClusterName)
		// Subnets never map public IPs: public ones hold load balancers and NAT gateways, and
		// nodes only ever go into private ones. The role tags let load balancers find them.
		subnet := func(suffix string, cidr netip.Prefix, roleTag string) (*ec2.Subnet, error) {
			tags := pulumi.StringMap{
				"Name":  pulumi.String(az + "-" + suffix),
				roleTag: pulumi.String("1"),
				cluster: pulumi.String("shared"),
			}
			if suffix == "private" && args.KarpenterDiscovery {
				tags["karpenter.sh/discovery"] = pulumi.String(args.ClusterName)
			}
			return ec2.NewSubnet(ctx, az+"-"+suffix, &ec2.SubnetArgs{
				VpcId:               vpc.ID(),
				CidrBlock:           pulumi.String(cidr.String()),
				AvailabilityZone:    zones[i],
				MapPublicIpOnLaunch: pulumi.Bool(false),
				Tags:                tags,
			}, parent)
		}
		pub, err := subnet("public", s.Public, "kubernetes.io/role/elb")
		if err != nil {
			return nil, err
		}
		if _, err := ec2.NewRouteTableAssociation(ctx, az+"-public", &ec2.RouteTableAssociationArgs{
			SubnetId: pub.ID(), RouteTableId: publicRT.ID(),
		}, parent); err != nil {
			return nil, err
		}
		priv, err := subnet("private", s.Private, "kubernetes.io/role/internal-elb")
		if err != nil {
			return nil, err
		}
		publicIds = append(publicIds, pub.ID())
		privateIds = append(privateIds, priv.ID())

		if i == 0 || args.NatGateways == NatOnePerAz {
			eip, err := ec2.NewEip(ctx, az+"-nat", &ec2.EipArgs{
				Domain: pulumi.String("vpc"),
				Tags:   pulumi.StringMap{"Name": pulumi.String(az + "-nat")},
			}, parent, pulumi.DependsOn([]pulumi.Resource{igw}))
			if err != nil {
				return nil, err
			}
			nat, err := ec2.NewNatGateway(ctx, az, &ec2.NatGatewayArgs{
				AllocationId: eip.ID(),
				SubnetId:     pub.ID(),
				Tags:         pulumi.StringMap{"Name": pulumi.String(az)},
			}, parent)
			if err != nil {
				return nil, err
			}
			nats = append(nats, nat)
		}
		// With a single NAT every AZ's private subnet egresses through AZ 0's.
		nat := nats[len(nats)-1]
		rt, err := ec2.NewRouteTable(ctx, az+"-private", &ec2.RouteTableArgs{
			VpcId: vpc.ID(),
			Routes: ec2.RouteTableRouteArray{&ec2.RouteTableRouteArgs{
				CidrBlock: pulumi.String("0.0.0.0/0"), NatGatewayId: nat.ID(),
			}},
			Tags: pulumi.StringMap{"Name": pulumi.String(az + "-private")},
		}, parent)
		if err != nil {
			return nil, err
		}
		assoc, err := ec2.NewRouteTableAssociation(ctx, az+"-private", &ec2.RouteTableAssociationArgs{
			SubnetId: priv.ID(), RouteTableId: rt.ID(),
		}, parent)
		if err != nil {
			return nil, err
		}
		comp.Egress = append(comp.Egress, assoc)
		privateRTs = append(privateRTs, rt.ID())
		comp.PrivateRouteTableIds = append(comp.PrivateRouteTableIds, rt.ID().ToStringOutput())
	}

	// Image layers from ECR are served by S3: the gateway endpoint keeps that traffic off NAT.
	if _, err := ec2.NewVpcEndpoint(ctx, name+"-s3", &ec2.VpcEndpointArgs{
		VpcId:           vpc.ID(),
		ServiceName:     pulumi.Sprintf("com.amazonaws.%s.s3", aws.GetRegionOutput(ctx, aws.GetRegionOutputArgs{}, parent).Name()),
		VpcEndpointType: pulumi.String("Gateway"),
		RouteTableIds:   privateRTs,
		Tags:            pulumi.StringMap{"Name": pulumi.String(name + "-s3")},
	}, parent); err != nil {
		return nil, err
	}

	comp.VpcId = vpc.ID().ToStringOutput()
	comp.PrivateSubnetIds = privateIds.ToStringArrayOutput()
	comp.PublicSubnetIds = publicIds.ToStringArrayOutput()
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"vpcId":            comp.VpcId,
		"privateSubnetIds": comp.PrivateSubnetIds,
		"publicSubnetIds":  comp.PublicSubnetIds,
	}); err != nil {
		return nil, err
	}
	return comp, nil
}

func (a *VpcArgs) validate() error {
	if _, err := netip.ParsePrefix(a.Cidr); err != nil {
		return fmt.Errorf("vpc: Cidr %q: %w", a.Cidr, err)
	}
	if len(a.Subnets) < 2 {
		return fmt.Errorf("vpc: Subnets has %d entries; EKS needs subnets in at least 2 availability zones", len(a.Subnets))
	}
	if a.NatGateways != NatOnePerAz && a.NatGateways != NatSingle {
		return fmt.Errorf("vpc: NatGateways %q: must be %q or %q", a.NatGateways, NatOnePerAz, NatSingle)
	}
	return nil
}

// zoneNames returns the AZ of each subnet pair: the configured name, or the region's
// available zones in order.
func zoneNames(ctx *pulumi.Context, subnets []SubnetPair, opt pulumi.ResourceOrInvokeOption) []pulumi.StringInput {
	out := make([]pulumi.StringInput, len(subnets))
	var available *aws.GetAvailabilityZonesResultOutput
	for i, s := range subnets {
		if s.Zone != "" {
			out[i] = pulumi.String(s.Zone)
			continue
		}
		if available == nil {
			zones := aws.GetAvailabilityZonesOutput(ctx, aws.GetAvailabilityZonesOutputArgs{
				State: pulumi.String("available"),
			}, opt)
			available = &zones
		}
		out[i] = available.Names().Index(pulumi.Int(i))
	}
	return out
}
