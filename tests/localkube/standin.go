package localkube

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// PodEndpointCall is one call the API server made to an endpoint served by pods (an admission
// webhook or an aggregated API), which the stand-in answered.
type PodEndpointCall struct {
	Service string // namespace/name of the Service the API server dialled
	Method  string
	Path    string
	// Admission requests: the object's kind, operation and namespace/name.
	Kind, Operation, Object string
	Answer                  string // what the stand-in answered
}

func (c PodEndpointCall) String() string {
	if c.Kind != "" {
		return fmt.Sprintf("%s %s %s: %s %s %s", c.Service, c.Method, c.Path, c.Operation, c.Kind, c.Object) + " -> " + c.Answer
	}
	return fmt.Sprintf("%s %s %s -> %s", c.Service, c.Method, c.Path, c.Answer)
}

// PodEndpointCalls are the calls the stand-in answered so far.
func (c *Cluster) PodEndpointCalls() []PodEndpointCall {
	c.standIn.mu.Lock()
	defer c.standIn.mu.Unlock()
	return append([]PodEndpointCall(nil), c.standIn.calls...)
}

// standIn receives what kube-apiserver sends into the cluster through its "cluster" egress
// selection (an HTTP CONNECT proxy on a unix socket): the API server dials a Service's
// ClusterIP, which nothing here routes, so the stand-in answers as the Service's pods would.
//
// TLS: the API server checks the certificate against the caBundle of the webhook or APIService
// for <service>.<namespace>.svc. The stand-in presents a certificate for that name from a TLS
// Secret of the Service's namespace (charts such as the AWS Load Balancer Controller's
// generate one and put its CA in the caBundle), or one of the harness's CA when none matches
// (enough where the APIService sets insecureSkipTLSVerify, as metrics-server's chart does).
type standIn struct {
	socket string
	ln     net.Listener
	ca     *CA
	client kubernetes.Interface // set once the API server runs

	mu      sync.Mutex
	calls   []PodEndpointCall
	onAdmit []func(PodEndpointCall)
}

// OnAdmission calls f for every admission request the stand-in receives, before it answers;
// f may block, as a slow webhook does (the API server gives up after the webhook's
// timeoutSeconds). It lets a test hold an object's write, e.g. to stop a Helm upgrade midway.
func (c *Cluster) OnAdmission(f func(PodEndpointCall)) {
	c.standIn.mu.Lock()
	defer c.standIn.mu.Unlock()
	c.standIn.onAdmit = append(c.standIn.onAdmit, f)
}

func startStandIn(t testing.TB, ca *CA) (*standIn, error) {
	// A unix socket path is limited to 108 bytes; test temp dirs can be longer.
	dir, err := os.MkdirTemp("", "localkube")
	if err != nil {
		return nil, err
	}
	s := &standIn{socket: filepath.Join(dir, "egress.sock"), ca: ca}
	s.ln, err = net.Listen("unix", s.socket)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	t.Cleanup(func() {
		s.ln.Close()
		os.RemoveAll(dir)
	})
	go func() {
		for {
			conn, err := s.ln.Accept()
			if err != nil {
				return
			}
			go s.serveTunnel(conn)
		}
	}()
	return s, nil
}

// serveTunnel answers one CONNECT: 200 and the stand-in's TLS endpoint when the target is a
// Service's ClusterIP and port, 502 otherwise (the API server then reports the endpoint
// unreachable, as it would for a Service without ready pods).
func (s *standIn) serveTunnel(conn net.Conn) {
	defer conn.Close()
	req, err := http.ReadRequest(bufio.NewReader(conn))
	if err != nil || req.Method != http.MethodConnect {
		return
	}
	svc, err := s.serviceAt(req.Host)
	if err != nil {
		fmt.Fprintf(conn, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: %d\r\n\r\n%s", len(err.Error()), err)
		return
	}
	if _, err := io.WriteString(conn, "HTTP/1.1 200 Connection established\r\n\r\n"); err != nil {
		return
	}
	name := svc.Name + "." + svc.Namespace + ".svc"
	cert, err := s.certificateFor(svc.Namespace, name)
	if err != nil {
		return
	}
	tlsConn := tls.Server(conn, &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"http/1.1"}})
	srv := &http.Server{
		Handler:           http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.answer(svc, w, r) }),
		ReadHeaderTimeout: 10 * time.Second,
	}
	_ = srv.Serve(&oneConnListener{conn: tlsConn})
}

// serviceAt finds the Service whose ClusterIP and port the API server dialled.
func (s *standIn) serviceAt(hostPort string) (*corev1.Service, error) {
	if s.client == nil {
		return nil, fmt.Errorf("the API server is not up yet")
	}
	host, port, err := net.SplitHostPort(hostPort)
	if err != nil {
		return nil, err
	}
	list, err := s.client.CoreV1().Services("").List(context.Background(), metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	for i, svc := range list.Items {
		if svc.Spec.ClusterIP != host {
			continue
		}
		for _, p := range svc.Spec.Ports {
			if fmt.Sprint(p.Port) == port {
				return &list.Items[i], nil
			}
		}
	}
	return nil, fmt.Errorf("no Service at %s", hostPort)
}

// certificateFor is a serving certificate for dnsName: a TLS Secret's of the namespace that
// covers the name, else one the harness's CA signs.
func (s *standIn) certificateFor(namespace, dnsName string) (tls.Certificate, error) {
	secrets, err := s.client.CoreV1().Secrets(namespace).List(context.Background(), metav1.ListOptions{})
	if err == nil {
		for _, sec := range secrets.Items {
			crt, key := sec.Data[corev1.TLSCertKey], sec.Data[corev1.TLSPrivateKeyKey]
			if len(crt) == 0 || len(key) == 0 {
				continue
			}
			cert, err := tls.X509KeyPair(crt, key)
			if err != nil || cert.Leaf == nil || cert.Leaf.VerifyHostname(dnsName) != nil {
				continue
			}
			return cert, nil
		}
	}
	kp, err := s.ca.Issue(dnsName, nil, dnsName)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.X509KeyPair(kp.CertPEM, kp.KeyPEM)
}

// answer plays the Service's pods: an AdmissionReview is allowed unchanged; a discovery
// request of an aggregated API gets an empty resource list; anything else a 404.
func (s *standIn) answer(svc *corev1.Service, w http.ResponseWriter, r *http.Request) {
	call := PodEndpointCall{Service: svc.Namespace + "/" + svc.Name, Method: r.Method, Path: r.URL.Path}
	defer func() {
		s.mu.Lock()
		s.calls = append(s.calls, call)
		s.mu.Unlock()
	}()
	body, _ := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	var review struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Request    *struct {
			UID       string `json:"uid"`
			Kind      struct{ Kind string }
			Operation string `json:"operation"`
			Namespace string `json:"namespace"`
			Name      string `json:"name"`
		} `json:"request"`
	}
	if r.Method == http.MethodPost && json.Unmarshal(body, &review) == nil && review.Kind == "AdmissionReview" && review.Request != nil {
		call.Kind, call.Operation = review.Request.Kind.Kind, review.Request.Operation
		call.Object = strings.TrimPrefix(review.Request.Namespace+"/"+review.Request.Name, "/")
		s.mu.Lock()
		hooks := slices.Clone(s.onAdmit)
		s.mu.Unlock()
		for _, f := range hooks {
			f(call)
		}
		call.Answer = "allowed"
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"apiVersion": review.APIVersion, "kind": "AdmissionReview",
			"response": map[string]any{"uid": review.Request.UID, "allowed": true},
		})
		return
	}
	// /apis/<group>/<version>: the aggregator's availability check and discovery.
	if parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/"); r.Method == http.MethodGet && len(parts) == 3 && parts[0] == "apis" {
		call.Answer = "empty APIResourceList"
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": parts[1] + "/" + parts[2], "resources": []any{},
		})
		return
	}
	call.Answer = "404"
	http.NotFound(w, r)
}

// oneConnListener hands one connection to an http.Server, then reports closed once the
// connection ends.
type oneConnListener struct {
	conn net.Conn
	once sync.Once
	done chan struct{}
	mu   sync.Mutex
}

func (l *oneConnListener) Accept() (net.Conn, error) {
	l.mu.Lock()
	if l.done == nil {
		l.done = make(chan struct{})
	}
	done := l.done
	l.mu.Unlock()
	var c net.Conn
	l.once.Do(func() { c = &closeNotifyConn{Conn: l.conn, done: done} })
	if c != nil {
		return c, nil
	}
	<-done
	return nil, net.ErrClosed
}

func (l *oneConnListener) Close() error { return nil }

func (l *oneConnListener) Addr() net.Addr { return l.conn.LocalAddr() }

type closeNotifyConn struct {
	net.Conn
	done chan struct{}
	once sync.Once
}

func (c *closeNotifyConn) Close() error {
	c.once.Do(func() { close(c.done) })
	return c.Conn.Close()
}
