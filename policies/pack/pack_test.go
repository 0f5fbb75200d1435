package pack

import (
	"context"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
	"google.golang.org/protobuf/types/known/structpb"
)

func TestNew_ServesEveryPolicyAtItsOwnLevel(t *testing.T) {
	want := map[string]policyx.EnforcementLevel{
		"no-vpc-cni":                 policyx.EnforcementLevelMandatory,
		"cilium-startup-taint":       policyx.EnforcementLevelMandatory,
		"nodes-no-public-ip":         policyx.EnforcementLevelMandatory,
		"cilium-cluster-pool":        policyx.EnforcementLevelMandatory,
		"pinned-chart-version":       policyx.EnforcementLevelMandatory,
		"pod-cidr-no-overlap":        policyx.EnforcementLevelMandatory,
		"no-cni-policy-on-nodes":     policyx.EnforcementLevelMandatory,
		"no-ip-targets":              policyx.EnforcementLevelMandatory,
		"karpenter-startup-taint":    policyx.EnforcementLevelMandatory,
		"vpc-cni-kept-until-removal": policyx.EnforcementLevelMandatory,
		"cilium-migration-mode":      policyx.EnforcementLevelMandatory,
		"imdsv2-required":            policyx.EnforcementLevelAdvisory,
		"karpenter-imdsv2":           policyx.EnforcementLevelAdvisory,
		"encrypted-volumes":          policyx.EnforcementLevelAdvisory,
		"control-plane-logs":         policyx.EnforcementLevelAdvisory,
		"secrets-encryption":         policyx.EnforcementLevelAdvisory,
		"restricted-public-endpoint": policyx.EnforcementLevelAdvisory,
		"hubble-enabled":             policyx.EnforcementLevelAdvisory,
		"webhooks-on-host-network":   policyx.EnforcementLevelAdvisory,
	}
	p, err := New()
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if p.Name() != "eks-cilium" || p.Version().String() != "0.1.0" {
		t.Errorf("pack is %s %s, want eks-cilium 0.1.0", p.Name(), p.Version())
	}
	seen := map[string]bool{}
	for _, policy := range p.Policies() {
		name := policy.Name()
		if seen[name] {
			t.Errorf("policy %s appears twice", name)
		}
		seen[name] = true
		level, ok := want[name]
		if !ok {
			t.Errorf("unexpected policy %s", name)
			continue
		}
		if policy.EnforcementLevel() != level {
			t.Errorf("%s has level %s, want %s", name, levelName(policy.EnforcementLevel()), levelName(level))
		}
		if policy.Description() == "" {
			t.Errorf("%s has no description", name)
		}
	}
	if len(seen) != len(want) {
		t.Errorf("pack has %d policies, want %d", len(seen), len(want))
	}
}

// The engine learns each policy's options through GetAnalyzerInfo, which converts the schema
// with structpb; a schema it cannot convert breaks the whole pack.
func TestNew_ConfigSchemasConvertForTheEngine(t *testing.T) {
	for _, policy := range Policies() {
		schema := policy.ConfigSchema()
		if schema == nil {
			continue
		}
		m := make(map[string]any, len(schema.Properties))
		for k, v := range schema.Properties {
			m[k] = v
		}
		if _, err := structpb.NewStruct(m); err != nil {
			t.Errorf("%s: schema does not convert: %v", policy.Name(), err)
		}
	}
}

// compliantInputs is one compliant resource of every type the pack inspects.
func compliantInputs() map[string]map[string]any {
	return map[string]map[string]any{
		typeEksCluster:          goodEksCluster(),
		typeAwsEksCluster:       goodAwsCluster(),
		typeEksManagedNodeGroup: goodManagedNodeGroup(),
		typeAwsEksNodeGroup:     goodAwsNodeGroup(),
		typeEksNodeGroupV2: {"nodeSubnetIds": []any{"subnet-priv-a"}, "taints": map[string]any{
			"node.cilium.io/agent-not-ready": map[string]any{"value": "true", "effect": "NoExecute"}}},
		typeAwsLaunchTemplate:   goodLaunchTemplate(),
		typeHelmRelease:         goodCiliumRelease(),
		typeAwsEksAddon:         {"clusterName": "main", "addonName": "coredns"},
		typeEksAddon:            {"addonName": "coredns"},
		typeAwsIamRole:          {"managedPolicyArns": []any{"arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy"}},
		typeAwsRolePolicyAttach: {"role": "node", "policyArn": "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy"},
		typeAwsSubnet:           {"id": "subnet-priv-a", "cidrBlock": "192.168.0.0/19", "mapPublicIpOnLaunch": false},
		typeAwsVpc:              {"cidrBlock": "192.168.0.0/16"},
		typeK8sService:          instanceTargetService(),
		typeK8sIngress:          instanceTargetIngress(),
	}
}

// runAll runs every policy of the pack over the resources and returns all violations.
func runAll(t *testing.T, resources []policyx.AnalyzerResource) []recorded {
	t.Helper()
	manager := &recordingManager{}
	for _, policy := range Policies() {
		switch p := policy.(type) {
		case policyx.ResourceValidationPolicy:
			for _, res := range resources {
				if err := p.Validate(context.Background(), policyx.ResourceValidationArgs{Manager: manager, Resource: res}); err != nil {
					t.Fatalf("%s: %v", p.Name(), err)
				}
			}
		case policyx.StackValidationPolicy:
			if err := p.Validate(context.Background(), policyx.StackValidationArgs{Manager: manager, Resources: resources}); err != nil {
				t.Fatalf("%s: %v", p.Name(), err)
			}
		}
	}
	return manager.violations
}

func TestPack_AcceptsCompliantStack(t *testing.T) {
	var resources []policyx.AnalyzerResource
	for typ, inputs := range compliantInputs() {
		resources = append(resources, analyzerResource(t, typ, "main", inputs))
	}
	assertViolations(t, runAll(t, resources), 0, "", nil)
}

// During preview any input may be unknown; no policy may guess.
func TestPack_ReportsNothingWhenEveryInputIsUnknown(t *testing.T) {
	var resources []policyx.AnalyzerResource
	for typ, inputs := range compliantInputs() {
		unknownInputs := map[string]any{}
		for k := range inputs {
			unknownInputs[k] = computed
		}
		resources = append(resources, analyzerResource(t, typ, "main", unknownInputs))
	}
	assertViolations(t, runAll(t, resources), 0, "", nil)
}

// In a real run the pulumi-eks provider registers its components with no properties.
func TestPack_ReportsNothingForComponentsRegisteredByTheirProvider(t *testing.T) {
	var resources []policyx.AnalyzerResource
	for _, typ := range []string{typeEksCluster, typeEksManagedNodeGroup, typeEksNodeGroup, typeEksNodeGroupV2,
		typeEksAddon, typeEksVpcCniAddon} {
		resources = append(resources, analyzerResource(t, typ, "main", map[string]any{}))
	}
	assertViolations(t, runAll(t, resources), 0, "", nil)
}

// A value of an unexpected shape must yield a violation at worst, never a panic.
func TestPack_SurvivesMistypedValues(t *testing.T) {
	for _, odd := range []any{42, "text", true, []any{1, nil, "x"}, map[string]any{"a": []any{}}} {
		var resources []policyx.AnalyzerResource
		for typ, inputs := range compliantInputs() {
			mistyped := map[string]any{}
			for k := range inputs {
				mistyped[k] = odd
			}
			resources = append(resources, analyzerResource(t, typ, "main", mistyped))
		}
		runAll(t, resources)
	}
	// Nothing at all set: still no panic, and the mandatory checks do fire.
	var bare []policyx.AnalyzerResource
	for typ := range compliantInputs() {
		bare = append(bare, policyx.AnalyzerResource{URN: urnOf(typ, "bare"), Type: typ, Name: "bare", Properties: property.Map{}})
	}
	runAll(t, bare)
}
