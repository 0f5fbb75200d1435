package charts

import "github.com/eks-cilium/eks-cilium/stackconfig"

// CiliumMigrationValues are the Helm values a phase of an adopted cluster's migration sets on
// top of the design's (phase "" is an ordinary stack: none).
//
// install is Cilium's "secondary" mode beside aws-node (cilium/cilium v1.19.6
// Documentation/installation/k8s-install-migration.rst L165-182): no CNI configuration written
// (cni.customConf) except on nodes the CiliumNodeConfig selects, none removed on shutdown
// (cni.uninstall), no policy enforcement, host-stack routing between the two networks, and
// the operator leaves pods it does not manage alone (unmanagedPodWatcher.restart). Two more
// for EKS: the agent's postStart hook, which deletes aws-node's AWS-SNAT-CHAIN and
// AWS-CONNMARK-CHAIN rules outside aws-cni chaining (chart 1.19.6 templates/cilium-agent/
// daemonset.yaml L236, files/agent/poststart-eni.bash), is turned off so legacy nodes keep
// their SNAT and connmark rules (cni.iptablesRemoveAWSRules, chart 1.19.6 values.yaml L847);
// and kube-proxy replacement stays off while kube-proxy runs (the stack refuses
// cluster.kubeProxyReplacement with cluster.existing).
//
// finalize and the phases after it are the guide's final values (L324-329): Cilium's own CNI
// configuration everywhere, policy enforcement back to default, unmanaged pods restarted, the
// AWS rules cleaned on start. rollOutCiliumPods makes the chart roll the agents when
// cilium-config changes (the guide runs `kubectl rollout restart daemonset cilium` by hand):
// agents read enable-policy only when they start. bpf.hostLegacyRouting stays true: the guide
// makes switching it off optional because it interrupts each node briefly; set it through
// eks-cilium:cilium.values once the migration is complete.
func CiliumMigrationValues(phase string) map[string]any {
	switch phase {
	case "":
		return nil
	case stackconfig.PhaseInstall:
		return map[string]any{
			"cni":                   map[string]any{"customConf": true, "uninstall": false, "iptablesRemoveAWSRules": false},
			"policyEnforcementMode": "never",
			"bpf":                   map[string]any{"hostLegacyRouting": true},
			"operator":              map[string]any{"unmanagedPodWatcher": map[string]any{"restart": false}},
		}
	}
	return map[string]any{
		"cni":                   map[string]any{"customConf": false, "uninstall": false, "iptablesRemoveAWSRules": true},
		"policyEnforcementMode": "default",
		"bpf":                   map[string]any{"hostLegacyRouting": true},
		"operator":              map[string]any{"unmanagedPodWatcher": map[string]any{"restart": true}},
		"rollOutCiliumPods":     true,
	}
}

// CiliumMigrationKeys are the value paths the migration sets; eks-cilium:cilium.values may
// not set them on an adopted cluster (rules.CheckMigration).
var CiliumMigrationKeys = []string{
	"cni.customConf", "cni.uninstall", "cni.iptablesRemoveAWSRules", "policyEnforcementMode",
	"bpf.hostLegacyRouting", "operator.unmanagedPodWatcher.restart", "rollOutCiliumPods",
}
