package repair

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/eks-cilium/eks-cilium/repair/triage"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
)

// releaseType is the pulumi-kubernetes Helm release resource the stack's charts install with.
const releaseType = "kubernetes:helm.sh/v3:Release"

// secretSig marks a secret value in an exported state (pulumi/pulumi sdk/v3
// go/common/resource/sig: Secret = "1b47061264138c4ac30d75fd1eb44270"); with --show-secrets
// its value is under "plaintext", as JSON.
const (
	sigKey    = "4dabf18193072939515e22adb298388d"
	secretSig = "1b47061264138c4ac30d75fd1eb44270"
)

// state is what repair reads from the stack's exported state.
type state struct {
	raw        apitype.UntypedDeployment
	deployment apitype.DeploymentV3
}

func readState(ctx context.Context, stack auto.Stack) (*state, error) {
	raw, err := stack.Export(ctx)
	if err != nil {
		return nil, fmt.Errorf("exporting the state of stack %s: %w", stack.Name(), err)
	}
	s := &state{raw: raw}
	if len(raw.Deployment) > 0 {
		if err := json.Unmarshal(raw.Deployment, &s.deployment); err != nil {
			return nil, fmt.Errorf("reading the state of stack %s (version %d): %w", stack.Name(), raw.Version, err)
		}
	}
	return s, nil
}

// heldRelease is a Helm release the state knows of: as a resource, or by a pending operation.
type heldRelease struct {
	namespace, name string
	held            triage.Held
}

// releases lists the Helm releases the state holds or has a pending operation on.
func (s *state) releases() []heldRelease {
	byURN := map[string]*heldRelease{}
	var order []string
	add := func(r apitype.ResourceV3, inState bool, op string) {
		urn := string(r.URN)
		h, ok := byURN[urn]
		if !ok {
			ns, name := releaseName(r)
			h = &heldRelease{namespace: ns, name: name, held: triage.Held{URN: urn, Parent: string(r.Parent), Provider: r.Provider}}
			byURN[urn] = h
			order = append(order, urn)
		}
		if inState {
			h.held.InState = true
		}
		if op != "" {
			h.held.Pending = op
		}
	}
	for _, r := range s.deployment.Resources {
		if string(r.Type) == releaseType && !r.Delete {
			add(r, true, "")
		}
	}
	for _, op := range s.deployment.PendingOperations {
		if string(op.Resource.Type) == releaseType {
			add(op.Resource, false, string(op.Type))
		}
	}
	out := make([]heldRelease, 0, len(order))
	for _, urn := range order {
		out = append(out, *byURN[urn])
	}
	return out
}

// pending lists the pending operations on resources other than Helm releases.
func (s *state) pending() []triage.Pending {
	var out []triage.Pending
	for _, op := range s.deployment.PendingOperations {
		if string(op.Resource.Type) != releaseType {
			out = append(out, triage.Pending{URN: string(op.Resource.URN), Type: string(op.Resource.Type), Op: string(op.Type)})
		}
	}
	return out
}

// releaseName is the release's namespace and name: its outputs, else its inputs (a pending
// create has no outputs; the provider's Check has filled in the name). A release without a
// namespace goes to "default", as Helm's does.
func releaseName(r apitype.ResourceV3) (namespace, name string) {
	for _, props := range []map[string]any{r.Outputs, r.Inputs} {
		if n, ok := plain(props["name"]).(string); ok && name == "" {
			name = n
		}
		if ns, ok := plain(props["namespace"]).(string); ok && namespace == "" {
			namespace = ns
		}
	}
	if namespace == "" {
		namespace = "default"
	}
	return namespace, name
}

// plain unwraps a secret of an exported state (with --show-secrets).
func plain(v any) any {
	m, ok := v.(map[string]any)
	if !ok || m[sigKey] != secretSig {
		return v
	}
	text, ok := m["plaintext"].(string)
	if !ok {
		return nil
	}
	var out any
	if err := json.Unmarshal([]byte(text), &out); err != nil {
		return nil
	}
	return out
}

// providerKubeconfig is the kubeconfig input of the kubernetes provider a release uses, from
// the state: where repair finds the cluster when the interrupted update never got to
// register the stack's outputs (a first `pulumi up`).
func (s *state) providerKubeconfig(providerRef string) ([]byte, string) {
	urn := providerRef
	if i := strings.LastIndex(providerRef, "::"); i > 0 {
		urn = providerRef[:i]
	}
	for _, r := range s.deployment.Resources {
		if string(r.URN) != urn {
			continue
		}
		if kc := kubeconfigBytes(plain(r.Inputs["kubeconfig"])); kc != nil {
			return kc, "the kubeconfig of provider " + urn
		}
	}
	return nil, ""
}

// kubeconfigBytes turns a kubeconfig value (a YAML or JSON string, or an object, as
// pulumi-eks returns it) into a file's content.
func kubeconfigBytes(v any) []byte {
	switch kc := v.(type) {
	case string:
		if kc != "" {
			return []byte(kc)
		}
	case map[string]any:
		data, err := json.Marshal(kc)
		if err == nil {
			return data // JSON is YAML
		}
	}
	return nil
}

// clearPendingOperations drops every pending operation from the state: the state edit
// Pulumi documents for pending operations an interrupted update left
// (https://www.pulumi.com/docs/iac/operations/troubleshooting/interrupted-updates/: export,
// remove them from pending_operations, import). `pulumi refresh --clear-pending-creates`
// clears creates only and refreshes every resource besides; the edit changes nothing else.
func clearPendingOperations(ctx context.Context, stack auto.Stack, s *state) error {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(s.raw.Deployment, &doc); err != nil {
		return err
	}
	delete(doc, "pending_operations")
	data, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	edited := s.raw
	edited.Deployment = data
	if err := stack.Import(ctx, edited); err != nil {
		return fmt.Errorf("importing the state without its pending operations: %w", err)
	}
	return nil
}

// pulumiRuns reports whether pid is a running process whose program is pulumi: a pid the
// system gave to another program since does not hold the lock.
func pulumiRuns(pid int) bool {
	if pid <= 0 {
		return false
	}
	if err := syscall.Kill(pid, 0); err != nil && err != syscall.EPERM {
		return false
	}
	stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err == nil {
		if f := strings.Fields(string(stat)); len(f) > 2 && f[2] == "Z" {
			return false // a zombie: dead, not yet reaped
		}
	}
	comm, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "comm"))
	if err != nil {
		return true // no /proc: the process exists, assume it is the update
	}
	return strings.HasPrefix(strings.TrimSpace(string(comm)), "pulumi")
}

// orphanPlugins lists the Pulumi plugins of this backend that outlived their CLI: a provider
// or language plugin sits in a process group of its own, so a killed `pulumi` leaves it
// running, and a provider plugin goes on with what it was doing (a Helm install finishes
// behind the state's back). A plugin is the backend's when its environment carries the same
// PULUMI_BACKEND_URL (the CLI passes its environment on); it is orphaned when its parent is
// not a pulumi process. Only this host's processes are visible (Linux /proc; elsewhere none
// are found): the plugins of an update that ran on another machine (a CI runner, with an s3://
// or Pulumi service backend) are out of sight, and run says so.
func orphanPlugins(backendURL string) []string {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	want := []byte("PULUMI_BACKEND_URL=" + backendURL + "\x00")
	var out []string
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		comm := procComm(pid)
		if !strings.HasPrefix(comm, "pulumi-resource") && !strings.HasPrefix(comm, "pulumi-language") {
			continue
		}
		env, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err != nil || !bytes.Contains(append([]byte{0}, env...), append([]byte{0}, want...)) {
			continue
		}
		if ppid := procParent(pid); ppid > 0 && strings.HasPrefix(procComm(ppid), "pulumi") {
			continue
		}
		out = append(out, fmt.Sprintf("%d %s", pid, comm))
	}
	return out
}

// procComm is a process's program name, "" when it is gone.
func procComm(pid int) string {
	comm, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "comm"))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(comm))
}

// procParent is a process's parent pid (proc(5): the 4th field of stat, after the
// parenthesised program name), 0 when unknown.
func procParent(pid int) int {
	stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0
	}
	s := string(stat)
	i := strings.LastIndex(s, ")")
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 2 {
		return 0
	}
	ppid, _ := strconv.Atoi(f[1])
	return ppid
}
