package karpenter

import (
	"sync"
	"testing"

	"github.com/eks-cilium/eks-cilium/charts"
	"github.com/eks-cilium/eks-cilium/stackconfig"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// cloud answers the AWS lookups the component makes and records every Release by its name.
type cloud struct {
	mu       sync.Mutex
	releases map[string]resource.PropertyMap
}

func (c *cloud) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	outs := args.Inputs.Copy()
	switch args.TypeToken {
	case "kubernetes:helm.sh/v3:Release":
		c.mu.Lock()
		c.releases[args.Inputs["name"].StringValue()] = args.Inputs
		c.mu.Unlock()
	case "aws:iam/role:Role", "aws:sqs/queue:Queue":
		outs["arn"] = resource.NewStringProperty("arn:aws:iam::123456789012:role/" + args.Name)
		outs["name"] = resource.NewStringProperty(args.Name)
	}
	return args.Name + "-id", outs, nil
}

func (c *cloud) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	switch args.Token {
	case "aws:index/getPartition:getPartition":
		return resource.PropertyMap{"partition": resource.NewStringProperty("aws")}, nil
	case "aws:index/getRegion:getRegion":
		return resource.PropertyMap{"name": resource.NewStringProperty("eu-west-1")}, nil
	case "aws:index/getCallerIdentity:getCallerIdentity":
		return resource.PropertyMap{"accountId": resource.NewStringProperty("123456789012")}, nil
	}
	return resource.PropertyMap{}, nil
}

func chartOf(in resource.PropertyMap) charts.Ref {
	ref := charts.Ref{Chart: in["chart"].StringValue(), Version: in["version"].StringValue()}
	if opts, ok := in["repositoryOpts"]; ok && opts.IsObject() {
		ref.Repo = opts.ObjectValue()["repo"].StringValue()
	}
	return ref
}

func TestKarpenter_PullsBothChartsFromTheirSources(t *testing.T) {
	for _, tc := range []struct {
		name                string
		chart, crd          *stackconfig.ChartSource
		wantChart, wantCRDs charts.Ref
	}{
		{"upstream", nil, nil,
			charts.Ref{Chart: "oci://public.ecr.aws/karpenter/karpenter", Version: "1.14.1"},
			charts.Ref{Chart: "oci://public.ecr.aws/karpenter/karpenter-crd", Version: "1.14.1"}},
		{"a private ECR",
			&stackconfig.ChartSource{Repository: "oci://123456789012.dkr.ecr.eu-west-1.amazonaws.com/karpenter"},
			&stackconfig.ChartSource{Repository: "oci://123456789012.dkr.ecr.eu-west-1.amazonaws.com/karpenter"},
			charts.Ref{Chart: "oci://123456789012.dkr.ecr.eu-west-1.amazonaws.com/karpenter/karpenter", Version: "1.14.1"},
			charts.Ref{Chart: "oci://123456789012.dkr.ecr.eu-west-1.amazonaws.com/karpenter/karpenter-crd", Version: "1.14.1"}},
		{"a mirror repository",
			&stackconfig.ChartSource{Repository: "https://charts.example.internal/karpenter"},
			&stackconfig.ChartSource{Repository: "https://charts.example.internal/karpenter"},
			charts.Ref{Chart: "karpenter", Repo: "https://charts.example.internal/karpenter", Version: "1.14.1"},
			charts.Ref{Chart: "karpenter-crd", Repo: "https://charts.example.internal/karpenter", Version: "1.14.1"}},
		{"local archives",
			&stackconfig.ChartSource{Path: "charts/karpenter-1.14.1.tgz"},
			&stackconfig.ChartSource{Path: "/srv/charts/karpenter-crd-1.14.1.tgz"},
			charts.Ref{Chart: "./charts/karpenter-1.14.1.tgz", Version: "1.14.1"},
			charts.Ref{Chart: "/srv/charts/karpenter-crd-1.14.1.tgz", Version: "1.14.1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &cloud{releases: map[string]resource.PropertyMap{}}
			err := pulumi.RunErr(func(ctx *pulumi.Context) error {
				p, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{})
				if err != nil {
					return err
				}
				_, err = NewKarpenter(ctx, "dev", &KarpenterArgs{
					Version: "1.14.1", ChartSource: tc.chart, CRDChartSource: tc.crd,
					ClusterName: "eks-cilium-dev", Cluster: pulumi.String("eks-cilium-dev"), Endpoint: pulumi.String("https://api.example"),
					NodePools: []Pool{{Pool: poolInput(), Class: classInput()}}, Provider: p,
				})
				return err
			}, pulumi.WithMocks("eks-cilium", "test", rec))
			if err != nil {
				t.Fatal(err)
			}
			for name, want := range map[string]charts.Ref{charts.KarpenterRelease: tc.wantChart, charts.KarpenterCRDRelease: tc.wantCRDs} {
				in, ok := rec.releases[name]
				if !ok {
					t.Fatalf("no release %s registered", name)
				}
				if got := chartOf(in); got != want {
					t.Errorf("%s: chart %+v, want %+v", name, got, want)
				}
			}
		})
	}
}
