package warm

import (
	_ "github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	_ "github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	_ "github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	_ "github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	_ "github.com/pulumi/pulumi-eks/sdk/v3/go/eks"
	_ "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	_ "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v3"
	_ "github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	_ "github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
	_ "github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
	_ "github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	_ "helm.sh/helm/v3/pkg/chart/loader"
	_ "helm.sh/helm/v3/pkg/chartutil"
	_ "helm.sh/helm/v3/pkg/engine"
)
