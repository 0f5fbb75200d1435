// Package cluster creates the EKS control plane with no AWS VPC CNI at all, so that Cilium
// is the only CNI, plus the Kubernetes provider that installs Cilium into it.
package cluster

import (
	"encoding/json"
	"fmt"
	"net/url"

	awseks "github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi-eks/sdk/v3/go/eks"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Token is the component's type token.
const Token = "eks-cilium:index:Cluster"

// LogTypes are all five EKS control-plane log types.
var LogTypes = []string{"api", "audit", "authenticator", "controllerManager", "scheduler"}

// clusterAdminPolicy is the EKS access policy granted to AdminPrincipalArns.
const clusterAdminPolicy = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"

// ClusterArgs are the inputs of Cluster.
type ClusterArgs struct {
	// Name is the EKS cluster name.
	Name string
	// Version is the Kubernetes version, e.g. "1.33".
	Version string
	// KubeProxyVersion pins the kube-proxy addon pulumi-eks creates without
	// KubeProxyReplacement; "" lets pulumi-eks take the newest one for the cluster's version.
	KubeProxyVersion string
	// VpcId, PrivateSubnetIds and PublicSubnetIds place the control plane's ENIs.
	VpcId            pulumi.StringInput
	PrivateSubnetIds pulumi.StringArrayInput
	PublicSubnetIds  pulumi.StringArrayInput
	// ServiceCidr is the Kubernetes service range (immutable after creation).
	ServiceCidr string
	// KubeProxyReplacement removes the kube-proxy addon as well; Cilium takes its job.
	KubeProxyReplacement bool
	// EndpointPublicAccess and PublicAccessCidrs control the public API endpoint; the
	// private endpoint is always on so nodes reach the API inside the VPC. Without the public
	// endpoint PublicAccessCidrs is ignored, and whatever runs `pulumi up` (which installs
	// Cilium through the API) must be inside the VPC.
	EndpointPublicAccess bool
	PublicAccessCidrs    []string
	// AdminPrincipalArns get an access entry with AmazonEKSClusterAdminPolicy.
	AdminPrincipalArns []string
	// KmsKeyArn encrypts secrets; empty creates a key with yearly rotation.
	KmsKeyArn string
	// Protect sets Pulumi's protect option on the EKS cluster.
	Protect bool
}

// Cluster is an EKS cluster without aws-node, and a Kubernetes provider for it.
type Cluster struct {
	pulumi.ResourceState

	// Eks is the pulumi-eks cluster; node groups take it as their cluster.
	Eks *eks.Cluster `pulumi:"-"`
	// Provider talks to the cluster's API; Cilium and users' workloads use it.
	Provider *kubernetes.Provider `pulumi:"-"`

	ClusterName pulumi.StringOutput `pulumi:"clusterName"`
	// Version is the Kubernetes version the control plane runs, as EKS reports it once the
	// cluster is created or updated: what the node groups look their AMI up for, so nodes move
	// only after the control plane has (pulumi-eks v3.9.1 does the same for its node groups:
	// nodejs/eks/nodes/nodegroup.ts, the launch template's imageId from core.cluster.version).
	Version                pulumi.StringOutput `pulumi:"version"`
	Kubeconfig             pulumi.StringOutput `pulumi:"kubeconfig"`
	Endpoint               pulumi.StringOutput `pulumi:"endpoint"`
	EndpointHost           pulumi.StringOutput `pulumi:"endpointHost"`
	CertificateAuthority   pulumi.StringOutput `pulumi:"certificateAuthority"`
	ClusterSecurityGroupId pulumi.StringOutput `pulumi:"clusterSecurityGroupId"`
	OidcProviderArn        pulumi.StringOutput `pulumi:"oidcProviderArn"`
}

// NewCluster creates the control plane.
func NewCluster(ctx *pulumi.Context, name string, args *ClusterArgs, opts ...pulumi.ResourceOption) (*Cluster, error) {
	if args.Name == "" || args.Version == "" || args.ServiceCidr == "" {
		return nil, fmt.Errorf("cluster: Name, Version and ServiceCidr are required (got %q, %q, %q)", args.Name, args.Version, args.ServiceCidr)
	}
	comp := &Cluster{}
	if err := ctx.RegisterComponentResource(Token, name, comp, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(comp)

	keyArn := pulumi.String(args.KmsKeyArn).ToStringOutput()
	if args.KmsKeyArn == "" {
		key, err := kms.NewKey(ctx, name+"-secrets", &kms.KeyArgs{
			Description:       pulumi.Sprintf("EKS secrets envelope encryption for %s", args.Name),
			EnableKeyRotation: pulumi.Bool(true),
		}, parent)
		if err != nil {
			return nil, err
		}
		keyArn = key.Arn
	}

	// pulumi-eks v3.9.1 keeps aws-node away only with all three of: no default node group,
	// UseDefaultVpcCni (else it installs its own vpc-cni addon) and removing the bootstrapped
	// vpc-cni addon (nodejs/eks/cluster/cluster.ts at v3.9.1: :915-951, :1082-1086, :1737-1742;
	// docs/design.md, "pulumi-eks v3.9.1").
	remove := pulumi.StringArray{pulumi.String("vpc-cni")}
	var kubeProxy *eks.KubeProxyAddonOptionsArgs
	if args.KubeProxyReplacement {
		remove = append(remove, pulumi.String("kube-proxy"))
		kubeProxy = &eks.KubeProxyAddonOptionsArgs{Enabled: pulumi.BoolRef(false)}
	} else if args.KubeProxyVersion != "" {
		// pulumi-eks v3.9.1 otherwise resolves the newest kube-proxy addon for the cluster's
		// version at every deploy (nodejs/eks/cluster/cluster.ts, getAddonVersionOutput with
		// mostRecent), so a release by AWS would change it unasked.
		kubeProxy = &eks.KubeProxyAddonOptionsArgs{Version: pulumi.String(args.KubeProxyVersion)}
	}

	entries := map[string]eks.AccessEntryArgs{}
	for i, arn := range args.AdminPrincipalArns {
		entries[fmt.Sprintf("admin-%d", i)] = eks.AccessEntryArgs{
			PrincipalArn: pulumi.String(arn),
			AccessPolicies: map[string]eks.AccessPolicyAssociationInput{
				"admin": eks.AccessPolicyAssociationArgs{
					PolicyArn:   pulumi.String(clusterAdminPolicy),
					AccessScope: awseks.AccessPolicyAssociationAccessScopeArgs{Type: pulumi.String("cluster")},
				},
			},
		}
	}

	// pulumi-eks v3.9.1 throws "`publicAccessCidrs` can only be set when `endpointPublicAccess`
	// is true" for any list, even an empty one, with the public endpoint off
	// (nodejs/eks/cluster/cluster.ts, createCore, vpcConfig.publicAccessCidrs), so a private
	// cluster sends none at all.
	var publicCidrs pulumi.StringArrayInput
	if args.EndpointPublicAccess {
		publicCidrs = pulumi.ToStringArray(args.PublicAccessCidrs)
	}

	// Access entries only: the aws-auth ConfigMap is deprecated.
	apiAuth := eks.AuthenticationModeApi
	clusterOpts := []pulumi.ResourceOption{parent}
	if args.Protect {
		clusterOpts = append(clusterOpts, pulumi.Protect(true))
	}
	ec, err := eks.NewCluster(ctx, name, &eks.ClusterArgs{
		Name:                            pulumi.String(args.Name),
		Version:                         pulumi.String(args.Version),
		VpcId:                           args.VpcId,
		PrivateSubnetIds:                args.PrivateSubnetIds,
		PublicSubnetIds:                 args.PublicSubnetIds,
		KubernetesServiceIpAddressRange: pulumi.String(args.ServiceCidr),
		SkipDefaultNodeGroup:            pulumi.BoolRef(true),
		UseDefaultVpcCni:                pulumi.BoolRef(true),
		DefaultAddonsToRemove:           remove,
		KubeProxyAddonOptions:           kubeProxy,
		// CorednsAddonOptions stays nil: a non-nil struct defaults Enabled=true and the addon
		// would wait ~20 min for nodes that cannot be Ready before Cilium runs.
		AuthenticationMode:     &apiAuth,
		AccessEntries:          entries,
		EndpointPrivateAccess:  pulumi.Bool(true),
		EndpointPublicAccess:   pulumi.Bool(args.EndpointPublicAccess),
		PublicAccessCidrs:      publicCidrs,
		EnabledClusterLogTypes: pulumi.ToStringArray(LogTypes),
		EncryptionConfigKeyArn: keyArn,
		CreateOidcProvider:     pulumi.Bool(true),
	}, clusterOpts...)
	if err != nil {
		return nil, err
	}

	provider, err := kubernetes.NewProvider(ctx, name, &kubernetes.ProviderArgs{
		Kubeconfig: ec.KubeconfigJson,
		// Server-side apply lets a later owner of a field (an operator) keep it.
		EnableServerSideApply: pulumi.Bool(true),
		// A named ConfigMap (the migration's state) is updated in place: by default the
		// provider replaces a ConfigMap whose data changes, deleting it before creating it
		// again (pulumi-kubernetes v4.25.0 provider/pkg/provider/diff.go L31-32).
		EnableConfigMapMutable: pulumi.Bool(true),
	}, parent)
	if err != nil {
		return nil, err
	}

	comp.Eks = ec
	comp.Provider = provider
	// The name is known up front, but carried through the cluster's URN so that whatever
	// takes it (node groups, addons) also depends on the cluster.
	comp.ClusterName = ec.URN().ApplyT(func(pulumi.URN) string { return args.Name }).(pulumi.StringOutput)
	comp.Kubeconfig = pulumi.ToSecret(ec.KubeconfigJson).(pulumi.StringOutput)
	comp.Endpoint = kubeconfigField(ec.KubeconfigJson, func(k KubeconfigInfo) string { return k.Server })
	comp.EndpointHost = kubeconfigField(ec.KubeconfigJson, func(k KubeconfigInfo) string { return k.Host })
	comp.CertificateAuthority = kubeconfigField(ec.KubeconfigJson, func(k KubeconfigInfo) string { return k.CertificateAuthority })
	comp.Version = ec.EksCluster.Version()
	comp.ClusterSecurityGroupId = ec.ClusterSecurityGroupId
	comp.OidcProviderArn = ec.OidcProviderArn
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"clusterName":            comp.ClusterName,
		"version":                comp.Version,
		"kubeconfig":             comp.Kubeconfig,
		"endpoint":               comp.Endpoint,
		"endpointHost":           comp.EndpointHost,
		"certificateAuthority":   comp.CertificateAuthority,
		"clusterSecurityGroupId": comp.ClusterSecurityGroupId,
		"oidcProviderArn":        comp.OidcProviderArn,
	}); err != nil {
		return nil, err
	}
	return comp, nil
}

// KubeconfigInfo is what nodes and Cilium need from the kubeconfig pulumi-eks produces.
type KubeconfigInfo struct {
	Server               string // https://XXXX.gr7.region.eks.amazonaws.com
	Host                 string // Server without scheme and port: Cilium's k8sServiceHost
	CertificateAuthority string // base64 PEM
}

// ParseKubeconfig reads the first cluster of a kubeconfig in JSON form.
func ParseKubeconfig(kubeconfigJSON string) (KubeconfigInfo, error) {
	var kc struct {
		Clusters []struct {
			Cluster struct {
				Server string `json:"server"`
				CA     string `json:"certificate-authority-data"`
			} `json:"cluster"`
		} `json:"clusters"`
	}
	if err := json.Unmarshal([]byte(kubeconfigJSON), &kc); err != nil {
		return KubeconfigInfo{}, fmt.Errorf("kubeconfig from pulumi-eks is not JSON: %w", err)
	}
	if len(kc.Clusters) == 0 || kc.Clusters[0].Cluster.Server == "" {
		return KubeconfigInfo{}, fmt.Errorf("kubeconfig from pulumi-eks has no cluster server")
	}
	c := kc.Clusters[0].Cluster
	u, err := url.Parse(c.Server)
	if err != nil || u.Hostname() == "" {
		return KubeconfigInfo{}, fmt.Errorf("kubeconfig server %q is not a URL", c.Server)
	}
	return KubeconfigInfo{Server: c.Server, Host: u.Hostname(), CertificateAuthority: c.CA}, nil
}

func kubeconfigField(kubeconfig pulumi.StringOutput, pick func(KubeconfigInfo) string) pulumi.StringOutput {
	return kubeconfig.ApplyT(func(s string) (string, error) {
		info, err := ParseKubeconfig(s)
		if err != nil {
			return "", err
		}
		return pick(info), nil
	}).(pulumi.StringOutput)
}
