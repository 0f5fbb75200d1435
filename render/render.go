// Package render runs the eks-cilium program offline, under Pulumi mocks, and describes what
// a stack would create: the resource graph with inputs and dependencies, the IP plan, the
// Cilium Helm values, the critical path to a ready cluster, and warnings. cmd/render prints
// it; the golden snapshots under stacks/rendered are its JSON form.
package render

import (
	"errors"
	"fmt"
	"slices"
	"sort"

	"github.com/eks-cilium/eks-cilium/components/nodegroup"
	"github.com/eks-cilium/eks-cilium/components/platform"
	"github.com/eks-cilium/eks-cilium/guard"
	"github.com/eks-cilium/eks-cilium/localcharts"
	"github.com/eks-cilium/eks-cilium/plan"
	"github.com/eks-cilium/eks-cilium/program"
	"github.com/eks-cilium/eks-cilium/stackconfig"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Resource is one registered resource.
type Resource struct {
	URN       string   `json:"urn"`
	Type      string   `json:"type"`
	Name      string   `json:"name"`
	Parent    string   `json:"parent,omitempty"`
	Custom    bool     `json:"custom"`
	ID        string   `json:"-"` // only in Known mode
	Provider  string   `json:"provider,omitempty"`
	DependsOn []string `json:"dependsOn"`
	// Protect, IgnoreChanges, Import and RetainOnDelete are the resource options a reviewer
	// must see.
	Protect        bool                 `json:"protect,omitempty"`
	IgnoreChanges  []string             `json:"ignoreChanges,omitempty"`
	Import         string               `json:"import,omitempty"`
	RetainOnDelete bool                 `json:"retainOnDelete,omitempty"`
	Inputs         resource.PropertyMap `json:"-"`
}

// Options change how the program is run.
type Options struct {
	// Known answers like an update (fake IDs, a fake kubeconfig) instead of a preview, so
	// values computed from cloud outputs (node user data, k8sServiceHost) are visible.
	Known bool
	// Previous are the outputs of the stack's previous deployment (`pulumi stack output
	// --json`), returned by the StackReference the day-2 guard reads; nil is a first deploy.
	Previous map[string]any
	// Program is the Pulumi program to run; nil runs eks-cilium's own, program.Run. Other
	// programs built from the components (and the policy test fixtures) render the same way.
	Program pulumi.RunFunc
	// Peers are the outputs of a mesh member's peer stacks by stack name, as their
	// StackReferences return them (PeerOutputs derives them from the peers' stack files); a
	// peer missing here is a stack not deployed yet.
	Peers map[string]map[string]any
}

// Result is everything the render knows about a stack.
type Result struct {
	Stack     string
	Config    stackconfig.Config
	Plan      *plan.Plan
	Resources []Resource
	// UserData is each node group's launch template user data, by node group name, with what
	// the cluster computes shown as Computed. Only for programs that build the Platform: it
	// is rendered from the configuration with the Platform's own functions.
	UserData map[string]string
	// Warnings are found beyond the plan's own (the policy pack's advisory findings).
	Warnings []string
}

// Project is the Pulumi project name the mocks use (URNs contain it).
const Project = stackconfig.Namespace

// Run decodes the stack's config values (as Pulumi passes them to a program) and runs the
// real program, program.Run, under mocks. A configuration error is returned as
// stackconfig.Problems before any resource is registered.
func Run(stack string, values map[string]string, opts Options) (*Result, error) {
	cfg, err := stackconfig.Decode(stack, values)
	if err != nil {
		return nil, err
	}
	prev, err := guard.FromOutputs(opts.Previous)
	if err != nil {
		return nil, err
	}
	mesh, err := meshInputs(cfg, opts)
	if err != nil {
		return nil, err
	}
	p, err := plan.New(plan.Inputs{Config: cfg, Previous: prev, Mesh: mesh, LocalCharts: localcharts.Read(cfg, "")})
	if err != nil {
		return nil, err
	}
	mocks := &cloud{stack: stack, region: cfg.Region, known: opts.Known, previous: opts.Previous, peers: opts.Peers}
	prog := opts.Program
	if prog == nil {
		prog = program.Run
	}
	err = pulumi.RunErr(prog,
		pulumi.WithMocksWithOrganization("organization", Project, stack, mocks),
		func(info *pulumi.RunInfo) {
			info.Config = values
			info.DryRun = !opts.Known
		})
	if err != nil {
		var probs stackconfig.Problems
		if errors.As(err, &probs) {
			return nil, probs
		}
		return nil, fmt.Errorf("running the program offline: %w", err)
	}
	res := mocks.resources
	sort.Slice(res, func(i, j int) bool { return res[i].URN < res[j].URN })
	userData := map[string]string{}
	if slices.ContainsFunc(res, func(r Resource) bool { return r.Type == platform.Token }) {
		userData, err = platform.NodeUserData(p, nodegroup.ClusterInfo{
			Name: cfg.ClusterName(), Endpoint: Computed, CertificateAuthority: Computed, ServiceCidr: cfg.Cluster.ServiceCidr,
		})
		if err != nil {
			return nil, err
		}
	}
	return &Result{Stack: stack, Config: cfg, Plan: p, Resources: res, UserData: userData}, nil
}
