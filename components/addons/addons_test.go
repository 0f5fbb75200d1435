package addons

import (
	"strings"
	"sync"
	"testing"

	"github.com/eks-cilium/eks-cilium/charts"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

type recorder struct {
	mu    sync.Mutex
	types []string
	byTyp map[string]resource.PropertyMap
}

func (r *recorder) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.types = append(r.types, args.TypeToken)
	if r.byTyp == nil {
		r.byTyp = map[string]resource.PropertyMap{}
	}
	r.byTyp[args.TypeToken] = args.Inputs
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
