package chart_test

// The add-on contract: metrics-server and the AWS Load Balancer Controller charts, rendered
// with exactly the values the program passes for the dev stack (which installs both), give
// host-network Deployments listening on the planned ports, with the APIService and the
// webhooks pointing at them, and every port a host-network pod of the cluster declares,
// Cilium's included, is in the host port map.

import (
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/eks-cilium/eks-cilium/charts"
	"github.com/eks-cilium/eks-cilium/charts/lbcpolicy"
	"github.com/eks-cilium/eks-cilium/hostports"
	"github.com/eks-cilium/eks-cilium/render"
	"github.com/eks-cilium/eks-cilium/stackconfig"
	"helm.sh/helm/v3/pkg/chart"
)

const devStack = "../../stacks/Pulumi.dev.yaml"

// addonRun is the dev stack run offline as an update would run it.
type addonRun struct {
	cfg      stackconfig.Config
	ports    *hostports.Map
	releases map[string]map[string]any // chart -> values of its Helm release
	cilium   map[string]any
}

func runDevStack(t *testing.T) addonRun {
	t.Helper()
	cfg, vals, err := stackconfig.LoadFile(devStack)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addons == nil || cfg.Addons.MetricsServer == nil || cfg.Addons.AwsLoadBalancerController == nil {
		t.Fatalf("%s must install both add-ons for this contract to be checked", devStack)
	}
	res, err := render.Run(cfg.Stack, vals, render.Options{Known: true})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := render.NewReport(res)
	if err != nil {
		t.Fatal(err)
	}
	ports := res.Plan.HostPorts
	run := addonRun{cfg: cfg, ports: ports, releases: map[string]map[string]any{}, cilium: rep.CiliumValues}
	for _, r := range rep.Resources {
		if r.Type != "kubernetes:helm.sh/v3:Release" {
			continue
		}
		chartRef, _ := r.Inputs["chart"].(string)
		values, _ := r.Inputs["values"].(map[string]any)
		walk("", values, func(at string, v any) {
			if v == render.Computed {
				t.Errorf("%s value %s is %q in Known mode: the chart would get a placeholder", chartRef, at, v)
			}
		})
		run.releases[chartRef] = values
	}
	return run
}

// loadAddonChart loads ../shared/charts/<name>-<version>.tgz and checks it is that version.
func loadAddonChart(t *testing.T, name, version string) *chart.Chart {
	t.Helper()
	chrt := loadChart(t, filepath.Join(chartsDir, name+"-"+version+".tgz"))
	if chrt.Metadata.Name != name || chrt.Metadata.Version != version {
		t.Fatalf("%s-%s.tgz is %s %s", name, version, chrt.Metadata.Name, chrt.Metadata.Version)
	}
	return chrt
}

// renderAddon renders an add-on's chart the way `helm template <release> <chart> -n kube-system
// --kube-version <v>` does (renderRelease: schema enforced, kubeVersion constraint checked) and
// fails the test when the chart refuses the values.
func renderAddon(t *testing.T, chrt *chart.Chart, release string, values map[string]any, kubeVersion string) []object {
	t.Helper()
	objs, err := renderRelease(chrt, release, charts.Namespace, values, kubeVersion)
	if err != nil {
		t.Fatalf("chart %s refuses the program's values: %v", chrt.Name(), err)
	}
	return objs
}

// podSpec of a workload.
func podSpec(t *testing.T, workload object) map[string]any {
	t.Helper()
	spec, ok := lookup(workload, "spec", "template", "spec").(map[string]any)
	if !ok {
		t.Fatalf("%v has no pod spec", lookup(workload, "metadata", "name"))
	}
	return spec
}

func container(t *testing.T, spec map[string]any, name string) map[string]any {
	t.Helper()
	list, _ := spec["containers"].([]any)
	for _, c := range list {
		c, _ := c.(map[string]any)
		if c["name"] == name {
			return c
		}
	}
	t.Fatalf("no container %s", name)
	return nil
}

// namedPort is the containerPort of a container's port by name.
func namedPort(t *testing.T, c map[string]any, name string) int {
	t.Helper()
	ports, _ := c["ports"].([]any)
	for _, p := range ports {
		p, _ := p.(map[string]any)
		if p["name"] == name {
			n, err := strconv.Atoi(fmt.Sprint(p["containerPort"]))
			if err != nil {
				t.Fatalf("port %s: %v", name, err)
			}
			return n
		}
	}
	t.Fatalf("container %s has no port %s: %v", c["name"], name, c["ports"])
	return 0
}

func args(c map[string]any) []string {
	var out []string
	list, _ := c["args"].([]any)
	for _, a := range list {
		out = append(out, fmt.Sprint(a))
	}
	return out
}

func planned(t *testing.T, m *hostports.Map, holder, purpose string) int {
	t.Helper()
	p, ok := m.Port(holder, purpose)
	if !ok {
		t.Fatalf("the host port plan has no port for %s %s", holder, purpose)
	}
	return p
}

// hostNetworkPorts lists every container port of every host-network workload rendered:
// those are ports the pod binds on the node.
func hostNetworkPorts(t *testing.T, objs []object) map[string][]int {
	t.Helper()
	out := map[string][]int{}
	for _, o := range objs {
		kind, _ := o["kind"].(string)
		if kind != "Deployment" && kind != "DaemonSet" {
			continue
		}
		spec := podSpec(t, o)
		if spec["hostNetwork"] != true {
			continue
		}
		name := fmt.Sprint(lookup(o, "metadata", "name"))
		for _, list := range []string{"initContainers", "containers"} {
			cs, _ := spec[list].([]any)
			for _, c := range cs {
				ports, _ := c.(map[string]any)["ports"].([]any)
				for _, p := range ports {
					p := p.(map[string]any)
					n, err := strconv.Atoi(fmt.Sprint(p["containerPort"]))
					if err != nil {
						t.Fatalf("%s: port %v", name, p)
					}
					if hp, ok := p["hostPort"]; ok && fmt.Sprint(hp) != fmt.Sprint(n) {
						t.Errorf("%s: hostPort %v differs from containerPort %d", name, hp, n)
					}
					out[name] = append(out[name], n)
				}
			}
		}
	}
	return out
}

func TestAddons_MetricsServerServesItsAPIServiceFromTheHostNetworkOnThePlannedPort(t *testing.T) {
	run := runDevStack(t)
	ms := run.cfg.Addons.MetricsServer
	chrt := loadAddonChart(t, charts.MetricsServerChart, ms.Version)
	values := run.releases[charts.MetricsServerChart]
	if values == nil {
		t.Fatalf("the program registered no %s release", charts.MetricsServerChart)
	}
	objs := renderAddon(t, chrt, charts.MetricsServerRelease, values, run.cfg.Cluster.Version)
	port := planned(t, run.ports, charts.MetricsServerRelease, charts.PurposeMetricsServerAPI)

	dep := find(t, objs, "Deployment", charts.MetricsServerRelease)
	spec := podSpec(t, dep)
	if spec["hostNetwork"] != true {
		t.Errorf("metrics-server Deployment hostNetwork = %v, want true", spec["hostNetwork"])
	}
	c := container(t, spec, "metrics-server")
	if got := namedPort(t, c, "https"); got != port {
		t.Errorf("container port https = %d, want the planned %d", got, port)
	}
	if !slices.Contains(args(c), fmt.Sprintf("--secure-port=%d", port)) {
		t.Errorf("metrics-server args %v do not listen on --secure-port=%d", args(c), port)
	}
	if got := fmt.Sprint(lookup(dep, "spec", "replicas")); got != strconv.Itoa(ms.Replicas) {
		t.Errorf("replicas = %s, want %d", got, ms.Replicas)
	}
	if got := fmt.Sprint(lookup(dep, "spec", "strategy", "rollingUpdate", "maxSurge")); got != "0" {
		t.Errorf("rollingUpdate.maxSurge = %s, want 0: a surge pod finds its port taken on a busy node", got)
	}

	// The chart has no dnsPolicy value; the component patches the Deployment it renders.
	if dp, set := spec["dnsPolicy"]; set {
		t.Errorf("chart %s renders dnsPolicy %v itself: set it through values and drop charts.MetricsServerDNSPolicy", ms.Version, dp)
	}
	patch := charts.MetricsServerDNSPolicy
	if patch.Deployment != lookup(dep, "metadata", "name") || patch.Namespace != lookup(dep, "metadata", "namespace") {
		t.Errorf("the dnsPolicy patch targets %s/%s, the chart renders %v/%v", patch.Namespace, patch.Deployment,
			lookup(dep, "metadata", "namespace"), lookup(dep, "metadata", "name"))
	}
	if patch.DNSPolicy != "ClusterFirstWithHostNet" {
		t.Errorf("the patch sets dnsPolicy %q, want ClusterFirstWithHostNet", patch.DNSPolicy)
	}

	svc := find(t, objs, "Service", charts.MetricsServerRelease)
	svcPorts, _ := lookup(svc, "spec", "ports").([]any)
	if len(svcPorts) != 1 {
		t.Fatalf("metrics-server Service ports %v", svcPorts)
	}
	sp := svcPorts[0].(map[string]any)
	if sp["targetPort"] != "https" {
		t.Errorf("Service targetPort %v, want the container port named https", sp["targetPort"])
	}
	api := find(t, objs, "APIService", "v1beta1.metrics.k8s.io")
	if lookup(api, "spec", "service", "name") != charts.MetricsServerRelease || lookup(api, "spec", "service", "namespace") != charts.Namespace ||
		fmt.Sprint(lookup(api, "spec", "service", "port")) != fmt.Sprint(sp["port"]) {
		t.Errorf("APIService points at %v, want Service %s/%s port %v", lookup(api, "spec", "service"), charts.Namespace, charts.MetricsServerRelease, sp["port"])
	}
	assertOnlyPlannedPorts(t, run.ports, charts.MetricsServerRelease, objs)
}

func TestAddons_LoadBalancerControllerServesItsWebhooksFromTheHostNetworkWithoutIMDS(t *testing.T) {
	run := runDevStack(t)
	lbc := run.cfg.Addons.AwsLoadBalancerController
	chrt := loadAddonChart(t, charts.LoadBalancerControllerChart, lbc.Version)
	release, ok := lbcpolicy.ForChart(lbc.Version)
	if !ok || chrt.Metadata.AppVersion != release.AppVersion {
		t.Fatalf("chart %s installs controller %s; the IAM policy carried is for %q", lbc.Version, chrt.Metadata.AppVersion, release.AppVersion)
	}
	values := run.releases[charts.LoadBalancerControllerChart]
	if values == nil {
		t.Fatalf("the program registered no %s release", charts.LoadBalancerControllerChart)
	}
	objs := renderAddon(t, chrt, charts.LoadBalancerControllerRelease, values, run.cfg.Cluster.Version)
	webhook := planned(t, run.ports, charts.LoadBalancerControllerRelease, charts.PurposeWebhook)
	metrics := planned(t, run.ports, charts.LoadBalancerControllerRelease, charts.PurposeMetrics)

	dep := find(t, objs, "Deployment", charts.LoadBalancerControllerRelease)
	spec := podSpec(t, dep)
	if spec["hostNetwork"] != true || spec["dnsPolicy"] != "ClusterFirstWithHostNet" {
		t.Errorf("hostNetwork %v, dnsPolicy %v; want true and ClusterFirstWithHostNet", spec["hostNetwork"], spec["dnsPolicy"])
	}
	if spec["serviceAccountName"] != charts.LoadBalancerControllerServiceAccount {
		t.Errorf("serviceAccountName %v, want %s (the Pod Identity association's)", spec["serviceAccountName"], charts.LoadBalancerControllerServiceAccount)
	}
	find(t, objs, "ServiceAccount", charts.LoadBalancerControllerServiceAccount)

	c := container(t, spec, charts.LoadBalancerControllerChart)
	a := args(c)
	vpc, _ := values["vpcId"].(string)
	if !strings.HasPrefix(vpc, "vpc-") {
		t.Errorf("vpcId value %q is not a VPC id", vpc)
	}
	for _, want := range []string{
		"--cluster-name=" + run.cfg.ClusterName(),
		"--aws-region=" + run.cfg.Region,
		"--aws-vpc-id=" + vpc,
		fmt.Sprintf("--webhook-bind-port=%d", webhook),
		fmt.Sprintf("--metrics-bind-addr=:%d", metrics),
	} {
		if !slices.Contains(a, want) {
			t.Errorf("controller args %v lack %s", a, want)
		}
	}
	for _, arg := range a {
		if strings.HasPrefix(arg, "--default-target-type") {
			t.Errorf("controller runs with %s; the default target type must stay instance", arg)
		}
	}
	if got := namedPort(t, c, "webhook-server"); got != webhook {
		t.Errorf("webhook-server port %d, want the planned %d", got, webhook)
	}
	if got := namedPort(t, c, "metrics-server"); got != metrics {
		t.Errorf("metrics-server port %d, want the planned %d", got, metrics)
	}
	for _, probe := range []string{"livenessProbe", "readinessProbe"} {
		if got := fmt.Sprint(lookup(c, probe, "httpGet", "port")); got != strconv.Itoa(charts.LoadBalancerControllerHealthPort) {
			t.Errorf("%s on port %s; the port map holds %d for the controller's probes", probe, got, charts.LoadBalancerControllerHealthPort)
		}
	}
	if got := fmt.Sprint(lookup(dep, "spec", "replicas")); got != strconv.Itoa(lbc.ReplicaCount) {
		t.Errorf("replicas %s, want %d", got, lbc.ReplicaCount)
	}

	// The chart names its webhook objects after the chart name without "-controller"
	// (templates/_helpers.tpl namePrefix).
	prefix := strings.TrimSuffix(chrt.Name(), "-controller")
	svcName := prefix + "-webhook-service"
	svc := find(t, objs, "Service", svcName)
	sp := lookup(svc, "spec", "ports").([]any)[0].(map[string]any)
	if sp["targetPort"] != "webhook-server" {
		t.Errorf("webhook Service targetPort %v, want webhook-server", sp["targetPort"])
	}
	hooks := 0
	for _, kind := range []string{"MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"} {
		cfg := find(t, objs, kind, prefix+"-webhook")
		list, _ := cfg["webhooks"].([]any)
		for _, h := range list {
			h := h.(map[string]any)
			ref, _ := lookup(h, "clientConfig", "service").(map[string]any)
			if ref["name"] != svcName || ref["namespace"] != charts.Namespace {
				t.Errorf("%s %v calls %v, want Service %s/%s", kind, h["name"], ref, charts.Namespace, svcName)
			}
			if p, set := ref["port"]; set && fmt.Sprint(p) != fmt.Sprint(sp["port"]) {
				t.Errorf("%s %v calls port %v, the Service serves %v", kind, h["name"], p, sp["port"])
			}
			hooks++
		}
	}
	if hooks == 0 {
		t.Error("the chart rendered no webhooks; this test proves nothing")
	}
	assertOnlyPlannedPorts(t, run.ports, charts.LoadBalancerControllerRelease, objs)
}

// assertOnlyPlannedPorts: every port the release's host-network pods bind is in the map,
// as this holder's.
func assertOnlyPlannedPorts(t *testing.T, m *hostports.Map, holder string, objs []object) {
	t.Helper()
	found := 0
	for workload, ports := range hostNetworkPorts(t, objs) {
		for _, p := range ports {
			found++
			e, ok := m.Holds(p, hostports.TCP)
			if !ok || e.Holder != holder {
				t.Errorf("%s binds %d on the node; the port map has %+v (present %v), want it held or planned for %s", workload, p, e, ok, holder)
			}
		}
	}
	if found == 0 {
		t.Errorf("%s rendered no host-network port", holder)
	}
}

// TestAddons_EveryCiliumHostPortIsInThePortMap renders the real Cilium chart with the dev
// stack's values and checks every port its host-network pods declare (agent, operator,
// Envoy) is in the port map as Cilium's, so the planner can never hand one out.
func TestAddons_EveryCiliumHostPortIsInThePortMap(t *testing.T) {
	run := runDevStack(t)
	chrt := loadChart(t, filepath.Join(chartsDir, "cilium-"+run.cfg.Cilium.Version+".tgz"))
	objs, err := renderChart(chrt, run.cilium, run.cfg.Cluster.Version)
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for workload, ports := range hostNetworkPorts(t, objs) {
		for _, p := range ports {
			found++
			e, ok := run.ports.Holds(p, hostports.TCP)
			if !ok || e.Planned || !strings.Contains(e.Holder, "cilium") {
				t.Errorf("Cilium's %s binds %d on the node; the port map has %+v (present %v)", workload, p, e, ok)
			}
		}
	}
	t.Logf("%d Cilium host ports checked", found)
	if found == 0 {
		t.Error("no Cilium host-network port rendered; this test proves nothing")
	}
	data := configMapData(t, find(t, objs, "ConfigMap", "cilium-config"))
	for key, want := range map[string]int{
		"prometheus-serve-addr":          9962,
		"operator-prometheus-serve-addr": 9963,
		"proxy-prometheus-port":          9964,
		"hubble-listen-address":          4244,
		"agent-health-port":              9879,
	} {
		v, ok := data[key]
		if !ok {
			continue // the feature is off; the port stays reserved anyway
		}
		n, err := strconv.Atoi(v[strings.LastIndex(v, ":")+1:])
		if err != nil || n != want {
			t.Errorf("cilium-config %s = %q, want port %d", key, v, want)
		}
		if e, ok := run.ports.Holds(n, hostports.TCP); !ok || !strings.Contains(e.Holder, "cilium") {
			t.Errorf("cilium-config %s = %q is not held by Cilium in the port map (%+v)", key, v, e)
		}
	}
}

// TestAddons_CiliumPortDefaultsAreTheCharts compares every default hostports assumes with the
// chart's values.yaml, for every Cilium chart version carried.
func TestAddons_CiliumPortDefaultsAreTheCharts(t *testing.T) {
	for _, version := range chartVersions {
		t.Run(version, func(t *testing.T) {
			chrt := loadChart(t, filepath.Join(chartsDir, "cilium-"+version+".tgz"))
			for _, p := range hostports.CiliumPorts {
				if p.Path == "" {
					continue
				}
				v := lookup(chrt.Values, strings.Split(p.Path, ".")...)
				s := fmt.Sprint(v)
				n, err := strconv.Atoi(s[strings.LastIndex(s, ":")+1:])
				if err != nil || n != p.Default {
					t.Errorf("chart %s values.yaml %s = %v, hostports assumes %d", version, p.Path, v, p.Default)
				}
			}
			if got := fmt.Sprint(lookup(chrt.Values, "tunnelPort")); got != "0" {
				t.Errorf("chart %s tunnelPort = %s; hostports assumes 0 (the protocol's default port)", version, got)
			}
		})
	}
}

// TestAddons_PodIdentityPathIsTheOneChecked pins the Cilium datapath the Pod Identity findings
// were checked against (docs/addons.md, "EKS Pod Identity on the overlay"): masquerading through
// iptables, which makes Cilium fall back to legacy host routing, so a pod's request to
// 169.254.170.23 is routed by the host stack to the agent's pod-id-link0 address. BPF host
// routing dropped that traffic in Cilium 1.16 (cilium/cilium#35989); turning it on here needs
// that re-checked, and the e2e test PodIdentityAgentReachableFromThePodNetwork run.
func TestAddons_PodIdentityPathIsTheOneChecked(t *testing.T) {
	for _, path := range shippedStacks(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			cfg, values := programValues(t, path)
			chrt := loadChart(t, filepath.Join(chartsDir, "cilium-"+cfg.Cilium.Version+".tgz"))
			objs, err := renderChart(chrt, values, cfg.Cluster.Version)
			if err != nil {
				t.Fatal(err)
			}
			data := configMapData(t, find(t, objs, "ConfigMap", "cilium-config"))
			if data["enable-ipv4-masquerade"] != "true" {
				t.Errorf("enable-ipv4-masquerade = %q, want true (overlay pods leave through the node's address)", data["enable-ipv4-masquerade"])
			}
			for _, key := range []string{"enable-bpf-masquerade", "enable-host-legacy-routing"} {
				if v, set := data[key]; set {
					t.Errorf("cilium-config sets %s = %q: the host routing mode the Pod Identity path was checked for changes", key, v)
				}
			}
			if v, set := data["devices"]; set {
				t.Errorf("cilium-config sets devices = %q: device auto-detection must stay free to select pod-id-link0 (cilium/cilium#38982)", v)
			}
		})
	}
}
