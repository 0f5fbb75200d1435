package charts

// CiliumPreflightRelease is the release of Cilium's pre-flight check. The chart names its
// objects cilium-pre-flight and cilium-pre-flight-check whatever the release is called, and
// with the values below renders nothing else (tests/chart), so the two releases never own
// the same object.
const CiliumPreflightRelease = "cilium-preflight"

// CiliumPreflightValues are the Helm values of the pre-flight release: Cilium's upgrade guide
// renders the target chart with preflight.enabled=true, agent=false, operator.enabled=false,
// plus k8sServiceHost and k8sServicePort when kube-proxy is replaced (cilium/cilium
// Documentation/operations/upgrade.rst, "Running pre-flight check (Required)"). The pre-flight
// DaemonSet pulls the new agent image on every node running Cilium (so the agents restart
// fast) and the Deployment validates every CiliumNetworkPolicy against the new version
// (cilium-dbg preflight validate-cnp); both must be ready before the upgrade.
// k8sServiceHost is a placeholder here, as in CiliumValues; the component passes the endpoint.
func CiliumPreflightValues(kubeProxyReplacement bool, k8sServiceHost string) map[string]any {
	v := map[string]any{
		"preflight": map[string]any{"enabled": true},
		"agent":     false,
		"operator":  map[string]any{"enabled": false},
	}
	if kubeProxyReplacement {
		v["k8sServiceHost"] = k8sServiceHost
		v["k8sServicePort"] = 443
	}
	return v
}
