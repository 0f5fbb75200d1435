package render

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/eks-cilium/eks-cilium/stackconfig"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Usage is the command line of the render.
const Usage = "usage: render [-stack NAME | -config PATH] [-format text|json] [-previous PATH] [-policy]"

// Main is the render command: cmd/render runs it with program.Run; a program of your own
// built from the components can offer the same command by passing its own RunFunc. It
// returns the exit status: 0 rendered, 1 invalid configuration, refused change or mandatory
// policy violation, 2 usage error.
func Main(args []string, stdout, stderr io.Writer, prog pulumi.RunFunc) int {
	fs := flag.NewFlagSet("render", flag.ContinueOnError)
	fs.SetOutput(stderr)
	stack := fs.String("stack", "", "stack name: reads stacks/Pulumi.<NAME>.yaml")
	configPath := fs.String("config", "", "path of a Pulumi.<stack>.yaml file (instead of -stack)")
	format := fs.String("format", "text", "output format: text or json")
	previous := fs.String("previous", "", "file with the JSON that 'pulumi stack output --json' printed for the deployed stack (day-2 guard)")
	policy := fs.Bool("policy", false, "evaluate the policy pack over the rendered resources; mandatory violations exit 1")
	fs.Usage = func() {
		fmt.Fprintln(stderr, Usage)
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
		if *stack != "" {
			fmt.Fprintf(stderr, "render: -stack reads stacks/Pulumi.<NAME>.yaml from the working directory (the repository root); stacks there: %s\n", knownStacks())
		}
		return 2
	}

	opts := Options{Program: prog}
	if *previous != "" {
		prev, err := LoadPrevious(*previous)
		if err != nil {
			fmt.Fprintf(stderr, "render: -previous %s: %v\n", *previous, err)
			return 1
		}
		opts.Previous = prev
	}
	out, err := Stack(path, opts, *format, *policy)
	var probs stackconfig.Problems
	var refused *Refused
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

// knownStacks lists the stack names under ./stacks, for the usage message.
func knownStacks() string {
	paths, _ := filepath.Glob(filepath.Join("stacks", "Pulumi.*.yaml"))
	var names []string
	for _, p := range paths {
		names = append(names, stackconfig.StackName(p))
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}
