package chart_test

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/eks-cilium/eks-cilium/charts"
	"github.com/eks-cilium/eks-cilium/render"
	"github.com/eks-cilium/eks-cilium/stackconfig"
)

// fleetExamples are docs/fleet.md's three-Region mesh.
const fleetExamples = "../../examples/fleet/Pulumi.*.yaml"

// TestChart_RendersEveryMeshMemberAsDesigned renders the Cilium chart (1.19.6 and 1.20.0)
// with each example member's values, its peers' as their stack files give them, and reads
// back what Cilium runs with: the cluster's identity in cilium-config, the peers in the
// clustermesh secret and the apiserver's host aliases, the mesh API server's Service as the
// AWS Load Balancer Controller's internal NLB, and every clustermesh certificate signed by the
// mesh's one CA; and the program's own clustermesh-apiserver Service, an internal NLB of the
// AWS Load Balancer Controller, selecting the chart's apiserver pods.
func TestChart_RendersEveryMeshMemberAsDesigned(t *testing.T) {
	paths, err := filepath.Glob(fleetExamples)
	if err != nil || len(paths) != 3 {
		t.Fatalf("want the three example members, found %v (%v)", paths, err)
	}
	for _, path := range paths {
		cfg, values, err := stackconfig.LoadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		peers, notes, err := render.PeerOutputs(filepath.Dir(path), cfg)
		if err != nil || len(notes) > 0 {
			t.Fatalf("%s: peers %v %v", path, notes, err)
		}
		res, err := render.Run(cfg.Stack, values, render.Options{Known: true, Peers: peers})
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		mesh := res.Plan.Mesh
		if mesh == nil || len(mesh.Wiring.Links) != 2 {
			t.Fatalf("%s: want a member linked to both peers, got %+v", path, mesh)
		}
		ca := mesh.Wiring.CA
		vals, err := res.Plan.CiliumValues("0123456789ABCDEF0123456789ABCDEF.gr7.eu-west-1.eks.amazonaws.com")
		if err != nil {
			t.Fatal(err)
		}
		set(vals, charts.MeshInputPaths[charts.PlaceholderCACert], base64.StdEncoding.EncodeToString([]byte(ca.Cert)))
		set(vals, charts.MeshInputPaths[charts.PlaceholderCAKey], base64.StdEncoding.EncodeToString([]byte(ca.Key)))
		sameAsTheRelease(t, path, vals, res)
		for _, version := range chartVersions {
			t.Run(filepath.Base(path)+"/"+version, func(t *testing.T) {
				chrt := loadChart(t, filepath.Join(chartsDir, "cilium-"+version+".tgz"))
				objs, err := renderChart(chrt, vals, cfg.Cluster.Version)
				if err != nil {
					t.Fatalf("chart %s refuses the mesh values: %v", version, err)
				}
				cm := configMapData(t, find(t, objs, "ConfigMap", "cilium-config"))
				if cm["cluster-name"] != cfg.ClusterName() || cm["cluster-id"] != strconv.Itoa(cfg.ClusterMesh.Id) || cm["max-connected-clusters"] != "255" {
					t.Errorf("cilium-config cluster-name %q, cluster-id %q, max-connected-clusters %q", cm["cluster-name"], cm["cluster-id"], cm["max-connected-clusters"])
				}

				// The chart leaves its Service to the program (externallyCreated), which makes
				// one selecting the chart's apiserver pods on their port.
				for _, o := range objs {
					if o["kind"] == "Service" && lookup(o, "metadata", "name") == "clustermesh-apiserver" {
						t.Errorf("the chart renders its own clustermesh-apiserver Service beside the program's")
					}
				}
				svc := charts.ClusterMeshAPIServerService(*res.Plan.CiliumInput("").Mesh)
				dep := find(t, objs, "Deployment", "clustermesh-apiserver")
				podLabels, _ := lookup(dep, "spec", "template", "metadata", "labels").(map[string]any)
				for k, v := range svc.Selector {
					if podLabels[k] != v {
						t.Errorf("the Service selects %s=%s, the apiserver pods are labelled %v", k, v, podLabels)
					}
				}
				if !containerPort(dep, svc.Port) {
					t.Errorf("no container of the apiserver listens on the Service's port %d", svc.Port)
				}
				wantIPs := strings.Join(ipStrings(mesh.Self.APIServerIPs), ", ")
				if svc.Annotations[charts.AnnotationPrivateIPs] != wantIPs || svc.Annotations[charts.AnnotationScheme] != "internal" ||
					svc.Annotations[charts.AnnotationTargetType] != "instance" || svc.LoadBalancerClass != charts.LoadBalancerClassNLB {
					t.Errorf("the apiserver Service is not an internal NLB with instance targets on %s: %+v", wantIPs, svc)
				}
				var peerVpcs []string
				var peerNames []string
				aliases := map[string]string{}
				for _, l := range mesh.Wiring.Links {
					peerVpcs = append(peerVpcs, l.Peer.VpcCIDR.String())
					peerNames = append(peerNames, l.Peer.Name)
					for _, ip := range ipStrings(l.Peer.APIServerIPs) {
						aliases[ip] = l.Peer.Name + ".mesh.cilium.io"
					}
				}
				sort.Strings(peerVpcs)
				sort.Strings(peerNames)
				if !reflect.DeepEqual(svc.SourceRanges, peerVpcs) {
					t.Errorf("loadBalancerSourceRanges %v, want the peers' VPCs %v", svc.SourceRanges, peerVpcs)
				}

				secret := find(t, objs, "Secret", "cilium-clustermesh")
				data, _ := secret["data"].(map[string]any)
				var keys []string
				for k := range data {
					keys = append(keys, k)
				}
				sort.Strings(keys)
				if !reflect.DeepEqual(keys, peerNames) {
					t.Errorf("cilium-clustermesh holds %v, want the peers %v", keys, peerNames)
				}
				for _, name := range peerNames {
					cfgText, _ := base64.StdEncoding.DecodeString(data[name].(string))
					if !strings.Contains(string(cfgText), "clustermesh-apiserver.kube-system.svc:2379") {
						t.Errorf("agents' config for %s does not go through the local KVStoreMesh:\n%s", name, cfgText)
					}
				}
				gotAliases := map[string]string{}
				for _, a := range asList(lookup(dep, "spec", "template", "spec", "hostAliases")) {
					a := a.(map[string]any)
					gotAliases[a["ip"].(string)] = fmt.Sprint(asList(a["hostnames"])...)
				}
				if !reflect.DeepEqual(gotAliases, aliases) {
					t.Errorf("apiserver hostAliases %v, want every peer address as <peer>.mesh.cilium.io: %v", gotAliases, aliases)
				}

				caSecret := find(t, objs, "Secret", "cilium-ca")
				if got := secretData(t, caSecret, "ca.crt"); got != ca.Cert {
					t.Errorf("cilium-ca holds another CA than the mesh's")
				}
				roots := x509.NewCertPool()
				roots.AppendCertsFromPEM([]byte(ca.Cert))
				for name, usage := range map[string]x509.ExtKeyUsage{
					"clustermesh-apiserver-server-cert": x509.ExtKeyUsageServerAuth,
					"clustermesh-apiserver-remote-cert": x509.ExtKeyUsageClientAuth,
				} {
					cert := parseCert(t, secretData(t, find(t, objs, "Secret", name), "tls.crt"))
					if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{usage}}); err != nil {
						t.Errorf("%s is not signed by the mesh CA for %v: %v", name, usage, err)
					}
					if name == "clustermesh-apiserver-server-cert" && !slices.Contains(cert.DNSNames, "*.mesh.cilium.io") {
						t.Errorf("the server certificate does not cover <peer>.mesh.cilium.io: %v", cert.DNSNames)
					}
				}
			})
		}
	}
}

// sameAsTheRelease checks that the values rendered here are the program's: the release the
// program registers carries the same values except what only the deployment fills in.
func sameAsTheRelease(t *testing.T, path string, vals map[string]any, res *render.Result) {
	t.Helper()
	rep, err := render.NewReport(res)
	if err != nil {
		t.Fatal(err)
	}
	release := deepCopy(rep.CiliumValues)
	want := deepCopy(vals)
	for _, m := range []map[string]any{release, want} {
		delete(m, "tls")
		delete(m, "k8sServiceHost")
	}
	if !reflect.DeepEqual(jsonish(t, release), jsonish(t, want)) {
		t.Errorf("%s: the program's release values differ from the plan's:\nrelease %v\nplan    %v", path, release, want)
	}
	if rep.CiliumValues["tls"] != "<secret>" {
		t.Errorf("%s: the release's tls values (the CA) are not secret: %v", path, rep.CiliumValues["tls"])
	}
}

func set(m map[string]any, path []string, v any) {
	for _, k := range path[:len(path)-1] {
		m = m[k].(map[string]any)
	}
	m[path[len(path)-1]] = v
}

func ipStrings[T fmt.Stringer](list []T) []string {
	out := make([]string, len(list))
	for i, a := range list {
		out[i] = a.String()
	}
	return out
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

func secretData(t *testing.T, secret object, key string) string {
	t.Helper()
	data, _ := secret["data"].(map[string]any)
	s, _ := data[key].(string)
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) == 0 {
		t.Fatalf("secret data %s: %v", key, err)
	}
	return string(b)
}

func parseCert(t *testing.T, text string) *x509.Certificate {
	t.Helper()
	block, _ := pem.Decode([]byte(text))
	if block == nil {
		t.Fatalf("not a PEM certificate: %q", text)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

// jsonish passes values through JSON, so int and int64 (the report's numbers) compare equal.
func jsonish(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// containerPort reports whether a container of a workload's pod template declares port.
func containerPort(workload object, port int) bool {
	for _, c := range asList(lookup(workload, "spec", "template", "spec", "containers")) {
		c, _ := c.(map[string]any)
		for _, p := range asList(c["ports"]) {
			p, _ := p.(map[string]any)
			if fmt.Sprint(p["containerPort"]) == strconv.Itoa(port) {
				return true
			}
		}
	}
	return false
}
