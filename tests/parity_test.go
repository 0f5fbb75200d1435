package tests

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/eks-cilium/eks-cilium/plan"
	"github.com/eks-cilium/eks-cilium/program"
	"github.com/eks-cilium/eks-cilium/stackconfig"
	"github.com/eks-cilium/eks-cilium/stackconfig/stackconfigtest"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// configSeenByProgram runs the program's own LoadConfig under mocks with the config Pulumi
// hands it, and returns what it decoded.
func configSeenByProgram(t *testing.T, stack string, values map[string]string) (stackconfig.Config, error) {
	t.Helper()
	var cfg stackconfig.Config
	var loadErr error
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		cfg, loadErr = program.LoadConfig(ctx)
		return nil
	}, pulumi.WithMocks(stackconfig.Namespace, stack, noResources{}), func(info *pulumi.RunInfo) { info.Config = values })
	if err != nil {
		t.Fatalf("running LoadConfig under mocks: %v", err)
	}
	return cfg, loadErr
}

type noResources struct{}

func (noResources) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	return args.Name, args.Inputs, nil
}

func (noResources) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	return args.Args, nil
}

// stackFilesForParity are every shipped stack and every fixture stack file.
func stackFilesForParity(t testing.TB) []string {
	t.Helper()
	var files []string
	for _, pattern := range []string{"../stacks/Pulumi.*.yaml", "fixtures/Pulumi.*.yaml", "fixtures/hostile/Pulumi.*.yaml"} {
		m, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) < 10 {
		t.Fatalf("found only %d stack files", len(files))
	}
	return files
}

func problemKeys(err error) []string {
	var ps stackconfig.Problems
	if !errors.As(err, &ps) {
		return nil
	}
	var keys []string
	for _, p := range ps {
		keys = append(keys, p.Key)
	}
	sort.Strings(keys)
	return keys
}

// TestParity_RenderReadsEveryStackFileAsPulumiDoes: for every shipped stack and fixture, the
// config the render reads from the file equals the config Pulumi's own loaders hand the
// program, and the program decodes from Pulumi's values exactly the Config the render
// decodes (or the same problems). Where the render refuses a file Pulumi reads, the file is a
// documented deliberate difference (its header says "pulumi: accepts").
func TestParity_RenderReadsEveryStackFileAsPulumiDoes(t *testing.T) {
	proj := loadProject(t)
	for _, path := range stackFilesForParity(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			stack := stackconfig.StackName(path)
			ours, oursValues, oursErr := stackconfig.LoadBytes(stack, data)
			theirs := stackconfigtest.ReadAsPulumi(proj, path, data)
			if h := header(data, "pulumi"); h != "" && (h == "accepts") != (theirs.Err == nil) {
				t.Errorf("the file says `pulumi: %s`; Pulumi's reading gives error %v", h, theirs.Err)
			}
			readRefused := oursErr != nil && oursValues == nil
			switch {
			case readRefused && theirs.Loaded == nil:
				return // both refuse to read the file
			case readRefused:
				if header(data, "pulumi") == "" {
					t.Fatalf("the render refuses a file Pulumi loads, and the file does not say so (want a `# pulumi: accepts` or `refuses` header)\nrender: %v", oursErr)
				}
				return
			case theirs.Loaded == nil:
				t.Fatalf("Pulumi cannot load a file the render reads: %v", theirs.Err)
			}
			if !reflect.DeepEqual(oursValues, theirs.Loaded) {
				t.Fatalf("config values differ\nrender: %v\npulumi: %v", oursValues, theirs.Loaded)
			}
			if theirs.Err != nil {
				if oursErr == nil {
					_, oursErr = plan.New(plan.Inputs{Config: ours}) // the render's next step
				}
				if oursErr == nil {
					t.Fatalf("the Pulumi CLI refuses a stack the render accepts: %v", theirs.Err)
				}
				return // the CLI's type check refused it before the program ran; so does the render
			}
			programCfg, programErr := configSeenByProgram(t, stack, theirs.Program)
			if oursErr != nil || programErr != nil {
				if got, want := problemKeys(programErr), problemKeys(oursErr); !reflect.DeepEqual(got, want) {
					t.Fatalf("problems differ\nprogram: %v\nrender:  %v", programErr, oursErr)
				}
				return
			}
			if !reflect.DeepEqual(programCfg, ours) {
				t.Fatalf("decoded configs differ\nprogram: %+v\nrender:  %+v", programCfg, ours)
			}
		})
	}
}

// header returns the value of a "# name: value" line in a fixture's leading comments.
func header(data []byte, name string) string {
	for _, line := range strings.Split(string(data), "\n") {
		if !strings.HasPrefix(line, "#") {
			break
		}
		if v, ok := strings.CutPrefix(strings.TrimSpace(strings.TrimPrefix(line, "#")), name+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// optionalSection reports whether a section of stackconfig.Config may be left out: it is a
// pointer, nil when absent.
func optionalSection(name string) bool {
	t := reflect.TypeFor[stackconfig.Config]()
	for i := range t.NumField() {
		if tag, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ","); tag == name {
			return t.Field(i).Type.Kind() == reflect.Pointer
		}
	}
	return false
}

// TestProject_DeclaresNoOptionalSectionPulumiWouldRequire: Pulumi refuses every stack that
// lacks a declared key without a default (pkg/v3 workspace/config.go, mergeConfig:
// "Stack 'dev' is missing configuration values ..."), so an optional section declared
// without a default would break every stack that leaves it out. Each declared key is a
// section of stackconfig.Config; optional ones are not declared without a default.
func TestProject_DeclaresNoOptionalSectionPulumiWouldRequire(t *testing.T) {
	proj := loadProject(t)
	for name, decl := range proj.Config {
		if !slices.Contains(stackconfig.Keys(), stackconfig.Namespace+":"+name) {
			t.Errorf("Pulumi.yaml declares %s, which is no section of stackconfig.Config", name)
		}
		if optionalSection(name) && decl.Default == nil {
			t.Errorf("Pulumi.yaml declares the optional section %s without a default: Pulumi would require it in every stack", name)
		}
	}
}

// TestParity_ValuesReachTheProgramAsPulumiPassesThem: the YAML corners a value can hit on
// its way to the program (number forms, dates, binary, merges, escaping), each compared
// with what Pulumi's own loaders produce from the same text.
func TestParity_ValuesReachTheProgramAsPulumiPassesThem(t *testing.T) {
	proj := loadProject(t)
	for _, tc := range []struct{ name, value string }{
		{"integer forms", "{a: 0x1F, b: 0o17, c: 017, d: 1_000, e: +5, f: -0}"},
		{"floats", "{a: 1.30, b: 1e3, c: 100.0, d: -0.0, e: .5, f: 1.0e+21, g: 123456789.123456789}"},
		{"big integers", "{a: 9223372036854775807, b: 9223372036854775808, c: 18446744073709551616, d: -9223372036854775809}"},
		{"booleans and YAML 1.1 words", "{a: true, b: yes, c: on, d: 'false', e: True}"},
		{"strings that look like other types", "{a: '24', b: 'null', c: '1.30', d: '<<', e: '2024-01-01'}"},
		{"dates", "{a: 2024-01-01, b: 2024-01-01T10:00:00Z, c: !!timestamp 2024-01-01, d: 2024-1-2}"},
		{"binary", "{a: !!binary aGVsbG8=, b: !!binary /w==}"},
		{"explicit standard tags", "{a: !!str 24, b: !!int '24', c: !!float 1, d: !!bool true}"},
		{"escaping", `{a: "<b>&", b: "tab\there", c: "ünïcödé", d: "\u2028"}`},
		{"empty containers and nulls inside", "{a: {}, b: [], c: ~, d: [~], e: {f: null}}"},
		{"anchors and merges", "{a: &x {k: 1, l: [1, 2]}, b: *x, c: {<<: *x, k: 2}, d: {<<: [*x, {m: 3}], l: 0}}"},
		{"block scalars", "|\n      line one\n      line two\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			keys := []string{"aws:region"} // a key Pulumi passes whatever it holds
			if strings.HasPrefix(tc.value, "{") {
				keys = append(keys, "eks-cilium:cilium") // an object key, passed as JSON
			}
			for _, key := range keys {
				text := "config:\n  " + key + ": " + tc.value + "\n"
				ours, err := stackconfig.ParseStackFile([]byte(text))
				if err != nil {
					t.Fatalf("%s: the render refuses it: %v", key, err)
				}
				theirs := stackconfigtest.ReadAsPulumi(proj, "Pulumi.test.yaml", []byte(text))
				if theirs.Loaded == nil {
					t.Fatalf("%s: Pulumi refuses it: %v", key, theirs.Err)
				}
				if ours[key] != theirs.Loaded[key] {
					t.Errorf("%s\nrender: %s\npulumi: %s", key, ours[key], theirs.Loaded[key])
				}
			}
		})
	}
}
