package pack

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
)

// recorded is one ReportViolation call.
type recorded struct {
	message string
	urn     string
}

// recordingManager is the policyx.PolicyManager the tests hand to policies.
type recordingManager struct {
	violations []recorded
}

func (m *recordingManager) ReportViolation(message string, urn string) {
	m.violations = append(m.violations, recorded{message: message, urn: urn})
}

// computed marks an unknown (computed) value in the literals below.
type computedMarker struct{}

var computed = computedMarker{}

// secret wraps a literal that must reach the policy as a secret value.
type secret struct{ v any }

// value converts a Go literal (maps, slices, strings, numbers, bools, nil, computed, secret)
// into the property.Value the engine would hand to a policy.
func value(t *testing.T, x any) property.Value {
	t.Helper()
	switch x := x.(type) {
	case nil:
		return property.Value{}
	case computedMarker:
		return property.New(property.Computed)
	case secret:
		return value(t, x.v).WithSecret(true)
	case string:
		return property.New(x)
	case bool:
		return property.New(x)
	case int:
		return property.New(float64(x))
	case float64:
		return property.New(x)
	case []any:
		items := make([]property.Value, len(x))
		for i, item := range x {
			items[i] = value(t, item)
		}
		return property.New(items)
	case []string:
		items := make([]property.Value, len(x))
		for i, item := range x {
			items[i] = property.New(item)
		}
		return property.New(items)
	case map[string]any:
		return property.New(props(t, x))
	}
	t.Fatalf("value: unsupported literal %T", x)
	return property.Value{}
}

func props(t *testing.T, m map[string]any) property.Map {
	t.Helper()
	out := make(map[string]property.Value, len(m))
	for k, v := range m {
		out[k] = value(t, v)
	}
	return property.NewMap(out)
}

func urnOf(typ, name string) string {
	return fmt.Sprintf("urn:pulumi:test::eks-cilium::%s::%s", typ, name)
}

func analyzerResource(t *testing.T, typ, name string, inputs map[string]any) policyx.AnalyzerResource {
	t.Helper()
	return policyx.AnalyzerResource{URN: urnOf(typ, name), Type: typ, Name: name, Properties: props(t, inputs)}
}

// resourceCase is one table row for a resource policy.
type resourceCase struct {
	name   string
	typ    string
	inputs map[string]any
	config map[string]any
	// want is the exact number of violations.
	want int
	// contains are fragments that must each appear in some violation message.
	contains []string
}

// runResourceCases validates each case's resource with policy, through the same
// policyx.ResourceValidationArgs the engine builds, and checks the recorded violations.
func runResourceCases(t *testing.T, policy policyx.Policy, cases []resourceCase) {
	t.Helper()
	rp, ok := policy.(policyx.ResourceValidationPolicy)
	if !ok {
		t.Fatalf("%s is not a resource validation policy", policy.Name())
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := analyzerResource(t, tc.typ, "subject", tc.inputs)
			manager := &recordingManager{}
			err := rp.Validate(context.Background(), policyx.ResourceValidationArgs{
				Manager:  manager,
				Resource: res,
				Config:   tc.config,
			})
			if err != nil {
				t.Fatalf("Validate: %v", err)
			}
			assertViolations(t, manager.violations, tc.want, res.URN, tc.contains)
		})
	}
}

// stackCase is one table row for a stack policy.
type stackCase struct {
	name      string
	resources []policyx.AnalyzerResource
	want      int
	// wantURN, when set, is the URN every violation must name.
	wantURN  string
	contains []string
}

func runStackCases(t *testing.T, policy policyx.Policy, cases []stackCase) {
	t.Helper()
	sp, ok := policy.(policyx.StackValidationPolicy)
	if !ok {
		t.Fatalf("%s is not a stack validation policy", policy.Name())
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			manager := &recordingManager{}
			err := sp.Validate(context.Background(), policyx.StackValidationArgs{
				Manager:   manager,
				Resources: tc.resources,
			})
			if err != nil {
				t.Fatalf("Validate: %v", err)
			}
			assertViolations(t, manager.violations, tc.want, tc.wantURN, tc.contains)
		})
	}
}

// runSequenceCases validates each case's resources one after the other with a fresh policy from
// newPolicy, as the engine analyzes the resources of one preview or update through one pack,
// and checks every violation recorded along the way.
func runSequenceCases(t *testing.T, newPolicy func() policyx.Policy, cases []stackCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rp, ok := newPolicy().(policyx.ResourceValidationPolicy)
			if !ok {
				t.Fatal("not a resource validation policy")
			}
			var all []recorded
			for _, res := range tc.resources {
				manager := &recordingManager{}
				err := rp.Validate(context.Background(), policyx.ResourceValidationArgs{Manager: manager, Resource: res})
				if err != nil {
					t.Fatalf("Validate %s: %v", res.URN, err)
				}
				for _, v := range manager.violations {
					if v.urn == "" {
						v.urn = res.URN // the engine's default: the resource being validated
					}
					all = append(all, v)
				}
			}
			assertViolations(t, all, tc.want, tc.wantURN, tc.contains)
		})
	}
}

func assertViolations(t *testing.T, got []recorded, want int, urn string, contains []string) {
	t.Helper()
	if len(got) != want {
		t.Fatalf("got %d violations, want %d:\n%s", len(got), want, formatRecorded(got))
	}
	for _, v := range got {
		if urn != "" && v.urn != urn {
			t.Errorf("violation reported against %q, want %q: %s", v.urn, urn, v.message)
		}
	}
	for _, fragment := range contains {
		found := false
		for _, v := range got {
			found = found || strings.Contains(v.message, fragment)
		}
		if !found {
			t.Errorf("no violation message contains %q:\n%s", fragment, formatRecorded(got))
		}
	}
}

func formatRecorded(got []recorded) string {
	var b strings.Builder
	for _, v := range got {
		fmt.Fprintf(&b, "  [%s] %s\n", v.urn, v.message)
	}
	return b.String()
}
