package tests

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/eks-cilium/eks-cilium/stackconfig"
	"gopkg.in/yaml.v3"
)

// readmeTestCommand is the test command of README.md's quickstart; CI runs exactly this.
const readmeTestCommand = "go test -trimpath -count=1 ./... && go -C provider test -trimpath -count=1 ./..."

type workflow struct {
	On          map[string]any    `yaml:"on"`
	Permissions map[string]string `yaml:"permissions"`
	Env         map[string]string `yaml:"env"`
	Jobs        map[string]job    `yaml:"jobs"`
	raw         string
}

type job struct {
	If       string `yaml:"if"`
	Strategy struct {
		Matrix map[string]any `yaml:"matrix"`
	} `yaml:"strategy"`
	Concurrency struct {
		Group            string `yaml:"group"`
		CancelInProgress any    `yaml:"cancel-in-progress"`
	} `yaml:"concurrency"`
	Env   map[string]string `yaml:"env"`
	Steps []step            `yaml:"steps"`
}

type step struct {
	Name string         `yaml:"name"`
	ID   string         `yaml:"id"`
	Uses string         `yaml:"uses"`
	Run  string         `yaml:"run"`
	With map[string]any `yaml:"with"`
}

func loadWorkflow(t *testing.T, name string) workflow {
	t.Helper()
	path := filepath.Join("..", ".github", "workflows", name)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	var wf workflow
	if err := yaml.Unmarshal(data, &wf); err != nil {
		t.Fatalf("%s is not valid YAML: %v", path, err)
	}
	wf.raw = string(data)
	if len(wf.Jobs) == 0 {
		t.Fatalf("%s has no jobs", path)
	}
	return wf
}

// jobStep is a step with the name of its job.
type jobStep struct {
	job  string
	step step
}

// steps lists every step of every job, jobs in name order.
func (wf workflow) steps() []jobStep {
	var out []jobStep
	for _, name := range slices.Sorted(maps.Keys(wf.Jobs)) {
		for _, s := range wf.Jobs[name].Steps {
			out = append(out, jobStep{name, s})
		}
	}
	return out
}

// uses returns the steps that use an action (owner/repo, without the version).
func (wf workflow) uses(action string) []step {
	var out []step
	for _, s := range wf.steps() {
		if a, _, _ := strings.Cut(s.step.Uses, "@"); a == action {
			out = append(out, s.step)
		}
	}
	return out
}

// runs reports whether some step's script contains the command.
func (wf workflow) runs(command string) bool {
	for _, s := range wf.steps() {
		if strings.Contains(s.step.Run, command) {
			return true
		}
	}
	return false
}

// shippedStackNames are the stacks under stacks/: dev, prod, ...
func shippedStackNames(t *testing.T) []string {
	t.Helper()
	paths, err := filepath.Glob("../stacks/Pulumi.*.yaml")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no shipped stacks under ../stacks (err %v)", err)
	}
	var names []string
	for _, p := range paths {
		names = append(names, stackconfig.StackName(p))
	}
	slices.Sort(names)
	return names
}

func isTrue(v any) bool { return v == true || v == "true" }

var pinnedTag = regexp.MustCompile(`^[\w.-]+/[\w.-]+(/[\w./-]+)?@v\d+(\.\d+){0,2}$`)

func TestWorkflows_ActionsArePinnedToReleaseTags(t *testing.T) {
	for _, name := range []string{"ci.yml", "preview.yml"} {
		wf := loadWorkflow(t, name)
		for _, s := range wf.steps() {
			if s.step.Uses != "" && !pinnedTag.MatchString(s.step.Uses) {
				t.Errorf("%s job %s uses %q: pin actions to a release tag (owner/repo@vN)", name, s.job, s.step.Uses)
			}
			if s.step.Uses != "" && strings.HasPrefix(s.step.Uses, "actions/setup-go@") {
				if v := fmt.Sprint(s.step.With["go-version"]); v != "1.26.x" {
					t.Errorf("%s job %s: setup-go go-version %q, want 1.26.x (go.mod's toolchain line)", name, s.job, v)
				}
			}
		}
		for _, want := range []string{"actions/checkout@v4", "actions/setup-go@v5"} {
			action, _, _ := strings.Cut(want, "@")
			used := wf.uses(action)
			if len(used) == 0 {
				t.Errorf("%s does not use %s", name, action)
			}
			for _, s := range used {
				if s.Uses != want {
					t.Errorf("%s uses %s, want %s", name, s.Uses, want)
				}
			}
		}
	}
}

func TestWorkflows_CIRunsOnPullRequestsAndMain(t *testing.T) {
	wf := loadWorkflow(t, "ci.yml")
	if _, ok := wf.On["pull_request"]; !ok {
		t.Error("ci.yml does not run on pull_request")
	}
	push, _ := wf.On["push"].(map[string]any)
	branches, _ := push["branches"].([]any)
	if !slices.Contains(branches, any("main")) {
		t.Errorf("ci.yml does not run on push to main (push: %v)", wf.On["push"])
	}
}

func TestWorkflows_CIRunsTheReadmeTestCommand(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), readmeTestCommand) {
		t.Errorf("README.md no longer shows the test command %q; update it and ci.yml together", readmeTestCommand)
	}
	wf := loadWorkflow(t, "ci.yml")
	found := false
	for _, s := range wf.steps() {
		if strings.TrimSpace(s.step.Run) == readmeTestCommand {
			found = true
		}
	}
	if !found {
		t.Errorf("no ci.yml step runs exactly %q", readmeTestCommand)
	}
}

func TestWorkflows_CIChecks(t *testing.T) {
	wf := loadWorkflow(t, "ci.yml")
	commands := []string{
		"gofmt -l",
		"go vet -trimpath ./...",
		"go vet -trimpath -tags e2e ./...",
		"go -C provider vet -trimpath ./...",
		"go test -trimpath ./tests -run TestRendered",
	}
	for _, stack := range shippedStackNames(t) {
		commands = append(commands, "go run -trimpath ./cmd/render -stack "+stack+" -policy")
	}
	for _, c := range commands {
		if !wf.runs(c) {
			t.Errorf("ci.yml does not run %q", c)
		}
	}
}

func TestWorkflows_CILintsBothModulesWithAPinnedGolangciLint(t *testing.T) {
	wf := loadWorkflow(t, "ci.yml")
	lints := wf.uses("golangci/golangci-lint-action")
	dirs := map[string]bool{}
	for _, s := range lints {
		v := fmt.Sprint(s.With["version"])
		if !regexp.MustCompile(`^v\d+\.\d+\.\d+$`).MatchString(v) {
			t.Errorf("golangci-lint version %q: pin an exact release (vX.Y.Z), never latest", v)
		}
		dir := "."
		if d, ok := s.With["working-directory"]; ok {
			dir = fmt.Sprint(d)
		}
		dirs[dir] = true
	}
	if !dirs["."] || !dirs["provider"] {
		t.Errorf("golangci-lint runs in %v; want the root module and provider/", dirs)
	}
}

// The chart contract test fails in CI when a chart is missing, so CI must fetch every chart
// version a stack pins and every candidate tests/chart renders.
func TestWorkflows_CIDownloadsEveryChartTheContractTestRenders(t *testing.T) {
	wf := loadWorkflow(t, "ci.yml")
	downloaded := strings.Fields(wf.Env["CILIUM_CHART_VERSIONS"])
	if !wf.runs("helm pull cilium --repo https://helm.cilium.io") {
		t.Error("ci.yml does not pull the Cilium chart")
	}
	want := map[string]string{}
	for _, stack := range shippedStackNames(t) {
		cfg, _, err := stackconfig.LoadFile("../stacks/Pulumi." + stack + ".yaml")
		if err != nil {
			t.Fatalf("stack %s: %v", stack, err)
		}
		want[cfg.Cilium.Version] = "pinned by stack " + stack
	}
	src, err := os.ReadFile("chart/chart_test.go")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`chartVersions = \[\]string\{([^}]*)\}`).FindSubmatch(src)
	if m == nil {
		t.Fatal("tests/chart/chart_test.go no longer declares chartVersions; update this test")
	}
	for _, v := range regexp.MustCompile(`"([^"]+)"`).FindAllSubmatch(m[1], -1) {
		want[string(v[1])] = "rendered by tests/chart"
	}
	for v, why := range want {
		if !slices.Contains(downloaded, v) {
			t.Errorf("Cilium chart %s (%s) is not in ci.yml's CILIUM_CHART_VERSIONS %v", v, why, downloaded)
		}
	}
}

// The add-on contract test fails in CI when an add-on chart a stack pins is missing, and the
// embedded IAM policy of the controller must be compared with the published one.
func TestWorkflows_CIDownloadsEveryAddonChart(t *testing.T) {
	wf := loadWorkflow(t, "ci.yml")
	for _, pull := range []string{
		"helm pull metrics-server --repo https://kubernetes-sigs.github.io/metrics-server/",
		"helm pull aws-load-balancer-controller --repo https://aws.github.io/eks-charts",
		"docs/install/iam_policy.json\" | cmp -",
	} {
		if !wf.runs(pull) {
			t.Errorf("ci.yml does not run %q", pull)
		}
	}
	metricsServer := strings.Fields(wf.Env["METRICS_SERVER_CHART_VERSIONS"])
	controller := strings.Fields(wf.Env["AWS_LOAD_BALANCER_CONTROLLER_CHART_VERSIONS"])
	pinned := 0
	for _, stack := range shippedStackNames(t) {
		cfg, _, err := stackconfig.LoadFile("../stacks/Pulumi." + stack + ".yaml")
		if err != nil {
			t.Fatalf("stack %s: %v", stack, err)
		}
		if cfg.Addons == nil {
			continue
		}
		if ms := cfg.Addons.MetricsServer; ms != nil {
			pinned++
			if !slices.Contains(metricsServer, ms.Version) {
				t.Errorf("metrics-server chart %s (stack %s) is not in ci.yml's METRICS_SERVER_CHART_VERSIONS %v", ms.Version, stack, metricsServer)
			}
		}
		if lbc := cfg.Addons.AwsLoadBalancerController; lbc != nil {
			pinned++
			if !slices.Contains(controller, lbc.Version) {
				t.Errorf("aws-load-balancer-controller chart %s (stack %s) is not in ci.yml's AWS_LOAD_BALANCER_CONTROLLER_CHART_VERSIONS %v", lbc.Version, stack, controller)
			}
		}
	}
	if pinned == 0 {
		t.Error("no shipped stack installs an add-on; the dev stack should install both")
	}
}

func TestWorkflows_PreviewPermissionsAndTrigger(t *testing.T) {
	wf := loadWorkflow(t, "preview.yml")
	if _, ok := wf.On["pull_request"]; !ok || len(wf.On) != 1 {
		t.Errorf("preview.yml triggers on %v, want pull_request only", wf.On)
	}
	want := map[string]string{"id-token": "write", "contents": "read", "pull-requests": "write"}
	for k, v := range want {
		if wf.Permissions[k] != v {
			t.Errorf("permissions.%s = %q, want %q", k, wf.Permissions[k], v)
		}
	}
	for k := range wf.Permissions {
		if _, ok := want[k]; !ok {
			t.Errorf("preview.yml grants %s: %s; only %v are needed", k, wf.Permissions[k], want)
		}
	}
}

// previewJob is the job that runs pulumi preview.
func previewJob(t *testing.T, wf workflow) job {
	t.Helper()
	for _, j := range wf.Jobs {
		for _, s := range j.Steps {
			if strings.HasPrefix(s.Uses, "pulumi/actions@") && s.With["command"] == "preview" {
				return j
			}
		}
	}
	t.Fatal("preview.yml has no pulumi/actions step with command: preview")
	return job{}
}

func TestWorkflows_PreviewRunsPerStackOneAtATime(t *testing.T) {
	wf := loadWorkflow(t, "preview.yml")
	j := previewJob(t, wf)
	var stacks []string
	list, _ := j.Strategy.Matrix["stack"].([]any)
	for _, s := range list {
		stacks = append(stacks, fmt.Sprint(s))
	}
	slices.Sort(stacks)
	if want := shippedStackNames(t); !slices.Equal(stacks, want) {
		t.Errorf("matrix.stack = %v, want the shipped stacks %v", stacks, want)
	}
	if !strings.Contains(j.Concurrency.Group, "matrix.stack") {
		t.Errorf("concurrency group %q is not per stack (must contain matrix.stack)", j.Concurrency.Group)
	}
	if j.Concurrency.CancelInProgress != false {
		t.Errorf("cancel-in-progress = %v, want false: a cancelled preview leaves the stack locked", j.Concurrency.CancelInProgress)
	}
}

func TestWorkflows_AwsCredentialsComeFromOIDC(t *testing.T) {
	wf := loadWorkflow(t, "preview.yml")
	creds := wf.uses("aws-actions/configure-aws-credentials")
	if len(creds) == 0 {
		t.Fatal("preview.yml does not configure AWS credentials")
	}
	for _, s := range creds {
		role := fmt.Sprint(s.With["role-to-assume"])
		if !regexp.MustCompile(`^\$\{\{\s*vars\.\w+\s*\}\}$`).MatchString(role) {
			t.Errorf("role-to-assume = %q, want a repository variable ${{ vars.NAME }}", role)
		}
		if r := fmt.Sprint(s.With["aws-region"]); s.With["aws-region"] == nil || r == "" {
			t.Error("configure-aws-credentials has no aws-region")
		}
	}
	for _, name := range []string{"ci.yml", "preview.yml"} {
		raw := strings.ToLower(loadWorkflow(t, name).raw)
		for _, forbidden := range []string{"secrets.aws_secret_access_key", "secrets.aws_access_key_id", "aws-secret-access-key", "aws-access-key-id"} {
			if strings.Contains(raw, forbidden) {
				t.Errorf("%s mentions %s: use the OIDC role, never long-lived AWS keys", name, forbidden)
			}
		}
	}
}

func TestWorkflows_PulumiPreviewWithDiffCommentAndPolicyPack(t *testing.T) {
	wf := loadWorkflow(t, "preview.yml")
	var preview *step
	for _, s := range wf.uses("pulumi/actions") {
		if s.With["command"] == "preview" {
			preview = &s
		}
	}
	if preview == nil {
		t.Fatal("no pulumi/actions step with command: preview")
	}
	if preview.Uses != "pulumi/actions@v7" {
		t.Errorf("uses %s, want pulumi/actions@v7", preview.Uses)
	}
	stack := fmt.Sprint(preview.With["stack-name"])
	if !strings.Contains(stack, "matrix.stack") || !strings.Contains(stack, "vars.") {
		t.Errorf("stack-name %q: want the matrix stack, qualified by a repository variable", stack)
	}
	for _, k := range []string{"diff", "comment-on-pr"} {
		if !isTrue(preview.With[k]) {
			t.Errorf("%s = %v, want true", k, preview.With[k])
		}
	}
	pack := fmt.Sprint(preview.With["policyPacks"])
	if pack != "policies" {
		t.Errorf("policyPacks = %q, want policies", pack)
	}
	if _, err := os.Stat(filepath.Join("..", pack, "PulumiPolicy.yaml")); err != nil {
		t.Errorf("policyPacks names %s, which is not a policy pack: %v", pack, err)
	}
}

var stackOutputToPrevious = regexp.MustCompile(`pulumi stack output --json -s \S+ > previous\.json`)

// The offline render with the day-2 guard runs against the deployed outputs before the
// cloud preview, so a refused change fails fast and without touching the stack.
func TestWorkflows_PreviewGuardsDay2ChangesBeforePreviewing(t *testing.T) {
	wf := loadWorkflow(t, "preview.yml")
	j := previewJob(t, wf)
	outputs, render, preview := -1, -1, -1
	for i, s := range j.Steps {
		switch {
		case stackOutputToPrevious.MatchString(s.Run):
			outputs = i
		case strings.Contains(s.Run, "go run -trimpath ./cmd/render -stack ${{ matrix.stack }} -previous previous.json -policy"):
			render = i
		case strings.HasPrefix(s.Uses, "pulumi/actions@") && s.With["command"] == "preview":
			preview = i
		}
	}
	if outputs < 0 {
		t.Error("no step saves `pulumi stack output --json -s <stack>` to previous.json")
	}
	if render < 0 {
		t.Error("no step runs `go run -trimpath ./cmd/render -stack ${{ matrix.stack }} -previous previous.json -policy`")
	}
	if outputs >= 0 && render >= 0 && (outputs > render || render > preview) {
		t.Errorf("steps out of order: outputs %d, render %d, preview %d; want outputs < render < preview", outputs, render, preview)
	}
}

// Every Karpenter version a shipped stack pins must be pulled for tests/chart, both charts.
func TestWorkflows_CIDownloadsEveryPinnedKarpenterChart(t *testing.T) {
	wf := loadWorkflow(t, "ci.yml")
	downloaded := strings.Fields(wf.Env["KARPENTER_CHART_VERSIONS"])
	for _, chart := range []string{"karpenter", "karpenter-crd"} {
		if !wf.runs("helm pull oci://public.ecr.aws/karpenter/" + chart + " ") {
			t.Errorf("ci.yml does not pull oci://public.ecr.aws/karpenter/%s", chart)
		}
	}
	pinned := 0
	for _, stack := range shippedStackNames(t) {
		cfg, _, err := stackconfig.LoadFile("../stacks/Pulumi." + stack + ".yaml")
		if err != nil {
			t.Fatalf("stack %s: %v", stack, err)
		}
		if cfg.Karpenter == nil {
			continue
		}
		pinned++
		if !slices.Contains(downloaded, cfg.Karpenter.Version) {
			t.Errorf("stack %s pins Karpenter %s, not in ci.yml's KARPENTER_CHART_VERSIONS %v", stack, cfg.Karpenter.Version, downloaded)
		}
	}
	if pinned == 0 {
		t.Error("no shipped stack installs Karpenter, so tests/chart renders no Karpenter chart")
	}
}
