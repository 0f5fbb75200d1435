// Command pulumi-resource-eks-cilium is the eks-cilium component provider as an executable
// plugin: `go build -o pulumi-resource-eks-cilium ./cmd/pulumi-resource-eks-cilium` and put
// it on PATH (or `pulumi package add ./pulumi-resource-eks-cilium`). Source-based consumers
// do not need it: they build provider/ itself.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/eks-cilium/eks-cilium/provider/ekscilium"
)

func main() {
	prov, err := ekscilium.Provider()
	if err == nil {
		err = prov.Run(context.Background(), ekscilium.Name, ekscilium.Version)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
