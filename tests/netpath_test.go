package tests

// The network path from the EKS control plane to the add-ons' host ports, derived from the
// resources the program registers and from what EKS and pulumi-eks document:
//
//   - EKS creates the cluster security group eks-cluster-sg-<cluster>-<id>: inbound all
//     traffic from itself, outbound all (https://docs.aws.amazon.com/eks/latest/userguide/sec-group-reqs.html,
//     "Default cluster security group"). It is on the control plane's ENIs.
//   - pulumi-eks v3 adds <name>-eksClusterSecurityGroup to the control plane's ENIs
//     (vpcConfig.securityGroupIds) with one rule, egress all (nodejs/eks/cluster/cluster.ts,
//     eksClusterInternetEgressRule), unless skipDefaultSecurityGroups is set.
//   - A managed node group's instances get the cluster security group when its launch template
//     names no security group; "If you specify custom security groups in the launch template
//     ... Amazon EKS doesn't add the cluster security group"
//     (https://docs.aws.amazon.com/eks/latest/userguide/launch-templates.html).
//
// So, as long as the launch templates name no security group, the control plane and the nodes
// share the cluster security group and its self rule admits every port: no rule needs adding.
// The model below evaluates security groups the way EC2 does (stateful; egress of the source
// and ingress of the destination must both allow the flow) and the test fails as soon as the
// program gives nodes a security group of their own.

import (
	"testing"

	"github.com/eks-cilium/eks-cilium/render"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// sgRule allows TCP ports from..to to or from a peer: another group's name, "self", or a CIDR
// ("0.0.0.0/0" only, which is all this model needs).
type sgRule struct {
	from, to int
	peer     string
}

type securityGroup struct {
	name            string
	ingress, egress []sgRule
}

func (r sgRule) covers(port int) bool { return port >= r.from && port <= r.to }

// allowsTCP reports whether an ENI carrying src may open a TCP connection to port on an ENI
// carrying dst.
func allowsTCP(src, dst []securityGroup, port int) bool {
	carries := func(set []securityGroup, name string) bool {
		for _, g := range set {
			if g.name == name {
				return true
			}
		}
		return false
	}
	out := false
	for _, g := range src {
		for _, r := range g.egress {
			if r.covers(port) && (r.peer == "0.0.0.0/0" || carries(dst, r.peer) || (r.peer == "self" && carries(dst, g.name))) {
				out = true
			}
		}
	}
	in := false
	for _, g := range dst {
		for _, r := range g.ingress {
			if r.covers(port) && (r.peer == "0.0.0.0/0" || carries(src, r.peer) || (r.peer == "self" && carries(src, g.name))) {
				in = true
			}
		}
	}
	return out && in
}

var (
	// eksClusterSG is the group EKS creates, with its documented default rules.
	eksClusterSG = securityGroup{name: "eks-cluster-sg",
		ingress: []sgRule{{0, 65535, "self"}}, egress: []sgRule{{0, 65535, "0.0.0.0/0"}}}
	// pulumiEksClusterSG is pulumi-eks's extra control-plane group.
	pulumiEksClusterSG = securityGroup{name: "eksClusterSecurityGroup", egress: []sgRule{{0, 65535, "0.0.0.0/0"}}}
)

// securityGroupsOf derives which groups the control plane's ENIs and the nodes carry from
// the registered resources; ok is false when a node carries a group the model cannot see.
func securityGroupsOf(t *testing.T, res *render.Result) (controlPlane, nodes []securityGroup, ok bool) {
	t.Helper()
	cluster := one(t, res, typeCluster)
	controlPlane = []securityGroup{eksClusterSG}
	if v, set := get(cluster.Inputs, "skipDefaultSecurityGroups"); !set || !v.BoolValue() {
		controlPlane = append(controlPlane, pulumiEksClusterSG)
	}
	for _, path := range []string{"clusterSecurityGroup", "additionalSecurityGroupIds"} {
		if _, set := get(cluster.Inputs, path); set {
			t.Errorf("the cluster sets %s; the control plane's groups are no longer the model's", path)
		}
	}
	for _, lt := range ofType(res, typeLT) {
		for _, path := range []string{"vpcSecurityGroupIds", "securityGroupNames"} {
			if _, set := get(lt.Inputs, path); set {
				t.Logf("launch template %s sets %s: EKS no longer adds the cluster security group", lt.Name, path)
				return controlPlane, nil, false
			}
		}
		if v, set := get(lt.Inputs, "networkInterfaces"); set && v.IsArray() {
			for _, ni := range v.ArrayValue() {
				if ni.IsObject() && ni.ObjectValue().HasValue(resource.PropertyKey("securityGroups")) {
					t.Logf("launch template %s sets networkInterfaces[].securityGroups", lt.Name)
					return controlPlane, nil, false
				}
			}
		}
	}
	for _, ng := range ofType(res, typeNodeGroup) {
		if _, set := get(ng.Inputs, "remoteAccess"); set {
			t.Errorf("node group %s sets remoteAccess; its extra group is not modelled", ng.Name)
		}
	}
	return controlPlane, []securityGroup{eksClusterSG}, true
}

func TestNetworkPath_ControlPlaneReachesEveryPlannedHostPortWithoutExtraRules(t *testing.T) {
	res := renderStack(t, devStackFile, nil)
	controlPlane, nodes, ok := securityGroupsOf(t, res)
	if !ok {
		t.Fatal("the nodes carry security groups of their own: the add-ons' host ports need explicit ingress rules from the cluster security group")
	}
	for _, r := range res.Resources {
		if r.Type == "aws:ec2/securityGroup:SecurityGroup" || r.Type == "aws:ec2/securityGroupRule:SecurityGroupRule" ||
			r.Type == "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule" {
			t.Errorf("the program registers %s %s; the model assumes it adds no security group or rule", r.Type, r.Name)
		}
	}
	ports := res.Plan.HostPorts
	checked := 0
	for _, e := range ports.Planned() {
		checked++
		if !allowsTCP(controlPlane, nodes, e.Port) {
			t.Errorf("the control plane cannot reach %s's %s on port %d", e.Holder, e.Purpose, e.Port)
		}
	}
	if checked == 0 {
		t.Fatal("the dev stack plans no host port; this test proves nothing")
	}
	// The kubelet port, which the API server always calls (logs, exec), goes the same way.
	if !allowsTCP(controlPlane, nodes, 10250) {
		t.Error("the model does not even let the control plane reach the kubelet")
	}
}

// The model must be able to say no: nodes with a group of their own that only admits 443
// from the cluster group (a common hand-written setup) block the planned ports.
func TestNetworkPath_ModelRefusesWhatSecurityGroupsDoNotAllow(t *testing.T) {
	res := renderStack(t, devStackFile, nil)
	controlPlane, _, _ := securityGroupsOf(t, res)
	nodeSG := securityGroup{name: "nodes", ingress: []sgRule{{443, 443, "eks-cluster-sg"}}, egress: []sgRule{{0, 65535, "0.0.0.0/0"}}}
	if allowsTCP(controlPlane, []securityGroup{nodeSG}, 20444) {
		t.Error("a node group admitting only 443 was found to admit 20444")
	}
	if !allowsTCP(controlPlane, []securityGroup{nodeSG}, 443) {
		t.Error("the model refuses the one port the node group admits")
	}
	noEgress := []securityGroup{{name: "eks-cluster-sg", ingress: eksClusterSG.ingress}}
	if allowsTCP(noEgress, []securityGroup{eksClusterSG}, 20444) {
		t.Error("a source without egress rules was allowed out")
	}
}
