package program

import (
	"fmt"

	"github.com/eks-cilium/eks-cilium/components/platform"
	"github.com/eks-cilium/eks-cilium/fleet"
	"github.com/eks-cilium/eks-cilium/plan"
	"github.com/eks-cilium/eks-cilium/stackconfig"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// ReadMesh reads what a ClusterMesh member needs before it is planned: each peer's
// fleet.OutputMesh and fleet.OutputCA outputs through a StackReference to the peer's stack of
// this project (<organization>/<project>/<peer>; organization on DIY backends), and the CA
// this stack deployed with from self, the StackReference to its own previous deployment. A
// peer whose stack has no outputs yet is not deployed: the plan says so and wires nothing to
// it. Outputs that are there but unreadable are an error, so no check passes on them.
func ReadMesh(ctx *pulumi.Context, cfg stackconfig.Config, self *pulumi.StackReference) (*plan.MeshInputs, error) {
	in := &plan.MeshInputs{}
	own, err := readCA(self, ctx.Stack())
	if err != nil {
		return nil, err
	}
	in.OwnCA = own
	for _, peer := range cfg.ClusterMesh.Peers {
		name := fmt.Sprintf("%s/%s/%s", ctx.Organization(), ctx.Project(), peer)
		ref, err := pulumi.NewStackReference(ctx, "mesh-peer-"+peer, &pulumi.StackReferenceArgs{Name: pulumi.String(name)})
		if err != nil {
			return nil, fmt.Errorf("reading mesh peer %s: %w", name, err)
		}
		d, err := ref.GetOutputDetails(fleet.OutputMesh)
		if err != nil {
			return nil, fmt.Errorf("reading output %s of %s: %w", fleet.OutputMesh, name, err)
		}
		p := fleet.Peer{Stack: peer}
		m, ok, err := fleet.FromOutputs(peer, outputValue(d))
		if err != nil {
			return nil, err
		}
		if ok {
			p.Member = &m
			if p.CA, err = readCA(ref, peer); err != nil {
				return nil, err
			}
		}
		in.Peers = append(in.Peers, p)
	}
	return in, nil
}

// readCA reads a stack's fleet.OutputCA, which is secret; nil when it has none.
func readCA(ref *pulumi.StackReference, stack string) (*fleet.CA, error) {
	d, err := ref.GetOutputDetails(fleet.OutputCA)
	if err != nil {
		return nil, fmt.Errorf("reading output %s of stack %s: %w", fleet.OutputCA, stack, err)
	}
	ca, ok, err := fleet.CAFromOutputs(stack, outputValue(d))
	if err != nil || !ok {
		return nil, err
	}
	return &ca, nil
}

func outputValue(d *pulumi.StackReferenceOutputDetails) any {
	if d == nil {
		return nil
	}
	if d.SecretValue != nil {
		return d.SecretValue
	}
	return d.Value
}

// MeshOutputs are a mesh member's outputs for its peers: fleet.OutputMesh (the member as
// planned, its VPC, the peering connections it requested and the CA certificate) and
// fleet.OutputCA, the CA with its key, as a secret. None for a stack outside a mesh.
func MeshOutputs(p *platform.Platform) map[string]pulumi.Input {
	m := p.Plan.Mesh
	if m == nil || p.Mesh == nil {
		return nil
	}
	mesh := pulumi.ToMap(fleet.Outputs(m.Self))
	mesh[fleet.FieldVpcID] = p.VpcId
	mesh[fleet.FieldPeerings] = p.Mesh.Peerings
	mesh[fleet.FieldCACert] = pulumi.String(m.Wiring.CA.Cert)
	mesh[fleet.FieldPending] = pulumi.ToStringArray(append([]string{}, m.Wiring.Pending...))
	return map[string]pulumi.Input{
		fleet.OutputMesh: mesh,
		fleet.OutputCA:   pulumi.ToSecret(pulumi.ToMap(m.Wiring.CA.Outputs())),
	}
}
