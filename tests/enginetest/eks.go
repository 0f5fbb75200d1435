package enginetest

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	awseks "github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/provider"
	rpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
)

// newEksFake answers for pulumi-eks. kubeconfig, when not nil, is the kubeconfig its
// clusters report (a real API server's); otherwise they report pulumi-eks's own shape.
func newEksFake(log *CallLog, kubeconfig map[string]any) *Fake {
	return &Fake{
		name:    "eks",
		version: "3.9.1", // go.mod's github.com/pulumi/pulumi-eks/sdk/v3
		log:     log,
		outputs: func(_, _ string, in resource.PropertyMap, preview bool) resource.PropertyMap { return in },
		construct: func(ctx context.Context, req *rpc.ConstructRequest, engine *grpc.ClientConn) (*rpc.ConstructResponse, error) {
			return constructEks(ctx, req, engine, kubeconfig)
		},
	}
}

// constructEks builds eks:index:Cluster the way pulumi-eks v3.9.1 does (nodejs/eks/cluster/
// cluster.ts, createCore): the component itself is registered with no properties, and its
// children are the AWS resources the real component creates for this project's inputs: the
// cluster role, the cluster security group, the aws:eks/cluster:Cluster carrying the inputs
// (vpcConfig, kubernetesNetworkConfig.serviceIpv4Cidr, defaultAddonsToRemoves,
// enabledClusterLogTypes, encryptionConfig, accessConfig), the kube-proxy addon unless
// disabled, access entries and the OIDC provider. Its outputs are derived from the child's
// outputs, so they are unknown in a preview of a new cluster, as with the real provider.
func constructEks(ctx context.Context, req *rpc.ConstructRequest, engine *grpc.ClientConn, kubeconfig map[string]any) (*rpc.ConstructResponse, error) {
	if req.GetType() != "eks:index:Cluster" {
		return nil, fmt.Errorf("fake eks: %s is not modelled (only eks:index:Cluster)", req.GetType())
	}
	wrapped, err := plugin.UnmarshalProperties(req.GetInputs(), marshal)
	if err != nil {
		return nil, err
	}
	// The engine passes inputs that came from other resources as output values (value plus
	// dependencies); the checks look at the values.
	raw := resource.PropertyMap{}
	for k, v := range wrapped {
		raw[k] = unwrapOutputs(v)
	}
	shapes, err := loadShapes()
	if err != nil {
		return nil, err
	}
	if problems := checkShape(shapes["eks:index:Cluster"], raw); len(problems) > 0 {
		var msgs []string
		for _, p := range problems {
			msgs = append(msgs, p.property+": "+p.reason)
		}
		return nil, fmt.Errorf("eks:index:Cluster %s: %s", req.GetName(), strings.Join(msgs, "; "))
	}
	return provider.Construct(ctx, req, engine, func(pctx *pulumi.Context, typ, name string, inputs provider.ConstructInputs, options pulumi.ResourceOption) (*provider.ConstructResult, error) {
		var args eksClusterInputs
		if err := inputs.CopyTo(&args); err != nil {
			return nil, err
		}
		return buildEksCluster(pctx, typ, name, raw, &args, kubeconfig, options)
	})
}

// eksClusterInputs are the inputs of eks:index:Cluster the fake reads.
type eksClusterInputs struct {
	Name                            pulumi.StringInput      `pulumi:"name"`
	Version                         pulumi.StringInput      `pulumi:"version"`
	VpcId                           pulumi.StringInput      `pulumi:"vpcId"`
	PrivateSubnetIds                pulumi.StringArrayInput `pulumi:"privateSubnetIds"`
	PublicSubnetIds                 pulumi.StringArrayInput `pulumi:"publicSubnetIds"`
	KubernetesServiceIpAddressRange pulumi.StringInput      `pulumi:"kubernetesServiceIpAddressRange"`
	EndpointPrivateAccess           pulumi.BoolInput        `pulumi:"endpointPrivateAccess"`
	EndpointPublicAccess            pulumi.BoolInput        `pulumi:"endpointPublicAccess"`
	PublicAccessCidrs               pulumi.StringArrayInput `pulumi:"publicAccessCidrs"`
	EnabledClusterLogTypes          pulumi.StringArrayInput `pulumi:"enabledClusterLogTypes"`
	EncryptionConfigKeyArn          pulumi.StringInput      `pulumi:"encryptionConfigKeyArn"`
	DefaultAddonsToRemove           pulumi.StringArrayInput `pulumi:"defaultAddonsToRemove"`
}

// fakeEksCluster is the component's state: the outputs this project reads.
type fakeEksCluster struct {
	pulumi.ResourceState

	// EksCluster is the aws:eks/cluster:Cluster child, a resource reference as pulumi-eks
	// returns it; the program reads its version.
	EksCluster             awseks.ClusterOutput `pulumi:"eksCluster"`
	KubeconfigJson         pulumi.StringOutput  `pulumi:"kubeconfigJson"`
	Kubeconfig             pulumi.AnyOutput     `pulumi:"kubeconfig"`
	ClusterSecurityGroupId pulumi.StringOutput  `pulumi:"clusterSecurityGroupId"`
	OidcProviderArn        pulumi.StringOutput  `pulumi:"oidcProviderArn"`
	OidcProviderUrl        pulumi.StringOutput  `pulumi:"oidcProviderUrl"`
	OidcIssuer             pulumi.StringOutput  `pulumi:"oidcIssuer"`
}

func buildEksCluster(ctx *pulumi.Context, typ, name string, raw resource.PropertyMap, args *eksClusterInputs, fixedKubeconfig map[string]any, options pulumi.ResourceOption) (*provider.ConstructResult, error) {
	comp := &fakeEksCluster{}
	if err := ctx.RegisterComponentResource(typ, name, comp, options); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(comp)

	role, err := iam.NewRole(ctx, name+"-eksRole-role", &iam.RoleArgs{
		AssumeRolePolicy: pulumi.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"eks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`),
	}, parent)
	if err != nil {
		return nil, err
	}
	if _, err := iam.NewRolePolicyAttachment(ctx, name+"-eksRole-4b490823", &iam.RolePolicyAttachmentArgs{
		Role: role.Name, PolicyArn: pulumi.String("arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"),
	}, parent); err != nil {
		return nil, err
	}
	sg, err := ec2.NewSecurityGroup(ctx, name+"-eksClusterSecurityGroup", &ec2.SecurityGroupArgs{
		VpcId:               args.VpcId,
		RevokeRulesOnDelete: pulumi.Bool(true),
		Tags:                pulumi.StringMap{"Name": pulumi.String(name + "-eksClusterSecurityGroup")},
	}, parent)
	if err != nil {
		return nil, err
	}

	var subnets pulumi.StringArrayOutput
	switch {
	case args.PrivateSubnetIds != nil && args.PublicSubnetIds != nil:
		subnets = pulumi.All(args.PrivateSubnetIds, args.PublicSubnetIds).ApplyT(func(v []any) []string {
			return append(append([]string{}, v[0].([]string)...), v[1].([]string)...)
		}).(pulumi.StringArrayOutput)
	case args.PrivateSubnetIds != nil:
		subnets = args.PrivateSubnetIds.ToStringArrayOutput()
	case args.PublicSubnetIds != nil:
		subnets = args.PublicSubnetIds.ToStringArrayOutput()
	default:
		return nil, fmt.Errorf("eks:index:Cluster %s: no subnets (the fake does not model the default VPC)", name)
	}

	clusterArgs := &awseks.ClusterArgs{
		Name:    args.Name,
		RoleArn: role.Arn,
		Version: args.Version,
		VpcConfig: &awseks.ClusterVpcConfigArgs{
			SecurityGroupIds:      pulumi.StringArray{sg.ID()},
			SubnetIds:             subnets,
			EndpointPrivateAccess: args.EndpointPrivateAccess,
			EndpointPublicAccess:  args.EndpointPublicAccess,
			PublicAccessCidrs:     args.PublicAccessCidrs,
		},
		EnabledClusterLogTypes: args.EnabledClusterLogTypes,
		DefaultAddonsToRemoves: args.DefaultAddonsToRemove,
		Tags:                   pulumi.StringMap{"Name": pulumi.String(name + "-eksCluster")},
	}
	if args.KubernetesServiceIpAddressRange != nil {
		clusterArgs.KubernetesNetworkConfig = &awseks.ClusterKubernetesNetworkConfigArgs{
			ServiceIpv4Cidr: args.KubernetesServiceIpAddressRange,
			IpFamily:        pulumi.String("ipv4"),
		}
	}
	if args.EncryptionConfigKeyArn != nil {
		clusterArgs.EncryptionConfig = &awseks.ClusterEncryptionConfigArgs{
			Provider:  &awseks.ClusterEncryptionConfigProviderArgs{KeyArn: args.EncryptionConfigKeyArn},
			Resources: pulumi.StringArray{pulumi.String("secrets")},
		}
	}
	if mode, ok := raw["authenticationMode"]; ok && mode.IsString() {
		// cluster.ts grants the creator admin explicitly: it deploys charts into the cluster.
		clusterArgs.AccessConfig = &awseks.ClusterAccessConfigArgs{
			AuthenticationMode:                      pulumi.String(mode.StringValue()),
			BootstrapClusterCreatorAdminPermissions: pulumi.Bool(true),
		}
	}
	cluster, err := awseks.NewCluster(ctx, name+"-eksCluster", clusterArgs, parent,
		pulumi.IgnoreChanges([]string{"accessConfig.bootstrapClusterCreatorAdminPermissions"}))
	if err != nil {
		return nil, err
	}

	// kube-proxy stays unless kubeProxyAddonOptions.enabled is false (cluster.ts), at
	// kubeProxyAddonOptions.version or else the newest for the cluster's version.
	if enabled, ok := ValueAt(raw, "kubeProxyAddonOptions.enabled"); !ok || !enabled.IsBool() || enabled.BoolValue() {
		version := awseks.GetAddonVersionOutput(ctx, awseks.GetAddonVersionOutputArgs{
			AddonName: pulumi.String("kube-proxy"), KubernetesVersion: cluster.Version, MostRecent: pulumi.Bool(true),
		}, parent).Version()
		if pinned, ok := ValueAt(raw, "kubeProxyAddonOptions.version"); ok && pinned.IsString() {
			version = pulumi.String(pinned.StringValue()).ToStringOutput()
		}
		if _, err := awseks.NewAddon(ctx, name+"-kube-proxy", &awseks.AddonArgs{
			ClusterName: cluster.Name, AddonName: pulumi.String("kube-proxy"), Preserve: pulumi.Bool(true),
			ResolveConflictsOnCreate: pulumi.String("OVERWRITE"), ResolveConflictsOnUpdate: pulumi.String("OVERWRITE"),
			AddonVersion: version,
		}, parent); err != nil {
			return nil, err
		}
	}

	if entries, ok := raw["accessEntries"]; ok && entries.IsObject() {
		if err := accessEntries(ctx, name, cluster, entries.ObjectValue(), parent); err != nil {
			return nil, err
		}
	}

	issuer := cluster.Identities.Index(pulumi.Int(0)).Oidcs().Index(pulumi.Int(0)).Issuer().Elem()
	comp.OidcIssuer = issuer
	comp.OidcProviderUrl = issuer
	if create, ok := raw["createOidcProvider"]; ok && create.IsBool() && create.BoolValue() {
		oidc, err := iam.NewOpenIdConnectProvider(ctx, name+"-oidcProvider", &iam.OpenIdConnectProviderArgs{
			ClientIdLists:   pulumi.StringArray{pulumi.String("sts.amazonaws.com")},
			Url:             issuer,
			ThumbprintLists: pulumi.StringArray{pulumi.String("9e99a48a9960b14926bb7f3b02e22da2b0ab7280")},
		}, parent)
		if err != nil {
			return nil, err
		}
		comp.OidcProviderArn = oidc.Arn
	} else {
		comp.OidcProviderArn = pulumi.String("").ToStringOutput()
	}

	kubeconfig := pulumi.All(cluster.Name, cluster.Endpoint, cluster.CertificateAuthority.Data().Elem()).ApplyT(func(v []any) map[string]any {
		if fixedKubeconfig != nil {
			return fixedKubeconfig
		}
		return fakeKubeconfig(v[0].(string), v[1].(string), v[2].(string))
	}).(pulumi.MapOutput)
	comp.Kubeconfig = kubeconfig.ApplyT(func(m map[string]any) any { return m }).(pulumi.AnyOutput)
	comp.KubeconfigJson = kubeconfig.ApplyT(func(m map[string]any) (string, error) {
		b, err := json.Marshal(m)
		return string(b), err
	}).(pulumi.StringOutput)
	comp.ClusterSecurityGroupId = cluster.VpcConfig.ClusterSecurityGroupId().Elem()

	comp.EksCluster = cluster.ToClusterOutput()
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"eksCluster":             cluster,
		"kubeconfigJson":         comp.KubeconfigJson,
		"kubeconfig":             comp.Kubeconfig,
		"clusterSecurityGroupId": comp.ClusterSecurityGroupId,
		"oidcProviderArn":        comp.OidcProviderArn,
		"oidcProviderUrl":        comp.OidcProviderUrl,
		"oidcIssuer":             comp.OidcIssuer,
	}); err != nil {
		return nil, err
	}
	return provider.NewConstructResult(comp)
}

// accessEntries creates, per entry, the access entry and its policy associations (cluster.ts,
// createAccessEntries).
func accessEntries(ctx *pulumi.Context, name string, cluster *awseks.Cluster, entries resource.PropertyMap, parent pulumi.ResourceOption) error {
	keys := make([]string, 0, len(entries))
	for k := range entries {
		keys = append(keys, string(k))
	}
	sort.Strings(keys)
	for _, key := range keys {
		entry := entries[resource.PropertyKey(key)]
		principal, ok := ValueAt(entry.ObjectValue(), "principalArn")
		if !ok || !principal.IsString() {
			return fmt.Errorf("accessEntries[%q].principalArn: required", key)
		}
		ae, err := awseks.NewAccessEntry(ctx, name+"-"+key, &awseks.AccessEntryArgs{
			ClusterName: cluster.Name, PrincipalArn: pulumi.String(principal.StringValue()), Type: pulumi.String("STANDARD"),
		}, parent)
		if err != nil {
			return err
		}
		policies, _ := ValueAt(entry.ObjectValue(), "accessPolicies")
		if !policies.IsObject() {
			continue
		}
		for pk, pv := range policies.ObjectValue() {
			policyArn, _ := ValueAt(pv.ObjectValue(), "policyArn")
			scope, _ := ValueAt(pv.ObjectValue(), "accessScope.type")
			if !policyArn.IsString() || !scope.IsString() {
				return fmt.Errorf("accessEntries[%q].accessPolicies[%q]: policyArn and accessScope.type are required", key, pk)
			}
			if _, err := awseks.NewAccessPolicyAssociation(ctx, name+"-"+key+"-"+string(pk), &awseks.AccessPolicyAssociationArgs{
				ClusterName: cluster.Name, PrincipalArn: ae.PrincipalArn, PolicyArn: pulumi.String(policyArn.StringValue()),
				AccessScope: &awseks.AccessPolicyAssociationAccessScopeArgs{Type: pulumi.String(scope.StringValue())},
			}, parent); err != nil {
				return err
			}
		}
	}
	return nil
}

// fakeKubeconfig has the shape pulumi-eks generates (kubeconfig.ts, generateKubeconfig): the
// token comes from `aws eks get-token`, which the fake kubernetes provider never runs.
func fakeKubeconfig(cluster, endpoint, ca string) map[string]any {
	return map[string]any{
		"apiVersion": "v1",
		"kind":       "Config",
		"clusters": []any{map[string]any{"name": "kubernetes", "cluster": map[string]any{
			"server": endpoint, "certificate-authority-data": ca,
		}}},
		"contexts":        []any{map[string]any{"name": "aws", "context": map[string]any{"cluster": "kubernetes", "user": "aws"}}},
		"current-context": "aws",
		"users": []any{map[string]any{"name": "aws", "user": map[string]any{"exec": map[string]any{
			"apiVersion": "client.authentication.k8s.io/v1beta1", "command": "aws",
			"args": []any{"eks", "get-token", "--cluster-name", cluster, "--region", Region},
		}}}},
	}
}

// unwrapOutputs replaces known output values by their values, keeping secrets and unknowns.
func unwrapOutputs(v resource.PropertyValue) resource.PropertyValue {
	switch {
	case v.IsOutput():
		o := v.OutputValue()
		if !o.Known {
			return resource.MakeComputed(resource.NewStringProperty(""))
		}
		inner := unwrapOutputs(o.Element)
		if o.Secret {
			return resource.MakeSecret(inner)
		}
		return inner
	case v.IsSecret():
		return resource.MakeSecret(unwrapOutputs(v.SecretValue().Element))
	case v.IsArray():
		out := make([]resource.PropertyValue, len(v.ArrayValue()))
		for i, e := range v.ArrayValue() {
			out[i] = unwrapOutputs(e)
		}
		return resource.NewArrayProperty(out)
	case v.IsObject():
		out := resource.PropertyMap{}
		for k, e := range v.ObjectValue() {
			out[k] = unwrapOutputs(e)
		}
		return resource.NewObjectProperty(out)
	}
	return v
}
