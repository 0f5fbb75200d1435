// Package chart_test renders the real, packaged Cilium chart with exactly the Helm values the
// program passes for every shipped stack, the way `helm template` does (values.schema.json
// enforced, the chart's kubeVersion constraint checked), and reads the resulting
// ConfigMap cilium-config back. It is the contract between our values and what the Cilium
// agent and operator actually run with (docs/design.md, "Cilium").
package chart_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/eks-cilium/eks-cilium/ipplan"
	"github.com/eks-cilium/eks-cilium/render"
	"github.com/eks-cilium/eks-cilium/stackconfig"
	"gopkg.in/yaml.v3"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
)

const (
	// releaseName and namespace are those of components/cilium's release.
	releaseName = "cilium"
	namespace   = "kube-system"
	// chartsDir is ../shared/charts relative to the repository root.
	chartsDir = "../../../shared/charts"
	// stacksGlob is stacks/Pulumi.*.yaml relative to this directory.
	stacksGlob = "../../stacks/Pulumi.*.yaml"
)

// chartVersions are the chart versions carried in ../shared/charts: the pinned one and the
// next candidate, so a chart bump is checked before a stack ships it.
var chartVersions = []string{"1.19.6", "1.20.0"}

// TestChart_RendersEveryShippedStackAsDesigned renders the chart for every shipped stack and
// checks the agent's configuration: cluster-pool IPAM with the stack's pool and mask, overlay
// routing, kube-proxy replacement as configured, nothing of ENI mode, WireGuard if asked.
func TestChart_RendersEveryShippedStackAsDesigned(t *testing.T) {
	for _, path := range shippedStacks(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			cfg, values := programValues(t, path)
			file := os.Getenv("CILIUM_CHART")
			if file == "" {
				file = filepath.Join(chartsDir, "cilium-"+cfg.Cilium.Version+".tgz")
			}
			chrt := loadChart(t, file)
			if os.Getenv("CILIUM_CHART") == "" && chrt.Metadata.Version != cfg.Cilium.Version {
				t.Fatalf("%s is chart version %s, the stack pins %s", file, chrt.Metadata.Version, cfg.Cilium.Version)
			}
			objs, err := renderChart(chrt, values, cfg.Cluster.Version)
			if err != nil {
				t.Fatalf("rendering %s with the values of %s: %v", file, path, err)
			}
			assertDesign(t, cfg, values, objs)
		})
	}
}

// TestChart_CandidateVersionsRenderTheDevStack renders the dev stack's values through every
// chart version carried, not only the pinned one, so that bumping eks-cilium:cilium.version is
// checked before a stack ships it.
func TestChart_CandidateVersionsRenderTheDevStack(t *testing.T) {
	cfg, values := programValues(t, "../../stacks/Pulumi.dev.yaml")
	for _, version := range chartVersions {
		t.Run(version, func(t *testing.T) {
			chrt := loadChart(t, filepath.Join(chartsDir, "cilium-"+version+".tgz"))
			if chrt.Metadata.Version != version {
				t.Fatalf("cilium-%s.tgz is chart version %s", version, chrt.Metadata.Version)
			}
			bumped := cfg
			bumped.Cilium.Version = version
			objs, err := renderChart(chrt, values, cfg.Cluster.Version)
			if err != nil {
				t.Fatalf("chart %s refuses the dev stack's values: %v", version, err)
			}
			assertDesign(t, bumped, values, objs)
		})
	}
}

// TestChart_SchemaRefusesAStringMaskSize proves the render enforces values.schema.json: the
// mask size quoted as "24" is exactly the mistake the schema (and Values' int) guard against.
func TestChart_SchemaRefusesAStringMaskSize(t *testing.T) {
	_, values := programValues(t, "../../stacks/Pulumi.dev.yaml")
	for _, version := range chartVersions {
		t.Run(version, func(t *testing.T) {
			chrt := loadChart(t, filepath.Join(chartsDir, "cilium-"+version+".tgz"))
			if _, err := renderChart(chrt, values, "1.33"); err != nil {
				t.Fatalf("the unmodified values must render, or this test proves nothing: %v", err)
			}
			bad := deepCopy(values)
			bad["ipam"].(map[string]any)["operator"].(map[string]any)["clusterPoolIPv4MaskSize"] = "24"
			_, err := renderChart(chrt, bad, "1.33")
			if err == nil {
				t.Fatalf("chart %s rendered clusterPoolIPv4MaskSize: \"24\"; values.schema.json is not enforced", version)
			}
			if !strings.Contains(err.Error(), "clusterPoolIPv4MaskSize") {
				t.Errorf("the schema error should name clusterPoolIPv4MaskSize, got: %v", err)
			}
		})
	}
}

// TestChart_ENIModeIsDetected is the negative control of eniSettings: the same values with
// ENI mode switched on (as a user bypassing Values could) must be caught, so the ENI checks
// above cannot pass merely because the keys they look for never exist.
func TestChart_ENIModeIsDetected(t *testing.T) {
	_, values := programValues(t, "../../stacks/Pulumi.dev.yaml")
	for _, version := range chartVersions {
		t.Run(version, func(t *testing.T) {
			chrt := loadChart(t, filepath.Join(chartsDir, "cilium-"+version+".tgz"))
			eni := deepCopy(values)
			eni["eni"] = map[string]any{"enabled": true}
			eni["ipam"].(map[string]any)["mode"] = "eni"
			delete(eni, "routingMode")
			objs, err := renderChart(chrt, eni, "1.33")
			if err != nil {
				t.Fatalf("rendering ENI mode: %v", err)
			}
			found := eniSettings(configMapData(t, find(t, objs, "ConfigMap", "cilium-config")))
			t.Logf("ENI mode in chart %s shows as:\n  %s", version, strings.Join(found, "\n  "))
			for _, want := range []string{"ipam = eni", "enable-endpoint-routes = true", "ec2-api-endpoint", "eni-tags"} {
				if !containsPrefix(found, want) {
					t.Errorf("ENI mode not detected by %q; eniSettings found %v", want, found)
				}
			}
		})
	}
}

// TestChart_EnvoySwitchesAreThePlannersList renders the real chart with each Helm value that
// may turn on Cilium's Envoy configuration and checks that the agent gets enable-envoy-config
// (it then takes Envoy's ingress IP from every node CIDR) exactly when ipplan.EnvoyEnabledBy
// says so: the planner's pod count per node follows the chart, not a guess.
func TestChart_EnvoySwitchesAreThePlannersList(t *testing.T) {
	_, values := programValues(t, "../../stacks/Pulumi.dev.yaml")
	on, off := map[string]any{"enabled": true}, map[string]any{"enabled": false}
	cases := []map[string]any{
		{},
		{"ingressController": on},
		{"ingressController": off},
		{"gatewayAPI": on},
		{"gatewayAPI": off},
		{"envoyConfig": on},
		{"envoyConfig": off},
		{"loadBalancer": map[string]any{"l7": map[string]any{"backend": "envoy"}}},
		{"loadBalancer": map[string]any{"l7": map[string]any{"backend": "disabled"}}},
	}
	for _, version := range chartVersions {
		chrt := loadChart(t, filepath.Join(chartsDir, "cilium-"+version+".tgz"))
		for _, extra := range cases {
			name := fmt.Sprintf("%s/%v", version, extra)
			t.Run(name, func(t *testing.T) {
				merged := deepCopy(values)
				for k, v := range deepCopy(extra) {
					merged[k] = v
				}
				objs, err := renderChart(chrt, merged, "1.35")
				if err != nil {
					t.Fatalf("rendering with %v: %v", extra, err)
				}
				data := configMapData(t, find(t, objs, "ConfigMap", "cilium-config"))
				got := data["enable-envoy-config"] == "true"
				if want := ipplan.EnvoyEnabledBy(extra) != ""; got != want {
					t.Errorf("chart %s with %v: enable-envoy-config %q; the planner counts Envoy's IP: %v", version, extra, data["enable-envoy-config"], want)
				}
			})
		}
	}
}

func containsPrefix(list []string, prefix string) bool {
	for _, s := range list {
		if strings.HasPrefix(s, prefix) {
			return true
		}
	}
	return false
}

// assertDesign checks the rendered objects against the stack's configuration.
func assertDesign(t *testing.T, cfg stackconfig.Config, values map[string]any, objs []object) {
	t.Helper()
	cm := find(t, objs, "ConfigMap", "cilium-config")
	data := configMapData(t, cm)
	if testing.Verbose() {
		logConfigMap(t, data)
	}

	want := map[string]string{
		"ipam":                        "cluster-pool",
		"cluster-pool-ipv4-cidr":      strings.Join(cfg.Cilium.ClusterPoolIPv4PodCIDRList, " "),
		"cluster-pool-ipv4-mask-size": strconv.Itoa(cfg.Cilium.ClusterPoolIPv4MaskSize),
		"routing-mode":                "tunnel",
		"tunnel-protocol":             cfg.Cilium.TunnelProtocol,
		"kube-proxy-replacement":      strconv.FormatBool(cfg.Cluster.KubeProxyReplacement),
		// Overlay pod IPs are unknown to the VPC: pods must leave through the node's address.
		"enable-ipv4-masquerade": "true",
		// cni.exclusive: Cilium owns /etc/cni/net.d.
		"cni-exclusive": "true",
	}
	if cfg.Cilium.Encryption == "wireguard" {
		want["enable-wireguard"] = "true"
	}
	for key, w := range want {
		got, ok := data[key]
		if !ok {
			t.Errorf("cilium-config has no %s (want %q)", key, w)
			continue
		}
		if got != w {
			t.Errorf("cilium-config %s = %q, want %q", key, got, w)
		}
	}
	if cfg.Cilium.Encryption == "" && data["enable-wireguard"] == "true" {
		t.Errorf("cilium-config enable-wireguard = true, but the stack sets no encryption")
	}

	for _, problem := range eniSettings(data) {
		t.Errorf("cilium-config: %s", problem)
	}

	ds := find(t, objs, "DaemonSet", "cilium")
	if host, ok := values["k8sServiceHost"].(string); ok {
		// The bare host of the (fake, Known-mode) EKS endpoint: no scheme, no port.
		if want := strings.TrimPrefix(render.FakeEndpoint, "https://"); host != want {
			t.Errorf("k8sServiceHost = %q, want the EKS endpoint host %q", host, want)
		}
		if got := containerEnv(t, ds, "cilium-agent", "KUBERNETES_SERVICE_HOST"); got != host {
			t.Errorf("cilium-agent KUBERNETES_SERVICE_HOST = %q, want the EKS endpoint host %q", got, host)
		}
	} else if cfg.Cluster.KubeProxyReplacement {
		t.Errorf("kube-proxy replacement is on but the values carry no k8sServiceHost: %v", values["k8sServiceHost"])
	}

	op := find(t, objs, "Deployment", "cilium-operator")
	wantReplicas, ok := values["operator"].(map[string]any)["replicas"]
	if !ok {
		t.Fatalf("the values set no operator.replicas: %v", values["operator"])
	}
	gotReplicas := lookup(op, "spec", "replicas")
	if fmt.Sprint(gotReplicas) != fmt.Sprint(wantReplicas) {
		t.Errorf("cilium-operator replicas = %v, want operator.replicas %v", gotReplicas, wantReplicas)
	}
}

// eniSettings lists what in cilium-config belongs to ENI mode or native routing, or makes
// Cilium chain onto another CNI. The ENI keys (eni-*, aws-*, ec2-api-endpoint, *-tags-filter,
// subnet-ids-filter) are absent altogether outside ENI mode, so their mere presence counts.
func eniSettings(data map[string]string) []string {
	var out []string
	if data["ipam"] == "eni" {
		out = append(out, "ipam = eni")
	}
	for _, key := range []string{"enable-endpoint-routes", "auto-direct-node-routes"} {
		if data[key] == "true" {
			out = append(out, key+" = true: native routing, not overlay")
		}
	}
	if v := data["cni-chaining-mode"]; v != "" && v != "none" {
		out = append(out, "cni-chaining-mode = "+strconv.Quote(v)+": Cilium must be the only CNI")
	}
	for key, v := range data {
		if strings.HasPrefix(key, "eni-") || strings.HasPrefix(key, "aws-") || key == "ec2-api-endpoint" ||
			strings.HasSuffix(key, "-tags-filter") || key == "subnet-ids-filter" {
			out = append(out, fmt.Sprintf("%s = %q: an ENI-mode setting", key, v))
		}
	}
	sort.Strings(out)
	return out
}

// shippedStacks are the stack files a `pulumi up` would use.
func shippedStacks(t *testing.T) []string {
	t.Helper()
	paths, err := filepath.Glob(stacksGlob)
	if err != nil || len(paths) == 0 {
		t.Fatalf("no stack file matches %s (err %v)", stacksGlob, err)
	}
	sort.Strings(paths)
	return paths
}

// programValues runs the real program offline in Known mode (as an update would) and returns
// the values it gives the Cilium release.
func programValues(t *testing.T, path string) (stackconfig.Config, map[string]any) {
	t.Helper()
	cfg, vals, err := stackconfig.LoadFile(path)
	if err != nil {
		t.Fatalf("loading %s: %v", path, err)
	}
	res, err := render.Run(cfg.Stack, vals, render.Options{Known: true})
	if err != nil {
		t.Fatalf("running the program for %s: %v", path, err)
	}
	rep, err := render.NewReport(res)
	if err != nil {
		t.Fatalf("report of %s: %v", path, err)
	}
	walk("", rep.CiliumValues, func(at string, v any) {
		if v == render.Computed {
			t.Errorf("Cilium value %s is %q in Known mode: the chart would get a placeholder", at, v)
		}
	})
	return cfg, rep.CiliumValues
}

// loadChart loads a packaged chart. A missing chart skips loudly on a workstation and fails in
// CI, where the chart is provided and the contract must be checked.
func loadChart(t *testing.T, file string) *chart.Chart {
	t.Helper()
	if _, err := os.Stat(file); errors.Is(err, os.ErrNotExist) {
		msg := fmt.Sprintf("CHART CONTRACT NOT CHECKED: %s not found; set CILIUM_CHART to a cilium-<version>.tgz", file)
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	chrt, err := loader.Load(file)
	if err != nil {
		t.Fatalf("loading chart %s: %v", file, err)
	}
	return chrt
}

// object is one rendered Kubernetes manifest. (Not a named map type: yaml.v3 would decode
// every nested mapping into the named type too, and map[string]any assertions would fail.)
type object = map[string]any

// renderChart does what `helm template cilium <chart> -n kube-system --kube-version <v>` does:
// it checks the chart's kubeVersion constraint, coalesces the values with the chart's
// defaults, enforces values.schema.json and renders every template.
func renderChart(chrt *chart.Chart, values map[string]any, clusterVersion string) ([]object, error) {
	return renderRelease(chrt, releaseName, namespace, values, clusterVersion)
}

// renderRelease is renderChart for any release name and namespace.
func renderRelease(chrt *chart.Chart, releaseName, namespace string, values map[string]any, clusterVersion string) ([]object, error) {
	kv, err := chartutil.ParseKubeVersion(clusterVersion)
	if err != nil {
		return nil, err
	}
	caps := chartutil.DefaultCapabilities.Copy()
	caps.KubeVersion = *kv
	if c := chrt.Metadata.KubeVersion; c != "" && !chartutil.IsCompatibleRange(c, kv.String()) {
		return nil, fmt.Errorf("chart requires kubeVersion %s, the cluster is %s", c, kv)
	}
	opts := chartutil.ReleaseOptions{Name: releaseName, Namespace: namespace, Revision: 1, IsInstall: true}
	// skipSchemaValidation=false: the same call helm install/template make; ToRenderValues is
	// this with false, written out so the enforcement is visible.
	top, err := chartutil.ToRenderValuesWithSchemaValidation(chrt, deepCopy(values), opts, caps, false)
	if err != nil {
		return nil, err
	}
	files, err := engine.Render(chrt, top)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	var objs []object
	for _, name := range names {
		if !strings.HasSuffix(name, ".yaml") && !strings.HasSuffix(name, ".yml") {
			continue // NOTES.txt
		}
		dec := yaml.NewDecoder(bytes.NewBufferString(files[name]))
		for {
			var obj object
			err := dec.Decode(&obj)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, fmt.Errorf("%s does not render valid YAML: %w", name, err)
			}
			if len(obj) > 0 {
				objs = append(objs, obj)
			}
		}
	}
	return objs, nil
}

func find(t *testing.T, objs []object, kind, name string) object {
	t.Helper()
	var seen []string
	for _, o := range objs {
		k, _ := o["kind"].(string)
		n, _ := lookup(o, "metadata", "name").(string)
		if k == kind && n == name {
			return o
		}
		seen = append(seen, k+"/"+n)
	}
	t.Fatalf("the chart rendered no %s %s; it rendered %v", kind, name, seen)
	return nil
}

// configMapData returns the ConfigMap's data; every value must be a string, as the API
// server requires.
func configMapData(t *testing.T, cm object) map[string]string {
	t.Helper()
	raw, ok := cm["data"].(map[string]any)
	if !ok {
		t.Fatalf("ConfigMap has no data: %v", cm)
	}
	data := make(map[string]string, len(raw))
	for k, v := range raw {
		s, ok := v.(string)
		if !ok {
			t.Errorf("ConfigMap data %s = %v (%T): the API server accepts strings only", k, v, v)
			continue
		}
		data[k] = s
	}
	return data
}

// containerEnv is the value of an env var of a container in a workload's pod template.
func containerEnv(t *testing.T, workload object, container, name string) string {
	t.Helper()
	containers, _ := lookup(workload, "spec", "template", "spec", "containers").([]any)
	for _, c := range containers {
		c, _ := c.(map[string]any)
		if c["name"] != container {
			continue
		}
		env, _ := c["env"].([]any)
		for _, e := range env {
			e, _ := e.(map[string]any)
			if e["name"] == name {
				s, _ := e["value"].(string)
				return s
			}
		}
		t.Fatalf("container %s has no env %s", container, name)
	}
	t.Fatalf("no container %s", container)
	return ""
}

func lookup(m map[string]any, path ...string) any {
	var cur any = m
	for _, p := range path {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = mm[p]
	}
	return cur
}

// walk calls fn for every scalar of a values tree with its dotted path.
func walk(at string, v any, fn func(at string, v any)) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			walk(strings.TrimPrefix(at+"."+k, "."), e, fn)
		}
	case []any:
		for i, e := range x {
			walk(fmt.Sprintf("%s[%d]", at, i), e, fn)
		}
	default:
		fn(at, v)
	}
}

func deepCopy(v map[string]any) map[string]any {
	out := make(map[string]any, len(v))
	for k, e := range v {
		out[k] = copyValue(e)
	}
	return out
}

func copyValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		return deepCopy(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = copyValue(e)
		}
		return out
	default:
		return v
	}
}

func logConfigMap(t *testing.T, data map[string]string) {
	t.Helper()
	keys := make([]string, 0, len(data))
	for k := range data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "  %s: %q\n", k, data[k])
	}
	t.Logf("cilium-config:\n%s", b.String())
}

// TestChart_PoolAppendRollsTheOperatorAndNotTheAgents: cilium-operator reads the pool only when
// it starts, so appending to clusterPoolIPv4PodCIDRList must change the operator's pod
// template (a rollout) and leave the agent DaemonSet's alone (no agent restarts), in the
// objects the real chart renders from the program's values before and after the append.
func TestChart_PoolAppendRollsTheOperatorAndNotTheAgents(t *testing.T) {
	const dev = "../../stacks/Pulumi.dev.yaml"
	_, before := programValues(t, dev)
	data, err := os.ReadFile(dev)
	if err != nil {
		t.Fatal(err)
	}
	appended := strings.Replace(string(data), "clusterPoolIPv4PodCIDRList: [10.200.0.0/16]", "clusterPoolIPv4PodCIDRList: [10.200.0.0/16, 10.201.0.0/16]", 1)
	if appended == string(data) {
		t.Fatal("the dev stack's pool line changed; update this test's edit")
	}
	path := filepath.Join(t.TempDir(), "Pulumi.dev.yaml")
	if err := os.WriteFile(path, []byte(appended), 0o644); err != nil {
		t.Fatal(err)
	}
	_, after := programValues(t, path)
	for _, version := range chartVersions {
		t.Run(version, func(t *testing.T) {
			chrt := loadChart(t, filepath.Join(chartsDir, "cilium-"+version+".tgz"))
			objsBefore, err := renderChart(chrt, before, "1.35")
			if err != nil {
				t.Fatal(err)
			}
			objsAfter, err := renderChart(chrt, after, "1.35")
			if err != nil {
				t.Fatal(err)
			}
			template := func(objs []object, kind, name string) string {
				return jsonString(t, lookup(find(t, objs, kind, name), "spec", "template"))
			}
			if template(objsBefore, "Deployment", "cilium-operator") == template(objsAfter, "Deployment", "cilium-operator") {
				t.Error("the operator's pod template is the same after the append: the running operator never sees the new CIDR")
			}
			if template(objsBefore, "DaemonSet", "cilium") != template(objsAfter, "DaemonSet", "cilium") {
				t.Error("the agents' pod template changed with the pool: every agent would restart")
			}
			cidr := configMapData(t, find(t, objsAfter, "ConfigMap", "cilium-config"))["cluster-pool-ipv4-cidr"]
			if cidr != "10.200.0.0/16 10.201.0.0/16" {
				t.Errorf("cilium-config cluster-pool-ipv4-cidr = %q after the append", cidr)
			}
		})
	}
}

func jsonString(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
