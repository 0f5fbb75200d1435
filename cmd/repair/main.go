// Command repair recovers a stack whose `pulumi up` was interrupted (a cancelled CI job, a
// lost runner, a closed laptop) so that the next `pulumi up` converges. It reads the stack's
// state and its cluster and prints, for each Helm release of the stack, what is wrong and
// what it will do; with -yes it does it (docs/operations.md, "An update was interrupted").
//
//	go run ./cmd/repair -stack NAME [-yes] [-dir DIR] [-force-unlock] [-clear-pending-creates]
//
// It runs the Pulumi CLI on PATH with the environment it is given (PULUMI_BACKEND_URL,
// PULUMI_CONFIG_PASSPHRASE), as `pulumi up` does.
//
// Exit status: 0 nothing to repair, the plan printed, or the repair done; 1 an error (nothing
// or part done: the output says what); 2 usage error; 3 refused (nothing done).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"

	"github.com/eks-cilium/eks-cilium/repair"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("repair", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := repair.Options{Out: stdout}
	fs.StringVar(&o.Stack, "stack", "", "the stack to repair (required)")
	fs.StringVar(&o.Dir, "dir", ".", "the Pulumi project's directory (holding Pulumi.yaml)")
	fs.BoolVar(&o.Yes, "yes", false, "do the repair (without it, repair only prints what it would do)")
	fs.BoolVar(&o.ForceUnlock, "force-unlock", false, "clear a lock held by an update on another host, once you know that update is gone")
	fs.BoolVar(&o.ClearPendingCreates, "clear-pending-creates", false,
		"clear interrupted creates of resources other than Helm releases, once you have checked they do not exist or imported them")
	if err := fs.Parse(args); err != nil {
		return repair.ExitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "repair: unexpected arguments %q\n", fs.Args())
		return repair.ExitUsage
	}
	if o.Stack == "" {
		fmt.Fprintln(stderr, "repair: -stack is required: the name of the stack to repair")
		return repair.ExitUsage
	}
	return repair.Run(ctx, o)
}
