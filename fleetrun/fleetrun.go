// Package fleetrun previews, updates and removes the member stacks of a ClusterMesh with the
// Pulumi Automation API, in the order their StackReferences need, and reports per stack.
//
// A member wires what its peers' deployed outputs allow (program.ReadMesh): a peer not yet
// deployed is left out, the higher ID accepts a peering only once the lower requested it. So
// a fleet converges in passes. The first pass updates every selected member, those never
// deployed first (their VPCs, clusters and mesh API servers, and, on an empty mesh, the
// lowest ID creates the CA), then the deployed ones by ID, which now see the new members and
// request their peerings. Each later pass updates again only the members whose
// clusterMesh.pending output still lists something, by ID, until none does or MaxPasses is
// reached. A run stops at the first failed operation.
package fleetrun

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/eks-cilium/eks-cilium/fleet"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
)

// DefaultMaxPasses bounds the passes of an update: a new fleet converges in two (every member
// deployed, then every peering requested and accepted); a third catches a member that
// failed to see a peer's update in between.
const DefaultMaxPasses = 3

// Member is a stack of the run: its name and mesh ID (from its stack file).
type Member struct {
	Stack string
	ID    int
}

// Runner runs fleet operations.
type Runner struct {
	// Open selects or creates a member's stack: cmd/fleet with the project's program
	// (auto.UpsertStackLocalSource), tests with an inline one.
	Open func(ctx context.Context, stack string) (auto.Stack, error)
	// Progress receives the output of every operation (nil: discarded).
	Progress io.Writer
	// MaxPasses bounds the update passes (0: DefaultMaxPasses).
	MaxPasses int
}

// Step is one operation on one stack.
type Step struct {
	Stack    string
	Pass     int
	Op       string // preview, up or destroy
	Changes  map[string]int
	Pending  []string
	Duration time.Duration
	Err      error
}

// Report is what a run did, step by step; Waiting are the members still pending at its end.
type Report struct {
	Steps   []Step
	Waiting map[string][]string
}

// Up updates the members until their wiring converges.
func (r *Runner) Up(ctx context.Context, members []Member) (*Report, error) {
	return r.run(ctx, members, "up")
}

// Preview previews each member once, in the first pass's order, as its next update would
// change it (a member whose peers are not deployed yet previews without them).
func (r *Runner) Preview(ctx context.Context, members []Member) (*Report, error) {
	return r.run(ctx, members, "preview")
}

// Remove takes a member out of the mesh: the remaining members are updated first (their
// stack files no longer list it, so their peerings, routes, rules and Cilium entries for it
// go), then its stack is destroyed, which deletes the peerings it requested.
func (r *Runner) Remove(ctx context.Context, gone string, rest []Member) (*Report, error) {
	for _, m := range rest {
		if m.Stack == gone {
			return nil, fmt.Errorf("%s is to be removed, so it cannot be among the remaining members", gone)
		}
	}
	rep, err := r.Up(ctx, rest)
	if err != nil {
		return rep, err
	}
	s, err := r.Open(ctx, gone)
	if err != nil {
		return rep, fmt.Errorf("selecting %s: %w", gone, err)
	}
	start := time.Now()
	res, err := s.Destroy(ctx, optdestroy.ProgressStreams(r.progress()), optdestroy.ErrorProgressStreams(r.progress()))
	step := Step{Stack: gone, Pass: 1, Op: "destroy", Duration: time.Since(start), Err: err}
	if err == nil && res.Summary.ResourceChanges != nil {
		step.Changes = *res.Summary.ResourceChanges
	}
	rep.Steps = append(rep.Steps, step)
	return rep, err
}

func (r *Runner) progress() io.Writer {
	if r.Progress == nil {
		return io.Discard
	}
	return r.Progress
}

func (r *Runner) run(ctx context.Context, members []Member, op string) (*Report, error) {
	rep := &Report{Waiting: map[string][]string{}}
	stacks := map[string]auto.Stack{}
	deployed := map[string]bool{}
	// Every stack exists before any program runs: a StackReference to a stack the backend
	// does not know fails the update that reads it.
	for _, m := range members {
		s, err := r.Open(ctx, m.Stack)
		if err != nil {
			return rep, fmt.Errorf("selecting %s: %w", m.Stack, err)
		}
		stacks[m.Stack] = s
		outs, err := s.Outputs(ctx)
		if err != nil {
			return rep, fmt.Errorf("reading the outputs of %s: %w", m.Stack, err)
		}
		_, deployed[m.Stack] = outs[fleet.OutputMesh]
	}
	order := FirstPassOrder(members, deployed)
	maxPasses := r.MaxPasses
	if maxPasses == 0 {
		maxPasses = DefaultMaxPasses
	}
	if op == "preview" {
		maxPasses = 1
	}
	for pass := 1; pass <= maxPasses && len(order) > 0; pass++ {
		pending := map[string][]string{}
		for _, m := range order {
			step := r.step(ctx, stacks[m.Stack], m.Stack, pass, op)
			rep.Steps = append(rep.Steps, step)
			if step.Err != nil {
				return rep, fmt.Errorf("%s of %s (pass %d): %w", op, m.Stack, pass, step.Err)
			}
			if len(step.Pending) > 0 {
				pending[m.Stack] = step.Pending
			}
		}
		rep.Waiting = pending
		order = nil
		for _, m := range byID(members) {
			if _, ok := pending[m.Stack]; ok {
				order = append(order, m)
			}
		}
	}
	return rep, nil
}

// FirstPassOrder is the order of the first pass: members never deployed first (their VPCs
// and mesh API servers must exist before the others can request peerings with them), then
// the deployed ones; each group by ID, so that on an empty mesh the lowest ID creates the CA.
func FirstPassOrder(members []Member, deployed map[string]bool) []Member {
	var fresh, old []Member
	for _, m := range byID(members) {
		if deployed[m.Stack] {
			old = append(old, m)
		} else {
			fresh = append(fresh, m)
		}
	}
	return append(fresh, old...)
}

func byID(members []Member) []Member {
	out := append([]Member(nil), members...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

func (r *Runner) step(ctx context.Context, s auto.Stack, name string, pass int, op string) Step {
	step := Step{Stack: name, Pass: pass, Op: op}
	start := time.Now()
	w := r.progress()
	if op == "preview" {
		res, err := s.Preview(ctx, optpreview.ProgressStreams(w), optpreview.ErrorProgressStreams(w))
		step.Duration, step.Err = time.Since(start), err
		if err == nil {
			step.Changes = map[string]int{}
			for k, v := range res.ChangeSummary {
				step.Changes[string(k)] = v
			}
		}
		return step
	}
	res, err := s.Up(ctx, optup.ProgressStreams(w), optup.ErrorProgressStreams(w))
	step.Duration, step.Err = time.Since(start), err
	if err != nil {
		return step
	}
	if res.Summary.ResourceChanges != nil {
		step.Changes = *res.Summary.ResourceChanges
	}
	step.Pending, step.Err = pendingOf(res.Outputs)
	return step
}

// pendingOf reads clusterMesh.pending from a member's outputs.
func pendingOf(outs auto.OutputMap) ([]string, error) {
	mesh, ok := outs[fleet.OutputMesh]
	if !ok {
		return nil, errors.New("the update exported no " + fleet.OutputMesh + " output: is the stack a mesh member?")
	}
	obj, _ := mesh.Value.(map[string]any)
	list, _ := obj[fleet.FieldPending].([]any)
	var out []string
	for _, e := range list {
		if s, ok := e.(string); ok {
			out = append(out, s)
		}
	}
	return out, nil
}

// Text is the report as one line per step, then what is still pending.
func (rep *Report) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-5s %-8s %-14s %-44s %s\n", "PASS", "OP", "STACK", "CHANGES", "TIME")
	for _, s := range rep.Steps {
		changes := changesText(s.Changes)
		if s.Err != nil {
			changes = "FAILED"
		}
		fmt.Fprintf(&b, "%-5d %-8s %-14s %-44s %.1fs\n", s.Pass, s.Op, s.Stack, changes, s.Duration.Seconds())
	}
	var waiting []string
	for stack := range rep.Waiting {
		waiting = append(waiting, stack)
	}
	sort.Strings(waiting)
	for _, stack := range waiting {
		for _, p := range rep.Waiting[stack] {
			fmt.Fprintf(&b, "waiting: %s: %s\n", stack, p)
		}
	}
	return b.String()
}

func changesText(c map[string]int) string {
	var keys []string
	for k, n := range c {
		if n > 0 {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%d %s", c[k], k)
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ", ")
}
