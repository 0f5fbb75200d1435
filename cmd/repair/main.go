// Command repair recovers a stack whose `pulumi up` was interrupted (a cancelled CI job, a
// lost runner, a closed laptop) so that the next `pulumi up` converges. It reads the stack's
// state and its cluster and prints, for each Helm release of the stack, what is wrong and
// what it will do; with -yes it does it (docs/operations.md, "An update was interrupted").
//
//	go run ./cmd/repair -stack NAME [-yes] [-dir DIR] [-force-unlock] [-clear-pending-creates]
//
// It runs the Pulumi CLI on PATH with the environment it is given (PULUMI_BACKEND_URL,
// PULUMI_CONFIG_PASSPHRASE), as `pulumi up` does. It reads the stack's lock itself from a
// file:// or s3:// backend (the lock files, with the AWS credentials of its environment) and
// from the Pulumi service (its stack list); other backends are refused with the manual way.
//
// Exit status: 0 nothing to repair, the plan printed, or the repair done; 1 an error (nothing
// or part done: the output says what); 2 usage error; 3 refused (nothing done).
package main

import (
	"context"
	"os"
	"os/signal"

	"github.com/eks-cilium/eks-cilium/repair"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := repair.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
