package nodegroup_test

// These tests hold the NodeConfig against nodeadm's own API types and the kubelet's own merge,
// as far as both run here. The Go module proxy serves github.com/awslabs/amazon-eks-ami/nodeadm
// only at v0.0.0-20240229193347-cfab22a10647: its public api/v1alpha1 types can be imported, but
// the code that generates the kubelet config (internal/kubelet) cannot be imported from another
// module, and that snapshot predates kubelet.maxPodsExpression. So what nodeadm computes on its
// own (the ENI-count reserve) is taken from its formulas, and what runs for real is its decoder
// types and the kubelet's JSON merge patch. Both modules are test-only dependencies.

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	nodeadm "github.com/awslabs/amazon-eks-ami/nodeadm/api/v1alpha1"
	"github.com/eks-cilium/eks-cilium/components/nodegroup"
	"github.com/eks-cilium/eks-cilium/instancetypes"
	jsonpatch "gopkg.in/evanphx/json-patch.v4"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
)

// decodeNodeConfig decodes YAML the way nodeadm's bridge.DecodeNodeConfig does (a codec factory
// over the node.eks.aws scheme, UniversalDecoder) but strictly: nodeadm itself silently drops
// unknown fields, and a misspelt field must fail here rather than be ignored on the node.
func decodeNodeConfig(t *testing.T, text string) *nodeadm.NodeConfig {
	t.Helper()
	scheme := runtime.NewScheme()
	if err := nodeadm.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	obj, gvk, err := serializer.NewCodecFactory(scheme, serializer.EnableStrict).UniversalDeserializer().Decode([]byte(text), nil, nil)
	if err != nil {
		t.Fatalf("nodeadm's API types refuse the NodeConfig: %v\n%s", err, text)
	}
	if gvk.Group != "node.eks.aws" || gvk.Kind != "NodeConfig" {
		t.Fatalf("decoded %v, want node.eks.aws NodeConfig", gvk)
	}
	nc, ok := obj.(*nodeadm.NodeConfig)
	if !ok {
		t.Fatalf("decoded a %T", obj)
	}
	return nc
}

func TestNodeConfig_DecodesStrictlyWithNodeadmsAPITypes(t *testing.T) {
	settings := nodegroup.NodeSettings{MaxPods: 110, Labels: map[string]string{"workload": "general"}}
	nc := decodeNodeConfig(t, nodegroup.NodeConfig(cluster, settings))
	c := nc.Spec.Cluster
	if c.Name != cluster.Name || c.APIServerEndpoint != cluster.Endpoint || c.CIDR != cluster.ServiceCidr {
		t.Errorf("spec.cluster = %+v", c)
	}
	// nodeadm takes the CA bundle as bytes, base64 in YAML: the kubeconfig's value as it is.
	if string(c.CertificateAuthority) != "-----BEGIN CERTIFICATE-----\n" {
		t.Errorf("spec.cluster.certificateAuthority decodes to %q", c.CertificateAuthority)
	}
	var maxPods int
	if err := json.Unmarshal(nc.Spec.Kubelet.Config["maxPods"].Raw, &maxPods); err != nil || maxPods != 110 {
		t.Errorf("spec.kubelet.config.maxPods = %s (%v), want 110", nc.Spec.Kubelet.Config["maxPods"].Raw, err)
	}
	var reserved map[string]string
	if err := json.Unmarshal(nc.Spec.Kubelet.Config["kubeReserved"].Raw, &reserved); err != nil || reserved["memory"] != "1465Mi" {
		t.Errorf("spec.kubelet.config.kubeReserved = %s (%v), want memory 1465Mi", nc.Spec.Kubelet.Config["kubeReserved"].Raw, err)
	}
	want := []string{
		"--register-with-taints=node.cilium.io/agent-not-ready=true:NoExecute",
		"--node-labels=workload=general",
	}
	if strings.Join(nc.Spec.Kubelet.Flags, " ") != strings.Join(want, " ") {
		t.Errorf("spec.kubelet.flags = %q, want %q", nc.Spec.Kubelet.Flags, want)
	}
}

func TestNodeConfig_StrictDecodingCatchesAMisspeltField(t *testing.T) {
	// The check above can fail: the same decoder refuses a field nodeadm does not have.
	text := strings.Replace(nodegroup.NodeConfig(cluster, nodegroup.NodeSettings{MaxPods: 110}), "    flags:", "    flag:", 1)
	scheme := runtime.NewScheme()
	if err := nodeadm.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	if _, _, err := serializer.NewCodecFactory(scheme, serializer.EnableStrict).UniversalDeserializer().Decode([]byte(text), nil, nil); err == nil {
		t.Errorf("decoded a NodeConfig with spec.kubelet.flag:\n%s", text)
	}
}

// nodeadmGenerated is the part of the kubelet config nodeadm generates itself that this project
// cares about (nodeadm/internal/kubelet/config.go, withDefaultReservedResources): maxPods and
// kube-reserved memory from the ENI pod count, CPU from the node's cores.
func nodeadmGenerated(t *testing.T, instanceType string, vcpus int) []byte {
	t.Helper()
	eni, ok := instancetypes.Lookup(instanceType)
	if !ok {
		t.Fatalf("unknown instance type %s", instanceType)
	}
	b, err := json.Marshal(map[string]any{
		"kind":       "KubeletConfiguration",
		"apiVersion": "kubelet.config.k8s.io/v1beta1",
		"maxPods":    eni.ENIMaxPods,
		"kubeReserved": map[string]string{
			"cpu":               fmt.Sprintf("%dm", nodegroup.KubeReservedCPUMillicores(vcpus)),
			"ephemeral-storage": "1Gi",
			"memory":            fmt.Sprintf("%dMi", 11*eni.ENIMaxPods+255),
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestNodeConfig_KubeletReservesMemoryForOurMaxPods(t *testing.T) {
	// On Kubernetes 1.29+ nodeadm writes its generated config to config.json and
	// spec.kubelet.config as a drop-in (40-nodeadm.conf); the kubelet merges the drop-in as a JSON
	// merge patch (kubernetes cmd/kubelet/app/server.go, mergeKubeletConfigurations, with
	// gopkg.in/evanphx/json-patch.v4 — the library used here).
	tests := []struct {
		instanceType string
		vcpus        int // AWS instance type specifications
		maxPods      int
		nodeadmMiB   int // what nodeadm alone reserves: 11 × ENI pods + 255
		wantMemory   string
		wantCPU      string
	}{
		{"t3.medium", 2, 110, 442, "1465Mi", "70m"},
		{"m5.large", 2, 110, 574, "1465Mi", "70m"},
		{"c5.2xlarge", 8, 110, 893, "1465Mi", "90m"},
		{"m5.4xlarge", 16, 250, 2829, "3005Mi", "110m"},
	}
	for _, tt := range tests {
		t.Run(tt.instanceType, func(t *testing.T) {
			base := nodeadmGenerated(t, tt.instanceType, tt.vcpus)
			var generated struct {
				KubeReserved map[string]string `json:"kubeReserved"`
			}
			if err := json.Unmarshal(base, &generated); err != nil || generated.KubeReserved["memory"] != fmt.Sprintf("%dMi", tt.nodeadmMiB) {
				t.Fatalf("nodeadm alone would reserve %v, want %dMi", generated.KubeReserved, tt.nodeadmMiB)
			}

			nc := decodeNodeConfig(t, nodegroup.NodeConfig(cluster, nodegroup.NodeSettings{MaxPods: tt.maxPods}))
			dropIn, err := json.Marshal(nc.Spec.Kubelet.Config)
			if err != nil {
				t.Fatal(err)
			}
			merged, err := jsonpatch.MergePatch(base, dropIn)
			if err != nil {
				t.Fatal(err)
			}
			var kubelet struct {
				MaxPods      int               `json:"maxPods"`
				KubeReserved map[string]string `json:"kubeReserved"`
			}
			if err := json.Unmarshal(merged, &kubelet); err != nil {
				t.Fatal(err)
			}
			if kubelet.MaxPods != tt.maxPods {
				t.Errorf("maxPods = %d, want %d", kubelet.MaxPods, tt.maxPods)
			}
			want := map[string]string{"cpu": tt.wantCPU, "ephemeral-storage": "1Gi", "memory": tt.wantMemory}
			if fmt.Sprint(kubelet.KubeReserved) != fmt.Sprint(want) {
				t.Errorf("kubeReserved = %v, want %v", kubelet.KubeReserved, want)
			}
			if got := nodegroup.KubeReserved(tt.maxPods, tt.vcpus); fmt.Sprint(got) != fmt.Sprint(kubelet.KubeReserved) {
				t.Errorf("the kubelet ends up with %v, KubeReserved(%d, %d) says %v", kubelet.KubeReserved, tt.maxPods, tt.vcpus, got)
			}
		})
	}
}
