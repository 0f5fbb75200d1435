package tests

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// Pulumi's Go language host compiles `pulumi preview`/`up` with -trimpath, and -trimpath is
// part of every package's build-cache key (docs/build-cache.md). Every command this repository
// documents or runs in CI compiles with it too, so the render, vet, the tests and the first
// preview share one build of pulumi-aws instead of compiling it twice.

// quickstartRenderCommand is the README's first command: after it, the first preview and the
// test command find pulumi-aws compiled.
const quickstartRenderCommand = "go run -trimpath ./cmd/render -stack dev"

// goCompileCommand matches a go command that compiles packages, up to the end of the command
// (a shell operator, a comment, the end of the line or of an inline code span).
var goCompileCommand = regexp.MustCompile("\\bgo(?: -C \\S+)? (?:build|run|test|vet)\\b[^\\n&|;#`]*")

// otherModuleTool matches a package argument with a version (`go run example.com/tool@v1.2.3`):
// a tool built from another module, whose build shares nothing with this repository's.
var otherModuleTool = regexp.MustCompile(`\s\S+@v\d\S*(\s|$)`)

// fencedBlocks returns the fenced code blocks of a Markdown document.
func fencedBlocks(markdown string) string {
	var out strings.Builder
	in := false
	for line := range strings.SplitSeq(markdown, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			in = !in
			continue
		}
		if in {
			out.WriteString(line + "\n")
		}
	}
	return out.String()
}

// shellLines drops the comment and echo lines of a shell script.
func shellLines(script string) string {
	var out strings.Builder
	for line := range strings.SplitSeq(script, "\n") {
		if l := strings.TrimSpace(line); !strings.HasPrefix(l, "#") && !strings.HasPrefix(l, "echo ") {
			out.WriteString(line + "\n")
		}
	}
	return out.String()
}

// workflowScripts joins the run: scripts of every step of a workflow.
func workflowScripts(t *testing.T, name string) string {
	var out strings.Builder
	for _, s := range loadWorkflow(t, name).steps() {
		out.WriteString(s.step.Run + "\n")
	}
	return out.String()
}

func readRepoFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", path))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestBuildCache_EveryDocumentedAndCICommandCompilesWithTrimpath(t *testing.T) {
	sources := map[string]func(t *testing.T) string{
		"README.md (code blocks)":       func(t *testing.T) string { return fencedBlocks(readRepoFile(t, "README.md")) },
		".ci/run":                       func(t *testing.T) string { return shellLines(readRepoFile(t, ".ci/run")) },
		".github/workflows/ci.yml":      func(t *testing.T) string { return workflowScripts(t, "ci.yml") },
		".github/workflows/preview.yml": func(t *testing.T) string { return workflowScripts(t, "preview.yml") },
	}
	// Where the README's reference moves into docs/, its commands stay covered.
	docs, _ := filepath.Glob("../docs/*.md")
	for _, path := range docs {
		rel := strings.TrimPrefix(filepath.ToSlash(path), "../")
		sources[rel+" (code blocks)"] = func(t *testing.T) string { return fencedBlocks(readRepoFile(t, rel)) }
	}
	for name, read := range sources {
		t.Run(name, func(t *testing.T) {
			commands := goCompileCommand.FindAllString(read(t), -1)
			checked := 0
			for _, c := range commands {
				if otherModuleTool.MatchString(c) {
					continue
				}
				checked++
				if !slices.Contains(strings.Fields(c), "-trimpath") {
					t.Errorf("%q compiles without -trimpath: it would compile pulumi-aws again instead of reusing the build `pulumi preview` uses (docs/build-cache.md)", strings.TrimSpace(c))
				}
			}
			if checked == 0 && !strings.HasPrefix(name, "docs/") {
				t.Errorf("found no go build/run/test/vet command in %s; has the file changed shape?", name)
			}
		})
	}
}

func TestBuildCache_QuickstartCompilesWhatThePreviewAndTheTestsReuse(t *testing.T) {
	readme := readRepoFile(t, "README.md")
	render, tests := strings.Index(readme, "\n"+quickstartRenderCommand+"\n"), strings.Index(readme, "\n"+readmeTestCommand+"\n")
	if render < 0 {
		t.Errorf("README.md's quickstart no longer runs %q", quickstartRenderCommand)
	}
	if tests < 0 {
		t.Errorf("README.md's quickstart no longer runs %q", readmeTestCommand)
	}
	if render >= 0 && tests >= 0 && render > tests {
		t.Error("README.md's quickstart runs the tests before the render")
	}
	doc := readRepoFile(t, "docs/build-cache.md")
	for _, want := range []string{quickstartRenderCommand, readmeTestCommand, `go build -buildvcs=false -o <binary> -trimpath -ldflags "-w -s"`} {
		if !strings.Contains(doc, want) {
			t.Errorf("docs/build-cache.md does not explain %q", want)
		}
	}
}

// The tests build the policy pack and the component provider; they must build them the way the
// language host does (tests/engine languageHostBuildArgs), not with a bare `go build`.
func TestBuildCache_TestsBuildBinariesLikeTheLanguageHost(t *testing.T) {
	bareBuild := regexp.MustCompile(`exec\.Command(?:Context)?\([^)]*"go"[^)]*"build"`)
	err := filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if m := bareBuild.Find(data); m != nil {
			t.Errorf("tests/%s runs %s...: build with languageHostBuildArgs (tests/engine/build_test.go) so the binary is the one the CLI would run and reuses the tests' build cache", path, m)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	src := readRepoFile(t, "tests/engine/build_test.go")
	if !strings.Contains(src, `[]string{"build", "-buildvcs=false", "-o", binary, "-trimpath", "-ldflags", "-w -s"}`) {
		t.Error("tests/engine/build_test.go's languageHostBuildArgs are no longer the language host's build command (docs/build-cache.md)")
	}
}

// goModRequires reads a module's requirements with `go mod edit -json`.
func goModRequires(t *testing.T, dir string) map[string]string {
	t.Helper()
	cmd := exec.Command("go", "mod", "edit", "-json")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go mod edit -json in %s: %v", dir, err)
	}
	var mod struct {
		Require []struct{ Path, Version string }
	}
	if err := json.Unmarshal(out, &mod); err != nil {
		t.Fatal(err)
	}
	req := map[string]string{}
	for _, r := range mod.Require {
		req[r.Path] = r.Version
	}
	return req
}

// A package's cache key includes the build IDs of everything it imports: pulumi-aws compiles
// once for both modules only if both select the same version of every module it depends on.
// Every module a go.mod lists is in its build, so the two must agree on every common one.
func TestBuildCache_RootAndProviderModulesSelectTheSameVersions(t *testing.T) {
	root, provider := goModRequires(t, ".."), goModRequires(t, "../provider")
	common := 0
	for path, v := range root {
		pv, ok := provider[path]
		if !ok {
			continue
		}
		common++
		if pv != v {
			t.Errorf("%s: go.mod requires %s, provider/go.mod %s; the provider's tests would compile pulumi-aws again (`go get` the newer one in the other module)", path, v, pv)
		}
	}
	if _, ok := provider["github.com/pulumi/pulumi-aws/sdk/v6"]; !ok || common < 50 {
		t.Errorf("provider/go.mod shares %d modules with go.mod and lists pulumi-aws: %v; has the layout changed?", common, ok)
	}
}
