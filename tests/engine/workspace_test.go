package engine

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
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"gopkg.in/yaml.v3"
)

// installHint is how to get the CLI the tests need.
const installHint = `export PATH="$(scripts/install-pulumi-cli | tail -n 1):$PATH"   # builds the pinned CLI from the Go module proxy`

// repoRoot is the repository root (tests/engine/../..). `go test` runs a test binary in its
// package's directory; the path runtime.Caller reports is no use here, because under
// -trimpath (docs/build-cache.md) it is the import path, not a directory.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// requireTool returns the path of a program on PATH. Without it the test skips with a
// message saying how to install it; under CI=true it fails instead, so CI cannot pass
// without running the real engine.
func requireTool(t *testing.T, name string) string {
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

// engineEnv is the environment of every CLI the tests run: a file backend in a temp dir, the
// fakes attached in place of the aws, eks and kubernetes plugins, a private PULUMI_HOME so no
// plugin from the machine is used, and no network.
func engineEnv(t *testing.T, fs *fakes) map[string]string {
	t.Helper()
	env := map[string]string{
		"PULUMI_BACKEND_URL":                          "file://" + filepath.ToSlash(t.TempDir()),
		"PULUMI_CONFIG_PASSPHRASE":                    "engine-tests",
		"PULUMI_HOME":                                 t.TempDir(),
		"PULUMI_SKIP_UPDATE_CHECK":                    "true",
		"PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
	}
	if fs != nil {
		env["PULUMI_DEBUG_PROVIDERS"] = fs.env
	}
	return env
}

// engineStack is one stack of a Go program run inline by the Automation API against the real
// engine, with the repository's Pulumi.yaml (so the CLI checks config types) and a copy of a
// stack file that tests may edit between operations.
type engineStack struct {
	t     *testing.T
	fakes *fakes
	stack auto.Stack
	file  string // the stack's Pulumi.<stack>.yaml in the workspace
}

// newEngineStack creates stack `name` with the config of stackFile (a path relative to the
// repository root) for program, on a fresh backend with fresh fakes.
func newEngineStack(t *testing.T, name, stackFile string, program pulumi.RunFunc) *engineStack {
	t.Helper()
	requireTool(t, "pulumi")
	root := repoRoot(t)
	dir := t.TempDir()
	copyFile(t, filepath.Join(root, "Pulumi.yaml"), filepath.Join(dir, "Pulumi.yaml"))
	file := filepath.Join(dir, "stacks", "Pulumi."+name+".yaml")
	copyFile(t, filepath.Join(root, stackFile), file)

	fs := startFakes(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	stack, err := auto.UpsertStackInlineSource(ctx, name, "eks-cilium", program,
		auto.WorkDir(dir), auto.EnvVars(engineEnv(t, fs)))
	if err != nil {
		t.Fatalf("creating stack %s: %v", name, err)
	}
	return &engineStack{t: t, fakes: fs, stack: stack, file: file}
}

func copyFile(t *testing.T, from, to string) {
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

// operation is what one CLI run did: its error, its output, its engine events and the calls
// it made to the fakes.
type operation struct {
	err     error
	output  string
	events  []events.EngineEvent
	calls   []call
	changes map[string]int
}

// steps are the resource operations the engine reported (ResourcePreEvent), by URN.
func (o operation) steps() map[string]apitype.OpType {
	out := map[string]apitype.OpType{}
	for _, e := range o.events {
		if e.ResourcePreEvent != nil {
			out[e.ResourcePreEvent.Metadata.URN] = e.ResourcePreEvent.Metadata.Op
		}
	}
	return out
}

// policyViolations are the policy diagnostics the engine reported.
func (o operation) policyViolations() []apitype.PolicyEvent {
	var out []apitype.PolicyEvent
	for _, e := range o.events {
		if e.PolicyEvent != nil {
			out = append(out, *e.PolicyEvent)
		}
	}
	return out
}

func collect(ch <-chan events.EngineEvent, into *[]events.EngineEvent, done chan<- struct{}) {
	for e := range ch {
		*into = append(*into, e)
	}
	close(done)
}

func (s *engineStack) context() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 5*time.Minute)
}

// progress is where a CLI run writes its output: a buffer for failure messages and, with
// `go test -v`, the terminal as well.
func progress(buf *bytes.Buffer) io.Writer {
	if testing.Verbose() {
		return io.MultiWriter(buf, os.Stderr)
	}
	return buf
}

// up runs `pulumi up` (no preview first, as the Automation API does).
func (s *engineStack) up(opts ...optup.Option) operation {
	s.t.Helper()
	ctx, cancel := s.context()
	defer cancel()
	mark := s.fakes.log.len()
	var out bytes.Buffer
	ch := make(chan events.EngineEvent)
	var evs []events.EngineEvent
	done := make(chan struct{})
	go collect(ch, &evs, done)
	res, err := s.stack.Up(ctx, append(opts, optup.ProgressStreams(progress(&out)), optup.ErrorProgressStreams(progress(&out)), optup.EventStreams(ch))...)
	<-done
	op := operation{err: err, output: out.String() + errText(err), events: evs, calls: s.fakes.log.since(mark)}
	if err == nil && res.Summary.ResourceChanges != nil {
		op.changes = *res.Summary.ResourceChanges
	}
	return op
}

// preview runs `pulumi preview`.
func (s *engineStack) preview(opts ...optpreview.Option) operation {
	s.t.Helper()
	ctx, cancel := s.context()
	defer cancel()
	mark := s.fakes.log.len()
	var out bytes.Buffer
	ch := make(chan events.EngineEvent)
	var evs []events.EngineEvent
	done := make(chan struct{})
	go collect(ch, &evs, done)
	res, err := s.stack.Preview(ctx, append(opts, optpreview.ProgressStreams(progress(&out)), optpreview.ErrorProgressStreams(progress(&out)), optpreview.EventStreams(ch))...)
	<-done
	op := operation{err: err, output: out.String() + errText(err), events: evs, calls: s.fakes.log.since(mark)}
	if err == nil {
		op.changes = map[string]int{}
		for k, v := range res.ChangeSummary {
			op.changes[string(k)] = v
		}
	}
	return op
}

// destroy runs `pulumi destroy`.
func (s *engineStack) destroy() operation {
	s.t.Helper()
	ctx, cancel := s.context()
	defer cancel()
	mark := s.fakes.log.len()
	var out bytes.Buffer
	ch := make(chan events.EngineEvent)
	var evs []events.EngineEvent
	done := make(chan struct{})
	go collect(ch, &evs, done)
	res, err := s.stack.Destroy(ctx, optdestroy.ProgressStreams(progress(&out)), optdestroy.ErrorProgressStreams(progress(&out)), optdestroy.EventStreams(ch))
	<-done
	op := operation{err: err, output: out.String() + errText(err), events: evs, calls: s.fakes.log.since(mark)}
	if err == nil && res.Summary.ResourceChanges != nil {
		op.changes = *res.Summary.ResourceChanges
	}
	return op
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return "\n" + err.Error()
}

// mustSucceed fails the test with the CLI's output when op failed.
func (s *engineStack) mustSucceed(what string, op operation) operation {
	s.t.Helper()
	if op.err != nil {
		s.t.Fatalf("%s failed:\n%s", what, op.output)
	}
	return op
}

// outputs are the stack's outputs as `pulumi stack output --json` shows them.
func (s *engineStack) outputs() auto.OutputMap {
	s.t.Helper()
	ctx, cancel := s.context()
	defer cancel()
	out, err := s.stack.Outputs(ctx)
	if err != nil {
		s.t.Fatalf("reading stack outputs: %v", err)
	}
	return out
}

// editConfig changes the stack file: edit gets the `config:` map (key -> decoded YAML value).
func (s *engineStack) editConfig(edit func(config map[string]any)) {
	s.t.Helper()
	data, err := os.ReadFile(s.file)
	if err != nil {
		s.t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		s.t.Fatal(err)
	}
	cfg, _ := doc["config"].(map[string]any)
	edit(cfg)
	out, err := yaml.Marshal(doc)
	if err != nil {
		s.t.Fatal(err)
	}
	if err := os.WriteFile(s.file, out, 0o644); err != nil {
		s.t.Fatal(err)
	}
}

// cilium returns the eks-cilium:cilium object of a config map for editing.
func cilium(config map[string]any) map[string]any {
	return config["eks-cilium:cilium"].(map[string]any)
}
