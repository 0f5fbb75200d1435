package addons

import (
	"fmt"
	"strings"

	"github.com/eks-cilium/eks-cilium/charts"
	"github.com/eks-cilium/eks-cilium/charts/lbcpolicy"
	"github.com/eks-cilium/eks-cilium/components/podidentity"
	"github.com/eks-cilium/eks-cilium/stackconfig"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	appsv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apps/v1"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	helmv3 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v3"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	yamlv2 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/yaml/v2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Type tokens of the components.
const (
	MetricsServerToken          = "eks-cilium:index:MetricsServer"
	LoadBalancerControllerToken = "eks-cilium:index:AwsLoadBalancerController"
)

// maxHistory keeps a few revisions for `helm rollback`, as for Cilium.
const maxHistory = 5

// MetricsServerArgs are the inputs of MetricsServer.
type MetricsServerArgs struct {
	// Version is the exact chart version.
	Version string
	// Source is where the chart comes from (eks-cilium:chartSources.metricsServer, validated
	// by the plan); nil: the chart's repository.
	Source *stackconfig.ChartSource
	// SecurePort is the planned host port (MetricsServerSecurePort unless the plan says
	// otherwise) and Replicas the pod count.
	SecurePort, Replicas int
	// Provider is the cluster's Kubernetes provider.
	Provider *kubernetes.Provider
	// DependsOn are what the release waits for: the node groups (the release waits for its
	// pods, which need Ready nodes). Pulumi does not pass a component's DependsOn on to
	// its children, so it is an argument.
	DependsOn []pulumi.Resource
}

// MetricsServer is the metrics-server release on the host network.
type MetricsServer struct {
	pulumi.ResourceState

	// Release is the helm/v3 Release.
	Release *helmv3.Release `pulumi:"-"`

	ReleaseName pulumi.StringOutput `pulumi:"releaseName"`
	SecurePort  pulumi.IntOutput    `pulumi:"securePort"`
}

// NewMetricsServer installs metrics-server. Create it after the node groups.
func NewMetricsServer(ctx *pulumi.Context, name string, args *MetricsServerArgs, opts ...pulumi.ResourceOption) (*MetricsServer, error) {
	if args == nil || args.Version == "" || args.Provider == nil {
		return nil, fmt.Errorf("metrics-server %s: Version and Provider are required", name)
	}
	values, err := charts.MetricsServerValues(charts.MetricsServerValuesInput{SecurePort: args.SecurePort, Replicas: args.Replicas})
	if err != nil {
		return nil, err
	}
	comp := &MetricsServer{}
	if err := ctx.RegisterComponentResource(MetricsServerToken, name, comp, opts...); err != nil {
		return nil, err
	}
	k8s := []pulumi.ResourceOption{pulumi.Parent(comp), pulumi.Provider(args.Provider)}
	chart := charts.MetricsServer.Ref(args.Version, args.Source)
	rel, err := helmv3.NewRelease(ctx, name, &helmv3.ReleaseArgs{
		Name:           pulumi.String(charts.MetricsServerRelease),
		Chart:          pulumi.String(chart.Chart),
		Version:        pulumi.String(chart.Version),
		RepositoryOpts: repositoryOpts(chart),
		Namespace:      pulumi.String(charts.Namespace),
		Values:         pulumi.ToMap(values),
		MaxHistory:     pulumi.Int(maxHistory),
	}, append(k8s, pulumi.DependsOn(args.DependsOn))...)
	if err != nil {
		return nil, err
	}
	p := charts.MetricsServerDNSPolicy
	if _, err := appsv1.NewDeploymentPatch(ctx, name+"-dns-policy", &appsv1.DeploymentPatchArgs{
		Metadata: &metav1.ObjectMetaPatchArgs{
			Name:      pulumi.String(p.Deployment),
			Namespace: pulumi.String(p.Namespace),
			// The field is otherwise nobody's; force takes it over from the API server's
			// default without a server-side apply conflict.
			Annotations: pulumi.StringMap{"pulumi.com/patchForce": pulumi.String("true")},
		},
		Spec: &appsv1.DeploymentSpecPatchArgs{
			Template: &corev1.PodTemplateSpecPatchArgs{
				Spec: &corev1.PodSpecPatchArgs{DnsPolicy: pulumi.String(p.DNSPolicy)},
			},
		},
	}, append(k8s, pulumi.DependsOn([]pulumi.Resource{rel}))...); err != nil {
		return nil, err
	}
	comp.Release = rel
	comp.ReleaseName = pulumi.String(charts.MetricsServerRelease).ToStringOutput()
	comp.SecurePort = pulumi.Int(args.SecurePort).ToIntOutput()
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"releaseName": comp.ReleaseName,
		"securePort":  comp.SecurePort,
	}); err != nil {
		return nil, err
	}
	return comp, nil
}

// AwsLoadBalancerControllerArgs are the inputs of AwsLoadBalancerController.
type AwsLoadBalancerControllerArgs struct {
	// Version is the exact chart version; its controller's IAM policy must be carried
	// (lbcpolicy.ForChart).
	Version string
	// Source is where the chart and its CRD manifests come from
	// (eks-cilium:chartSources.awsLoadBalancerController, validated by the plan); nil: the
	// chart's repository and the release tag on GitHub.
	Source *stackconfig.LoadBalancerControllerSource
	// ClusterName, Region and VpcId are passed to the controller so it never asks IMDS.
	ClusterName pulumi.StringInput
	Region      string
	VpcId       pulumi.StringInput
	// WebhookPort and MetricsPort are planned host ports; ReplicaCount the pod count.
	WebhookPort, MetricsPort, ReplicaCount int
	// RoleName names the IAM role (its autoname prefix; at most
	// podidentity.MaxRoleResourceName characters).
	RoleName string
	// PodIdentityAgent is the eks-pod-identity-agent addon.
	PodIdentityAgent pulumi.Resource
	// Provider is the cluster's Kubernetes provider.
	Provider *kubernetes.Provider
	// Kubeconfig is the cluster's kubeconfig: the chart's CRDs are applied through a provider
	// of their own that adopts CRDs an earlier `helm install` created.
	Kubeconfig pulumi.StringInput
	// DependsOn are what the release waits for: the node groups and CoreDNS (the
	// controller resolves AWS endpoints through cluster DNS).
	DependsOn []pulumi.Resource
}

// AwsLoadBalancerController is the controller's release on the host network, with its IAM
// role assumed through EKS Pod Identity.
type AwsLoadBalancerController struct {
	pulumi.ResourceState

	// Release is the helm/v3 Release.
	Release *helmv3.Release `pulumi:"-"`

	ReleaseName pulumi.StringOutput `pulumi:"releaseName"`
	RoleArn     pulumi.StringOutput `pulumi:"roleArn"`
	WebhookPort pulumi.IntOutput    `pulumi:"webhookPort"`
}

// NewAwsLoadBalancerController installs the controller. Create it after the node groups.
func NewAwsLoadBalancerController(ctx *pulumi.Context, name string, args *AwsLoadBalancerControllerArgs, opts ...pulumi.ResourceOption) (*AwsLoadBalancerController, error) {
	if args == nil || args.ClusterName == nil || args.VpcId == nil || args.Provider == nil || args.Kubeconfig == nil || args.RoleName == "" {
		return nil, fmt.Errorf("aws-load-balancer-controller %s: ClusterName, VpcId, Provider, Kubeconfig and RoleName are required", name)
	}
	release, ok := lbcpolicy.ForChart(args.Version)
	crds, _ := charts.LoadBalancerControllerCRDs(args.Version, args.Source)
	if !ok {
		return nil, fmt.Errorf("aws-load-balancer-controller %s: chart %q: no IAM policy carried for it (carried: %v)", name, args.Version, lbcpolicy.ChartVersions())
	}
	values, err := charts.LoadBalancerControllerValues(charts.LoadBalancerControllerValuesInput{
		// Placeholders for the two Inputs set below; the pure function checks the rest.
		ClusterName: "<cluster>", VpcId: "<vpc>",
		Region: args.Region, WebhookPort: args.WebhookPort, MetricsPort: args.MetricsPort, ReplicaCount: args.ReplicaCount,
	})
	if err != nil {
		return nil, err
	}
	comp := &AwsLoadBalancerController{}
	if err := ctx.RegisterComponentResource(LoadBalancerControllerToken, name, comp, opts...); err != nil {
		return nil, err
	}
	role, err := podidentity.NewServiceAccountRole(ctx, args.RoleName, &podidentity.ServiceAccountRoleArgs{
		ClusterName:    args.ClusterName,
		Namespace:      charts.Namespace,
		ServiceAccount: charts.LoadBalancerControllerServiceAccount,
		PolicyDocument: pulumi.String(release.Policy),
		Agent:          args.PodIdentityAgent,
	}, pulumi.Parent(comp))
	if err != nil {
		return nil, err
	}
	// The chart's CRDs, applied before the release at every chart version: Helm applies crds/
	// only at the first install. Server-side apply through a provider that adopts existing
	// objects, because stacks deployed before this took their CRDs from `helm install`.
	crdProvider, err := kubernetes.NewProvider(ctx, name+"-crds", &kubernetes.ProviderArgs{
		Kubeconfig:            args.Kubeconfig,
		EnableServerSideApply: pulumi.Bool(true),
		UpsertExistingObjects: pulumi.Bool(true),
	}, pulumi.Parent(comp))
	if err != nil {
		return nil, err
	}
	// EKS injects the credentials into pods created after the association exists.
	deps := append(append([]pulumi.Resource{}, args.DependsOn...), role.Association)
	for _, crd := range crds {
		file, err := yamlv2.NewConfigFile(ctx, name+"-"+strings.TrimSuffix(crd.Name, ".yaml"), &yamlv2.ConfigFileArgs{
			File: pulumi.String(crd.File),
		}, pulumi.Parent(comp), pulumi.Provider(crdProvider), pulumi.DependsOn(args.DependsOn))
		if err != nil {
			return nil, err
		}
		deps = append(deps, file)
	}
	pvalues := pulumi.ToMap(values)
	pvalues["clusterName"] = args.ClusterName
	pvalues["vpcId"] = args.VpcId
	chart := charts.LoadBalancerController.Ref(args.Version, args.Source.Source())
	rel, err := helmv3.NewRelease(ctx, name, &helmv3.ReleaseArgs{
		Name:           pulumi.String(charts.LoadBalancerControllerRelease),
		Chart:          pulumi.String(chart.Chart),
		Version:        pulumi.String(chart.Version),
		RepositoryOpts: repositoryOpts(chart),
		Namespace:      pulumi.String(charts.Namespace),
		Values:         pvalues,
		MaxHistory:     pulumi.Int(maxHistory),
		// The CRDs are the ConfigFiles above.
		SkipCrds: pulumi.Bool(true),
	}, pulumi.Parent(comp), pulumi.Provider(args.Provider), pulumi.DependsOn(deps))
	if err != nil {
		return nil, err
	}
	comp.Release = rel
	comp.ReleaseName = pulumi.String(charts.LoadBalancerControllerRelease).ToStringOutput()
	comp.RoleArn = role.RoleArn
	comp.WebhookPort = pulumi.Int(args.WebhookPort).ToIntOutput()
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"releaseName": comp.ReleaseName,
		"roleArn":     comp.RoleArn,
		"webhookPort": comp.WebhookPort,
	}); err != nil {
		return nil, err
	}
	return comp, nil
}

// repositoryOpts is a Release's repositoryOpts for a chart reference: none for an oci:// or
// local chart, which carry their place in the chart itself (charts.Chart.Ref).
func repositoryOpts(ref charts.Ref) helmv3.RepositoryOptsPtrInput {
	if ref.Repo == "" {
		return nil
	}
	return &helmv3.RepositoryOptsArgs{Repo: pulumi.String(ref.Repo)}
}
