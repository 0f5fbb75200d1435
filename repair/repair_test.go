package repair

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/eks-cilium/eks-cilium/charts"
	"github.com/eks-cilium/eks-cilium/components/karpenter"
	"github.com/eks-cilium/eks-cilium/repair/triage"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/release"
)

// The Karpenter names are written out (the command does not link pulumi-aws): they must be
// the component's.
func TestProgramReleases_AreTheComponentsReleases(t *testing.T) {
	for key, chart := range map[string]string{
		karpenter.Namespace + "/" + charts.KarpenterRelease:    charts.KarpenterChart,
		karpenter.Namespace + "/" + charts.KarpenterCRDRelease: charts.KarpenterCRDChart,
	} {
		if got, ok := programReleases[key]; !ok || got != chart {
			t.Errorf("programReleases[%q] = %q, %v; want %q", key, got, ok, chart)
		}
	}
}

func rel(version int, status release.Status) *release.Release {
	return &release.Release{Name: "cilium", Namespace: "kube-system", Version: version,
		Info:  &release.Info{Status: status},
		Chart: &chart.Chart{Metadata: &chart.Metadata{Name: "cilium", Version: "1.19.6"}}}
}

func TestRecord_FindsTheLastDeployedRevision(t *testing.T) {
	tests := []struct {
		name    string
		history []*release.Release // newest first
		want    triage.Record
	}{
		{"pending-upgrade over a deployed revision",
			[]*release.Release{rel(2, release.StatusPendingUpgrade), rel(1, release.StatusDeployed)},
			triage.Record{Chart: "cilium", Version: "1.19.6", Revision: 2, Status: "pending-upgrade", LastDeployed: 1}},
		{"pending-upgrade over a failed and a superseded revision",
			[]*release.Release{rel(4, release.StatusPendingUpgrade), rel(3, release.StatusFailed), rel(2, release.StatusSuperseded), rel(1, release.StatusSuperseded)},
			triage.Record{Chart: "cilium", Version: "1.19.6", Revision: 4, Status: "pending-upgrade", LastDeployed: 2}},
		{"pending-install, nothing deployed",
			[]*release.Release{rel(1, release.StatusPendingInstall)},
			triage.Record{Chart: "cilium", Version: "1.19.6", Revision: 1, Status: "pending-install"}},
		{"deployed",
			[]*release.Release{rel(3, release.StatusDeployed), rel(2, release.StatusSuperseded)},
			triage.Record{Chart: "cilium", Version: "1.19.6", Revision: 3, Status: "deployed", LastDeployed: 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := record(tt.history); *got != tt.want {
				t.Errorf("record = %+v, want %+v", *got, tt.want)
			}
		})
	}
}

// The state's releases: resources and pending operations, by their outputs or (a pending
// create) their inputs, secrets unwrapped.
func TestState_ListsReleasesAndPendingOperations(t *testing.T) {
	secret := func(v string) map[string]any {
		data, _ := json.Marshal(v)
		return map[string]any{sigKey: secretSig, "plaintext": string(data)}
	}
	const ciliumURN = "urn:pulumi:dev::eks-cilium::eks-cilium:index:Cilium$kubernetes:helm.sh/v3:Release::eks-cilium-dev"
	const lbcURN = "urn:pulumi:dev::eks-cilium::eks-cilium:index:AwsLoadBalancerController$kubernetes:helm.sh/v3:Release::eks-cilium-dev-aws-lbc"
	s := &state{deployment: apitype.DeploymentV3{
		Resources: []apitype.ResourceV3{
			{URN: ciliumURN, Type: releaseType, Outputs: map[string]any{"name": "cilium", "namespace": secret("kube-system")}},
			{URN: "urn:pulumi:dev::eks-cilium::aws:iam/role:Role::r", Type: "aws:iam/role:Role"},
		},
		PendingOperations: []apitype.OperationV2{
			{Type: apitype.OperationTypeUpdating, Resource: apitype.ResourceV3{URN: ciliumURN, Type: releaseType}},
			{Type: apitype.OperationTypeCreating, Resource: apitype.ResourceV3{URN: lbcURN, Type: releaseType,
				Inputs: map[string]any{"name": "aws-load-balancer-controller", "namespace": "kube-system"}, Parent: "p", Provider: "prov::id"}},
			{Type: apitype.OperationTypeCreating, Resource: apitype.ResourceV3{URN: "urn:pulumi:dev::eks-cilium::aws:iam/role:Role::q", Type: "aws:iam/role:Role"}},
		},
	}}
	got := s.releases()
	want := []heldRelease{
		{namespace: "kube-system", name: "cilium", held: triage.Held{URN: ciliumURN, InState: true, Pending: triage.OpUpdating}},
		{namespace: "kube-system", name: "aws-load-balancer-controller", held: triage.Held{URN: lbcURN, Pending: triage.OpCreating, Parent: "p", Provider: "prov::id"}},
	}
	if len(got) != len(want) {
		t.Fatalf("releases = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("release %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if p := s.pending(); len(p) != 1 || p[0].Type != "aws:iam/role:Role" || p[0].Op != triage.OpCreating {
		t.Errorf("pending = %+v, want the role's create only", p)
	}
}

// copyProgram copies a program of PATH under another name, so that the process's name is
// that name.
func copyProgram(t *testing.T, program, dir, name string) string {
	t.Helper()
	src, err := exec.LookPath(program)
	if err != nil {
		t.Skipf("no %s on PATH", program)
	}
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, name)
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	return bin
}

// start starts a command in a process group of its own and stops the group when the test
// ends.
func start(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); _ = cmd.Wait() })
}

func TestOrphanPlugins_FindsThePluginsOfThisBackendWhoseCLIIsGone(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	dir := t.TempDir()
	backend := "file://" + dir
	plugin := copyProgram(t, "sleep", dir, "pulumi-resource-fake")
	cli := copyProgram(t, "sh", dir, "pulumi")

	orphan := exec.Command(plugin, "60")
	orphan.Env = append(os.Environ(), "PULUMI_BACKEND_URL="+backend)
	start(t, orphan)
	other := exec.Command(plugin, "60")
	other.Env = append(os.Environ(), "PULUMI_BACKEND_URL="+backend+"-other")
	start(t, other)
	// A plugin whose parent is a running pulumi belongs to a live update, not to a dead one.
	live := exec.Command(cli, "-c", plugin+" 60 & wait")
	live.Env = append(os.Environ(), "PULUMI_BACKEND_URL="+backend)
	start(t, live)

	want := fmt.Sprintf("%d pulumi-resource", orphan.Process.Pid) // comm: the first 15 bytes of the name
	var got []string
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		// The live update's plugin shows up once the shell has started it.
		if got = orphanPlugins(backend); len(got) == 1 && got[0] == want {
			break
		}
	}
	if len(got) != 1 || got[0] != want {
		t.Errorf("orphanPlugins = %v, want [%s]", got, want)
	}
}
