package render

import (
	"fmt"

	"github.com/eks-cilium/eks-cilium/fleet"
	"sort"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// cloud answers the program's registrations and invokes the way a Pulumi preview would for
// a stack that does not exist yet: inputs are echoed back, everything the cloud would
// compute (IDs, ARNs, the kubeconfig) is left unknown. With Known set, it answers like an
// update instead, with deterministic fake values, so tests can look inside Apply callbacks.
type cloud struct {
	stack, region string
	known         bool
	previous      map[string]any            // outputs of the previous deployment, for the StackReference
	peers         map[string]map[string]any // outputs of a mesh member's peers, by stack

	mu        sync.Mutex
	resources []Resource
	// states are the registrations by URN, for pulumi:pulumi:getResource: hosts that pass
	// every invoke to the mocks (pulumi-go-provider's integration server) ask here.
	states map[string]resource.PropertyMap
}

var _ pulumi.MockResourceMonitor = (*cloud)(nil)

// FakeEndpoint is the API server URL of the fake cluster in Known mode.
const FakeEndpoint = "https://0123456789ABCDEF0123456789ABCDEF.gr7.eu-west-1.eks.amazonaws.com"

// FakeAccountID is the AWS account of the fake cloud in Known mode.
const FakeAccountID = "111122223333"

// FakeCA is the base64 CA bundle of the fake cluster in Known mode.
const FakeCA = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg=="

func (c *cloud) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	if args.TypeToken == "pulumi:pulumi:StackReference" {
		return c.stackReference(args)
	}
	rpc := args.RegisterRPC
	r := Resource{
		Type:   args.TypeToken,
		Name:   args.Name,
		Custom: args.Custom,
		Inputs: args.Inputs,
	}
	if rpc != nil {
		// The monitor drops unknown inputs before calling the mock; decode the request again,
		// keeping them, so the render can show which inputs the cloud will compute.
		if in, err := plugin.UnmarshalProperties(rpc.GetObject(), plugin.MarshalOptions{
			KeepUnknowns: true, KeepSecrets: true, KeepResources: true,
		}); err == nil {
			r.Inputs = in
		}
		r.Parent = rpc.GetParent()
		r.URN = newURN(c.stack, r.Parent, r.Type, r.Name)
		r.Protect = rpc.GetProtect()
		r.IgnoreChanges = rpc.GetIgnoreChanges()
		r.Import = rpc.GetImportId()
		r.RetainOnDelete = rpc.GetRetainOnDelete()
		deps := map[string]bool{}
		for _, d := range rpc.GetDependencies() {
			deps[d] = true
		}
		for _, pd := range rpc.GetPropertyDependencies() {
			for _, d := range pd.GetUrns() {
				deps[d] = true
			}
		}
		if p := rpc.GetProvider(); p != "" {
			r.Provider = providerURN(p)
		}
		for d := range deps {
			r.DependsOn = append(r.DependsOn, d)
		}
		sort.Strings(r.DependsOn)
	}
	outs := args.Inputs.Copy()
	if args.TypeToken == "eks:index:Cluster" && r.URN != "" {
		outs["eksCluster"] = eksClusterReference(r.URN, args.Name, c.known)
		defer func() { c.remember(r.URN, r.ID, outs) }()
	}
	if !c.known {
		c.record(r)
		// A preview of a new resource: the provider has not created it, so no ID and no
		// computed outputs (the SDK treats missing outputs as unknown during a preview).
		if args.TypeToken == "eks:index:Cluster" {
			delete(outs, "kubeconfigJson")
		}
		return "", outs, nil
	}
	id := fakeID(args.TypeToken, args.Name)
	r.ID = id
	c.record(r)
	switch args.TypeToken {
	case "eks:index:Cluster":
		outs["kubeconfigJson"] = resource.NewProperty(fakeKubeconfig())
		outs["clusterSecurityGroupId"] = resource.NewProperty("sg-" + args.Name)
		outs["oidcProviderArn"] = resource.NewProperty("arn:aws:iam::111122223333:oidc-provider/" + args.Name)
	case "aws:ec2/launchTemplate:LaunchTemplate":
		outs["latestVersion"] = resource.NewProperty(1.0)
	case "aws:eks/nodeGroup:NodeGroup":
		outs["nodeGroupName"] = resource.NewProperty(args.Name + "-ng")
	}
	outs["arn"] = resource.NewProperty("arn:aws:mock:::" + args.Name)
	// Resources named by prefix get a name like the provider's: prefix + a unique suffix.
	if prefix, ok := args.Inputs["namePrefix"]; ok && prefix.IsString() {
		if _, named := args.Inputs["name"]; !named {
			outs["name"] = resource.NewProperty(prefix.StringValue() + "20261201000000000000000001")
		}
	} else if _, named := args.Inputs["name"]; !named && args.TypeToken == "aws:iam/role:Role" {
		// Autonamed roles get a name of Pulumi's shape: the resource name, "-" and 7
		// characters (tfbridge.AutoName, Randlen 7); the EC2NodeClass reads it.
		outs["name"] = resource.NewProperty(args.Name + "-0000000")
	}
	return id, outs, nil
}

// eksClusterReference stands for the aws:eks/cluster:Cluster pulumi-eks creates inside
// eks:index:Cluster, whose version the node groups read (cluster.Cluster.Version). The program
// reads a resource output by looking the resource up by URN, and the mock monitor knows only
// what the program registered: the remote component, not its children. So the reference points
// at the component's own URN, typed as the child: the lookup answers with the component's
// registration, whose echoed inputs carry the version pulumi-eks passes to its child
// (nodejs/eks/cluster/cluster.ts: version: args.version).
func eksClusterReference(componentURN, name string, known bool) resource.PropertyValue {
	id := resource.MakeComputed(resource.NewProperty(""))
	if known {
		id = resource.NewProperty(name)
	}
	return resource.NewProperty(resource.ResourceReference{
		URN: resource.URN(componentURN), Type: "aws:eks/cluster:Cluster", Name: name + "-eksCluster", ID: id,
	})
}

// newURN names a resource exactly as the mock monitor does.
func newURN(stack, parent, typ, name string) string {
	parentType := tokens.Type("")
	if p := resource.URN(parent); p != "" && p.QualifiedType() != resource.RootStackType {
		parentType = p.QualifiedType()
	}
	return string(resource.NewURN(tokens.QName(stack), tokens.PackageName(Project), parentType, tokens.Type(typ), name))
}

// providerURN strips the ID from a provider reference ("<urn>::<id>").
func providerURN(ref string) string {
	if i := strings.LastIndex(ref, "::"); i > 0 {
		return ref[:i]
	}
	return ref
}

// stackReference answers a StackReference: to the stack itself with the previous
// deployment's outputs, to another stack (a mesh peer) with that stack's outputs, if any.
// The mesh CA is a secret output, as the program exports it.
func (c *cloud) stackReference(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	name := args.Name
	if v, ok := args.Inputs["name"]; ok && v.IsString() {
		name = v.StringValue()
	}
	source := c.previous
	if stack := name[strings.LastIndex(name, "/")+1:]; stack != c.stack {
		source = c.peers[stack]
	}
	outputs := resource.PropertyMap{}
	var secrets []resource.PropertyValue
	if source != nil {
		outputs = resource.NewPropertyMapFromMap(source)
		if _, ok := source[fleet.OutputCA]; ok {
			secrets = append(secrets, resource.NewProperty(fleet.OutputCA))
		}
	}
	return name, resource.PropertyMap{
		"name":              resource.NewProperty(name),
		"outputs":           resource.NewProperty(outputs),
		"secretOutputNames": resource.NewProperty(secrets),
	}, nil
}

// remember keeps a registration's outputs for pulumi:pulumi:getResource.
func (c *cloud) remember(urn, id string, outs resource.PropertyMap) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.states == nil {
		c.states = map[string]resource.PropertyMap{}
	}
	c.states[urn] = resource.PropertyMap{"urn": resource.NewProperty(urn), "id": resource.NewProperty(id), "state": resource.NewProperty(outs)}
}

func (c *cloud) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	switch args.Token {
	case "pulumi:pulumi:getResource":
		// The SDK's own mock monitor answers this from what the program registered; a host
		// that forwards it (pulumi-go-provider's integration server) gets the same answer here.
		c.mu.Lock()
		defer c.mu.Unlock()
		if st, ok := c.states[args.Args["urn"].StringValue()]; ok {
			return st, nil
		}
		return nil, fmt.Errorf("render: unknown resource %s", args.Args["urn"].StringValue())
	case "aws:index/getAvailabilityZones:getAvailabilityZones":
		// The render cannot ask AWS; it assumes the region's zones are <region>a, b, c, ...
		var names []resource.PropertyValue
		for _, z := range "abcdef" {
			names = append(names, resource.NewProperty(c.region+string(z)))
		}
		return resource.PropertyMap{"names": resource.NewProperty(names)}, nil
	case "aws:index/getRegion:getRegion":
		return resource.PropertyMap{"name": resource.NewProperty(c.region)}, nil
	case "aws:index/getPartition:getPartition":
		// The render assumes the commercial partition; GovCloud and China stacks differ only
		// in ARNs.
		return resource.PropertyMap{"partition": resource.NewProperty("aws"), "dnsSuffix": resource.NewProperty("amazonaws.com")}, nil
	case "aws:index/getCallerIdentity:getCallerIdentity":
		// A real preview resolves the caller's account too; the render answers with AWS's
		// documentation account in both modes.
		return resource.PropertyMap{"accountId": resource.NewProperty(FakeAccountID)}, nil
	case "aws:ssm/getParameter:getParameter":
		// The AMI is resolved from AWS's public SSM parameter at deploy time.
		name := args.Args["name"].StringValue()
		return resource.PropertyMap{
			"name":  resource.NewProperty(name),
			"value": resource.NewProperty("resolve:ssm:" + name),
			"type":  resource.NewProperty("String"),
		}, nil
	case "aws:eks/getCluster:getCluster":
		// An adopted cluster (cluster.existing) is looked up at deploy time; offline its
		// endpoint, CA, VPC and security group show as placeholders.
		name := args.Args["name"].StringValue()
		return resource.NewPropertyMapFromMap(map[string]any{
			"name": name, "endpoint": AdoptedEndpoint, "version": "",
			"certificateAuthorities": []any{map[string]any{"data": LookedUp}},
			"vpcConfig":              map[string]any{"vpcId": LookedUp, "clusterSecurityGroupId": LookedUp, "subnetIds": []any{}},
		}), nil
	}
	return nil, fmt.Errorf("render: no offline answer for invoke %s", args.Token)
}

// LookedUp is how a value of an adopted cluster that the program looks up at deploy time
// appears in the render; AdoptedEndpoint is its API endpoint (a reserved .invalid name).
const (
	LookedUp        = "<looked up>"
	AdoptedEndpoint = "https://adopted-cluster.eks.invalid"
)

func fakeKubeconfig() string {
	return fmt.Sprintf(`{"apiVersion":"v1","kind":"Config","clusters":[{"name":"kubernetes","cluster":{"server":%q,"certificate-authority-data":%q}}],"contexts":[{"name":"aws","context":{"cluster":"kubernetes","user":"aws"}}],"current-context":"aws","users":[{"name":"aws","user":{"exec":{"apiVersion":"client.authentication.k8s.io/v1beta1","command":"aws","args":["eks","get-token","--cluster-name","mock"]}}}]}`, FakeEndpoint, FakeCA)
}

func (c *cloud) record(r Resource) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.resources = append(c.resources, r)
}

// fakeID is a deterministic ID shaped like the real one where the shape matters (subnet-,
// vpc-, sg-), so ID-based checks such as the node-placement policy work offline.
func fakeID(typ, name string) string {
	prefix := map[string]string{
		"aws:ec2/subnet:Subnet":                   "subnet-",
		"aws:ec2/vpc:Vpc":                         "vpc-",
		"aws:ec2/launchTemplate:LaunchTemplate":   "lt-",
		"aws:ec2/natGateway:NatGateway":           "nat-",
		"aws:ec2/internetGateway:InternetGateway": "igw-",
		"aws:ec2/routeTable:RouteTable":           "rtb-",
		"aws:ec2/eip:Eip":                         "eipalloc-",
	}[typ]
	return prefix + name
}

// NewMocks returns the offline cloud the render uses, for tests that run program functions
// directly: Known answers like an update, otherwise like a preview of a new stack.
func NewMocks(stack, region string, known bool, previous map[string]any) pulumi.MockResourceMonitor {
	return &cloud{stack: stack, region: region, known: known, previous: previous}
}
