package chart_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eks-cilium/eks-cilium/charts"
	"github.com/eks-cilium/eks-cilium/components/karpenter"
	"github.com/eks-cilium/eks-cilium/render"
	"github.com/eks-cilium/eks-cilium/stackconfig"
	"helm.sh/helm/v3/pkg/chart"
	apiextensionsinternal "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	apiservervalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
)

// karpenterStack is the shipped stack that installs Karpenter.
const karpenterStack = "../../stacks/Pulumi.dev.yaml"

// karpenterProgram runs the real program offline in Known mode (as an update would) and
// returns the stack config, the karpenter release's values and the objects it applies.
func karpenterProgram(t *testing.T) (stackconfig.Config, map[string]any, []object) {
	t.Helper()
	cfg, vals, err := stackconfig.LoadFile(karpenterStack)
	if err != nil {
		t.Fatalf("loading %s: %v", karpenterStack, err)
	}
	if cfg.Karpenter == nil {
		t.Fatalf("%s no longer sets eks-cilium:karpenter; point karpenterStack at a stack that does", karpenterStack)
	}
	res, err := render.Run(cfg.Stack, vals, render.Options{Known: true})
	if err != nil {
		t.Fatalf("running the program: %v", err)
	}
	rep, err := render.NewReport(res)
	if err != nil {
		t.Fatal(err)
	}
	var values map[string]any
	var objs []object
	for _, r := range rep.Resources {
		switch {
		case r.Type == "kubernetes:helm.sh/v3:Release" && r.Inputs["chart"] == charts.KarpenterRepo+"/"+charts.KarpenterChart:
			values, _ = r.Inputs["values"].(map[string]any)
		case r.Type == "kubernetes:karpenter.sh/v1:NodePool" || r.Type == "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass":
			obj := object{}
			for _, k := range []string{"apiVersion", "kind", "metadata", "spec"} {
				obj[k] = r.Inputs[k]
			}
			objs = append(objs, obj)
		}
	}
	if values == nil || len(objs) != 2*len(cfg.Karpenter.NodePools) {
		t.Fatalf("the program registered values %v and %d Karpenter objects for %d node pools", values, len(objs), len(cfg.Karpenter.NodePools))
	}
	walk("", map[string]any{"values": values, "objects": objs}, func(at string, v any) {
		if v == render.Computed {
			t.Errorf("%s is %q in Known mode: the cluster would get a placeholder", at, v)
		}
	})
	return cfg, values, objs
}

func karpenterChart(t *testing.T, name, version string) *chart.Chart {
	t.Helper()
	chrt := loadChart(t, filepath.Join(chartsDir, name+"-"+version+".tgz"))
	if chrt.Metadata.Version != version {
		t.Fatalf("%s-%s.tgz is chart version %s", name, version, chrt.Metadata.Version)
	}
	return chrt
}

// TestKarpenterChart_RendersTheControllerForPodIdentityOnThePodNetwork renders the real
// karpenter chart with our values: the controller's service account is the one the Pod
// Identity association names, it knows the cluster and the interruption queue, and nothing
// in the chart needs the control plane to reach a pod (no webhook, no host network).
func TestKarpenterChart_RendersTheControllerForPodIdentityOnThePodNetwork(t *testing.T) {
	cfg, values, _ := karpenterProgram(t)
	chrt := karpenterChart(t, charts.KarpenterChart, cfg.Karpenter.Version)
	objs, err := renderRelease(chrt, charts.KarpenterRelease, karpenter.Namespace, values, cfg.Cluster.Version)
	if err != nil {
		t.Fatalf("the chart refuses our values: %v", err)
	}
	sa := find(t, objs, "ServiceAccount", karpenter.ServiceAccount)
	if ns := lookup(sa, "metadata", "namespace"); ns != karpenter.Namespace {
		t.Errorf("service account namespace %v, want %s (the Pod Identity association's)", ns, karpenter.Namespace)
	}
	deploy := find(t, objs, "Deployment", charts.KarpenterRelease)
	if got := lookup(deploy, "spec", "template", "spec", "serviceAccountName"); got != karpenter.ServiceAccount {
		t.Errorf("serviceAccountName = %v, want %s", got, karpenter.ServiceAccount)
	}
	if hn := lookup(deploy, "spec", "template", "spec", "hostNetwork"); hn == true {
		t.Error("the controller runs on the host network")
	}
	for env, want := range map[string]string{
		"CLUSTER_NAME":               cfg.ClusterName(),
		"CLUSTER_ENDPOINT":           render.FakeEndpoint,
		"INTERRUPTION_QUEUE":         "karpenter-20261201000000000000000001",
		"VM_MEMORY_OVERHEAD_PERCENT": "0.075",
	} {
		if got := containerEnv(t, deploy, "controller", env); got != want {
			t.Errorf("controller %s = %q, want %q", env, got, want)
		}
	}
	for _, o := range objs {
		kind, _ := o["kind"].(string)
		if strings.Contains(kind, "Webhook") || kind == "APIService" || kind == "CustomResourceDefinition" {
			t.Errorf("the chart renders a %s: %v (webhooks and aggregated APIs need the control plane to reach a pod; CRDs belong to karpenter-crd)", kind, lookup(o, "metadata", "name"))
		}
	}
	// The controller stays off Karpenter's own nodes (the chart's default affinity).
	if aff := fmt.Sprint(lookup(deploy, "spec", "template", "spec", "affinity")); !strings.Contains(aff, "karpenter.sh/nodepool") {
		t.Errorf("affinity = %s: the controller could land on a node it manages", aff)
	}
}

// TestKarpenterCRDs_AcceptOurNodePoolsAndEC2NodeClasses validates the objects the program
// applies against the CRDs karpenter-crd ships, as the API server does on create: the
// structural schema's defaults, then OpenAPI validation, then the CEL rules
// (x-kubernetes-validations), and no field pruned as unknown.
func TestKarpenterCRDs_AcceptOurNodePoolsAndEC2NodeClasses(t *testing.T) {
	cfg, _, objs := karpenterProgram(t)
	crds := karpenterCRDs(t, cfg)
	for _, obj := range objs {
		name := karpenter.ObjectName(obj)
		t.Run(name, func(t *testing.T) {
			for _, problem := range admit(t, crds, obj) {
				t.Error(problem)
			}
		})
	}
}

// TestKarpenterCRDs_RefuseBrokenObjects is the negative control: each change breaks one rule
// the API server enforces, through the schema or through CEL, so the validation above
// cannot pass because it checks nothing.
func TestKarpenterCRDs_RefuseBrokenObjects(t *testing.T) {
	cfg, _, objs := karpenterProgram(t)
	crds := karpenterCRDs(t, cfg)
	var pool, class object
	for _, o := range objs {
		switch o["kind"] {
		case karpenter.NodePoolKind:
			pool = o
		case karpenter.NodeClassKind:
			class = o
		}
	}
	for _, tc := range []struct {
		name   string
		base   object
		mutate func(spec map[string]any)
		want   string
	}{
		{"hop limit 0 (schema minimum)", class, func(s map[string]any) {
			s["metadataOptions"].(map[string]any)["httpPutResponseHopLimit"] = 0
		}, "httpPutResponseHopLimit"},
		{"role and instance profile (CEL)", class, func(s map[string]any) { s["instanceProfile"] = "p" }, "role"},
		{"no subnet selector (required)", class, func(s map[string]any) { delete(s, "subnetSelectorTerms") }, "subnetSelectorTerms"},
		{"Gt with two values (CEL)", pool, func(s map[string]any) {
			reqs := s["template"].(map[string]any)["spec"].(map[string]any)["requirements"].([]any)
			reqs[len(reqs)-1].(map[string]any)["values"] = []any{"1", "2"}
		}, "single positive integer"},
		{"startup taint with EKS's effect spelling (enum)", pool, func(s map[string]any) {
			s["template"].(map[string]any)["spec"].(map[string]any)["startupTaints"].([]any)[0].(map[string]any)["effect"] = "NO_EXECUTE"
		}, "effect"},
		{"restricted requirement key (CEL)", pool, func(s map[string]any) {
			reqs := s["template"].(map[string]any)["spec"].(map[string]any)["requirements"].([]any)
			reqs[0].(map[string]any)["key"] = "karpenter.sh/nodepool"
		}, "restricted"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			obj := deepCopy(tc.base)
			tc.mutate(obj["spec"].(map[string]any))
			problems := admit(t, crds, obj)
			if !strings.Contains(strings.Join(problems, "\n"), tc.want) {
				t.Errorf("want a problem mentioning %q, got %v", tc.want, problems)
			}
		})
	}
}

// crd is one served version of a CRD, ready to admit objects.
type crd struct {
	structural *structuralschema.Structural
	validator  apiservervalidation.SchemaValidator
	cel        *cel.Validator
}

// karpenterCRDs renders karpenter-crd and builds, per "<apiVersion>/<kind>", what the API
// server builds from it.
func karpenterCRDs(t *testing.T, cfg stackconfig.Config) map[string]crd {
	t.Helper()
	chrt := karpenterChart(t, charts.KarpenterCRDChart, cfg.Karpenter.Version)
	rendered, err := renderRelease(chrt, charts.KarpenterCRDRelease, karpenter.Namespace, map[string]any{}, cfg.Cluster.Version)
	if err != nil {
		t.Fatalf("rendering karpenter-crd: %v", err)
	}
	out := map[string]crd{}
	for _, o := range rendered {
		if o["kind"] != "CustomResourceDefinition" {
			continue
		}
		b, err := json.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		var def apiextensionsv1.CustomResourceDefinition
		if err := json.Unmarshal(b, &def); err != nil {
			t.Fatalf("CRD %v: %v", lookup(o, "metadata", "name"), err)
		}
		for _, v := range def.Spec.Versions {
			if !v.Served || v.Schema == nil || v.Schema.OpenAPIV3Schema == nil {
				continue
			}
			var internal apiextensionsinternal.JSONSchemaProps
			if err := apiextensionsv1.Convert_v1_JSONSchemaProps_To_apiextensions_JSONSchemaProps(v.Schema.OpenAPIV3Schema, &internal, nil); err != nil {
				t.Fatal(err)
			}
			structural, err := structuralschema.NewStructural(&internal)
			if err != nil {
				t.Fatalf("%s %s is not structural: %v", def.Name, v.Name, err)
			}
			validator, _, err := apiservervalidation.NewSchemaValidator(&internal)
			if err != nil {
				t.Fatal(err)
			}
			out[def.Spec.Group+"/"+v.Name+"/"+def.Spec.Names.Kind] = crd{
				structural: structural, validator: validator,
				cel: cel.NewValidator(structural, true, celconfig.PerCallLimit),
			}
		}
	}
	for _, want := range []string{"karpenter.sh/v1/NodePool", "karpenter.k8s.aws/v1/EC2NodeClass"} {
		if _, ok := out[want]; !ok {
			t.Fatalf("karpenter-crd %s serves no %s", cfg.Karpenter.Version, want)
		}
	}
	return out
}

// admit does what the API server does to a new custom resource and returns every problem:
// fields it would prune as unknown, then schema and CEL violations after defaulting.
func admit(t *testing.T, crds map[string]crd, obj object) []string {
	t.Helper()
	// Through JSON, as the API server receives it: numbers become int64/float64.
	b, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	var u map[string]any
	if err := json.Unmarshal(b, &u); err != nil {
		t.Fatal(err)
	}
	u = intsFromJSON(u).(map[string]any)
	def, ok := crds[fmt.Sprint(u["apiVersion"])+"/"+fmt.Sprint(u["kind"])]
	if !ok {
		t.Fatalf("no CRD serves %v %v", u["apiVersion"], u["kind"])
	}
	var problems []string
	for _, path := range pruning.PruneWithOptions(u, def.structural, true, structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true}) {
		problems = append(problems, "unknown field "+path+" (the API server would drop it)")
	}
	structuraldefaulting.Default(u, def.structural)
	for _, e := range apiservervalidation.ValidateCustomResource(nil, u, def.validator) {
		problems = append(problems, e.Error())
	}
	errs, _ := def.cel.Validate(context.Background(), field.NewPath(""), def.structural, u, nil, celconfig.RuntimeCELCostBudget)
	for _, e := range errs {
		problems = append(problems, e.Error())
	}
	return problems
}

// intsFromJSON turns whole float64s into int64, as the API server's decoder does.
func intsFromJSON(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = intsFromJSON(e)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = intsFromJSON(e)
		}
		return x
	case float64:
		if x == float64(int64(x)) {
			return int64(x)
		}
	}
	return v
}
