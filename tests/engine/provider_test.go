package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/eks-cilium/eks-cilium/tests/enginetest"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"gopkg.in/yaml.v3"
)

// buildComponentProvider builds the eks-cilium component provider from provider/ (its own
// module) as the Go language host builds it for a source-based plugin (provider/main.go, next
// to PulumiPlugin.yaml) and returns the binary's path. The binary sits in a folder named after
// the package, which is how a `packages:` entry of Pulumi.yaml can name a local plugin.
func buildComponentProvider(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "eks-cilium", "pulumi-resource-eks-cilium")
	buildLikeTheLanguageHost(t, filepath.Join(enginetest.RepoRoot(t), "provider"), bin)
	return bin
}

// runCLI runs the pulumi CLI with the tests' environment.
func runCLI(t *testing.T, env map[string]string, dir string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, enginetest.RequireTool(t, "pulumi"), args...)
	cmd.Dir = dir
	cmd.Env = os.Environ()
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	return out.String(), errOut.String(), err
}

func TestEngine_ComponentProviderSchemaIsValid(t *testing.T) {
	enginetest.RequireTool(t, "pulumi")
	bin := buildComponentProvider(t)
	// get-schema loads the plugin, prints its schema and binds it, failing on any error.
	stdout, stderr, err := runCLI(t, enginetest.Env(t, nil), t.TempDir(), "package", "get-schema", bin)
	if err != nil {
		t.Fatalf("pulumi package get-schema: %v\n%s", err, stderr)
	}
	if strings.Contains(strings.ToLower(stderr), "warning") || strings.Contains(strings.ToLower(stderr), "error") {
		t.Errorf("binding the schema reported problems:\n%s", stderr)
	}
	var spec struct {
		Name      string `json:"name"`
		Resources map[string]struct {
			IsComponent     bool                      `json:"isComponent"`
			InputProperties map[string]map[string]any `json:"inputProperties"`
			Properties      map[string]map[string]any `json:"properties"`
			RequiredInputs  []string                  `json:"requiredInputs"`
		} `json:"resources"`
	}
	if err := json.Unmarshal([]byte(stdout), &spec); err != nil {
		t.Fatalf("get-schema printed no JSON schema: %v\n%s", err, stdout)
	}
	if spec.Name != "eks-cilium" {
		t.Errorf("schema name = %q, want eks-cilium", spec.Name)
	}
	platform, ok := spec.Resources["eks-cilium:index:Platform"]
	if !ok {
		t.Fatalf("schema has no eks-cilium:index:Platform; resources: %v", spec.Resources)
	}
	if !platform.IsComponent {
		t.Errorf("eks-cilium:index:Platform is not a component in the schema")
	}
	for _, in := range []string{"vpc", "cluster", "nodeGroups", "cilium"} {
		if _, ok := platform.InputProperties[in]; !ok {
			t.Errorf("Platform input %s missing from the schema", in)
		}
	}
	for _, out := range []string{"clusterName", "clusterEndpoint", "kubeconfig", "vpcId", "podCidrs", "podCidrMaskSize"} {
		if _, ok := platform.Properties[out]; !ok {
			t.Errorf("Platform output %s missing from the schema", out)
		}
	}
}

// examples/yaml previews under the real engine with the YAML language host and the component
// provider built from provider/, which builds the whole platform from the fakes.
func TestEngine_YamlExamplePreviewsWithTheComponentProvider(t *testing.T) {
	enginetest.RequireTool(t, "pulumi")
	enginetest.RequireTool(t, "pulumi-language-yaml")
	bin := buildComponentProvider(t)
	root := enginetest.RepoRoot(t)

	dir := t.TempDir()
	data, err := os.ReadFile(filepath.Join(root, "examples", "yaml", "Pulumi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var project map[string]any
	if err := yaml.Unmarshal(data, &project); err != nil {
		t.Fatal(err)
	}
	// The example names a tag of the repository; here the package is the binary just built.
	if _, ok := project["packages"].(map[string]any)["eks-cilium"]; !ok {
		t.Fatalf("examples/yaml/Pulumi.yaml no longer declares the eks-cilium package: %v", project["packages"])
	}
	project["packages"] = map[string]any{"eks-cilium": filepath.Dir(bin)}
	out, err := yaml.Marshal(project)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "Pulumi.yaml"), out, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "Pulumi.dev.yaml"), []byte("config:\n  aws:region: "+enginetest.Region+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	fs := enginetest.StartFakes(t, enginetest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	stack, err := auto.UpsertStackLocalSource(ctx, "dev", dir, auto.EnvVars(enginetest.Env(t, fs)))
	if err != nil {
		t.Fatalf("creating the YAML stack: %v", err)
	}
	s := &enginetest.Stack{T: t, Fakes: fs, Auto: stack}
	op := s.MustSucceed("preview of examples/yaml", s.Preview(optpreview.Diff()))
	steps := op.Steps()
	want := map[string]bool{
		"eks-cilium:index:Platform":     false,
		"eks:index:Cluster":             false,
		"kubernetes:helm.sh/v3:Release": false,
		"aws:eks/nodeGroup:NodeGroup":   false,
		"aws:eks/addon:Addon":           false,
	}
	for urn, step := range steps {
		typ := string(resource.URN(urn).Type())
		if _, ok := want[typ]; ok && step == apitype.OpCreate {
			want[typ] = true
		}
	}
	for typ, seen := range want {
		if !seen {
			t.Errorf("the preview creates no %s:\n%s", typ, op.Output)
		}
	}
	checked := 0
	for _, c := range op.Calls {
		if c.Method == "Check" && c.Provider == "aws" {
			checked++
		}
	}
	if checked == 0 {
		t.Errorf("the fake aws provider checked nothing: the component's children did not reach it")
	}
}
