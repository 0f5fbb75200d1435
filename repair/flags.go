package repair

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
)

// ParseArgs reads the command line of `repair` (cmd/repair); the documentation test checks
// the documented commands with it.
func ParseArgs(args []string, stderr io.Writer) (Options, error) {
	fs := flag.NewFlagSet("repair", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o Options
	fs.StringVar(&o.Stack, "stack", "", "the stack to repair (required)")
	fs.StringVar(&o.Dir, "dir", ".", "the Pulumi project's directory (holding Pulumi.yaml)")
	fs.BoolVar(&o.Yes, "yes", false, "do the repair (without it, repair only prints what it would do)")
	fs.BoolVar(&o.ForceUnlock, "force-unlock", false, "clear a lock repair cannot judge (written on another host, or an update in progress on the Pulumi service), once you know that update is gone")
	fs.BoolVar(&o.ClearPendingCreates, "clear-pending-creates", false,
		"clear interrupted creates of resources other than Helm releases, once you have checked they do not exist or imported them")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if o.Stack == "" {
		return o, errors.New("-stack is required: the name of the stack to repair")
	}
	return o, nil
}

// Main is the command: it parses args, repairs and returns the exit status.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := ParseArgs(args, stderr)
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(stderr, "repair: %v\n", err)
		}
		return ExitUsage
	}
	o.Out = stdout
	return Run(ctx, o)
}
