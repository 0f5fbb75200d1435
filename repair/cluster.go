package repair

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/eks-cilium/eks-cilium/repair/triage"
	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/kube"
	"helm.sh/helm/v3/pkg/release"
	"helm.sh/helm/v3/pkg/storage/driver"
	apiextv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	yamlutil "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/yaml"
)

// cluster is the stack's cluster, reached through its kubeconfig.
type cluster struct {
	kubeconfigPath string
	rest           *rest.Config
	client         kubernetes.Interface
	dynamic        dynamic.Interface
	helm           map[string]*action.Configuration // by namespace
}

// connect writes the kubeconfig to a private file in dir (Helm's client reads a file) and
// builds the clients.
func connect(kubeconfig []byte, dir string) (*cluster, error) {
	path := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(path, kubeconfig, 0o600); err != nil {
		return nil, err
	}
	cfg, err := clientcmd.RESTConfigFromKubeConfig(kubeconfig)
	if err != nil {
		return nil, fmt.Errorf("the stack's kubeconfig: %w", err)
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	return &cluster{kubeconfigPath: path, rest: cfg, client: client, dynamic: dyn, helm: map[string]*action.Configuration{}}, nil
}

// helmConfig is Helm's action configuration for a namespace, with Helm's default storage
// (Secrets).
func (c *cluster) helmConfig(namespace string) (*action.Configuration, error) {
	if cfg, ok := c.helm[namespace]; ok {
		return cfg, nil
	}
	cfg := new(action.Configuration)
	if err := cfg.Init(kube.GetConfig(c.kubeconfigPath, "", namespace), namespace, "secret", func(string, ...any) {}); err != nil {
		return nil, err
	}
	c.helm[namespace] = cfg
	return cfg, nil
}

// nodes counts the cluster's nodes.
func (c *cluster) nodes(ctx context.Context) (int, error) {
	list, err := c.client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return 0, fmt.Errorf("listing the cluster's nodes: %w", err)
	}
	return len(list.Items), nil
}

// history is a release's revisions, newest first; nil when Helm has none.
func (c *cluster) history(namespace, name string) ([]*release.Release, error) {
	cfg, err := c.helmConfig(namespace)
	if err != nil {
		return nil, err
	}
	h, err := cfg.Releases.History(name)
	if errors.Is(err, driver.ErrReleaseNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading Helm's history of %s/%s: %w", namespace, name, err)
	}
	sort.Slice(h, func(i, j int) bool { return h[i].Version > h[j].Version })
	return h, nil
}

// record sums up a release's history for triage.
func record(h []*release.Release) *triage.Record {
	if len(h) == 0 {
		return nil
	}
	newest := h[0]
	r := &triage.Record{Revision: newest.Version}
	if newest.Info != nil {
		r.Status = newest.Info.Status.String()
	}
	if newest.Chart != nil && newest.Chart.Metadata != nil {
		r.Chart, r.Version = newest.Chart.Metadata.Name, newest.Chart.Metadata.Version
	}
	for _, rev := range h[1:] {
		if rev.Info != nil && (rev.Info.Status == release.StatusDeployed || rev.Info.Status == release.StatusSuperseded) {
			r.LastDeployed = rev.Version
			break
		}
	}
	if newest.Info != nil && newest.Info.Status == release.StatusDeployed {
		r.LastDeployed = newest.Version
	}
	return r
}

// workloadKinds are the manifest's kinds whose pods repair looks for.
var workloadKinds = map[string]bool{"Deployment": true, "DaemonSet": true, "StatefulSet": true}

// use finds what in the cluster depends on a release: running pods of the workloads of its
// manifest, and objects of the CRDs its manifest defines.
func (c *cluster) use(ctx context.Context, rel *release.Release) (triage.Use, error) {
	var u triage.Use
	objs, err := manifestObjects(rel.Manifest)
	if err != nil {
		return u, fmt.Errorf("reading the manifest of %s/%s: %w", rel.Namespace, rel.Name, err)
	}
	for _, o := range objs {
		ns := o.GetNamespace()
		if ns == "" {
			ns = rel.Namespace
		}
		switch {
		case workloadKinds[o.GetKind()]:
			pods, err := c.runningPods(ctx, o.GetKind(), ns, o.GetName())
			if err != nil {
				return u, err
			}
			u.RunningPods = append(u.RunningPods, pods...)
		case o.GetKind() == "CustomResourceDefinition":
			objects, err := c.customObjects(ctx, o)
			if err != nil {
				return u, err
			}
			u.CustomObjects = append(u.CustomObjects, objects...)
		}
	}
	return u, nil
}

// agentDaemonSet is the name of Cilium's agent DaemonSet in the cilium chart 1.19.6
// (templates/cilium-agent/daemonset.yaml, metadata.name: {{ .Values.name }}, whose default is
// cilium; the stack does not set it). The pre-flight check's is cilium-pre-flight-check.
const agentDaemonSet = "cilium"

// installsAgent reports whether a release's manifest holds Cilium's agent DaemonSet.
func installsAgent(rel *release.Release) bool {
	objs, err := manifestObjects(rel.Manifest)
	if err != nil {
		return false
	}
	for _, o := range objs {
		if o.GetKind() == "DaemonSet" && o.GetName() == agentDaemonSet {
			return true
		}
	}
	return false
}

// runningPods lists the running pods of a workload, by the selector of the live object (the
// manifest's may differ from what runs); none when the workload does not exist.
func (c *cluster) runningPods(ctx context.Context, kind, namespace, name string) ([]string, error) {
	var selector *metav1.LabelSelector
	var err error
	apps := c.client.AppsV1()
	switch kind {
	case "Deployment":
		obj, e := apps.Deployments(namespace).Get(ctx, name, metav1.GetOptions{})
		err = e
		if e == nil {
			selector = obj.Spec.Selector
		}
	case "DaemonSet":
		obj, e := apps.DaemonSets(namespace).Get(ctx, name, metav1.GetOptions{})
		err = e
		if e == nil {
			selector = obj.Spec.Selector
		}
	case "StatefulSet":
		obj, e := apps.StatefulSets(namespace).Get(ctx, name, metav1.GetOptions{})
		err = e
		if e == nil {
			selector = obj.Spec.Selector
		}
	}
	if err != nil {
		if isNotFound(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("reading %s %s/%s: %w", kind, namespace, name, err)
	}
	if selector == nil {
		return nil, nil
	}
	sel, err := metav1.LabelSelectorAsSelector(selector)
	if err != nil {
		return nil, err
	}
	pods, err := c.client.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
	if err != nil {
		return nil, fmt.Errorf("listing the pods of %s %s/%s: %w", kind, namespace, name, err)
	}
	var out []string
	for _, p := range pods.Items {
		if p.Status.Phase == "Running" && p.DeletionTimestamp == nil {
			out = append(out, p.Namespace+"/"+p.Name)
		}
	}
	return out, nil
}

// customObjects lists the objects of a CRD of the manifest, in every version it serves.
func (c *cluster) customObjects(ctx context.Context, crdObj *unstructured.Unstructured) ([]string, error) {
	var crd apiextv1.CustomResourceDefinition
	data, err := crdObj.MarshalJSON()
	if err != nil {
		return nil, err
	}
	if err := yaml.Unmarshal(data, &crd); err != nil {
		return nil, err
	}
	for _, v := range crd.Spec.Versions {
		if !v.Served {
			continue
		}
		gvr := schema.GroupVersionResource{Group: crd.Spec.Group, Version: v.Name, Resource: crd.Spec.Names.Plural}
		list, err := c.dynamic.Resource(gvr).List(ctx, metav1.ListOptions{})
		if err != nil {
			if isNotFound(err) {
				return nil, nil // the CRD is not (or no longer) registered: no objects
			}
			return nil, fmt.Errorf("listing %s: %w", gvr, err)
		}
		var out []string
		for _, o := range list.Items {
			name := o.GetName()
			if o.GetNamespace() != "" {
				name = o.GetNamespace() + "/" + name
			}
			out = append(out, crd.Spec.Names.Kind+" "+name)
		}
		return out, nil
	}
	return nil, nil
}

// manifestObjects splits a release's rendered manifest into objects.
func manifestObjects(manifest string) ([]*unstructured.Unstructured, error) {
	dec := yamlutil.NewYAMLOrJSONDecoder(bytes.NewReader([]byte(manifest)), 4096)
	var out []*unstructured.Unstructured
	for {
		var obj map[string]any
		if err := dec.Decode(&obj); err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return nil, err
		}
		if len(obj) == 0 {
			continue
		}
		out = append(out, &unstructured.Unstructured{Object: obj})
	}
}

func isNotFound(err error) bool { return apierrors.IsNotFound(err) }
