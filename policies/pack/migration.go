package pack

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/eks-cilium/eks-cilium/migration"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
)

// The two policies of an adopted cluster's migration (docs/migration.md). The program
// refuses the same changes from its own guard and live reads; these are the second gate, on
// what the engine shows the pack: the state ConfigMap kube-system/eks-cilium-migration (the
// phase, the legacy node groups, how aws-node runs), the Cilium release and the vpc-cni
// add-on or the aws-node patch.

const typeConfigMap = "kubernetes:core/v1:ConfigMap"
const typeDaemonSetPatch = "kubernetes:apps/v1:DaemonSetPatch"

// migrationState is the state ConfigMap's data, as a policy sees it; ok is false for any other
// resource, or when its data cannot be seen.
type migrationState struct {
	phase, awsNode string
	legacyGroups   []string
}

func stateOf(res policyx.AnalyzerResource) (migrationState, bool) {
	if res.Type != typeConfigMap {
		return migrationState{}, false
	}
	name, _, _ := stringAt(res.Properties, "metadata", "name")
	ns, _, _ := stringAt(res.Properties, "metadata", "namespace")
	if name != migration.StateConfigMap || ns != migration.Namespace {
		return migrationState{}, false
	}
	phase, p, ok := stringAt(res.Properties, "data", "phase")
	if p != known || !ok {
		return migrationState{}, false
	}
	s := migrationState{phase: phase}
	s.awsNode, _, _ = stringAt(res.Properties, "data", "awsNode")
	if groups, _, _ := stringAt(res.Properties, "data", "legacyNodeGroups"); groups != "" {
		s.legacyGroups = strings.Split(groups, ",")
	}
	return s, true
}

// isVpcCniAddon reports whether res is the vpc-cni EKS add-on (aws or pulumi-eks resource).
func isVpcCniAddon(res policyx.AnalyzerResource) bool {
	if res.Type != typeAwsEksAddon && res.Type != typeEksAddon {
		return false
	}
	name, p, ok := stringAt(res.Properties, "addonName")
	return p == known && ok && name == vpcCniAddonName
}

// fencesAwsNode reports whether a vpc-cni add-on's configurationValues keep aws-node off
// nodes carrying the migration label: the one way aws-node may run beside Cilium here.
func fencesAwsNode(props property.Map) bool {
	text, p, ok := stringAt(props, "configurationValues")
	if p != known || !ok {
		return false
	}
	var values struct {
		Affinity struct {
			NodeAffinity struct {
				Required struct {
					Terms []struct {
						Exprs []struct {
							Key      string   `json:"key"`
							Operator string   `json:"operator"`
							Values   []string `json:"values"`
						} `json:"matchExpressions"`
					} `json:"nodeSelectorTerms"`
				} `json:"requiredDuringSchedulingIgnoredDuringExecution"`
			} `json:"nodeAffinity"`
		} `json:"affinity"`
	}
	if json.Unmarshal([]byte(text), &values) != nil || len(values.Affinity.NodeAffinity.Required.Terms) == 0 {
		return false
	}
	// Terms are ORed: every one of them must exclude labelled nodes.
	for _, term := range values.Affinity.NodeAffinity.Required.Terms {
		fenced := false
		for _, e := range term.Exprs {
			if e.Key == migration.NodeLabelKey && e.Operator == "NotIn" && len(e.Values) == 1 && e.Values[0] == migration.NodeLabelValue {
				fenced = true
			}
		}
		if !fenced {
			return false
		}
	}
	return true
}

// vpcCniKeptUntilRemoval refuses losing aws-node before remove-aws-node: while the state says
// install or finalize, the stack must still hold aws-node (the vpc-cni add-on, or the patch of
// a self-managed aws-node), and in install the add-on must not be armed for deletion
// (preserve: false). Deleting it then would leave every legacy node without a CNI: its pods
// keep running but new ones get no network, and nothing restores aws-node (cilium/cilium#10420,
// awslabs/cdk-eks-blueprints#366). A stack policy: a deletion is the absence of a resource, which
// only the whole stack shows; like every stack policy it blocks in a preview (README, "When a
// policy can block").
var vpcCniKeptUntilRemoval = stackPolicy(
	"vpc-cni-kept-until-removal",
	"An adopted cluster keeps aws-node (the vpc-cni add-on, or the patched aws-node DaemonSet) until the migration's remove-aws-node phase.",
	policyx.EnforcementLevelMandatory,
	checkVpcCniKeptUntilRemoval,
)

func checkVpcCniKeptUntilRemoval(resources []policyx.AnalyzerResource) []finding {
	var state *migrationState
	stateURN := ""
	for _, r := range resources {
		if s, ok := stateOf(r); ok {
			state, stateURN = &s, r.URN
		}
	}
	if state == nil || !migration.AwsNodeKept(state.phase) {
		return nil
	}
	var out []finding
	kept := false
	for _, r := range resources {
		switch {
		case isVpcCniAddon(r):
			kept = true
			if v, p := lookup(r.Properties, "preserve"); state.phase == "install" && p == known && !(v.IsBool() && v.AsBool()) {
				out = append(out, finding{r.URN, fmt.Sprintf("preserve is %s in phase install: deleting the add-on now would remove aws-node from the "+
					"legacy nodes, whose pods then get no network; only finalize, once no legacy node is left, arms the deletion.", show(v))})
			}
		case r.Type == typeDaemonSetPatch:
			if name, _, _ := stringAt(r.Properties, "metadata", "name"); name == migration.AwsNodeDaemonSet {
				kept = true
			}
		}
	}
	if !kept {
		what := "the vpc-cni add-on (aws:eks/addon:Addon)"
		if state.awsNode == "selfManaged" {
			what = "the aws-node DaemonSet patch"
		}
		out = append(out, finding{stateURN, fmt.Sprintf("the migration is in phase %s but the stack no longer holds %s: aws-node would be deleted "+
			"(or left unfenced) before remove-aws-node, and the legacy nodes' pods lose their CNI.", state.phase, what)})
	}
	return out
}

// newCiliumMigrationMode refuses a Cilium release that leaves migration mode while legacy node
// groups remain: with cni.customConf false every agent writes Cilium's CNI configuration and
// takes /etc/cni/net.d over (cni.exclusive) on the legacy nodes too, under pods aws-node wired,
// and policy enforcement starts while half the cluster is on the other CNI
// (k8s-install-migration.rst v1.19.6 L87-91, L166-182). The phase comes from the state
// ConfigMap, which the platform registers before the release; the pack remembers it for the run.
func newCiliumMigrationMode() policyx.ResourceValidationPolicy {
	m := &migrationMemory{}
	return resourcePolicy(
		"cilium-migration-mode",
		"On an adopted cluster in phase install, with legacy node groups, the Cilium release stays in migration mode (cni.customConf: true, policyEnforcementMode: never).",
		policyx.EnforcementLevelMandatory,
		nil,
		m.check,
	)
}

type migrationMemory struct {
	mu    sync.Mutex
	state *migrationState
}

func (m *migrationMemory) check(res policyx.AnalyzerResource, _ map[string]any) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if s, ok := stateOf(res); ok {
		m.state = &s
		return nil
	}
	if m.state == nil || !migration.BeforeFinalize(m.state.phase) || len(m.state.legacyGroups) == 0 || !isCiliumRelease(res) {
		return nil
	}
	vals, ok := valuesOf(res)
	if !ok {
		return nil
	}
	groups := strings.Join(m.state.legacyGroups, ", ")
	var out []string
	if v, p := vals.lookup("cni", "customConf"); p != unknown && !(v.IsBool() && v.AsBool()) {
		out = append(out, fmt.Sprintf("values.cni.customConf is %s in phase install while legacy node groups remain (%s): every agent would write "+
			"Cilium's CNI configuration on the legacy nodes too and take /etc/cni/net.d from aws-node.", describe(v, p), groups))
	}
	if v, p := vals.lookup("policyEnforcementMode"); p != unknown && !(v.IsString() && v.AsString() == "never") {
		out = append(out, fmt.Sprintf("values.policyEnforcementMode is %s in phase install while legacy node groups remain (%s): Cilium would "+
			"enforce policy while half the cluster is on aws-node, dropping traffic from pods it does not manage.", describe(v, p), groups))
	}
	return out
}
