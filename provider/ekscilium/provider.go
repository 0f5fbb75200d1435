// Package ekscilium serves this repository's components to every Pulumi language as the
// component provider "eks-cilium" (pulumi-go-provider's infer package). Consumers add it with
//
//	pulumi package add github.com/eks-cilium/eks-cilium/provider@<tag>
//
// and get eks-cilium:index:Platform, the same component Go programs import from
// components/platform. Only the Platform is served: the single components take plain Go
// values computed by the planner (subnet prefixes, the Kubernetes provider, resources to
// depend on) that are only consistent when Platform wires them.
package ekscilium

import (
	"context"
	"fmt"

	"github.com/eks-cilium/eks-cilium/components/platform"
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/provider"
)

// Name is the package name: tokens are eks-cilium:index:<Component>, as the library's.
const Name = "eks-cilium"

// Version is the provider version reported in the schema; release builds set it with
// -ldflags "-X github.com/eks-cilium/eks-cilium/provider/ekscilium.Version=<tag>".
var Version = "0.1.0"

// Provider returns the component provider.
func Provider() (p.Provider, error) {
	return infer.NewProviderBuilder().
		WithDisplayName("EKS with Cilium").
		WithDescription("Amazon EKS clusters whose only CNI is Cilium, with cluster-pool IPAM and overlay routing.").
		WithKeywords("eks", "kubernetes", "cilium", "aws", "category/cloud", "kind/component").
		WithComponents(platformComponent{infer.ComponentF(NewPlatform)}).
		// Types get their module from the Go package name; the library's tokens use "index".
		WithModuleMap(map[tokens.ModuleName]tokens.ModuleName{"ekscilium": "index"}).
		Build()
}

// platformComponent is infer's component for Platform (schema, token, dispatch) with its
// own Construct. infer's Construct registers the outputs of the resource NewPlatform
// returns; platform.NewPlatform has already done that for the same URN, and the engine
// refuses a second RegisterResourceOutputs ("registration isn't pending"). This one
// returns the outputs to the caller without registering them again.
type platformComponent struct {
	infer.InferredComponent
}

func (platformComponent) Construct(ctx context.Context, req p.ConstructRequest) (p.ConstructResponse, error) {
	return p.ProgramConstruct(ctx, req, func(ctx *pulumi.Context, typ, name string,
		inputs provider.ConstructInputs, opts pulumi.ResourceOption,
	) (*provider.ConstructResult, error) {
		if typ != platform.Token {
			return nil, fmt.Errorf("eks-cilium: unknown component type %s", typ)
		}
		var args PlatformArgs
		if err := inputs.CopyTo(&args); err != nil {
			return nil, fmt.Errorf("%s %s: reading inputs: %w", typ, name, err)
		}
		comp, err := NewPlatform(ctx, name, args, opts)
		if err != nil {
			return nil, err
		}
		return provider.NewConstructResult(comp)
	})
}
