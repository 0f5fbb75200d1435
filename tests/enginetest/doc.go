// Package enginetest runs eks-cilium through the real Pulumi engine, offline, for the tests
// that need it (tests/engine with every provider faked; tests/realkube with the real
// kubernetes provider against a real API server): the Pulumi CLI v3.274.1 built from the Go
// module proxy (scripts/install-pulumi-cli), the Automation API with inline programs that run
// program.Run, a file:// backend in a temporary directory, and in-process fake providers for
// aws, eks and (unless Options.RealKubernetes) kubernetes attached through
// PULUMI_DEBUG_PROVIDERS.
//
// The fakes check every input against the real providers' schemas (read from their Go SDKs),
// answer like the real providers (ids, computed outputs, unknowns in preview, pulumi-eks's
// component children) and log every call (CallLog), so tests can assert the order in which
// the engine creates and deletes the cloud. Options.Kubeconfig makes the fake EKS cluster
// report a given kubeconfig, so the program's kubernetes provider reaches a real API server.
// ExistingCluster adds an EKS cluster on the AWS VPC CNI for a stack to adopt: the AWS data
// sources and the import of its vpc-cni add-on, and fake EKS and Kubernetes APIs for the
// migration's live checks.
package enginetest
