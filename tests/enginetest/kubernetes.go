package enginetest

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/provider"
	rpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
)

func newKubernetesFake(log *CallLog) *Fake {
	return &Fake{
		name:    "kubernetes",
		version: "4.32.0", // go.mod's github.com/pulumi/pulumi-kubernetes/sdk/v4
		log:     log,
		outputs: kubernetesOutputs,
		// docs/design.md, "Typical durations": Helm release 1–2 min.
		takes:       map[string]time.Duration{"kubernetes:helm.sh/v3:Release": 150 * time.Millisecond},
		checkConfig: checkKubeconfig,
		construct:   constructConfigFile,
	}
}

// constructConfigFile stands in for kubernetes:yaml/v2:ConfigFile, a component the real
// provider builds from a manifest it reads (here the load balancer controller's CRDs, from
// a URL at a release tag). The fake reads nothing: it checks the file is such a URL and
// registers the component without children, so the manifest's objects are not modelled.
func constructConfigFile(ctx context.Context, req *rpc.ConstructRequest, engine *grpc.ClientConn) (*rpc.ConstructResponse, error) {
	if req.GetType() != "kubernetes:yaml/v2:ConfigFile" {
		return nil, fmt.Errorf("fake kubernetes: %s is not modelled (only yaml/v2:ConfigFile)", req.GetType())
	}
	inputs, err := plugin.UnmarshalProperties(req.GetInputs(), marshal)
	if err != nil {
		return nil, err
	}
	file := unwrapOutputs(inputs["file"])
	if !file.IsString() || !strings.HasPrefix(file.StringValue(), "https://raw.githubusercontent.com/") {
		return nil, fmt.Errorf("yaml/v2:ConfigFile %s: file %v: want a manifest URL at a release tag", req.GetName(), file)
	}
	return provider.Construct(ctx, req, engine, func(pctx *pulumi.Context, typ, name string, _ provider.ConstructInputs, options pulumi.ResourceOption) (*provider.ConstructResult, error) {
		comp := &fakeConfigFile{}
		if err := pctx.RegisterComponentResource(typ, name, comp, options); err != nil {
			return nil, err
		}
		return provider.NewConstructResult(comp)
	})
}

type fakeConfigFile struct {
	pulumi.ResourceState
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
