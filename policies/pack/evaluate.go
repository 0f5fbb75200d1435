package pack

import (
	"context"
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
)

// Resource is one registered resource as the engine shows it to the pack.
type Resource struct {
	URN  string
	Type string
	Name string
	// Inputs are what resource policies see: the inputs the program registered, with the
	// values the run cannot know yet (ids and outputs of resources not created) unknown. A
	// resource.PropertyMap, as pulumi.WithMocks hands it over, converts with
	// resource.FromResourcePropertyMap.
	Inputs property.Map
	// Outputs are what stack policies see: the resource's outputs as the engine holds them at
	// the end of the run. In a first preview that is what each provider's preview of a create
	// returned: the inputs with computed values unknown, or nothing at all when the provider's
	// own configuration is unknown.
	Outputs property.Map
	// Dependencies and PropertyDependencies are the URNs the resource's inputs came from, as
	// the engine passes them to stack policies.
	Dependencies         []string
	PropertyDependencies map[string][]string
}

// Violation is one policy violation found by Evaluate.
type Violation struct {
	Policy  string // policy name, e.g. "no-vpc-cni"
	URN     string // resource the violation is about
	Message string // what is wrong, the value, and why it matters
	Level   string // "mandatory" or "advisory"
}

// Evaluate runs the pack without the Pulumi engine, the way the engine runs it: every resource
// policy over every resource's Inputs, in the order given (give an order the engine could
// analyze them in: each resource after those its inputs come from), then the stack policies
// over the Outputs. Each policy
// runs at its default level and options, and the pack is fresh for each call, as for each
// engine run.
//
// The order of the result is deterministic: policies in the order of Policies(), and within a
// policy the resources in the order given.
func Evaluate(resources []Resource) ([]Violation, error) {
	policies := Policies()
	ctx := context.Background()
	var out []Violation
	for _, policy := range policies {
		level := policy.EnforcementLevel()
		if level == policyx.EnforcementLevelDisabled {
			continue
		}
		switch p := policy.(type) {
		case policyx.ResourceValidationPolicy:
			for _, r := range resources {
				res := policyx.AnalyzerResource{URN: r.URN, Type: r.Type, Name: r.Name, Properties: r.Inputs}
				manager := &collector{policy: p.Name(), level: levelName(level), defaultURN: res.URN, into: &out}
				err := p.Validate(ctx, policyx.ResourceValidationArgs{Manager: manager, Resource: res})
				if err != nil {
					return nil, fmt.Errorf("policy %s on %s: %w", p.Name(), res.URN, err)
				}
			}
		case policyx.StackValidationPolicy:
			stack := make([]policyx.AnalyzerResource, len(resources))
			for i, r := range resources {
				stack[i] = policyx.AnalyzerResource{
					URN: r.URN, Type: r.Type, Name: r.Name, Properties: r.Outputs,
					Dependencies: r.Dependencies, PropertyDependencies: r.PropertyDependencies,
				}
			}
			manager := &collector{policy: p.Name(), level: levelName(level), into: &out}
			if err := p.Validate(ctx, policyx.StackValidationArgs{Manager: manager, Resources: stack}); err != nil {
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
