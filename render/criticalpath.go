package render

import (
	"fmt"
	"strings"
)

// Range is a duration range in minutes.
type Range struct {
	Min float64 `json:"min"`
	Max float64 `json:"max"`
}

// durations are the typical creation times (minutes) of the slow resources, with their
// sources in docs/design.md ("Typical durations"); every other resource takes seconds and
// counts as zero.
var durations = map[string]Range{
	"eks:index:Cluster":             {9, 16}, // EKS control plane
	"aws:eks/nodeGroup:NodeGroup":   {2, 4},  // managed node group
	"aws:ec2/natGateway:NatGateway": {1, 2},
	"kubernetes:helm.sh/v3:Release": {1, 2},
	"aws:eks/addon:Addon":           {1, 1}, // CoreDNS addon
}

// Step is one resource on the critical path.
type Step struct {
	URN     string `json:"urn"`
	Minutes Range  `json:"minutes"`
}

// CriticalPath is the longest chain of dependent resources, which bounds how long `pulumi
// up` takes on an empty stack, next to the time a strictly sequential creation would take.
type CriticalPath struct {
	Minutes           Range  `json:"minutes"`
	SequentialMinutes Range  `json:"sequentialMinutes"`
	Path              []Step `json:"path"`
}

// criticalPath computes the longest path (by maximum duration) through the dependency graph:
// explicit dependsOn, input dependencies and the provider a resource uses. A dependency on a
// component stands for all of its descendants.
func criticalPath(res []Resource) CriticalPath {
	byURN := map[string]Resource{}
	children := map[string][]string{}
	for _, r := range res {
		byURN[r.URN] = r
		children[r.Parent] = append(children[r.Parent], r.URN)
	}
	var descendants func(u string) []string
	descendants = func(u string) []string {
		var out []string
		for _, c := range children[u] {
			out = append(out, c)
			out = append(out, descendants(c)...)
		}
		return out
	}
	deps := func(r Resource) []string {
		var out []string
		for _, d := range append(append([]string{}, r.DependsOn...), r.Provider) {
			if d == "" {
				continue
			}
			out = append(out, d)
			if dr, ok := byURN[d]; ok && !dr.Custom && !strings.Contains(dr.Type, "pulumi:providers:") && !isRemote(dr.Type) {
				out = append(out, descendants(d)...)
			}
		}
		return out
	}

	type finish struct {
		at   Range
		prev string
	}
	memo := map[string]finish{}
	visiting := map[string]bool{}
	var finishOf func(u string) finish
	finishOf = func(u string) finish {
		if f, ok := memo[u]; ok {
			return f
		}
		r, ok := byURN[u]
		if !ok || visiting[u] {
			return finish{}
		}
		visiting[u] = true
		best := finish{}
		for _, d := range deps(r) {
			f := finishOf(d)
			if f.at.Max > best.at.Max || (f.at.Max == best.at.Max && best.prev == "") {
				best = finish{at: f.at, prev: d}
			}
		}
		visiting[u] = false
		own := durations[r.Type]
		f := finish{at: Range{best.at.Min + own.Min, best.at.Max + own.Max}, prev: best.prev}
		memo[u] = f
		return f
	}

	var cp CriticalPath
	end := ""
	for _, r := range res {
		d := durations[r.Type]
		cp.SequentialMinutes.Min += d.Min
		cp.SequentialMinutes.Max += d.Max
		if f := finishOf(r.URN); f.at.Max > cp.Minutes.Max || (f.at.Max == cp.Minutes.Max && end == "") {
			cp.Minutes, end = f.at, r.URN
		}
	}
	for u := end; u != ""; u = memo[u].prev {
		if d, ok := durations[byURN[u].Type]; ok {
			cp.Path = append([]Step{{URN: u, Minutes: d}}, cp.Path...)
		}
	}
	if cp.Path == nil {
		cp.Path = []Step{}
	}
	return cp
}

// isRemote reports whether a type is a multi-language component (its children are not
// visible under mocks), which counts as one resource with its own duration.
func isRemote(typ string) bool { return typ == "eks:index:Cluster" }

func minutes(r Range) string {
	if r.Min == r.Max {
		return fmt.Sprintf("%g", r.Max)
	}
	return fmt.Sprintf("%g–%g", r.Min, r.Max)
}
