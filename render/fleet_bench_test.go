package render

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeFleet writes n member stack files into dir: one mesh, every member peering with every
// other (n-1 peerings each), disjoint VPCs, pods and service ranges, the example members'
// shape (3 AZs, one node group, the load balancer controller).
func writeFleet(tb testing.TB, dir string, n int) {
	tb.Helper()
	for i := 1; i <= n; i++ {
		var peers []string
		for j := 1; j <= n; j++ {
			if j != i {
				peers = append(peers, fmt.Sprintf("m%02d", j))
			}
		}
		text := fmt.Sprintf(`config:
  aws:region: eu-west-1
  eks-cilium:vpc: {cidr: 10.%[1]d.0.0/16, availabilityZones: 3}
  eks-cilium:cluster: {name: mesh-m%02[1]d, serviceCidr: 172.%[2]d.%[3]d.0/20}
  eks-cilium:nodeGroups:
    - {name: general, instanceTypes: [m5.large], minSize: 2, desiredSize: 3, maxSize: 6, maxPods: 110}
  eks-cilium:cilium: {clusterPoolIPv4PodCIDRList: [10.%[4]d.0.0/16]}
  eks-cilium:addons: {awsLoadBalancerController: {version: 3.5.0}}
  eks-cilium:clusterMesh: {id: %[1]d, peers: [%[5]s]}
`, i, 16+i/16, (i%16)*16, 100+i, strings.Join(peers, ", "))
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("Pulumi.m%02d.yaml", i)), []byte(text), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
}

// BenchmarkFleet_FiftyMembers is `render -fleet` over 50 member stacks of one mesh: reading
// and planning every file, then the mesh checks over its 1,225 pairs.
func BenchmarkFleet_FiftyMembers(b *testing.B) {
	dir := b.TempDir()
	writeFleet(b, dir, 50)
	for b.Loop() {
		rep, err := Fleet(dir)
		if err != nil {
			b.Fatal(err)
		}
		if len(rep.Refused) != 0 || len(rep.Meshes) != 1 || len(rep.Meshes[0]) != 50 {
			b.Fatalf("want one mesh of 50 accepted members, got %d meshes, refused %v", len(rep.Meshes), rep.Refused)
		}
	}
}
