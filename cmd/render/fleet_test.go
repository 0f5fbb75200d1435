package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// copyFleet copies the example mesh into a temporary directory, with edit applied to each
// file's text by stack name.
func copyFleet(t *testing.T, edit map[string]func(string) string) string {
	t.Helper()
	dir := t.TempDir()
	paths, err := filepath.Glob("examples/fleet/Pulumi.*.yaml")
	if err != nil || len(paths) != 3 {
		t.Fatalf("example fleet: %v %v", paths, err)
	}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		text := string(data)
		stack := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(p), "Pulumi."), ".yaml")
		if f := edit[stack]; f != nil {
			text = f(text)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(p)), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestRenderFleet_TheExampleMeshPasses(t *testing.T) {
	for _, args := range [][]string{{"-fleet", "examples/fleet"}, {"-fleet=examples/fleet"}, {"-fleet", "examples/fleet", "-format", "json"}} {
		code, out, errOut := runCLI(args...)
		if code != 0 {
			t.Fatalf("%v: exit %d:\n%s", args, code, errOut)
		}
		if strings.Contains(strings.Join(args, " "), "json") {
			var rep struct {
				Meshes  [][]struct{ Stack string } `json:"meshes"`
				Refused []any                      `json:"refused"`
			}
			if err := json.Unmarshal([]byte(out), &rep); err != nil || len(rep.Meshes) != 1 || len(rep.Meshes[0]) != 3 || len(rep.Refused) != 0 {
				t.Errorf("%v: %v %+v", args, err, rep)
			}
			continue
		}
		for _, want := range []string{"3 mesh members in 1 mesh", "euw1 -> use1  VPC peering", "10.2.31.254,10.2.63.254,10.2.95.254:2379", "Refused\n  none"} {
			if !strings.Contains(out, want) {
				t.Errorf("%v: output lacks %q:\n%s", args, want, out)
			}
		}
	}
}

// -fleet alone checks stacks/, whose shipped stacks are no mesh members.
func TestRenderFleet_DefaultsToStacks(t *testing.T) {
	code, out, errOut := runCLI("-fleet")
	if code != 0 || !strings.Contains(out, "Fleet stacks: 0 mesh members in 0 meshes, 2 other stacks") {
		t.Errorf("exit %d\n%s\n%s", code, out, errOut)
	}
}

func TestRenderFleet_RefusesNamingTheFileAndTheKey(t *testing.T) {
	tests := []struct {
		name string
		edit map[string]func(string) string
		want []string // lines of stderr, each "<file>: <key>"
	}{
		{"duplicate ID", map[string]func(string) string{"apse1": func(s string) string { return strings.Replace(s, "id: 3", "id: 2", 1) }},
			[]string{"Pulumi.use1.yaml: eks-cilium:clusterMesh.id"}},
		{"overlapping VPC", map[string]func(string) string{"apse1": func(s string) string { return strings.Replace(s, "cidr: 10.3.0.0/16", "cidr: 10.2.0.0/16", 1) }},
			[]string{"Pulumi.apse1.yaml: eks-cilium:vpc.cidr"}},
		{"peer not listed back", map[string]func(string) string{"use1": func(s string) string { return strings.Replace(s, "peers: [euw1, apse1]", "peers: [euw1]", 1) }},
			[]string{"Pulumi.use1.yaml: eks-cilium:clusterMesh.peers"}},
		{"an invalid member file", map[string]func(string) string{"euw1": func(s string) string { return strings.Replace(s, "id: 1", "id: 0", 1) }},
			[]string{"Pulumi.euw1.yaml: eks-cilium:clusterMesh.id"}},
		{"WireGuard on one", map[string]func(string) string{"euw1": func(s string) string {
			return strings.Replace(s, "tunnelProtocol: vxlan", "tunnelProtocol: vxlan\n    encryption: wireguard", 1)
		}}, []string{"Pulumi.euw1.yaml: eks-cilium:cilium.encryption"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := copyFleet(t, tt.edit)
			code, out, errOut := runCLI("-fleet", dir)
			if code != 1 {
				t.Fatalf("exit %d, want 1 (refused):\n%s\n%s", code, out, errOut)
			}
			for _, w := range tt.want {
				if !strings.Contains(errOut, filepath.Join(dir, w)) {
					t.Errorf("stderr does not name %s:\n%s", w, errOut)
				}
			}
		})
	}
}

func TestRenderFleet_UsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"-fleet", "examples/fleet", "-stack", "dev"},
		{"-fleet", "examples/fleet", "extra"},
		{"-fleet", "no-such-dir"},
		{"-fleet=README.md"},
	} {
		if code, _, errOut := runCLI(args...); code != 2 {
			t.Errorf("%v: exit %d, want 2:\n%s", args, code, errOut)
		}
	}
}

// A member's own render reads its peers' stack files beside it and shows the mesh.
func TestRender_AMemberShowsItsPeersAsTheirStackFilesGiveThem(t *testing.T) {
	code, out, errOut := runCLI("-config", "examples/fleet/Pulumi.apse1.yaml")
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, errOut)
	}
	for _, want := range []string{
		"ClusterMesh\n  this cluster  mesh-apse1, id 3 of 255",
		"euw1       mesh-euw1          1   eu-west-1        10.1.0.0/16    10.1.31.254,10.1.63.254,10.1.95.254          accepts VPC peering <computed>",
		"loadBalancerSourceRanges 10.1.0.0/16, 10.2.0.0/16",
		"aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter  mesh-apse1-mesh-use1",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	dir := copyFleet(t, nil)
	if err := os.Remove(filepath.Join(dir, "Pulumi.use1.yaml")); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = runCLI("-config", filepath.Join(dir, "Pulumi.apse1.yaml"))
	if code != 0 || !strings.Contains(out, "peer use1 has no stack file") || !strings.Contains(out, "peer use1 is not deployed yet") {
		t.Errorf("a peer without a file beside: exit %d\n%s\n%s", code, out, errOut)
	}
}
