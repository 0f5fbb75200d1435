// Package realkube is the real-control-plane lane: the program (program.Run, inline through
// the Automation API, as in tests/engine) deploys a stack with the real pulumi-kubernetes
// provider into a real Kubernetes control plane (tests/localkube), from the real charts served
// offline (tests/chartmirror), with AWS and EKS faked (tests/enginetest; the fake EKS cluster
// answers with the local API server's kubeconfig, and an adopted cluster's DescribeCluster
// names the local API server). The pool and migration scenarios add Cilium's real operator,
// run outside the cluster against the same API server.
//
// See docs/testing.md ("Real-control-plane lane") for what is real, what is simulated, the
// versions and how to run it:
//
//	export PATH="$(scripts/install-pulumi-cli | tail -n 1):$PATH"
//	export PATH="$(scripts/install-kube | tail -n 1):$PATH"
//	export PATH="$(scripts/install-pulumi-kubernetes | tail -n 1):$PATH"
//	export PATH="$(scripts/install-cilium-operator | tail -n 1):$PATH"
//	CI=true go test -trimpath -count=1 -v ./tests/realkube/...
//
// Without the binaries the tests skip with a one-line reason; with CI=true they fail.
//
// Each scenario starts a control plane of its own on free loopback ports, its own chart
// mirror and its own Pulumi backend, and tags its CLI processes (localkube.Marker), so the
// scenarios run in parallel (t.Parallel, as many at once as go test's -parallel, GOMAXPROCS by
// default); one that sets the process's environment (t.Setenv) runs alone, first.
package realkube
