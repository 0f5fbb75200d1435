package engine

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

func newKubernetesFake(log *callLog) *fake {
	return &fake{
		name:    "kubernetes",
		version: "4.32.0", // go.mod's github.com/pulumi/pulumi-kubernetes/sdk/v4
		log:     log,
		outputs: kubernetesOutputs,
		// docs/design.md, "Typical durations": Helm release 1–2 min.
		takes:       map[string]time.Duration{"kubernetes:helm.sh/v3:Release": 150 * time.Millisecond},
		checkConfig: checkKubeconfig,
	}
}

// checkKubeconfig refuses a provider whose kubeconfig names no API server, which the real
// provider cannot talk to. An unknown kubeconfig (first preview) is checked on the update.
func checkKubeconfig(news resource.PropertyMap) []inputProblem {
	v, ok := news["kubeconfig"]
	if !ok {
		return []inputProblem{{"kubeconfig", "not set: the provider would fall back to ~/.kube/config, not the new cluster"}}
	}
	if v.IsSecret() {
		v = v.SecretValue().Element
	}
	if v.ContainsUnknowns() {
		return nil
	}
	if !v.IsString() {
		return []inputProblem{{"kubeconfig", "want a string, got " + v.TypeString()}}
	}
	var kc struct {
		Clusters []struct {
			Cluster struct {
				Server string `json:"server"`
			} `json:"cluster"`
		} `json:"clusters"`
	}
	if err := json.Unmarshal([]byte(v.StringValue()), &kc); err != nil {
		return []inputProblem{{"kubeconfig", fmt.Sprintf("not a kubeconfig: %v", err)}}
	}
	if len(kc.Clusters) == 0 || kc.Clusters[0].Cluster.Server == "" {
		return []inputProblem{{"kubeconfig", "names no cluster server"}}
	}
	return nil
}

// kubernetesOutputs is what pulumi-kubernetes reports for a Helm release it installed.
func kubernetesOutputs(token, name string, in resource.PropertyMap, preview bool) resource.PropertyMap {
	if token != "kubernetes:helm.sh/v3:Release" {
		return withComputed(in, preview, nil)
	}
	str := func(k string) any {
		if v, ok := in[resource.PropertyKey(k)]; ok && v.IsString() {
			return v.StringValue()
		}
		return nil
	}
	return withComputed(in, preview, map[string]any{"status": map[string]any{
		"name": str("name"), "namespace": str("namespace"), "chart": str("chart"), "version": str("version"),
		"appVersion": str("version"), "revision": 1, "status": "deployed",
	}})
}
