package tests

import (
	"strings"
	"sync"
	"testing"

	"github.com/eks-cilium/eks-cilium/program"
	"github.com/eks-cilium/eks-cilium/render"
	"github.com/eks-cilium/eks-cilium/stackconfig"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// eksReportsVersion answers like the render's cloud, except that the EKS cluster reports
// version (what EKS runs) whatever the program asked for, and records the SSM parameters the
// program looks node images up with.
type eksReportsVersion struct {
	pulumi.MockResourceMonitor
	version string

	mu     sync.Mutex
	params []string
}

func (m *eksReportsVersion) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	id, outs, err := m.MockResourceMonitor.NewResource(args)
	if args.TypeToken == "eks:index:Cluster" && err == nil {
		outs["version"] = resource.NewProperty(m.version)
	}
	return id, outs, err
}

func (m *eksReportsVersion) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	if args.Token == "aws:ssm/getParameter:getParameter" {
		m.mu.Lock()
		m.params = append(m.params, args.Args["name"].StringValue())
		m.mu.Unlock()
	}
	return m.MockResourceMonitor.Call(args)
}

// The node groups boot the image of the version the control plane runs, as EKS reports it,
// not the configured one: configured 1.35 on a control plane that still runs 1.34 (an update
// EKS reverted) looks up 1.34's image.
func TestNodeGroup_AMIFollowsTheDeployedControlPlaneVersion(t *testing.T) {
	_, values, err := stackconfig.LoadFile("../stacks/Pulumi.prod.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, reported := range []string{"1.35", "1.34"} {
		mocks := &eksReportsVersion{MockResourceMonitor: render.NewMocks("prod", "eu-west-1", true, nil), version: reported}
		err := pulumi.RunErr(program.Run, pulumi.WithMocksWithOrganization("organization", "eks-cilium", "prod", mocks),
			func(info *pulumi.RunInfo) { info.Config = values })
		if err != nil {
			t.Fatal(err)
		}
		if len(mocks.params) != 2 {
			t.Fatalf("EKS reports %s: %d node image look-ups, want one per node group: %v", reported, len(mocks.params), mocks.params)
		}
		for _, p := range mocks.params {
			want := "/aws/service/eks/optimized-ami/" + reported + "/amazon-linux-2023/x86_64/standard/amazon-eks-node-al2023-x86_64-standard-" + reported + "-v20260714/image_id"
			if p != want {
				t.Errorf("EKS reports %s: node image from %s, want %s", reported, p, want)
			}
		}
	}
	if !strings.Contains(values[stackconfig.KeyCluster], `"version":"1.35"`) {
		t.Fatalf("prod is not configured at 1.35, so this test shows nothing: %s", values[stackconfig.KeyCluster])
	}
}
