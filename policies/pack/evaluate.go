package pack

import (
	"context"
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
)

// Resource is one registered resource as an offline render sees it.
type Resource struct {
	URN  string
	Type string
	Name string
	// ID is the provider id when one is known (a mock's id in the offline render). Stack
	// policies that match resources by id (nodes-no-public-ip matches subnetIds to subnets)
	// see it as the "id" property when Inputs has none.
	ID string
	// Inputs are the resource's input properties. A resource.PropertyMap, as
	// pulumi.WithMocks hands it over, converts with resource.FromResourcePropertyMap.
	Inputs property.Map
}

// Violation is one policy violation found by Evaluate.
type Violation struct {
	Policy  string // policy name, e.g. "no-vpc-cni"
	URN     string // resource the violation is about
	Message string // what is wrong, the value, and why it matters
	Level   string // "mandatory" or "advisory"
}

// Evaluate runs the pack without the Pulumi engine: every resource policy over every resource,
// then the stack policies over all of them, each policy at its default level and options.
//
// The order is deterministic: policies in the order of Policies(), and within a policy the
// resources in the order given. Unlike a real run, where stack policies see resource outputs,
// here every policy sees inputs.
func Evaluate(resources []Resource) ([]Violation, error) {
	analyzed := make([]policyx.AnalyzerResource, len(resources))
	for i, r := range resources {
		res := policyx.AnalyzerResource{URN: r.URN, Type: r.Type, Name: r.Name, Properties: r.Inputs}
		// An id must not make an input-less component look like one with inputs.
		if _, hasID := r.Inputs.GetOk("id"); !hasID && r.ID != "" && !inputsHidden(res) {
			res.Properties = r.Inputs.Set("id", property.New(r.ID))
		}
		analyzed[i] = res
	}

	ctx := context.Background()
	var out []Violation
	for _, policy := range Policies() {
		level := policy.EnforcementLevel()
		if level == policyx.EnforcementLevelDisabled {
			continue
		}
		switch p := policy.(type) {
		case policyx.ResourceValidationPolicy:
			for _, res := range analyzed {
				manager := &collector{policy: p.Name(), level: levelName(level), defaultURN: res.URN, into: &out}
				err := p.Validate(ctx, policyx.ResourceValidationArgs{Manager: manager, Resource: res})
				if err != nil {
					return nil, fmt.Errorf("policy %s on %s: %w", p.Name(), res.URN, err)
				}
			}
		case policyx.StackValidationPolicy:
			manager := &collector{policy: p.Name(), level: levelName(level), into: &out}
			if err := p.Validate(ctx, policyx.StackValidationArgs{Manager: manager, Resources: analyzed}); err != nil {
				return nil, fmt.Errorf("policy %s: %w", p.Name(), err)
			}
		}
	}
	return out, nil
}

// collector is the policyx.PolicyManager Evaluate hands to each policy.
type collector struct {
	policy, level string
	// defaultURN is what an empty URN means, as in the engine: the resource being validated.
	defaultURN string
	into       *[]Violation
}

func (c *collector) ReportViolation(message string, urn string) {
	if urn == "" {
		urn = c.defaultURN
	}
	*c.into = append(*c.into, Violation{Policy: c.policy, URN: urn, Message: message, Level: c.level})
}
