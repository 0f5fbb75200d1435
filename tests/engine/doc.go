// Package engine runs eks-cilium through the real Pulumi engine, offline, with every provider
// faked (aws, eks and kubernetes; the fakes, the call log and the stack workspace are in
// tests/enginetest): the order in which the engine creates and deletes the cloud, the day-2
// guard through a real StackReference, the policy pack in a real preview, the component
// provider's schema.
//
// Without the CLI on PATH the tests skip and say how to install it; with CI=true they fail.
//
//	export PATH="$(scripts/install-pulumi-cli | tail -n 1):$PATH"
//	go test -trimpath -count=1 ./tests/engine/...
package engine
