// Command eks-cilium serves the eks-cilium component provider. It lives at the root of
// provider/, next to PulumiPlugin.yaml, because that is where the Pulumi Go language host
// runs `go build` for a source-based plugin (`pulumi package add <repo>/provider@<tag>`).
// cmd/pulumi-resource-eks-cilium builds the same provider as a conventionally named binary.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/eks-cilium/eks-cilium/provider/ekscilium"
)

func main() {
	if err := run(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	prov, err := ekscilium.Provider()
	if err != nil {
		return err
	}
	return prov.Run(ctx, ekscilium.Name, ekscilium.Version)
}
