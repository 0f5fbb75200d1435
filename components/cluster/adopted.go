package cluster

import (
	"encoding/json"
	"fmt"

	awseks "github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Found is an existing EKS cluster as DescribeCluster shows it (pulumi-aws v6.83.4
// aws.eks.getCluster): what an adopting stack builds on and checks its configuration against.
type Found struct {
	Name, Version, Endpoint string
	// CertificateAuthority is the base64 PEM bundle of the API server's CA.
	CertificateAuthority string
	VpcId                string
	SubnetIds            []string
	// SecurityGroupId is the cluster security group, which EKS gives managed nodes whose
	// launch template names no security group (the new node groups here).
	SecurityGroupId string
	// ServiceCidr and IpFamily are kubernetesNetworkConfig's.
	ServiceCidr, IpFamily string
	// AutoMode is computeConfig.enabled (EKS Auto Mode).
	AutoMode bool
}

// Lookup reads an existing cluster (an invoke: it registers nothing, and runs in previews).
func Lookup(ctx *pulumi.Context, name string, opts ...pulumi.InvokeOption) (*Found, error) {
	c, err := awseks.LookupCluster(ctx, &awseks.LookupClusterArgs{Name: name}, opts...)
	if err != nil {
		return nil, fmt.Errorf("looking up EKS cluster %s (eks-cilium:cluster.existing): %w", name, err)
	}
	f := &Found{
		Name: c.Name, Version: c.Version, Endpoint: c.Endpoint,
		VpcId: c.VpcConfig.VpcId, SubnetIds: c.VpcConfig.SubnetIds, SecurityGroupId: c.VpcConfig.ClusterSecurityGroupId,
	}
	if f.Name == "" {
		f.Name = name
	}
	if len(c.CertificateAuthorities) > 0 {
		f.CertificateAuthority = c.CertificateAuthorities[0].Data
	}
	if len(c.KubernetesNetworkConfigs) > 0 {
		f.ServiceCidr = c.KubernetesNetworkConfigs[0].ServiceIpv4Cidr
		f.IpFamily = c.KubernetesNetworkConfigs[0].IpFamily
	}
	for _, cc := range c.ComputeConfigs {
		f.AutoMode = f.AutoMode || cc.Enabled
	}
	return f, nil
}

// Kubeconfig is a kubeconfig for the cluster in JSON, authenticating the way pulumi-eks's
// does: the AWS CLI's `aws eks get-token` as a client-go exec plugin, so whoever runs `pulumi
// up` needs the AWS CLI on PATH and access to the cluster (an access entry or aws-auth).
func (f *Found) Kubeconfig(region string) string {
	args := []string{"eks", "get-token", "--cluster-name", f.Name, "--output", "json"}
	if region != "" {
		args = append(args, "--region", region)
	}
	kc := map[string]any{
		"apiVersion": "v1", "kind": "Config",
		"clusters": []any{map[string]any{"name": f.Name, "cluster": map[string]any{
			"server": f.Endpoint, "certificate-authority-data": f.CertificateAuthority,
		}}},
		"contexts":        []any{map[string]any{"name": f.Name, "context": map[string]any{"cluster": f.Name, "user": f.Name}}},
		"current-context": f.Name,
		"users": []any{map[string]any{"name": f.Name, "user": map[string]any{"exec": map[string]any{
			"apiVersion": "client.authentication.k8s.io/v1beta1", "command": "aws", "args": args,
			"interactiveMode": "Never",
		}}}},
	}
	out, _ := json.Marshal(kc)
	return string(out)
}

// NewAdopted registers the Cluster component for a cluster the stack adopted: nothing is
// created or imported of the cluster itself (Eks stays nil); its only child is the
// Kubernetes provider that installs Cilium into it. The outputs are the found values.
func NewAdopted(ctx *pulumi.Context, name string, found *Found, region string, opts ...pulumi.ResourceOption) (*Cluster, error) {
	if found == nil || found.Endpoint == "" {
		return nil, fmt.Errorf("cluster: the adopted cluster %s was not found (no endpoint)", name)
	}
	comp := &Cluster{}
	if err := ctx.RegisterComponentResource(Token, name, comp, opts...); err != nil {
		return nil, err
	}
	kubeconfig := found.Kubeconfig(region)
	provider, err := kubernetes.NewProvider(ctx, name, &kubernetes.ProviderArgs{
		Kubeconfig:            pulumi.ToSecret(pulumi.String(kubeconfig)).(pulumi.StringOutput),
		EnableServerSideApply: pulumi.Bool(true),
		// A named ConfigMap (the migration's state) is updated in place: by default the
		// provider replaces a ConfigMap whose data changes, deleting it before creating it
		// again (pulumi-kubernetes v4.25.0 provider/pkg/provider/diff.go L31-32).
		EnableConfigMapMutable: pulumi.Bool(true),
	}, pulumi.Parent(comp))
	if err != nil {
		return nil, err
	}
	info, err := ParseKubeconfig(kubeconfig)
	if err != nil {
		return nil, err
	}
	comp.Provider = provider
	comp.ClusterName = pulumi.String(found.Name).ToStringOutput()
	comp.Kubeconfig = pulumi.ToSecret(pulumi.String(kubeconfig)).(pulumi.StringOutput)
	comp.Endpoint = pulumi.String(info.Server).ToStringOutput()
	comp.EndpointHost = pulumi.String(info.Host).ToStringOutput()
	comp.CertificateAuthority = pulumi.String(found.CertificateAuthority).ToStringOutput()
	comp.ClusterSecurityGroupId = pulumi.String(found.SecurityGroupId).ToStringOutput()
	comp.OidcProviderArn = pulumi.String("").ToStringOutput()
	// The version EKS reports for the adopted control plane: node images follow it.
	comp.Version = pulumi.String(found.Version).ToStringOutput()
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"clusterName":            comp.ClusterName,
		"kubeconfig":             comp.Kubeconfig,
		"endpoint":               comp.Endpoint,
		"endpointHost":           comp.EndpointHost,
		"certificateAuthority":   comp.CertificateAuthority,
		"clusterSecurityGroupId": comp.ClusterSecurityGroupId,
		"version":                comp.Version,
	}); err != nil {
		return nil, err
	}
	return comp, nil
}
