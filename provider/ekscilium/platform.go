package ekscilium

import (
	"fmt"
	"os"

	"github.com/eks-cilium/eks-cilium/components/platform"
	"github.com/eks-cilium/eks-cilium/stackconfig"
	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
)

// Platform is components/platform.Platform as other languages see it: the same resource
// (same type token, same children), with its outputs as schema properties.
//
// The resource itself is registered by platform.NewPlatform; Platform embeds it as a
// pulumi.ComponentResource, so the component is registered once and its URN is the
// library's. (An interface, not *pulumi.ResourceState: infer's annotator walks promoted
// struct fields and panics on a nil embedded pointer.) IDs are exposed as strings: an
// IDOutput field makes pulumi-go-provider v1.5.0's schema generation loop forever.
type Platform struct {
	pulumi.ComponentResource

	ClusterName      pulumi.StringOutput      `pulumi:"clusterName"`
	ClusterEndpoint  pulumi.StringOutput      `pulumi:"clusterEndpoint"`
	Kubeconfig       pulumi.StringOutput      `pulumi:"kubeconfig" provider:"secret"`
	VpcId            pulumi.StringOutput      `pulumi:"vpcId"`
	PrivateSubnetIds pulumi.StringArrayOutput `pulumi:"privateSubnetIds"`
	PodCidrs         pulumi.StringArrayOutput `pulumi:"podCidrs"`
	PodCidrMaskSize  pulumi.IntOutput         `pulumi:"podCidrMaskSize"`
}

func (p *Platform) Annotate(an infer.Annotator) {
	an.SetToken("index", "Platform")
	an.Describe(p, "An Amazon EKS cluster whose only CNI is Cilium, with cluster-pool IPAM and overlay (tunnel) routing: "+
		"VPC -> EKS without aws-node -> Cilium (before any node) -> managed node groups -> CoreDNS. "+
		"Every input is validated before any resource is registered; an invalid configuration fails with the key, the value and the rule.")
	an.Describe(&p.ClusterName, "Name of the EKS cluster.")
	an.Describe(&p.ClusterEndpoint, "URL of the Kubernetes API server.")
	an.Describe(&p.Kubeconfig, "Kubeconfig (JSON) for the cluster; it runs `aws eks get-token`, so the AWS CLI must be on PATH.")
	an.Describe(&p.VpcId, "ID of the VPC the cluster runs in (created or given).")
	an.Describe(&p.PrivateSubnetIds, "Private subnets, where the nodes run.")
	an.Describe(&p.PodCidrs, "Cilium's cluster pool (clusterPoolIPv4PodCIDRList) as validated; every pod IP is in one of these.")
	an.Describe(&p.PodCidrMaskSize, "Prefix length of each node's pod CIDR (clusterPoolIPv4MaskSize).")
}

// NewPlatform builds the platform the arguments describe with platform.NewPlatform. The
// stack name (for the default cluster name) and aws:region (to check pinned zone names)
// come from the calling program.
func NewPlatform(ctx *pulumi.Context, name string, args PlatformArgs, opts ...pulumi.ResourceOption) (*Platform, error) {
	// The planner requires the region; a consumer may set it in config or the environment.
	region, _ := config.Try(ctx, "aws:region")
	if region == "" {
		region = os.Getenv("AWS_REGION")
	}
	cfg, err := args.Config(ctx.Stack(), region)
	if err != nil {
		return nil, err
	}
	if cfg.ClusterMesh != nil {
		// A member reads its peers' outputs through StackReferences before it is planned
		// (program.ReadMesh), which a component constructed by another program does not do.
		return nil, fmt.Errorf("clusterMesh is not served by the component: a ClusterMesh member is deployed by the eks-cilium Go program, which reads its peers' outputs through StackReferences (docs/fleet.md)")
	}
	// The migration advances one phase per update against the phase the stack deployed
	// before, which only the Go program reads (its own previous outputs); a component cannot.
	if cfg.Cluster.Existing {
		return nil, stackconfig.Problems{{
			Key: stackconfig.KeyClusterExisting, Value: "true",
			Rule: "adopting and migrating a cluster needs the day-2 guard, which reads the stack's own previous outputs; the component cannot",
			Fix:  "run the eks-cilium Go program (main.go) for the adopted cluster",
		}}
	}
	lib, err := platform.NewPlatform(ctx, name, &platform.PlatformArgs{Config: cfg}, opts...)
	if err != nil {
		return nil, err
	}
	ip := lib.Plan.IP
	cidrs := make([]string, len(ip.PodCIDRs))
	for i, c := range ip.PodCIDRs {
		cidrs[i] = c.String()
	}
	return &Platform{
		ComponentResource: lib,
		ClusterName:       lib.ClusterName,
		ClusterEndpoint:   lib.ClusterEndpoint,
		Kubeconfig:        lib.Kubeconfig,
		VpcId:             lib.VpcId,
		PrivateSubnetIds:  lib.PrivateSubnetIds,
		PodCidrs:          pulumi.ToStringArray(cidrs).ToStringArrayOutput(),
		PodCidrMaskSize:   pulumi.Int(ip.MaskSize).ToIntOutput(),
	}, nil
}
