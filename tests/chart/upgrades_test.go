package chart_test

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/eks-cilium/eks-cilium/charts"
	"github.com/eks-cilium/eks-cilium/charts/lbcpolicy"
	"github.com/eks-cilium/eks-cilium/render"
	"github.com/eks-cilium/eks-cilium/stackconfig"
)

// upgradeValues runs the program over the dev stack at ciliumVersion, as an update from a
// deployment of deployedCilium (Known mode), and returns the values of the release named
// release ("" when the program registers no such release).
func upgradeValues(t *testing.T, ciliumVersion, deployedCilium, release string) (map[string]any, bool) {
	t.Helper()
	cfg, vals, err := stackconfig.LoadFile("../../stacks/Pulumi.dev.yaml")
	if err != nil {
		t.Fatal(err)
	}
	vals[stackconfig.KeyCilium] = strings.Replace(vals[stackconfig.KeyCilium], `"version":"1.19.6"`, fmt.Sprintf("%q:%q", "version", ciliumVersion), 1)
	if !strings.Contains(vals[stackconfig.KeyCilium], ciliumVersion) {
		t.Fatalf("could not set the Cilium version in %s", vals[stackconfig.KeyCilium])
	}
	prev := map[string]any{
		"clusterName": cfg.ClusterName(), "vpcCidr": cfg.Vpc.Cidr, "serviceCidr": cfg.Cluster.ServiceCidr,
		"ipamMode": "cluster-pool", "routingMode": "tunnel", "podCidrMaskSize": 24.0, "kubeProxyReplacement": true,
		"podCidrs": []any{"10.200.0.0/16"}, "kubernetesVersion": cfg.Cluster.Version,
		"ciliumVersion": deployedCilium, "ciliumInitialVersion": deployedCilium,
	}
	res, err := render.Run(cfg.Stack, vals, render.Options{Known: true, Previous: prev})
	if err != nil {
		t.Fatalf("the program refuses Cilium %s after %s: %v", ciliumVersion, deployedCilium, err)
	}
	rep, err := render.NewReport(res)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rep.Resources {
		if r.Type == "kubernetes:helm.sh/v3:Release" && r.Inputs["name"] == release {
			values, _ := r.Inputs["values"].(map[string]any)
			return values, true
		}
	}
	return nil, false
}

func names(objs []object) []string {
	var out []string
	for _, o := range objs {
		md, _ := o["metadata"].(map[string]any)
		out = append(out, fmt.Sprintf("%s/%s", o["kind"], md["name"]))
	}
	sort.Strings(out)
	return out
}

// The pre-flight release of a Cilium minor change renders Cilium's pre-flight check and
// nothing else: no object the main release owns (two Helm releases cannot own one object),
// the target version's image on every node, the CNP validation, and the API server address
// of a kube-proxy-free cluster.
func TestPreflight_RendersOnlyThePreflightCheckOfTheTargetVersion(t *testing.T) {
	for _, tc := range []struct{ target, deployed string }{{"1.19.6", "1.18.14"}, {"1.20.0", "1.19.6"}} {
		t.Run(tc.target, func(t *testing.T) {
			chrt := loadChart(t, filepath.Join(chartsDir, "cilium-"+tc.target+".tgz"))
			values, ok := upgradeValues(t, tc.target, tc.deployed, charts.CiliumPreflightRelease)
			if !ok {
				t.Fatalf("no %s release in an update from Cilium %s to %s", charts.CiliumPreflightRelease, tc.deployed, tc.target)
			}
			objs, err := renderRelease(chrt, charts.CiliumPreflightRelease, namespace, values, "1.35")
			if err != nil {
				t.Fatalf("chart %s refuses the pre-flight values: %v", tc.target, err)
			}
			want := []string{"ClusterRole/cilium-pre-flight", "ClusterRoleBinding/cilium-pre-flight", "DaemonSet/cilium-pre-flight-check",
				"Deployment/cilium-pre-flight-check", "ServiceAccount/cilium-pre-flight"}
			if got := names(objs); !slices.Equal(got, want) {
				t.Errorf("the pre-flight release renders %v, want exactly %v", got, want)
			}
			mainValues, _ := upgradeValues(t, tc.target, tc.deployed, charts.CiliumRelease)
			main, err := renderChart(chrt, mainValues, "1.35")
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range names(objs) {
				if slices.Contains(names(main), n) {
					t.Errorf("%s is rendered by both releases", n)
				}
			}
			ds := find(t, objs, "DaemonSet", "cilium-pre-flight-check")
			if img := fmt.Sprint(lookup(ds, "spec", "template", "spec", "containers")); !strings.Contains(img, "quay.io/cilium/cilium:v"+tc.target) {
				t.Errorf("the pre-flight DaemonSet does not run the target image v%s: %s", tc.target, img)
			}
			deploy := find(t, objs, "Deployment", "cilium-pre-flight-check")
			if cmd := fmt.Sprint(lookup(deploy, "spec", "template", "spec", "containers")); !strings.Contains(cmd, "preflight validate-cnp") {
				t.Errorf("the pre-flight Deployment does not validate the network policies: %s", cmd)
			}
			// The validation reads every policy from the API server, which a kube-proxy-free
			// cluster's pods reach only by its address.
			if host := containerEnv(t, deploy, "cnp-validator", "KUBERNETES_SERVICE_HOST"); host != strings.TrimPrefix(render.FakeEndpoint, "https://") {
				t.Errorf("pre-flight KUBERNETES_SERVICE_HOST = %q, want the cluster endpoint (kube-proxy-free)", host)
			}
		})
	}
	// A patch of the same minor has no pre-flight release.
	if _, ok := upgradeValues(t, "1.19.6", "1.19.5", charts.CiliumPreflightRelease); ok {
		t.Error("a Cilium patch update deploys the pre-flight check")
	}
}

// upgradeCompatibility is the first Cilium's minor. On a new stack it changes nothing (chart
// 1.19.6 renders the same agent configuration with "1.19" as without); after 1.19 to 1.20 it
// keeps 1.19's defaults (chart 1.20.0 gates its new Envoy xDS default on it).
func TestUpgradeCompatibility_KeepsTheFirstCiliumsDefaults(t *testing.T) {
	_, values := programValues(t, "../../stacks/Pulumi.dev.yaml")
	if values["upgradeCompatibility"] != "1.19" {
		t.Fatalf("dev's upgradeCompatibility = %v, want 1.19 (its own minor)", values["upgradeCompatibility"])
	}
	without := deepCopy(values)
	delete(without, "upgradeCompatibility")
	config := func(version string, v map[string]any) map[string]string {
		objs, err := renderChart(loadChart(t, filepath.Join(chartsDir, "cilium-"+version+".tgz")), v, "1.35")
		if err != nil {
			t.Fatal(err)
		}
		return configMapData(t, find(t, objs, "ConfigMap", "cilium-config"))
	}
	if a, b := config("1.19.6", values), config("1.19.6", without); fmt.Sprint(a) != fmt.Sprint(b) {
		t.Errorf("chart 1.19.6: upgradeCompatibility 1.19 changes cilium-config on a new stack:\n%v\n%v", a, b)
	}
	with, fresh := config("1.20.0", values), config("1.20.0", without)
	if _, ok := with["envoy-xds-mode"]; ok || fresh["envoy-xds-mode"] != "ads" {
		t.Errorf("chart 1.20.0: envoy-xds-mode with upgradeCompatibility 1.19 = %q (want unset: 1.19's default), without = %q (want ads)", with["envoy-xds-mode"], fresh["envoy-xds-mode"])
	}
}

// The load balancer controller's CRDs the component applies are the packaged chart's crds/,
// byte for byte: the files' git blob hashes at the release tag equal the chart's files'.
func TestLoadBalancerControllerCRDs_AreTheChartsCRDs(t *testing.T) {
	for _, version := range lbcpolicy.ChartVersions() {
		rel, _ := lbcpolicy.ForChart(version)
		chrt := loadAddonChart(t, charts.LoadBalancerControllerChart, version)
		var inChart []string
		for _, f := range chrt.Files {
			if !strings.HasPrefix(f.Name, "crds/") {
				continue
			}
			inChart = append(inChart, f.Name)
			name := strings.TrimPrefix(f.Name, "crds/")
			i := slices.IndexFunc(rel.CRDs, func(c lbcpolicy.CRDFile) bool { return c.Name == name })
			if i < 0 {
				t.Errorf("chart %s: crds/%s is not applied by the component", version, name)
				continue
			}
			sum := sha1.Sum(append([]byte(fmt.Sprintf("blob %d\x00", len(f.Data))), f.Data...))
			if got := hex.EncodeToString(sum[:]); got != rel.CRDs[i].GitBlob {
				t.Errorf("chart %s: crds/%s has git blob %s, the tag's file %s", version, name, got, rel.CRDs[i].GitBlob)
			}
		}
		if len(inChart) != len(rel.CRDs) {
			t.Errorf("chart %s has %v in crds/, the component applies %d files", version, inChart, len(rel.CRDs))
		}
	}
}
