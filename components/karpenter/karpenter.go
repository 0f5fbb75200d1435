// Package karpenter installs Karpenter on a Cilium overlay cluster: the karpenter-crd and
// karpenter charts after the node groups (the controller runs on them), the controller's AWS
// access through EKS Pod Identity, the node role with an EC2_LINUX access entry, interruption
// handling (SQS queue and EventBridge rules), and per node pool a NodePool that starts its
// nodes tainted until Cilium runs and an EC2NodeClass with our maxPods and reserves.
package karpenter

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/eks-cilium/eks-cilium/awsnames"
	"github.com/eks-cilium/eks-cilium/charts"
	"github.com/eks-cilium/eks-cilium/components/nodegroup"
	"github.com/eks-cilium/eks-cilium/components/podidentity"
	"github.com/eks-cilium/eks-cilium/ipplan"
	"github.com/eks-cilium/eks-cilium/stackconfig"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sqs"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	helmv3 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v3"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Token is the component's type token.
const Token = "eks-cilium:index:Karpenter"

// queuePrefix starts the SQS queue's and EventBridge rules' names; terraform-provider-aws adds
// a 26-character unique suffix, so they stay far below the limits (SQS queue 80, EventBridge
// rule 64). The IAM roles are autonamed from awsnames, which checks their length.
const queuePrefix = "karpenter-"

// InterruptionEvents are the EventBridge rules Karpenter's getting-started CloudFormation
// template (v1.14) routes to the interruption queue: source and detail-type of each.
var InterruptionEvents = []struct{ Name, Source, DetailType string }{
	{"health", "aws.health", "AWS Health Event"},
	{"spot", "aws.ec2", "EC2 Spot Instance Interruption Warning"},
	{"rebalance", "aws.ec2", "EC2 Instance Rebalance Recommendation"},
	{"state", "aws.ec2", "EC2 Instance State-change Notification"},
	{"capres", "aws.ec2", "EC2 Capacity Reservation Instance Interruption Warning"},
}

// KarpenterArgs are the inputs of Karpenter.
type KarpenterArgs struct {
	// Version is the exact karpenter and karpenter-crd chart version.
	Version string
	// ChartSource and CRDChartSource are where the karpenter and karpenter-crd charts come
	// from (eks-cilium:chartSources.karpenter and .karpenterCrd, validated by the plan); nil:
	// Karpenter's public registry.
	ChartSource, CRDChartSource *stackconfig.ChartSource
	// ClusterName is the EKS cluster (plain: policies and tags are rendered from it);
	// Cluster carries the dependency on it.
	ClusterName string
	Cluster     pulumi.StringInput
	// Endpoint is the API server URL.
	Endpoint pulumi.StringInput
	// NodePools are the pools, each with its plan (same order).
	NodePools []Pool
	// Provider is the cluster's Kubernetes provider.
	Provider *kubernetes.Provider
	// PodIdentityAgent is the eks-pod-identity-agent addon; the controller's credentials come
	// through it.
	PodIdentityAgent pulumi.Resource
	// DependsOn are what the charts wait for: the node groups the controller runs on.
	DependsOn []pulumi.Resource
}

// Pool is one node pool's objects, rendered by the pure functions of objects.go.
type Pool struct {
	Pool  NodePoolInput
	Class NodeClassInput
}

// Karpenter is the installed Karpenter.
type Karpenter struct {
	pulumi.ResourceState

	// Release is the controller's Helm release; NodePools depend on it.
	Release *helmv3.Release `pulumi:"-"`

	NodeRoleArn       pulumi.StringOutput `pulumi:"nodeRoleArn"`
	InterruptionQueue pulumi.StringOutput `pulumi:"interruptionQueue"`
}

// NewKarpenter creates everything Karpenter needs, in dependency order.
func NewKarpenter(ctx *pulumi.Context, name string, args *KarpenterArgs, opts ...pulumi.ResourceOption) (*Karpenter, error) {
	if args.Version == "" || args.ClusterName == "" || args.Provider == nil || len(args.NodePools) == 0 {
		return nil, fmt.Errorf("karpenter %s: Version, ClusterName, Provider and at least one node pool are required", name)
	}
	for _, np := range args.NodePools {
		if _, err := EC2NodeClass(np.Class); err != nil {
			return nil, err
		}
	}
	comp := &Karpenter{}
	if err := ctx.RegisterComponentResource(Token, name, comp, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(comp)

	// Nodes: the role, its managed policies (those of the node groups: no CNI policy without
	// the VPC CNI) and an access entry so the kubelet can join.
	nodeRole, err := iam.NewRole(ctx, awsnames.KarpenterNodeRole(name), &iam.RoleArgs{
		AssumeRolePolicy: pulumi.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`),
		Description:      pulumi.Sprintf("Karpenter nodes of EKS cluster %s", args.ClusterName),
	}, parent)
	if err != nil {
		return nil, err
	}
	var nodeAccess []pulumi.Resource
	for _, arn := range nodegroup.NodePolicies {
		short := arn[strings.LastIndex(arn, "/")+1:]
		a, err := iam.NewRolePolicyAttachment(ctx, name+"-karpenter-node-"+short, &iam.RolePolicyAttachmentArgs{
			Role: nodeRole.Name, PolicyArn: pulumi.String(arn),
		}, parent)
		if err != nil {
			return nil, err
		}
		nodeAccess = append(nodeAccess, a)
	}
	entry, err := eks.NewAccessEntry(ctx, name+"-karpenter-node", &eks.AccessEntryArgs{
		ClusterName:  args.Cluster,
		PrincipalArn: nodeRole.Arn,
		// EC2_LINUX puts the role's nodes in system:nodes (Bottlerocket is Linux too).
		Type: pulumi.String("EC2_LINUX"),
	}, parent)
	if err != nil {
		return nil, err
	}
	nodeAccess = append(nodeAccess, entry)

	// Interruption handling: EventBridge forwards EC2 and Health events to a queue the
	// controller polls, so it drains nodes before AWS takes them.
	queue, err := sqs.NewQueue(ctx, name+"-karpenter", &sqs.QueueArgs{
		NamePrefix:              pulumi.String(queuePrefix),
		MessageRetentionSeconds: pulumi.Int(300),
		SqsManagedSseEnabled:    pulumi.Bool(true),
	}, parent)
	if err != nil {
		return nil, err
	}
	queuePolicy, err := sqs.NewQueuePolicy(ctx, name+"-karpenter", &sqs.QueuePolicyArgs{
		QueueUrl: queue.Url,
		Policy:   queue.Arn.ApplyT(QueuePolicy).(pulumi.StringOutput),
	}, parent)
	if err != nil {
		return nil, err
	}
	interruption := []pulumi.Resource{queuePolicy}
	for _, ev := range InterruptionEvents {
		pattern, err := json.Marshal(map[string]any{"source": []string{ev.Source}, "detail-type": []string{ev.DetailType}})
		if err != nil {
			return nil, err
		}
		rule, err := cloudwatch.NewEventRule(ctx, name+"-karpenter-"+ev.Name, &cloudwatch.EventRuleArgs{
			NamePrefix:   pulumi.String(queuePrefix + ev.Name + "-"),
			Description:  pulumi.Sprintf("%s to Karpenter's interruption queue of %s", ev.DetailType, args.ClusterName),
			EventPattern: pulumi.String(string(pattern)),
		}, parent)
		if err != nil {
			return nil, err
		}
		target, err := cloudwatch.NewEventTarget(ctx, name+"-karpenter-"+ev.Name, &cloudwatch.EventTargetArgs{
			Rule:     rule.Name,
			TargetId: pulumi.String("KarpenterInterruptionQueueTarget"),
			Arn:      queue.Arn,
		}, parent)
		if err != nil {
			return nil, err
		}
		interruption = append(interruption, target)
	}

	// The controller: its policy, rendered for this account and cluster, on a Pod Identity role.
	partition := aws.GetPartitionOutput(ctx, aws.GetPartitionOutputArgs{}, parent).Partition()
	region := aws.GetRegionOutput(ctx, aws.GetRegionOutputArgs{}, parent).Name()
	account := aws.GetCallerIdentityOutput(ctx, aws.GetCallerIdentityOutputArgs{}, parent).AccountId()
	policy := pulumi.All(partition, region, account, nodeRole.Arn, queue.Arn).ApplyT(func(v []any) (string, error) {
		return ControllerPolicy(PolicyInput{
			Partition: v[0].(string), Region: v[1].(string), AccountID: v[2].(string),
			ClusterName: args.ClusterName, NodeRoleArn: v[3].(string), QueueArn: v[4].(string),
		})
	}).(pulumi.StringOutput)
	controller, err := podidentity.NewServiceAccountRole(ctx, awsnames.KarpenterControllerRole(name), &podidentity.ServiceAccountRoleArgs{
		ClusterName:    args.Cluster,
		Namespace:      Namespace,
		ServiceAccount: ServiceAccount,
		PolicyDocument: policy,
		Agent:          args.PodIdentityAgent,
	}, parent)
	if err != nil {
		return nil, err
	}

	// The charts wait for the node groups (the controller's pods need Ready nodes). The
	// controller also waits for its credentials and its interruption queue.
	chartDeps := append([]pulumi.Resource{}, args.DependsOn...)
	crdChart := charts.KarpenterCRD.Ref(args.Version, args.CRDChartSource)
	crds, err := helmv3.NewRelease(ctx, name+"-karpenter-crd", &helmv3.ReleaseArgs{
		Name:           pulumi.String(charts.KarpenterCRDRelease),
		Chart:          pulumi.String(crdChart.Chart),
		Version:        pulumi.String(crdChart.Version),
		RepositoryOpts: repositoryOpts(crdChart),
		Namespace:      pulumi.String(Namespace),
	}, parent, pulumi.Provider(args.Provider), pulumi.DependsOn(chartDeps))
	if err != nil {
		return nil, err
	}
	values := input(Values(ValuesInput{ClusterName: args.ClusterName, VMMemoryOverheadPercent: ipplan.KarpenterVMMemoryOverheadPercent})).(pulumi.Map)
	settings := values["settings"].(pulumi.Map)
	settings["clusterEndpoint"] = args.Endpoint
	settings["interruptionQueue"] = queue.Name
	controllerDeps := append(append(append([]pulumi.Resource{crds, controller.Association}, chartDeps...), nodeAccess...), interruption...)
	chart := charts.Karpenter.Ref(args.Version, args.ChartSource)
	release, err := helmv3.NewRelease(ctx, name+"-karpenter", &helmv3.ReleaseArgs{
		Name:           pulumi.String(charts.KarpenterRelease),
		Chart:          pulumi.String(chart.Chart),
		Version:        pulumi.String(chart.Version),
		RepositoryOpts: repositoryOpts(chart),
		Namespace:      pulumi.String(Namespace),
		Values:         values,
		// karpenter-crd owns the CRDs (and upgrades them); the chart's crds/ copy would only
		// be applied on install and never again.
		SkipCrds:   pulumi.Bool(true),
		MaxHistory: pulumi.Int(5),
	}, parent, pulumi.Provider(args.Provider), pulumi.DependsOn(controllerDeps))
	if err != nil {
		return nil, err
	}

	// The objects wait for the controller, so that on destroy they go first: deleting a
	// NodePool while the controller runs terminates its nodes; a controller deleted first
	// would leave the NodeClaims' finalizers, and the instances, behind.
	for _, np := range args.NodePools {
		classObj, _ := EC2NodeClass(np.Class) // validated above
		class, err := customResource(ctx, name+"-"+np.Class.Name, classObj, map[string]pulumi.Input{"role": nodeRole.Name},
			parent, pulumi.Provider(args.Provider), pulumi.DependsOn([]pulumi.Resource{crds, release}))
		if err != nil {
			return nil, err
		}
		if _, err := customResource(ctx, name+"-"+np.Pool.Name, NodePool(np.Pool), nil,
			parent, pulumi.Provider(args.Provider), pulumi.DependsOn([]pulumi.Resource{crds, release, class})); err != nil {
			return nil, err
		}
	}

	comp.Release = release
	comp.NodeRoleArn = nodeRole.Arn
	comp.InterruptionQueue = queue.Name
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"nodeRoleArn":       comp.NodeRoleArn,
		"interruptionQueue": comp.InterruptionQueue,
	}); err != nil {
		return nil, err
	}
	return comp, nil
}

// customResource applies one rendered object; specOutputs replace spec fields whose values
// the cloud computes (the node role's name), so the rest stays visible in a preview.
func customResource(ctx *pulumi.Context, name string, obj map[string]any, specOutputs map[string]pulumi.Input, opts ...pulumi.ResourceOption) (*apiextensions.CustomResource, error) {
	spec := input(obj["spec"]).(pulumi.Map)
	for k, v := range specOutputs {
		spec[k] = v
	}
	meta := obj["metadata"].(map[string]any)
	return apiextensions.NewCustomResource(ctx, name, &apiextensions.CustomResourceArgs{
		ApiVersion:  pulumi.String(obj["apiVersion"].(string)),
		Kind:        pulumi.String(obj["kind"].(string)),
		Metadata:    &metav1.ObjectMetaArgs{Name: pulumi.String(meta["name"].(string))},
		OtherFields: kubernetes.UntypedArgs{"spec": spec},
	}, opts...)
}

// QueuePolicy lets EventBridge deliver to the interruption queue and refuses plain HTTP, as
// the v1.14 template's KarpenterInterruptionQueuePolicy does.
func QueuePolicy(queueArn string) (string, error) {
	b, err := json.Marshal(map[string]any{
		"Version": "2012-10-17",
		"Id":      "EC2InterruptionPolicy",
		"Statement": []any{
			map[string]any{
				"Effect":    "Allow",
				"Principal": map[string]any{"Service": []string{"events.amazonaws.com", "sqs.amazonaws.com"}},
				"Action":    "sqs:SendMessage",
				"Resource":  queueArn,
			},
			map[string]any{
				"Sid":       "DenyHTTP",
				"Effect":    "Deny",
				"Action":    "sqs:*",
				"Resource":  queueArn,
				"Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}},
				"Principal": "*",
			},
		},
	})
	return string(b), err
}

// input turns rendered plain values into Pulumi inputs of the same shape, so that single
// fields can be replaced by outputs and the rest stays known in a preview.
func input(v any) pulumi.Input {
	switch x := v.(type) {
	case map[string]any:
		m := pulumi.Map{}
		for k, e := range x {
			m[k] = input(e)
		}
		return m
	case []any:
		a := make(pulumi.Array, len(x))
		for i, e := range x {
			a[i] = input(e)
		}
		return a
	case string:
		return pulumi.String(x)
	case int:
		return pulumi.Int(x)
	case float64:
		return pulumi.Float64(x)
	case bool:
		return pulumi.Bool(x)
	}
	panic(fmt.Sprintf("karpenter: no input for %T", v)) // the renderers only produce the types above
}

// repositoryOpts is a Release's repositoryOpts for a chart reference: none for an oci:// or
// local chart, which carry their place in the chart itself (charts.Chart.Ref).
func repositoryOpts(ref charts.Ref) helmv3.RepositoryOptsPtrInput {
	if ref.Repo == "" {
		return nil
	}
	return &helmv3.RepositoryOptsArgs{Repo: pulumi.String(ref.Repo)}
}
