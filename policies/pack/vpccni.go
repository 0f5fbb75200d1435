package pack

import (
	"fmt"
	"slices"
	"strings"

	"github.com/eks-cilium/eks-cilium/migration"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
)

const vpcCniAddonName = "vpc-cni"

// awsNodeWhy is the fact behind no-vpc-cni, appended to its messages.
const awsNodeWhy = "aws-node (the Amazon VPC CNI) would run beside Cilium and both would try to wire up every pod"

var noVpcCni = resourcePolicy(
	"no-vpc-cni",
	"Cilium is the cluster's only CNI: nothing may install the Amazon VPC CNI (aws-node).",
	policyx.EnforcementLevelMandatory,
	nil,
	checkNoVpcCni,
)

func checkNoVpcCni(res policyx.AnalyzerResource, _ map[string]any) []string {
	if inputsHidden(res) {
		return nil
	}
	props := res.Properties
	switch res.Type {
	case typeEksVpcCniAddon:
		return []string{fmt.Sprintf("%s installs the vpc-cni add-on: %s; remove it.", typeEksVpcCniAddon, awsNodeWhy)}
	case typeAwsEksAddon, typeEksAddon:
		if name, p, ok := stringAt(props, "addonName"); p == known && ok && name == vpcCniAddonName {
			// An adopted cluster's own add-on, during its migration, fenced off the nodes
			// Cilium serves (docs/migration.md); vpc-cni-kept-until-removal guards it then.
			if _, p := lookup(props, "configurationValues"); p == unknown || fencesAwsNode(props) {
				return nil
			}
			return []string{fmt.Sprintf("addonName is %q: %s; remove the add-on (during a migration its configurationValues must keep aws-node off nodes labelled %s=%s).",
				name, awsNodeWhy, migration.NodeLabelKey, migration.NodeLabelValue)}
		}
	case typeEksCluster:
		return checkEksClusterKeepsAwsNodeAway(props)
	case typeAwsEksCluster:
		return checkAwsClusterKeepsAwsNodeAway(props)
	}
	return nil
}

// checkEksClusterKeepsAwsNodeAway checks the three pulumi-eks v3.9.1 inputs that, together,
// leave a new cluster without aws-node (pulumi-eks v3.9.1 nodejs/eks/cluster/cluster.ts:
// skipDefaultNodeGroup :915-951, useDefaultVpcCni :1082-1086, defaultAddonsToRemove
// :1737-1742; docs/design.md, "pulumi-eks v3.9.1").
func checkEksClusterKeepsAwsNodeAway(props property.Map) []string {
	var out []string
	if v, p := lookup(props, "skipDefaultNodeGroup"); p != unknown && !(v.IsBool() && v.AsBool()) {
		out = append(out, fmt.Sprintf("skipDefaultNodeGroup is %s, want true: the default node group is "+
			"created inside the cluster component, before Cilium exists, so its nodes never become Ready "+
			"and pulumi-eks's default instance role carries AmazonEKS_CNI_Policy.", describe(v, p)))
	}
	if v, p := lookup(props, "useDefaultVpcCni"); p != unknown && !(v.IsBool() && v.AsBool()) {
		out = append(out, fmt.Sprintf("useDefaultVpcCni is %s, want true: otherwise pulumi-eks installs its "+
			"own vpc-cni add-on (eks:index:VpcCniAddon), and %s.", describe(v, p), awsNodeWhy))
	}
	if v, p := lookup(props, "defaultAddonsToRemove"); p != unknown {
		items, someUnknown := stringItems(v)
		if !slices.Contains(items, vpcCniAddonName) && !someUnknown {
			out = append(out, fmt.Sprintf("defaultAddonsToRemove is %s, want it to contain %q: EKS bootstraps "+
				"aws-node into every new cluster and only this input makes pulumi-eks delete it (at creation), "+
				"otherwise %s.", describe(v, p), vpcCniAddonName, awsNodeWhy))
		}
	}
	return out
}

// checkAwsClusterKeepsAwsNodeAway accepts either way the AWS provider (v6) has to create a
// cluster without aws-node: defaultAddonsToRemoves (what pulumi-eks v3 sets) or
// bootstrapSelfManagedAddons=false.
func checkAwsClusterKeepsAwsNodeAway(props property.Map) []string {
	bootstrap, bp := lookup(props, "bootstrapSelfManagedAddons")
	if bp == unknown || (bootstrap.IsBool() && !bootstrap.AsBool()) {
		return nil
	}
	remove, rp := lookup(props, "defaultAddonsToRemoves")
	if rp == unknown {
		return nil
	}
	items, someUnknown := stringItems(remove)
	if slices.Contains(items, vpcCniAddonName) || someUnknown {
		return nil
	}
	return []string{fmt.Sprintf("bootstrapSelfManagedAddons is %s and defaultAddonsToRemoves is %s: EKS then "+
		"bootstraps the vpc-cni add-on, and %s; set defaultAddonsToRemoves to include %q or "+
		"bootstrapSelfManagedAddons to false.",
		describe(bootstrap, bp), describe(remove, rp), awsNodeWhy, vpcCniAddonName)}
}

// cniPolicySuffix matches AmazonEKS_CNI_Policy in every partition (aws, aws-cn, aws-us-gov).
const cniPolicySuffix = "/AmazonEKS_CNI_Policy"

const cniPolicyWhy = "the policy lets its holder create and attach ENIs and assign IPs in the account's " +
	"VPCs; only aws-node uses it and Cilium's ClusterPool IPAM never calls EC2, so on a node role it is " +
	"power a compromised node could use and nothing else needs"

var noCNIPolicyOnNodes = resourcePolicy(
	"no-cni-policy-on-nodes",
	"No IAM role gets AmazonEKS_CNI_Policy: without the VPC CNI nothing on the nodes needs it.",
	policyx.EnforcementLevelMandatory,
	nil,
	checkNoCNIPolicyOnNodes,
)

func checkNoCNIPolicyOnNodes(res policyx.AnalyzerResource, _ map[string]any) []string {
	switch res.Type {
	case typeAwsRolePolicyAttach:
		if arn, p, ok := stringAt(res.Properties, "policyArn"); p == known && ok && strings.HasSuffix(arn, cniPolicySuffix) {
			return []string{fmt.Sprintf("policyArn is %q: %s.", arn, cniPolicyWhy)}
		}
	case typeAwsIamRole:
		v, p := lookup(res.Properties, "managedPolicyArns")
		if p != known {
			return nil
		}
		arns, _ := stringItems(v)
		var out []string
		for _, arn := range arns {
			if strings.HasSuffix(arn, cniPolicySuffix) {
				out = append(out, fmt.Sprintf("managedPolicyArns contains %q: %s.", arn, cniPolicyWhy))
			}
		}
		return out
	}
	return nil
}
