// Command render shows what a stack would create, offline: no cloud account, no Pulumi CLI.
// It runs the real program (program.Run) under Pulumi mocks in preview mode.
//
//	go run -trimpath ./cmd/render [-stack NAME | -config PATH] [-format text|json] [-previous PATH] [-policy]
//
// Exit status: 0 rendered; 1 invalid configuration, unreadable or refused previous outputs,
// refused day-2 change or mandatory policy violation; 2 usage error; 3 a bug in the render.
package main

import (
	"io"
	"os"

	"github.com/eks-cilium/eks-cilium/program"
	"github.com/eks-cilium/eks-cilium/render"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	return render.Main(args, stdout, stderr, program.Run)
}
