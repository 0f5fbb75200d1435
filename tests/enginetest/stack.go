package enginetest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optrefresh"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"gopkg.in/yaml.v3"
)

// installHint is how to get the CLI the tests need.
const installHint = `export PATH="$(scripts/install-pulumi-cli | tail -n 1):$PATH"   # builds the pinned CLI from the Go module proxy`

// RepoRoot is the repository root: the nearest directory above the test's working directory
// (`go test` runs a test binary in its package's directory) that holds go.mod and Pulumi.yaml.
// The path runtime.Caller reports is no use here: under -trimpath (docs/build-cache.md) it is
// the import path, not a directory.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		_, mod := os.Stat(filepath.Join(dir, "go.mod"))
		_, project := os.Stat(filepath.Join(dir, "Pulumi.yaml"))
		if mod == nil && project == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no directory above the test's holds go.mod and Pulumi.yaml: run the tests from inside the repository")
		}
		dir = parent
	}
}

// RequireTool returns the path of a program on PATH. Without it the test skips with a
// message saying how to install it; under CI=true it fails instead, so CI cannot pass
// without running the real engine.
func RequireTool(t testing.TB, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	msg := fmt.Sprintf("%s is not on PATH: the real-engine tests need the Pulumi CLI v3.274.1 and pulumi-language-yaml. %s", name, installHint)
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// Env is the environment of every CLI the tests run: a file backend in a temp dir, the fakes
// attached in place of their plugins, a private PULUMI_HOME so no plugin from the machine's
// plugin cache is used, and no plugin downloads.
func Env(t testing.TB, fs *Fakes) map[string]string {
	t.Helper()
	env := map[string]string{
		"PULUMI_BACKEND_URL":                          "file://" + filepath.ToSlash(t.TempDir()),
		"PULUMI_CONFIG_PASSPHRASE":                    "engine-tests",
		"PULUMI_HOME":                                 t.TempDir(),
		"PULUMI_SKIP_UPDATE_CHECK":                    "true",
		"PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
	}
	if fs != nil {
		env["PULUMI_DEBUG_PROVIDERS"] = fs.Env
	}
	return env
}

// Stack is one stack of a Go program run inline by the Automation API against the real
// engine, with the repository's Pulumi.yaml (so the CLI checks config types) and a copy of a
// stack file that tests may edit between operations.
type Stack struct {
	T     testing.TB
	Fakes *Fakes
	Auto  auto.Stack
	File  string // the stack's Pulumi.<stack>.yaml in the workspace
	// Timeout bounds each operation; 5 minutes when zero.
	Timeout time.Duration
}

// StackOptions extend NewStack.
type StackOptions struct {
	Fakes Options
	// Env is added to the environment of the CLI (and so of every plugin it starts); it wins
	// over Env's defaults.
	Env map[string]string
}

// NewStack creates stack `name` with the config of stackFile (a path relative to the
// repository root) for program, on a fresh backend with fresh fakes.
func NewStack(t testing.TB, name, stackFile string, program pulumi.RunFunc) *Stack {
	t.Helper()
	return NewStackWith(t, name, stackFile, program, StackOptions{})
}

// NewStackWith is NewStack with options: which fakes, and more environment.
func NewStackWith(t testing.TB, name, stackFile string, program pulumi.RunFunc, opts StackOptions) *Stack {
	t.Helper()
	RequireTool(t, "pulumi")
	root := RepoRoot(t)
	dir := t.TempDir()
	CopyFile(t, filepath.Join(root, "Pulumi.yaml"), filepath.Join(dir, "Pulumi.yaml"))
	file := filepath.Join(dir, "stacks", "Pulumi."+name+".yaml")
	CopyFile(t, filepath.Join(root, stackFile), file)

	fs := StartFakes(t, opts.Fakes)
	env := Env(t, fs)
	for k, v := range opts.Env {
		env[k] = v
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	stack, err := auto.UpsertStackInlineSource(ctx, name, "eks-cilium", program,
		auto.WorkDir(dir), auto.EnvVars(env))
	if err != nil {
		t.Fatalf("creating stack %s: %v", name, err)
	}
	return &Stack{T: t, Fakes: fs, Auto: stack, File: file}
}

// CopyFile copies a file, creating the target's directory.
func CopyFile(t testing.TB, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// Operation is what one CLI run did: its error, its output, its engine events and the calls
// it made to the fakes.
type Operation struct {
	Err     error
	Output  string
	Events  []events.EngineEvent
	Calls   []Call
	Changes map[string]int
}

// Steps are the resource operations the engine reported (ResourcePreEvent), by URN.
func (o Operation) Steps() map[string]apitype.OpType {
	out := map[string]apitype.OpType{}
	for _, e := range o.Events {
		if e.ResourcePreEvent != nil {
			out[e.ResourcePreEvent.Metadata.URN] = e.ResourcePreEvent.Metadata.Op
		}
	}
	return out
}

// PolicyViolations are the policy diagnostics the engine reported.
func (o Operation) PolicyViolations() []apitype.PolicyEvent {
	var out []apitype.PolicyEvent
	for _, e := range o.Events {
		if e.PolicyEvent != nil {
			out = append(out, *e.PolicyEvent)
		}
	}
	return out
}

func (s *Stack) context() (context.Context, context.CancelFunc) {
	timeout := s.Timeout
	if timeout == 0 {
		timeout = 5 * time.Minute
	}
	return context.WithTimeout(context.Background(), timeout)
}

// progress is where a CLI run writes its output: a buffer for failure messages and, with
// `go test -v`, the terminal as well.
func progress(buf *bytes.Buffer) io.Writer {
	if testing.Verbose() {
		return io.MultiWriter(buf, os.Stderr)
	}
	return buf
}

// run runs one operation with an event stream and collects what it did.
func (s *Stack) run(do func(ctx context.Context, out io.Writer, ch chan<- events.EngineEvent) (map[string]int, error)) Operation {
	s.T.Helper()
	ctx, cancel := s.context()
	defer cancel()
	mark := s.Fakes.Log.Len()
	var out bytes.Buffer
	ch := make(chan events.EngineEvent)
	var evs []events.EngineEvent
	done := make(chan struct{})
	go func() {
		for e := range ch {
			evs = append(evs, e)
		}
		close(done)
	}()
	changes, err := do(ctx, progress(&out), ch)
	<-done
	return Operation{Err: err, Output: out.String() + errText(err), Events: evs, Calls: s.Fakes.Log.Since(mark), Changes: changes}
}

func summary(res *map[string]int) map[string]int {
	if res == nil {
		return nil
	}
	return *res
}

// Up runs `pulumi up` (no preview first, as the Automation API does).
func (s *Stack) Up(opts ...optup.Option) Operation {
	s.T.Helper()
	return s.run(func(ctx context.Context, out io.Writer, ch chan<- events.EngineEvent) (map[string]int, error) {
		res, err := s.Auto.Up(ctx, append(opts, optup.ProgressStreams(out), optup.ErrorProgressStreams(out), optup.EventStreams(ch))...)
		if err != nil {
			return nil, err
		}
		return summary(res.Summary.ResourceChanges), nil
	})
}

// Preview runs `pulumi preview`.
func (s *Stack) Preview(opts ...optpreview.Option) Operation {
	s.T.Helper()
	return s.run(func(ctx context.Context, out io.Writer, ch chan<- events.EngineEvent) (map[string]int, error) {
		res, err := s.Auto.Preview(ctx, append(opts, optpreview.ProgressStreams(out), optpreview.ErrorProgressStreams(out), optpreview.EventStreams(ch))...)
		if err != nil {
			return nil, err
		}
		changes := map[string]int{}
		for k, v := range res.ChangeSummary {
			changes[string(k)] = v
		}
		return changes, nil
	})
}

// Refresh runs `pulumi refresh`: the providers read every resource back.
func (s *Stack) Refresh(opts ...optrefresh.Option) Operation {
	s.T.Helper()
	return s.run(func(ctx context.Context, out io.Writer, ch chan<- events.EngineEvent) (map[string]int, error) {
		res, err := s.Auto.Refresh(ctx, append(opts, optrefresh.ProgressStreams(out), optrefresh.ErrorProgressStreams(out), optrefresh.EventStreams(ch))...)
		if err != nil {
			return nil, err
		}
		return summary(res.Summary.ResourceChanges), nil
	})
}

// Destroy runs `pulumi destroy`.
func (s *Stack) Destroy(opts ...optdestroy.Option) Operation {
	s.T.Helper()
	return s.run(func(ctx context.Context, out io.Writer, ch chan<- events.EngineEvent) (map[string]int, error) {
		res, err := s.Auto.Destroy(ctx, append(opts, optdestroy.ProgressStreams(out), optdestroy.ErrorProgressStreams(out), optdestroy.EventStreams(ch))...)
		if err != nil {
			return nil, err
		}
		return summary(res.Summary.ResourceChanges), nil
	})
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return "\n" + err.Error()
}

// MustSucceed fails the test with the CLI's output when op failed.
func (s *Stack) MustSucceed(what string, op Operation) Operation {
	s.T.Helper()
	if op.Err != nil {
		s.T.Fatalf("%s failed:\n%s", what, op.Output)
	}
	return op
}

// Outputs are the stack's outputs as `pulumi stack output --json` shows them.
func (s *Stack) Outputs() auto.OutputMap {
	s.T.Helper()
	ctx, cancel := s.context()
	defer cancel()
	out, err := s.Auto.Outputs(ctx)
	if err != nil {
		s.T.Fatalf("reading stack outputs: %v", err)
	}
	return out
}

// EditConfig changes the stack file: edit gets the `config:` map (key -> decoded YAML value).
func (s *Stack) EditConfig(edit func(config map[string]any)) {
	s.T.Helper()
	data, err := os.ReadFile(s.File)
	if err != nil {
		s.T.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		s.T.Fatal(err)
	}
	cfg, _ := doc["config"].(map[string]any)
	edit(cfg)
	out, err := yaml.Marshal(doc)
	if err != nil {
		s.T.Fatal(err)
	}
	if err := os.WriteFile(s.File, out, 0o644); err != nil {
		s.T.Fatal(err)
	}
}

// CiliumConfig returns the eks-cilium:cilium object of a config map for editing.
func CiliumConfig(config map[string]any) map[string]any {
	return config["eks-cilium:cilium"].(map[string]any)
}
