// Command gen writes what is derived from the configuration's declarations in package
// stackconfig: the component provider's argument types, Pulumi.yaml and the configuration
// reference. Run it with `go generate ./stackconfig` from the repository root.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/eks-cilium/eks-cilium/stackconfig/schema"
)

func main() {
	root := flag.String("root", "..", "the repository root, from the stackconfig directory")
	flag.Parse()
	files, err := schema.Generate(*root)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	for path, data := range files {
		if err := os.WriteFile(filepath.Join(*root, path), data, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "gen:", err)
			os.Exit(1)
		}
	}
}
