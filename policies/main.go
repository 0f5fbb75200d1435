// Command policies serves the eks-cilium CrossGuard policy pack to the Pulumi engine:
//
//	pulumi preview --policy-pack policies [--policy-pack-config policy-config.json]
//
// The policies live in package pack, which the offline render also evaluates.
package main

import (
	"fmt"
	"os"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"github.com/eks-cilium/eks-cilium/policies/pack"
)

func main() {
	err := policyx.Main(func(*pulumi.Context) (policyx.PolicyPack, error) {
		return pack.New()
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
