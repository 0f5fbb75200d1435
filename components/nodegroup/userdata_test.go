package nodegroup_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/eks-cilium/eks-cilium/components/nodegroup"
	"gopkg.in/yaml.v3"
)

var cluster = nodegroup.ClusterInfo{
	Name:                 "eks-cilium-dev",
	Endpoint:             "https://ABC123.gr7.eu-west-1.eks.amazonaws.com",
	CertificateAuthority: "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==",
	ServiceCidr:          "172.20.0.0/16",
}

const taintFlag = "--register-with-taints=node.cilium.io/agent-not-ready=true:NoExecute"

func TestNodeadmUserData_MatchesGolden(t *testing.T) {
	got := nodegroup.NodeadmUserData(cluster, nodegroup.NodeSettings{
		MaxPods: 110,
		Labels:  map[string]string{"workload": "general", "team": "platform"},
	})
	want := `MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="//eks-cilium//"

--//eks-cilium//
Content-Type: application/node.eks.aws

apiVersion: node.eks.aws/v1alpha1
kind: NodeConfig
spec:
  cluster:
    name: "eks-cilium-dev"
    apiServerEndpoint: "https://ABC123.gr7.eu-west-1.eks.amazonaws.com"
    certificateAuthority: "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg=="
    cidr: "172.20.0.0/16"
  kubelet:
    config:
      maxPods: 110
      kubeReserved:
        memory: "1465Mi"
    flags:
      - "--register-with-taints=node.cilium.io/agent-not-ready=true:NoExecute"
      - "--node-labels=team=platform,workload=general"

--//eks-cilium//--
`
	if got != want {
		t.Errorf("NodeadmUserData:\n--- got\n%s\n--- want\n%s", got, want)
	}
}

func TestNodeadmUserData_IsOneNodeadmPartClosedByTheBoundary(t *testing.T) {
	got := nodegroup.NodeadmUserData(cluster, nodegroup.NodeSettings{MaxPods: 110})
	if !strings.Contains(got, "Content-Type: multipart/mixed; boundary=\"//eks-cilium//\"\n") {
		t.Errorf("no multipart header with the boundary:\n%s", got)
	}
	if n := strings.Count(got, "Content-Type: application/node.eks.aws\n"); n != 1 {
		t.Errorf("%d application/node.eks.aws parts, want exactly 1:\n%s", n, got)
	}
	if !strings.HasSuffix(got, "\n--//eks-cilium//--\n") {
		t.Errorf("user data does not end with the closing boundary:\n%s", got)
	}
	// The part is the NodeConfig verbatim, between the part header and the closing boundary.
	_, part, _ := strings.Cut(got, "Content-Type: application/node.eks.aws\n\n")
	part = strings.TrimSuffix(part, "\n--//eks-cilium//--\n")
	if want := nodegroup.NodeConfig(cluster, nodegroup.NodeSettings{MaxPods: 110}); part != want {
		t.Errorf("MIME part is not the NodeConfig:\n--- part\n%s\n--- NodeConfig\n%s", part, want)
	}
}

// nodeConfig is the part of nodeadm's NodeConfig (node.eks.aws/v1alpha1) this project sets.
type nodeConfig struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Spec       struct {
		Cluster struct {
			Name                 string `yaml:"name"`
			APIServerEndpoint    string `yaml:"apiServerEndpoint"`
			CertificateAuthority string `yaml:"certificateAuthority"`
			CIDR                 string `yaml:"cidr"`
		} `yaml:"cluster"`
		Kubelet struct {
			Config map[string]any `yaml:"config"`
			Flags  []string       `yaml:"flags"`
		} `yaml:"kubelet"`
	} `yaml:"spec"`
}

func TestNodeConfig_ParsesAsNodeadmConfig(t *testing.T) {
	tests := []struct {
		name       string
		settings   nodegroup.NodeSettings
		wantMax    int
		wantLabels string // "" : no --node-labels flag
	}{
		{"no labels", nodegroup.NodeSettings{MaxPods: 110}, 110, ""},
		{"empty labels", nodegroup.NodeSettings{MaxPods: 58, Labels: map[string]string{}}, 58, ""},
		{"one label", nodegroup.NodeSettings{MaxPods: 250, Labels: map[string]string{"workload": "compute"}}, 250, "--node-labels=workload=compute"},
		{"labels sorted by key", nodegroup.NodeSettings{MaxPods: 110, Labels: map[string]string{
			"workload": "general", "eks-cilium/pool": "a", "team": "platform",
		}}, 110, "--node-labels=eks-cilium/pool=a,team=platform,workload=general"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var nc nodeConfig
			text := nodegroup.NodeConfig(cluster, tt.settings)
			dec := yaml.NewDecoder(strings.NewReader(text))
			dec.KnownFields(true)
			if err := dec.Decode(&nc); err != nil {
				t.Fatalf("NodeConfig is not the expected YAML: %v\n%s", err, text)
			}
			if nc.APIVersion != "node.eks.aws/v1alpha1" || nc.Kind != "NodeConfig" {
				t.Errorf("apiVersion/kind = %s/%s", nc.APIVersion, nc.Kind)
			}
			c := nc.Spec.Cluster
			if c.Name != cluster.Name || c.APIServerEndpoint != cluster.Endpoint ||
				c.CertificateAuthority != cluster.CertificateAuthority || c.CIDR != cluster.ServiceCidr {
				t.Errorf("spec.cluster = %+v, want %+v", c, cluster)
			}
			if got, ok := nc.Spec.Kubelet.Config["maxPods"].(int); !ok || got != tt.wantMax {
				t.Errorf("spec.kubelet.config.maxPods = %#v, want int %d", nc.Spec.Kubelet.Config["maxPods"], tt.wantMax)
			}
			reserved, _ := nc.Spec.Kubelet.Config["kubeReserved"].(map[string]any)
			if want := fmt.Sprintf("%dMi", 11*tt.wantMax+255); len(reserved) != 1 || reserved["memory"] != want {
				t.Errorf("spec.kubelet.config.kubeReserved = %#v, want only memory %q (cpu stays nodeadm's)", reserved, want)
			}
			wantFlags := []string{taintFlag}
			if tt.wantLabels != "" {
				wantFlags = append(wantFlags, tt.wantLabels)
			}
			if strings.Join(nc.Spec.Kubelet.Flags, "\n") != strings.Join(wantFlags, "\n") {
				t.Errorf("spec.kubelet.flags = %q, want %q", nc.Spec.Kubelet.Flags, wantFlags)
			}
		})
	}
}

func TestNodeConfig_QuotesValuesSoYAMLCannotMisreadThem(t *testing.T) {
	// A name YAML would otherwise read as a boolean or a number must come back as written.
	odd := cluster
	odd.Name = "yes"
	odd.CertificateAuthority = "0123"
	var nc nodeConfig
	if err := yaml.Unmarshal([]byte(nodegroup.NodeConfig(odd, nodegroup.NodeSettings{MaxPods: 1})), &nc); err != nil {
		t.Fatal(err)
	}
	if nc.Spec.Cluster.Name != "yes" || nc.Spec.Cluster.CertificateAuthority != "0123" {
		t.Errorf("spec.cluster = %+v", nc.Spec.Cluster)
	}
}

func TestBottlerocketUserData_MatchesGolden(t *testing.T) {
	tests := []struct {
		name     string
		cluster  nodegroup.ClusterInfo
		settings nodegroup.NodeSettings
		want     string
	}{
		{
			name:     "with labels",
			cluster:  cluster,
			settings: nodegroup.NodeSettings{MaxPods: 110, Labels: map[string]string{"workload": "general", "team": "platform"}},
			want: `[settings.kubernetes]
cluster-name = "eks-cilium-dev"
api-server = "https://ABC123.gr7.eu-west-1.eks.amazonaws.com"
cluster-certificate = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg=="
cluster-dns-ip = "172.20.0.10"
max-pods = 110

[settings.kubernetes.node-taints]
"node.cilium.io/agent-not-ready" = ["true:NoExecute"]

[settings.kubernetes.node-labels]
"team" = "platform"
"workload" = "general"
`,
		},
		{
			name: "no labels, other service CIDR",
			cluster: nodegroup.ClusterInfo{
				Name: "c", Endpoint: "https://x.eks.amazonaws.com", CertificateAuthority: "Q0E=", ServiceCidr: "10.100.0.0/16",
			},
			settings: nodegroup.NodeSettings{MaxPods: 58},
			want: `[settings.kubernetes]
cluster-name = "c"
api-server = "https://x.eks.amazonaws.com"
cluster-certificate = "Q0E="
cluster-dns-ip = "10.100.0.10"
max-pods = 58

[settings.kubernetes.node-taints]
"node.cilium.io/agent-not-ready" = ["true:NoExecute"]
`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := nodegroup.BottlerocketUserData(tt.cluster, tt.settings)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("BottlerocketUserData:\n--- got\n%s\n--- want\n%s", got, tt.want)
			}
		})
	}
}

func TestBottlerocketUserData_RefusesABadServiceCidr(t *testing.T) {
	bad := cluster
	bad.ServiceCidr = "172.20.0.0"
	if got, err := nodegroup.BottlerocketUserData(bad, nodegroup.NodeSettings{MaxPods: 110}); err == nil {
		t.Errorf("accepted service CIDR %q:\n%s", bad.ServiceCidr, got)
	}
}

func TestClusterDNSIP_IsTheServiceCidrsTenth(t *testing.T) {
	tests := []struct {
		cidr, want string
		wantErr    bool
	}{
		{"172.20.0.0/16", "172.20.0.10", false},
		{"10.100.0.0/16", "10.100.0.10", false},
		{"192.168.128.0/20", "192.168.128.10", false},
		{"172.20.5.7/16", "172.20.0.10", false}, // host bits are masked off first
		{"", "", true},
		{"172.20.0.0", "", true},
		{"not-a-cidr", "", true},
		{"fd00::/108", "", true}, // IPv6 service ranges are not supported
	}
	for _, tt := range tests {
		got, err := nodegroup.ClusterDNSIP(tt.cidr)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ClusterDNSIP(%q) = %q, %v; want %q, error %v", tt.cidr, got, err, tt.want, tt.wantErr)
		}
		if err != nil && !strings.Contains(err.Error(), tt.cidr) {
			t.Errorf("ClusterDNSIP(%q) error does not name the value: %v", tt.cidr, err)
		}
	}
}

func TestIsBottlerocket(t *testing.T) {
	tests := []struct {
		amiType string
		want    bool
	}{
		{"BOTTLEROCKET_x86_64", true},
		{"BOTTLEROCKET_ARM_64", true},
		{"AL2023_x86_64_STANDARD", false},
		{"AL2023_ARM_64_STANDARD", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := nodegroup.IsBottlerocket(tt.amiType); got != tt.want {
			t.Errorf("IsBottlerocket(%q) = %v, want %v", tt.amiType, got, tt.want)
		}
	}
}

func TestUserData_PicksTheFormatOfTheAmiType(t *testing.T) {
	settings := nodegroup.NodeSettings{MaxPods: 110}
	bottlerocket, err := nodegroup.BottlerocketUserData(cluster, settings)
	if err != nil {
		t.Fatal(err)
	}
	nodeadm := nodegroup.NodeadmUserData(cluster, settings)
	tests := []struct {
		amiType, want string
	}{
		{"AL2023_x86_64_STANDARD", nodeadm},
		{"AL2023_ARM_64_STANDARD", nodeadm},
		{"BOTTLEROCKET_x86_64", bottlerocket},
		{"BOTTLEROCKET_ARM_64", bottlerocket},
	}
	for _, tt := range tests {
		got, err := nodegroup.UserData(tt.amiType, cluster, settings)
		if err != nil || got != tt.want {
			t.Errorf("UserData(%s) = %q, %v; want\n%s", tt.amiType, got, err, tt.want)
		}
	}
	for _, amiType := range []string{"AL2_x86_64", "WINDOWS_CORE_2022_x86_64", ""} {
		if got, err := nodegroup.UserData(amiType, cluster, settings); err == nil || !strings.Contains(err.Error(), `"`+amiType+`"`) {
			t.Errorf("UserData(%q) = %q, %v; want an error naming the AMI type", amiType, got, err)
		}
	}
}

func TestBottlerocketUserData_LeavesKubeReservedToMaxPods(t *testing.T) {
	// Bottlerocket's kubelet-config template sizes kube-reserved memory from
	// settings.kubernetes.max-pods only when settings.kubernetes.kube-reserved.memory is unset.
	got, err := nodegroup.BottlerocketUserData(cluster, nodegroup.NodeSettings{MaxPods: 110})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(got, "max-pods = 110\n") {
		t.Errorf("no max-pods setting:\n%s", got)
	}
	if strings.Contains(got, "kube-reserved") {
		t.Errorf("sets kube-reserved, which would stop Bottlerocket sizing it from max-pods:\n%s", got)
	}
}
