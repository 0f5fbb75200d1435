// Command render shows what a stack would create, offline: no cloud account, no Pulumi CLI.
// It runs the real program (program.Run) under Pulumi mocks in preview mode.
//
//	go run ./cmd/render [-stack NAME | -config PATH] [-format text|json] [-previous PATH] [-policy]
//
// Exit status: 0 rendered, 1 invalid configuration (or a policy / day-2 guard refusal), 2 usage.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/eks-cilium/eks-cilium/render"
	"github.com/eks-cilium/eks-cilium/stackconfig"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("render", flag.ContinueOnError)
	fs.SetOutput(stderr)
	stack := fs.String("stack", "", "stack name: reads stacks/Pulumi.<NAME>.yaml")
	configPath := fs.String("config", "", "path of a Pulumi.<stack>.yaml file (instead of -stack)")
	format := fs.String("format", "text", "output format: text or json")
	previous := fs.String("previous", "", "file with the JSON that 'pulumi stack output --json' printed for the deployed stack (day-2 guard)")
	policy := fs.Bool("policy", false, "evaluate the policy pack over the rendered resources; mandatory violations exit 1")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: render [-stack NAME | -config PATH] [-format text|json] [-previous PATH] [-policy]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 || (*stack == "") == (*configPath == "") || (*format != "text" && *format != "json") {
		fs.Usage()
		return 2
	}
	path := *configPath
	if *stack != "" {
		path = filepath.Join("stacks", "Pulumi."+*stack+".yaml")
	}
	if _, err := os.Stat(path); err != nil {
		fmt.Fprintf(stderr, "render: %v\n", err)
		return 2
	}

	opts := render.Options{}
	if *previous != "" {
		prev, err := render.LoadPrevious(*previous)
		if err != nil {
			fmt.Fprintf(stderr, "render: -previous %s: %v\n", *previous, err)
			return 1
		}
		opts.Previous = prev
	}
	out, err := render.Stack(path, opts, *format, *policy)
	var probs stackconfig.Problems
	var refused *render.Refused
	switch {
	case errors.As(err, &probs):
		fmt.Fprintf(stderr, "%s: %v\n", path, probs)
		return 1
	case errors.As(err, &refused):
		fmt.Fprint(stdout, out)
		fmt.Fprintln(stderr, refused.Error())
		return 1
	case err != nil:
		fmt.Fprintf(stderr, "render: %v\n", err)
		return 1
	}
	fmt.Fprint(stdout, out)
	return 0
}
