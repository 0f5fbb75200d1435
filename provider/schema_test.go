package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/blang/semver"
	"github.com/eks-cilium/eks-cilium/provider/ekscilium"
	"github.com/eks-cilium/eks-cilium/stackconfig"
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
)

const platformToken = "eks-cilium:index:Platform"

// schemaTimeout bounds schema generation: pulumi-go-provider v1.5.0 loops forever on some
// output types (an IDOutput field), and a loop must fail the test, not hang CI.
const schemaTimeout = 2 * time.Minute

// packageSchema generates the provider's schema in-process, exactly as `pulumi package
// get-schema` would ask the plugin for it. It runs once per test binary: a loop fails the
// first test after schemaTimeout and every later one at once, well inside go test's timeout.
func packageSchema(t *testing.T) schema.PackageSpec {
	t.Helper()
	generated.once.Do(func() {
		type result struct {
			spec schema.PackageSpec
			err  error
		}
		done := make(chan result, 1) // buffered: a late answer after the timeout is dropped
		go func() {
			prov, err := ekscilium.Provider()
			if err != nil {
				done <- result{err: err}
				return
			}
			spec, err := p.GetSchema(context.Background(), ekscilium.Name, ekscilium.Version, prov)
			done <- result{spec, err}
		}()
		select {
		case r := <-done:
			generated.spec, generated.err = r.spec, r.err
		case <-time.After(schemaTimeout):
			generated.err = fmt.Errorf("did not finish within %s (an IDOutput field in a component's outputs makes v1.5.0 loop; expose IDs as StringOutput)", schemaTimeout)
		}
	})
	if generated.err != nil {
		t.Fatalf("schema generation failed: %v", generated.err)
	}
	return generated.spec
}

var generated struct {
	once sync.Once
	spec schema.PackageSpec
	err  error
}

func platformSpec(t *testing.T, spec schema.PackageSpec) schema.ResourceSpec {
	t.Helper()
	res, ok := spec.Resources[platformToken]
	if !ok {
		t.Fatalf("schema has no resource %s; resources: %v", platformToken, keys(spec.Resources))
	}
	return res
}

// objectType resolves a "#/types/<token>" reference of the schema.
func objectType(t *testing.T, spec schema.PackageSpec, ts schema.TypeSpec) (string, schema.ComplexTypeSpec) {
	t.Helper()
	if ts.Type == "array" && ts.Items != nil {
		ts = *ts.Items
	}
	const prefix = "#/types/"
	if len(ts.Ref) <= len(prefix) || ts.Ref[:len(prefix)] != prefix {
		t.Fatalf("expected a reference to an object type, got %+v", ts)
	}
	tok := ts.Ref[len(prefix):]
	typ, ok := spec.Types[tok]
	if !ok {
		t.Fatalf("type %s is referenced but not defined; types: %v", tok, keys(spec.Types))
	}
	return tok, typ
}

func TestSchema_IsTheEksCiliumPackage(t *testing.T) {
	spec := packageSchema(t)
	if spec.Name != "eks-cilium" {
		t.Errorf("package name = %q, want eks-cilium (tokens are eks-cilium:index:*)", spec.Name)
	}
	if spec.Version != ekscilium.Version {
		t.Errorf("package version = %q, want %q", spec.Version, ekscilium.Version)
	}
	// The schema must bind: every reference resolves, every type is well formed.
	if _, diags, err := schema.BindSpec(spec, noPackages{}, schema.ValidationOptions{}); err != nil || diags.HasErrors() {
		t.Fatalf("schema does not bind: err=%v diags=%v", err, diags)
	}
}

func TestSchema_TokensAreInTheIndexModule(t *testing.T) {
	spec := packageSchema(t)
	for _, tok := range append(keys(spec.Resources), keys(spec.Types)...) {
		if len(tok) < len("eks-cilium:index:") || tok[:len("eks-cilium:index:")] != "eks-cilium:index:" {
			t.Errorf("token %s is not in eks-cilium:index (the Go package name leaked into the module)", tok)
		}
	}
}

func TestSchema_PlatformIsAComponentWithDocumentedInputs(t *testing.T) {
	spec := packageSchema(t)
	res := platformSpec(t, spec)
	if !res.IsComponent {
		t.Errorf("%s must be a component (isComponent), got a custom resource", platformToken)
	}
	if res.Description == "" {
		t.Errorf("%s has no description", platformToken)
	}
	want := []string{"addons", "chartSources", "cilium", "cluster", "clusterMesh", "karpenter", "migration", "nodeGroups", "vpc"}
	if got := keys(res.InputProperties); !slices.Equal(got, want) {
		t.Errorf("inputs = %v, want %v", got, want)
	}
	for name, prop := range res.InputProperties {
		if prop.Description == "" {
			t.Errorf("input %s has no description", name)
		}
	}
	// vpc and cluster have complete defaults; node groups and the pod pool have none.
	required := slices.Sorted(slices.Values(res.RequiredInputs))
	if want := []string{"cilium", "nodeGroups"}; !slices.Equal(required, want) {
		t.Errorf("required inputs = %v, want %v", required, want)
	}
	if ng := res.InputProperties["nodeGroups"]; ng.Type != "array" || ng.Items == nil {
		t.Errorf("nodeGroups must be an array of objects, got %+v", ng.TypeSpec)
	}
}

func TestSchema_NestedTypesKeepCiliumAndStackKeyNames(t *testing.T) {
	spec := packageSchema(t)
	res := platformSpec(t, spec)
	cases := []struct {
		input    string
		props    map[string]string // property -> schema type
		required []string
	}{
		{"cilium", map[string]string{
			"clusterPoolIPv4PodCIDRList": "array",
			// An integer, as the chart's values.schema.json demands; a string is refused there.
			"clusterPoolIPv4MaskSize": "integer",
			"tunnelProtocol":          "string",
			"version":                 "string",
			"hubbleRelay":             "boolean",
			"encryption":              "string",
			"values":                  "object",
			"allowPoolRewrite":        "boolean",
		}, []string{"clusterPoolIPv4PodCIDRList"}},
		{"vpc", map[string]string{
			"cidr": "string", "availabilityZones": "integer", "availabilityZoneNames": "array",
			"natGateways": "string", "id": "string", "privateSubnetIds": "array", "publicSubnetIds": "array",
		}, nil},
		{"cluster", map[string]string{
			"name": "string", "version": "string", "serviceCidr": "string", "kubeProxyReplacement": "boolean",
			"endpointPublicAccess": "boolean", "publicAccessCidrs": "array", "adminPrincipalArns": "array",
			"kmsKeyArn": "string", "corednsVersion": "string", "protect": "boolean", "allowClusterReplacement": "boolean",
			"allowVersionRollback": "boolean", "existing": "boolean",
		}, nil},
		{"nodeGroups", map[string]string{
			"name": "string", "instanceTypes": "array", "minSize": "integer", "desiredSize": "integer",
			"maxSize": "integer", "maxPods": "integer", "amiType": "string", "amiVersion": "string", "capacityType": "string",
			"diskSize": "integer", "maxUnavailable": "integer", "ignoreScalingChanges": "boolean",
			"enableSsm": "boolean", "labels": "object",
		}, []string{"desiredSize", "instanceTypes", "maxSize", "minSize", "name"}},
		// Objects are references to their own types (no "type" of their own).
		{"addons", map[string]string{"metricsServer": "", "awsLoadBalancerController": ""}, nil},
		{"karpenter", map[string]string{"version": "string", "nodePools": "array"}, []string{"nodePools", "version"}},
		{"chartSources", map[string]string{"cilium": "", "metricsServer": "", "awsLoadBalancerController": "", "karpenter": "", "karpenterCrd": ""}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.input, func(t *testing.T) {
			tok, typ := objectType(t, spec, res.InputProperties[tc.input].TypeSpec)
			if typ.Description == "" {
				t.Errorf("type %s has no description", tok)
			}
			if got, want := keys(typ.Properties), keys(tc.props); !slices.Equal(got, want) {
				t.Errorf("%s properties = %v, want %v", tok, got, want)
			}
			for name, wantType := range tc.props {
				prop, ok := typ.Properties[name]
				if !ok {
					continue // reported above
				}
				if prop.Type != wantType {
					t.Errorf("%s.%s has type %q, want %q", tok, name, prop.Type, wantType)
				}
				if prop.Description == "" {
					t.Errorf("%s.%s has no description", tok, name)
				}
			}
			if got := slices.Sorted(slices.Values(typ.Required)); !slices.Equal(got, tc.required) {
				t.Errorf("%s required = %v, want %v", tok, got, tc.required)
			}
		})
	}
}

// The defaults the schema documents are stackconfig's, so generated SDKs and the Go
// program cannot disagree about what an omitted field means.
func TestSchema_DefaultsAreStackconfigDefaults(t *testing.T) {
	spec := packageSchema(t)
	res := platformSpec(t, spec)
	def := stackconfig.Defaults()
	ng := stackconfig.Default[stackconfig.NodeGroupConfig]()
	want := map[string]map[string]any{
		"vpc": {"cidr": def.Vpc.Cidr, "availabilityZones": def.Vpc.AvailabilityZones, "natGateways": def.Vpc.NatGateways},
		"cluster": {"version": def.Cluster.Version, "serviceCidr": def.Cluster.ServiceCidr,
			"kubeProxyReplacement": def.Cluster.KubeProxyReplacement, "endpointPublicAccess": def.Cluster.EndpointPublicAccess},
		"cilium": {"version": def.Cilium.Version, "clusterPoolIPv4MaskSize": def.Cilium.ClusterPoolIPv4MaskSize,
			"tunnelProtocol": def.Cilium.TunnelProtocol, "hubbleRelay": def.Cilium.HubbleRelay},
		"nodeGroups": {"amiType": ng.AmiType, "capacityType": ng.CapacityType, "diskSize": ng.DiskSize, "maxUnavailable": ng.MaxUnavailable},
	}
	for input, props := range want {
		tok, typ := objectType(t, spec, res.InputProperties[input].TypeSpec)
		for name, v := range props {
			if got := jsonOf(t, typ.Properties[name].Default); got != jsonOf(t, v) {
				t.Errorf("%s.%s default = %s, want %s (stackconfig)", tok, name, got, jsonOf(t, v))
			}
		}
	}
}

func TestSchema_PlatformOutputs(t *testing.T) {
	res := platformSpec(t, packageSchema(t))
	want := map[string]string{
		"clusterName":      "string",
		"clusterEndpoint":  "string",
		"kubeconfig":       "string",
		"vpcId":            "string",
		"privateSubnetIds": "array",
		"podCidrs":         "array",
		"podCidrMaskSize":  "integer",
	}
	if got := keys(res.Properties); !slices.Equal(got, keys(want)) {
		t.Errorf("outputs = %v, want %v", got, keys(want))
	}
	for name, typ := range want {
		prop := res.Properties[name]
		if prop.Type != typ {
			t.Errorf("output %s has type %q, want %q", name, prop.Type, typ)
		}
		if prop.Description == "" {
			t.Errorf("output %s has no description", name)
		}
		if secret := name == "kubeconfig"; prop.Secret != secret {
			t.Errorf("output %s secret = %v, want %v", name, prop.Secret, secret)
		}
	}
}

// noPackages is the schema loader for a package that references no other package: every
// type the Platform uses is its own or one of Pulumi's builtins.
type noPackages struct{}

func (noPackages) LoadPackage(pkg string, _ *semver.Version) (*schema.Package, error) {
	return nil, fmt.Errorf("the eks-cilium schema references package %s; it must be self-contained", pkg)
}

func (noPackages) LoadPackageV2(_ context.Context, d *schema.PackageDescriptor) (*schema.Package, error) {
	return nil, fmt.Errorf("the eks-cilium schema references package %s; it must be self-contained", d.Name)
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
