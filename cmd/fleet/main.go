// Command fleet previews, updates or removes the ClusterMesh members of this project with the
// Pulumi Automation API (docs/fleet.md). It checks the stack files offline first, as
// `render -fleet` does, and runs nothing when they are refused.
//
//	go run ./cmd/fleet -up [-project DIR] [STACK...]
//	go run ./cmd/fleet -preview [-project DIR] [STACK...]
//	go run ./cmd/fleet -remove STACK [-project DIR] [STACK...]
//
// The stacks are the members named, or every stack file of the project's stacks directory that
// sets eks-cilium:clusterMesh. Updates run in passes until every member's wiring converges
// (package fleetrun), stopping at the first failure; the report lists every step.
//
// Exit status: 0 done; 1 refused stack files or a failed operation; 2 usage error.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"

	"github.com/eks-cilium/eks-cilium/fleetrun"
	"github.com/eks-cilium/eks-cilium/render"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr, openLocal))
}

const usage = "usage: fleet (-up | -preview | -remove STACK) [-project DIR] [STACK...]"

// opener opens a member's stack of the project in dir.
type opener func(ctx context.Context, dir, stack string) (auto.Stack, error)

// openLocal selects or creates the stack with the project's own program (the Go language
// host builds it, as `pulumi up` does).
func openLocal(ctx context.Context, dir, stack string) (auto.Stack, error) {
	return auto.UpsertStackLocalSource(ctx, stack, dir)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer, open opener) int {
	fs := flag.NewFlagSet("fleet", flag.ContinueOnError)
	fs.SetOutput(stderr)
	up := fs.Bool("up", false, "update the members until their mesh wiring converges")
	preview := fs.Bool("preview", false, "preview each member once")
	remove := fs.String("remove", "", "take this member out of the mesh: update the others, then destroy it")
	project := fs.String("project", ".", "the project directory (Pulumi.yaml; stack files in its stacks directory)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, usage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	modes := 0
	for _, on := range []bool{*up, *preview, *remove != ""} {
		if on {
			modes++
		}
	}
	if modes != 1 {
		fmt.Fprintln(stderr, "fleet: give exactly one of -up, -preview and -remove")
		fs.Usage()
		return 2
	}
	stacksDir := filepath.Join(*project, "stacks")
	check, err := render.Fleet(stacksDir)
	if err != nil {
		fmt.Fprintf(stderr, "fleet: %v\n", err)
		return 2
	}
	if len(check.Refused) > 0 {
		fmt.Fprint(stderr, check.Text())
		fmt.Fprintf(stderr, "fleet: %s is refused (render -fleet %s shows the same); nothing was run\n", stacksDir, stacksDir)
		return 1
	}
	ids := map[string]int{}
	for _, mesh := range check.Meshes {
		for _, m := range mesh {
			ids[m.Stack] = m.ID
		}
	}
	names := fs.Args()
	if len(names) == 0 {
		for stack := range ids {
			if stack != *remove {
				names = append(names, stack)
			}
		}
		slices.Sort(names)
	}
	var members []fleetrun.Member
	for _, name := range names {
		id, ok := ids[name]
		if !ok {
			fmt.Fprintf(stderr, "fleet: %s is not a mesh member in %s (its stack file sets no eks-cilium:clusterMesh)\n", name, stacksDir)
			return 2
		}
		members = append(members, fleetrun.Member{Stack: name, ID: id})
	}
	runner := &fleetrun.Runner{
		Open:     func(ctx context.Context, stack string) (auto.Stack, error) { return open(ctx, *project, stack) },
		Progress: stderr,
	}
	var rep *fleetrun.Report
	switch {
	case *up:
		rep, err = runner.Up(ctx, members)
	case *preview:
		rep, err = runner.Preview(ctx, members)
	default:
		if slices.Contains(names, *remove) {
			fmt.Fprintf(stderr, "fleet: -remove %s: list only the members that stay\n", *remove)
			return 2
		}
		for _, mesh := range check.Meshes {
			for _, m := range mesh {
				if slices.Contains(m.Peers, *remove) {
					fmt.Fprintf(stderr, "fleet: %s still lists %s in its peers: remove it there first (and from %s's own peers)\n", m.File, *remove, *remove)
					return 1
				}
			}
		}
		rep, err = runner.Remove(ctx, *remove, members)
	}
	if rep != nil {
		fmt.Fprint(stdout, rep.Text())
	}
	if err != nil {
		fmt.Fprintf(stderr, "fleet: %s\n", strings.TrimSpace(err.Error()))
		return 1
	}
	return 0
}
