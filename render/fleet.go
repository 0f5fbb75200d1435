package render

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/eks-cilium/eks-cilium/fleet"
	"github.com/eks-cilium/eks-cilium/plan"
	"github.com/eks-cilium/eks-cilium/stackconfig"
)

// PeerOutputs are the outputs the StackReferences of a mesh member's peers will return once
// every member is deployed, derived offline from the peers' stack files beside the member's
// (dir/Pulumi.<peer>.yaml): each peer's fleet.Outputs as it plans, what the cloud assigns
// (its VPC ID, the peering connections it requested) as Computed, and one CA for the mesh
// (created here: it is shown only as a secret). A peer without a stack file beside is left
// out, as a stack not deployed; notes say so. The problems of a peer's own file are an error
// naming that file.
func PeerOutputs(dir string, cfg stackconfig.Config) (peers map[string]map[string]any, notes []string, err error) {
	if cfg.ClusterMesh == nil {
		return nil, nil, nil
	}
	ca, err := fleet.NewCA(nil, plan.Today())
	if err != nil {
		return nil, nil, err
	}
	peers = map[string]map[string]any{}
	for _, name := range cfg.ClusterMesh.Peers {
		path := filepath.Join(dir, "Pulumi."+name+".yaml")
		if _, statErr := os.Stat(path); statErr != nil {
			notes = append(notes, fmt.Sprintf("peer %s has no stack file %s: rendered as a stack not deployed yet", name, path))
			continue
		}
		m, err := plannedMember(path)
		if err != nil {
			return nil, nil, err
		}
		if m == nil {
			notes = append(notes, fmt.Sprintf("peer %s (%s) sets no %s: rendered as a stack not deployed as a mesh member", name, path, stackconfig.KeyClusterMesh))
			continue
		}
		out := fleet.Outputs(*m)
		out[fleet.FieldVpcID] = Computed
		requested := map[string]any{}
		for _, p := range m.Peers {
			// It requests the peering with every peer of a higher ID; IDs of peers without a
			// file beside are unknown, so only this stack's own is decided here.
			if p == cfg.Stack && m.ID < cfg.ClusterMesh.Id {
				requested[p] = Computed
			}
		}
		out[fleet.FieldPeerings] = requested
		out[fleet.FieldCACert] = ca.Cert
		peers[name] = map[string]any{fleet.OutputMesh: out, fleet.OutputCA: ca.Outputs()}
	}
	return peers, notes, nil
}

// plannedMember reads and plans a stack file on its own; nil when it is not a mesh member.
func plannedMember(path string) (*fleet.Member, error) {
	cfg, _, err := stackconfig.LoadFile(path)
	if err != nil {
		return nil, fileError(path, err)
	}
	p, err := plan.New(plan.Inputs{Config: cfg})
	if err != nil {
		return nil, fileError(path, err)
	}
	if p.Mesh == nil {
		return nil, nil
	}
	m := p.Mesh.Self
	m.Source = path
	return &m, nil
}

// fileError names the stack file a problem is in.
func fileError(path string, err error) error {
	var probs stackconfig.Problems
	if errors.As(err, &probs) {
		var b strings.Builder
		for _, p := range probs {
			b.WriteString("\n  " + p.String())
		}
		return fmt.Errorf("%s: invalid stack configuration (%d problems):%s", path, len(probs), b.String())
	}
	return fmt.Errorf("%s: %w", path, err)
}

// hiddenSecret is how `pulumi stack output --json` prints a secret output without
// --show-secrets.
const hiddenSecret = "[secret]"

// meshInputs are the mesh inputs the render's own plan takes: the peers from opts.Peers and
// the CA from opts.Previous, read as program.ReadMesh reads them from StackReferences.
func meshInputs(cfg stackconfig.Config, opts Options) (*plan.MeshInputs, error) {
	if cfg.ClusterMesh == nil {
		return nil, nil
	}
	in := &plan.MeshInputs{}
	switch v := opts.Previous[fleet.OutputCA]; v {
	case hiddenSecret:
		// `pulumi stack output --json` without --show-secrets: the certificate is in the
		// plain clusterMesh output, which is all the checks compare.
		mesh, _ := opts.Previous[fleet.OutputMesh].(map[string]any)
		cert, _ := mesh[fleet.FieldCACert].(string)
		in.OwnCA = &fleet.CA{Cert: cert}
	default:
		own, ok, err := fleet.CAFromOutputs(cfg.Stack, v)
		if err != nil {
			return nil, err
		}
		if ok {
			in.OwnCA = &own
		}
	}
	for _, peer := range cfg.ClusterMesh.Peers {
		p := fleet.Peer{Stack: peer}
		outputs := opts.Peers[peer]
		m, ok, err := fleet.FromOutputs(peer, outputs[fleet.OutputMesh])
		if err != nil {
			return nil, err
		}
		if ok {
			p.Member = &m
			ca, hasCA, err := fleet.CAFromOutputs(peer, outputs[fleet.OutputCA])
			if err != nil {
				return nil, err
			}
			if hasCA {
				p.CA = &ca
			}
		}
		in.Peers = append(in.Peers, p)
	}
	return in, nil
}

// FleetReport is what `render -fleet DIR` prints: every mesh the stack files of DIR form,
// and every problem, naming the file and the key.
type FleetReport struct {
	Dir      string         `json:"dir"`
	Meshes   [][]MemberView `json:"meshes"`
	Refused  fleet.Problems `json:"refused"`
	Warnings fleet.Problems `json:"warnings"`
	// Others are the stack files of DIR that are not mesh members.
	Others []string `json:"others"`
}

// MemberView is a member as the fleet report shows it.
type MemberView struct {
	File         string   `json:"file"`
	Stack        string   `json:"stack"`
	Name         string   `json:"name"`
	ID           int      `json:"id"`
	Region       string   `json:"region"`
	VpcCidr      string   `json:"vpcCidr"`
	PodCidrs     []string `json:"podCidrs"`
	ServiceCidr  string   `json:"serviceCidr"`
	Connectivity string   `json:"connectivity"`
	APIServerIPs []string `json:"apiServerIps"`
	Peers        []string `json:"peers"`
}

// Fleet checks every stack file of dir (Pulumi.*.yaml): each on its own (the reader, the
// planner, the rules), then the meshes they form together (fleet.Check). Every refusal names
// the stack file and the key. A file that does not plan is reported with its problems and
// left out of the mesh checks.
func Fleet(dir string) (*FleetReport, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "Pulumi.*.yaml"))
	if err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("%s holds no stack files (Pulumi.<stack>.yaml)", dir)
	}
	sort.Strings(paths)
	rep := &FleetReport{Dir: dir, Meshes: [][]MemberView{}, Refused: fleet.Problems{}, Warnings: fleet.Problems{}, Others: []string{}}
	var members []fleet.Member
	for _, path := range paths {
		cfg, _, err := stackconfig.LoadFile(path)
		if err == nil {
			var p *plan.Plan
			if p, err = plan.New(plan.Inputs{Config: cfg}); err == nil {
				if p.Mesh == nil {
					rep.Others = append(rep.Others, path)
					continue
				}
				m := p.Mesh.Self
				m.Source = path
				members = append(members, m)
				for _, w := range p.IP.Warnings {
					rep.Warnings = append(rep.Warnings, fleet.Problem{Source: path, Problem: w})
				}
				continue
			}
		}
		var probs stackconfig.Problems
		if !errors.As(err, &probs) {
			probs = stackconfig.Problems{{Key: stackconfig.FileKey, Rule: err.Error()}}
		}
		for _, p := range probs {
			rep.Refused = append(rep.Refused, fleet.Problem{Source: path, Problem: p})
		}
	}
	warned, refused := fleet.Check(members)
	rep.Refused = append(rep.Refused, refused...)
	rep.Warnings = append(rep.Warnings, warned...)
	for _, mesh := range groupMeshes(members) {
		var views []MemberView
		for _, m := range mesh {
			views = append(views, memberView(m))
		}
		rep.Meshes = append(rep.Meshes, views)
	}
	return rep, nil
}

// groupMeshes orders members into meshes (through their peer lists) and each by ID.
func groupMeshes(members []fleet.Member) [][]fleet.Member {
	byStack := map[string]int{}
	for i, m := range members {
		byStack[m.Stack] = i
	}
	seen := make([]bool, len(members))
	var out [][]fleet.Member
	for i := range members {
		if seen[i] {
			continue
		}
		var mesh []fleet.Member
		queue := []int{i}
		seen[i] = true
		for len(queue) > 0 {
			j := queue[0]
			queue = queue[1:]
			mesh = append(mesh, members[j])
			for k, other := range members {
				if seen[k] {
					continue
				}
				if slices.Contains(members[j].Peers, other.Stack) || slices.Contains(other.Peers, members[j].Stack) {
					seen[k] = true
					queue = append(queue, k)
				}
			}
		}
		sort.SliceStable(mesh, func(a, b int) bool { return mesh[a].ID < mesh[b].ID })
		out = append(out, mesh)
	}
	return out
}

func memberView(m fleet.Member) MemberView {
	v := MemberView{File: m.Source, Stack: m.Stack, Name: m.Name, ID: m.ID, Region: m.Region,
		VpcCidr: m.VpcCIDR.String(), ServiceCidr: m.ServiceCIDR.String(), Connectivity: m.Connectivity,
		PodCidrs: []string{}, APIServerIPs: []string{}, Peers: append([]string{}, m.Peers...)}
	for _, p := range m.PodCIDRs {
		v.PodCidrs = append(v.PodCidrs, p.String())
	}
	for _, a := range m.APIServerIPs {
		v.APIServerIPs = append(v.APIServerIPs, a.String())
	}
	return v
}

// Text is the fleet report for people.
func (rep *FleetReport) Text() string {
	var b strings.Builder
	members := 0
	for _, m := range rep.Meshes {
		members += len(m)
	}
	noun := "meshes"
	if len(rep.Meshes) == 1 {
		noun = "mesh"
	}
	fmt.Fprintf(&b, "Fleet %s: %d mesh members in %d %s", rep.Dir, members, len(rep.Meshes), noun)
	if len(rep.Others) > 0 {
		fmt.Fprintf(&b, ", %d other stacks", len(rep.Others))
	}
	b.WriteString("\n")
	for i, mesh := range rep.Meshes {
		fmt.Fprintf(&b, "\nMesh %d\n", i+1)
		fmt.Fprintf(&b, "  %-3s  %-10s %-18s %-16s %-15s %-18s %-15s %s\n", "ID", "STACK", "CLUSTER", "REGION", "VPC", "PODS", "SERVICES", "MESH API SERVER (NLB)")
		for _, m := range mesh {
			fmt.Fprintf(&b, "  %-3s  %-10s %-18s %-16s %-15s %-18s %-15s %s:%d\n", strconv.Itoa(m.ID), m.Stack, m.Name, m.Region, m.VpcCidr,
				strings.Join(m.PodCidrs, ","), m.ServiceCidr, strings.Join(m.APIServerIPs, ","), fleet.APIServerPort)
		}
		if len(mesh) > 1 {
			b.WriteString("  links (the lower ID requests the peering, the higher accepts):\n")
			for j := range mesh {
				for k := j + 1; k < len(mesh); k++ {
					if slices.Contains(mesh[j].Peers, mesh[k].Stack) {
						via := "VPC peering"
						if mesh[j].Connectivity == stackconfig.ConnectivityTransitGateway {
							via = "transit gateway"
						}
						fmt.Fprintf(&b, "    %s -> %s  %s\n", mesh[j].Stack, mesh[k].Stack, via)
					}
				}
			}
		}
	}
	writeProblems := func(title string, ps fleet.Problems) {
		fmt.Fprintf(&b, "\n%s\n", title)
		if len(ps) == 0 {
			b.WriteString("  none\n")
		}
		for _, p := range ps {
			fmt.Fprintf(&b, "  - %s\n", p)
		}
	}
	writeProblems("Refused", rep.Refused)
	writeProblems("Warnings", rep.Warnings)
	return b.String()
}
