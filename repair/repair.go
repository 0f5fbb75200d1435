// Package repair recovers a stack whose update was interrupted (a cancelled CI job, a lost
// runner, a closed laptop): it reads the stack's state and the cluster, lets package triage
// decide what is wrong with each Helm release of the stack and what to do, prints that, and,
// when told to, does it: Helm rollbacks, uninstalls and status marks through the Helm SDK,
// the lock and the pending operations through the Pulumi CLI (Automation API).
package repair

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/eks-cilium/eks-cilium/charts"
	"github.com/eks-cilium/eks-cilium/repair/triage"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optimport"
	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/release"
)

// Options are what `repair` is told.
type Options struct {
	// Stack is the stack's name.
	Stack string
	// Dir is the project's directory (the one holding Pulumi.yaml).
	Dir string
	// Env is added to the environment of the Pulumi CLI repair runs (the backend, the
	// passphrase); the process's own environment is passed on as well. The lock of an s3://
	// backend is read in this process, with this process's AWS environment.
	Env map[string]string
	// Yes carries the plan out; otherwise repair only prints it.
	Yes bool
	// ForceUnlock clears a lock whose update repair cannot see: written on another host, or
	// an update in progress on the Pulumi service (triage.Inputs).
	ForceUnlock bool
	// ClearPendingCreates clears pending creates of resources other than Helm releases.
	ClearPendingCreates bool
	Out                 io.Writer
}

// Exit statuses of Run.
const (
	// ExitOK: nothing to repair, the plan was printed, or it was carried out.
	ExitOK = 0
	// ExitError: repair could not read what it needs, or an action failed.
	ExitError = 1
	// ExitUsage: a wrong flag (package flag's own status).
	ExitUsage = 2
	// ExitRefused: repair refuses part of the repair; it changed nothing.
	ExitRefused = 3
)

// programReleases are the Helm releases the program installs, by "namespace/name", with
// their charts: a Helm release under one of these names that the state does not know is
// refused as not the stack's. The Karpenter names are components/karpenter's ReleaseName,
// CRDReleaseName, ChartName and CRDChart, written here so that the command does not link
// pulumi-aws (repair's tests hold them equal).
var programReleases = map[string]string{
	charts.Namespace + "/" + charts.CiliumRelease:                 charts.CiliumChart,
	charts.Namespace + "/" + charts.CiliumPreflightRelease:        charts.CiliumChart,
	charts.Namespace + "/" + charts.MetricsServerRelease:          charts.MetricsServerChart,
	charts.Namespace + "/" + charts.LoadBalancerControllerRelease: charts.LoadBalancerControllerChart,
	"kube-system/karpenter":                                       "karpenter",
	"kube-system/karpenter-crd":                                   "karpenter-crd",
}

// Run repairs the stack and returns the exit status.
func Run(ctx context.Context, o Options) int {
	if err := run(ctx, o); err != nil {
		var refused errRefused
		if errors.As(err, &refused) {
			return ExitRefused
		}
		fmt.Fprintf(o.Out, "\nrepair: %v\n", err)
		return ExitError
	}
	return ExitOK
}

type errRefused struct{}

func (errRefused) Error() string { return "refused" }

func run(ctx context.Context, o Options) error {
	if o.Stack == "" {
		return errors.New("-stack is required: the name of the stack to repair")
	}
	if o.Dir == "" {
		o.Dir = "."
	}
	ws, err := auto.NewLocalWorkspace(ctx, auto.WorkDir(o.Dir), auto.EnvVars(o.Env))
	if err != nil {
		return fmt.Errorf("opening the Pulumi project in %s: %w", o.Dir, err)
	}
	stack, err := auto.SelectStack(ctx, o.Stack, ws)
	if err != nil {
		return fmt.Errorf("selecting stack %s: %w", o.Stack, err)
	}
	who, err := ws.WhoAmIDetails(ctx)
	if err != nil {
		return fmt.Errorf("reading the backend of stack %s: %w", o.Stack, err)
	}
	project, err := ws.ProjectSettings(ctx)
	if err != nil {
		return err
	}
	lock, where, err := readLock(ctx, who.URL, string(project.Name), o.Stack, func(ctx context.Context) ([]auto.StackSummary, error) {
		return ws.ListStacks(ctx)
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(o.Out, "Backend %s; lock read from %s\n", redact(who.URL), where)
	orphans := orphanPlugins(who.URL)
	fmt.Fprintf(o.Out, "Plugins: %s\n", pluginsSeen(orphans))
	if len(orphans) > 0 {
		// A plugin that outlived its CLI may still be changing the cluster: as good as a
		// running update.
		why := "the plugins of an update whose CLI is gone still run, and may still be changing the cluster: " + strings.Join(orphans, ", ") +
			"; stop them (kill PID)"
		if lock.State == triage.LockNone {
			lock.Holder = "no lock, but plugins of an ended update"
		}
		lock.State = triage.LockLive
		lock.Why = strings.TrimPrefix(lock.Why+"; "+why, "; ")
	}
	in := triage.Inputs{Stack: o.Stack, Lock: lock, ForceUnlock: o.ForceUnlock, ClearPendingCreates: o.ClearPendingCreates}
	if lock.State == triage.LockLive {
		// Nothing else is read: what a running update works on looks broken while it works.
		plan := triage.Decide(in)
		fmt.Fprint(o.Out, plan.Describe())
		return errRefused{}
	}

	st, err := readState(ctx, stack)
	if err != nil {
		return err
	}
	held := st.releases()
	in.Pending = st.pending()

	kubeconfig, source, err := findKubeconfig(ctx, stack, st, held)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "repair-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	kc, err := connect(kubeconfig, tmp)
	if err != nil {
		return err
	}
	fmt.Fprintf(o.Out, "Stack %s; cluster from %s\n", o.Stack, source)
	if in.Nodes, err = kc.nodes(ctx); err != nil {
		return err
	}
	histories := map[string][]*release.Release{}
	if in.Releases, err = gatherReleases(ctx, kc, held, histories); err != nil {
		return err
	}

	plan := triage.Decide(in)
	fmt.Fprint(o.Out, plan.Describe())
	switch {
	case len(plan.Refusals) > 0:
		fmt.Fprintf(o.Out, "\nrepair changed nothing: resolve what it refuses, then run it again\n")
		return errRefused{}
	case plan.NothingToDo():
		fmt.Fprintf(o.Out, "\nnothing to repair\n")
		return nil
	case !o.Yes:
		fmt.Fprintf(o.Out, "\nrun again with -yes to do this; then `pulumi up`\n")
		return nil
	}
	proj := projectInfo{dir: o.Dir, name: string(project.Name), stackConfigDir: project.StackConfigDir, env: o.Env}
	if err := carryOut(ctx, o.Out, stack, proj, st, kc, plan, histories); err != nil {
		return err
	}
	fmt.Fprintf(o.Out, "\nrepaired: run `pulumi up -s %s` to converge\n", o.Stack)
	return nil
}

// findKubeconfig is the stack's kubeconfig output, or, when the interrupted update never
// registered the stack's outputs (a first `pulumi up`), the kubeconfig of the kubernetes
// provider its releases use.
func findKubeconfig(ctx context.Context, stack auto.Stack, st *state, held []heldRelease) ([]byte, string, error) {
	outputs, err := stack.Outputs(ctx)
	if err != nil {
		return nil, "", fmt.Errorf("reading the outputs of stack %s: %w", stack.Name(), err)
	}
	if out, ok := outputs["kubeconfig"]; ok {
		if kc := kubeconfigBytes(out.Value); kc != nil {
			return kc, "the stack's kubeconfig output", nil
		}
	}
	for _, h := range held {
		if kc, source := st.providerKubeconfig(h.held.Provider); kc != nil {
			return kc, source + " (the stack has no kubeconfig output yet)", nil
		}
	}
	return nil, "", fmt.Errorf("stack %s has no kubeconfig output and no Helm release whose provider holds one: "+
		"it never reached the cluster, so there is no Helm release to repair; run `pulumi cancel` if it is locked, then `pulumi up`", stack.Name())
}

// gatherReleases reads each release the state knows, and each release the program installs,
// from Helm and the cluster.
func gatherReleases(ctx context.Context, kc *cluster, held []heldRelease, histories map[string][]*release.Release) ([]triage.Release, error) {
	byKey := map[string]*triage.Release{}
	for _, h := range held {
		key := h.namespace + "/" + h.name
		r, ok := byKey[key]
		if !ok {
			r = &triage.Release{Namespace: h.namespace, Name: h.name}
			byKey[key] = r
		}
		hh := h.held
		if r.State == nil || hh.InState {
			r.State = &hh
		}
		if r.State != nil && h.held.Pending != "" {
			r.State.Pending = h.held.Pending
		}
	}
	for key, chart := range programReleases {
		ns, name, _ := strings.Cut(key, "/")
		r, ok := byKey[key]
		if !ok {
			r = &triage.Release{Namespace: ns, Name: name}
			byKey[key] = r
		}
		r.Program = &triage.Planned{Chart: chart}
	}
	keys := make([]string, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []triage.Release
	for _, key := range keys {
		r := byKey[key]
		h, err := kc.history(r.Namespace, r.Name)
		if err != nil {
			return nil, err
		}
		if len(h) == 0 && r.State == nil {
			continue // the program's release, not installed and unknown to the state: not repair's business
		}
		histories[key] = h
		r.Helm = record(h)
		r.CNI = key == charts.Namespace+"/"+charts.CiliumRelease
		if len(h) > 0 {
			r.CNI = r.CNI || installsAgent(h[0])
			if r.Use, err = kc.use(ctx, h[0]); err != nil {
				return nil, err
			}
		}
		out = append(out, *r)
	}
	return out, nil
}

// carryOut does the plan: Helm first (rollbacks, marks, uninstalls: they need no lock), then
// the lock, then the state's pending operations, then adoptions (an import takes the lock).
func carryOut(ctx context.Context, out io.Writer, stack auto.Stack, proj projectInfo, st *state, kc *cluster, plan triage.Plan, histories map[string][]*release.Release) error {
	fmt.Fprintln(out)
	for _, s := range plan.Releases {
		ns, name, _ := strings.Cut(s.Release, "/")
		cfg, err := kc.helmConfig(ns)
		if err != nil {
			return err
		}
		if s.Rollback > 0 {
			rb := action.NewRollback(cfg)
			rb.Version = s.Rollback
			// No Force: the objects are patched to the old revision, none is deleted and
			// created again (helm.sh/helm/v3 pkg/action/rollback.go, performRollback:
			// KubeClient.Update(current, target, r.Force)). No Wait: `pulumi up` waits.
			rb.Timeout = 5 * time.Minute
			if err := rb.Run(name); err != nil {
				return fmt.Errorf("rolling %s back to revision %d: %w", s.Release, s.Rollback, err)
			}
			fmt.Fprintf(out, "%s: rolled back to revision %d\n", s.Release, s.Rollback)
		}
		if s.MarkFailed {
			if err := markFailed(cfg, histories[s.Release]); err != nil {
				return fmt.Errorf("marking %s failed: %w", s.Release, err)
			}
			fmt.Fprintf(out, "%s: newest revision marked failed\n", s.Release)
		}
		if s.Uninstall {
			if s.Cilium && plan.Nodes > 0 {
				// triage never plans this; the check stays where the uninstall happens.
				return fmt.Errorf("refusing to uninstall Cilium release %s on a cluster with %d nodes", s.Release, plan.Nodes)
			}
			un := action.NewUninstall(cfg)
			un.Timeout = 5 * time.Minute
			if _, err := un.Run(name); err != nil {
				return fmt.Errorf("uninstalling %s: %w", s.Release, err)
			}
			fmt.Fprintf(out, "%s: uninstalled\n", s.Release)
		}
	}
	if plan.ClearLock {
		if err := stack.Cancel(ctx); err != nil {
			return fmt.Errorf("clearing the dead update's lock (pulumi cancel): %w", err)
		}
		fmt.Fprintf(out, "lock: cleared (pulumi cancel)\n")
	}
	if plan.ClearsState() {
		if err := clearPendingOperations(ctx, stack, st); err != nil {
			return err
		}
		fmt.Fprintf(out, "state: pending operations cleared\n")
	}
	for _, s := range plan.Releases {
		if !s.Adopt {
			continue
		}
		if err := adopt(ctx, stack.Name(), proj, s); err != nil {
			return fmt.Errorf("adopting %s into the state: %w", s.Release, err)
		}
		fmt.Fprintf(out, "%s: adopted into the state as %s\n", s.Release, s.URN)
	}
	return nil
}

// markFailed sets the newest revision's status to failed, as Helm itself does when an
// install or upgrade fails (pkg/action/install.go, failRelease; upgrade.go, failRelease):
// from a failed revision `helm upgrade` proceeds (upgrade.go, prepareUpgrade: a failed last
// release with no deployed one is upgraded).
func markFailed(cfg *action.Configuration, history []*release.Release) error {
	if len(history) == 0 {
		return errors.New("no revision")
	}
	newest := history[0]
	newest.SetStatus(release.StatusFailed, fmt.Sprintf("marked failed by repair: the %s never finished (interrupted)", strings.TrimPrefix(newest.Info.Status.String(), "pending-")))
	return cfg.Releases.Update(newest)
}

// projectInfo is where the stack's project is and what it runs with.
type projectInfo struct {
	dir, name, stackConfigDir string
	env                       map[string]string
}

// adopt imports a release into the state under its component with its provider (`pulumi
// import`; the provider reads the release by "namespace/name").
//
// The import runs in a scratch project of the same name with runtime yaml and a copy of the
// stack's config file (which holds the passphrase's salt): an import does not run the program,
// but the CLI loads the project's language plugin all the same, and the Go one is not always
// installed beside the CLI (pulumi-language-yaml is built into every Pulumi distribution and
// into scripts/install-pulumi-cli). The stack is the same one: same backend, same project name.
func adopt(ctx context.Context, stackName string, proj projectInfo, s triage.Step) error {
	if s.URN == "" || s.Parent == "" || s.Provider == "" {
		return fmt.Errorf("the state does not say under which component and provider %s belongs", s.Release)
	}
	scratch, err := os.MkdirTemp("", "repair-import-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(scratch)
	yaml := fmt.Sprintf("name: %s\nruntime: yaml\ndescription: repair's scratch project for an import (no program)\n", proj.name)
	if err := os.WriteFile(filepath.Join(scratch, "Pulumi.yaml"), []byte(yaml), 0o600); err != nil {
		return err
	}
	stackFile := "Pulumi." + stackName + ".yaml"
	config, err := os.ReadFile(filepath.Join(proj.dir, proj.stackConfigDir, stackFile))
	if err != nil {
		return fmt.Errorf("reading the stack's config file: %w", err)
	}
	if err := os.WriteFile(filepath.Join(scratch, stackFile), config, 0o600); err != nil {
		return err
	}
	ws, err := auto.NewLocalWorkspace(ctx, auto.WorkDir(scratch), auto.EnvVars(proj.env))
	if err != nil {
		return err
	}
	stack, err := auto.SelectStack(ctx, stackName, ws)
	if err != nil {
		return err
	}
	name := s.URN[strings.LastIndex(s.URN, "::")+2:]
	provider := s.Provider
	if i := strings.LastIndex(provider, "::"); i > 0 {
		provider = provider[:i]
	}
	_, err = stack.ImportResources(ctx,
		optimport.Resources([]*optimport.ImportResource{{
			Type: releaseType, Name: name, ID: s.Release, Parent: "parent", Provider: "provider",
		}}),
		optimport.NameTable(map[string]string{"parent": s.Parent, "provider": provider}),
		optimport.GenerateCode(false),
		optimport.Protect(false),
	)
	return err
}

// pluginsSeen says what the search for orphaned plugins saw: this host's processes only, so
// an update that ran elsewhere (a CI runner, with an s3:// or Pulumi service backend) may
// have left plugins running there that nobody here can see.
func pluginsSeen(orphans []string) string {
	if len(orphans) > 0 {
		return fmt.Sprintf("%d left running on this host by an update whose CLI is gone", len(orphans))
	}
	return "none left running on this host (repair sees this host's processes only: " +
		"an update that ran on another machine may have left its plugins running there)"
}
