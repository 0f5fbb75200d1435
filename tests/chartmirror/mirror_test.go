package chartmirror

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"helm.sh/helm/v3/pkg/chart/loader"
	"sigs.k8s.io/yaml"
)

// charts is the test-data directory beside the repository (the published archives).
func charts(t *testing.T) string {
	t.Helper()
	dir := filepath.Join("..", "..", "..", "shared", "charts")
	if _, err := os.Stat(filepath.Join(dir, "cilium-1.19.6.tgz")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI=true: ../shared/charts is missing")
		}
		t.Skip("../shared/charts is missing")
	}
	return dir
}

// client goes through the mirror as Helm does: HTTPS_PROXY and a CA file as the only roots.
func client(t *testing.T, m *Mirror) *http.Client {
	t.Helper()
	pem, err := os.ReadFile(m.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	proxy, err := url.Parse(m.ProxyURL)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(proxy), TLSClientConfig: &tls.Config{RootCAs: pool}}}
}

func get(t *testing.T, c *http.Client, method, u string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, body
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestMirror_ServesAClassicRepositoryAndAnOCIRegistry(t *testing.T) {
	m := Start(t, charts(t), []Repo{
		{URL: "https://example.github.io/charts/", Charts: []string{"metrics-server"}},
		{URL: "oci://registry.example.com/karpenter", Charts: []string{"karpenter", "karpenter-crd"}},
	})
	c := client(t, m)

	t.Run("index.yaml lists the archive, which downloads with its digest", func(t *testing.T) {
		code, _, body := get(t, c, http.MethodGet, "https://example.github.io/charts/index.yaml")
		if code != http.StatusOK {
			t.Fatalf("index.yaml: %d %s", code, body)
		}
		var idx struct {
			APIVersion string `json:"apiVersion"`
			Entries    map[string][]struct {
				Name, Version, Digest string
				URLs                  []string
			}
		}
		if err := yaml.Unmarshal(body, &idx); err != nil {
			t.Fatal(err)
		}
		entries := idx.Entries["metrics-server"]
		if idx.APIVersion != "v1" || len(entries) != 1 || entries[0].Version != "3.13.1" || len(entries[0].URLs) != 1 {
			t.Fatalf("index.yaml: %s", body)
		}
		code, _, tgz := get(t, c, http.MethodGet, entries[0].URLs[0])
		if code != http.StatusOK || sha(tgz) != entries[0].Digest {
			t.Errorf("GET %s: %d, sha256 %s, index digest %s", entries[0].URLs[0], code, sha(tgz), entries[0].Digest)
		}
	})

	t.Run("an OCI chart resolves by tag to a manifest whose blobs download", func(t *testing.T) {
		code, _, tags := get(t, c, http.MethodGet, "https://registry.example.com/v2/karpenter/karpenter/tags/list")
		if code != http.StatusOK || string(tags) != `{"name":"karpenter/karpenter","tags":["1.14.1"]}` {
			t.Errorf("tags/list: %d %s", code, tags)
		}
		code, hdr, _ := get(t, c, http.MethodHead, "https://registry.example.com/v2/karpenter/karpenter/manifests/1.14.1")
		if code != http.StatusOK || hdr.Get("Docker-Content-Digest") == "" {
			t.Fatalf("HEAD manifest: %d %v", code, hdr)
		}
		code, hdr2, body := get(t, c, http.MethodGet, "https://registry.example.com/v2/karpenter/karpenter/manifests/"+hdr.Get("Docker-Content-Digest"))
		if code != http.StatusOK || "sha256:"+sha(body) != hdr.Get("Docker-Content-Digest") || hdr2.Get("Content-Type") != ociManifestType {
			t.Fatalf("GET manifest by digest: %d %v", code, hdr2)
		}
		var man struct {
			Config struct{ MediaType, Digest string }
			Layers []struct{ MediaType, Digest string }
		}
		if err := json.Unmarshal(body, &man); err != nil {
			t.Fatal(err)
		}
		if man.Config.MediaType != helmConfigType || len(man.Layers) != 1 || man.Layers[0].MediaType != helmChartType {
			t.Fatalf("manifest: %s", body)
		}
		for _, d := range []string{man.Config.Digest, man.Layers[0].Digest} {
			code, _, blob := get(t, c, http.MethodGet, "https://registry.example.com/v2/karpenter/karpenter/blobs/"+d)
			if code != http.StatusOK || "sha256:"+sha(blob) != d {
				t.Errorf("blob %s: %d, got sha256:%s", d, code, sha(blob))
			}
		}
		var meta struct{ Name, Version string }
		_, _, config := get(t, c, http.MethodGet, "https://registry.example.com/v2/karpenter/karpenter/blobs/"+man.Config.Digest)
		if err := json.Unmarshal(config, &meta); err != nil || meta.Name != "karpenter" || meta.Version != "1.14.1" {
			t.Errorf("config blob: %s", config)
		}
	})

	t.Run("anything else is not mirrored", func(t *testing.T) {
		for _, u := range []string{"https://example.github.io/charts/cilium-1.19.6.tgz", "https://elsewhere.example.org/index.yaml",
			"https://registry.example.com/v2/karpenter/karpenter/manifests/9.9.9"} {
			if code, _, _ := get(t, c, http.MethodGet, u); code != http.StatusNotFound {
				t.Errorf("GET %s: %d, want 404", u, code)
			}
		}
	})
}

func TestMirror_RefusesARepositoryWithoutItsChart(t *testing.T) {
	archives, err := loadArchives(charts(t))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		repo Repo
	}{
		{"no archive of the chart", Repo{URL: "https://example.com/charts", Charts: []string{"not-a-chart"}}},
		{"not https or oci", Repo{URL: "http://example.com/charts", Charts: []string{"cilium"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := serve(tt.repo, archives); err == nil {
				t.Errorf("serve(%v) succeeded", tt.repo)
			}
		})
	}
}

func TestMirror_ServesAChartFileAtItsURL(t *testing.T) {
	dir := charts(t)
	const u = "https://raw.example.com/lbc/v3.5.0/helm/aws-load-balancer-controller/crds/crds.yaml"
	m := Start(t, dir, nil, File{URL: u, Chart: "aws-load-balancer-controller", Version: "3.5.0", Path: "crds/crds.yaml"})
	ch, err := loader.LoadFile(filepath.Join(dir, "aws-load-balancer-controller-3.5.0.tgz"))
	if err != nil {
		t.Fatal(err)
	}
	var want []byte
	for _, f := range ch.Files {
		if f.Name == "crds/crds.yaml" {
			want = f.Data
		}
	}
	if len(want) == 0 {
		t.Fatal("the packaged chart has no crds/crds.yaml")
	}
	c := client(t, m)
	if code, _, body := get(t, c, http.MethodGet, u); code != http.StatusOK || sha(body) != sha(want) {
		t.Errorf("GET %s: %d, sha256 %s, want the packaged file's %s", u, code, sha(body), sha(want))
	}
	if code, _, _ := get(t, c, http.MethodGet, "https://raw.example.com/lbc/v3.5.0/helm/aws-load-balancer-controller/crds/other.yaml"); code != http.StatusNotFound {
		t.Errorf("a file not listed: %d, want 404", code)
	}
}

func TestMirror_RefusesAFileNotInAnArchive(t *testing.T) {
	archives, err := loadArchives(charts(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []File{
		{URL: "https://example.com/crds.yaml", Chart: "aws-load-balancer-controller", Version: "0.0.1", Path: "crds/crds.yaml"},
		{URL: "https://example.com/crds.yaml", Chart: "aws-load-balancer-controller", Version: "3.5.0", Path: "crds/none.yaml"},
		{URL: "http://example.com/crds.yaml", Chart: "aws-load-balancer-controller", Version: "3.5.0", Path: "crds/crds.yaml"},
	} {
		if _, err := fileOf(f, archives); err == nil {
			t.Errorf("fileOf(%+v) succeeded", f)
		}
	}
}
