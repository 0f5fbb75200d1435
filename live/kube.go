package live

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/eks-cilium/eks-cilium/migration"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// Kube reads the facts the Kubernetes API holds.
type Kube struct {
	client  kubernetes.Interface
	dynamic dynamic.Interface
}

// NewKube connects with a kubeconfig (the adopted cluster's: `aws eks get-token` as exec
// plugin).
func NewKube(kubeconfig []byte) (*Kube, error) {
	rc, err := clientcmd.RESTConfigFromKubeConfig(kubeconfig)
	if err != nil {
		return nil, fmt.Errorf("the adopted cluster's kubeconfig: %w", err)
	}
	client, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return nil, err
	}
	dyn, err := dynamic.NewForConfig(rc)
	if err != nil {
		return nil, err
	}
	return &Kube{client: client, dynamic: dyn}, nil
}

// NewKubeFrom uses the given clients (tests).
func NewKubeFrom(client kubernetes.Interface, dyn dynamic.Interface) *Kube {
	return &Kube{client: client, dynamic: dyn}
}

// Resources read through the dynamic client: custom resources that may not exist at all.
var (
	// securityGroupPolicies are the VPC resource controller's SecurityGroupPolicy objects
	// (aws/amazon-vpc-resource-controller-k8s, apis/vpcresources/v1beta1).
	securityGroupPolicies = schema.GroupVersionResource{Group: "vpcresources.k8s.aws", Version: "v1beta1", Resource: "securitygrouppolicies"}
	// targetGroupBindings are the AWS Load Balancer Controller's (elbv2.k8s.aws/v1beta1).
	targetGroupBindings = schema.GroupVersionResource{Group: "elbv2.k8s.aws", Version: "v1beta1", Resource: "targetgroupbindings"}
	apiServices         = schema.GroupVersionResource{Group: "apiregistration.k8s.io", Version: "v1", Resource: "apiservices"}
)

// Annotations that make the AWS Load Balancer Controller register pod IPs as targets.
const (
	nlbTargetType = "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type"
	albTargetType = "alb.ingress.kubernetes.io/target-type"
)

// Read fills what the Kubernetes API knows into f: nodes (all, and per legacy group), the
// aws-node DaemonSet, a Cilium already there, and what the overlay cannot carry over.
func (k *Kube) Read(ctx context.Context, f *migration.Facts) error {
	var nodeIPs = map[string]bool{}
	perGroup := map[string]int{}
	err := pages(ctx, func(opts metav1.ListOptions) (string, error) {
		list, err := k.client.CoreV1().Nodes().List(ctx, opts)
		if err != nil {
			return "", err
		}
		for _, n := range list.Items {
			f.Nodes++
			perGroup[n.Labels["eks.amazonaws.com/nodegroup"]]++
			for _, a := range n.Status.Addresses {
				nodeIPs[a.Address] = true
			}
		}
		return list.Continue, nil
	})
	if err != nil {
		return fmt.Errorf("listing nodes: %w", err)
	}
	for i := range f.LegacyGroups {
		f.LegacyGroups[i].Nodes = perGroup[f.LegacyGroups[i].Name]
	}

	ds, err := k.client.AppsV1().DaemonSets(migration.Namespace).Get(ctx, migration.AwsNodeDaemonSet, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
	case err != nil:
		return fmt.Errorf("reading %s/%s: %w", migration.Namespace, migration.AwsNodeDaemonSet, err)
	default:
		d := &migration.DaemonSet{
			DesiredNumberScheduled: int(ds.Status.DesiredNumberScheduled),
			CurrentNumberScheduled: int(ds.Status.CurrentNumberScheduled),
			Env:                    map[string]string{},
		}
		for _, c := range ds.Spec.Template.Spec.Containers {
			if c.Name == migration.AwsNodeContainer {
				for _, e := range c.Env {
					d.Env[e.Name] = e.Value
				}
			}
		}
		f.AwsNode = d
	}

	cm, err := k.client.CoreV1().ConfigMaps(migration.Namespace).Get(ctx, "cilium-config", metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
	case err != nil:
		return fmt.Errorf("reading kube-system/cilium-config: %w", err)
	default:
		f.Cilium = migration.Cilium{Present: true, ChainingMode: cm.Data["cni-chaining-mode"]}
	}

	if err := pages(ctx, func(opts metav1.ListOptions) (string, error) {
		list, err := k.client.NetworkingV1().NetworkPolicies("").List(ctx, opts)
		if err != nil {
			return "", err
		}
		for _, p := range list.Items {
			f.NetworkPolicies = append(f.NetworkPolicies, p.Namespace+"/"+p.Name)
		}
		return list.Continue, nil
	}); err != nil {
		return fmt.Errorf("listing NetworkPolicies: %w", err)
	}
	if f.SecurityGroupPolicies, err = k.names(ctx, securityGroupPolicies, nil); err != nil {
		return err
	}

	if err := pages(ctx, func(opts metav1.ListOptions) (string, error) {
		list, err := k.client.CoreV1().Services("").List(ctx, opts)
		if err != nil {
			return "", err
		}
		for _, s := range list.Items {
			if strings.EqualFold(s.Annotations[nlbTargetType], "ip") {
				f.IPTargets = append(f.IPTargets, "Service "+s.Namespace+"/"+s.Name)
			}
		}
		return list.Continue, nil
	}); err != nil {
		return fmt.Errorf("listing Services: %w", err)
	}
	if err := pages(ctx, func(opts metav1.ListOptions) (string, error) {
		list, err := k.client.NetworkingV1().Ingresses("").List(ctx, opts)
		if err != nil {
			return "", err
		}
		for _, in := range list.Items {
			if strings.EqualFold(in.Annotations[albTargetType], "ip") {
				f.IPTargets = append(f.IPTargets, "Ingress "+in.Namespace+"/"+in.Name)
			}
		}
		return list.Continue, nil
	}); err != nil {
		return fmt.Errorf("listing Ingresses: %w", err)
	}
	bindings, err := k.names(ctx, targetGroupBindings, func(o unstructured.Unstructured) bool {
		t, _, _ := unstructured.NestedString(o.Object, "spec", "targetType")
		return t == "ip"
	})
	if err != nil {
		return err
	}
	for _, b := range bindings {
		f.IPTargets = append(f.IPTargets, "TargetGroupBinding "+b)
	}

	hidden, err := k.hiddenBackends(ctx, nodeIPs)
	if err != nil {
		return err
	}
	f.HiddenBackends = hidden
	for _, l := range [][]string{f.NetworkPolicies, f.SecurityGroupPolicies, f.IPTargets, f.HiddenBackends} {
		sort.Strings(l)
	}
	return nil
}

// names lists custom resources (namespace/name) that keep passes (nil: all); a resource the
// cluster does not serve (its CRD not installed) has none.
func (k *Kube) names(ctx context.Context, gvr schema.GroupVersionResource, keep func(unstructured.Unstructured) bool) ([]string, error) {
	var out []string
	err := pages(ctx, func(opts metav1.ListOptions) (string, error) {
		list, err := k.dynamic.Resource(gvr).List(ctx, opts)
		if err != nil {
			return "", err
		}
		for _, o := range list.Items {
			if keep == nil || keep(o) {
				out = append(out, o.GetNamespace()+"/"+o.GetName())
			}
		}
		return list.GetContinue(), nil
	})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", gvr.GroupResource(), err)
	}
	return out, nil
}

// hiddenBackends are the admission webhooks and aggregated APIs whose Service has an endpoint
// that is not a node address: a pod off the host network, which the EKS control plane can
// reach over the VPC today and cannot once the pod runs on the overlay.
func (k *Kube) hiddenBackends(ctx context.Context, nodeIPs map[string]bool) ([]string, error) {
	type ref struct{ what, ns, name string }
	var refs []ref
	vw, err := k.client.AdmissionregistrationV1().ValidatingWebhookConfigurations().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("listing ValidatingWebhookConfigurations: %w", err)
	}
	for _, c := range vw.Items {
		for _, w := range c.Webhooks {
			if s := w.ClientConfig.Service; s != nil {
				refs = append(refs, ref{"ValidatingWebhookConfiguration " + c.Name, s.Namespace, s.Name})
			}
		}
	}
	mw, err := k.client.AdmissionregistrationV1().MutatingWebhookConfigurations().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("listing MutatingWebhookConfigurations: %w", err)
	}
	for _, c := range mw.Items {
		for _, w := range c.Webhooks {
			if s := w.ClientConfig.Service; s != nil {
				refs = append(refs, ref{"MutatingWebhookConfiguration " + c.Name, s.Namespace, s.Name})
			}
		}
	}
	as, err := k.dynamic.Resource(apiServices).List(ctx, metav1.ListOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return nil, fmt.Errorf("listing APIServices: %w", err)
	}
	if as != nil {
		for _, o := range as.Items {
			ns, _, _ := unstructured.NestedString(o.Object, "spec", "service", "namespace")
			name, _, _ := unstructured.NestedString(o.Object, "spec", "service", "name")
			if name != "" {
				refs = append(refs, ref{"APIService " + o.GetName(), ns, name})
			}
		}
	}
	seen := map[string]bool{}
	var out []string
	for _, r := range refs {
		slices, err := k.client.DiscoveryV1().EndpointSlices(r.ns).List(ctx, metav1.ListOptions{LabelSelector: "kubernetes.io/service-name=" + r.name})
		if err != nil {
			return nil, fmt.Errorf("listing the endpoints of Service %s/%s: %w", r.ns, r.name, err)
		}
		for _, s := range slices.Items {
			for _, e := range s.Endpoints {
				for _, a := range e.Addresses {
					if !nodeIPs[a] && !seen[r.what] {
						seen[r.what] = true
						out = append(out, fmt.Sprintf("%s (Service %s/%s)", r.what, r.ns, r.name))
					}
				}
			}
		}
	}
	return out, nil
}

// pages calls list with a page size and the continue token until the server has no more.
func pages(ctx context.Context, list func(metav1.ListOptions) (string, error)) error {
	opts := metav1.ListOptions{Limit: 500}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		next, err := list(opts)
		if err != nil {
			return err
		}
		if next == "" {
			return nil
		}
		opts.Continue = next
	}
}
