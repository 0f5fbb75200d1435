// Package triage decides how to repair a stack whose update was interrupted: from what the
// stack's state, Helm's release records and the cluster say, it returns what is wrong with
// each Helm release of the stack and what `repair` does about it. It is pure: no Pulumi, no
// Kubernetes client, no Helm action; package repair gathers the inputs and carries out the plan.
//
// What "nothing running depends on it" means (the condition for uninstalling a release an
// interrupted install left behind, see Use.InUse): no pod of the release's workloads
// (Deployments, DaemonSets, StatefulSets of its manifest) is running, no object of a
// CustomResourceDefinition its manifest defines exists (Helm deletes the CRD on uninstall and
// with it every object of it), and the release is not Cilium on a cluster with nodes (the CNI
// of every node). Otherwise the release is adopted into the state and `pulumi up` upgrades it.
package triage

import (
	"fmt"
	"sort"
	"strings"
)

// Helm's release statuses (helm.sh/helm/v3 v3.22.0, pkg/release/status.go).
const (
	StatusDeployed        = "deployed"
	StatusSuperseded      = "superseded"
	StatusFailed          = "failed"
	StatusUninstalled     = "uninstalled"
	StatusUninstalling    = "uninstalling"
	StatusPendingInstall  = "pending-install"
	StatusPendingUpgrade  = "pending-upgrade"
	StatusPendingRollback = "pending-rollback"
)

// Pulumi's pending operation types (pulumi/pulumi sdk/v3 go/common/apitype, OperationType).
const (
	OpCreating  = "creating"
	OpUpdating  = "updating"
	OpDeleting  = "deleting"
	OpReading   = "reading"
	OpImporting = "importing"
)

// Release is one Helm release of the stack as each source sees it.
type Release struct {
	Namespace, Name string
	// Program is the release as the program creates it; nil when it does not (any more).
	Program *Planned
	// State is what the stack's state knows of it; nil when it holds no trace of it.
	State *Held
	// Helm is the newest revision of Helm's release record; nil when there is none.
	Helm *Record
	// Use is what depends on it in the cluster.
	Use Use
	// CNI: the release installs Cilium's agent, the CNI of every node (the stack's Cilium
	// release, or a release whose manifest holds the agent DaemonSet). Not every release of
	// the cilium chart does: the pre-flight check's runs no agent.
	CNI bool
}

// Key is "namespace/name".
func (r Release) Key() string { return r.Namespace + "/" + r.Name }

// IsCilium reports whether the release is the cluster's CNI (Release.CNI).
func (r Release) IsCilium() bool { return r.CNI }

// Planned is a release the program creates.
type Planned struct {
	Chart string
}

// Held is what the stack's state knows of a release.
type Held struct {
	URN string
	// InState: the state holds the release as a resource.
	InState bool
	// Pending is the operation the interrupted update left on it (OpCreating, ...), or "".
	Pending string
	// Parent and Provider are URNs, for an import.
	Parent, Provider string
}

// Record is Helm's newest revision of a release.
type Record struct {
	Chart, Version string
	Revision       int
	Status         string
	// LastDeployed is the newest revision that was deployed (status deployed or superseded);
	// 0 when none ever was.
	LastDeployed int
}

func (r *Record) String() string {
	return fmt.Sprintf("%s (revision %d, chart %s-%s)", r.Status, r.Revision, r.Chart, r.Version)
}

// Use is what in the cluster depends on a release.
type Use struct {
	// RunningPods are the running pods of the release's workloads, "namespace/name".
	RunningPods []string
	// CustomObjects are objects of the CRDs the release defines, "Kind namespace/name".
	CustomObjects []string
}

// LockState is what repair knows of the stack's lock.
type LockState int

const (
	// LockNone: no update holds the stack.
	LockNone LockState = iota
	// LockDead: the update holding the lock is gone (its process no longer runs).
	LockDead
	// LockLive: the update holding the lock runs.
	LockLive
	// LockUnknown: held by an update repair cannot see (another machine, Pulumi Cloud).
	LockUnknown
)

// Lock is the stack's lock.
type Lock struct {
	State LockState
	// Holder is who holds it as the backend says (user@host, pid, since when).
	Holder string
	// Why says how repair knows whether it is live.
	Why string
}

// Pending is a pending operation the interrupted update left on a resource other than a
// Helm release.
type Pending struct {
	URN, Type string
	Op        string // OpCreating, ...
}

// Inputs are everything the decision needs.
type Inputs struct {
	Stack string
	Lock  Lock
	// Nodes is the number of nodes of the cluster.
	Nodes    int
	Releases []Release
	Pending  []Pending
	// ForceUnlock clears a lock whose holder repair cannot see (-force-unlock).
	ForceUnlock bool
	// ClearPendingCreates clears pending creates of resources other than releases, which
	// repair cannot check (-clear-pending-creates).
	ClearPendingCreates bool
}

// Step is what repair does about one release. The actions run in this order: roll back,
// mark failed, uninstall, clear its pending operation, adopt.
type Step struct {
	Release string // namespace/name
	Found   string // what is wrong, or what is there
	// Rollback is the revision to roll back to; 0 none.
	Rollback int
	// MarkFailed marks the newest revision failed: Helm's own status for an install or
	// upgrade that did not complete, from which `helm upgrade` (and so `pulumi up`) proceeds.
	MarkFailed bool
	Uninstall  bool
	// Adopt imports the release into the state as URN (pulumi import), under Parent with
	// Provider.
	Adopt                 bool
	URN, Parent, Provider string
	// ClearPending is the pending operation on it that is cleared ("" none).
	ClearPending string
	Why          string
	// Cilium is set when the release is Cilium: never uninstalled on a cluster with nodes,
	// and its agent DaemonSet must keep its uid through a rollback.
	Cilium bool
}

// Acts reports whether the step changes anything.
func (s Step) Acts() bool {
	return s.Rollback > 0 || s.MarkFailed || s.Uninstall || s.Adopt || s.ClearPending != ""
}

// Refusal is something repair will not do, with the way forward.
type Refusal struct {
	Subject    string
	Reason     string
	WayForward string
}

// Plan is the repair of a stack.
type Plan struct {
	Stack string
	// ClearLock: the dead update's lock is cleared (pulumi cancel).
	ClearLock bool
	Lock      Lock
	Nodes     int
	Releases  []Step
	// ClearPending lists the pending operations on other resources that are cleared; once
	// any pending operation is cleared, all are (pulumi stack import drops them all).
	ClearPending []Pending
	Refusals     []Refusal
}

// NothingToDo reports whether the stack needs no repair.
func (p Plan) NothingToDo() bool {
	if p.ClearLock || len(p.ClearPending) > 0 || len(p.Refusals) > 0 {
		return false
	}
	for _, s := range p.Releases {
		if s.Acts() {
			return false
		}
	}
	return true
}

// ClearsState reports whether the state's pending operations are cleared.
func (p Plan) ClearsState() bool {
	if len(p.ClearPending) > 0 {
		return true
	}
	for _, s := range p.Releases {
		if s.ClearPending != "" {
			return true
		}
	}
	return false
}

// Decide plans the repair. While an update runs it judges nothing else: the releases that
// update works on are pending because it is working on them.
func Decide(in Inputs) Plan {
	p := Plan{Stack: in.Stack, Lock: in.Lock, Nodes: in.Nodes}
	switch in.Lock.State {
	case LockLive:
		p.Refusals = append(p.Refusals, Refusal{
			Subject:    "lock",
			Reason:     fmt.Sprintf("an update of stack %s is running: %s (%s)", in.Stack, in.Lock.Holder, in.Lock.Why),
			WayForward: "wait for it to end (or stop it), then run repair again; repair never clears the lock of a running update",
		})
		return p
	case LockUnknown:
		if !in.ForceUnlock {
			p.Refusals = append(p.Refusals, Refusal{
				Subject: "lock",
				Reason:  fmt.Sprintf("stack %s is locked by an update repair cannot see: %s (%s)", in.Stack, in.Lock.Holder, in.Lock.Why),
				WayForward: "if that update still runs, wait for it to end; if it is gone (a cancelled CI job, a lost runner, a closed laptop), " +
					"run repair again with -force-unlock",
			})
			return p
		}
		p.ClearLock = true
	case LockDead:
		p.ClearLock = true
	}

	releases := append([]Release(nil), in.Releases...)
	sort.Slice(releases, func(i, j int) bool { return releases[i].Key() < releases[j].Key() })
	for _, r := range releases {
		step, refusal := decideRelease(r, in)
		p.Releases = append(p.Releases, step)
		if refusal != nil {
			p.Refusals = append(p.Refusals, *refusal)
		}
	}

	pending := append([]Pending(nil), in.Pending...)
	sort.Slice(pending, func(i, j int) bool { return pending[i].URN < pending[j].URN })
	for _, op := range pending {
		if op.Op == OpCreating && !in.ClearPendingCreates {
			p.Refusals = append(p.Refusals, Refusal{
				Subject: op.URN,
				Reason:  "its create was interrupted, and repair cannot see whether it exists (it checks Helm releases only)",
				WayForward: "check whether it exists (for AWS resources, in the account); if it does, import it into the state " +
					"(pulumi import " + op.Type + " NAME ID); then run repair again with -clear-pending-creates",
			})
			continue
		}
		p.ClearPending = append(p.ClearPending, op)
	}
	return p
}

// decideRelease judges one release: its Helm status, whether the state holds it, whether it
// is the stack's, and what depends on it.
func decideRelease(r Release, in Inputs) (Step, *Refusal) {
	s := Step{Release: r.Key(), Cilium: r.IsCilium()}
	held := r.State != nil && r.State.InState
	pending := ""
	if r.State != nil {
		pending = r.State.Pending
		s.URN, s.Parent, s.Provider = r.State.URN, r.State.Parent, r.State.Provider
	}
	s.ClearPending = pending
	owned := r.State != nil
	s.Found = found(r, held, pending)

	status := ""
	if r.Helm != nil {
		status = r.Helm.Status
	}
	switch status {
	case "", StatusUninstalled:
		switch {
		case pending == OpCreating:
			s.Why = "its create was interrupted before Helm recorded anything; `pulumi up` installs it"
		case held:
			return s, &Refusal{
				Subject:    r.Key(),
				Reason:     "the state holds this release but Helm has none: it was removed outside Pulumi, not by an interrupted update",
				WayForward: "`pulumi refresh` drops it from the state, then `pulumi up` installs it again",
			}
		default:
			s.Why = "not installed yet; `pulumi up` installs it"
		}
	case StatusDeployed, StatusSuperseded:
		switch {
		case held && pending != "":
			s.Why = fmt.Sprintf("Helm holds a deployed revision; the interrupted %s is cleared and `pulumi up` applies the program again", opNoun(pending))
		case held:
			s.Why = "ok"
		case !owned:
			return s, notOwned(r)
		default:
			s.Adopt = true
			s.Why = "Helm finished installing it but the state never recorded it: adopted (pulumi import), `pulumi up` then upgrades it in place"
		}
	case StatusFailed:
		switch {
		case !owned:
			return s, notOwned(r)
		case held:
			s.Why = "a failed release the state holds: `pulumi up` upgrades it (Helm upgrades a failed release)"
		default:
			decideLeftover(&s, r, in)
		}
	case StatusPendingInstall:
		switch {
		case !owned:
			return s, notOwned(r)
		case held:
			s.MarkFailed = true
			s.Why = "Helm's install never finished: marked failed, from which `pulumi up` upgrades it"
		default:
			s.MarkFailed = true
			decideLeftover(&s, r, in)
		}
	case StatusPendingUpgrade, StatusPendingRollback:
		if !owned {
			return s, notOwned(r)
		}
		if r.Helm.LastDeployed > 0 {
			s.Rollback = r.Helm.LastDeployed
			s.Why = fmt.Sprintf("rolled back to revision %d, its last deployed one (what `helm rollback` does: the objects are patched, none is deleted and created again); `pulumi up` then upgrades it", r.Helm.LastDeployed)
		} else {
			s.MarkFailed = true
			s.Why = "no revision of it was ever deployed, so there is nothing to roll back to: marked failed, from which `pulumi up` upgrades it"
		}
		if !held {
			s.Adopt = true
			s.Why += "; the state does not hold it: adopted (pulumi import)"
		}
	case StatusUninstalling:
		way := fmt.Sprintf("finish it (helm uninstall --namespace %s %s), then `pulumi refresh` and `pulumi up`", r.Namespace, r.Name)
		if r.IsCilium() && in.Nodes > 0 {
			way = fmt.Sprintf("this is the CNI of %d nodes: repair will not finish uninstalling it; roll it back to its last deployed revision (helm rollback --namespace %s %s REVISION) if the nodes must keep their network", in.Nodes, r.Namespace, r.Name)
		}
		return s, &Refusal{Subject: r.Key(), Reason: "an uninstall of it was interrupted", WayForward: way}
	default:
		return s, &Refusal{Subject: r.Key(), Reason: fmt.Sprintf("Helm reports status %q, which repair does not know", status),
			WayForward: fmt.Sprintf("inspect it: helm history --namespace %s %s", r.Namespace, r.Name)}
	}
	return s, nil
}

// decideLeftover decides for a release an interrupted install left behind (pending-install or
// failed) that the state does not hold: uninstalled when nothing running depends on it,
// adopted otherwise. Cilium on a cluster with nodes is never uninstalled.
func decideLeftover(s *Step, r Release, in Inputs) {
	var uses []string
	if n := len(r.Use.RunningPods); n > 0 {
		uses = append(uses, fmt.Sprintf("%s of its workloads run (%s)", plural(n, "pod"), sample(r.Use.RunningPods)))
	}
	if n := len(r.Use.CustomObjects); n > 0 {
		uses = append(uses, fmt.Sprintf("%s of its CRDs exist (%s), which an uninstall deletes with the CRDs", plural(n, "object"), sample(r.Use.CustomObjects)))
	}
	if r.IsCilium() && in.Nodes > 0 {
		uses = append(uses, fmt.Sprintf("it is the CNI of the cluster's %s, which an uninstall takes off them", plural(in.Nodes, "node")))
	}
	if len(uses) > 0 {
		s.Adopt = true
		s.Why = "adopted into the state (pulumi import), as running things depend on it: " + strings.Join(uses, "; ") + "; `pulumi up` then upgrades it in place"
		return
	}
	s.MarkFailed = false
	s.Uninstall = true
	s.Why = "uninstalled, as nothing running depends on it (no pod of its workloads runs, no object of its CRDs exists); `pulumi up` installs it afresh"
}

// notOwned refuses a release the stack's state knows nothing of.
func notOwned(r Release) *Refusal {
	reason := fmt.Sprintf("Helm release %s, %s, is not this stack's: the state holds no such release and no interrupted operation of the stack created it", r.Key(), r.Helm)
	if r.Program != nil && r.Program.Chart != r.Helm.Chart {
		reason += fmt.Sprintf("; the stack installs chart %s under that name", r.Program.Chart)
	}
	var way string
	if r.IsCilium() {
		way = "the cluster runs a Cilium this stack does not manage: do not uninstall it (that takes the CNI off every node); " +
			"import it into the state under the stack's Cilium component (pulumi import kubernetes:helm.sh/v3:Release NAME " + r.Key() +
			" --parent ... --provider ...) or deploy the stack to another cluster"
	} else {
		way = fmt.Sprintf("if nothing of yours runs from it, remove it (helm uninstall --namespace %s %s) and run `pulumi up`; "+
			"if this stack installed it and its interrupted create was cleared from the state since (e.g. by `pulumi refresh --clear-pending-creates`), "+
			"import it instead (pulumi import kubernetes:helm.sh/v3:Release NAME %s --parent ... --provider ...)", r.Namespace, r.Name, r.Key())
	}
	return &Refusal{Subject: r.Key(), Reason: reason, WayForward: way}
}

// found describes what repair found of a release.
func found(r Release, held bool, pending string) string {
	var parts []string
	if r.Helm == nil {
		parts = append(parts, "no Helm release")
	} else {
		parts = append(parts, r.Helm.String())
	}
	switch {
	case held && pending != "":
		parts = append(parts, "in the state, its "+opNoun(pending)+" interrupted")
	case held:
		parts = append(parts, "in the state")
	case pending != "":
		parts = append(parts, "not in the state, its "+opNoun(pending)+" interrupted")
	default:
		parts = append(parts, "not in the state")
	}
	return strings.Join(parts, "; ")
}

func opNoun(op string) string {
	switch op {
	case OpCreating:
		return "create"
	case OpUpdating:
		return "update"
	case OpDeleting:
		return "delete"
	case OpReading:
		return "read"
	case OpImporting:
		return "import"
	}
	return op
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// sample names up to three items.
func sample(items []string) string {
	s := append([]string(nil), items...)
	sort.Strings(s)
	if len(s) > 3 {
		return strings.Join(s[:3], ", ") + fmt.Sprintf(", and %d more", len(s)-3)
	}
	return strings.Join(s, ", ")
}
