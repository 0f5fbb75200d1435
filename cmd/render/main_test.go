package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/eks-cilium/eks-cilium/plan"
)

// The command reads stacks/ relative to the working directory: run from the repo root. The
// Kubernetes version lifecycle is checked as of 2026-12-01, so results do not change with the
// calendar.
func TestMain(m *testing.M) {
	if err := os.Chdir("../.."); err != nil {
		panic(err)
	}
	plan.Today = func() time.Time { return time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC) }
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
				for _, key := range []string{"stack", "resources", "ipPlan", "ciliumValues", "userData", "criticalPath", "warnings"} {
					if _, ok := doc[key]; !ok {
						t.Errorf("%s: JSON lacks %q", stack, key)
					}
				}
			} else {
				for _, section := range []string{"Resources", "IP plan", "Cilium Helm values", "Node user data", "kind: NodeConfig", "Time to ready", "Warnings", "clusterPoolIPv4MaskSize: 24"} {
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
		{"Pulumi.bad-values.yaml", []string{"eks-cilium:cilium.values.routingMode", `"native"`, "may not be overridden"}},
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
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{}, "exactly one of -stack and -config"},
		{[]string{"-stack", "dev", "-config", "stacks/Pulumi.dev.yaml"}, "exactly one of -stack and -config"},
		{[]string{"-stack", "dev", "-format", "yaml"}, "-format is text or json"},
		{[]string{"-stack", "does-not-exist"}, "stacks there: dev, prod"},
		{[]string{"-bogus"}, "flag provided but not defined"},
		{[]string{"-stack", "dev", "extra"}, "unexpected arguments: extra"},
		// An empty CI variable must not turn the day-2 guard off silently.
		{[]string{"-stack", "prod", "-previous", ""}, "-previous given an empty value"},
		{[]string{"-stack", "", "-config", "stacks/Pulumi.dev.yaml"}, "-stack given an empty value"},
		{[]string{"-stack", "../stacks/Pulumi.dev"}, "a stack name may only contain"},
		{[]string{"-config", "stacks"}, "is not a regular file"},
		{[]string{"-config", "/dev/zero"}, "is not a regular file"},
	} {
		code, out, errOut := runCLI(c.args...)
		if code != 2 || out != "" || !strings.Contains(errOut, c.want) {
			t.Errorf("render %q: exit %d, stdout %d bytes, want exit 2 and stderr containing %q; stderr:\n%s", c.args, code, len(out), c.want, errOut)
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

// The day-2 guard through -previous: the JSON `pulumi stack output --json` printed.
func TestRender_PreviousOutputsGuard(t *testing.T) {
	prev := func(name string) string { return filepath.Join("tests", "fixtures", "previous", name) }
	cases := []struct {
		name, stackArg, previous string
		code                     int
		stderr, stdout           []string
	}{
		{"first deploy (no outputs yet)", "prod", prev("empty.json"), 0, nil, nil},
		{"unchanged", "prod", prev("prod-same.json"), 0, nil, nil},
		{"append is allowed", "prod", prev("prod-before-append.json"), 0, nil, nil},
		{"remove is refused", "prod", prev("prod-entry-removed.json"), 1,
			[]string{"eks-cilium:cilium.clusterPoolIPv4PodCIDRList[2]", "removing a pod CIDR", "allowPoolRewrite"}, nil},
		{"modify is refused", "prod", prev("prod-entry-modified.json"), 1,
			[]string{"eks-cilium:cilium.clusterPoolIPv4PodCIDRList[1]", "10.101.0.0/17 (deployed: 10.109.0.0/17)", "append new CIDRs at the end"}, nil},
		{"reorder is refused", "prod", prev("prod-reordered.json"), 1,
			[]string{"clusterPoolIPv4PodCIDRList[0]", "clusterPoolIPv4PodCIDRList[1]"}, nil},
		{"mask change is refused", "prod", prev("prod-mask-changed.json"), 1,
			[]string{"eks-cilium:cilium.clusterPoolIPv4MaskSize", "24 (deployed: 25)"}, nil},
		{"VPC change is refused", "prod", prev("prod-vpc-changed.json"), 1,
			[]string{"eks-cilium:vpc.cidr", "allowClusterReplacement"}, nil},
		{"kube-proxy replacement unchanged", "prod", prev("prod-kube-proxy-on.json"), 0, nil, nil},
		{"kube-proxy replacement switched on is refused", "prod", prev("prod-kube-proxy-off.json"), 1,
			[]string{"eks-cilium:cluster.kubeProxyReplacement", "true (deployed: false)", "preserve: true", "build a new cluster"}, nil},
		{"one Kubernetes minor up", "prod", prev("prod-1.34.json"), 0, nil, nil},
		{"a Kubernetes skip is refused with the way forward", "prod", prev("prod-1.33.json"), 1,
			[]string{"eks-cilium:cluster.version", "1.35 (deployed: 1.33)", "one minor at a time", "first update to 1.34"}, nil},
		{"a Cilium skip is refused", "prod", prev("prod-cilium-1.17.json"), 1,
			[]string{"eks-cilium:cilium.version", "1.19.6 (deployed: 1.17.9)", "consecutive minor", "first update to 1.18"}, nil},
		{"Cilium with a Kubernetes change is refused and says which first", "prod", prev("prod-1.34-cilium-1.18.json"), 1,
			[]string{"eks-cilium:cilium.version", "same update as Kubernetes", "first eks-cilium:cilium.version: 1.19.6 with eks-cilium:cluster.version kept at \"1.34\""}, nil},
		{"malformed JSON", "prod", prev("malformed-json.json"), 1, []string{"pulumi stack output --json"}, nil},
		{"outputs of something else", "prod", prev("malformed-shape.json"), 1, []string{"not those of an eks-cilium deployment"}, nil},
		{"missing file", "prod", prev("nope.json"), 1, []string{"nope.json"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := runCLI("-stack", c.stackArg, "-previous", c.previous)
			if code != c.code {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, c.code, errOut)
			}
			if c.code != 0 && out != "" {
				t.Errorf("a refused render printed to stdout")
			}
			for _, w := range c.stderr {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
		})
	}
}

// The upgrade plan: text and JSON with -previous, absent without.
func TestRender_UpgradePlanWithPrevious(t *testing.T) {
	prev := filepath.Join("tests", "fixtures", "previous", "prod-1.34.json")
	code, out, errOut := runCLI("-stack", "prod", "-previous", prev)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, errOut)
	}
	for _, w := range []string{"Upgrade plan", "1. control-plane    eks-cilium-prod: 1.34 -> 1.35", "2. addon            coredns", "3. node-group       general: kubernetesVersion=1.34"} {
		if !strings.Contains(out, w) {
			t.Errorf("text lacks %q", w)
		}
	}
	code, out, errOut = runCLI("-stack", "prod", "-previous", prev, "-format", "json")
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, errOut)
	}
	var rep struct {
		UpgradePlan []map[string]any `json:"upgradePlan"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	var components []string
	for i, s := range rep.UpgradePlan {
		if len(s) != 6 || s["step"] != float64(i+1) {
			t.Errorf("step %d has keys %v, want exactly step, component, name, from, to, why", i+1, s)
		}
		components = append(components, fmt.Sprint(s["component"]))
	}
	if got := strings.Join(components, " "); got != "control-plane addon node-group node-group" {
		t.Errorf("components %s", got)
	}
	_, out, _ = runCLI("-stack", "prod", "-format", "json")
	if strings.Contains(out, "upgradePlan") {
		t.Error("a render without -previous has no upgrade plan")
	}
}

func TestRender_EscapeHatchWarns(t *testing.T) {
	code, out, errOut := runCLI("-config", filepath.Join("tests", "fixtures", "Pulumi.prod-rewrite.yaml"),
		"-previous", filepath.Join("tests", "fixtures", "previous", "prod-mask-changed.json"))
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, errOut)
	}
	for _, w := range []string{"allowPoolRewrite is true", "allowed by allowPoolRewrite", "clusterPoolIPv4MaskSize"} {
		if !strings.Contains(out, w) {
			t.Errorf("render lacks warning %q", w)
		}
	}
}

func TestRender_UserDataOfEveryNodeGroup(t *testing.T) {
	code, out, errOut := runCLI("-config", filepath.Join("tests", "fixtures", "Pulumi.private.yaml"), "-format", "json")
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, errOut)
	}
	var doc struct {
		UserData map[string]string `json:"userData"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"general": {"kind: NodeConfig", `apiServerEndpoint: "<computed>"`, `certificateAuthority: "<computed>"`,
			`name: "eks-cilium-private"`, "maxPods: 110", `memory: "1465Mi"`, "--register-with-taints=node.cilium.io/agent-not-ready=true:NoExecute"},
		"rocket": {"[settings.kubernetes]", `api-server = "<computed>"`, `cluster-dns-ip = "172.20.0.10"`, "max-pods = 110",
			`"node.cilium.io/agent-not-ready" = ["true:NoExecute"]`},
	}
	if len(doc.UserData) != len(want) {
		t.Errorf("userData has %d node groups, want %d: %v", len(doc.UserData), len(want), doc.UserData)
	}
	for name, parts := range want {
		for _, p := range parts {
			if !strings.Contains(doc.UserData[name], p) {
				t.Errorf("userData[%s] lacks %q:\n%s", name, p, doc.UserData[name])
			}
		}
	}
}

func TestRender_PrivateEndpointRendersAndSaysWhereToRun(t *testing.T) {
	code, out, errOut := runCLI("-config", filepath.Join("tests", "fixtures", "Pulumi.private.yaml"), "-policy")
	if code != 0 {
		t.Fatalf("a private-only stack: exit %d; stderr:\n%s", code, errOut)
	}
	for _, w := range []string{"endpointPublicAccess is false", "run `pulumi up` from there"} {
		if !strings.Contains(out, w) {
			t.Errorf("render lacks %q:\n%s", w, out)
		}
	}
	if strings.Contains(out, "restricted-public-endpoint") {
		t.Errorf("the public-endpoint policy fired on a private endpoint:\n%s", out)
	}
}

// Issue 10's cases (tests/fixtures/rules/refused): exit 1, nothing on stdout, every key named
// on stderr with its rule. Their neighbours (tests/fixtures/rules/valid) render.
func TestRender_RulesRefuseWhatAWSOrTheKubeletWouldAndRenderTheNeighbours(t *testing.T) {
	refused := map[string][]string{
		"Pulumi.payments-platform-production-euw1.yaml": {"eks-cilium:cluster.name", "eksRole-role", "derived from the stack name", "at most 43 characters"},
		"Pulumi.long-prefix.yaml":                       {"eks-cilium:nodeGroups[0].name", "EKS node group name prefix", "(38) and the provider's 26-character unique suffix", "at most 36 characters"},
		"Pulumi.kubelet-labels.yaml": {`eks-cilium:nodeGroups[0].labels["app.kubernetes.io/part-of"]`, `eks-cilium:nodeGroups[0].labels["node-role.kubernetes.io/worker"]`,
			"the node never joins", "node.kubernetes.io/"},
		"Pulumi.graviton-x86-ami.yaml":    {"eks-cilium:nodeGroups[0].instanceTypes[0]", "m6g.large", "arm64 (AWS Graviton)", "AL2023_ARM_64_STANDARD"},
		"Pulumi.bottlerocket-arm-t3.yaml": {"eks-cilium:nodeGroups[0].instanceTypes[0]", "t3.medium", "boots arm64", "BOTTLEROCKET_x86_64"},
		"Pulumi.envoy-maxpods.yaml":       {"eks-cilium:nodeGroups[0].maxPods", "exceeds the 59 pod IPs", "ingressController.enabled"},
		"Pulumi.k8s-version.yaml":         {"eks-cilium:cluster.version", `"1.3"`, `did you mean "1.30"?`},
		"Pulumi.k8s-ended.yaml":           {"eks-cilium:cluster.version", "left EKS extended support on 2026-03-23"},
		"Pulumi.formats.yaml": {"eks-cilium:cluster.adminPrincipalArns[0]", "STS session", "eks-cilium:cluster.kmsKeyArn",
			"us-east-1", "eks-cilium:vpc.availabilityZoneNames[1]", "availability zone ID"},
	}
	files, _ := filepath.Glob(filepath.Join("tests", "fixtures", "rules", "refused", "*.yaml"))
	if len(files) != len(refused) {
		t.Fatalf("%d refused fixtures, %d expectations", len(files), len(refused))
	}
	for _, f := range files {
		t.Run("refused/"+filepath.Base(f), func(t *testing.T) {
			code, out, errOut := runCLI("-config", f)
			if code != 1 || out != "" {
				t.Fatalf("exit %d (want 1), stdout %d bytes (want none); stderr:\n%s", code, len(out), errOut)
			}
			want, ok := refused[filepath.Base(f)]
			if !ok {
				t.Fatalf("no expectation for %s", f)
			}
			for _, w := range want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
		})
	}
	valid, _ := filepath.Glob(filepath.Join("tests", "fixtures", "rules", "valid", "*.yaml"))
	if len(valid) < 7 {
		t.Fatalf("only %d valid fixtures", len(valid))
	}
	shows := map[string][]string{
		"Pulumi.envoy.yaml":          {`"usablePodIPsPerNode": 251`, `"reservedPerNodeCidr": 5`},
		"Pulumi.k8s-extended.yaml":   {"eks-cilium:cluster.version", "extended support since 2026-07-29"},
		"Pulumi.long-prefix.yaml":    {"general-purpose-workers-", strings.Repeat("n", 36) + "-"},
		"Pulumi.graviton.yaml":       {"amazon-linux-2023/arm64", "bottlerocket/aws-k8s-1.35/arm64"},
		"Pulumi.kubelet-labels.yaml": {"node.kubernetes.io/role"},
	}
	for _, f := range valid {
		t.Run("valid/"+filepath.Base(f), func(t *testing.T) {
			code, out, errOut := runCLI("-config", f, "-format", "json")
			if code != 0 {
				t.Fatalf("exit %d; stderr:\n%s", code, errOut)
			}
			for _, w := range shows[filepath.Base(f)] {
				if !strings.Contains(out, w) {
					t.Errorf("render lacks %q", w)
				}
			}
		})
	}
}

// checkRefusal asserts the contract of every refused render: the exit status, nothing on
// stdout, no Go trace, and a bounded message whose lines each fit a terminal line or two.
func checkRefusal(t *testing.T, code int, out, errOut string, wantCode int, want []string) {
	t.Helper()
	if code != wantCode {
		t.Fatalf("exit %d, want %d; stderr:\n%s", code, wantCode, errOut)
	}
	if wantCode != 0 && out != "" {
		t.Errorf("a refused render printed %d bytes to stdout", len(out))
	}
	if strings.Contains(errOut, "goroutine ") || strings.Contains(errOut, "panic:") {
		t.Errorf("stderr shows a Go panic:\n%s", errOut)
	}
	if len(errOut) > 16<<10 {
		t.Errorf("stderr is %d bytes, want a bounded message", len(errOut))
	}
	for _, line := range strings.Split(errOut, "\n") {
		if len(line) > 1000 {
			t.Errorf("a stderr line is %d bytes: %.100s…", len(line), line)
		}
	}
	for _, w := range want {
		if !strings.Contains(errOut, w) {
			t.Errorf("stderr lacks %q:\n%s", w, errOut)
		}
	}
}

// TestRender_HostileStackFilesAreRefusedWithKeyAndLine: every careless or hostile file in
// tests/fixtures/hostile is refused with exit 1, the key or the line, the rule and the fix
// (or, for the valid ones, rendered like Pulumi reads them).
func TestRender_HostileStackFilesAreRefusedWithKeyAndLine(t *testing.T) {
	cases := []struct {
		fixture string
		code    int
		want    []string
	}{
		{"alias-depth", 1, []string{"line 69: eks-cilium:cilium.values.l60[0]", "nests deeper than 64 levels", "stackconfig.MaxDepth"}},
		{"alias-key", 1, []string{"line 10: eks-cilium:cilium.clusterPoolIPv4MaskSize", "is set twice, at lines 8 and 10"}},
		{"anchor-loop", 1, []string{"line 10: eks-cilium:cilium.values", "refers to the anchor &cilium it is written inside of (line 8)"}},
		{"aws-typo", 1, []string{"line 4: aws:regoin", "did you mean aws:region?"}},
		{"big-int", 1, []string{"line 6: eks-cilium:nodeGroups[0].maxSize", `"99999999999999999999"`, "must be an integer"}},
		{"billion-laughs", 1, []string{"line 14: eks-cilium:cilium.values.d[7]", "more than 10000 YAML nodes", "stackconfig.MaxNodes", "the alias *c"}},
		{"bom", 0, nil},
		{"case-both", 1, []string{"line 9: eks-cilium:cilium.clusterPoolIPv4PodCidrList", "case-sensitive", "did you mean eks-cilium:cilium.clusterPoolIPv4PodCIDRList?"}},
		{"case-typo", 1, []string{"line 8: eks-cilium:cilium.clusterPoolIPv4PodCidrList", "did you mean eks-cilium:cilium.clusterPoolIPv4PodCIDRList?"}},
		{"config-list", 1, []string{"line 4: config", "must be a mapping"}},
		{"config-typo", 1, []string{"line 3: Config", "did you mean config?"}},
		{"control-chars", 1, []string{`eks-cilium:cilium.\x1b[31mred`, "unknown field"}},
		{"custom-tag", 1, []string{"line 8: eks-cilium:cilium.version", `"!Ref"`, "remove the tag"}},
		{"deep-nesting", 1, []string{"line 10: eks-cilium:cilium.values.deep[0][0]", "stackconfig.MaxDepth"}},
		{"duplicate-key", 1, []string{"line 9: eks-cilium:cilium", "is set twice, at lines 7 and 9"}},
		{"duplicate-namespace", 1, []string{"line 11: eks-cilium:cilium", `as "cilium" (line 8) and as "eks-cilium:cilium" (line 11)`}},
		{"duplicate-nested", 1, []string{"line 10: eks-cilium:cilium.clusterPoolIPv4MaskSize", "is set twice, at lines 9 and 10"}},
		{"empty", 1, []string{"aws:region", "eks-cilium:nodeGroups", "eks-cilium:cilium.clusterPoolIPv4PodCIDRList"}},
		{"json-string-section", 1, []string{"line 5: eks-cilium:nodeGroups", "must be a list, got a string"}},
		{"legacy-key", 1, []string{"line 7: eks-cilium:config:cilium", "write eks-cilium:cilium"}},
		{"long-key", 1, []string{"line 9: eks-cilium:cilium.kkkk", "… (618 bytes)", "unknown field"}},
		{"masquerade-off", 1, []string{"eks-cilium:cilium.values.enableIPv4Masquerade", `"false"`, "may not be overridden", "the VPC and the internet"}},
		{"merge-keys", 0, nil},
		{"merge-not-mapping", 1, []string{"line 8: eks-cilium:cilium", "a merge key (<<) takes a mapping"}},
		{"merge-twice", 1, []string{"line 11: eks-cilium:cilium.<<", "is set twice, at lines 10 and 11"}},
		{"namespace-case", 1, []string{"line 5: EKS-Cilium:vpc", "did you mean eks-cilium:vpc?"}},
		{"namespace-typo", 1, []string{"line 5: eks_cilium:vpc", `unknown namespace "eks_cilium"`, "did you mean eks-cilium:vpc?"}},
		{"nan", 1, []string{"line 9: eks-cilium:cilium.clusterPoolIPv4MaskSize", `".nan"`, "a number JSON cannot carry"}},
		{"no-config-block", 1, []string{"line 3: aws:region", "line 4: eks-cilium:nodeGroups", "line 6: eks-cilium:cilium", "indent it under config:"}},
		{"non-string-key", 1, []string{"line 12: eks-cilium:nodeGroups[0].labels", `quote the key: "1"`}},
		{"not-a-mapping", 1, []string{"line 3: (file)", "a stack file is a YAML mapping"}},
		{"null-in-list", 1, []string{"line 6: eks-cilium:nodeGroups[0].instanceTypes[1]", "has no value"}},
		{"null-mask", 1, []string{"line 9: eks-cilium:cilium.clusterPoolIPv4MaskSize", "has no value", "the default 24"}},
		{"null-section", 1, []string{"line 5: eks-cilium:vpc", "has no value"}},
		{"quoted-bool", 1, []string{"line 6: eks-cilium:cluster.protect", "write true or false without quotes"}},
		{"second-document", 1, []string{"line 9: (file)", "a second YAML document"}},
		{"string-section", 1, []string{"line 5: eks-cilium:nodeGroups", `"notalist"`, "must be a list"}},
		{"tab-indent", 1, []string{"line 4: (file)", "is not valid YAML"}},
		{"timestamp", 1, []string{"eks-cilium:cilium.version", "2024-01-01 00:00:00 +0000 UTC"}},
		{"unnamespaced-region", 1, []string{"line 4: eks-cilium:region", "did you mean aws:region?"}},
		{"unquoted-version", 1, []string{"line 6: eks-cilium:cluster.version", `"1.30"`, `quote it, e.g. "1.30"`}},
	}
	fixtures, err := filepath.Glob(filepath.Join("tests", "fixtures", "hostile", "Pulumi.*.yaml"))
	if err != nil || len(fixtures) != len(cases) {
		t.Fatalf("%d hostile fixtures, %d cases: every fixture needs a case (err %v)", len(fixtures), len(cases), err)
	}
	for _, c := range cases {
		t.Run(c.fixture, func(t *testing.T) {
			code, out, errOut := runCLI("-config", filepath.Join("tests", "fixtures", "hostile", "Pulumi."+c.fixture+".yaml"))
			checkRefusal(t, code, out, errOut, c.code, c.want)
		})
	}
}

// TestRender_HugeInputsAreRefusedInBoundedMessages: inputs too big to keep as fixtures.
func TestRender_HugeInputsAreRefusedInBoundedMessages(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	prod, err := os.ReadFile(filepath.Join("stacks", "Pulumi.prod.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cidrs := func(n int) string {
		list := make([]string, n)
		for i := range list {
			list[i] = fmt.Sprintf("%q", fmt.Sprintf("10.%d.%d.0/24", 100+i/256%100, i%256))
		}
		return strings.Join(list, ",")
	}
	previous := func(n int) string {
		return `{"clusterName": "eks-cilium-prod", "vpcCidr": "10.20.0.0/16", "serviceCidr": "172.20.0.0/16", "podCidrMaskSize": 24,
			"ipamMode": "cluster-pool", "routingMode": "tunnel", "podCidrs": [` + cidrs(n) + `]}`
	}
	tenMB := strings.Repeat("v", 10<<20)
	cases := []struct {
		name string
		args []string
		want []string
	}{
		{"a 10 MB value", []string{"-config", write("Pulumi.ten-mb.yaml", string(prod)+"    values: {x: \""+tenMB+"\"}\n")},
			[]string{"(file)", "larger than the reader's limit", "stackconfig.MaxFileBytes"}},
		{"a 200 KB value of the wrong type", []string{"-config", write("Pulumi.wide.yaml", strings.Replace(string(prod), "clusterPoolIPv4MaskSize: 24", "clusterPoolIPv4MaskSize: \""+strings.Repeat("2", 200_000)+"\"", 1))},
			[]string{"eks-cilium:cilium.clusterPoolIPv4MaskSize", "must be an integer, got string", "… (200000 bytes)"}},
		{"-previous with 100,000 pod CIDRs", []string{"-stack", "prod", "-previous", write("previous-100k.json", previous(100_000))},
			[]string{"-previous", "render.MaxPreviousBytes"}},
		{"-previous with 10,000 pod CIDRs", []string{"-stack", "prod", "-previous", write("previous-10k.json", previous(10_000))},
			[]string{"eks-cilium:cilium.clusterPoolIPv4PodCIDRList[0]", "more problems"}},
		{"-previous that is not a file", []string{"-stack", "prod", "-previous", "/dev/zero"},
			[]string{"not a regular file"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := runCLI(c.args...)
			checkRefusal(t, code, out, errOut, 1, c.want)
		})
	}
}
