package triage

import (
	"fmt"
	"strings"
)

// Describe prints the plan: the lock, each release with what was found and what repair
// does, the pending operations, and what it refuses.
func (p Plan) Describe() string {
	var b strings.Builder
	switch {
	case p.Lock.State == LockNone:
		fmt.Fprintf(&b, "Lock: none\n")
	case p.ClearLock:
		fmt.Fprintf(&b, "Lock: held by %s; %s\n  -> cleared (pulumi cancel)\n", p.Lock.Holder, p.Lock.Why)
	default:
		fmt.Fprintf(&b, "Lock: held by %s; %s\n", p.Lock.Holder, p.Lock.Why)
	}
	if len(p.Releases) > 0 {
		fmt.Fprintf(&b, "\nHelm releases (cluster: %s)\n", plural(p.Nodes, "node"))
		width := 0
		for _, s := range p.Releases {
			width = max(width, len(s.Release))
		}
		for _, s := range p.Releases {
			fmt.Fprintf(&b, "  %-*s  %s\n", width, s.Release, s.Found)
			if actions := s.actions(); len(actions) > 0 {
				fmt.Fprintf(&b, "  %*s  -> %s\n", width, "", strings.Join(actions, ", then "))
			}
			if s.Why != "" && s.Why != "ok" {
				fmt.Fprintf(&b, "  %*s     %s\n", width, "", s.Why)
			} else if s.Why == "ok" {
				fmt.Fprintf(&b, "  %*s     ok\n", width, "")
			}
		}
	}
	if len(p.ClearPending) > 0 {
		fmt.Fprintf(&b, "\nPending operations on other resources: cleared\n")
		for _, op := range p.ClearPending {
			fmt.Fprintf(&b, "  %s %s\n", op.Op, op.URN)
		}
	}
	if len(p.Refusals) > 0 {
		fmt.Fprintf(&b, "\nRefused\n")
		for _, r := range p.Refusals {
			fmt.Fprintf(&b, "  %s: %s\n    way forward: %s\n", r.Subject, r.Reason, r.WayForward)
		}
	}
	return b.String()
}

// actions lists what the step does, in the order it does it.
func (s Step) actions() []string {
	var out []string
	if s.Rollback > 0 {
		out = append(out, fmt.Sprintf("roll back to revision %d", s.Rollback))
	}
	if s.MarkFailed {
		out = append(out, "mark its newest revision failed")
	}
	if s.Uninstall {
		out = append(out, "uninstall")
	}
	if s.ClearPending != "" {
		out = append(out, "clear its pending "+opNoun(s.ClearPending))
	}
	if s.Adopt {
		out = append(out, "adopt into the state as "+s.URN)
	}
	return out
}
