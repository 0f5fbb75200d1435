package tests

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/eks-cilium/eks-cilium/charts"
	"github.com/eks-cilium/eks-cilium/charts/lbcpolicy"
	"github.com/eks-cilium/eks-cilium/hostports"
	"github.com/eks-cilium/eks-cilium/plan"
	"github.com/eks-cilium/eks-cilium/render"
	"github.com/eks-cilium/eks-cilium/stackconfig"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

const (
	devStackFile  = "../stacks/Pulumi.dev.yaml"
	prodStackFile = "../stacks/Pulumi.prod.yaml"
	typeLBC       = "eks-cilium:index:AwsLoadBalancerController"
	typeAssoc     = "aws:eks/podIdentityAssociation:PodIdentityAssociation"
)

func dependsOn(r render.Resource, on render.Resource) bool {
	return slices.Contains(r.DependsOn, on.URN)
}

func TestAddons_InstallAfterTheNodeGroupsTheControllerAfterItsAssociationAndCoreDNS(t *testing.T) {
	res := renderStack(t, devStackFile, nil)
	ms := oneWith(t, res, typeRelease, "chart", charts.MetricsServerChart)
	lbc := oneWith(t, res, typeRelease, "chart", charts.LoadBalancerControllerChart)
	provider := clusterProvider(t, res)
	for _, rel := range []render.Resource{ms, lbc} {
		if rel.Provider != provider.URN {
			t.Errorf("%s uses provider %q, want the cluster's", rel.Name, rel.Provider)
		}
		if v, _ := get(rel.Inputs, "skipAwait"); v.IsBool() && v.BoolValue() {
			t.Errorf("%s skips await; it comes after the nodes and must wait for its pods", rel.Name)
		}
		for _, ng := range ofType(res, typeNodeGroup) {
			if !dependsOn(rel, ng) {
				t.Errorf("%s does not depend on node group %s: %v", rel.Name, ng.Name, rel.DependsOn)
			}
		}
	}
	if !dependsOn(lbc, oneWith(t, res, typeAssoc, "serviceAccount", charts.LoadBalancerControllerServiceAccount)) {
		t.Errorf("the controller release does not wait for its Pod Identity association: %v", lbc.DependsOn)
	}
	if !dependsOn(lbc, oneWith(t, res, typeAddon, "addonName", "coredns")) {
		t.Errorf("the controller release (dnsPolicy ClusterFirstWithHostNet) does not wait for CoreDNS: %v", lbc.DependsOn)
	}
	patch := one(t, res, "kubernetes:apps/v1:DeploymentPatch")
	if !dependsOn(patch, ms) {
		t.Errorf("the metrics-server dnsPolicy patch does not wait for the release: %v", patch.DependsOn)
	}
	for path, want := range map[string]string{
		"metadata.name": charts.MetricsServerRelease, "metadata.namespace": charts.Namespace,
		"spec.template.spec.dnsPolicy": "ClusterFirstWithHostNet",
	} {
		if v, _ := get(patch.Inputs, path); !v.IsString() || v.StringValue() != want {
			t.Errorf("dnsPolicy patch %s = %v, want %q", path, v, want)
		}
	}
	for _, rel := range []render.Resource{ms, lbc} {
		if v, _ := get(rel.Inputs, "version"); v.StringValue() == "" || strings.ContainsAny(v.StringValue(), "^~*x><") {
			t.Errorf("%s chart version %v is not pinned", rel.Name, v)
		}
		if v, _ := get(rel.Inputs, "namespace"); v.StringValue() != charts.Namespace {
			t.Errorf("%s in namespace %v", rel.Name, v)
		}
	}
}

func TestAddons_OnePodIdentityAgentAndTheControllersRoleWithItsPublishedPolicy(t *testing.T) {
	res := renderStack(t, devStackFile, nil)
	agent := oneWith(t, res, typeAddon, "addonName", "eks-pod-identity-agent")
	for _, ng := range ofType(res, typeNodeGroup) {
		if !dependsOn(agent, ng) {
			t.Errorf("the Pod Identity agent addon does not wait for node group %s", ng.Name)
		}
	}
	assoc := oneWith(t, res, typeAssoc, "serviceAccount", charts.LoadBalancerControllerServiceAccount)
	if !dependsOn(assoc, agent) {
		t.Errorf("the association does not wait for the agent: %v", assoc.DependsOn)
	}
	for path, want := range map[string]string{"namespace": charts.Namespace, "serviceAccount": charts.LoadBalancerControllerServiceAccount,
		"clusterName": res.Config.ClusterName()} {
		if v, _ := get(assoc.Inputs, path); v.StringValue() != want {
			t.Errorf("association %s = %v, want %q", path, v, want)
		}
	}
	var lbcRole render.Resource
	for _, r := range ofType(res, "aws:iam/role:Role") {
		if strings.Contains(r.URN, typeLBC) {
			lbcRole = r
		}
	}
	if lbcRole.Name != res.Config.ClusterName()+"-lbc" {
		t.Fatalf("controller role named %q, want %q (its autoname prefix, kept short)", lbcRole.Name, res.Config.ClusterName()+"-lbc")
	}
	trust, _ := get(lbcRole.Inputs, "assumeRolePolicy")
	if !strings.Contains(trust.StringValue(), `"Service":"pods.eks.amazonaws.com"`) {
		t.Errorf("controller role trusts %s, want pods.eks.amazonaws.com only", trust.StringValue())
	}
	var doc resource.PropertyValue
	for _, p := range ofType(res, "aws:iam/rolePolicy:RolePolicy") {
		if strings.Contains(p.URN, typeLBC) {
			doc, _ = get(p.Inputs, "policy")
		}
	}
	if !doc.IsString() {
		t.Fatalf("no inline policy on the controller's role: %v", doc)
	}
	release, _ := lbcpolicy.ForChart(res.Config.Addons.AwsLoadBalancerController.Version)
	if doc.StringValue() != release.Policy {
		t.Error("the controller's inline policy is not the published iam_policy.json of its release")
	}
	if !json.Valid([]byte(doc.StringValue())) {
		t.Error("the inline policy is not JSON")
	}
	// Told everything it would otherwise ask IMDS for (nodes keep a low hop limit).
	lbc := oneWith(t, res, typeRelease, "chart", charts.LoadBalancerControllerChart)
	for path, want := range map[string]string{"values.clusterName": res.Config.ClusterName(), "values.region": res.Config.Region,
		"values.vpcId": "vpc-" + res.Config.ClusterName(), "values.defaultTargetType": "instance"} {
		if v, _ := get(lbc.Inputs, path); v.StringValue() != want {
			t.Errorf("controller %s = %v, want %q", path, v, want)
		}
	}
}

func TestAddons_ProdInstallsNone(t *testing.T) {
	res := renderStack(t, prodStackFile, nil)
	if res.Config.Addons != nil {
		t.Fatalf("prod configures add-ons: %+v", res.Config.Addons)
	}
	for _, r := range res.Resources {
		if strings.Contains(r.Type, "MetricsServer") || r.Type == typeLBC || r.Type == typeAssoc ||
			(r.Type == typeRelease && !strings.Contains(r.URN, "Cilium")) {
			t.Errorf("prod registers %s %s", r.Type, r.Name)
		}
	}
	for _, r := range ofType(res, typeAddon) {
		if v, _ := get(r.Inputs, "addonName"); v.StringValue() == "eks-pod-identity-agent" {
			t.Error("prod installs the Pod Identity agent with no consumer")
		}
	}
}

func TestAddons_PortMapIsInTheRenderAndStaysStable(t *testing.T) {
	cfg, values, err := stackconfig.LoadFile(devStackFile)
	if err != nil {
		t.Fatal(err)
	}
	out, err := render.Stack(devStackFile, render.Options{}, "text", false)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Host ports", "* 20443/TCP  metrics-server", "* 20444/TCP  aws-load-balancer-controller", "10250/TCP  kubelet", "8472/UDP  cilium-agent"} {
		if !strings.Contains(out, want) {
			t.Errorf("text render lacks %q", want)
		}
	}
	res, err := render.Run(cfg.Stack, values, render.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := render.NewReport(res)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := rep.JSON()
	var doc struct {
		HostPorts []hostports.Entry `json:"hostPorts"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	planned := map[string]int{}
	for _, e := range doc.HostPorts {
		if e.Planned {
			planned[e.Holder+"/"+e.Purpose] = e.Port
		}
	}
	want := map[string]int{
		charts.MetricsServerRelease + "/" + charts.PurposeMetricsServerAPI: charts.MetricsServerSecurePort,
		charts.LoadBalancerControllerRelease + "/" + charts.PurposeWebhook: charts.LoadBalancerControllerWebhookPort,
		charts.LoadBalancerControllerRelease + "/" + charts.PurposeMetrics: charts.LoadBalancerControllerMetricsPort,
	}
	if fmt.Sprint(planned) != fmt.Sprint(want) {
		t.Errorf("JSON hostPorts plan %v, want %v", planned, want)
	}
	// Removing one add-on must not move the other's ports (a port change restarts it).
	only := cfg
	only.Addons = &stackconfig.AddonsConfig{AwsLoadBalancerController: cfg.Addons.AwsLoadBalancerController}
	onlyPlan, err := plan.New(plan.Inputs{Config: only})
	if err != nil {
		t.Fatal(err)
	}
	m := onlyPlan.HostPorts
	if err != nil {
		t.Fatal(err)
	}
	if p, _ := m.Port(charts.LoadBalancerControllerRelease, charts.PurposeWebhook); p != charts.LoadBalancerControllerWebhookPort {
		t.Errorf("without metrics-server the webhook moved to %d", p)
	}
}

// TestAddons_ACiliumPortMovedOntoAnAddonPortIsRefused: the plan reads the stack's own Cilium
// values, so a collision is a configuration problem before anything is registered.
func TestAddons_ACiliumPortMovedOntoAnAddonPortIsRefused(t *testing.T) {
	cfg, values, err := stackconfig.LoadFile(devStackFile)
	if err != nil {
		t.Fatal(err)
	}
	values[stackconfig.KeyCilium] = `{"version":"1.19.6","clusterPoolIPv4PodCIDRList":["10.200.0.0/16"],"values":{"prometheus":{"port":20444}}}`
	_, err = render.Run(cfg.Stack, values, render.Options{})
	if err == nil || !strings.Contains(err.Error(), "20444") || !strings.Contains(err.Error(), stackconfig.KeyAddons) {
		t.Fatalf("error %v, want a problem at eks-cilium:addons naming port 20444", err)
	}
}
