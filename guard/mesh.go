package guard

import (
	"fmt"

	"github.com/eks-cilium/eks-cilium/stackconfig"
)

// DeployedMesh is the ClusterMesh identity a stack deployed (its clusterMesh output).
type DeployedMesh struct {
	ID, MaxConnectedClusters int
}

// meshFromOutputs reads the id and maxConnectedClusters of the clusterMesh output, if any.
func meshFromOutputs(outputs map[string]any, bad []string) (*DeployedMesh, []string) {
	v, ok := outputs["clusterMesh"]
	if !ok || v == nil {
		return nil, bad
	}
	obj, _ := v.(map[string]any)
	id, okID := obj["id"].(float64)
	max, okMax := obj["maxConnectedClusters"].(float64)
	if !okID || !okMax || id != float64(int(id)) || max != float64(int(max)) {
		return nil, append(bad, fmt.Sprintf("clusterMesh (want id and maxConnectedClusters as integers, got %v)", v))
	}
	return &DeployedMesh{ID: int(id), MaxConnectedClusters: int(max)}, bad
}

// checkMesh guards a running cluster's mesh identity. "If you change the cluster ID and/or
// cluster name in a cluster with running workloads, you will need to restart all workloads.
// The cluster ID is used to generate the security identity" (Cilium docs, network/clustermesh/
// clustermesh.rst, "Specify the Cluster Name and ID"), and peers keep the old ID; and
// clustermesh.maxConnectedClusters "cannot be changed on running clusters" (chart values.yaml).
// Changing either is refused; joining or leaving a mesh (the ID from or to 0) is warned about.
// A cluster being replaced (renamed) is new, and nothing is checked.
func checkMesh(prev *Deployed, cfg stackconfig.Config) (warnings []string, refused stackconfig.Problems) {
	if cfg.ClusterName() != prev.ClusterName {
		return nil, nil
	}
	m, was := cfg.ClusterMesh, prev.Mesh
	restart := "every pod created before keeps a security identity of the old cluster ID: restart all workloads after this update (Cilium docs, clustermesh.rst)"
	switch {
	case m == nil && was != nil:
		warnings = append(warnings, fmt.Sprintf("%s is removed: the cluster leaves its mesh (cluster ID %d becomes 0); remove it from every peer's peers first, and %s", stackconfig.KeyClusterMesh, was.ID, restart))
	case m != nil && was == nil:
		warnings = append(warnings, fmt.Sprintf("%s joins a running cluster to a mesh (cluster ID 0 becomes %d): %s", stackconfig.KeyClusterMesh, m.Id, restart))
	case m != nil && was != nil:
		if m.Id != was.ID {
			refused = append(refused, stackconfig.Problem{
				Key: stackconfig.KeyClusterMeshId, Value: fmt.Sprintf("%d (deployed: %d)", m.Id, was.ID),
				Rule: "the cluster ID of a running mesh member cannot change: Cilium derives every security identity from it and its peers know it by it",
				Fix:  fmt.Sprintf("keep %d; to renumber, take the cluster out of the mesh (remove %s here and from every peer, update all), then join it again with the new ID and restart all workloads", was.ID, stackconfig.KeyClusterMesh),
			})
		}
		if m.MaxConnectedClusters != was.MaxConnectedClusters {
			refused = append(refused, stackconfig.Problem{
				Key: stackconfig.KeyClusterMeshMaxConnectedClusters, Value: fmt.Sprintf("%d (deployed: %d)", m.MaxConnectedClusters, was.MaxConnectedClusters),
				Rule: "cannot be changed on a running cluster (Cilium chart values.yaml, clustermesh.maxConnectedClusters): it splits the identity space between cluster ID and identity",
				Fix:  fmt.Sprintf("keep %d; a mesh with another value is a mesh of new clusters", was.MaxConnectedClusters),
			})
		}
	}
	return warnings, refused
}
