// Command eks-cilium is the Pulumi program: `pulumi up -s <stack>` with stacks/Pulumi.<stack>.yaml.
package main

import (
	"github.com/eks-cilium/eks-cilium/program"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func main() { pulumi.Run(program.Run) }
