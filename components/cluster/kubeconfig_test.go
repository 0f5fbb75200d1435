package cluster_test

import (
	"fmt"
	"testing"

	"github.com/eks-cilium/eks-cilium/components/cluster"
)

// kubeconfig is shaped like pulumi-eks's kubeconfigJson.
func kubeconfig(server, ca string) string {
	return fmt.Sprintf(`{"apiVersion":"v1","kind":"Config",`+
		`"clusters":[{"name":"kubernetes","cluster":{"server":%q,"certificate-authority-data":%q}}],`+
		`"contexts":[{"name":"aws","context":{"cluster":"kubernetes","user":"aws"}}],"current-context":"aws",`+
		`"users":[{"name":"aws","user":{"exec":{"apiVersion":"client.authentication.k8s.io/v1beta1","command":"aws","args":["eks","get-token","--cluster-name","c"]}}}]}`,
		server, ca)
}

func TestParseKubeconfig_GivesServerHostAndCA(t *testing.T) {
	tests := []struct {
		name, server, wantHost string
	}{
		// k8sServiceHost must be the bare host: Cilium adds the port from k8sServicePort.
		{"with port", "https://abc.gr7.eu-west-1.eks.amazonaws.com:443", "abc.gr7.eu-west-1.eks.amazonaws.com"},
		{"without port", "https://ABC123.gr7.eu-west-1.eks.amazonaws.com", "ABC123.gr7.eu-west-1.eks.amazonaws.com"},
		{"with a path", "https://abc.yl4.us-east-1.eks.amazonaws.com/", "abc.yl4.us-east-1.eks.amazonaws.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := cluster.ParseKubeconfig(kubeconfig(tt.server, "LS0tQ0E="))
			if err != nil {
				t.Fatal(err)
			}
			want := cluster.KubeconfigInfo{Server: tt.server, Host: tt.wantHost, CertificateAuthority: "LS0tQ0E="}
			if got != want {
				t.Errorf("ParseKubeconfig = %+v, want %+v", got, want)
			}
		})
	}
}

func TestParseKubeconfig_ReadsTheFirstCluster(t *testing.T) {
	two := `{"clusters":[{"cluster":{"server":"https://first.example.com"}},{"cluster":{"server":"https://second.example.com"}}]}`
	got, err := cluster.ParseKubeconfig(two)
	if err != nil || got.Host != "first.example.com" {
		t.Errorf("ParseKubeconfig = %+v, %v; want the first cluster", got, err)
	}
}

func TestParseKubeconfig_RefusesWhatIsNotAClusterKubeconfig(t *testing.T) {
	tests := []struct {
		name, kubeconfig string
	}{
		{"empty", ""},
		{"not JSON", "apiVersion: v1\nkind: Config\n"},
		{"truncated JSON", `{"clusters":[`},
		{"no clusters key", `{"apiVersion":"v1","kind":"Config"}`},
		{"empty clusters", `{"clusters":[]}`},
		{"empty server", kubeconfig("", "LS0tQ0E=")},
		{"server without scheme", kubeconfig("abc.gr7.eu-west-1.eks.amazonaws.com", "LS0tQ0E=")},
		{"server not a URL", kubeconfig("https://%zz", "LS0tQ0E=")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, err := cluster.ParseKubeconfig(tt.kubeconfig); err == nil {
				t.Errorf("ParseKubeconfig(%q) = %+v, want an error", tt.kubeconfig, got)
			}
		})
	}
}
