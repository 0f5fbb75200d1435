// Package engine runs eks-cilium through the real Pulumi engine, offline: the Pulumi CLI
// v3.274.1 built from the Go module proxy (scripts/install-pulumi-cli), the Automation API
// with inline programs that run program.Run, a file:// backend in a temporary directory, and
// in-process fake providers for aws, eks and kubernetes attached through
// PULUMI_DEBUG_PROVIDERS. The fakes check every input against the real providers' schemas
// (read from their Go SDKs), answer like the real providers (ids, computed outputs, unknowns
// in preview, pulumi-eks's component children) and log every call, so the tests can assert
// the order in which the engine creates and deletes the cloud.
//
// Without the CLI on PATH the tests skip and say how to install it; with CI=true they fail.
//
//	export PATH="$(scripts/install-pulumi-cli | tail -n 1):$PATH"
//	go test -trimpath -count=1 ./tests/engine/...
package engine
