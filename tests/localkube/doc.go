// Package localkube starts a real Kubernetes control plane for one test, offline, from
// binaries built from the Go module proxy (scripts/install-kube): etcd, kube-apiserver,
// kube-controller-manager and kube-scheduler v1.35.4, each in a process group of its own on
// free ports in a temporary directory, stopped when the test ends (also when it fails).
//
// There are no kubelets. Simulated nodes register as EKS nodes do under this project (with
// Cilium's startup taint), and a loop plays their kubelets: it marks the pods scheduled to
// them Running and Ready, confirms their deletion, and lifts Cilium's startup taint once the
// Cilium agent pod on the node runs, as the agent does. Nothing runs inside the pods.
//
// The API server cannot reach pod addresses, so whatever it would call inside the cluster
// (admission webhooks and aggregated APIs served by pods) goes through an egress proxy of the
// harness that answers in their place: admission requests are allowed unchanged, aggregated
// API discovery answers with an empty resource list. Every such call is recorded
// (Cluster.PodEndpointCalls).
package localkube
