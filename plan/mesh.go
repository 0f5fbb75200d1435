package plan

import (
	"strings"

	"github.com/eks-cilium/eks-cilium/charts"
	"github.com/eks-cilium/eks-cilium/fleet"
	"github.com/eks-cilium/eks-cilium/ipplan"
	"github.com/eks-cilium/eks-cilium/stackconfig"
)

// MeshInputs are what a ClusterMesh member reads before it is planned: each peer's deployed
// outputs (through a StackReference; a peer not deployed yet has no Member) and the CA this
// stack deployed with last time.
type MeshInputs struct {
	Peers []fleet.Peer
	// OwnCA is the CA of this stack's previous deployment (its own secret output); nil on a
	// first deployment or before it joined a mesh.
	OwnCA *fleet.CA
	// NewCA creates the mesh CA when no member has one (fleet.NewCA in a program).
	NewCA func() (fleet.CA, error)
}

// Mesh is a member's planned part of the mesh.
type Mesh struct {
	// Self is this stack as its peers will read it (fleet.Outputs).
	Self fleet.Member
	// Wiring is what it connects to each peer, what is pending, and the CA.
	Wiring fleet.Wiring
	// Read is false when the peers were not read (a plan of the configuration alone, or a
	// program that cannot read StackReferences): nothing is wired then.
	Read bool
}

// meshSource is how problems of the member being planned name it.
const meshSource = "(this stack)"

// planMesh plans a member: the mesh checks against its deployed peers, then its wiring. The
// problems of the member itself name its own keys; those of a peer name the peer too.
func planMesh(cfg stackconfig.Config, ip *ipplan.Plan, in *MeshInputs) (*Mesh, stackconfig.Problems, stackconfig.Problems, error) {
	self, ok := fleet.FromConfig(meshSource, cfg, ip)
	if !ok {
		return nil, nil, nil, nil
	}
	if in == nil {
		return &Mesh{Self: self}, nil, nil, nil
	}
	if in.OwnCA != nil {
		self.CACert = in.OwnCA.Cert
	}
	var deployed []fleet.Member
	for _, p := range in.Peers {
		if p.Member != nil {
			deployed = append(deployed, *p.Member)
		}
	}
	warned, refused := fleet.CheckDeployed(self, deployed)
	if len(refused) > 0 {
		return nil, nil, asConfigProblems(refused), nil
	}
	newCA := in.NewCA
	if newCA == nil {
		newCA = func() (fleet.CA, error) { return fleet.NewCA(nil, Today()) }
	}
	wiring, err := fleet.Wire(self, in.Peers, in.OwnCA, newCA)
	if err != nil {
		return nil, nil, nil, err
	}
	return &Mesh{Self: self, Wiring: wiring, Read: true}, asConfigProblems(warned), nil, nil
}

// asConfigProblems names a peer's problems by its source before the key; the member's own
// keep their key.
func asConfigProblems(ps fleet.Problems) stackconfig.Problems {
	out := make(stackconfig.Problems, 0, len(ps))
	for _, p := range ps {
		q := p.Problem
		if p.Source != meshSource {
			q.Key = p.Source + ": " + q.Key
		}
		out = append(out, q)
	}
	return out
}

// meshNotices are what whoever runs `pulumi up` on a member must know about the mesh.
func (m *Mesh) notices() []string {
	if m == nil {
		return nil
	}
	var out []string
	if !m.Read {
		return append(out, stackconfig.KeyClusterMesh+": the peers were not read, so no peer is wired (a plan of the configuration alone)")
	}
	if m.Wiring.Created {
		out = append(out, stackconfig.KeyClusterMesh+": no peer is deployed with a mesh CA, so this stack creates the mesh's CA; its peers take it from this stack's "+fleet.OutputCA+" output (a secret)")
	}
	for _, p := range m.Wiring.Pending {
		out = append(out, stackconfig.KeyClusterMesh+": "+p)
	}
	return out
}

// ciliumMesh is the mesh part of the Cilium values' input.
func (m *Mesh) ciliumMesh() *charts.ClusterMeshInput {
	if m == nil {
		return nil
	}
	s := m.Self
	in := &charts.ClusterMeshInput{Name: s.Name, ID: s.ID, MaxConnectedClusters: s.MaxConnectedClusters}
	for _, a := range s.APIServerIPs {
		in.APIServerIPs = append(in.APIServerIPs, a.String())
	}
	for _, l := range m.Wiring.Links {
		r := charts.RemoteCluster{Name: l.Peer.Name, Port: fleet.APIServerPort}
		for _, a := range l.Peer.APIServerIPs {
			r.IPs = append(r.IPs, a.String())
		}
		in.Remotes = append(in.Remotes, r)
		in.SourceRanges = append(in.SourceRanges, l.Peer.VpcCIDR.String())
	}
	if len(in.SourceRanges) == 0 {
		in.SourceRanges = []string{s.VpcCIDR.String()}
	}
	return in
}

// PeerSummary is one line per linked peer, for the render: name, ID, VPC, apiserver addresses.
func (m *Mesh) PeerSummary() []string {
	var out []string
	for _, l := range m.Wiring.Links {
		ips := make([]string, len(l.Peer.APIServerIPs))
		for i, a := range l.Peer.APIServerIPs {
			ips[i] = a.String()
		}
		out = append(out, l.Peer.Stack+" "+l.Peer.Name+" "+l.Peer.VpcCIDR.String()+" "+strings.Join(ips, ","))
	}
	return out
}
