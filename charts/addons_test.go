package charts

import (
	"reflect"
	"strings"
	"testing"

	"github.com/eks-cilium/eks-cilium/hostports"
	"github.com/eks-cilium/eks-cilium/stackconfig"
)

func TestMetricsServerValues_RunOnTheHostNetworkOnThePlannedPort(t *testing.T) {
	for _, tc := range []struct {
		replicas int
		pdb      bool
	}{{1, false}, {3, true}} {
		v, err := MetricsServerValues(MetricsServerValuesInput{SecurePort: 20443, Replicas: tc.replicas})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]any{
			"hostNetwork":    map[string]any{"enabled": true},
			"containerPort":  20443,
			"replicas":       tc.replicas,
			"updateStrategy": map[string]any{"type": "RollingUpdate", "rollingUpdate": map[string]any{"maxSurge": 0, "maxUnavailable": 1}},
		}
		if tc.pdb {
			want["podDisruptionBudget"] = map[string]any{"enabled": true, "maxUnavailable": 1}
		}
		if !reflect.DeepEqual(v, want) {
			t.Errorf("replicas %d:\n got %v\nwant %v", tc.replicas, v, want)
		}
	}
}

func TestLoadBalancerControllerValues_HostNetworkInstanceTargetsNoIMDS(t *testing.T) {
	v, err := LoadBalancerControllerValues(LoadBalancerControllerValuesInput{
		ClusterName: "eks-cilium-dev", Region: "eu-west-1", VpcId: "vpc-1",
		WebhookPort: 20444, MetricsPort: 20445, ReplicaCount: 2,
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"clusterName": "eks-cilium-dev", "region": "eu-west-1", "vpcId": "vpc-1",
		"hostNetwork": true, "dnsPolicy": "ClusterFirstWithHostNet",
		"webhookBindPort": 20444, "metricsBindAddr": ":20445",
		"replicaCount": 2, "defaultTargetType": "instance",
		"serviceAccount":      map[string]any{"create": true, "name": "aws-load-balancer-controller"},
		"updateStrategy":      map[string]any{"type": "RollingUpdate", "rollingUpdate": map[string]any{"maxSurge": 0, "maxUnavailable": 1}},
		"podDisruptionBudget": map[string]any{"maxUnavailable": 1},
	}
	if !reflect.DeepEqual(v, want) {
		t.Errorf("\n got %v\nwant %v", v, want)
	}
	single, _ := LoadBalancerControllerValues(LoadBalancerControllerValuesInput{
		ClusterName: "c", Region: "r", VpcId: "v", WebhookPort: 1, MetricsPort: 2, ReplicaCount: 1})
	if _, ok := single["podDisruptionBudget"]; ok {
		t.Error("a single replica got a disruption budget, which would block every node drain")
	}
}

func TestValues_RefuseWhatCannotRun(t *testing.T) {
	for name, err := range map[string]error{
		"metrics-server without a port":   errOf(MetricsServerValues(MetricsServerValuesInput{Replicas: 1})),
		"metrics-server without replicas": errOf(MetricsServerValues(MetricsServerValuesInput{SecurePort: 20443})),
		"controller without a region": errOf(LoadBalancerControllerValues(LoadBalancerControllerValuesInput{
			ClusterName: "c", VpcId: "v", WebhookPort: 1, MetricsPort: 2, ReplicaCount: 1})),
		"controller with one port for two listeners": errOf(LoadBalancerControllerValues(LoadBalancerControllerValuesInput{
			ClusterName: "c", Region: "r", VpcId: "v", WebhookPort: 20444, MetricsPort: 20444, ReplicaCount: 1})),
	} {
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func errOf(_ map[string]any, err error) error { return err }

func TestPortRequests_EachAddonKeepsItsPortsWhateverElseIsInstalled(t *testing.T) {
	ms := &stackconfig.MetricsServerConfig{Version: "3.13.1"}
	lbc := &stackconfig.AwsLoadBalancerControllerConfig{Version: "3.5.0"}
	both := AddonPortRequests(&stackconfig.AddonsConfig{MetricsServer: ms, AwsLoadBalancerController: lbc})
	if len(both) != 3 {
		t.Fatalf("requests %v, want three", both)
	}
	for _, r := range both {
		if r.Port == 0 {
			t.Errorf("%s/%s asks for any port; an add-on's port must not depend on the others", r.Holder, r.Purpose)
		}
	}
	alone := AddonPortRequests(&stackconfig.AddonsConfig{AwsLoadBalancerController: lbc})
	if !reflect.DeepEqual(alone, both[1:]) {
		t.Errorf("the controller alone asks for %v, with metrics-server for %v", alone, both[1:])
	}
	if AddonPortRequests(nil) != nil || AddonPortsHeld(nil) != nil || AddonPortsHeld(&stackconfig.AddonsConfig{MetricsServer: ms}) != nil {
		t.Error("no add-on must request or hold nothing")
	}
	held := AddonPortsHeld(&stackconfig.AddonsConfig{AwsLoadBalancerController: lbc})
	if len(held) != 1 || held[0].Port != 61779 || held[0].Protocol != hostports.TCP {
		t.Errorf("controller holds %v, want its fixed probe port 61779/TCP", held)
	}
	// The fixed ports of a full installation fit a real node.
	node, err := hostports.NodeHeld(hostports.Node{CiliumValues: map[string]any{}, KubeProxy: true, PodIdentityAgent: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := hostports.Plan(append(node, held...), both); err != nil {
		t.Errorf("the add-ons' ports collide with a node's: %v", err)
	}
	if !strings.Contains(MetricsServerDNSPolicy.DNSPolicy, "WithHostNet") || MetricsServerDNSPolicy.Deployment != MetricsServerRelease {
		t.Errorf("dnsPolicy patch %+v", MetricsServerDNSPolicy)
	}
}
