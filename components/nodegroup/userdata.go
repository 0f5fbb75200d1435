package nodegroup

import (
	"encoding/base64"
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"
)

// CiliumTaintKey keeps ordinary pods off a node until the Cilium agent runs there; the
// Cilium operator removes it (Cilium docs, "Taint effects").
const (
	CiliumTaintKey    = "node.cilium.io/agent-not-ready"
	CiliumTaintValue  = "true"
	CiliumTaintEffect = "NoExecute"
)

// ClusterInfo is what a node needs to join the cluster without EKS merging its own bootstrap.
type ClusterInfo struct {
	Name                 string
	Endpoint             string // https://...
	CertificateAuthority string // base64 PEM, as in the kubeconfig
	ServiceCidr          string
}

// NodeSettings are the per-group kubelet settings the user data carries.
type NodeSettings struct {
	MaxPods int
	Labels  map[string]string
}

// boundary separates the MIME parts of the AL2023 user data.
const boundary = "//eks-cilium//"

// NodeadmUserData renders the AL2023 user data: a MIME multipart document with one nodeadm
// NodeConfig (content type application/node.eks.aws). Because the launch template also
// sets the AMI, EKS does not merge its own NodeConfig, so maxPods here is what the kubelet
// uses, and the startup taint is present from the node's first registration.
func NodeadmUserData(c ClusterInfo, s NodeSettings) string {
	var b strings.Builder
	b.WriteString("MIME-Version: 1.0\n")
	fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=%q\n\n", boundary)
	fmt.Fprintf(&b, "--%s\n", boundary)
	b.WriteString("Content-Type: application/node.eks.aws\n\n")
	b.WriteString(NodeConfig(c, s))
	fmt.Fprintf(&b, "\n--%s--\n", boundary)
	return b.String()
}

// NodeConfig is the nodeadm NodeConfig YAML (node.eks.aws/v1alpha1).
func NodeConfig(c ClusterInfo, s NodeSettings) string {
	var b strings.Builder
	b.WriteString("apiVersion: node.eks.aws/v1alpha1\n")
	b.WriteString("kind: NodeConfig\n")
	b.WriteString("spec:\n")
	b.WriteString("  cluster:\n")
	fmt.Fprintf(&b, "    name: %s\n", strconv.Quote(c.Name))
	fmt.Fprintf(&b, "    apiServerEndpoint: %s\n", strconv.Quote(c.Endpoint))
	fmt.Fprintf(&b, "    certificateAuthority: %s\n", strconv.Quote(c.CertificateAuthority))
	fmt.Fprintf(&b, "    cidr: %s\n", strconv.Quote(c.ServiceCidr))
	b.WriteString("  kubelet:\n")
	b.WriteString("    config:\n")
	fmt.Fprintf(&b, "      maxPods: %d\n", s.MaxPods)
	// nodeadm would size this from the ENI pod count (reserve.go); cpu and ephemeral-storage
	// stay nodeadm's, computed on the node from its own vCPUs.
	b.WriteString("      kubeReserved:\n")
	fmt.Fprintf(&b, "        memory: %s\n", strconv.Quote(fmt.Sprintf("%dMi", KubeReservedMemoryMiB(s.MaxPods))))
	b.WriteString("    flags:\n")
	fmt.Fprintf(&b, "      - %s\n", strconv.Quote(fmt.Sprintf("--register-with-taints=%s=%s:%s", CiliumTaintKey, CiliumTaintValue, CiliumTaintEffect)))
	if labels := joinLabels(s.Labels); labels != "" {
		fmt.Fprintf(&b, "      - %s\n", strconv.Quote("--node-labels="+labels))
	}
	return b.String()
}

// UserData is the plain-text user data of a node group's launch template: nodeadm's MIME
// document for the AL2023 AMI types, Bottlerocket's TOML settings for the Bottlerocket ones.
// The component base64-encodes it; the render prints it as it is.
func UserData(amiType string, c ClusterInfo, s NodeSettings) (string, error) {
	switch {
	case IsBottlerocket(amiType):
		return BottlerocketUserData(c, s)
	case strings.HasPrefix(amiType, "AL2023_"):
		return NodeadmUserData(c, s), nil
	}
	return "", fmt.Errorf("nodegroup: AmiType %q has no user data format (AL2023_* or BOTTLEROCKET_*)", amiType)
}

// BottlerocketUserData renders Bottlerocket's TOML settings. It sets no kube-reserved memory:
// Bottlerocket sizes it from max-pods itself (reserve.go).
func BottlerocketUserData(c ClusterInfo, s NodeSettings) (string, error) {
	dns, err := ClusterDNSIP(c.ServiceCidr)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString("[settings.kubernetes]\n")
	fmt.Fprintf(&b, "cluster-name = %s\n", strconv.Quote(c.Name))
	fmt.Fprintf(&b, "api-server = %s\n", strconv.Quote(c.Endpoint))
	fmt.Fprintf(&b, "cluster-certificate = %s\n", strconv.Quote(c.CertificateAuthority))
	fmt.Fprintf(&b, "cluster-dns-ip = %s\n", strconv.Quote(dns))
	fmt.Fprintf(&b, "max-pods = %d\n", s.MaxPods)
	b.WriteString("\n[settings.kubernetes.node-taints]\n")
	fmt.Fprintf(&b, "%s = [%s]\n", strconv.Quote(CiliumTaintKey), strconv.Quote(CiliumTaintValue+":"+CiliumTaintEffect))
	if len(s.Labels) > 0 {
		b.WriteString("\n[settings.kubernetes.node-labels]\n")
		for _, k := range sortedKeys(s.Labels) {
			fmt.Fprintf(&b, "%s = %s\n", strconv.Quote(k), strconv.Quote(s.Labels[k]))
		}
	}
	return b.String(), nil
}

// ClusterDNSIP is the kube-dns Service address EKS uses: the service CIDR's .10.
func ClusterDNSIP(serviceCidr string) (string, error) {
	p, err := netip.ParsePrefix(serviceCidr)
	if err != nil || !p.Addr().Is4() {
		return "", fmt.Errorf("service CIDR %q is not an IPv4 prefix", serviceCidr)
	}
	a := p.Masked().Addr().As4()
	a[3] += 10
	return netip.AddrFrom4(a).String(), nil
}

// EncodeUserData is the launch template's base64 user data.
func EncodeUserData(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func joinLabels(labels map[string]string) string {
	parts := make([]string, 0, len(labels))
	for _, k := range sortedKeys(labels) {
		parts = append(parts, k+"="+labels[k])
	}
	return strings.Join(parts, ",")
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
