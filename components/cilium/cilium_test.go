package cilium

import (
	"sync"
	"testing"

	"github.com/eks-cilium/eks-cilium/charts"
	"github.com/eks-cilium/eks-cilium/stackconfig"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// releases records the inputs of every helm.sh/v3 Release by its release name, as the engine
// receives them once they are resolved.
type releases struct {
	mu     sync.Mutex
	byName map[string]resource.PropertyMap
}

func (r *releases) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	if args.TypeToken == "kubernetes:helm.sh/v3:Release" {
		r.mu.Lock()
		r.byName[args.Inputs["name"].StringValue()] = args.Inputs
		r.mu.Unlock()
	}
	return args.Name + "-id", args.Inputs, nil
}

func (r *releases) Call(pulumi.MockCallArgs) (resource.PropertyMap, error) {
	return resource.PropertyMap{}, nil
}

// chartOf is what a registered Release says of its chart: chart, repositoryOpts.repo ("" when
// there are no repositoryOpts) and version.
func chartOf(in resource.PropertyMap) charts.Ref {
	ref := charts.Ref{Chart: in["chart"].StringValue(), Version: in["version"].StringValue()}
	if opts, ok := in["repositoryOpts"]; ok && opts.IsObject() {
		ref.Repo = opts.ObjectValue()["repo"].StringValue()
	}
	return ref
}

func TestCilium_BothReleasesPullTheChartFromItsSource(t *testing.T) {
	for _, tc := range []struct {
		name string
		src  *stackconfig.ChartSource
		want charts.Ref
	}{
		{"upstream", nil, charts.Ref{Chart: "cilium", Repo: "https://helm.cilium.io", Version: "1.19.6"}},
		{"a mirror repository", &stackconfig.ChartSource{Repository: "https://charts.example.internal/cilium"},
			charts.Ref{Chart: "cilium", Repo: "https://charts.example.internal/cilium", Version: "1.19.6"}},
		{"a private ECR", &stackconfig.ChartSource{Repository: "oci://123456789012.dkr.ecr.eu-west-1.amazonaws.com/helm"},
			charts.Ref{Chart: "oci://123456789012.dkr.ecr.eu-west-1.amazonaws.com/helm/cilium", Version: "1.19.6"}},
		{"a local archive", &stackconfig.ChartSource{Path: "charts/cilium-1.19.6.tgz"},
			charts.Ref{Chart: "./charts/cilium-1.19.6.tgz", Version: "1.19.6"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &releases{byName: map[string]resource.PropertyMap{}}
			err := pulumi.RunErr(func(ctx *pulumi.Context) error {
				p, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{})
				if err != nil {
					return err
				}
				_, err = NewCilium(ctx, "cilium", &CiliumArgs{
					Version: "1.19.6", Source: tc.src, Values: map[string]any{"routingMode": "tunnel"},
					Provider: p, Preflight: true,
				})
				return err
			}, pulumi.WithMocks("eks-cilium", "test", rec))
			if err != nil {
				t.Fatal(err)
			}
			for _, name := range []string{charts.CiliumRelease, charts.CiliumPreflightRelease} {
				in, ok := rec.byName[name]
				if !ok {
					t.Fatalf("no release %s registered (got %d releases)", name, len(rec.byName))
				}
				if got := chartOf(in); got != tc.want {
					t.Errorf("%s: chart %+v, want %+v", name, got, tc.want)
				}
			}
		})
	}
}
