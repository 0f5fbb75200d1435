package addons

import (
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/eks-cilium/eks-cilium/charts"
	"github.com/eks-cilium/eks-cilium/stackconfig"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

type recorder struct {
	mu    sync.Mutex
	types []string
	byTyp map[string]resource.PropertyMap
	// byName are every resource's inputs by type and name ("type::name").
	byName map[string]resource.PropertyMap
}

func (r *recorder) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.types = append(r.types, args.TypeToken)
	if r.byTyp == nil {
		r.byTyp = map[string]resource.PropertyMap{}
	}
	r.byTyp[args.TypeToken] = args.Inputs
	if r.byName == nil {
		r.byName = map[string]resource.PropertyMap{}
	}
	r.byName[args.TypeToken+"::"+args.Name] = args.Inputs
	return args.Name + "-id", args.Inputs, nil
}

func (r *recorder) Call(pulumi.MockCallArgs) (resource.PropertyMap, error) {
	return resource.PropertyMap{}, nil
}

// run runs program with a Kubernetes provider already registered, the way the Platform
// passes the cluster's.
func run(t *testing.T, program func(ctx *pulumi.Context, p *kubernetes.Provider) error) (*recorder, error) {
	t.Helper()
	rec := &recorder{}
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		p, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{})
		if err != nil {
			return err
		}
		return program(ctx, p)
	}, pulumi.WithMocks("eks-cilium", "test", rec))
	return rec, err
}

func TestAwsLoadBalancerController_RefusesAChartWithoutItsPolicyBeforeRegistering(t *testing.T) {
	rec, err := run(t, func(ctx *pulumi.Context, p *kubernetes.Provider) error {
		_, err := NewAwsLoadBalancerController(ctx, "lbc", &AwsLoadBalancerControllerArgs{
			Version: "3.4.0", ClusterName: pulumi.String("c"), Region: "eu-west-1", VpcId: pulumi.String("vpc-1"),
			WebhookPort: 20444, MetricsPort: 20445, ReplicaCount: 2, RoleName: "c-lbc", Provider: p, Kubeconfig: pulumi.String("{}"),
		})
		return err
	})
	if err == nil || !strings.Contains(err.Error(), `chart "3.4.0": no IAM policy`) {
		t.Fatalf("error %v, want the missing policy named", err)
	}
	for _, typ := range rec.types {
		if typ != "pulumi:providers:kubernetes" {
			t.Errorf("registered %s before refusing", typ)
		}
	}
}

func TestAwsLoadBalancerController_PassesClusterRegionVpcAndItsPolicy(t *testing.T) {
	rec, err := run(t, func(ctx *pulumi.Context, p *kubernetes.Provider) error {
		_, err := NewAwsLoadBalancerController(ctx, "lbc", &AwsLoadBalancerControllerArgs{
			Version: "3.5.0", ClusterName: pulumi.String("eks-cilium-dev"), Region: "eu-west-1", VpcId: pulumi.String("vpc-1"),
			WebhookPort: 20444, MetricsPort: 20445, ReplicaCount: 2, RoleName: "eks-cilium-dev-lbc", Provider: p, Kubeconfig: pulumi.String("{}"),
		})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	rel := rec.byTyp["kubernetes:helm.sh/v3:Release"]
	values := rel["values"].ObjectValue()
	for key, want := range map[string]string{"clusterName": "eks-cilium-dev", "region": "eu-west-1", "vpcId": "vpc-1", "dnsPolicy": "ClusterFirstWithHostNet"} {
		if got := values[resource.PropertyKey(key)]; !got.IsString() || got.StringValue() != want {
			t.Errorf("values.%s = %v, want %q", key, got, want)
		}
	}
	if rel["name"].StringValue() != charts.LoadBalancerControllerRelease || rel["chart"].StringValue() != charts.LoadBalancerControllerChart ||
		rel["version"].StringValue() != "3.5.0" {
		t.Errorf("release %v %v %v", rel["name"], rel["chart"], rel["version"])
	}
	if _, ok := rec.byTyp["aws:eks/podIdentityAssociation:PodIdentityAssociation"]; !ok {
		t.Errorf("no Pod Identity association among %v", rec.types)
	}
}

func TestMetricsServer_PatchesTheDeploymentTheChartRenders(t *testing.T) {
	rec, err := run(t, func(ctx *pulumi.Context, p *kubernetes.Provider) error {
		_, err := NewMetricsServer(ctx, "ms", &MetricsServerArgs{Version: "3.13.1", SecurePort: 20443, Replicas: 1, Provider: p})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	patch := rec.byTyp["kubernetes:apps/v1:DeploymentPatch"]
	meta := patch["metadata"].ObjectValue()
	spec := patch["spec"].ObjectValue()["template"].ObjectValue()["spec"].ObjectValue()
	if meta["name"].StringValue() != charts.MetricsServerRelease || meta["namespace"].StringValue() != charts.Namespace ||
		spec["dnsPolicy"].StringValue() != "ClusterFirstWithHostNet" {
		t.Errorf("patch %v", patch)
	}
	if v := rec.byTyp["kubernetes:helm.sh/v3:Release"]["values"].ObjectValue()["containerPort"]; v.NumberValue() != 20443 {
		t.Errorf("containerPort %v, want 20443", v)
	}
	if _, err := run(t, func(ctx *pulumi.Context, p *kubernetes.Provider) error {
		_, err := NewMetricsServer(ctx, "ms", &MetricsServerArgs{Version: "3.13.1", Replicas: 1, Provider: p})
		return err
	}); err == nil {
		t.Error("metrics-server without a planned port was installed")
	}
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

func TestMetricsServer_PullsTheChartFromItsSource(t *testing.T) {
	for _, tc := range []struct {
		name string
		src  *stackconfig.ChartSource
		want charts.Ref
	}{
		{"upstream", nil, charts.Ref{Chart: "metrics-server", Repo: "https://kubernetes-sigs.github.io/metrics-server/", Version: "3.13.1"}},
		{"a mirror repository", &stackconfig.ChartSource{Repository: "https://charts.example.internal/metrics-server"},
			charts.Ref{Chart: "metrics-server", Repo: "https://charts.example.internal/metrics-server", Version: "3.13.1"}},
		{"a private ECR", &stackconfig.ChartSource{Repository: "oci://123456789012.dkr.ecr.eu-west-1.amazonaws.com/helm"},
			charts.Ref{Chart: "oci://123456789012.dkr.ecr.eu-west-1.amazonaws.com/helm/metrics-server", Version: "3.13.1"}},
		{"a local archive", &stackconfig.ChartSource{Path: "/opt/charts/metrics-server-3.13.1.tgz"},
			charts.Ref{Chart: "/opt/charts/metrics-server-3.13.1.tgz", Version: "3.13.1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec, err := run(t, func(ctx *pulumi.Context, p *kubernetes.Provider) error {
				_, err := NewMetricsServer(ctx, "ms", &MetricsServerArgs{Version: "3.13.1", Source: tc.src, SecurePort: 20443, Replicas: 1, Provider: p})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if got := chartOf(rec.byTyp["kubernetes:helm.sh/v3:Release"]); got != tc.want {
				t.Errorf("chart %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestAwsLoadBalancerController_PullsTheChartAndItsCRDsFromTheirSource(t *testing.T) {
	tag := "https://raw.githubusercontent.com/kubernetes-sigs/aws-load-balancer-controller/v3.5.0/helm/aws-load-balancer-controller/crds/"
	for _, tc := range []struct {
		name     string
		src      *stackconfig.LoadBalancerControllerSource
		want     charts.Ref
		wantCRDs []string // crds.yaml, gateway-crds.yaml
	}{
		{"upstream", nil, charts.Ref{Chart: "aws-load-balancer-controller", Repo: "https://aws.github.io/eks-charts", Version: "3.5.0"},
			[]string{tag + "crds.yaml", tag + "gateway-crds.yaml"}},
		{"a mirror repository, CRDs from GitHub", &stackconfig.LoadBalancerControllerSource{Repository: "https://charts.example.internal/eks"},
			charts.Ref{Chart: "aws-load-balancer-controller", Repo: "https://charts.example.internal/eks", Version: "3.5.0"},
			[]string{tag + "crds.yaml", tag + "gateway-crds.yaml"}},
		{"a private ECR, CRDs from a file mirror", &stackconfig.LoadBalancerControllerSource{Repository: "oci://123456789012.dkr.ecr.eu-west-1.amazonaws.com/helm", Crds: "https://files.example.internal/lbc/v3.5.0"},
			charts.Ref{Chart: "oci://123456789012.dkr.ecr.eu-west-1.amazonaws.com/helm/aws-load-balancer-controller", Version: "3.5.0"},
			[]string{"https://files.example.internal/lbc/v3.5.0/crds.yaml", "https://files.example.internal/lbc/v3.5.0/gateway-crds.yaml"}},
		{"a local archive and directory", &stackconfig.LoadBalancerControllerSource{Path: "vendor/aws-load-balancer-controller-3.5.0.tgz", Crds: "vendor/aws-load-balancer-controller/crds"},
			charts.Ref{Chart: "./vendor/aws-load-balancer-controller-3.5.0.tgz", Version: "3.5.0"},
			[]string{"./vendor/aws-load-balancer-controller/crds/crds.yaml", "./vendor/aws-load-balancer-controller/crds/gateway-crds.yaml"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec, err := run(t, func(ctx *pulumi.Context, p *kubernetes.Provider) error {
				_, err := NewAwsLoadBalancerController(ctx, "lbc", &AwsLoadBalancerControllerArgs{
					Version: "3.5.0", Source: tc.src, ClusterName: pulumi.String("c"), Region: "eu-west-1", VpcId: pulumi.String("vpc-1"),
					WebhookPort: 20444, MetricsPort: 20445, ReplicaCount: 2, RoleName: "c-lbc", Provider: p, Kubeconfig: pulumi.String("{}"),
				})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if got := chartOf(rec.byTyp["kubernetes:helm.sh/v3:Release"]); got != tc.want {
				t.Errorf("chart %+v, want %+v", got, tc.want)
			}
			// The ConfigFiles keep their names whatever the source, so a change of source
			// never replaces the CRDs (which would delete every TargetGroupBinding).
			var got []string
			for _, name := range []string{"lbc-crds", "lbc-gateway-crds"} {
				in, ok := rec.byName["kubernetes:yaml/v2:ConfigFile::"+name]
				if !ok {
					t.Fatalf("no ConfigFile %s among %v", name, rec.types)
				}
				got = append(got, in["file"].StringValue())
			}
			if !reflect.DeepEqual(got, tc.wantCRDs) {
				t.Errorf("CRD files %q, want %q", got, tc.wantCRDs)
			}
		})
	}
}
