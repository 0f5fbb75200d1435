// Package pack is the CrossGuard policy pack of eks-cilium: the rules an EKS cluster whose
// only CNI is Cilium (ClusterPool IPAM, tunnel routing) must follow, checked against the
// pulumi-eks component inputs and the AWS, Helm and IAM resources a real run creates.
//
// # Running the pack
//
// The pack is the Go program in the policies/ folder (PulumiPolicy.yaml + main.go). From the
// project root:
//
//	pulumi preview --policy-pack policies
//	pulumi up      --policy-pack policies
//
// Mandatory policies fail the preview/update; advisory ones print a warning. To change an
// advisory policy's level or options, pass a JSON file:
//
//	pulumi preview --policy-pack policies --policy-pack-config policy-config.json
//
// where policy-config.json looks like
//
//	{
//	  "imdsv2-required":            {"enforcementLevel": "mandatory", "maxHopLimit": 1},
//	  "control-plane-logs":         {"requiredLogTypes": ["api", "audit", "authenticator"]},
//	  "restricted-public-endpoint": {"allowPublicEndpoint": false},
//	  "hubble-enabled":             "disabled"
//	}
//
// Every policy accepts "enforcementLevel" ("advisory", "mandatory" or "disabled"); the options of
// each advisory policy are listed in its ConfigSchema and in policies/README.md.
//
// Offline (no cloud account, no pulumi CLI) the same policies run through [Evaluate] over the
// resources a mocked program registered, e.g. `go run ./cmd/render -stack NAME -policy`.
//
// # Unknown values
//
// During preview many properties are unknown (computed). No policy reports a violation for a
// value it cannot see: it skips the check and the next preview or update checks it again.
// Absent properties are different: the provider's default applies, and when that default is
// what the policy forbids (a public API endpoint open to 0.0.0.0/0, no startup taint) the
// absence is reported.
//
// A component of pulumi-eks (eks:index:*) is a remote component: its provider registers it
// with no properties, so during a real `pulumi preview`/`up` the engine shows the pack an
// empty map for it and its checks are skipped; the AWS resources it creates carry the same
// rules (aws:eks/cluster:Cluster, aws:eks/nodeGroup:NodeGroup, aws:ec2/launchTemplate, ...).
// Offline no component provider runs, so the component's inputs stand in for those
// resources, and both are checked.
//
// # When a policy can block
//
// Resource policies see each resource's inputs before it is created or updated, in a
// preview (a first one included) and again in the update, where a mandatory violation stops
// the update before that resource. Stack policies see outputs once every step has run: in a
// preview that is at its end, before anything is created; in an update (`up --skip-preview`,
// or the Automation API's Up) only after every resource exists. In a first preview most
// outputs are unknown: a resource created under a provider whose configuration is not known
// yet (the Kubernetes provider of a new cluster) has no outputs at all, and no new resource
// has an id. So rules that compare values of two resources are written to work on what a
// first preview knows: pod-cidr-no-overlap is a resource policy that remembers the ranges of
// the resources it has seen in the run, and nodes-no-public-ip follows the engine's property
// dependencies from a node group's subnet list to the subnets it was computed from.
// policies/README.md has the table of when each policy can block.
package pack

import (
	"context"
	"fmt"

	"github.com/blang/semver"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
)

// Name is the policy pack's name as the Pulumi engine reports it.
const Name = "eks-cilium"

// Version is the pack's version; keep it equal to `version` in policies/PulumiPolicy.yaml.
const Version = "0.1.0"

// Resource type tokens the policies inspect.
const (
	typeEksCluster          = "eks:index:Cluster"
	typeEksManagedNodeGroup = "eks:index:ManagedNodeGroup"
	typeEksNodeGroup        = "eks:index:NodeGroup"
	typeEksNodeGroupV2      = "eks:index:NodeGroupV2"
	typeEksAddon            = "eks:index:Addon"
	typeEksVpcCniAddon      = "eks:index:VpcCniAddon"

	typeAwsEksCluster       = "aws:eks/cluster:Cluster"
	typeAwsEksNodeGroup     = "aws:eks/nodeGroup:NodeGroup"
	typeAwsEksAddon         = "aws:eks/addon:Addon"
	typeAwsLaunchTemplate   = "aws:ec2/launchTemplate:LaunchTemplate"
	typeAwsSubnet           = "aws:ec2/subnet:Subnet"
	typeAwsVpc              = "aws:ec2/vpc:Vpc"
	typeAwsVpcCidrAssoc     = "aws:ec2/vpcIpv4CidrBlockAssociation:VpcIpv4CidrBlockAssociation"
	typeAwsIamRole          = "aws:iam/role:Role"
	typeAwsRolePolicyAttach = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"

	typeHelmRelease = "kubernetes:helm.sh/v3:Release"
	typeHelmChartV4 = "kubernetes:helm.sh/v4:Chart"
)

// New returns the policy pack served by policies/main.go.
func New() (policyx.PolicyPack, error) {
	// The pack-level enforcement level is not stored by policyx.NewPolicyPack (v3.274.1); every
	// policy below sets its own.
	return policyx.NewPolicyPack(Name, semver.MustParse(Version), policyx.EnforcementLevelAdvisory, Policies())
}

// Policies returns every policy of the pack, mandatory ones first, in a fixed order. Each call
// returns a fresh pod-cidr-no-overlap, whose memory spans one preview or update.
func Policies() []policyx.Policy {
	return []policyx.Policy{
		noVpcCni,
		ciliumStartupTaint,
		nodesNoPublicIP,
		ciliumClusterPool,
		pinnedChartVersion,
		newPodCIDRNoOverlap(),
		noCNIPolicyOnNodes,
		noIPTargets,
		karpenterStartupTaint,
		vpcCniKeptUntilRemoval,
		newCiliumMigrationMode(),
		imdsv2Required,
		karpenterIMDSv2,
		encryptedVolumes,
		controlPlaneLogs,
		secretsEncryption,
		restrictedPublicEndpoint,
		hubbleEnabled,
		webhooksOnHostNetwork,
	}
}

// resourceCheck inspects one resource and returns one message per violation. cfg holds the
// policy's options as the engine passes them (nil when the user set none).
type resourceCheck func(res policyx.AnalyzerResource, cfg map[string]any) []string

// finding is one violation of a stack policy, attributed to a resource.
type finding struct {
	urn     string
	message string
}

// stackCheck inspects every resource of the stack.
type stackCheck func(resources []policyx.AnalyzerResource) []finding

// resourcePolicy adapts a resourceCheck to policyx, reporting every message against the
// resource's URN.
func resourcePolicy(
	name, description string, level policyx.EnforcementLevel, schema *policyx.ConfigSchema, check resourceCheck,
) policyx.ResourceValidationPolicy {
	return policyx.NewResourceValidationPolicy(name, policyx.ResourceValidationPolicyArgs{
		Description:      description,
		EnforcementLevel: level,
		ConfigSchema:     schema,
		ValidateResource: func(_ context.Context, args policyx.ResourceValidationArgs) error {
			for _, message := range check(args.Resource, args.Config) {
				args.Manager.ReportViolation(message, args.Resource.URN)
			}
			return nil
		},
	})
}

// stackPolicy adapts a stackCheck to policyx. Stack policies get no config from policyx
// (StackValidationArgs has no Config field), so they have no options.
func stackPolicy(
	name, description string, level policyx.EnforcementLevel, check stackCheck,
) policyx.StackValidationPolicy {
	return policyx.NewStackValidationPolicy(name, policyx.StackValidationPolicyArgs{
		Description:      description,
		EnforcementLevel: level,
		ValidateStack: func(_ context.Context, args policyx.StackValidationArgs) error {
			for _, f := range check(args.Resources) {
				args.Manager.ReportViolation(f.message, f.urn)
			}
			return nil
		},
	})
}

// inputsHidden reports whether res is a pulumi-eks component whose properties the engine
// does not show: its provider registers it with an empty map (see the package doc), so an
// empty map says nothing about what the user set.
func inputsHidden(res policyx.AnalyzerResource) bool {
	switch res.Type {
	case typeEksCluster, typeEksManagedNodeGroup, typeEksNodeGroup, typeEksNodeGroupV2, typeEksAddon,
		typeEksVpcCniAddon:
		return res.Properties.Len() == 0
	}
	return false
}

// levelName is the name the Pulumi CLI and policy-pack config use for a level.
func levelName(level policyx.EnforcementLevel) string {
	switch level {
	case policyx.EnforcementLevelAdvisory:
		return "advisory"
	case policyx.EnforcementLevelMandatory:
		return "mandatory"
	case policyx.EnforcementLevelDisabled:
		return "disabled"
	case policyx.EnforcementLevelRemediate:
		return "remediate"
	}
	return fmt.Sprintf("level(%d)", int32(level))
}
