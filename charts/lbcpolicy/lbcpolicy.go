// Package lbcpolicy carries the IAM policy the AWS Load Balancer Controller publishes for
// each release, keyed by the Helm chart version that installs that release. The policy
// follows the controller: a chart version without its policy here is refused, because a
// newer controller calls APIs an older policy denies (AccessDenied at reconcile time, long
// after `pulumi up` succeeded).
package lbcpolicy

import (
	_ "embed"
	"sort"
)

// iam_policy-v3.5.0.json is, byte for byte, kubernetes-sigs/aws-load-balancer-controller
// docs/install/iam_policy.json at tag v3.5.0
// (https://raw.githubusercontent.com/kubernetes-sigs/aws-load-balancer-controller/v3.5.0/docs/install/iam_policy.json),
// sha256 16f232c9d9f79366fe949c4550ad517a202380058a9e48d45a4e215044a20a6a. CI compares it
// with that URL (.github/workflows/ci.yml).
//
//go:embed iam_policy-v3.5.0.json
var policyV350 string

// Release is one controller release the chart installs.
type Release struct {
	// ChartVersion is the aws-load-balancer-controller chart version (eks-charts).
	ChartVersion string
	// AppVersion is the chart's appVersion: the controller image tag and the git tag the
	// policy is taken from.
	AppVersion string
	// Policy is docs/install/iam_policy.json at AppVersion, verbatim.
	Policy string
	// SHA256 is the policy file's sha256, as downloaded from the tag.
	SHA256 string
	// URL is where the policy is published.
	URL string
	// CRDs are the chart's crds/ files as published at AppVersion's tag. `helm install`
	// applies them, `helm upgrade` does not ("The helm install command automatically applies
	// the CRDs, but helm upgrade doesn't", docs/deploy/installation.md at v3.5.0), so the
	// component applies them itself, before the release.
	CRDs []CRDFile
}

// CRDFile is one file of the chart's crds/ directory.
type CRDFile struct {
	// Name is the file's name in crds/.
	Name string
	// URL is the file at the release tag; GitBlob is its git blob hash there (git ls-tree),
	// which tests/chart checks against the packaged chart's file.
	URL, GitBlob string
}

var releases = map[string]Release{
	// Chart 3.5.0: aws/eks-charts commit 5239609, stable/aws-load-balancer-controller/Chart.yaml appVersion v3.5.0.
	"3.5.0": {
		ChartVersion: "3.5.0",
		AppVersion:   "v3.5.0",
		Policy:       policyV350,
		SHA256:       "16f232c9d9f79366fe949c4550ad517a202380058a9e48d45a4e215044a20a6a",
		URL:          "https://raw.githubusercontent.com/kubernetes-sigs/aws-load-balancer-controller/v3.5.0/docs/install/iam_policy.json",
		// git ls-tree v3.5.0 helm/aws-load-balancer-controller/crds/ (commit 11eb202c); the
		// packaged chart 3.5.0 carries the same two files.
		CRDs: []CRDFile{
			{Name: "crds.yaml", GitBlob: "f41daf7ae70237996b8a43befd70988cdaaeec5c",
				URL: "https://raw.githubusercontent.com/kubernetes-sigs/aws-load-balancer-controller/v3.5.0/helm/aws-load-balancer-controller/crds/crds.yaml"},
			{Name: "gateway-crds.yaml", GitBlob: "10cf4f08c24fe2d046a642872f2b3644fc692ab4",
				URL: "https://raw.githubusercontent.com/kubernetes-sigs/aws-load-balancer-controller/v3.5.0/helm/aws-load-balancer-controller/crds/gateway-crds.yaml"},
		},
	},
}

// ForChart returns the release a chart version installs, if its policy is carried.
func ForChart(chartVersion string) (Release, bool) {
	r, ok := releases[chartVersion]
	return r, ok
}

// ChartVersions lists the chart versions whose policy is carried, sorted.
func ChartVersions() []string {
	out := make([]string, 0, len(releases))
	for v := range releases {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}
