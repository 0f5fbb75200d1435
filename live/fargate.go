package live

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	awseks "github.com/aws/aws-sdk-go-v2/service/eks"
)

// FargateProfiles lists a cluster's Fargate profiles (EKS ListFargateProfiles; pulumi-aws
// v6.83.4 has no data source that lists them). Credentials, region overrides and endpoints
// come from the usual AWS SDK sources (environment, shared config), as for the provider;
// AWS_ENDPOINT_URL_EKS points it elsewhere.
func FargateProfiles(ctx context.Context, region, clusterName string) ([]string, error) {
	opts := []func(*awsconfig.LoadOptions) error{}
	if region != "" {
		opts = append(opts, awsconfig.WithRegion(region))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, err
	}
	client := awseks.NewFromConfig(cfg)
	var names []string
	pages := awseks.NewListFargateProfilesPaginator(client, &awseks.ListFargateProfilesInput{ClusterName: aws.String(clusterName)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		names = append(names, page.FargateProfileNames...)
	}
	return names, nil
}
