package triage

import (
	"strings"
	"testing"
)

const (
	ciliumURN = "urn:pulumi:dev::eks-cilium::eks-cilium:index:Platform$eks-cilium:index:Cilium$kubernetes:helm.sh/v3:Release::eks-cilium-dev"
	lbcURN    = "urn:pulumi:dev::eks-cilium::eks-cilium:index:Platform$eks-cilium:index:AwsLoadBalancerController$kubernetes:helm.sh/v3:Release::eks-cilium-dev-aws-lbc"
)

func cilium(helm *Record, state *Held) Release {
	return Release{Namespace: "kube-system", Name: "cilium", Program: &Planned{Chart: "cilium"}, Helm: helm, State: state, CNI: true}
}

func lbc(helm *Record, state *Held, use Use) Release {
	return Release{Namespace: "kube-system", Name: "aws-load-balancer-controller", Program: &Planned{Chart: "aws-load-balancer-controller"},
		Helm: helm, State: state, Use: use}
}

func rec(chart, status string, revision, lastDeployed int) *Record {
	return &Record{Chart: chart, Version: "1.0.0", Status: status, Revision: revision, LastDeployed: lastDeployed}
}

var (
	heldOK          = &Held{URN: ciliumURN, InState: true}
	heldUpdating    = &Held{URN: ciliumURN, InState: true, Pending: OpUpdating}
	lbcCreating     = &Held{URN: lbcURN, Pending: OpCreating, Parent: "parent", Provider: "provider::id"}
	deadLock        = Lock{State: LockDead, Holder: "ci@runner, pid 4242", Why: "process 4242 no longer runs on this host"}
	someRunningPods = Use{RunningPods: []string{"kube-system/aws-load-balancer-controller-6f9-abc"}}
)

// want is what a test expects of one release's step; only the fields set are compared.
type want struct {
	rollback                     int
	markFailed, uninstall, adopt bool
	clearPending                 string
	why                          string // a fragment of Why
}

func TestDecide_PlansEachReleaseByItsHelmStatusStateAndUse(t *testing.T) {
	tests := []struct {
		name    string
		in      Inputs
		want    map[string]want // by release key
		nothing bool            // the plan is "nothing to repair"
		refused []string        // subjects refused, with a fragment of the way forward
		lock    bool            // the lock is cleared
	}{
		{
			name:    "every release deployed and held, no lock: nothing to repair",
			in:      Inputs{Nodes: 2, Releases: []Release{cilium(rec("cilium", StatusDeployed, 2, 2), heldOK)}},
			want:    map[string]want{"kube-system/cilium": {why: "ok"}},
			nothing: true,
		},
		{
			name: "a Cilium upgrade left pending-upgrade: rolled back to the last deployed revision, its pending update cleared, never uninstalled",
			in:   Inputs{Lock: deadLock, Nodes: 2, Releases: []Release{cilium(rec("cilium", StatusPendingUpgrade, 3, 2), heldUpdating)}},
			want: map[string]want{"kube-system/cilium": {rollback: 2, clearPending: OpUpdating, why: "none is deleted"}},
			lock: true,
		},
		{
			name: "pending-rollback: rolled back to the last deployed revision",
			in:   Inputs{Releases: []Release{cilium(rec("cilium", StatusPendingRollback, 4, 2), heldOK)}},
			want: map[string]want{"kube-system/cilium": {rollback: 2}},
		},
		{
			name: "pending-upgrade with no deployed revision: marked failed instead",
			in:   Inputs{Releases: []Release{cilium(rec("cilium", StatusPendingUpgrade, 2, 0), heldOK)}},
			want: map[string]want{"kube-system/cilium": {markFailed: true, why: "nothing to roll back to"}},
		},
		{
			name: "an interrupted install nothing depends on: uninstalled, its pending create cleared",
			in:   Inputs{Lock: deadLock, Nodes: 2, Releases: []Release{lbc(rec("aws-load-balancer-controller", StatusPendingInstall, 1, 0), lbcCreating, Use{})}},
			want: map[string]want{"kube-system/aws-load-balancer-controller": {uninstall: true, clearPending: OpCreating, why: "nothing running depends on it"}},
			lock: true,
		},
		{
			name: "an interrupted install whose pods run: marked failed and adopted, not uninstalled",
			in:   Inputs{Nodes: 2, Releases: []Release{lbc(rec("aws-load-balancer-controller", StatusPendingInstall, 1, 0), lbcCreating, someRunningPods)}},
			want: map[string]want{"kube-system/aws-load-balancer-controller": {markFailed: true, adopt: true, clearPending: OpCreating, why: "1 pod of its workloads run"}},
		},
		{
			name: "an interrupted install whose CRDs have objects: adopted (an uninstall deletes them with the CRDs)",
			in: Inputs{Releases: []Release{lbc(rec("aws-load-balancer-controller", StatusFailed, 1, 0), lbcCreating,
				Use{CustomObjects: []string{"TargetGroupBinding default/web"}})}},
			want: map[string]want{"kube-system/aws-load-balancer-controller": {adopt: true, clearPending: OpCreating, why: "1 object of its CRDs exist"}},
		},
		{
			name: "an interrupted Cilium install on a cluster with nodes: adopted even with no pod running, never uninstalled",
			in:   Inputs{Nodes: 3, Releases: []Release{cilium(rec("cilium", StatusPendingInstall, 1, 0), &Held{URN: ciliumURN, Pending: OpCreating})}},
			want: map[string]want{"kube-system/cilium": {markFailed: true, adopt: true, clearPending: OpCreating, why: "CNI of the cluster's 3 nodes"}},
		},
		{
			name: "an interrupted Cilium install on a cluster without nodes: uninstalled",
			in:   Inputs{Nodes: 0, Releases: []Release{cilium(rec("cilium", StatusPendingInstall, 1, 0), &Held{URN: ciliumURN, Pending: OpCreating})}},
			want: map[string]want{"kube-system/cilium": {uninstall: true, clearPending: OpCreating}},
		},
		{
			name: "an interrupted install of Cilium's pre-flight check (the cilium chart, no agent): uninstalled on a cluster with nodes",
			in: Inputs{Nodes: 2, Releases: []Release{{Namespace: "kube-system", Name: "cilium-preflight", Program: &Planned{Chart: "cilium"},
				Helm: rec("cilium", StatusPendingInstall, 1, 0), State: &Held{URN: "urn:x", Pending: OpCreating}}}},
			want: map[string]want{"kube-system/cilium-preflight": {uninstall: true, clearPending: OpCreating}},
		},
		{
			name: "Helm finished an install the state never recorded: adopted",
			in:   Inputs{Releases: []Release{lbc(rec("aws-load-balancer-controller", StatusDeployed, 1, 1), lbcCreating, someRunningPods)}},
			want: map[string]want{"kube-system/aws-load-balancer-controller": {adopt: true, clearPending: OpCreating}},
		},
		{
			name: "a held release whose install never finished: marked failed, `pulumi up` upgrades it",
			in:   Inputs{Releases: []Release{cilium(rec("cilium", StatusPendingInstall, 1, 0), heldOK)}},
			want: map[string]want{"kube-system/cilium": {markFailed: true}},
		},
		{
			name: "a create interrupted before Helm recorded anything: only the pending create is cleared",
			in:   Inputs{Releases: []Release{lbc(nil, lbcCreating, Use{})}},
			want: map[string]want{"kube-system/aws-load-balancer-controller": {clearPending: OpCreating, why: "before Helm recorded anything"}},
		},
		{
			name:    "a live lock: refused, nothing else judged",
			in:      Inputs{Lock: Lock{State: LockLive, Holder: "me@here, pid 7", Why: "process 7 on this host is a running pulumi"}, Releases: []Release{cilium(rec("cilium", StatusPendingUpgrade, 3, 2), heldUpdating)}},
			refused: []string{"lock: wait for it to end"},
		},
		{
			name:    "a lock held on another host: refused without -force-unlock",
			in:      Inputs{Lock: Lock{State: LockUnknown, Holder: "ci@runner-7"}},
			refused: []string{"lock: -force-unlock"},
		},
		{
			name: "a lock held on another host with -force-unlock: cleared",
			in:   Inputs{Lock: Lock{State: LockUnknown, Holder: "ci@runner-7"}, ForceUnlock: true},
			lock: true,
		},
		{
			name:    "a pending-install release the state knows nothing of: refused as not the stack's, naming it and the way forward",
			in:      Inputs{Releases: []Release{lbc(rec("aws-load-balancer-controller", StatusPendingInstall, 1, 0), nil, Use{})}},
			refused: []string{"kube-system/aws-load-balancer-controller: helm uninstall --namespace kube-system aws-load-balancer-controller"},
		},
		{
			name:    "a foreign Cilium: refused, never uninstalled",
			in:      Inputs{Nodes: 2, Releases: []Release{cilium(rec("cilium", StatusPendingUpgrade, 2, 1), nil)}},
			refused: []string{"kube-system/cilium: do not uninstall it"},
		},
		{
			name:    "a held release Helm no longer has: refused, refresh is the way",
			in:      Inputs{Releases: []Release{cilium(nil, heldOK)}},
			refused: []string{"kube-system/cilium: `pulumi refresh`"},
		},
		{
			name:    "an interrupted uninstall of Cilium on a cluster with nodes: refused, roll back is the way",
			in:      Inputs{Nodes: 2, Releases: []Release{cilium(rec("cilium", StatusUninstalling, 3, 2), heldOK)}},
			refused: []string{"kube-system/cilium: helm rollback"},
		},
		{
			name:    "an interrupted create of another resource: refused without -clear-pending-creates",
			in:      Inputs{Pending: []Pending{{URN: "urn:pulumi:dev::eks-cilium::aws:iam/role:Role::x", Type: "aws:iam/role:Role", Op: OpCreating}}},
			refused: []string{"urn:pulumi:dev::eks-cilium::aws:iam/role:Role::x: -clear-pending-creates"},
		},
		{
			name: "an interrupted update of another resource: cleared",
			in:   Inputs{Pending: []Pending{{URN: "urn:pulumi:dev::eks-cilium::aws:iam/role:Role::x", Type: "aws:iam/role:Role", Op: OpUpdating}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.in.Stack = "dev"
			p := Decide(tt.in)
			text := p.Describe()
			if p.NothingToDo() != tt.nothing {
				t.Errorf("NothingToDo() = %v, want %v\n%s", p.NothingToDo(), tt.nothing, text)
			}
			if p.ClearLock != tt.lock {
				t.Errorf("ClearLock = %v, want %v\n%s", p.ClearLock, tt.lock, text)
			}
			if len(p.Refusals) != len(tt.refused) {
				t.Errorf("%d refusals, want %d\n%s", len(p.Refusals), len(tt.refused), text)
			}
			for i, r := range p.Refusals {
				if i >= len(tt.refused) {
					break
				}
				subject, way, _ := strings.Cut(tt.refused[i], ": ")
				if r.Subject != subject || !strings.Contains(r.WayForward+" "+r.Reason, way) {
					t.Errorf("refusal %d = %s: %s (way forward: %s), want subject %s and %q in it", i, r.Subject, r.Reason, r.WayForward, subject, way)
				}
				if !strings.Contains(text, r.Subject) || !strings.Contains(text, r.WayForward) {
					t.Errorf("the output does not name refusal %s and its way forward:\n%s", r.Subject, text)
				}
			}
			if len(tt.refused) > 0 && tt.in.Lock.State == LockLive && len(p.Releases) > 0 {
				t.Errorf("a live lock judged %d releases, want none", len(p.Releases))
			}
			for key, w := range tt.want {
				var step *Step
				for i := range p.Releases {
					if p.Releases[i].Release == key {
						step = &p.Releases[i]
					}
				}
				if step == nil {
					t.Fatalf("no step for %s\n%s", key, text)
				}
				got := want{rollback: step.Rollback, markFailed: step.MarkFailed, uninstall: step.Uninstall, adopt: step.Adopt, clearPending: step.ClearPending}
				w2 := w
				w2.why = ""
				if got != w2 {
					t.Errorf("%s: got %+v, want %+v\n%s", key, got, w2, text)
				}
				if !strings.Contains(step.Why, w.why) {
					t.Errorf("%s: why %q, want it to say %q", key, step.Why, w.why)
				}
				if step.Cilium && step.Uninstall && tt.in.Nodes > 0 {
					t.Errorf("%s: Cilium uninstalled on a cluster with %d nodes", key, tt.in.Nodes)
				}
			}
		})
	}
}

// The pending operations are dropped together (one state edit): whenever one is cleared, the
// plan says the state is edited.
func TestPlan_ClearsStateWhenAnyPendingOperationIsCleared(t *testing.T) {
	tests := []struct {
		name string
		in   Inputs
		want bool
	}{
		{"no pending operation", Inputs{Releases: []Release{cilium(rec("cilium", StatusDeployed, 1, 1), heldOK)}}, false},
		{"a release's pending update", Inputs{Releases: []Release{cilium(rec("cilium", StatusDeployed, 1, 1), heldUpdating)}}, true},
		{"another resource's pending delete", Inputs{Pending: []Pending{{URN: "u", Type: "t", Op: OpDeleting}}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Decide(tt.in).ClearsState(); got != tt.want {
				t.Errorf("ClearsState() = %v, want %v", got, tt.want)
			}
		})
	}
}

// The output names each release, what was found, each action in order and why.
func TestDescribe_NamesEachReleaseItsActionsAndWhy(t *testing.T) {
	p := Decide(Inputs{Stack: "dev", Lock: deadLock, Nodes: 2, Releases: []Release{
		cilium(rec("cilium", StatusPendingUpgrade, 3, 2), heldUpdating),
		lbc(rec("aws-load-balancer-controller", StatusPendingInstall, 1, 0), lbcCreating, someRunningPods),
	}})
	text := p.Describe()
	for _, want := range []string{
		"Lock: held by ci@runner, pid 4242; process 4242 no longer runs on this host\n  -> cleared (pulumi cancel)",
		"Helm releases (cluster: 2 nodes)",
		"kube-system/cilium                        pending-upgrade (revision 3, chart cilium-1.0.0); in the state, its update interrupted",
		"-> roll back to revision 2, then clear its pending update",
		"kube-system/aws-load-balancer-controller  pending-install (revision 1, chart aws-load-balancer-controller-1.0.0); not in the state, its create interrupted",
		"-> mark its newest revision failed, then clear its pending create, then adopt into the state as " + lbcURN,
		"as running things depend on it: 1 pod of its workloads run (kube-system/aws-load-balancer-controller-6f9-abc)",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the output lacks %q:\n%s", want, text)
		}
	}
}
