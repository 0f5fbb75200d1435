package rules

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/eks-cilium/eks-cilium/stackconfig"
	"github.com/eks-cilium/eks-cilium/versions"
)

var (
	// al2023ReleaseRe is an amazon-eks-ami release tag: v and the build date, as in the AMI
	// names amazon-eks-node-al2023-<arch>-standard-<minor>-v20260714 (amazon-eks-ami
	// Makefile: ami_name ?= $(AMI_VARIANT)-node-$(K8S_VERSION_MINOR)-$(AMI_VERSION)).
	al2023ReleaseRe = regexp.MustCompile(`^v20[0-9]{6}$`)
	// bottlerocketReleaseRe is a Bottlerocket OS version; the SSM path carries it without the
	// v, which is accepted and dropped here as Karpenter does (karpenter-provider-aws
	// pkg/providers/amifamily/bottlerocket.go, DescribeImageQuery: "prefixed with a v on
	// GitHub, but not in the SSM path").
	bottlerocketReleaseRe = regexp.MustCompile(`^v?[0-9]+\.[0-9]+\.[0-9]+$`)
)

// AmiParameter is the public SSM parameter that holds a node group's image: the recommended
// one of the AMI type and Kubernetes minor (https://docs.aws.amazon.com/eks/latest/userguide/retrieve-ami-id.html,
// retrieve-ami-id-bottlerocket.html), or with a release the image of that release. The pinned
// forms are the ones Karpenter resolves its amiVersion aliases with (karpenter-provider-aws
// pkg/providers/amifamily/al2023.go resolvePath: .../<minor>/amazon-linux-2023/<arch>/standard/
// amazon-eks-node-al2023-<arch>-standard-<minor>-<release>/image_id; bottlerocket.go:
// /aws/service/bottlerocket/aws-k8s-<minor>/<arch>/<version without v>/image_id). pulumi-eks
// v3.9.1 looks up the same recommended parameters (nodejs/eks/nodes/ami.ts).
func AmiParameter(amiType, kubernetesVersion, release string) (string, error) {
	arch := ""
	switch amiType {
	case "AL2023_x86_64_STANDARD", "BOTTLEROCKET_x86_64":
		arch = "x86_64"
	case "AL2023_ARM_64_STANDARD", "BOTTLEROCKET_ARM_64":
		arch = "arm64"
	default:
		return "", fmt.Errorf("AMI type %q: must be one of %s", amiType, strings.Join(AmiTypes, ", "))
	}
	if strings.HasPrefix(amiType, "BOTTLEROCKET_") {
		version := "latest"
		if release != "" {
			version = strings.TrimPrefix(release, "v")
		}
		return fmt.Sprintf("/aws/service/bottlerocket/aws-k8s-%s/%s/%s/image_id", kubernetesVersion, arch, version), nil
	}
	name := "recommended"
	if release != "" {
		name = fmt.Sprintf("amazon-eks-node-al2023-%s-standard-%s-%s", arch, kubernetesVersion, release)
	}
	return fmt.Sprintf("/aws/service/eks/optimized-ami/%s/amazon-linux-2023/%s/standard/%s/image_id", kubernetesVersion, arch, name), nil
}

// CheckNodeGroupAMIs checks each node group's amiVersion: an unpinned group is warned (it
// rolls whenever AWS publishes an AMI, awslabs/amazon-eks-ami#2119 and pulumi/pulumi-eks#875
// show what an unplanned roll costs); a pinned AL2023 release must exist for the cluster's
// Kubernetes minor in amazon-eks-ami's release list (versions/data/amazon-eks-ami.json), or is
// warned when the list does not know it. Bottlerocket releases are checked for their form
// only: no release list of Bottlerocket was available here.
func CheckNodeGroupAMIs(cfg stackconfig.Config) (warnings, refusals stackconfig.Problems) {
	c := &collector{}
	minor := cfg.Cluster.Version
	for i, ng := range cfg.NodeGroups {
		key := nodeGroupKey(i, "amiVersion")
		bottlerocket := strings.HasPrefix(ng.AmiType, "BOTTLEROCKET_")
		example := "v20260714"
		if newest := versions.NewestAMIRelease(minor); newest != "" {
			example = newest
		}
		switch {
		case ng.AmiVersion == "":
			fix := "pin a release: amiVersion: " + example + " (the newest amazon-eks-ami release for " + minor + " in this project's table, read " + versions.AMIs.Read + ")"
			if bottlerocket {
				fix = "pin a Bottlerocket release, e.g. amiVersion: v1.38.0 (aws ssm get-parameters-by-path --path /aws/service/bottlerocket/aws-k8s-" + minor + "/ lists them)"
			}
			c.warnings(stackconfig.Problem{Key: key, Value: "(unset)",
				Rule: "is not pinned: the launch template takes the recommended AMI at every deploy, so the first `pulumi up` after AWS publishes an AMI rolls every node of the group, whatever else it changes",
				Fix:  fix})
		case ng.AmiVersion == "latest":
			c.refuse(key, ng.AmiVersion, "must be a release: leave amiVersion out for the recommended AMI (warned), or pin one", "amiVersion: "+example)
		case bottlerocket:
			if !bottlerocketReleaseRe.MatchString(ng.AmiVersion) {
				c.refuse(key, ng.AmiVersion, "must be a Bottlerocket release such as v1.38.0 (the version in /aws/service/bottlerocket/aws-k8s-<minor>/<arch>/<version>/image_id)", "")
			}
		case !al2023ReleaseRe.MatchString(ng.AmiVersion):
			c.refuse(key, ng.AmiVersion, "must be an amazon-eks-ami release vYYYYMMDD such as "+example+" (the release in the AMI name amazon-eks-node-al2023-<arch>-standard-<minor>-<release>)", "")
		default:
			checkAL2023Release(c, key, ng, minor)
		}
	}
	return c.result()
}

// checkAL2023Release checks a well-formed AL2023 release against amazon-eks-ami's list.
func checkAL2023Release(c *collector, key string, ng stackconfig.NodeGroupConfig, minor string) {
	param, err := AmiParameter(ng.AmiType, minor, ng.AmiVersion)
	if err != nil {
		return // the AMI type's own rule refuses it
	}
	check := "check before `pulumi up`: aws ssm get-parameter --name " + param
	rel, known := versions.AMIReleaseOf(ng.AmiVersion)
	newest := versions.NewestAMIRelease(minor)
	switch {
	case known && rel.Abandoned:
		c.refuse(key, ng.AmiVersion, "is an abandoned amazon-eks-ami release: it was never published (amazon-eks-ami CHANGELOG)", pinFix(newest, minor))
	case known && !slices.Contains(rel.Kubernetes, minor):
		c.refuse(key, ng.AmiVersion, fmt.Sprintf("has no AL2023 image for Kubernetes %s: release %s built %s (amazon-eks-ami CHANGELOG), so the SSM parameter %s does not exist",
			minor, ng.AmiVersion, strings.Join(rel.Kubernetes, ", "), param), pinFix(newest, minor))
	case !known && len(versions.AMIs.Releases) > 0 && ng.AmiVersion > versions.AMIs.Releases[len(versions.AMIs.Releases)-1].Release:
		c.warnings(stackconfig.Problem{Key: key, Value: ng.AmiVersion,
			Rule: "is newer than the amazon-eks-ami releases this project's table lists (its CHANGELOG, read " + versions.AMIs.Read + "), so it is not checked that it has an image for Kubernetes " + minor,
			Fix:  check})
	case !known:
		c.warnings(stackconfig.Problem{Key: key, Value: ng.AmiVersion,
			Rule: "is not among the amazon-eks-ami releases its CHANGELOG lists (read " + versions.AMIs.Read + "): a missing release fails the node group's launch template at deploy",
			Fix:  check})
	}
}

func pinFix(newest, minor string) string {
	if newest == "" {
		return "pin a release that built Kubernetes " + minor
	}
	return "pin a release that built Kubernetes " + minor + ", e.g. " + newest
}

func (c *collector) warnings(p stackconfig.Problem) { c.warned = append(c.warned, p) }
