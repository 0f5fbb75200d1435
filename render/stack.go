package render

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/eks-cilium/eks-cilium/plan"
	"github.com/eks-cilium/eks-cilium/policies/pack"
	"github.com/eks-cilium/eks-cilium/program"
	"github.com/eks-cilium/eks-cilium/stackconfig"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Refused is a render that completed but must fail the check: mandatory policy violations.
type Refused struct {
	Violations []pack.Violation
}

func (r *Refused) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d mandatory policy violation(s):\n", len(r.Violations))
	for _, v := range r.Violations {
		fmt.Fprintf(&b, "  [%s] %s: %s\n", v.Policy, v.URN, v.Message)
	}
	return strings.TrimRight(b.String(), "\n")
}

// Stack renders the stack file at path in the given format ("text" or "json"). With policy,
// the policy pack runs over the resources as the stack's first preview shows them; advisory
// violations join the warnings and mandatory ones make the error a *Refused (the rendered
// output is still returned).
func Stack(path string, opts Options, format string, policy bool) (string, error) {
	cfg, values, err := stackconfig.LoadFile(path)
	if err != nil {
		return "", err
	}
	stack := cfg.Stack
	var notes []string
	if cfg.ClusterMesh != nil && opts.Peers == nil {
		if opts.Peers, notes, err = PeerOutputs(filepath.Dir(path), cfg); err != nil {
			return "", err
		}
	}
	res, err := Run(stack, values, opts)
	if err != nil {
		return "", err
	}
	res.Warnings = append(res.Warnings, notes...)
	var mandatory []pack.Violation
	if policy {
		violations, err := EvaluatePolicies(stack, values, opts)
		if err != nil {
			return "", err
		}
		for _, v := range violations {
			if v.Level == "mandatory" {
				mandatory = append(mandatory, v)
				continue
			}
			res.Warnings = append(res.Warnings, fmt.Sprintf("policy %s (%s) on %s: %s", v.Policy, v.Level, v.URN, v.Message))
		}
	}
	rep, err := NewReport(res)
	if err != nil {
		return "", err
	}
	var out string
	if format == "json" {
		b, err := rep.JSON()
		if err != nil {
			return "", err
		}
		out = string(b)
	} else {
		out, err = rep.Text(res.Plan.IP)
		if err != nil {
			return "", err
		}
	}
	if len(mandatory) > 0 {
		return out, &Refused{Violations: mandatory}
	}
	return out, nil
}

// EvaluatePolicies evaluates the policy pack over the stack as the engine shows it in the
// stack's first `pulumi preview`, so the offline result is never better than the real one:
// resource policies get each resource's inputs with the values a preview cannot know
// (ids, cluster endpoint, anything computed from them) unknown, and stack policies get what
// the engine holds as outputs then (see firstPreview). Resources are evaluated in an order the
// engine could analyze them in (dependencyOrder).
func EvaluatePolicies(stack string, values map[string]string, opts Options) ([]pack.Violation, error) {
	cfg, err := stackconfig.Decode(stack, values)
	if err != nil {
		return nil, err
	}
	// The program applies the day-2 guard itself, with opts.Previous.
	if _, err := plan.New(plan.Inputs{Config: cfg, PreviousUnread: true}); err != nil {
		return nil, err
	}
	prog := opts.Program
	if prog == nil {
		prog = program.Run
	}
	mocks := &firstPreview{
		MockResourceMonitor: NewMocks(stack, cfg.Region, false, opts.Previous),
		stack:               stack,
		providers:           map[string]property.Map{},
	}
	err = pulumi.RunErr(prog,
		pulumi.WithMocksWithOrganization("organization", Project, stack, mocks),
		func(info *pulumi.RunInfo) {
			info.Config = values
			info.DryRun = true
		})
	if err != nil {
		var probs stackconfig.Problems
		if errors.As(err, &probs) {
			return nil, probs
		}
		return nil, fmt.Errorf("running the program offline: %w", err)
	}
	return pack.Evaluate(dependencyOrder(mocks.resources))
}

// dependencyOrder sorts resources so that each comes after every resource its inputs depend
// on, which is all the engine guarantees about the order it analyzes them in (it analyzes a
// resource when the program registers it, and the program registers it once its inputs are
// known); ties go by URN, so two renders print the same findings in the same order.
func dependencyOrder(resources []pack.Resource) []pack.Resource {
	byURN := map[string]pack.Resource{}
	for _, r := range resources {
		byURN[r.URN] = r
	}
	waiting := map[string]int{}
	dependents := map[string][]string{}
	for _, r := range resources {
		seen := map[string]bool{}
		for _, d := range r.Dependencies {
			if _, ok := byURN[d]; ok && d != r.URN && !seen[d] {
				seen[d] = true
				waiting[r.URN]++
				dependents[d] = append(dependents[d], r.URN)
			}
		}
	}
	var ready []string
	for _, r := range resources {
		if waiting[r.URN] == 0 {
			ready = append(ready, r.URN)
		}
	}
	out := make([]pack.Resource, 0, len(resources))
	for len(ready) > 0 {
		sort.Strings(ready)
		next := ready[0]
		ready = ready[1:]
		out = append(out, byURN[next])
		for _, d := range dependents[next] {
			if waiting[d]--; waiting[d] == 0 {
				ready = append(ready, d)
			}
		}
	}
	return out
}

// firstPreview records every registration as the engine would show it to a policy pack in a
// first preview. What the engine keeps as a new resource's outputs then depends on its
// provider (pulumi/pkg v3.274.1 resource/plugin/provider_plugin.go, Create with Preview):
//   - a provider whose configuration holds an unknown value is not even configured, and the
//     engine records no outputs at all: the Helm release on the Kubernetes provider of a
//     cluster that does not exist yet;
//   - otherwise the provider previews the create: the inputs, with everything the cloud
//     computes unknown (no id yet);
//   - components record the outputs they register, unknown while their children are only
//     previewed; none are modelled here (an empty map, which no policy reads as a finding).
//
// pulumi-eks components are registered by their provider with no inputs, and their children
// (aws:eks/cluster:Cluster, ...) carry the values; no component provider runs offline, so a
// remote component's own inputs stand in for its children for resource policies.
type firstPreview struct {
	pulumi.MockResourceMonitor
	stack string

	mu        sync.Mutex
	resources []pack.Resource
	providers map[string]property.Map // provider URN -> its inputs
}

func (f *firstPreview) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	id, outs, err := f.MockResourceMonitor.NewResource(args)
	rpc := args.RegisterRPC
	if err != nil || rpc == nil || args.TypeToken == "pulumi:pulumi:StackReference" {
		return id, outs, err
	}
	in, err := plugin.UnmarshalProperties(rpc.GetObject(), plugin.MarshalOptions{
		KeepUnknowns: true, KeepSecrets: true, KeepResources: true,
	})
	if err != nil {
		return "", nil, err
	}
	inputs := resource.FromResourcePropertyMap(in)
	r := pack.Resource{
		URN:                  newURN(f.stack, rpc.GetParent(), args.TypeToken, args.Name),
		Type:                 args.TypeToken,
		Name:                 args.Name,
		Inputs:               inputs,
		Dependencies:         rpc.GetDependencies(),
		PropertyDependencies: map[string][]string{},
	}
	for key, deps := range rpc.GetPropertyDependencies() {
		r.PropertyDependencies[key] = deps.GetUrns()
	}

	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case strings.HasPrefix(args.TypeToken, "pulumi:providers:"):
		f.providers[r.URN] = inputs
		r.Outputs = inputs
	case !args.Custom:
		r.Outputs = property.Map{}
	case f.configuredProvider(rpc.GetProvider()):
		r.Outputs = inputs.Set("id", property.New(property.Computed))
	default:
		r.Outputs = property.Map{}
	}
	f.resources = append(f.resources, r)
	return id, outs, nil
}

// configuredProvider reports whether the provider a resource uses has a fully known
// configuration in a first preview. A default provider is configured from stack config.
func (f *firstPreview) configuredProvider(ref string) bool {
	if ref == "" {
		return true
	}
	inputs, ok := f.providers[providerURN(ref)]
	if !ok {
		return true
	}
	return !inputs.HasComputed()
}

// MaxPreviousBytes bounds the -previous file: `pulumi stack output --json` of an eks-cilium
// stack is about 2 KB (a few KB more with --show-secrets, which adds the kubeconfig), so
// 256 KiB is far beyond any real one and keeps a hostile file from being read whole.
const MaxPreviousBytes = 256 << 10

// LoadPrevious reads the JSON object `pulumi stack output --json` prints, at most
// MaxPreviousBytes of it, from a regular file.
func LoadPrevious(path string) (map[string]any, error) {
	data, size, err := stackconfig.ReadRegular(path, MaxPreviousBytes)
	if err != nil {
		return nil, err
	}
	if len(data) > MaxPreviousBytes {
		return nil, fmt.Errorf("%d bytes, more than the %d bytes (render.MaxPreviousBytes) `pulumi stack output --json` of an eks-cilium stack could print", size, MaxPreviousBytes)
	}
	var prev map[string]any
	if err := json.Unmarshal(data, &prev); err != nil {
		return nil, fmt.Errorf("not the JSON object `pulumi stack output --json` prints: %w", err)
	}
	if prev == nil {
		return nil, fmt.Errorf("not the JSON object `pulumi stack output --json` prints: got null")
	}
	return prev, nil
}
