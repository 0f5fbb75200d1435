package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The command reads stacks/ relative to the working directory: run from the repo root.
func TestMain(m *testing.M) {
	if err := os.Chdir("../.."); err != nil {
		panic(err)
	}
	os.Exit(m.Run())
}

func runCLI(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestRender_ShippedStacksExitZero(t *testing.T) {
	for _, stack := range []string{"dev", "prod"} {
		for _, format := range []string{"text", "json"} {
			code, out, errOut := runCLI("-stack", stack, "-format", format, "-policy")
			if code != 0 {
				t.Fatalf("%s/%s: exit %d, stderr:\n%s", stack, format, code, errOut)
			}
			if format == "json" {
				var doc map[string]any
				if err := json.Unmarshal([]byte(out), &doc); err != nil {
					t.Fatalf("%s: -format json is not JSON: %v", stack, err)
				}
				for _, key := range []string{"stack", "resources", "ipPlan", "ciliumValues", "criticalPath", "warnings"} {
					if _, ok := doc[key]; !ok {
						t.Errorf("%s: JSON lacks %q", stack, key)
					}
				}
			} else {
				for _, section := range []string{"Resources", "IP plan", "Cilium Helm values", "Time to ready", "Warnings", "clusterPoolIPv4MaskSize: 24"} {
					if !strings.Contains(out, section) {
						t.Errorf("%s: text output lacks %q", stack, section)
					}
				}
			}
		}
	}
}

func TestRender_InvalidConfigExitsOneWithoutStdout(t *testing.T) {
	cases := []struct {
		fixture string
		want    []string
	}{
		{"Pulumi.bad-types.yaml", []string{"eks-cilium:cilium.clusterPoolIPv4MaskSize", "must be an integer", "eks-cilium:nodeGroups[0].desiredSize"}},
		{"Pulumi.bad-pool.yaml", []string{"clusterPoolIPv4PodCIDRList[0]", "overlaps eks-cilium:vpc.cidr", "did you mean 10.200.0.0/16", "nodeGroups[0].maxPods"}},
		{"Pulumi.malformed.yaml", []string{"valid YAML"}},
	}
	for _, c := range cases {
		t.Run(c.fixture, func(t *testing.T) {
			code, out, errOut := runCLI("-config", filepath.Join("tests", "fixtures", c.fixture))
			if code != 1 {
				t.Fatalf("exit %d, want 1; stderr:\n%s", code, errOut)
			}
			if out != "" {
				t.Errorf("invalid config printed to stdout:\n%s", out)
			}
			for _, w := range c.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
			if strings.Contains(errOut, "goroutine") || strings.Contains(errOut, "panic") {
				t.Errorf("stderr shows a Go panic:\n%s", errOut)
			}
		})
	}
}

func TestRender_UsageErrorsExitTwo(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"-stack", "dev", "-config", "stacks/Pulumi.dev.yaml"},
		{"-stack", "dev", "-format", "yaml"},
		{"-stack", "does-not-exist"},
		{"-bogus"},
		{"-stack", "dev", "extra"},
	} {
		if code, _, _ := runCLI(args...); code != 2 {
			t.Errorf("render %v: exit %d, want 2", args, code)
		}
	}
}

func TestRender_JSONIsByteIdenticalAcrossRuns(t *testing.T) {
	_, a, _ := runCLI("-stack", "prod", "-format", "json")
	_, b, _ := runCLI("-stack", "prod", "-format", "json")
	if a == "" || a != b {
		t.Fatal("two JSON renders of prod differ (or are empty)")
	}
}
