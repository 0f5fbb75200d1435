package stackconfig

// Connectivity modes of a mesh: how the members' VPCs reach each other.
const (
	ConnectivityPeering        = "peering"
	ConnectivityTransitGateway = "transitGateway"
)

// ClusterMeshConfig is eks-cilium:clusterMesh: this stack's cluster as a member of a Cilium
// ClusterMesh of stacks of this project. Its mesh name is its EKS cluster name; its peers are
// read through StackReferences and checked with it as one mesh before anything is registered.
type ClusterMeshConfig struct {
	// Id is Cilium's cluster.id: 1 to maxConnectedClusters, unique in the mesh (0 is reserved
	// for clusters outside a mesh). It cannot change once the cluster is deployed.
	Id int `json:"id" required:"true"`
	// Peers are the other members of the mesh: stack names of this project, each of which must
	// list this stack back. A member with no peers is mesh-ready and connects to nobody.
	Peers []string `json:"peers,omitempty" derived:"none"`
	// MaxConnectedClusters is Cilium's clustermesh.maxConnectedClusters, 255 or 511, the same on
	// every member and fixed at install; 511 halves the cluster-local identities. The default is
	// Cilium's (chart values.yaml).
	MaxConnectedClusters int `json:"maxConnectedClusters" default:"255"`
	// Connectivity is how the members' VPCs reach each other: peering (a VPC peering connection
	// per pair, requested by the lower id and accepted by the higher) or transitGateway (this
	// VPC attached to transitGatewayId). The same on every member.
	Connectivity string `json:"connectivity" default:"peering"`
	// TransitGatewayId is the transit gateway (tgw- and 8 or 17 hex digits) every member
	// attaches to with connectivity transitGateway; it must be in the members' region and
	// associate and propagate attachments to its default route table.
	TransitGatewayId string `json:"transitGatewayId,omitempty" derived:"none (required with transitGateway)"`
}
