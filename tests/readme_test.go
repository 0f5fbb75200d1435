package tests

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/eks-cilium/eks-cilium/instancetypes"
	"github.com/eks-cilium/eks-cilium/render"
	"github.com/eks-cilium/eks-cilium/repair"
)

// TestReadme_GoExampleIsTheCompiledOne: the README's Go example is examples/go/main.go, which
// `go vet ./...` compiles, so the documented API cannot drift.
func TestReadme_GoExampleIsTheCompiledOne(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	example, err := os.ReadFile("../examples/go/main.go")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "```go\n"+string(example)+"```") {
		t.Error("README.md's Go example differs from examples/go/main.go; copy the file into the README")
	}
}

// TestReadme_TestCommandIsWhatCIRuns: .ci/run runs the README's test command verbatim.
func TestReadme_TestCommandIsWhatCIRuns(t *testing.T) {
	readme, _ := os.ReadFile("../README.md")
	ci, err := os.ReadFile("../.ci/run")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "\n"+readmeTestCommand+"\n") || !strings.Contains(string(ci), "\n"+readmeTestCommand+"\n") {
		t.Errorf("README.md and .ci/run must both run exactly %q", readmeTestCommand)
	}
}

// TestDocs_EveryCodeBlockSaysWhatItHolds: every fenced block is tagged, so no command hides
// in an untagged block the command test would not read.
func TestDocs_EveryCodeBlockSaysWhatItHolds(t *testing.T) {
	for _, page := range mustDocPages(t) {
		blocks, _, err := readBlocks(page)
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range blocks {
			if !shellLangs[b.lang] && !otherLangs[b.lang] {
				t.Errorf("%s:%d: code block tagged %q: tag commands `sh` and everything else `text`, `go`, `yaml` or `json`", b.page, b.line, b.lang)
			}
		}
	}
}

// TestDocs_EveryCommandRunsOrIsRecognized reads every command of every `sh` block in the
// README, docs/ and the READMEs next to the code. Commands that run offline and quickly (the
// render) run exactly as written, with the exit status their comment names; the others are
// checked without running (flags, packages, tests, files); commands that need AWS or the
// Pulumi CLI are recognized by name; anything else fails, so a new command needs a rule here.
func TestDocs_EveryCommandRunsOrIsRecognized(t *testing.T) {
	flags := renderFlags(t)
	for _, page := range mustDocPages(t) {
		blocks, _, err := readBlocks(page)
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range blocks {
			if !shellLangs[b.lang] {
				continue
			}
			cmds, err := b.commands()
			if err != nil {
				t.Error(err)
				continue
			}
			st := &blockState{dir: ".", produced: map[string]string{}, stacks: map[string]bool{}}
			for _, c := range cmds {
				kind, err := checkDocCommand(t, c, st, flags)
				if err != nil {
					t.Errorf("%s\n\t%v", c, err)
					continue
				}
				t.Logf("%-9s %s", kind, c)
			}
		}
	}
}

// TestDocs_EveryRelativeLinkResolves: every relative link of the README and the docs leads to
// a file or directory inside the repository, and to a heading of the page where it names one.
func TestDocs_EveryRelativeLinkResolves(t *testing.T) {
	root, err := filepath.Abs(docRoot)
	if err != nil {
		t.Fatal(err)
	}
	pageAnchors := map[string]map[string]bool{}
	anchorsOf := func(page string) map[string]bool {
		if a, ok := pageAnchors[page]; ok {
			return a
		}
		_, prose, err := readBlocks(page)
		if err != nil {
			t.Fatal(err)
		}
		pageAnchors[page] = anchors(prose)
		return pageAnchors[page]
	}
	for _, page := range mustDocPages(t) {
		_, prose, err := readBlocks(page)
		if err != nil {
			t.Fatal(err)
		}
		for _, link := range links(prose) {
			if regexp.MustCompile(`^[a-z]+:`).MatchString(link) {
				continue // http(s), mailto: outside the repository by design
			}
			target, frag, _ := strings.Cut(link, "#")
			targetPage := page
			if target != "" {
				targetPage = path.Clean(path.Join(path.Dir(page), target))
				abs := filepath.Join(root, filepath.FromSlash(targetPage))
				if rel, err := filepath.Rel(root, abs); err != nil || strings.HasPrefix(rel, "..") {
					t.Errorf("%s: link %q leaves the repository", page, link)
					continue
				}
				if _, err := os.Stat(abs); err != nil {
					t.Errorf("%s: link %q: %s does not exist", page, link, targetPage)
					continue
				}
			}
			if frag != "" {
				if !strings.HasSuffix(targetPage, ".md") {
					t.Errorf("%s: link %q names a heading of a file that is not Markdown", page, link)
					continue
				}
				if !anchorsOf(targetPage)[frag] {
					t.Errorf("%s: link %q: %s has no heading #%s", page, link, targetPage, frag)
				}
			}
		}
	}
}

// TestReadme_LinksEveryDocsPage: a page in docs/ the README does not link is a page nobody
// finds.
func TestReadme_LinksEveryDocsPage(t *testing.T) {
	_, prose, err := readBlocks("README.md")
	if err != nil {
		t.Fatal(err)
	}
	linked := map[string]bool{}
	for _, l := range links(prose) {
		target, _, _ := strings.Cut(l, "#")
		linked[path.Clean(target)] = true
	}
	pages, err := filepath.Glob(filepath.Join(docRoot, "docs", "*.md"))
	if err != nil || len(pages) == 0 {
		t.Fatalf("no pages in docs/ (%v)", err)
	}
	for _, p := range pages {
		if rel := "docs/" + filepath.Base(p); !linked[rel] {
			t.Errorf("README.md does not link %s", rel)
		}
	}
}

// TestReadme_DensityTableMatchesTheENITable: the README's "pods with the VPC CNI" column is
// what the ENI table the planner uses says for each instance type.
func TestReadme_DensityTableMatchesTheENITable(t *testing.T) {
	_, prose, err := readBlocks("README.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile(`(?m)^\| ([a-z0-9]+\.[a-z0-9]+) \| [^|]+ \| (\d+) \| (\d+) \|$`)
	rows := row.FindAllStringSubmatch(prose, -1)
	if len(rows) == 0 {
		t.Fatal("README.md has no density table rows (| type | vCPU, memory | VPC CNI pods | pods here |)")
	}
	for _, r := range rows {
		info, ok := instancetypes.Lookup(r[1])
		if !ok {
			t.Errorf("README.md density table: %s is not in the ENI table", r[1])
			continue
		}
		if got, _ := strconv.Atoi(r[2]); got != info.ENIMaxPods {
			t.Errorf("README.md density table: %s takes %d pods with the VPC CNI, not %d (%d ENIs × (%d − 1) + 2)", r[1], info.ENIMaxPods, got, info.ENIs, info.IPv4PerENI)
		}
	}
}

// TestDocs_RenderExcerptIsTheRealOutput: a text block that starts like the render's report
// ("Stack dev: 67 resources") is an excerpt of it: every line not marked as shortened ("...")
// is in the real report of that stack, in the same order.
func TestDocs_RenderExcerptIsTheRealOutput(t *testing.T) {
	header := regexp.MustCompile(`^Stack (\S+): \d+ resources$`)
	found := 0
	for _, b := range textBlocks(t) {
		m := header.FindStringSubmatch(b.text[0])
		if m == nil {
			continue
		}
		found++
		out, err := render.Stack(filepath.Join(docRoot, "stacks", "Pulumi."+m[1]+".yaml"), render.Options{}, "text", false)
		if err != nil {
			t.Fatalf("%s:%d: render %s: %v", b.page, b.line, m[1], err)
		}
		checkExcerpt(t, b, out, "the render of "+m[1])
	}
	if found == 0 {
		t.Error("no page shows an excerpt of the render's report; docs/render.md should")
	}
}

// TestDocs_FleetExcerptIsTheRealOutput: a text block that starts like the fleet report
// ("Fleet examples/fleet: 3 mesh members in 1 mesh") is an excerpt of `render -fleet` of that
// directory, checked as the render's excerpts are.
func TestDocs_FleetExcerptIsTheRealOutput(t *testing.T) {
	header := regexp.MustCompile(`^Fleet (\S+): \d+ mesh members? in \d+ mesh(es)?$`)
	found := 0
	for _, b := range textBlocks(t) {
		m := header.FindStringSubmatch(b.text[0])
		if m == nil {
			continue
		}
		found++
		rep, err := render.Fleet(filepath.Join(docRoot, m[1]))
		if err != nil {
			t.Fatalf("%s:%d: render -fleet %s: %v", b.page, b.line, m[1], err)
		}
		// The report names the directory as given; the page gives it from the repository's root.
		rep.Dir = m[1]
		checkExcerpt(t, b, rep.Text(), "render -fleet "+m[1])
	}
	if found == 0 {
		t.Error("no page shows an excerpt of the fleet report; docs/fleet.md should")
	}
}

// textBlocks are the non-empty text blocks of every documentation page.
func textBlocks(t *testing.T) []codeBlock {
	t.Helper()
	var out []codeBlock
	for _, page := range mustDocPages(t) {
		blocks, _, err := readBlocks(page)
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range blocks {
			if b.lang == "text" && len(b.text) > 0 {
				out = append(out, b)
			}
		}
	}
	return out
}

// checkExcerpt fails unless every line of the block not marked as shortened ("...") is a line
// of real, in the same order.
func checkExcerpt(t *testing.T, b codeBlock, real, what string) {
	t.Helper()
	lines := strings.Split(real, "\n")
	next := 0
	for i, line := range b.text {
		line = strings.TrimRight(line, " ")
		if strings.Contains(line, "...") || strings.Contains(line, "…") {
			continue
		}
		at := slices.IndexFunc(lines[next:], func(r string) bool { return strings.TrimRight(r, " ") == line })
		if at < 0 {
			t.Errorf("%s:%d: %q is not in %s (after line %d of it)", b.page, b.line+1+i, line, what, next)
			return
		}
		next += at + 1
	}
}

// TestDocs_RenderPageListsEveryFlag: docs/render.md documents every flag cmd/render has.
func TestDocs_RenderPageListsEveryFlag(t *testing.T) {
	page, err := os.ReadFile(filepath.Join(docRoot, "docs", "render.md"))
	if err != nil {
		t.Fatal(err)
	}
	for name := range renderFlags(t) {
		if !strings.Contains(string(page), "`-"+name) {
			t.Errorf("docs/render.md does not document the render's flag -%s", name)
		}
	}
}

// TestRepo_NamesNoFileOutsideIt: no code, doc or output names a file a user of the repository
// does not have. The test charts beside the repository (../shared/charts) are the one
// exception.
func TestRepo_NamesNoFileOutsideIt(t *testing.T) {
	forbidden := regexp.MustCompile(`\b(DESIGN|STYLE)\.md\b|\.\./shared/(?:[^c]|c[^h])`)
	root := filepath.Join(docRoot)
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); p != root && (strings.HasPrefix(name, ".") && name != ".github" && name != ".ci" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		ext := filepath.Ext(p)
		if ext != ".go" && ext != ".md" && ext != ".yaml" && ext != ".yml" && ext != ".json" && d.Name() != "run" {
			return nil
		}
		raw, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for i, line := range bytes.Split(raw, []byte("\n")) {
			if loc := forbidden.FindIndex(line); loc != nil {
				t.Errorf("%s:%d names a file outside the repository: %q (cite the upstream source or docs/, see docs/design.md)", p, i+1, line[loc[0]:loc[1]])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// --- commands ---

// blockState is what earlier commands of one block leave for later ones.
type blockState struct {
	dir      string            // working directory, relative to the repository root
	produced map[string]string // files earlier commands write -> what writes them
	stacks   map[string]bool   // stacks `pulumi stack init` created
}

// cloudCLIs need AWS, a cluster or the Pulumi CLI with a backend: recognized, not run.
var cloudCLIs = map[string]bool{"pulumi": true, "aws": true, "kubectl": true, "helm": true, "cilium": true}

// goTestFlags are the go test and build flags the docs may use (value flags map to true).
var goTestFlags = map[string]bool{
	"count": true, "run": true, "fuzz": true, "fuzztime": true, "fuzzminimizetime": true,
	"bench": true, "timeout": true, "tags": true, "benchtime": true,
	"v": false, "benchmem": false, "short": false, "race": false, "trimpath": false,
}

// checkDocCommand runs or checks one command and says which it did.
func checkDocCommand(t *testing.T, c command, st *blockState, flags map[string]bool) (string, error) {
	if len(c.args) == 0 {
		return "", errors.New("no command")
	}
	needsAWS := false
	for _, e := range c.env {
		if name, _, _ := strings.Cut(e, "="); strings.HasPrefix(name, "AWS_") || name == "EKS_CILIUM_E2E" {
			needsAWS = true
		}
	}
	exists := func(p string) bool {
		_, err := os.Stat(filepath.Join(docRoot, st.dir, p))
		return err == nil
	}
	name, args := c.args[0], c.args[1:]
	switch {
	case name == "cd":
		if len(args) != 1 || !exists(args[0]) {
			return "", fmt.Errorf("cd: no directory %v", args)
		}
		st.dir = path.Join(st.dir, args[0])
		return "checked", nil
	case name == "export":
		for _, a := range args {
			if !isAssignment(a) {
				return "", fmt.Errorf("export %q: not NAME=value", a)
			}
			for _, sub := range commandSubstitutions(a) {
				first := strings.Fields(sub)[0]
				info, err := os.Stat(filepath.Join(docRoot, st.dir, first))
				if err != nil || info.Mode()&0o111 == 0 {
					return "", fmt.Errorf("export runs %s, which is not an executable file of the repository", first)
				}
			}
		}
		return "checked", nil
	case name == "bash" || name == "sh":
		if len(args) == 0 || !exists(args[0]) {
			return "", fmt.Errorf("%s: no script %v", name, args)
		}
		return "checked", nil
	case name == "cp":
		if len(args) < 2 {
			return "", errors.New("cp needs a source and a destination")
		}
		for _, src := range args[:len(args)-1] {
			if !exists(src) && st.produced[src] == "" {
				return "", fmt.Errorf("cp: %s does not exist", src)
			}
		}
		st.produced[strings.TrimSuffix(args[len(args)-1], "/")] = "cp"
		return "checked", nil
	case cloudCLIs[name]:
		return "cloud", checkCloudCommand(c, st)
	case name == "go":
		return checkGoCommand(t, c, st, flags, needsAWS)
	case st.produced[name] != "":
		// A binary an earlier `go build -o` of this block wrote: check it like its package.
		pkg := st.produced[name]
		if !isRenderMain(filepath.Join(docRoot, st.dir, pkg)) {
			return "", fmt.Errorf("%s was built from %s, which the test does not know how to check", name, pkg)
		}
		if _, err := renderOperands(args, flags, st, exists); err != nil {
			return "", err
		}
		return "checked", nil
	}
	return "", fmt.Errorf("the documentation test does not know %q: run it, check it or recognize it in tests/readme_test.go", name)
}

// checkCloudCommand checks what can be checked of a command for the cloud: the stack it names
// is a shipped stack (or one the block created), the policy pack it names is built first.
func checkCloudCommand(c command, st *blockState) error {
	args := c.args
	if len(args) >= 4 && args[0] == "pulumi" && args[1] == "stack" && args[2] == "init" {
		st.stacks[args[3]] = true
		return nil
	}
	for i := 1; i+1 < len(args); i++ {
		switch args[i] {
		case "-s", "--stack":
			s := args[i+1]
			if _, err := os.Stat(filepath.Join(docRoot, "stacks", "Pulumi."+s+".yaml")); err != nil && !st.stacks[s] {
				return fmt.Errorf("stack %q is neither shipped (stacks/Pulumi.%s.yaml) nor created earlier in the block", s, s)
			}
		case "--policy-pack":
			p := args[i+1]
			if _, err := os.Stat(filepath.Join(docRoot, st.dir, p)); err != nil && st.produced[p] == "" {
				return fmt.Errorf("policy pack %s is neither in the repository nor built earlier in the block", p)
			}
		}
	}
	if c.stdout != "" {
		st.produced[c.stdout] = c.args[0]
	}
	return nil
}

// checkGoCommand handles go run, go test, go build and go vet.
func checkGoCommand(t *testing.T, c command, st *blockState, flags map[string]bool, needsAWS bool) (string, error) {
	args := c.args[1:]
	dir := st.dir
	if len(args) >= 2 && args[0] == "-C" {
		dir, args = path.Join(dir, args[1]), args[2:]
	}
	if len(args) == 0 {
		return "", errors.New("go without a subcommand")
	}
	pkgDir := func(p string) (string, error) {
		p = strings.TrimSuffix(p, "/...")
		abs := filepath.Join(docRoot, dir, p)
		if info, err := os.Stat(abs); err != nil || !info.IsDir() {
			return "", fmt.Errorf("package %s: no directory %s", p, path.Join(dir, p))
		}
		return abs, nil
	}
	switch sub := args[0]; sub {
	case "run":
		// Build flags before the package (the docs use -trimpath, docs/build-cache.md).
		for len(args) > 1 && args[1] == "-trimpath" {
			args = append([]string{args[0]}, args[2:]...)
		}
		if len(args) < 2 {
			return "", errors.New("go run without a package")
		}
		abs, err := pkgDir(args[1])
		if err != nil {
			return "", err
		}
		if filepath.Base(abs) == "fleet" && filepath.Base(filepath.Dir(abs)) == "cmd" {
			// cmd/fleet drives the Pulumi CLI against a backend: its flags are checked.
			return "cloud", checkFleetFlags(abs, args[2:])
		}
		if isMain(abs, "repair.Main(") {
			return checkRepairCommand(args[1], args[2:], st)
		}
		if !isRenderMain(abs) {
			return "", fmt.Errorf("go run %s: the test knows how to run only commands built on render.Main (and check cmd/repair's)", args[1])
		}
		runnable, err := renderOperands(args[2:], flags, &blockState{dir: dir, produced: st.produced}, func(p string) bool {
			_, err := os.Stat(filepath.Join(docRoot, dir, p))
			return err == nil
		})
		if err != nil {
			return "", err
		}
		if !runnable || needsAWS {
			return "cloud", nil // reads a file only a cloud command writes
		}
		if testing.Short() {
			return "checked", nil
		}
		want := expectedExit(c.comment)
		code, stdout, stderr, err := runDocCommand(filepath.Join(docRoot, dir), c.env, c.args, 5*time.Minute)
		if errors.Is(err, errNoDocRun) {
			return "checked", nil
		}
		if err != nil {
			return "", err
		}
		// go run exits 1 for any failure of the program and prints its status last.
		got := code
		if m := regexp.MustCompile(`exit status (\d+)\s*$`).FindStringSubmatch(stderr); code != 0 && m != nil {
			got, _ = strconv.Atoi(m[1])
		}
		if got != want {
			return "", fmt.Errorf("exit status %d, the docs say %d\nstdout: %s\nstderr: %s", got, want, shorten(stdout), shorten(stderr))
		}
		if want == 0 && strings.TrimSpace(stdout) == "" {
			return "", fmt.Errorf("printed nothing\nstderr: %s", shorten(stderr))
		}
		if want != 0 && strings.TrimSpace(stderr) == "" {
			return "", errors.New("failed without saying why on stderr")
		}
		return "ran", nil
	case "test":
		var pkgs []string
		var patterns = map[string]string{}
		for i := 1; i < len(args); i++ {
			a := args[i]
			if !strings.HasPrefix(a, "-") {
				pkgs = append(pkgs, a)
				continue
			}
			name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
			takesValue, known := goTestFlags[name]
			if !known {
				// A flag of the test binary itself: one of the packages must define it.
				if !definesTestFlag(t, dir, pkgs, name) {
					return "", fmt.Errorf("go test: -%s is neither a go test flag nor defined by %v", name, pkgs)
				}
				continue
			}
			if takesValue && !hasValue {
				if i+1 >= len(args) {
					return "", fmt.Errorf("go test: -%s needs a value", name)
				}
				value = args[i+1]
				i++
			}
			patterns[name] = value
		}
		if len(pkgs) == 0 {
			return "", errors.New("go test without packages")
		}
		var dirs []string
		for _, p := range pkgs {
			abs, err := pkgDir(p)
			if err != nil {
				return "", err
			}
			dirs = append(dirs, abs)
		}
		for _, kind := range []struct{ flag, prefix string }{{"run", "Test"}, {"fuzz", "Fuzz"}, {"bench", "Benchmark"}} {
			pattern, ok := patterns[kind.flag]
			if !ok || pattern == "^$" {
				continue
			}
			re, err := regexp.Compile(pattern)
			if err != nil {
				return "", fmt.Errorf("go test -%s %q: %v", kind.flag, pattern, err)
			}
			for i, d := range dirs {
				if strings.HasSuffix(pkgs[i], "...") {
					continue // a tree of packages: the pattern may match in any of them
				}
				if !slices.ContainsFunc(testFuncs(t, d, kind.prefix), re.MatchString) {
					return "", fmt.Errorf("go test -%s %q matches no %s function in %s", kind.flag, pattern, kind.prefix, pkgs[i])
				}
			}
		}
		if needsAWS {
			return "cloud", nil
		}
		return "checked", nil
	case "build", "vet":
		var out string
		var pkgs []string
		for i := 1; i < len(args); i++ {
			switch {
			case args[i] == "-o" && i+1 < len(args):
				out = args[i+1]
				i++
			case args[i] == "-tags" && i+1 < len(args):
				i++
			case strings.HasPrefix(args[i], "-"):
			default:
				pkgs = append(pkgs, args[i])
			}
		}
		for _, p := range pkgs {
			if _, err := pkgDir(p); err != nil {
				return "", err
			}
		}
		if out != "" && len(pkgs) == 1 {
			st.produced[out] = pkgs[0]
			st.produced[path.Dir(out)] = "go build"
		}
		return "checked", nil
	default:
		return "", fmt.Errorf("go %s: the documentation test does not know this subcommand", sub)
	}
}

// renderOperands checks a render command line against the render's own flags and reports
// whether every file it reads exists (a file a cloud command of the block writes does not).
func renderOperands(args []string, flags map[string]bool, st *blockState, exists func(string) bool) (bool, error) {
	runnable := true
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") {
			return false, fmt.Errorf("render: unexpected argument %q", a)
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		takesValue, ok := flags[name]
		if !ok {
			return false, fmt.Errorf("render has no flag -%s", name)
		}
		if name == "fleet" {
			// -fleet, -fleet=DIR or -fleet DIR: the directory must exist.
			if !hasValue && i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") {
				value, hasValue = args[i+1], true
				i++
			}
			if hasValue && !exists(value) {
				return false, fmt.Errorf("render -fleet %s: no such directory", value)
			}
			continue
		}
		if !takesValue {
			continue
		}
		if !hasValue {
			if i+1 >= len(args) {
				return false, fmt.Errorf("render: -%s needs a value", name)
			}
			value = args[i+1]
			i++
		}
		file := ""
		switch name {
		case "stack":
			file = "stacks/Pulumi." + value + ".yaml"
		case "config", "previous":
			file = value
		case "format":
			if value != "text" && value != "json" {
				return false, fmt.Errorf("render: -format %s (text or json)", value)
			}
		}
		switch {
		case file == "" || exists(file):
		case st.produced[file] != "":
			runnable = false
		default:
			return false, fmt.Errorf("render -%s %s: %s does not exist", name, value, file)
		}
	}
	return runnable, nil
}

// checkFleetFlags checks a cmd/fleet command line against the flags its main.go defines.
func checkFleetFlags(dir string, args []string) error {
	raw, err := os.ReadFile(filepath.Join(dir, "main.go"))
	if err != nil {
		return err
	}
	for _, a := range args {
		if !strings.HasPrefix(a, "-") {
			continue // a stack name, or a flag's value
		}
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !regexp.MustCompile(`fs\.\w+\("` + regexp.QuoteMeta(name) + `"`).Match(raw) {
			return fmt.Errorf("cmd/fleet has no flag -%s", name)
		}
	}
	return nil
}

// renderFlags are the flags of render.Main, as its own usage prints them: name -> takes a value.
func renderFlags(t *testing.T) map[string]bool {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if code := render.Main([]string{"-h"}, &stdout, &stderr, nil); code != render.ExitUsage {
		t.Fatalf("render -h: exit %d", code)
	}
	flags := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^  -(\w+)(?: (\w+))?$`).FindAllStringSubmatch(stderr.String(), -1) {
		flags[m[1]] = m[2] != ""
	}
	if len(flags) == 0 {
		t.Fatalf("render -h listed no flags:\n%s", stderr.String())
	}
	return flags
}

// isRenderMain reports whether the main package in dir is a command built on render.Main.
func isRenderMain(dir string) bool { return isMain(dir, "render.Main(") }

// isMain reports whether dir holds a main package that calls call.
func isMain(dir, call string) bool {
	files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		raw, err := os.ReadFile(f)
		if err == nil && bytes.Contains(raw, []byte("package main")) && bytes.Contains(raw, []byte(call)) {
			return true
		}
	}
	return false
}

// checkRepairCommand checks a documented `go run ./cmd/repair ...`: its arguments parse with
// the command's own parser and name a shipped stack (or one the block created). It is not
// run: it needs a deployed stack, its backend and the Pulumi CLI (tests/realkube runs it
// against a real control plane).
func checkRepairCommand(pkg string, args []string, st *blockState) (string, error) {
	o, err := repair.ParseArgs(args, io.Discard)
	if err != nil {
		return "", fmt.Errorf("go run %s: %v", pkg, err)
	}
	if _, err := os.Stat(filepath.Join(docRoot, "stacks", "Pulumi."+o.Stack+".yaml")); err != nil && !st.stacks[o.Stack] {
		return "", fmt.Errorf("go run %s: stack %q is neither shipped (stacks/Pulumi.%s.yaml) nor created earlier in the block", pkg, o.Stack, o.Stack)
	}
	return "cloud", nil
}

// testFuncs lists the test, fuzz or benchmark functions (by prefix) of the package in dir.
func testFuncs(t *testing.T, dir, prefix string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*_test.go"))
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`(?m)^func (` + prefix + `\w*)\(`)
	var out []string
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllSubmatch(raw, -1) {
			out = append(out, string(m[1]))
		}
	}
	return out
}

// definesTestFlag reports whether one of the packages' tests defines the flag name.
func definesTestFlag(t *testing.T, dir string, pkgs []string, name string) bool {
	t.Helper()
	re := regexp.MustCompile(`flag\.\w+\("` + regexp.QuoteMeta(name) + `"`)
	for _, p := range pkgs {
		files, _ := filepath.Glob(filepath.Join(docRoot, dir, strings.TrimSuffix(p, "/..."), "*_test.go"))
		for _, f := range files {
			if raw, err := os.ReadFile(f); err == nil && re.Match(raw) {
				return true
			}
		}
	}
	return false
}

func mustDocPages(t *testing.T) []string {
	t.Helper()
	pages, err := docPages()
	if err != nil {
		t.Fatal(err)
	}
	return pages
}

func shorten(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 2000 {
		return s[:2000] + " …"
	}
	return s
}

// TestDocs_RepairCommandsAreCheckedWithTheCommandsOwnParser: a documented `go run ./cmd/repair`
// must parse with the command's flags and name a shipped stack.
func TestDocs_RepairCommandsAreCheckedWithTheCommandsOwnParser(t *testing.T) {
	tests := []struct {
		args []string
		want string // a fragment of the error; "" for none
	}{
		{[]string{"-stack", "dev"}, ""},
		{[]string{"-stack", "dev", "-yes"}, ""},
		{[]string{"-stack", "nosuchstack", "-yes"}, `stack "nosuchstack" is neither shipped`},
		{[]string{"-stack", "dev", "-force"}, "flag provided but not defined: -force"},
		{[]string{"-yes"}, "-stack is required"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			kind, err := checkRepairCommand("./cmd/repair", tt.args, &blockState{dir: ".", produced: map[string]string{}, stacks: map[string]bool{}})
			switch {
			case tt.want == "" && (err != nil || kind != "cloud"):
				t.Errorf("got %q, %v; want cloud, no error", kind, err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("got %v, want an error saying %q", err, tt.want)
			}
		})
	}
}
