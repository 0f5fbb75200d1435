package render

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/eks-cilium/eks-cilium/stackconfig"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Usage is the command line of the render.
const Usage = "usage: render [-stack NAME | -config PATH] [-format text|json] [-previous PATH] [-policy]\n       render -fleet [DIR] [-format text|json]   (DIR defaults to stacks)"

// Exit statuses of Main.
const (
	ExitOK = 0
	// ExitRefused: invalid configuration, unreadable or refused previous outputs, a refused
	// day-2 change or a mandatory policy violation. Nothing is printed on stdout for an
	// invalid configuration.
	ExitRefused = 1
	// ExitUsage: the command line itself is wrong (flags, a stack file that does not exist).
	ExitUsage = 2
	// ExitInternal: the render itself failed (a bug); never caused by what a stack holds.
	ExitInternal = 3
)

// maxMessageLines and maxLineLength bound what one error prints on stderr, whatever a
// hostile stack or outputs file holds (a 100,000-entry pod CIDR list, a 1 MB string).
const (
	maxMessageLines = 40
	maxLineLength   = 1000
)

// Main is the render command: cmd/render runs it with program.Run; a program of your own
// built from the components can offer the same command by passing its own RunFunc. It
// returns the exit status (ExitOK, ExitRefused, ExitUsage, ExitInternal).
func Main(args []string, stdout, stderr io.Writer, prog pulumi.RunFunc) (code int) {
	defer func() {
		// A panic is a bug in the render or the program, not a property of the input: say
		// so in one bounded message instead of a Go trace, with its own exit status.
		if r := recover(); r != nil {
			printBounded(stderr, "render: internal error (please report it with the stack file): ", fmt.Sprint(r))
			code = ExitInternal
		}
	}()
	fs := flag.NewFlagSet("render", flag.ContinueOnError)
	fs.SetOutput(stderr)
	stack := fs.String("stack", "", "stack name: reads stacks/Pulumi.<NAME>.yaml")
	configPath := fs.String("config", "", "path of a Pulumi.<stack>.yaml file (instead of -stack)")
	format := fs.String("format", "text", "output format: text or json")
	previous := fs.String("previous", "", "file with the JSON that 'pulumi stack output --json' printed for the deployed stack (day-2 guard)")
	policy := fs.Bool("policy", false, "evaluate the policy pack over the rendered resources; mandatory violations exit 1")
	var fleetDir fleetFlag
	fs.Var(&fleetDir, "fleet", "check every stack file of DIR (default stacks) as the ClusterMesh meshes they form: -fleet, -fleet DIR or -fleet=DIR")
	fs.Usage = func() {
		fmt.Fprintln(stderr, Usage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return ExitUsage
	}
	// -fleet DIR: flag parsing stops at DIR, the first argument that is no flag; the flags
	// after it are parsed too.
	if fleetDir.set && fleetDir.dir == "" && fs.NArg() > 0 {
		fleetDir.dir = fs.Arg(0)
		if err := fs.Parse(fs.Args()[1:]); err != nil {
			return ExitUsage
		}
	}
	usage := func(msg string) int {
		fmt.Fprintln(stderr, "render: "+msg)
		fs.Usage()
		return ExitUsage
	}
	var empty []string
	fs.Visit(func(f *flag.Flag) {
		if f.Value.String() == "" && f.Name != "fleet" {
			empty = append(empty, "-"+f.Name)
		}
	})
	if fleetDir.set {
		return mainFleet(fs, &fleetDir, *stack, *configPath, *previous, *policy, *format, empty, stdout, stderr, usage)
	}
	switch {
	case len(empty) > 0:
		// An empty value is usually an unset CI variable; with -previous it would silently
		// turn the day-2 guard off.
		return usage(strings.Join(empty, ", ") + " given an empty value (an unset variable?)")
	case fs.NArg() > 0:
		return usage("unexpected arguments: " + stackconfig.Shorten(strings.Join(fs.Args(), " "), maxLineLength))
	case (*stack == "") == (*configPath == ""):
		return usage("give exactly one of -stack and -config")
	case *format != "text" && *format != "json":
		return usage("-format is text or json, not " + stackconfig.Shorten(*format, stackconfig.MaxShownValue))
	}
	if *stack != "" {
		// Pulumi's own rule for stack names; a path is not one (use -config for a file).
		if _, err := tokens.ParseStackName(*stack); err != nil {
			return usage("-stack: " + stackconfig.Shorten(err.Error(), maxLineLength))
		}
	}
	path := *configPath
	if *stack != "" {
		path = filepath.Join("stacks", "Pulumi."+*stack+".yaml")
	}
	if info, err := os.Stat(path); err != nil || !info.Mode().IsRegular() {
		if err == nil {
			err = fmt.Errorf("%s is not a regular file", path)
		}
		fmt.Fprintf(stderr, "render: %v\n", err)
		if *stack != "" {
			fmt.Fprintf(stderr, "render: -stack reads stacks/Pulumi.<NAME>.yaml from the working directory (the repository root); stacks there: %s\n", knownStacks())
		}
		return ExitUsage
	}

	opts := Options{Program: prog}
	if *previous != "" {
		prev, err := LoadPrevious(*previous)
		if err != nil {
			printBounded(stderr, "render: -previous "+*previous+": ", err.Error())
			return ExitRefused
		}
		opts.Previous = prev
	}
	out, err := Stack(path, opts, *format, *policy)
	var probs stackconfig.Problems
	var refused *Refused
	switch {
	case errors.As(err, &probs):
		printBounded(stderr, path+": ", probs.Error())
		return ExitRefused
	case errors.As(err, &refused):
		fmt.Fprint(stdout, out)
		printBounded(stderr, "", refused.Error())
		return ExitRefused
	case err != nil:
		printBounded(stderr, "render: ", err.Error())
		return ExitRefused
	}
	fmt.Fprint(stdout, out)
	return ExitOK
}

// printBounded prints prefix+msg with at most maxMessageLines lines of at most
// maxLineLength characters each.
func printBounded(w io.Writer, prefix, msg string) {
	lines := strings.Split(strings.TrimRight(prefix+msg, "\n"), "\n")
	n := len(lines)
	if n > maxMessageLines {
		lines = lines[:maxMessageLines]
	}
	for _, l := range lines {
		fmt.Fprintln(w, stackconfig.Shorten(l, maxLineLength))
	}
	if n > maxMessageLines {
		fmt.Fprintf(w, "  … %d more lines\n", n-maxMessageLines)
	}
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

// fleetFlag is -fleet: alone it checks stacks/, with a value (-fleet=DIR, or the directory
// as the one argument after it) that directory.
type fleetFlag struct {
	set bool
	dir string
}

func (f *fleetFlag) String() string {
	if f == nil {
		return ""
	}
	return f.dir
}

func (f *fleetFlag) Set(v string) error {
	f.set = true
	if v != "true" {
		f.dir = v
	}
	return nil
}

func (f *fleetFlag) IsBoolFlag() bool { return true }

// mainFleet is render -fleet: every stack file of the directory, checked as meshes.
func mainFleet(fs *flag.FlagSet, f *fleetFlag, stack, configPath, previous string, policy bool, format string, empty []string, stdout, stderr io.Writer, usage func(string) int) int {
	dir, args := f.dir, fs.Args()
	if dir == "" {
		dir = "stacks"
	}
	switch {
	case len(empty) > 0:
		return usage(strings.Join(empty, ", ") + " given an empty value (an unset variable?)")
	case f.dir == "false":
		return usage("-fleet=false: leave the flag out instead")
	case len(args) > 0:
		return usage("unexpected arguments: " + stackconfig.Shorten(strings.Join(args, " "), maxLineLength))
	case stack != "" || configPath != "" || previous != "" || policy:
		return usage("-fleet checks whole directories; -stack, -config, -previous and -policy render one stack")
	case format != "text" && format != "json":
		return usage("-format is text or json, not " + stackconfig.Shorten(format, stackconfig.MaxShownValue))
	}
	if info, err := os.Stat(dir); err != nil || !info.IsDir() {
		if err == nil {
			err = fmt.Errorf("%s is not a directory", dir)
		}
		fmt.Fprintf(stderr, "render: -fleet: %v\n", err)
		return ExitUsage
	}
	rep, err := Fleet(dir)
	if err != nil {
		printBounded(stderr, "render: -fleet: ", err.Error())
		return ExitRefused
	}
	if format == "json" {
		b, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			printBounded(stderr, "render: ", err.Error())
			return ExitInternal
		}
		fmt.Fprintln(stdout, string(b))
	} else {
		fmt.Fprint(stdout, rep.Text())
	}
	if len(rep.Refused) > 0 {
		lines := make([]string, len(rep.Refused))
		for i, p := range rep.Refused {
			lines[i] = p.String()
		}
		printBounded(stderr, "", fmt.Sprintf("%s: the fleet is refused (%d problems):\n  %s", dir, len(rep.Refused), strings.Join(lines, "\n  ")))
		return ExitRefused
	}
	return ExitOK
}
