package enginetest

import (
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// ExistingCluster is an EKS cluster on the AWS VPC CNI that the stack adopts: what the fake
// AWS provider answers to the data sources the program reads (getCluster, getVpc,
// getRouteTables, getRouteTable, getNodeGroup, getLaunchTemplate, getAddon) and to the import
// of its vpc-cni add-on, what a fake EKS API answers to ListFargateProfiles, and what a fake
// Kubernetes API server (TLS, bearer token from the `aws eks get-token` exec plugin) answers
// to the lists the migration's live checks make. Tests change it between phases (drain a
// legacy group) under its lock.
type ExistingCluster struct {
	mu sync.Mutex

	name, version, vpcId, serviceCidr, securityGroup string
	vpcCidrs                                         []string
	routes                                           map[string][]map[string]any // route table id -> routes
	legacy                                           map[string]*legacyGroup
	addonConfig                                      string // the vpc-cni add-on's configurationValues
	selfManaged                                      bool   // no vpc-cni add-on
	awsNodeDesired                                   int
	networkPolicies                                  []string

	kube, eks *httptest.Server
	endpoint  string // the API server DescribeCluster names
	caPEM     []byte // its CA
	token     string
	// kubeReads and eksReads count the authorized requests: a live check that read nothing
	// would otherwise pass on empty answers.
	kubeReads, eksReads int
}

type legacyGroup struct {
	desired, nodes int
	launchTemplate string   // "" when EKS builds the launch template itself
	securityGroups []string // of launch template
}

// ExistingOptions shape the adopted cluster.
type ExistingOptions struct {
	// API, when set, is a real Kubernetes API server that answers for the cluster (the
	// real-control-plane lane): DescribeCluster names it and the kubeconfig's exec plugin
	// prints its token, and the test puts nodes and aws-node there itself. Nil: a fake API
	// server answers the live checks' lists from the legacy groups below.
	API *KubeAPI
	// SelfManagedAwsNode is a cluster without the vpc-cni add-on, whose aws-node is the
	// DaemonSet EKS bootstrapped: getAddon answers as EKS does for a missing add-on.
	SelfManagedAwsNode bool
}

// KubeAPI is a real API server: its URL, CA and a bearer token it accepts.
type KubeAPI struct {
	Server string
	CAPEM  []byte
	Token  string
}

// NewExistingCluster starts the fake APIs of a cluster "legacy" with two legacy node groups on
// aws-node and puts a fake `aws` CLI on PATH for the kubeconfig's exec plugin. Everything
// stops when the test ends.
func NewExistingCluster(t testing.TB, fs *Fakes) *ExistingCluster {
	t.Helper()
	return NewExistingClusterWith(t, fs, ExistingOptions{})
}

// NewExistingClusterWith is NewExistingCluster shaped by opts.
func NewExistingClusterWith(t testing.TB, fs *Fakes, opts ExistingOptions) *ExistingCluster {
	t.Helper()
	c := &ExistingCluster{
		name: "legacy", version: "1.35", vpcId: "vpc-0a1b2c3d4e5f60718", serviceCidr: "172.20.0.0/16",
		securityGroup: "sg-0c1a2b3c4d5e6f708",
		vpcCidrs:      []string{"10.0.0.0/16", "10.1.0.0/16"},
		routes: map[string][]map[string]any{
			"rtb-0a1b2c3d4e5f60701": {
				{"cidrBlock": "10.0.0.0/16", "gatewayId": "local"},
				{"cidrBlock": "0.0.0.0/0", "natGatewayId": "nat-0a1b2c3d4e5f60701"},
				{"cidrBlock": "10.50.0.0/16", "vpcPeeringConnectionId": "pcx-0a1b2c3d4e5f60701"},
			},
		},
		legacy: map[string]*legacyGroup{
			"workers-a": {desired: 2, nodes: 2, launchTemplate: "lt-0a1b2c3d4e5f60711", securityGroups: []string{"sg-0a1b2c3d4e5f60799"}},
			"workers-b": {desired: 1, nodes: 1},
		},
		addonConfig:     `{"env":{"ENABLE_PREFIX_DELEGATION":"true","WARM_PREFIX_TARGET":"1"}}`,
		awsNodeDesired:  3,
		networkPolicies: []string{"shop/deny-all"},
		token:           "fake-eks-token",
		selfManaged:     opts.SelfManagedAwsNode,
	}
	if opts.API != nil {
		c.endpoint, c.caPEM, c.token = opts.API.Server, opts.API.CAPEM, opts.API.Token
	} else {
		c.kube = httptest.NewTLSServer(http.HandlerFunc(c.serveKube))
		t.Cleanup(c.kube.Close)
		c.endpoint = c.kube.URL
		c.caPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.kube.Certificate().Raw})
	}
	c.eks = httptest.NewServer(http.HandlerFunc(c.serveEks))
	t.Cleanup(c.eks.Close)

	// The kubeconfig runs `aws eks get-token`; this one prints the token the fake API wants.
	bin := t.TempDir()
	script := fmt.Sprintf("#!/bin/sh\necho '{\"kind\":\"ExecCredential\",\"apiVersion\":\"client.authentication.k8s.io/v1beta1\",\"status\":{\"token\":\"%s\"}}'\n", c.token)
	if err := os.WriteFile(filepath.Join(bin, "aws"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	// The program lists Fargate profiles with the AWS SDK: point it at the fake EKS API, with
	// credentials that sign but reach nothing real.
	t.Setenv("AWS_ENDPOINT_URL_EKS", c.eks.URL)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAFAKEFAKEFAKEFAKE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "fake")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(bin, "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(bin, "none"))

	base := fs.AWS.invoke
	fs.AWS.invoke = func(token string, args resource.PropertyMap) (resource.PropertyMap, error) {
		if out, ok, err := c.invoke(token, args); ok {
			return out, err
		}
		return base(token, args)
	}
	fs.AWS.read = c.read
	return c
}

// Drain empties the legacy node groups and aws-node, as an operator does before finalize.
func (c *ExistingCluster) Drain() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, g := range c.legacy {
		g.desired, g.nodes = 0, 0
	}
	c.awsNodeDesired = 0
}

// Reads are the authorized requests the fake Kubernetes and EKS APIs have answered so far.
func (c *ExistingCluster) Reads() (kube, eks int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.kubeReads, c.eksReads
}

func (c *ExistingCluster) invoke(token string, args resource.PropertyMap) (resource.PropertyMap, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	str := func(k string) string {
		if v, ok := args[resource.PropertyKey(k)]; ok && v.IsString() {
			return v.StringValue()
		}
		return ""
	}
	answer := func(m map[string]any) (resource.PropertyMap, bool, error) {
		return resource.NewPropertyMapFromMap(m), true, nil
	}
	switch token {
	case "aws:eks/getCluster:getCluster":
		if str("name") != c.name {
			return nil, true, fmt.Errorf("reading EKS Cluster (%s): couldn't find resource", str("name"))
		}
		ca := base64.StdEncoding.EncodeToString(c.caPEM)
		return answer(map[string]any{
			"id": c.name, "name": c.name, "version": c.version, "endpoint": c.endpoint, "status": "ACTIVE",
			"arn":                      arn("eks", "cluster/"+c.name),
			"certificateAuthorities":   []any{map[string]any{"data": ca}},
			"vpcConfig":                map[string]any{"vpcId": c.vpcId, "clusterSecurityGroupId": c.securityGroup, "subnetIds": []any{"subnet-0a1b2c3d4e5f60711"}},
			"kubernetesNetworkConfigs": []any{map[string]any{"serviceIpv4Cidr": c.serviceCidr, "ipFamily": "ipv4"}},
			"computeConfigs":           []any{},
		})
	case "aws:ec2/getVpc:getVpc":
		var assocs []any
		for _, cidr := range c.vpcCidrs {
			assocs = append(assocs, map[string]any{"cidrBlock": cidr, "state": "associated", "associationId": "vpc-cidr-assoc-" + cidr})
		}
		return answer(map[string]any{"id": c.vpcId, "cidrBlock": c.vpcCidrs[0], "cidrBlockAssociations": assocs})
	case "aws:ec2/getRouteTables:getRouteTables":
		var ids []any
		for id := range c.routes {
			ids = append(ids, id)
		}
		return answer(map[string]any{"id": c.vpcId, "ids": ids})
	case "aws:ec2/getRouteTable:getRouteTable":
		var routes []any
		for _, r := range c.routes[str("routeTableId")] {
			routes = append(routes, r)
		}
		return answer(map[string]any{"id": str("routeTableId"), "routeTableId": str("routeTableId"), "routes": routes})
	case "aws:eks/getNodeGroup:getNodeGroup":
		g, ok := c.legacy[str("nodeGroupName")]
		if !ok {
			return nil, true, fmt.Errorf("reading EKS Node Group (%s:%s): couldn't find resource", c.name, str("nodeGroupName"))
		}
		var lts []any
		if g.launchTemplate != "" {
			lts = append(lts, map[string]any{"id": g.launchTemplate, "name": str("nodeGroupName"), "version": "1"})
		}
		return answer(map[string]any{
			"id": c.name + ":" + str("nodeGroupName"), "clusterName": c.name, "nodeGroupName": str("nodeGroupName"), "status": "ACTIVE",
			"scalingConfigs":  []any{map[string]any{"desiredSize": g.desired, "minSize": 0, "maxSize": 5}},
			"launchTemplates": lts,
		})
	case "aws:ec2/getLaunchTemplate:getLaunchTemplate":
		for _, g := range c.legacy {
			if g.launchTemplate == str("id") {
				var sgs []any
				for _, sg := range g.securityGroups {
					sgs = append(sgs, sg)
				}
				return answer(map[string]any{"id": g.launchTemplate, "vpcSecurityGroupIds": sgs})
			}
		}
		return nil, true, fmt.Errorf("launch template %s not found", str("id"))
	case "aws:eks/getAddon:getAddon":
		if c.selfManaged {
			// EKS DescribeAddon on a cluster without the add-on.
			return nil, true, fmt.Errorf("reading EKS Add-On (%s:vpc-cni): ResourceNotFoundException: No addon: vpc-cni found in cluster: %s", c.name, c.name)
		}
		return answer(map[string]any{
			"id": c.name + ":vpc-cni", "clusterName": c.name, "addonName": "vpc-cni",
			"addonVersion": "v1.20.4-eksbuild.1", "configurationValues": c.addonConfig,
		})
	}
	return nil, false, nil
}

// read answers the import of the vpc-cni add-on (id <cluster>:vpc-cni) with its state in
// EKS: the version, the role and the configuration its owner gave it.
func (c *ExistingCluster) read(token, id string) (resource.PropertyMap, resource.PropertyMap, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if token != "aws:eks/addon:Addon" || id != c.name+":vpc-cni" || c.selfManaged {
		return nil, nil, fmt.Errorf("fake aws: nothing to read for %s %s", token, id)
	}
	inputs := resource.NewPropertyMapFromMap(map[string]any{
		"clusterName": c.name, "addonName": "vpc-cni", "addonVersion": "v1.20.4-eksbuild.1",
		"configurationValues":   c.addonConfig,
		"serviceAccountRoleArn": "arn:aws:iam::" + Account + ":role/legacy-vpc-cni",
	})
	outputs := inputs.Copy()
	outputs["arn"] = resource.NewStringProperty(arn("eks", "addon/"+c.name+"/vpc-cni/fake"))
	return outputs, inputs, nil
}

// serveEks is ListFargateProfiles (GET /clusters/<name>/fargate-profiles): none.
func (c *ExistingCluster) serveEks(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet || r.URL.Path != "/clusters/"+c.name+"/fargate-profiles" {
		http.Error(w, `{"message":"not found"}`, http.StatusNotFound)
		return
	}
	c.mu.Lock()
	c.eksReads++
	c.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"fargateProfileNames":[]}`))
}

// serveKube answers the Kubernetes API reads of the live checks; anything else is a 404, and
// a request without the exec plugin's token is refused as the real API server would.
func (c *ExistingCluster) serveKube(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer "+c.token {
		http.Error(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"Unauthorized","code":401}`, http.StatusUnauthorized)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.kubeReads++
	list := func(apiVersion, kind string, items []any) map[string]any {
		if items == nil {
			items = []any{}
		}
		return map[string]any{"apiVersion": apiVersion, "kind": kind, "metadata": map[string]any{}, "items": items}
	}
	var body map[string]any
	switch r.URL.Path {
	case "/api/v1/nodes":
		var nodes []any
		for name, g := range c.legacy {
			for i := range g.nodes {
				nodes = append(nodes, map[string]any{
					"metadata": map[string]any{"name": fmt.Sprintf("%s-%d", name, i), "labels": map[string]any{"eks.amazonaws.com/nodegroup": name}},
					"status":   map[string]any{"addresses": []any{map[string]any{"type": "InternalIP", "address": fmt.Sprintf("10.0.%d.%d", len(name), i+10)}}},
				})
			}
		}
		body = list("v1", "NodeList", nodes)
	case "/apis/apps/v1/namespaces/kube-system/daemonsets/aws-node":
		body = map[string]any{"apiVersion": "apps/v1", "kind": "DaemonSet",
			"metadata": map[string]any{"name": "aws-node", "namespace": "kube-system"},
			"spec": map[string]any{"template": map[string]any{"spec": map[string]any{"containers": []any{
				map[string]any{"name": "aws-node", "image": "aws-node", "env": []any{map[string]any{"name": "ENABLE_PREFIX_DELEGATION", "value": "true"}}},
			}}}},
			"status": map[string]any{"desiredNumberScheduled": c.awsNodeDesired, "currentNumberScheduled": c.awsNodeDesired}}
	case "/apis/networking.k8s.io/v1/networkpolicies":
		var items []any
		for _, p := range c.networkPolicies {
			ns, name, _ := strings.Cut(p, "/")
			items = append(items, map[string]any{"metadata": map[string]any{"name": name, "namespace": ns}})
		}
		body = list("networking.k8s.io/v1", "NetworkPolicyList", items)
	case "/api/v1/services":
		body = list("v1", "ServiceList", nil)
	case "/apis/networking.k8s.io/v1/ingresses":
		body = list("networking.k8s.io/v1", "IngressList", nil)
	case "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations":
		body = list("admissionregistration.k8s.io/v1", "ValidatingWebhookConfigurationList", nil)
	case "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations":
		body = list("admissionregistration.k8s.io/v1", "MutatingWebhookConfigurationList", nil)
	case "/apis/apiregistration.k8s.io/v1/apiservices":
		body = list("apiregistration.k8s.io/v1", "APIServiceList", nil)
	default:
		// cilium-config, SecurityGroupPolicies, TargetGroupBindings: not in this cluster.
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		_ = json.NewEncoder(w).Encode(map[string]any{"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound", "code": 404})
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(body)
}
