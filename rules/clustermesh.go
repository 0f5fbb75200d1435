package rules

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/eks-cilium/eks-cilium/stackconfig"
)

// Keys of eks-cilium:clusterMesh, as a user writes them.
const (
	keyMeshID               = stackconfig.KeyClusterMeshId
	keyMeshPeers            = stackconfig.KeyClusterMeshPeers
	keyMeshMaxConnected     = stackconfig.KeyClusterMeshMaxConnectedClusters
	keyMeshConnectivity     = stackconfig.KeyClusterMeshConnectivity
	keyMeshTransitGatewayID = stackconfig.KeyClusterMeshTransitGatewayId
)

// The limits Cilium puts on a mesh member's identity, from cilium/cilium
// pkg/clustermesh/types/types.go (v1.19): clusterNameMaxLength = 32 and clusterNameRegexStr
// (ValidateClusterName), ClusterIDMin = 0 "is reserved" (ValidateClusterID), and
// InitClusterIDMax, which accepts only 255 (defaults.MaxConnectedClusters) and
// ClusterIDExt511 for max-connected-clusters. The agent refuses to start otherwise
// (RegisterClusterInfoValidator, ValidateStrict).
const (
	MeshNameMaxLength = 32
	// MeshDefaultName is the name Cilium refuses with a cluster ID other than 0
	// (pkg/clustermesh/types/option.go, validateName; chart values.yaml cluster.name).
	MeshDefaultName = "default"
)

var (
	meshNameRe = regexp.MustCompile(`^([a-z0-9][-a-z0-9]*)?[a-z0-9]$`)
	// MaxConnectedClustersValues are the values the agent accepts (InitClusterIDMax).
	MaxConnectedClustersValues = []int{255, 511}
	// meshConnectivities are stackconfig's connectivity modes.
	meshConnectivities = []string{stackconfig.ConnectivityPeering, stackconfig.ConnectivityTransitGateway}
	// transitGatewayIDRe is an EC2 resource ID: the type prefix and 8 (older) or 17 hex digits,
	// as the VPC and subnet IDs (rules/vpc.go).
	transitGatewayIDRe = regexp.MustCompile(`^tgw-([0-9a-f]{8}|[0-9a-f]{17})$`)
	// stackNameRe is Pulumi's stack name syntax (sdk/v3 go/common/tokens/stack_name.go,
	// ParseStackName: at most 100 characters of letters, digits, '_', '.' and '-').
	stackNameRe = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,100}$`)
)

// meshOwnedValues are Cilium Helm values the mesh sets from eks-cilium:clusterMesh and the
// peers' outputs; eks-cilium:cilium.values may not set them on a member.
var meshOwnedValues = []string{"cluster", "clustermesh", "tls.ca", "tls.caBundle"}

// CheckClusterMesh checks one member's eks-cilium:clusterMesh on its own: Cilium's limits on
// its name and ID, the connectivity fields, the peer list's syntax, and what a member needs
// from its own stack (a VPC it creates, the AWS Load Balancer Controller, no hand-set mesh
// values). Checks across members are package fleet's.
func CheckClusterMesh(cfg stackconfig.Config) (warnings, refusals stackconfig.Problems) {
	m := cfg.ClusterMesh
	if m == nil {
		return nil, nil
	}
	c := &collector{}

	maxOK := false
	for _, v := range MaxConnectedClustersValues {
		maxOK = maxOK || m.MaxConnectedClusters == v
	}
	if !maxOK {
		c.refuse(keyMeshMaxConnected, strconv.Itoa(m.MaxConnectedClusters),
			"must be 255 or 511: the Cilium agent accepts no other max-connected-clusters (pkg/clustermesh/types InitClusterIDMax)",
			"leave it out for 255; 511 only if the mesh needs more than 255 clusters (it halves the cluster-local identities)")
	}
	maxID := 255
	if m.MaxConnectedClusters == 511 {
		maxID = 511
	}
	if m.Id < 1 || m.Id > maxID {
		rule := fmt.Sprintf("must be 1 to %d (maxConnectedClusters): Cilium reserves cluster ID 0 for clusters outside a mesh and refuses IDs above max-connected-clusters (pkg/clustermesh/types ValidateClusterID)", maxID)
		c.refuse(keyMeshID, strconv.Itoa(m.Id), rule, "pick an ID no other member of the mesh uses")
	}

	name := cfg.ClusterName()
	nameKey, derived := keyClusterName, ""
	if cfg.Cluster.Name == "" {
		derived = " (derived from the stack name " + strconv.Quote(cfg.Stack) + ")"
	}
	switch {
	case len(name) > MeshNameMaxLength:
		c.refuse(nameKey, name, fmt.Sprintf("is the cluster's mesh name%s: %d characters, over Cilium's %d (pkg/clustermesh/types clusterNameMaxLength)", derived, len(name), MeshNameMaxLength),
			fmt.Sprintf("set %s to at most %d characters", keyClusterName, MeshNameMaxLength))
	case !meshNameRe.MatchString(name):
		c.refuse(nameKey, name, "is the cluster's mesh name"+derived+": Cilium takes lower-case letters, digits and '-', starting and ending with a letter or digit (pkg/clustermesh/types clusterNameRegexStr)",
			"set "+keyClusterName+" to such a name")
	case name == MeshDefaultName:
		c.refuse(nameKey, name, "Cilium refuses the cluster name \"default\" with a cluster ID other than 0 (pkg/clustermesh/types/option.go validateName)",
			"set "+keyClusterName+" to another name")
	}

	if c.oneOf(keyMeshConnectivity, m.Connectivity, meshConnectivities) {
		switch {
		case m.Connectivity == stackconfig.ConnectivityTransitGateway && !transitGatewayIDRe.MatchString(m.TransitGatewayId):
			c.refuse(keyMeshTransitGatewayID, m.TransitGatewayId, "must be a transit gateway ID (tgw- and 8 or 17 hex digits) with connectivity transitGateway",
				"aws ec2 describe-transit-gateways lists them")
		case m.Connectivity == stackconfig.ConnectivityPeering && m.TransitGatewayId != "":
			c.refuse(keyMeshTransitGatewayID, m.TransitGatewayId, "is used only with connectivity transitGateway; with peering it would be ignored",
				"remove it, or set "+keyMeshConnectivity+": transitGateway")
		}
	}

	first := map[string]int{}
	for i, peer := range m.Peers {
		key := at(keyMeshPeers, i)
		j, seen := first[peer]
		switch {
		case !stackNameRe.MatchString(peer):
			c.refuse(key, peer, "must be a stack name of this project (letters, digits, '_', '.', '-'; at most 100 characters, Pulumi's stack name syntax)", "")
		case peer == cfg.Stack:
			c.refuse(key, peer, "is this stack itself; a member does not peer with itself", "remove it")
		case seen:
			c.refuse(key, peer, "repeats "+at(keyMeshPeers, j), "list each peer once")
		}
		if !seen {
			first[peer] = i
		}
	}

	if cfg.Vpc.UsesExistingVpc() {
		c.refuse(keyVpcID, cfg.Vpc.Id, "a mesh member needs a VPC this stack creates: the planner chooses the mesh API server's addresses inside its private subnets' CIDRs, and the peer routes go into the route tables it creates; neither is known for an existing VPC",
			"leave "+keyVpcID+" out so the stack creates its VPC, or remove "+stackconfig.KeyClusterMesh)
	}
	if cfg.Addons == nil || cfg.Addons.AwsLoadBalancerController == nil {
		c.refuse(keyAddonsLBC, "", "is required on a mesh member: the clustermesh-apiserver is exposed to the peers through an internal NLB, which only the AWS Load Balancer Controller creates with instance targets and fixed private addresses (without it, EKS's legacy cloud provider makes a Classic Load Balancer)",
			"add eks-cilium:addons.awsLoadBalancerController with version 3.5.0")
	}
	for _, leaf := range valueLeaves("", cfg.Cilium.Values) {
		for _, owned := range meshOwnedValues {
			if leaf == owned || strings.HasPrefix(leaf, owned+".") {
				c.refuse(stackconfig.KeyCiliumValues+"."+leaf, "", "is set by "+stackconfig.KeyClusterMesh+" on a mesh member (the cluster's name and ID, the peers, one CA for the whole mesh)",
					"remove it from "+stackconfig.KeyCiliumValues)
			}
		}
	}
	return c.result()
}

// valueLeaves lists the dotted paths of the non-map values of nested Helm values.
func valueLeaves(prefix string, m map[string]any) []string {
	var out []string
	for k, v := range m {
		p := k
		if prefix != "" {
			p = prefix + "." + k
		}
		if sub, ok := v.(map[string]any); ok && len(sub) > 0 {
			out = append(out, valueLeaves(p, sub)...)
			continue
		}
		out = append(out, p)
	}
	return out
}
