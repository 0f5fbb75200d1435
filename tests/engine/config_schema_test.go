package engine

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// What the Pulumi CLI itself checks of a stack's configuration against the types Pulumi.yaml
// declares, run on the real CLI (v3.274.1, the version of the SDK in go.mod). docs/stack-files.md
// and Pulumi.yaml's comment claim exactly this much.
//
// The project is copied with runtime yaml and a program that registers nothing: the CLI
// validates the stack's config before it starts any language host (pkg/v3
// cmd/pulumi/operations/up.go, ValidateStackConfigAndApplyProjectConfig), so a preview that
// succeeds means the CLI let the configuration through, and the same declarations are
// checked whatever the runtime.

const schemaPulumiVersion = "v3.274.1"

// schemaTools finds the CLI ($PULUMI_CLI, then PATH, then the cache directory
// scripts/install-pulumi-cli builds into) and the YAML language host beside it or on PATH.
// Without them the test skips, except under CI=true, where it fails.
func schemaTools(t *testing.T) (cli, hostDir string) {
	t.Helper()
	missing := func(what string) {
		msg := what + ": set PULUMI_CLI, put the CLI on PATH, or run scripts/install-pulumi-cli (builds " + schemaPulumiVersion + " and pulumi-language-yaml)"
		if os.Getenv("CI") == "true" {
			t.Fatal("CI=true: " + msg)
		}
		t.Skip("SKIPPED, the Pulumi CLI's own config checks are not verified: " + msg)
	}
	var candidates []string
	if p := os.Getenv("PULUMI_CLI"); p != "" {
		candidates = append(candidates, p)
	}
	if p, err := exec.LookPath("pulumi"); err == nil {
		candidates = append(candidates, p)
	}
	cache := os.Getenv("PULUMI_CLI_CACHE")
	if cache == "" {
		base := os.Getenv("XDG_CACHE_HOME")
		if base == "" {
			home, _ := os.UserHomeDir()
			base = filepath.Join(home, ".cache")
		}
		cache = filepath.Join(base, "eks-cilium", "pulumi-"+schemaPulumiVersion)
	}
	candidates = append(candidates, filepath.Join(cache, "pulumi"))
	for _, c := range candidates {
		if info, err := os.Stat(c); err == nil && !info.IsDir() {
			cli = c
			break
		}
	}
	if cli == "" {
		missing("no Pulumi CLI found")
	}
	out, err := exec.Command(cli, "version").Output()
	if err != nil || strings.TrimSpace(string(out)) != schemaPulumiVersion {
		missing(cli + " is not Pulumi " + schemaPulumiVersion + " (version: " + strings.TrimSpace(string(out)) + ")")
	}
	for _, dir := range []string{filepath.Dir(cli)} {
		if _, err := os.Stat(filepath.Join(dir, "pulumi-language-yaml")); err == nil {
			return cli, dir
		}
	}
	if p, err := exec.LookPath("pulumi-language-yaml"); err == nil {
		return cli, filepath.Dir(p)
	}
	missing("no pulumi-language-yaml beside " + cli + " or on PATH")
	return "", ""
}

// schemaWorkspace is a copy of the project with one stack, dev, on a local file backend.
type schemaWorkspace struct {
	t   *testing.T
	cli string
	dir string
	env []string
}

func schemaNewWorkspace(t *testing.T) *schemaWorkspace {
	t.Helper()
	cli, hostDir := schemaTools(t)
	root := t.TempDir()
	w := &schemaWorkspace{t: t, cli: cli, dir: filepath.Join(root, "project")}
	project, err := os.ReadFile(filepath.Join("..", "..", "Pulumi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(project), "\nruntime: go\n", "\nruntime: yaml\n", 1)
	if text == string(project) {
		t.Fatal("Pulumi.yaml has no `runtime: go` line to replace")
	}
	text += "resources: {}\n"
	for _, dir := range []string{filepath.Join(w.dir, "stacks"), filepath.Join(root, "state")} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(w.dir, "Pulumi.yaml"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	w.env = append(os.Environ(),
		"PATH="+hostDir+string(os.PathListSeparator)+os.Getenv("PATH"),
		"PULUMI_BACKEND_URL=file://"+filepath.Join(root, "state"),
		"PULUMI_HOME="+filepath.Join(root, "home"),
		"PULUMI_CONFIG_PASSPHRASE=test",
		"PULUMI_SKIP_UPDATE_CHECK=true",
		"PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true",
	)
	if code, out := w.run("stack", "init", "organization/eks-cilium/dev", "--non-interactive"); code != 0 {
		t.Fatalf("pulumi stack init: exit %d\n%s", code, out)
	}
	return w
}

// run runs the CLI in the workspace and returns its exit status and combined output.
func (w *schemaWorkspace) run(args ...string) (int, string) {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, w.cli, args...)
	cmd.Dir, cmd.Env = w.dir, w.env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0, out.String()
	case errors.As(err, &exit):
		return exit.ExitCode(), out.String()
	}
	w.t.Fatalf("pulumi %v: %v\n%s", args, err, out.String())
	return 0, ""
}

func (w *schemaWorkspace) writeStack(text string) {
	w.t.Helper()
	if err := os.WriteFile(filepath.Join(w.dir, "stacks", "Pulumi.dev.yaml"), []byte(text), 0o644); err != nil {
		w.t.Fatal(err)
	}
}

func (w *schemaWorkspace) preview(stack string) (int, string) {
	w.t.Helper()
	w.writeStack(stack)
	return w.run("preview", "-s", "dev", "--non-interactive")
}

func schemaRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestConfigSchema_ConfigSetChecksNothing: `pulumi config set` writes a wrong type without
// a word, at the top level and nested.
func TestConfigSchema_ConfigSetChecksNothing(t *testing.T) {
	w := schemaNewWorkspace(t)
	w.writeStack(schemaRead(t, filepath.Join("..", "..", "stacks", "Pulumi.dev.yaml")))
	for _, args := range [][]string{
		{"config", "set", "eks-cilium:nodeGroups", "notalist", "-s", "dev"},
		{"config", "set", "--path", "eks-cilium:cilium.clusterPoolIPv4MaskSize", "twenty-four", "-s", "dev"},
	} {
		if code, out := w.run(args...); code != 0 {
			t.Errorf("pulumi %v: exit %d, want it accepted\n%s", args, code, out)
		}
	}
	stack := schemaRead(t, filepath.Join(w.dir, "stacks", "Pulumi.dev.yaml"))
	if !strings.Contains(stack, "eks-cilium:nodeGroups: notalist") || !strings.Contains(stack, "clusterPoolIPv4MaskSize: twenty-four") {
		t.Errorf("the stack file does not hold the values just set:\n%s", stack)
	}
}

// TestConfigSchema_PreviewChecksTopLevelTypesAndRequiredKeysOnly: `pulumi preview` refuses
// a top-level value of the wrong declared type and a missing required key; a nested field
// of the wrong type, an unknown field and unknown keys all pass (the program refuses them).
func TestConfigSchema_PreviewChecksTopLevelTypesAndRequiredKeysOnly(t *testing.T) {
	dev := schemaRead(t, filepath.Join("..", "..", "stacks", "Pulumi.dev.yaml"))
	prod := schemaRead(t, filepath.Join("..", "..", "stacks", "Pulumi.prod.yaml"))
	// stack is a valid stack with some keys' lines replaced ("" drops the key).
	stack := func(replace map[string]string) string {
		lines := map[string]string{
			"vpc":        "  eks-cilium:vpc: {cidr: 192.168.0.0/16, availabilityZones: 2, natGateways: single}\n",
			"nodeGroups": "  eks-cilium:nodeGroups:\n    - {name: general, instanceTypes: [t3.medium], minSize: 1, desiredSize: 2, maxSize: 3}\n",
			"cilium":     "  eks-cilium:cilium: {clusterPoolIPv4PodCIDRList: [10.200.0.0/16], clusterPoolIPv4MaskSize: 24, tunnelProtocol: vxlan}\n",
		}
		text := "config:\n  aws:region: eu-west-1\n"
		for _, key := range []string{"vpc", "nodeGroups", "cilium"} {
			if r, ok := replace[key]; ok {
				text += r
				continue
			}
			text += lines[key]
		}
		return text + replace["extra"]
	}
	cases := []struct {
		name, stack string
		refused     string // the CLI's error; "" when the preview must succeed
	}{
		{"the shipped dev stack", dev, ""},
		{"the shipped prod stack", prod, ""},
		{"a valid stack", stack(nil), ""},
		{"a list key given a string", stack(map[string]string{"nodeGroups": "  eks-cilium:nodeGroups: notalist\n"}),
			"with configuration key 'nodeGroups' must be of type 'array<object>'"},
		{"a list of numbers where objects are declared", stack(map[string]string{"nodeGroups": "  eks-cilium:nodeGroups: [1, 2]\n"}),
			"with configuration key 'nodeGroups' must be of type 'array<object>'"},
		{"an object key given a list", stack(map[string]string{"vpc": "  eks-cilium:vpc: [a]\n"}),
			"with configuration key 'vpc' must be of type 'object'"},
		{"an object key given quoted JSON", stack(map[string]string{"vpc": "  eks-cilium:vpc: '{\"cidr\": \"10.0.0.0/16\"}'\n"}),
			"with configuration key 'vpc' must be of type 'object'"},
		{"a required key missing", stack(map[string]string{"nodeGroups": ""}),
			"is missing configuration value 'nodeGroups'"},
		{"a nested integer written as a string", stack(map[string]string{"cilium": "  eks-cilium:cilium: {clusterPoolIPv4PodCIDRList: [10.200.0.0/16], clusterPoolIPv4MaskSize: \"24\"}\n"}), ""},
		{"a nested integer written as a word", stack(map[string]string{"nodeGroups": "  eks-cilium:nodeGroups:\n    - {name: general, maxSize: three}\n"}), ""},
		{"an unknown nested field", stack(map[string]string{"cilium": "  eks-cilium:cilium: {clusterPoolIPv4PodCIDRList: [10.200.0.0/16], tunelProtocol: vxlan}\n"}), ""},
		{"an unknown key of the project", stack(map[string]string{"extra": "  eks-cilium:cillium: {version: 1.19.6}\n"}), ""},
		{"a key of an unknown namespace", stack(map[string]string{"extra": "  eks_cilium:vpc: {cidr: 10.50.0.0/16}\n"}), ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			w := schemaNewWorkspace(t)
			code, out := w.preview(c.stack)
			switch {
			case c.refused == "" && code != 0:
				t.Errorf("the CLI refused it (exit %d), want it to pass to the program:\n%s", code, out)
			case c.refused != "" && (code == 0 || !strings.Contains(out, "validating stack config") || !strings.Contains(out, c.refused)):
				t.Errorf("exit %d, want the CLI's config validation to refuse it with %q:\n%s", code, c.refused, out)
			}
		})
	}
}

// TestConfigSchema_HostileFixturesAsTheirHeadersSay: every file in tests/fixtures/hostile says
// whether Pulumi accepts it (`# pulumi: accepts` or `refuses`); the parity test checks that
// against Pulumi's loaders, this against the whole CLI.
func TestConfigSchema_HostileFixturesAsTheirHeadersSay(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "fixtures", "hostile", "Pulumi.*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no hostile fixtures (err %v)", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			text := schemaRead(t, f)
			want := ""
			for _, line := range strings.Split(text, "\n") {
				if v, ok := strings.CutPrefix(line, "# pulumi: "); ok {
					want = strings.TrimSpace(v)
				}
			}
			if want != "accepts" && want != "refuses" {
				t.Fatalf("no `# pulumi: accepts|refuses` header")
			}
			w := schemaNewWorkspace(t)
			code, out := w.preview(text)
			if (code == 0) != (want == "accepts") {
				t.Errorf("the file says Pulumi %s it; the CLI exited %d:\n%s", want, code, out)
			}
		})
	}
}
