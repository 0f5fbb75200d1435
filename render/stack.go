package render

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/eks-cilium/eks-cilium/policies/pack"
	"github.com/eks-cilium/eks-cilium/stackconfig"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
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
// the policy pack runs over the resources as an update would register them; advisory
// violations join the warnings and mandatory ones make the error a *Refused (the rendered
// output is still returned).
func Stack(path string, opts Options, format string, policy bool) (string, error) {
	cfg, values, err := stackconfig.LoadFile(path)
	if err != nil {
		return "", err
	}
	stack := cfg.Stack
	res, err := Run(stack, values, opts)
	if err != nil {
		return "", err
	}
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
		out, err = rep.Text(res.Plan)
		if err != nil {
			return "", err
		}
	}
	if len(mandatory) > 0 {
		return out, &Refused{Violations: mandatory}
	}
	return out, nil
}

// EvaluatePolicies runs the program in Known mode (IDs and endpoints filled in, as in an
// update) and evaluates the policy pack over every registered resource.
func EvaluatePolicies(stack string, values map[string]string, opts Options) ([]pack.Violation, error) {
	opts.Known = true
	res, err := Run(stack, values, opts)
	if err != nil {
		return nil, err
	}
	in := make([]pack.Resource, 0, len(res.Resources))
	for _, r := range res.Resources {
		in = append(in, pack.Resource{URN: r.URN, Type: r.Type, Name: r.Name, ID: r.ID, Inputs: resource.FromResourcePropertyMap(r.Inputs)})
	}
	return pack.Evaluate(in)
}

// MaxPreviousBytes bounds the -previous file: `pulumi stack output --json` of an eks-cilium
// stack is about 2 KB (a few KB more with --show-secrets, which adds the kubeconfig), so
// 256 KiB is far beyond any real one and keeps a hostile file from being read whole.
const MaxPreviousBytes = 256 << 10

// LoadPrevious reads the JSON object `pulumi stack output --json` prints, at most
// MaxPreviousBytes of it, from a regular file.
func LoadPrevious(path string) (map[string]any, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("not a regular file")
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxPreviousBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxPreviousBytes {
		return nil, fmt.Errorf("%d bytes, more than the %d bytes (render.MaxPreviousBytes) `pulumi stack output --json` of an eks-cilium stack could print", info.Size(), MaxPreviousBytes)
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
