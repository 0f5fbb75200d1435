package tests

import (
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/eks-cilium/eks-cilium/components/nodegroup"
	"github.com/eks-cilium/eks-cilium/components/platform"
	"github.com/eks-cilium/eks-cilium/program"
	"github.com/eks-cilium/eks-cilium/render"
	"github.com/eks-cilium/eks-cilium/stackconfig"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

const (
	typeCluster   = "eks:index:Cluster"
	typeNodeGroup = "aws:eks/nodeGroup:NodeGroup"
	typeRelease   = "kubernetes:helm.sh/v3:Release"
	typeAddon     = "aws:eks/addon:Addon"
	typeSubnet    = "aws:ec2/subnet:Subnet"
	typeLT        = "aws:ec2/launchTemplate:LaunchTemplate"
	typeK8s       = "pulumi:providers:kubernetes"
	typeAttach    = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
)

// renderStack runs the real program over a shipped stack in Known mode, so values computed
// in Apply callbacks (user data, k8sServiceHost) are present.
func renderStack(t *testing.T, path string, edit func(values map[string]string)) *render.Result {
	t.Helper()
	cfg, values, err := stackconfig.LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(values)
	}
	res, err := render.Run(cfg.Stack, values, render.Options{Known: true})
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return res
}

func ofType(res *render.Result, typ string) []render.Resource {
	var out []render.Resource
	for _, r := range res.Resources {
		if r.Type == typ {
			out = append(out, r)
		}
	}
	return out
}

func one(t *testing.T, res *render.Result, typ string) render.Resource {
	t.Helper()
	all := ofType(res, typ)
	if len(all) != 1 {
		t.Fatalf("want exactly one %s, got %d", typ, len(all))
	}
	return all[0]
}

// clusterProvider is the Kubernetes provider of the cluster, the one every release uses; the
// load balancer controller's CRDs have a provider of their own (components/addons).
func clusterProvider(t *testing.T, res *render.Result) render.Resource {
	t.Helper()
	var found []render.Resource
	for _, r := range ofType(res, typeK8s) {
		if r.Parent == "" || !strings.Contains(r.Parent, "AwsLoadBalancerController") {
			found = append(found, r)
		}
	}
	if len(found) != 1 {
		t.Fatalf("want exactly one cluster provider, got %d", len(found))
	}
	return found[0]
}

// oneWith is the only resource of a type whose input at path is want: the Cilium release
// among the Helm releases, the CoreDNS addon among the EKS addons.
func oneWith(t *testing.T, res *render.Result, typ, path, want string) render.Resource {
	t.Helper()
	var found []render.Resource
	for _, r := range ofType(res, typ) {
		if v, ok := get(r.Inputs, path); ok && v.IsString() && v.StringValue() == want {
			found = append(found, r)
		}
	}
	if len(found) != 1 {
		t.Fatalf("want exactly one %s with %s %q, got %d", typ, path, want, len(found))
	}
	return found[0]
}

// get walks a dotted path through a PropertyMap ("values.ipam.mode").
func get(m resource.PropertyMap, path string) (resource.PropertyValue, bool) {
	v := resource.NewProperty(m)
	for _, part := range strings.Split(path, ".") {
		if v.IsOutput() {
			v = v.OutputValue().Element
		}
		if !v.IsObject() {
			return resource.PropertyValue{}, false
		}
		next, ok := v.ObjectValue()[resource.PropertyKey(part)]
		if !ok {
			return resource.PropertyValue{}, false
		}
		v = next
	}
	return v, true
}

func strs(v resource.PropertyValue) []string {
	var out []string
	for _, e := range v.ArrayValue() {
		out = append(out, e.StringValue())
	}
	return out
}

func TestProgram_ResourceSetPerShippedStack(t *testing.T) {
	for _, path := range shippedStacks(t) {
		res := renderStack(t, path, nil)
		cfg := res.Config
		counts := map[string]int{}
		for _, r := range res.Resources {
			counts[r.Type]++
		}
		azs := cfg.Vpc.AvailabilityZones
		nats := azs
		if cfg.Vpc.NatGateways == "single" {
			nats = 1
		}
		ngs := len(cfg.NodeGroups)
		// Add-ons: metrics-server (release + dnsPolicy patch), the controller (release + Pod
		// Identity role, inline policy, association) and the one Pod Identity agent addon.
		ms, lbc := 0, 0
		if cfg.Addons != nil && cfg.Addons.MetricsServer != nil {
			ms = 1
		}
		if cfg.Addons != nil && cfg.Addons.AwsLoadBalancerController != nil {
			lbc = 1
		}
		agent := 0 // one Pod Identity agent addon for every consumer (plan.NeedsPodIdentityAgent)
		if lbc == 1 || cfg.Karpenter != nil {
			agent = 1
		}
		want := map[string]int{
			"eks-cilium:index:Platform":               1,
			"eks-cilium:index:Vpc":                    1,
			"eks-cilium:index:Cluster":                1,
			"eks-cilium:index:Cilium":                 1,
			"eks-cilium:index:NodeGroup":              ngs,
			"eks-cilium:index:CoreDns":                1,
			"aws:ec2/vpc:Vpc":                         1,
			"aws:ec2/internetGateway:InternetGateway": 1,
			typeSubnet:                      2 * azs,
			"aws:ec2/routeTable:RouteTable": azs + 1,
			"aws:ec2/routeTableAssociation:RouteTableAssociation": 2 * azs,
			"aws:ec2/eip:Eip":                    nats,
			"aws:ec2/natGateway:NatGateway":      nats,
			"aws:ec2/vpcEndpoint:VpcEndpoint":    1,
			"aws:kms/key:Key":                    1,
			typeCluster:                          1,
			typeK8s:                              1 + lbc, // the controller's CRDs have their own
			"kubernetes:yaml/v2:ConfigFile":      2 * lbc, // its crds.yaml and gateway-crds.yaml
			typeRelease:                          1 + ms + lbc,
			"aws:iam/role:Role":                  ngs + lbc,
			typeAttach:                           2 * ngs,
			typeLT:                               ngs,
			typeNodeGroup:                        ngs,
			typeAddon:                            1 + agent,
			"eks-cilium:index:MetricsServer":     ms,
			"kubernetes:apps/v1:DeploymentPatch": ms,
			"eks-cilium:index:AwsLoadBalancerController":            lbc,
			"eks-cilium:index:PodIdentityRole":                      lbc,
			"aws:iam/rolePolicy:RolePolicy":                         lbc,
			"aws:eks/podIdentityAssociation:PodIdentityAssociation": lbc,
		}
		if k := cfg.Karpenter; k != nil {
			// components/karpenter: node role (+2 policies, access entry), queue (+policy, 5
			// rules and targets), the controller's Pod Identity role, two releases, two objects
			// per node pool.
			pools := len(k.NodePools)
			for typ, n := range map[string]int{
				"eks-cilium:index:Karpenter":                            1,
				"eks-cilium:index:PodIdentityRole":                      1,
				"aws:iam/role:Role":                                     2,
				"aws:iam/rolePolicy:RolePolicy":                         1,
				typeAttach:                                              2,
				"aws:eks/accessEntry:AccessEntry":                       1,
				"aws:eks/podIdentityAssociation:PodIdentityAssociation": 1,
				"aws:sqs/queue:Queue":                                   1,
				"aws:sqs/queuePolicy:QueuePolicy":                       1,
				"aws:cloudwatch/eventRule:EventRule":                    5,
				"aws:cloudwatch/eventTarget:EventTarget":                5,
				typeRelease:                                             2,
				"kubernetes:karpenter.sh/v1:NodePool":                   pools,
				"kubernetes:karpenter.k8s.aws/v1:EC2NodeClass":          pools,
			} {
				want[typ] += n
			}
		}
		for typ, n := range want {
			if counts[typ] != n {
				t.Errorf("%s: %d × %s, want %d", cfg.Stack, counts[typ], typ, n)
			}
		}
		for typ := range counts {
			if _, ok := want[typ]; !ok {
				t.Errorf("%s: unexpected resource type %s", cfg.Stack, typ)
			}
		}
	}
}

func TestProgram_EveryResourceIsParented(t *testing.T) {
	for _, path := range shippedStacks(t) {
		res := renderStack(t, path, nil)
		urns := map[string]bool{}
		for _, r := range res.Resources {
			urns[r.URN] = true
		}
		for _, r := range res.Resources {
			if r.Type == "eks-cilium:index:Platform" {
				if !strings.Contains(r.Parent, "pulumi:pulumi:Stack") {
					t.Errorf("Platform's parent is %q, want the stack", r.Parent)
				}
				continue
			}
			if !urns[r.Parent] {
				t.Errorf("%s has parent %q, which is not one of the program's resources", r.URN, r.Parent)
			}
		}
	}
}

func TestCluster_KeepsAwsNodeAwayAndSetsControlPlane(t *testing.T) {
	for _, path := range shippedStacks(t) {
		res := renderStack(t, path, nil)
		cfg := res.Config
		in := one(t, res, typeCluster).Inputs
		for _, key := range []string{"skipDefaultNodeGroup", "useDefaultVpcCni", "endpointPrivateAccess", "createOidcProvider"} {
			if v, ok := get(in, key); !ok || !v.BoolValue() {
				t.Errorf("%s: cluster input %s = %v, want true", cfg.Stack, key, v)
			}
		}
		remove, _ := get(in, "defaultAddonsToRemove")
		if !slices.Contains(strs(remove), "vpc-cni") {
			t.Errorf("%s: defaultAddonsToRemove %v lacks vpc-cni", cfg.Stack, strs(remove))
		}
		if _, ok := get(in, "corednsAddonOptions"); ok {
			t.Errorf("%s: corednsAddonOptions must stay unset (non-nil defaults Enabled=true)", cfg.Stack)
		}
		if v, _ := get(in, "kubernetesServiceIpAddressRange"); v.StringValue() != cfg.Cluster.ServiceCidr {
			t.Errorf("%s: service CIDR %v, want %s", cfg.Stack, v, cfg.Cluster.ServiceCidr)
		}
		if v, _ := get(in, "authenticationMode"); v.StringValue() != "API" {
			t.Errorf("%s: authenticationMode %v, want API", cfg.Stack, v)
		}
		logs, _ := get(in, "enabledClusterLogTypes")
		if got := strs(logs); len(got) != 5 {
			t.Errorf("%s: log types %v, want all five", cfg.Stack, got)
		}
		if v, ok := get(in, "encryptionConfigKeyArn"); !ok || v.IsNull() {
			t.Errorf("%s: secrets encryption key missing", cfg.Stack)
		}
		cidrs, _ := get(in, "publicAccessCidrs")
		if !slices.Equal(strs(cidrs), cfg.Cluster.PublicAccessCidrs) {
			t.Errorf("%s: publicAccessCidrs %v, want %v", cfg.Stack, strs(cidrs), cfg.Cluster.PublicAccessCidrs)
		}
	}
}

func TestCluster_KubeProxyReplacementOnAndOff(t *testing.T) {
	path := "../stacks/Pulumi.dev.yaml"
	for _, kpr := range []bool{true, false} {
		t.Run(fmt.Sprintf("kubeProxyReplacement=%v", kpr), func(t *testing.T) {
			res := renderStack(t, path, func(v map[string]string) {
				v[stackconfig.KeyCluster] = fmt.Sprintf(`{"version":"1.35","serviceCidr":"172.20.0.0/16","kubeProxyReplacement":%v}`, kpr)
			})
			in := one(t, res, typeCluster).Inputs
			remove, _ := get(in, "defaultAddonsToRemove")
			if got := slices.Contains(strs(remove), "kube-proxy"); got != kpr {
				t.Errorf("kube-proxy in defaultAddonsToRemove = %v, want %v", got, kpr)
			}
			enabled, ok := get(in, "kubeProxyAddonOptions.enabled")
			if kpr && (!ok || enabled.BoolValue()) {
				t.Errorf("kubeProxyAddonOptions.enabled = %v (set %v), want false", enabled, ok)
			}
			if !kpr && ok {
				t.Errorf("kubeProxyAddonOptions set without replacement: %v", enabled)
			}
			values := oneWith(t, res, typeRelease, "chart", "cilium").Inputs
			if v, _ := get(values, "values.kubeProxyReplacement"); v.BoolValue() != kpr {
				t.Errorf("values.kubeProxyReplacement = %v, want %v", v, kpr)
			}
			host, hasHost := get(values, "values.k8sServiceHost")
			port, hasPort := get(values, "values.k8sServicePort")
			if kpr {
				if !hasHost || host.StringValue() != strings.TrimPrefix(render.FakeEndpoint, "https://") || !hasPort || port.NumberValue() != 443 {
					t.Errorf("k8sServiceHost %v, port %v; want the endpoint host and 443", host, port)
				}
			} else if hasHost || hasPort {
				t.Errorf("k8sServiceHost/Port set without replacement: %v %v", host, port)
			}
		})
	}
}

func TestNodeGroup_IsTaintedPrivateAndSetsMaxPods(t *testing.T) {
	for _, path := range shippedStacks(t) {
		res := renderStack(t, path, nil)
		cfg := res.Config
		private := map[string]bool{}
		for _, s := range ofType(res, typeSubnet) {
			if strings.HasSuffix(s.Name, "-private") {
				private[s.ID] = true
			}
		}
		groups := ofType(res, typeNodeGroup)
		if len(groups) != len(cfg.NodeGroups) {
			t.Fatalf("%s: %d node groups, want %d", cfg.Stack, len(groups), len(cfg.NodeGroups))
		}
		for _, ng := range groups {
			taints, _ := get(ng.Inputs, "taints")
			found := false
			for _, taint := range taints.ArrayValue() {
				o := taint.ObjectValue()
				if o["key"].StringValue() == "node.cilium.io/agent-not-ready" && o["value"].StringValue() == "true" && o["effect"].StringValue() == "NO_EXECUTE" {
					found = true
				}
			}
			if !found {
				t.Errorf("%s: node group %s lacks the Cilium startup taint: %v", cfg.Stack, ng.Name, taints)
			}
			subnets, _ := get(ng.Inputs, "subnetIds")
			ids := strs(subnets)
			if len(ids) != cfg.Vpc.AvailabilityZones {
				t.Errorf("%s: node group %s in %d subnets, want one private subnet per AZ", cfg.Stack, ng.Name, len(ids))
			}
			for _, id := range ids {
				if !private[id] {
					t.Errorf("%s: node group %s uses subnet %s, which is not private", cfg.Stack, ng.Name, id)
				}
			}
			upd, _ := get(ng.Inputs, "updateConfig.maxUnavailable")
			if upd.NumberValue() < 1 {
				t.Errorf("%s: node group %s maxUnavailable %v", cfg.Stack, ng.Name, upd)
			}
		}
		for i, lt := range ofType(res, typeLT) {
			ud, _ := get(lt.Inputs, "userData")
			raw, err := base64.StdEncoding.DecodeString(ud.StringValue())
			if err != nil {
				t.Fatalf("%s: launch template %s user data is not base64: %v", cfg.Stack, lt.Name, err)
			}
			group := res.Plan.IP.NodeGroups[groupIndex(t, res, lt.Name)]
			for _, want := range []string{
				fmt.Sprintf("maxPods: %d", group.MaxPods),
				fmt.Sprintf("memory: \"%dMi\"", 11*group.MaxPods+255),
				"--register-with-taints=node.cilium.io/agent-not-ready=true:NoExecute",
				"apiServerEndpoint: \"" + render.FakeEndpoint + "\"",
				"cidr: \"" + cfg.Cluster.ServiceCidr + "\"",
			} {
				if !strings.Contains(string(raw), want) {
					t.Errorf("%s: launch template %d user data lacks %q:\n%s", cfg.Stack, i, want, raw)
				}
			}
			if v, _ := get(lt.Inputs, "metadataOptions.httpTokens"); v.StringValue() != "required" {
				t.Errorf("%s: IMDSv2 not required on %s", cfg.Stack, lt.Name)
			}
			// Overlay pods are one hop further from IMDS than the node: 1 keeps them out.
			if v, _ := get(lt.Inputs, "metadataOptions.httpPutResponseHopLimit"); !v.IsNumber() || v.NumberValue() != 1 {
				t.Errorf("%s: IMDS hop limit of %s is %v, want 1", cfg.Stack, lt.Name, v)
			}
			if got := volumes(lt); fmt.Sprint(got) != fmt.Sprintf("[/dev/xvda:%d:gp3:true]", cfg.NodeGroups[groupIndex(t, res, lt.Name)].DiskSize) {
				t.Errorf("%s: volumes of %s are %v, want one encrypted gp3 /dev/xvda of diskSize", cfg.Stack, lt.Name, got)
			}
		}
		var policies []string
		for _, a := range ofType(res, typeAttach) {
			v, _ := get(a.Inputs, "policyArn")
			policies = append(policies, v.StringValue()[strings.LastIndex(v.StringValue(), "/")+1:])
		}
		sort.Strings(policies)
		var want []string
		for range cfg.NodeGroups {
			want = append(want, "AmazonEC2ContainerRegistryReadOnly", "AmazonEKSWorkerNodePolicy")
		}
		if cfg.Karpenter != nil { // Karpenter's node role: the same two
			want = append(want, "AmazonEC2ContainerRegistryReadOnly", "AmazonEKSWorkerNodePolicy")
		}
		sort.Strings(want)
		if !slices.Equal(policies, want) {
			t.Errorf("%s: node role policies %v, want exactly %v (never the CNI policy)", cfg.Stack, policies, want)
		}
	}
}

// volumes lists a launch template's EBS mappings as device:size:type:encrypted (size 0: the AMI's).
func volumes(lt render.Resource) []string {
	v, _ := get(lt.Inputs, "blockDeviceMappings")
	var out []string
	for _, m := range v.ArrayValue() {
		o := m.ObjectValue()
		ebs := o["ebs"].ObjectValue()
		size := 0.0
		if s, ok := ebs["volumeSize"]; ok {
			size = s.NumberValue()
		}
		out = append(out, fmt.Sprintf("%s:%v:%s:%s", o["deviceName"].StringValue(), size, ebs["volumeType"].StringValue(), ebs["encrypted"].StringValue()))
	}
	return out
}

func groupIndex(t *testing.T, res *render.Result, resourceName string) int {
	t.Helper()
	for i, ng := range res.Config.NodeGroups {
		if resourceName == res.Config.ClusterName()+"-"+ng.Name {
			return i
		}
	}
	t.Fatalf("no node group for %s", resourceName)
	return -1
}

func TestCilium_ReleaseValuesFromConfig(t *testing.T) {
	for _, path := range shippedStacks(t) {
		res := renderStack(t, path, nil)
		cfg := res.Config
		in := oneWith(t, res, typeRelease, "chart", "cilium").Inputs
		check := map[string]any{
			"chart":               "cilium",
			"version":             cfg.Cilium.Version,
			"namespace":           "kube-system",
			"repositoryOpts.repo": "https://helm.cilium.io",
			"skipAwait":           true,
			"values.ipam.mode":    "cluster-pool",
			"values.ipam.operator.clusterPoolIPv4MaskSize": float64(cfg.Cilium.ClusterPoolIPv4MaskSize),
			"values.routingMode":                           "tunnel",
			"values.tunnelProtocol":                        cfg.Cilium.TunnelProtocol,
			"values.eni.enabled":                           false,
			"values.cni.exclusive":                         true,
			"values.hubble.relay.enabled":                  cfg.Cilium.HubbleRelay,
		}
		for path, want := range check {
			v, ok := get(in, path)
			if !ok || v.V != want {
				t.Errorf("%s: release %s = %v, want %v", cfg.Stack, path, v, want)
			}
		}
		list, _ := get(in, "values.ipam.operator.clusterPoolIPv4PodCIDRList")
		if !slices.Equal(strs(list), cfg.Cilium.ClusterPoolIPv4PodCIDRList) {
			t.Errorf("%s: pod CIDR list %v, want %v", cfg.Stack, strs(list), cfg.Cilium.ClusterPoolIPv4PodCIDRList)
		}
	}
}

// TestGraph_OrderIsVpcClusterCiliumNodeGroupsCoreDNS checks the edges the design relies on:
// node groups wait for (and on destroy go before) the Cilium release, CoreDNS waits for the
// node groups, and the release talks to the cluster through the cluster's provider.
func TestGraph_OrderIsVpcClusterCiliumNodeGroupsCoreDNS(t *testing.T) {
	for _, path := range shippedStacks(t) {
		res := renderStack(t, path, nil)
		release := oneWith(t, res, typeRelease, "chart", "cilium")
		cluster := one(t, res, typeCluster)
		provider := clusterProvider(t, res)
		if release.Provider != provider.URN {
			t.Errorf("release uses provider %q, want the cluster's %q", release.Provider, provider.URN)
		}
		if !slices.Contains(provider.DependsOn, cluster.URN) {
			t.Errorf("kubernetes provider does not depend on the cluster (kubeconfig): %v", provider.DependsOn)
		}
		addon := oneWith(t, res, typeAddon, "addonName", "coredns")
		for _, ng := range ofType(res, typeNodeGroup) {
			if !slices.Contains(ng.DependsOn, release.URN) {
				t.Errorf("node group %s does not depend on the Cilium release: %v", ng.Name, ng.DependsOn)
			}
			if !slices.Contains(addon.DependsOn, ng.URN) {
				t.Errorf("CoreDNS addon does not depend on node group %s: %v", ng.Name, addon.DependsOn)
			}
		}
		subnets := ofType(res, typeSubnet)
		for _, s := range subnets {
			if !slices.Contains(cluster.DependsOn, s.URN) {
				t.Errorf("cluster does not depend on subnet %s", s.Name)
			}
		}
	}
}

// countingMocks records every registration, to prove an invalid stack registers nothing.
type countingMocks struct {
	mu    sync.Mutex
	types []string
}

func (m *countingMocks) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.types = append(m.types, args.TypeToken)
	return args.Name + "-id", args.Inputs, nil
}

func (m *countingMocks) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	return resource.PropertyMap{}, nil
}

func TestProgram_InvalidConfigRegistersNothing(t *testing.T) {
	cases := map[string]map[string]string{
		"pod CIDR overlaps VPC": {
			stackconfig.KeyVpc:        `{"cidr":"10.0.0.0/16","availabilityZones":2,"natGateways":"single"}`,
			stackconfig.KeyNodeGroups: `[{"name":"a","instanceTypes":["m5.large"],"minSize":1,"desiredSize":1,"maxSize":2}]`,
			stackconfig.KeyCilium:     `{"version":"1.19.6","clusterPoolIPv4PodCIDRList":["10.0.0.0/8"],"clusterPoolIPv4MaskSize":24}`,
		},
		"mask size is a string": {
			stackconfig.KeyNodeGroups: `[{"name":"a","instanceTypes":["m5.large"],"minSize":1,"desiredSize":1,"maxSize":2}]`,
			stackconfig.KeyCilium:     `{"version":"1.19.6","clusterPoolIPv4PodCIDRList":["10.200.0.0/16"],"clusterPoolIPv4MaskSize":"24"}`,
		},
		"no node groups": {
			stackconfig.KeyCilium: `{"version":"1.19.6","clusterPoolIPv4PodCIDRList":["10.200.0.0/16"]}`,
		},
		"extra values override the IPAM mode": {
			stackconfig.KeyNodeGroups: `[{"name":"a","instanceTypes":["m5.large"],"minSize":1,"desiredSize":1,"maxSize":2}]`,
			stackconfig.KeyCilium:     `{"version":"1.19.6","clusterPoolIPv4PodCIDRList":["10.200.0.0/16"],"values":{"ipam":{"mode":"eni"}}}`,
		},
	}
	wantKey := map[string]string{
		"pod CIDR overlaps VPC":               "eks-cilium:cilium.clusterPoolIPv4PodCIDRList[0]",
		"mask size is a string":               "eks-cilium:cilium.clusterPoolIPv4MaskSize",
		"no node groups":                      "eks-cilium:nodeGroups",
		"extra values override the IPAM mode": "eks-cilium:cilium.values.ipam.mode",
	}
	for name, values := range cases {
		t.Run(name, func(t *testing.T) {
			values[stackconfig.KeyRegion] = "eu-west-1"
			mocks := &countingMocks{}
			err := pulumi.RunErr(program.Run, pulumi.WithMocks("eks-cilium", "bad", mocks), func(info *pulumi.RunInfo) {
				info.Config = values
				info.DryRun = true
			})
			var probs stackconfig.Problems
			if !errors.As(err, &probs) {
				t.Fatalf("err = %v, want stackconfig.Problems", err)
			}
			if !slices.ContainsFunc(probs, func(p stackconfig.Problem) bool { return p.Key == wantKey[name] }) {
				t.Errorf("problems %v do not name %s", probs, wantKey[name])
			}
			if len(mocks.types) != 0 {
				t.Errorf("an invalid stack registered %d resources: %v", len(mocks.types), mocks.types)
			}
		})
	}
}

// TestProgram_ExportsOutputs runs program.Deploy and awaits the exported values.
func TestProgram_ExportsOutputs(t *testing.T) {
	cfg, values, err := stackconfig.LoadFile("../stacks/Pulumi.prod.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	got := map[string]any{}
	err = pulumi.RunErr(func(ctx *pulumi.Context) error {
		p, err := program.Deploy(ctx, cfg, nil)
		if err != nil {
			return err
		}
		// The recorded values are exported so RunErr waits for every callback: an Apply
		// nobody awaits may never run, and its assertion would pass vacuously.
		for k, v := range program.Outputs(cfg, p) {
			ctx.Export(k, pulumi.ToOutput(v).ApplyT(func(x any) any {
				mu.Lock()
				defer mu.Unlock()
				got[k] = x
				return x
			}))
		}
		return nil
	}, pulumi.WithMocks("eks-cilium", "prod", render.NewMocks("prod", cfg.Region, true, nil)), func(info *pulumi.RunInfo) { info.Config = values })
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"kubeconfig", "clusterName", "clusterEndpoint", "vpcId", "podCidrs", "podCidrMaskSize", "ciliumVersion", "nodeGroups", "ipPlan", "ipamMode", "routingMode", "vpcCidr", "serviceCidr"} {
		if _, ok := got[k]; !ok {
			t.Errorf("output %s was not exported (or never resolved)", k)
		}
	}
	// The day-2 guard reads these back from the previous deployment: each must be exported
	// (ciliumPreflight only by an update that changes the Cilium minor).
	for _, k := range program.PreviousOutputs {
		if _, ok := got[k]; !ok && k != "ciliumPreflight" {
			t.Errorf("output %s, which the day-2 guard reads back, was not exported", k)
		}
	}
	if got["kubeProxyReplacement"] != cfg.Cluster.KubeProxyReplacement {
		t.Errorf("output kubeProxyReplacement = %v, want %v", got["kubeProxyReplacement"], cfg.Cluster.KubeProxyReplacement)
	}
	if fmt.Sprint(got["podCidrs"]) != "[10.100.0.0/17 10.101.0.0/17]" || got["podCidrMaskSize"] != 24 || got["clusterName"] != "eks-cilium-prod" {
		t.Errorf("outputs podCidrs=%v mask=%v clusterName=%v", got["podCidrs"], got["podCidrMaskSize"], got["clusterName"])
	}
}

func TestProgram_ResourceOptionsFollowConfig(t *testing.T) {
	for _, path := range shippedStacks(t) {
		res := renderStack(t, path, nil)
		cfg := res.Config
		if got := one(t, res, typeCluster).Protect; got != cfg.Cluster.Protect {
			t.Errorf("%s: cluster protect = %v, want %v", cfg.Stack, got, cfg.Cluster.Protect)
		}
		for _, ng := range ofType(res, typeNodeGroup) {
			// The name prefix is always ignored: an existing group keeps the longer prefix it
			// was created with (awsnames.NodeGroupNamePrefix).
			want := []string{"nodeGroupNamePrefix"}
			if cfg.NodeGroups[groupIndex(t, res, ng.Name)].IgnoreScalingChanges {
				want = append(want, "scalingConfig.desiredSize")
			}
			if !slices.Equal(ng.IgnoreChanges, want) {
				t.Errorf("%s: node group %s ignoreChanges %v, want %v", cfg.Stack, ng.Name, ng.IgnoreChanges, want)
			}
		}
	}
}

func TestPlatform_UsesAnExistingVpc(t *testing.T) {
	res := renderStack(t, "../stacks/Pulumi.dev.yaml", func(v map[string]string) {
		v[stackconfig.KeyVpc] = `{"id":"vpc-0abc0abc0abc0abc0","cidr":"10.50.0.0/16","availabilityZones":2,` +
			`"privateSubnetIds":["subnet-0aaa0aaa0aaa0aaa1","subnet-0aaa0aaa0aaa0aaa2"],"publicSubnetIds":["subnet-0bbb0bbb0bbb0bbb1","subnet-0bbb0bbb0bbb0bbb2"]}`
	})
	for _, typ := range []string{"eks-cilium:index:Vpc", "aws:ec2/vpc:Vpc", typeSubnet, "aws:ec2/natGateway:NatGateway"} {
		if n := len(ofType(res, typ)); n != 0 {
			t.Errorf("an existing VPC must not create %s (got %d)", typ, n)
		}
	}
	cl := one(t, res, typeCluster).Inputs
	for key, want := range map[string][]string{
		"privateSubnetIds": {"subnet-0aaa0aaa0aaa0aaa1", "subnet-0aaa0aaa0aaa0aaa2"},
		"publicSubnetIds":  {"subnet-0bbb0bbb0bbb0bbb1", "subnet-0bbb0bbb0bbb0bbb2"},
	} {
		v, _ := get(cl, key)
		if !slices.Equal(strs(v), want) {
			t.Errorf("cluster %s = %v, want %v", key, strs(v), want)
		}
	}
	if v, _ := get(cl, "vpcId"); v.StringValue() != "vpc-0abc0abc0abc0abc0" {
		t.Errorf("cluster vpcId = %v", v)
	}
	for _, ng := range ofType(res, typeNodeGroup) {
		v, _ := get(ng.Inputs, "subnetIds")
		if !slices.Equal(strs(v), []string{"subnet-0aaa0aaa0aaa0aaa1", "subnet-0aaa0aaa0aaa0aaa2"}) {
			t.Errorf("node group %s subnets %v, want the given private subnets", ng.Name, strs(v))
		}
	}
}

func TestNodeGroup_BottlerocketGetsTOMLWithMaxPodsAndTaint(t *testing.T) {
	res := renderStack(t, "../stacks/Pulumi.dev.yaml", func(v map[string]string) {
		v[stackconfig.KeyNodeGroups] = `[{"name":"br","instanceTypes":["m5.large"],"minSize":1,"desiredSize":1,"maxSize":2,"maxPods":90,"amiType":"BOTTLEROCKET_x86_64"}]`
	})
	lt := one(t, res, typeLT)
	ud, _ := get(lt.Inputs, "userData")
	raw, err := base64.StdEncoding.DecodeString(ud.StringValue())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"max-pods = 90", `"node.cilium.io/agent-not-ready" = ["true:NoExecute"]`, `cluster-dns-ip = "172.20.0.10"`} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("Bottlerocket user data lacks %q:\n%s", want, raw)
		}
	}
	// Bottlerocket boots from /dev/xvda (the AMI's size) and keeps images and pods on /dev/xvdb:
	// both encrypted.
	if got := volumes(lt); fmt.Sprint(got) != "[/dev/xvda:0:gp3:true /dev/xvdb:50:gp3:true]" {
		t.Errorf("Bottlerocket volumes %v, want encrypted gp3 /dev/xvda (AMI size) and /dev/xvdb of diskSize 50", got)
	}
	if strings.Contains(string(raw), "kube-reserved") {
		t.Errorf("Bottlerocket sizes kube-reserved from max-pods itself; the TOML must not set it:\n%s", raw)
	}
	if v, _ := get(lt.Inputs, "imageId"); !strings.Contains(v.StringValue(), "/aws/service/bottlerocket/aws-k8s-1.35/x86_64/") {
		t.Errorf("imageId %v is not Bottlerocket's SSM parameter", v)
	}
}

// EKS never updates an addon by itself, so the version is always pinned: the addon table's
// for the cluster's Kubernetes version, or cluster.corednsVersion where set.
func TestCoreDns_AddonVersionIsTheTablesUnlessConfigured(t *testing.T) {
	for _, tt := range []struct{ kube, configured, want string }{
		{"1.35", "", "v1.14.2-eksbuild.4"},
		{"1.34", "", "v1.13.2-eksbuild.7"},
		{"1.35", "v1.12.1-eksbuild.2", "v1.12.1-eksbuild.2"},
	} {
		res := renderStack(t, "../stacks/Pulumi.dev.yaml", func(v map[string]string) {
			v[stackconfig.KeyCluster] = fmt.Sprintf(`{"version":%q,"serviceCidr":"172.20.0.0/16","corednsVersion":%q}`, tt.kube, tt.configured)
		})
		in := oneWith(t, res, typeAddon, "addonName", "coredns").Inputs
		if got, set := get(in, "addonVersion"); !set || got.StringValue() != tt.want {
			t.Errorf("%s with corednsVersion %q: addonVersion = %v (set %v), want %s", tt.kube, tt.configured, got, set, tt.want)
		}
		if v, _ := get(in, "resolveConflictsOnCreate"); v.StringValue() != "OVERWRITE" {
			t.Errorf("the addon must adopt the bootstrapped CoreDNS (OVERWRITE), got %v", v)
		}
	}
}

func TestCluster_PrivateEndpointSendsNoPublicAccessCidrs(t *testing.T) {
	// pulumi-eks v3.9.1 throws on publicAccessCidrs, even an empty list, when
	// endpointPublicAccess is false.
	for _, cidrs := range []string{``, `,"publicAccessCidrs":["203.0.113.0/24"]`} {
		res := renderStack(t, "../stacks/Pulumi.dev.yaml", func(v map[string]string) {
			v[stackconfig.KeyCluster] = `{"version":"1.33","serviceCidr":"172.20.0.0/16","endpointPublicAccess":false` + cidrs + `}`
		})
		in := one(t, res, typeCluster).Inputs
		if v, ok := get(in, "endpointPublicAccess"); !ok || v.BoolValue() {
			t.Errorf("endpointPublicAccess = %v (set %v), want false", v, ok)
		}
		if v, ok := get(in, "publicAccessCidrs"); ok {
			t.Errorf("publicAccessCidrs sent with the public endpoint off: %v", v)
		}
		if v, ok := get(in, "endpointPrivateAccess"); !ok || !v.BoolValue() {
			t.Errorf("endpointPrivateAccess = %v, want true", v)
		}
		if !slices.ContainsFunc(res.Plan.Warnings(), func(w string) bool { return strings.Contains(w, "run `pulumi up` from there") }) {
			t.Errorf("warnings %q do not say where `pulumi up` must run", res.Plan.Warnings())
		}
	}
}

func TestRender_UserDataIsWhatTheLaunchTemplatesCarry(t *testing.T) {
	// The render prints user data from the configuration with the Platform's own functions;
	// here the same program, answered like an update, must have put exactly that, with the
	// cluster's values filled in, into every launch template.
	br := `[{"name":"general","instanceTypes":["m5.large"],"minSize":1,"desiredSize":1,"maxSize":2,"maxPods":90,"labels":{"team":"a"}},` +
		`{"name":"rocket","instanceTypes":["m5.large"],"minSize":1,"desiredSize":1,"maxSize":2,"amiType":"BOTTLEROCKET_x86_64"}]`
	for name, edit := range map[string]func(map[string]string){
		"dev":                      nil,
		"nodeadm and bottlerocket": func(v map[string]string) { v[stackconfig.KeyNodeGroups] = br },
	} {
		t.Run(name, func(t *testing.T) {
			res := renderStack(t, "../stacks/Pulumi.dev.yaml", edit)
			want, err := platform.NodeUserData(res.Plan, nodegroup.ClusterInfo{
				Name: res.Config.ClusterName(), Endpoint: render.FakeEndpoint, CertificateAuthority: render.FakeCA, ServiceCidr: res.Config.Cluster.ServiceCidr,
			})
			if err != nil {
				t.Fatal(err)
			}
			lts := ofType(res, typeLT)
			if len(lts) != len(res.Config.NodeGroups) {
				t.Fatalf("%d launch templates for %d node groups", len(lts), len(res.Config.NodeGroups))
			}
			for _, lt := range lts {
				ng := res.Config.NodeGroups[groupIndex(t, res, lt.Name)]
				ud, _ := get(lt.Inputs, "userData")
				raw, err := base64.StdEncoding.DecodeString(ud.StringValue())
				if err != nil {
					t.Fatal(err)
				}
				if string(raw) != want[ng.Name] {
					t.Errorf("node group %s: launch template carries\n%s\nthe render shows\n%s", ng.Name, raw, want[ng.Name])
				}
			}
			// The render itself (a preview) shows the same text with <computed> for the cluster's values.
			preview, err := render.Run(res.Config.Stack, valuesOf(t, edit), render.Options{})
			if err != nil {
				t.Fatal(err)
			}
			for name, text := range want {
				shown := strings.NewReplacer(render.FakeEndpoint, render.Computed, render.FakeCA, render.Computed).Replace(text)
				if preview.UserData[name] != shown {
					t.Errorf("render user data of %s:\n%s\nwant\n%s", name, preview.UserData[name], shown)
				}
			}
		})
	}
}

func valuesOf(t *testing.T, edit func(map[string]string)) map[string]string {
	t.Helper()
	_, values, err := stackconfig.LoadFile("../stacks/Pulumi.dev.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(values)
	}
	return values
}

// TestCluster_ProvidersUpdateConfigMapsInPlace: the cluster's Kubernetes provider, created or
// adopted, updates a ConfigMap whose data changes instead of replacing it (which the real
// provider does by default, deleting it first: the migration's state ConfigMap changes every
// phase, and the real-control-plane lane saw it deleted and recreated).
func TestCluster_ProvidersUpdateConfigMapsInPlace(t *testing.T) {
	results := map[string]*render.Result{"adopt": renderPhase(t, "install", "addon", "")}
	for _, path := range shippedStacks(t) {
		res := renderStack(t, path, nil)
		results[res.Config.Stack] = res
	}
	for stack, res := range results {
		p := clusterProvider(t, res)
		if v, ok := get(p.Inputs, "enableConfigMapMutable"); !ok || !v.IsBool() || !v.BoolValue() {
			t.Errorf("%s: the cluster's kubernetes provider has enableConfigMapMutable %v, want true", stack, v)
		}
	}
}
