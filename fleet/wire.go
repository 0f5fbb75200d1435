package fleet

import (
	"fmt"
	"slices"
	"sort"

	"github.com/eks-cilium/eks-cilium/stackconfig"
)

// Peer is what a member reads about one stack it lists as a peer, through a StackReference:
// its OutputMesh object (Member nil when the stack has none: not deployed yet) and its CA.
type Peer struct {
	Stack  string
	Member *Member
	CA     *CA
}

// Link is what a member wires to one peer: the peer's apiserver entry in Cilium's
// clustermesh.config.clusters, and with connectivity peering the VPC peering connection
// (requested by the lower ID, accepted by the higher), routes to the peer's VPC and security
// group rules from it.
type Link struct {
	Peer Member
	// Request is true when this member requests the peering connection (the lower ID).
	Request bool
	// PeeringID is, on the accepting side, the connection the peer requested ("" while the
	// peer has not yet requested it: the routes wait).
	PeeringID string
}

// Wiring is everything a member connects, decided from its own plan and its peers' outputs.
type Wiring struct {
	// Links are the deployed peers that list this member back, by ID.
	Links []Link
	// Pending says what is not wired yet and which stack must be updated for it.
	Pending []string
	// CA is the mesh CA this member deploys with; Created is true when no member had one and
	// this member created it (the mesh's first member).
	CA      CA
	Created bool
}

// Wire decides what self (planned) wires to the peers it lists. own is the CA self deployed
// with last time (nil on its first deployment); newCA creates a CA when no member has one.
// The CA is self's own once it has one (it never changes under a running cluster), else the
// deployed peers' (CheckDeployed refuses peers that disagree), else a new one.
func Wire(self Member, peers []Peer, own *CA, newCA func() (CA, error)) (Wiring, error) {
	var w Wiring
	sorted := slices.Clone(peers)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Stack < sorted[j].Stack })
	var peerCA *CA
	for _, p := range sorted {
		if p.Member == nil {
			w.Pending = append(w.Pending, fmt.Sprintf("peer %s is not deployed yet (its stack has no %s output): it is wired in on this stack's next update after %s's first `pulumi up`", p.Stack, OutputMesh, p.Stack))
			continue
		}
		m := *p.Member
		if p.CA != nil && peerCA == nil {
			peerCA = p.CA
		}
		if !slices.Contains(m.Peers, self.Stack) {
			w.Pending = append(w.Pending, fmt.Sprintf("peer %s does not list %s in its %s.peers (deployed): nothing is wired to it until it does; add %s there and update %s", p.Stack, self.Stack, stackconfig.KeyClusterMesh, self.Stack, p.Stack))
			continue
		}
		link := Link{Peer: m}
		if self.Connectivity == stackconfig.ConnectivityPeering {
			link.Request = requester(self, m)
			if !link.Request {
				link.PeeringID = m.Peerings[self.Stack]
				if link.PeeringID == "" {
					w.Pending = append(w.Pending, fmt.Sprintf("peer %s (id %d) has not requested the VPC peering with %s yet: update %s, then this stack, to accept it and add the routes", p.Stack, m.ID, self.Stack, p.Stack))
				}
			}
		}
		w.Links = append(w.Links, link)
	}
	sort.SliceStable(w.Links, func(i, j int) bool { return w.Links[i].Peer.ID < w.Links[j].Peer.ID })
	switch {
	case own != nil:
		w.CA = *own
	case peerCA != nil:
		w.CA = *peerCA
	default:
		ca, err := newCA()
		if err != nil {
			return Wiring{}, fmt.Errorf("creating the mesh CA: %w", err)
		}
		w.CA, w.Created = ca, true
	}
	return w, nil
}

// Peered are the links whose network is in place or created by this member: every link with
// a transit gateway, the requested ones and the accepted ones with a connection to accept.
func (w Wiring) Peered() []Link {
	var out []Link
	for _, l := range w.Links {
		if l.Request || l.PeeringID != "" || l.Peer.Connectivity == stackconfig.ConnectivityTransitGateway {
			out = append(out, l)
		}
	}
	return out
}
