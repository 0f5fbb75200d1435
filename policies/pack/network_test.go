package pack

import (
	"context"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
)

func podCIDRNoOverlap() policyx.Policy { return newPodCIDRNoOverlap() }

func TestPodCIDRNoOverlap_AcceptsDisjointRanges(t *testing.T) {
	release := analyzerResource(t, typeHelmRelease, "cilium", goodCiliumRelease()) // 10.200.0.0/16
	runSequenceCases(t, podCIDRNoOverlap, []stackCase{
		{name: "pods, VPC and services apart", resources: []policyx.AnalyzerResource{
			analyzerResource(t, typeAwsVpc, "main", map[string]any{"cidrBlock": "192.168.0.0/16"}),
			analyzerResource(t, typeAwsVpcCidrAssoc, "extra", map[string]any{"vpcId": "vpc-0123", "cidrBlock": "100.64.0.0/16"}),
			analyzerResource(t, typeEksCluster, "main", goodEksCluster()),    // 172.20.0.0/16
			analyzerResource(t, typeAwsEksCluster, "main", goodAwsCluster()), // 172.20.0.0/16
			release,
		}},
		{name: "no Cilium release", resources: []policyx.AnalyzerResource{
			analyzerResource(t, typeAwsVpc, "main", map[string]any{"cidrBlock": "10.200.0.0/16"}),
		}},
		{name: "component registered by its provider (no inputs)", resources: []policyx.AnalyzerResource{
			analyzerResource(t, typeEksCluster, "main", map[string]any{}),
			analyzerResource(t, typeHelmRelease, "cilium",
				releaseWithValue([]any{"10.100.0.0/16"}, "ipam", "operator", "clusterPoolIPv4PodCIDRList")),
		}},
	})
}

func TestPodCIDRNoOverlap_RejectsOverlappingRanges(t *testing.T) {
	pods := func(cidrs ...any) policyx.AnalyzerResource {
		return analyzerResource(t, typeHelmRelease, "cilium", releaseWithValue(cidrs, "ipam", "operator", "clusterPoolIPv4PodCIDRList"))
	}
	inVpc := pods("192.168.128.0/17")
	runSequenceCases(t, podCIDRNoOverlap, []stackCase{
		{name: "pod CIDR inside the VPC", resources: []policyx.AnalyzerResource{
			analyzerResource(t, typeAwsVpc, "main", map[string]any{"cidrBlock": "192.168.0.0/16"}), inVpc,
		}, want: 1, wantURN: inVpc.URN,
			contains: []string{"pod CIDR 192.168.128.0/17 (values.ipam.operator.clusterPoolIPv4PodCIDRList) overlaps " +
				"192.168.0.0/16, the cidrBlock of aws:ec2/vpc:Vpc main"}},
		{name: "pod CIDR covering a secondary VPC CIDR", resources: []policyx.AnalyzerResource{
			analyzerResource(t, typeAwsVpcCidrAssoc, "extra", map[string]any{"cidrBlock": "100.64.0.0/16"}), pods("100.0.0.0/8"),
		}, want: 1, contains: []string{"overlaps 100.64.0.0/16"}},
		{name: "pod CIDR equal to the pulumi-eks service CIDR", resources: []policyx.AnalyzerResource{
			analyzerResource(t, typeEksCluster, "main", goodEksCluster()), pods("10.200.0.0/16", "172.20.0.0/20"),
		}, want: 1, contains: []string{"pod CIDR 172.20.0.0/20", "kubernetesServiceIpAddressRange) of eks:index:Cluster main"}},
		{name: "pod CIDR covering the aws cluster service CIDR", resources: []policyx.AnalyzerResource{
			analyzerResource(t, typeAwsEksCluster, "main",
				withPath(goodAwsCluster(), "10.210.0.0/16", "kubernetesNetworkConfig", "serviceIpv4Cidr")),
			pods("10.192.0.0/11"),
		}, want: 1, contains: []string{"overlaps 10.210.0.0/16, the service CIDR (kubernetesNetworkConfig.serviceIpv4Cidr)"}},
		{name: "service CIDR left to EKS", resources: []policyx.AnalyzerResource{
			analyzerResource(t, typeEksCluster, "main", withPath(goodEksCluster(), deleted, "kubernetesServiceIpAddressRange")),
			pods("10.100.0.0/16"),
		}, want: 1, contains: []string{"overlaps 10.100.0.0/16, a service CIDR EKS may pick"}},
		{name: "pool list as one string overlapping the VPC", resources: []policyx.AnalyzerResource{
			analyzerResource(t, typeAwsVpc, "main", map[string]any{"cidrBlock": "10.0.0.0/16"}),
			analyzerResource(t, typeHelmRelease, "cilium", releaseWithValue("10.0.0.0/8", "ipam", "operator", "clusterPoolIPv4PodCIDRList")),
		}, want: 1, contains: []string{"pod CIDR 10.0.0.0/8"}},
		{name: "same overlap seen through the component and its cluster is reported once", resources: []policyx.AnalyzerResource{
			analyzerResource(t, typeEksCluster, "main", goodEksCluster()),
			analyzerResource(t, typeAwsEksCluster, "main", goodAwsCluster()),
			pods("172.20.0.0/16"),
		}, want: 1},
	})
}

func TestPodCIDRNoOverlap_SkipsUnknownValues(t *testing.T) {
	overlapping := analyzerResource(t, typeHelmRelease, "cilium",
		releaseWithValue([]any{"192.168.0.0/16", computed}, "ipam", "operator", "clusterPoolIPv4PodCIDRList"))
	runSequenceCases(t, podCIDRNoOverlap, []stackCase{
		{name: "VPC CIDR unknown", resources: []policyx.AnalyzerResource{
			analyzerResource(t, typeAwsVpc, "main", map[string]any{"cidrBlock": computed}), overlapping,
		}},
		{name: "pod CIDR list unknown", resources: []policyx.AnalyzerResource{
			analyzerResource(t, typeAwsVpc, "main", map[string]any{"cidrBlock": "10.0.0.0/8"}),
			analyzerResource(t, typeHelmRelease, "cilium", releaseWithValue(computed, "ipam", "operator", "clusterPoolIPv4PodCIDRList")),
		}},
		{name: "release values unknown", resources: []policyx.AnalyzerResource{
			analyzerResource(t, typeAwsVpc, "main", map[string]any{"cidrBlock": "10.0.0.0/8"}),
			analyzerResource(t, typeHelmRelease, "cilium", withPath(goodCiliumRelease(), computed, "values")),
		}},
		{name: "aws cluster network config unknown", resources: []policyx.AnalyzerResource{
			analyzerResource(t, typeAwsEksCluster, "main", withPath(goodAwsCluster(), computed, "kubernetesNetworkConfig")),
			analyzerResource(t, typeHelmRelease, "cilium", releaseWithValue([]any{"10.100.0.0/16"}, "ipam", "operator", "clusterPoolIPv4PodCIDRList")),
		}},
		{name: "service range unknown", resources: []policyx.AnalyzerResource{
			analyzerResource(t, typeEksCluster, "main", withPath(goodEksCluster(), computed, "kubernetesServiceIpAddressRange")),
			analyzerResource(t, typeHelmRelease, "cilium", releaseWithValue([]any{"10.100.0.0/16"}, "ipam", "operator", "clusterPoolIPv4PodCIDRList")),
		}},
	})
}

// The engine analyzes resources in the order the program registers them; an overlap is found
// whichever of the two comes first, and reported on the second, before it is created.
func TestPodCIDRNoOverlap_ReportsOnWhicheverResourceComesSecond(t *testing.T) {
	vpc := analyzerResource(t, typeAwsVpc, "main", map[string]any{"cidrBlock": "192.168.0.0/16"})
	release := analyzerResource(t, typeHelmRelease, "cilium", releaseWithValue([]any{"192.168.0.0/16"}, "ipam", "operator", "clusterPoolIPv4PodCIDRList"))
	runSequenceCases(t, podCIDRNoOverlap, []stackCase{
		{name: "VPC first: reported on the release", resources: []policyx.AnalyzerResource{vpc, release},
			want: 1, wantURN: release.URN, contains: []string{"pod CIDR 192.168.0.0/16"}},
		{name: "release first: reported on the VPC", resources: []policyx.AnalyzerResource{release, vpc},
			want: 1, wantURN: vpc.URN, contains: []string{"192.168.0.0/16, the cidrBlock of aws:ec2/vpc:Vpc main, overlaps pod CIDR 192.168.0.0/16 of the Cilium release cilium"}},
		{name: "analyzed again in the update after the preview: reported again", resources: []policyx.AnalyzerResource{vpc, release, vpc, release},
			want: 3},
	})
}

// Each pack starts with an empty memory: ranges of one run never reach the next.
func TestPodCIDRNoOverlap_ForgetsBetweenRuns(t *testing.T) {
	first := newPodCIDRNoOverlap()
	second := newPodCIDRNoOverlap()
	manager := &recordingManager{}
	for _, step := range []struct {
		policy policyx.ResourceValidationPolicy
		res    policyx.AnalyzerResource
	}{
		{first, analyzerResource(t, typeAwsVpc, "main", map[string]any{"cidrBlock": "192.168.0.0/16"})},
		{second, analyzerResource(t, typeHelmRelease, "cilium", releaseWithValue([]any{"192.168.0.0/16"}, "ipam", "operator", "clusterPoolIPv4PodCIDRList"))},
	} {
		if err := step.policy.Validate(context.Background(), policyx.ResourceValidationArgs{Manager: manager, Resource: step.res}); err != nil {
			t.Fatal(err)
		}
	}
	if len(manager.violations) != 0 {
		t.Errorf("a fresh pack saw the VPC of another run: %v", manager.violations)
	}
}
