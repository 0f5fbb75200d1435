// Package chartmirror answers for public Helm chart repositories, offline, from a directory of
// chart archives: an HTTPS proxy with a CA of its own. A program that honours HTTPS_PROXY and
// SSL_CERT_FILE (Helm does, inside pulumi-kubernetes) then downloads the real charts as if from
// their repositories: a classic repository's index.yaml and archives, and an OCI registry's
// distribution API (tags, manifests, blobs) for oci:// references. It also serves single files
// of a chart at the URL a program fetches them from (File).
package chartmirror

import (
	"bufio"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eks-cilium/eks-cilium/tests/localkube"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"sigs.k8s.io/yaml"
)

// Repo is a chart repository the mirror answers for: an https:// repository URL (as given to
// `helm repo add`) or an oci:// registry path, and the charts it holds.
type Repo struct {
	URL    string
	Charts []string
}

// File is one file of a chart archive served at an https:// URL: what a program fetches itself
// instead of through Helm (the load balancer controller's crds/ files at its release tag).
type File struct {
	URL            string
	Chart, Version string // the archive the file is taken from
	Path           string // the file's path inside the chart, e.g. crds/crds.yaml
}

// Mirror is a running mirror.
type Mirror struct {
	// ProxyURL is the proxy's address, for HTTPS_PROXY.
	ProxyURL string
	// CAFile is the PEM file of the CA that signs the mirror's certificates, for SSL_CERT_FILE.
	CAFile string

	ca    *localkube.CA
	repos []*served
	files map[string][]byte // https://host/path -> content
	mu    sync.Mutex
	certs map[string]*tls.Certificate
	log   []string
}

// served is one repository with its charts loaded.
type served struct {
	host, path string // https://host/path, or oci://host/path
	oci        bool
	charts     []archive
	index      []byte // index.yaml of a classic repository
}

type archive struct {
	meta   *chart.Metadata
	data   []byte
	digest string            // sha256:<hex> of data
	config []byte            // the OCI config blob: the chart's metadata as JSON
	files  map[string][]byte // the chart's files by path (templates excepted)
}

// Start serves repos and files from the chart archives (*.tgz) in dir until the test ends. Every
// chart a repository lists, and every file, must be in an archive in dir.
func Start(t testing.TB, dir string, repos []Repo, files ...File) *Mirror {
	t.Helper()
	ca, err := localkube.NewCA("chartmirror")
	if err != nil {
		t.Fatal(err)
	}
	m := &Mirror{ca: ca, certs: map[string]*tls.Certificate{}, files: map[string][]byte{}, CAFile: filepath.Join(t.TempDir(), "chartmirror-ca.pem")}
	if err := os.WriteFile(m.CAFile, ca.CertPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	archives, err := loadArchives(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range repos {
		s, err := serve(r, archives)
		if err != nil {
			t.Fatal(err)
		}
		m.repos = append(m.repos, s)
	}
	for _, f := range files {
		data, err := fileOf(f, archives)
		if err != nil {
			t.Fatal(err)
		}
		m.files[f.URL] = data
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	m.ProxyURL = "http://" + ln.Addr().String()
	srv := &http.Server{Handler: http.HandlerFunc(m.proxy), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })
	return m
}

// Env is the environment that sends a program's HTTPS through the mirror. Loopback stays
// direct (the API server is there).
func (m *Mirror) Env() map[string]string {
	return map[string]string{
		"HTTPS_PROXY":   m.ProxyURL,
		"https_proxy":   m.ProxyURL,
		"SSL_CERT_FILE": m.CAFile,
		"NO_PROXY":      "127.0.0.1,localhost",
		"no_proxy":      "127.0.0.1,localhost",
	}
}

// Requests are the requests the mirror answered, "STATUS METHOD https://host/path".
func (m *Mirror) Requests() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.log...)
}

func loadArchives(dir string) ([]archive, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.tgz"))
	if err != nil {
		return nil, err
	}
	var out []archive
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		ch, err := loader.LoadFile(p)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		config, err := json.Marshal(ch.Metadata)
		if err != nil {
			return nil, err
		}
		files := map[string][]byte{}
		for _, f := range ch.Files {
			files[f.Name] = f.Data
		}
		out = append(out, archive{meta: ch.Metadata, data: data, digest: digest(data), config: config, files: files})
	}
	return out, nil
}

// fileOf finds a File's content in the archives.
func fileOf(f File, archives []archive) ([]byte, error) {
	if u, err := url.Parse(f.URL); err != nil || u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("file %q: want an https:// URL", f.URL)
	}
	for _, a := range archives {
		if a.meta.Name == f.Chart && a.meta.Version == f.Version {
			if data, ok := a.files[f.Path]; ok {
				return data, nil
			}
			return nil, fmt.Errorf("file %s: chart %s %s has no %s", f.URL, f.Chart, f.Version, f.Path)
		}
	}
	return nil, fmt.Errorf("file %s: no archive of chart %s %s", f.URL, f.Chart, f.Version)
}

func digest(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

func serve(r Repo, archives []archive) (*served, error) {
	u, err := url.Parse(r.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "oci") || u.Host == "" {
		return nil, fmt.Errorf("chart repository %q: want an https:// or oci:// URL", r.URL)
	}
	s := &served{host: u.Host, path: strings.TrimSuffix(u.Path, "/"), oci: u.Scheme == "oci"}
	for _, name := range r.Charts {
		found := false
		for _, a := range archives {
			if a.meta.Name == name {
				s.charts = append(s.charts, a)
				found = true
			}
		}
		if !found {
			return nil, fmt.Errorf("chart repository %s: no archive of chart %s", r.URL, name)
		}
	}
	if !s.oci {
		if s.index, err = s.indexFile(); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// indexEntry is one chart version in a repository's index.yaml: the chart's metadata and
// where to download it (helm.sh/helm/v3 pkg/repo ChartVersion).
type indexEntry struct {
	*chart.Metadata
	URLs    []string  `json:"urls"`
	Created time.Time `json:"created"`
	Digest  string    `json:"digest"`
}

// indexFile is the repository's index.yaml (https://helm.sh/docs/topics/chart_repository/#the-index-file).
func (s *served) indexFile() ([]byte, error) {
	entries := map[string][]indexEntry{}
	base := "https://" + s.host + s.path
	for _, a := range s.charts {
		entries[a.meta.Name] = append(entries[a.meta.Name], indexEntry{
			Metadata: a.meta,
			URLs:     []string{base + "/" + a.meta.Name + "-" + a.meta.Version + ".tgz"},
			Created:  time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
			Digest:   strings.TrimPrefix(a.digest, "sha256:"),
		})
	}
	return yaml.Marshal(map[string]any{"apiVersion": "v1", "entries": entries, "generated": time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
}

// proxy handles CONNECT: it terminates TLS for the requested host with a certificate of its
// CA and answers the requests inside the tunnel. Plain-HTTP proxying is refused.
func (m *Mirror) proxy(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodConnect {
		http.Error(w, "chartmirror: only CONNECT", http.StatusMethodNotAllowed)
		return
	}
	host, _, err := net.SplitHostPort(r.Host)
	if err != nil {
		host = r.Host
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		http.Error(w, "no hijacking", http.StatusInternalServerError)
		return
	}
	conn, buf, err := hj.Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	if _, err := conn.Write([]byte("HTTP/1.1 200 Connection established\r\n\r\n")); err != nil {
		return
	}
	cert, err := m.certificate(host)
	if err != nil {
		return
	}
	tlsConn := tls.Server(&bufferedConn{Conn: conn, r: buf.Reader}, &tls.Config{Certificates: []tls.Certificate{*cert}, NextProtos: []string{"http/1.1"}})
	if err := tlsConn.Handshake(); err != nil {
		return
	}
	br := bufio.NewReader(tlsConn)
	for {
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		req.URL.Scheme, req.URL.Host = "https", host
		resp := &responseBuffer{header: http.Header{}}
		m.answer(host, resp, req)
		req.Body.Close()
		if err := resp.write(tlsConn, req); err != nil || req.Close {
			return
		}
	}
}

// certificate is the mirror's certificate for host, made once.
func (m *Mirror) certificate(host string) (*tls.Certificate, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if c, ok := m.certs[host]; ok {
		return c, nil
	}
	kp, err := m.ca.Issue(host, nil, host)
	if err != nil {
		return nil, err
	}
	c, err := tls.X509KeyPair(kp.CertPEM, kp.KeyPEM)
	if err != nil {
		return nil, err
	}
	m.certs[host] = &c
	return &c, nil
}

func (m *Mirror) answer(host string, w *responseBuffer, r *http.Request) {
	defer func() {
		m.mu.Lock()
		m.log = append(m.log, fmt.Sprintf("%d %s %s", w.status(), r.Method, r.URL.String()))
		m.mu.Unlock()
	}()
	if data, ok := m.files["https://"+host+r.URL.Path]; ok && r.Method == http.MethodGet {
		w.header.Set("Content-Type", "text/plain; charset=utf-8")
		w.body = data
		return
	}
	for _, s := range m.repos {
		if s.host != host {
			continue
		}
		if s.oci {
			if s.answerOCI(w, r) {
				return
			}
			continue
		}
		rest, ok := strings.CutPrefix(r.URL.Path, s.path+"/")
		if !ok {
			continue
		}
		if rest == "index.yaml" {
			w.header.Set("Content-Type", "application/x-yaml")
			w.body = s.index
			return
		}
		for _, a := range s.charts {
			if rest == a.meta.Name+"-"+a.meta.Version+".tgz" {
				w.header.Set("Content-Type", "application/gzip")
				w.body = a.data
				return
			}
		}
	}
	w.code = http.StatusNotFound
	w.body = []byte("chartmirror: not mirrored\n")
}

// OCI distribution API (https://github.com/opencontainers/distribution-spec/blob/main/spec.md)
// with Helm's media types (https://helm.sh/docs/topics/registries/).
const (
	ociManifestType = "application/vnd.oci.image.manifest.v1+json"
	helmConfigType  = "application/vnd.cncf.helm.config.v1+json"
	helmChartType   = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
)

// answerOCI answers /v2/ requests for the registry's charts; false when the path is not one.
func (s *served) answerOCI(w *responseBuffer, r *http.Request) bool {
	if r.URL.Path == "/v2/" || r.URL.Path == "/v2" {
		w.header.Set("Content-Type", "application/json")
		w.body = []byte("{}")
		return true
	}
	for _, name := range s.chartNames() {
		prefix := "/v2" + s.path + "/" + name + "/"
		rest, ok := strings.CutPrefix(r.URL.Path, prefix)
		if !ok {
			continue
		}
		versions := s.versions(name)
		switch {
		case rest == "tags/list":
			tags := make([]string, 0, len(versions))
			for v := range versions {
				tags = append(tags, v)
			}
			sort.Strings(tags)
			body, _ := json.Marshal(map[string]any{"name": strings.TrimPrefix(s.path, "/") + "/" + name, "tags": tags})
			w.header.Set("Content-Type", "application/json")
			w.body = body
			return true
		case strings.HasPrefix(rest, "manifests/"):
			ref := strings.TrimPrefix(rest, "manifests/")
			for v, a := range versions {
				manifest := a.manifest()
				if ref == v || ref == digest(manifest) {
					w.header.Set("Content-Type", ociManifestType)
					w.header.Set("Docker-Content-Digest", digest(manifest))
					w.body = manifest
					return true
				}
			}
		case strings.HasPrefix(rest, "blobs/"):
			ref := strings.TrimPrefix(rest, "blobs/")
			for _, a := range versions {
				for _, blob := range [][]byte{a.config, a.data} {
					if ref == digest(blob) {
						w.header.Set("Content-Type", "application/octet-stream")
						w.header.Set("Docker-Content-Digest", ref)
						w.body = blob
						return true
					}
				}
			}
		}
	}
	return false
}

func (s *served) chartNames() []string {
	seen := map[string]bool{}
	var out []string
	for _, a := range s.charts {
		if !seen[a.meta.Name] {
			seen[a.meta.Name] = true
			out = append(out, a.meta.Name)
		}
	}
	return out
}

func (s *served) versions(name string) map[string]archive {
	out := map[string]archive{}
	for _, a := range s.charts {
		if a.meta.Name == name {
			out[a.meta.Version] = a
		}
	}
	return out
}

// manifest is the OCI image manifest Helm pushes for a chart: its metadata as the config, the
// archive as the one layer.
func (a archive) manifest() []byte {
	b, _ := json.Marshal(map[string]any{
		"schemaVersion": 2,
		"mediaType":     ociManifestType,
		"config":        map[string]any{"mediaType": helmConfigType, "digest": digest(a.config), "size": len(a.config)},
		"layers":        []any{map[string]any{"mediaType": helmChartType, "digest": a.digest, "size": len(a.data)}},
	})
	return b
}

// responseBuffer collects one response inside the tunnel.
type responseBuffer struct {
	code   int
	header http.Header
	body   []byte
}

func (b *responseBuffer) status() int {
	if b.code == 0 {
		return http.StatusOK
	}
	return b.code
}

func (b *responseBuffer) write(conn net.Conn, req *http.Request) error {
	resp := &http.Response{
		StatusCode: b.status(), ProtoMajor: 1, ProtoMinor: 1, Header: b.header, Request: req,
		ContentLength: int64(len(b.body)),
	}
	if req.Method != http.MethodHead {
		resp.Body = nopCloser{strings.NewReader(string(b.body))}
	}
	return resp.Write(conn)
}

type nopCloser struct{ *strings.Reader }

func (nopCloser) Close() error { return nil }

// bufferedConn reads first what the proxy's reader already buffered.
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *bufferedConn) Read(p []byte) (int, error) { return c.r.Read(p) }
