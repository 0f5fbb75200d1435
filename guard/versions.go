package guard

import (
	"fmt"
	"slices"

	"github.com/eks-cilium/eks-cilium/stackconfig"
	"github.com/eks-cilium/eks-cilium/versions"
)

// DeployedVersions is what the previous deployment ran, from the outputs kubernetesVersion,
// ciliumVersion, ciliumInitialVersion, ciliumPreflight, nodeGroups, addonVersions and
// chartVersions. Each is "" (or nil) when the stack was last deployed by a version of the
// program that did not export it; the checks that need it are then skipped (Skipped says which).
type DeployedVersions struct {
	// KubernetesVersion is the control plane's minor as EKS reported it ("1.35").
	KubernetesVersion string
	// CiliumVersion is the Cilium chart deployed; CiliumInitialVersion the first one ever
	// deployed on the stack (upgradeCompatibility comes from it).
	CiliumVersion, CiliumInitialVersion string
	// CiliumPreflight is the chart version of the pre-flight release deployed with the last
	// Cilium minor change, "" when none is deployed.
	CiliumPreflight string
	// NodeGroups are the deployed node groups, in the order deployed; nil when not exported.
	NodeGroups []DeployedNodeGroup
	// Addons are the EKS addon versions (coredns, eks-pod-identity-agent, kube-proxy) and
	// Charts the Helm chart versions (metrics-server, aws-load-balancer-controller, karpenter)
	// deployed, by name.
	Addons, Charts map[string]string
	// Skipped are the version checks that could not run, and why.
	Skipped []string
}

// DeployedNodeGroup is one element of the nodeGroups output.
type DeployedNodeGroup struct {
	Name string
	// KubernetesVersion is the minor its AMI was looked up for; AmiVersion the release it is
	// pinned to ("" unpinned). Both "" when deployed before they were exported.
	KubernetesVersion, AmiVersion string
	// MaxPods is the kubelet's maxPods (0 when not exported) and Labels its node labels (nil
	// when not exported).
	MaxPods int
	Labels  map[string]string
}

// NodeGroup returns the deployed node group of that name.
func (d DeployedVersions) NodeGroup(name string) (DeployedNodeGroup, bool) {
	i := slices.IndexFunc(d.NodeGroups, func(g DeployedNodeGroup) bool { return g.Name == name })
	if i < 0 {
		return DeployedNodeGroup{}, false
	}
	return d.NodeGroups[i], true
}

// readVersions reads the version outputs; a malformed one is added to bad (the guard must
// not pass on data it cannot read), a missing one is skipped with a notice.
func readVersions(outputs map[string]any, bad *[]string) DeployedVersions {
	var d DeployedVersions
	optional := func(key string, into *string, skipped string) {
		switch v := outputs[key].(type) {
		case nil:
			if skipped != "" {
				d.Skipped = append(d.Skipped, fmt.Sprintf("the last deployment exported no %s (deployed before it existed): %s; it is checked from the next deployment on", key, skipped))
			}
		case string:
			*into = v
		default:
			*bad = append(*bad, fmt.Sprintf("%s (want a string, got %v)", key, v))
		}
	}
	optional("kubernetesVersion", &d.KubernetesVersion, "the one-minor-per-update and rollback checks of "+keyClusterVersion+" are skipped")
	optional("ciliumVersion", &d.CiliumVersion, "the one-minor check of "+keyCiliumVersion+" and the pre-flight check are skipped")
	optional("ciliumInitialVersion", &d.CiliumInitialVersion, "")
	optional("ciliumPreflight", &d.CiliumPreflight, "")
	d.Addons = stringMap(outputs, "addonVersions", bad)
	d.Charts = stringMap(outputs, "chartVersions", bad)

	switch list := outputs["nodeGroups"].(type) {
	case nil:
	case []any:
		d.NodeGroups = []DeployedNodeGroup{}
		for i, e := range list {
			m, ok := e.(map[string]any)
			name, _ := m["name"].(string)
			if !ok || name == "" {
				*bad = append(*bad, fmt.Sprintf("nodeGroups[%d] (want an object with a name, got %v)", i, e))
				continue
			}
			g := DeployedNodeGroup{Name: name}
			for key, into := range map[string]*string{"kubernetesVersion": &g.KubernetesVersion, "amiVersion": &g.AmiVersion} {
				switch v := m[key].(type) {
				case nil:
				case string:
					*into = v
				default:
					*bad = append(*bad, fmt.Sprintf("nodeGroups[%d].%s (want a string, got %v)", i, key, v))
				}
			}
			if n, ok := m["maxPods"].(float64); ok {
				g.MaxPods = int(n)
			}
			if labels, ok := m["labels"].(map[string]any); ok {
				g.Labels = map[string]string{}
				for k, v := range labels {
					s, _ := v.(string)
					g.Labels[k] = s
				}
			}
			d.NodeGroups = append(d.NodeGroups, g)
		}
	default:
		*bad = append(*bad, fmt.Sprintf("nodeGroups (want a list, got %v)", list))
	}
	if d.KubernetesVersion != "" && slices.ContainsFunc(d.NodeGroups, func(g DeployedNodeGroup) bool { return g.KubernetesVersion == "" }) {
		d.Skipped = append(d.Skipped, "the last deployment exported no kubernetesVersion per node group (deployed before it existed): the node groups are assumed to run the control plane's "+d.KubernetesVersion)
	}
	return d
}

func stringMap(outputs map[string]any, key string, bad *[]string) map[string]string {
	switch m := outputs[key].(type) {
	case nil:
		return nil
	case map[string]any:
		out := map[string]string{}
		for k, v := range m {
			s, ok := v.(string)
			if !ok {
				*bad = append(*bad, fmt.Sprintf("%s.%s (want a string, got %v)", key, k, v))
				continue
			}
			out[k] = s
		}
		return out
	default:
		*bad = append(*bad, fmt.Sprintf("%s (want an object, got %v)", key, m))
		return nil
	}
}

const (
	keyClusterVersion = stackconfig.KeyClusterVersion
	keyCiliumVersion  = stackconfig.KeyCiliumVersion
	keyAllowRollback  = stackconfig.KeyClusterAllowVersionRollback
)

// NodeVersion is the Kubernetes minor a deployed node group runs: its own output, or the
// control plane's for stacks deployed before it was exported.
func (d DeployedVersions) NodeVersion(g DeployedNodeGroup) string {
	if g.KubernetesVersion != "" {
		return g.KubernetesVersion
	}
	return d.KubernetesVersion
}

// checkVersions holds the version rules that need the previous deployment:
//   - Kubernetes rises by at most one minor per update: "Because Amazon EKS runs a highly
//     available control plane, you can update only one minor version at a time"
//     (https://docs.aws.amazon.com/eks/latest/userguide/update-cluster.html), and upstream
//     kube-apiserver must not skip minors either (kubernetes/website version-skew-policy.md,
//     "Supported component upgrade order").
//   - A lower version is a rollback, refused unless cluster.allowVersionRollback, and then by
//     one minor only: EKS version rollback (July 2026) returns the control plane to the
//     previous minor within 7 days of an in-place upgrade
//     (https://docs.aws.amazon.com/eks/latest/userguide/rollback-cluster.html).
//   - Before the control plane moves up, every node group runs its minor: EKS's update steps
//     require it (update-cluster.html, step 1), stricter than the three minors of kubelet skew
//     the same page also allows; node groups here follow the control plane, so a group behind
//     means the last update stopped at it.
//   - Cilium's minor changes by at most one: "The only tested rollback and upgrade path is
//     between consecutive minor releases" (cilium/cilium Documentation/operations/
//     upgrade-warning.rst).
//   - Cilium never changes in the same update as the Kubernetes minor: the Cilium release
//     depends on the cluster, so the engine would update it after the control plane, while a
//     Kubernetes upgrade needs a Cilium tested on the new minor first (upgrade.rst; EKS
//     upgrade order in the research behind docs/operations.md).
func checkVersions(prev *Deployed, cfg stackconfig.Config) (notices []string, refusals stackconfig.Problems) {
	v := prev.Versions
	kubeMoves := 0
	if v.KubernetesVersion != "" {
		d, ok := versions.MinorsBetween(v.KubernetesVersion, cfg.Cluster.Version)
		value := fmt.Sprintf("%s (deployed: %s)", cfg.Cluster.Version, v.KubernetesVersion)
		switch {
		case !ok:
			// The version rules refuse a malformed version; nothing to compare.
		case d > 1:
			refusals = append(refusals, stackconfig.Problem{Key: keyClusterVersion, Value: value,
				Rule: fmt.Sprintf("EKS updates the control plane one minor at a time (update-cluster.html: \"you can update only one minor version at a time\"): %s to %s skips %d", v.KubernetesVersion, cfg.Cluster.Version, d-1),
				Fix:  fmt.Sprintf("first update to %s (`pulumi up` with version: %q), then to %s", versions.NextMinor(v.KubernetesVersion), versions.NextMinor(v.KubernetesVersion), versions.NextMinor(versions.NextMinor(v.KubernetesVersion)))})
		case d < -1:
			refusals = append(refusals, stackconfig.Problem{Key: keyClusterVersion, Value: value,
				Rule: "EKS version rollback returns the control plane to the previous minor only, within 7 days of the in-place upgrade from it (rollback-cluster.html)",
				Fix:  fmt.Sprintf("keep %s, or roll back to %s only (with %s: true)", v.KubernetesVersion, versions.PreviousMinor(v.KubernetesVersion), keyAllowRollback)})
		case d == -1 && !cfg.Cluster.AllowVersionRollback:
			refusals = append(refusals, stackconfig.Problem{Key: keyClusterVersion, Value: value,
				Rule: "a lower version is a rollback of the control plane: EKS allows it only to the previous minor within 7 days of an in-place upgrade (rollback-cluster.html), and the node groups must go back first",
				Fix:  fmt.Sprintf("keep %s; to roll back to %s, also set %s: true", v.KubernetesVersion, cfg.Cluster.Version, keyAllowRollback)})
		default:
			kubeMoves = d
		}
		if d == 1 {
			for _, g := range v.NodeGroups {
				if nv := v.NodeVersion(g); nv != v.KubernetesVersion {
					behind, _ := versions.MinorsBetween(nv, cfg.Cluster.Version)
					refusals = append(refusals, stackconfig.Problem{Key: keyClusterVersion, Value: value,
						Rule: fmt.Sprintf("node group %s still runs %s while the control plane runs %s: EKS wants every node group on the control plane's minor before an upgrade (update-cluster.html, step 1), and %s would leave its kubelets %d minors behind", g.Name, nv, v.KubernetesVersion, cfg.Cluster.Version, behind),
						Fix:  fmt.Sprintf("first run `pulumi up` with %s: %q (the node group follows the control plane), then upgrade", keyClusterVersion, v.KubernetesVersion)})
				}
			}
		}
		if d == -1 && cfg.Cluster.AllowVersionRollback {
			notices = append(notices, fmt.Sprintf("%s: true: rolling back from %s to %s. EKS accepts this only within 7 days of the in-place upgrade from %s (rollback-cluster.html; not checked offline), and rolls back neither etcd data nor EKS add-ons. The node groups go back first (a kubelet may never be newer than the API server); the control plane follows in the next update. Set it back to false afterwards.",
				keyAllowRollback, v.KubernetesVersion, cfg.Cluster.Version, cfg.Cluster.Version))
		}
	} else if cfg.Cluster.AllowVersionRollback {
		notices = append(notices, keyAllowRollback+": true, but the last deployment exported no kubernetesVersion: nothing to roll back from is known")
	}

	if v.CiliumVersion != "" && v.CiliumVersion != cfg.Cilium.Version {
		d, ok := versions.MinorsBetween(v.CiliumVersion, cfg.Cilium.Version)
		value := fmt.Sprintf("%s (deployed: %s)", cfg.Cilium.Version, v.CiliumVersion)
		switch {
		case !ok:
		case d > 1 || d < -1:
			step := versions.NextMinor(v.CiliumVersion)
			if d < 0 {
				step = versions.PreviousMinor(v.CiliumVersion)
			}
			refusals = append(refusals, stackconfig.Problem{Key: keyCiliumVersion, Value: value,
				Rule: "Cilium tests upgrades and rollbacks only between consecutive minor releases (upgrade-warning.rst: \"1.1→1.2 and back is supported while 1.1→1.3 and back is not\")",
				Fix:  fmt.Sprintf("first update to %s (its latest patch), then to %s", step, versions.Minor(cfg.Cilium.Version))})
		case kubeMoves != 0:
			refusals = append(refusals, stackconfig.Problem{Key: keyCiliumVersion, Value: value,
				Rule: fmt.Sprintf("changes Cilium in the same update as Kubernetes (%s to %s): the Cilium release depends on the cluster, so the engine would update Cilium after the control plane, and the cluster must run a Cilium tested on the new Kubernetes minor before the control plane moves", v.KubernetesVersion, cfg.Cluster.Version),
				Fix:  twoUpdates(v, cfg)})
		}
	}
	return notices, refusals
}

// twoUpdates says which of the two changes comes first: the one that keeps Cilium on a
// Kubernetes minor it is tested on (or whose list is unknown) in between.
func twoUpdates(v DeployedVersions, cfg stackconfig.Config) string {
	ok := func(cilium, kube string) bool {
		tested, _, known := versions.CiliumTested(versions.Minor(cilium))
		return !known || slices.Contains(tested, kube)
	}
	ciliumFirst := fmt.Sprintf("two updates: first %s: %s with %s kept at %q, then %s: %q", keyCiliumVersion, cfg.Cilium.Version, keyClusterVersion, v.KubernetesVersion, keyClusterVersion, cfg.Cluster.Version)
	kubeFirst := fmt.Sprintf("two updates: first %s: %q with %s kept at %s, then %s: %s", keyClusterVersion, cfg.Cluster.Version, keyCiliumVersion, v.CiliumVersion, keyCiliumVersion, cfg.Cilium.Version)
	switch {
	case ok(cfg.Cilium.Version, v.KubernetesVersion):
		return ciliumFirst + " (Cilium " + versions.Minor(cfg.Cilium.Version) + " runs on " + v.KubernetesVersion + " in between)"
	case ok(v.CiliumVersion, cfg.Cluster.Version):
		return kubeFirst + " (Cilium " + versions.Minor(v.CiliumVersion) + " runs on " + cfg.Cluster.Version + " in between)"
	}
	return "no order of the two keeps Cilium on a Kubernetes minor it is tested on; go through a Cilium minor tested on both " + v.KubernetesVersion + " and " + cfg.Cluster.Version
}

// InitialCilium is the first Cilium version ever deployed on the stack, which
// upgradeCompatibility is set from for the stack's life (upgrade.rst: "the upgradeCompatibility
// option should be set to the initial Cilium version which was installed in this cluster"):
// the deployed ciliumInitialVersion; for a stack deployed before it was exported, its deployed
// ciliumVersion (the earliest known, with a notice); for a new stack, the configured version.
func InitialCilium(prev *Deployed, cfg stackconfig.Config) (version, notice string) {
	switch {
	case prev == nil:
		return cfg.Cilium.Version, ""
	case prev.Versions.CiliumInitialVersion != "":
		return prev.Versions.CiliumInitialVersion, ""
	case prev.Versions.CiliumVersion != "":
		return prev.Versions.CiliumVersion, fmt.Sprintf("the last deployment exported no ciliumInitialVersion: upgradeCompatibility is set from its deployed Cilium %s, the earliest known; if the stack first installed an older Cilium, its defaults are not kept", prev.Versions.CiliumVersion)
	}
	return cfg.Cilium.Version, "the last deployment exported neither ciliumInitialVersion nor ciliumVersion: upgradeCompatibility is set from the configured Cilium " + cfg.Cilium.Version
}
