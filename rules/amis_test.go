package rules

import (
	"strings"
	"testing"

	"github.com/eks-cilium/eks-cilium/stackconfig"
)

func TestAmiParameter_IsTheSSMPathOfEachAMIType(t *testing.T) {
	tests := []struct {
		amiType, minor, release, want string
	}{
		{"AL2023_x86_64_STANDARD", "1.35", "", "/aws/service/eks/optimized-ami/1.35/amazon-linux-2023/x86_64/standard/recommended/image_id"},
		{"AL2023_ARM_64_STANDARD", "1.35", "", "/aws/service/eks/optimized-ami/1.35/amazon-linux-2023/arm64/standard/recommended/image_id"},
		{"BOTTLEROCKET_x86_64", "1.35", "", "/aws/service/bottlerocket/aws-k8s-1.35/x86_64/latest/image_id"},
		{"BOTTLEROCKET_ARM_64", "1.35", "", "/aws/service/bottlerocket/aws-k8s-1.35/arm64/latest/image_id"},
		// The example path, and Karpenter's resolvePath for al2023@v20260512.
		{"AL2023_x86_64_STANDARD", "1.35", "v20260512", "/aws/service/eks/optimized-ami/1.35/amazon-linux-2023/x86_64/standard/amazon-eks-node-al2023-x86_64-standard-1.35-v20260512/image_id"},
		{"AL2023_ARM_64_STANDARD", "1.34", "v20260714", "/aws/service/eks/optimized-ami/1.34/amazon-linux-2023/arm64/standard/amazon-eks-node-al2023-arm64-standard-1.34-v20260714/image_id"},
		// Bottlerocket's SSM path has the version without its v.
		{"BOTTLEROCKET_x86_64", "1.35", "v1.38.0", "/aws/service/bottlerocket/aws-k8s-1.35/x86_64/1.38.0/image_id"},
		{"BOTTLEROCKET_ARM_64", "1.35", "1.38.0", "/aws/service/bottlerocket/aws-k8s-1.35/arm64/1.38.0/image_id"},
	}
	for _, tt := range tests {
		got, err := AmiParameter(tt.amiType, tt.minor, tt.release)
		if err != nil || got != tt.want {
			t.Errorf("AmiParameter(%s, %s, %q) = %q, %v; want %q", tt.amiType, tt.minor, tt.release, got, err, tt.want)
		}
	}
}

func TestAmiParameter_RefusesUnknownAmiTypes(t *testing.T) {
	for _, amiType := range []string{"AL2_x86_64", "WINDOWS_CORE_2022_x86_64", "", "al2023_x86_64_standard"} {
		got, err := AmiParameter(amiType, "1.35", "")
		if err == nil {
			t.Errorf("AmiParameter(%q) = %q, want an error", amiType, got)
			continue
		}
		if !strings.Contains(err.Error(), `"`+amiType+`"`) {
			t.Errorf("AmiParameter(%q) error does not name the AMI type: %v", amiType, err)
		}
	}
}

func TestCheckNodeGroupAMIs_Refuses(t *testing.T) {
	checkRefusals(t, []refusal{
		{"latest", ng0(func(g *stackconfig.NodeGroupConfig) { g.AmiVersion = "latest" }), "eks-cilium:nodeGroups[0].amiVersion", "must be a release", "v20260714", 0},
		{"no v", ng0(func(g *stackconfig.NodeGroupConfig) { g.AmiVersion = "20260714" }), "eks-cilium:nodeGroups[0].amiVersion", "vYYYYMMDD", "", 0},
		{"Bottlerocket form on AL2023", ng0(func(g *stackconfig.NodeGroupConfig) { g.AmiVersion = "v1.38.0" }), "eks-cilium:nodeGroups[0].amiVersion", "vYYYYMMDD", "", 0},
		{"AL2023 release on Bottlerocket", ng0(func(g *stackconfig.NodeGroupConfig) {
			g.AmiType, g.AmiVersion = "BOTTLEROCKET_x86_64", "v20260714"
		}), "eks-cilium:nodeGroups[0].amiVersion", "Bottlerocket release", "", 0},
		{"abandoned release", ng0(func(g *stackconfig.NodeGroupConfig) { g.AmiVersion = "v20260311" }), "eks-cilium:nodeGroups[0].amiVersion", "abandoned", "v20260714", 0},
	})
	// v20260505 built 1.30 to 1.35 only (1.29 has left EKS support, so the rule is called
	// directly: Check leaves version rules out for a refused version).
	cfg := validConfig()
	cfg.Cluster.Version, cfg.NodeGroups[0].AmiVersion = "1.29", "v20260505"
	_, r := CheckNodeGroupAMIs(cfg)
	if len(r) != 1 || !strings.Contains(r[0].Rule, "has no AL2023 image for Kubernetes 1.29") || !strings.Contains(r[0].Fix, "v20260318") {
		t.Errorf("v20260505 on 1.29: %v", r)
	}
}

func TestCheckNodeGroupAMIs_Warns(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*stackconfig.NodeGroupConfig)
		rule   string
		fix    string
	}{
		{"unpinned", func(g *stackconfig.NodeGroupConfig) { g.AmiVersion = "" }, "rolls every node", "amiVersion: v20260714"},
		{"unpinned Bottlerocket", func(g *stackconfig.NodeGroupConfig) { g.AmiType, g.AmiVersion = "BOTTLEROCKET_x86_64", "" }, "rolls every node", "aws-k8s-1.35"},
		{"newer than the table", func(g *stackconfig.NodeGroupConfig) { g.AmiVersion = "v20261201" }, "newer than", "aws ssm get-parameter --name /aws/service/eks/optimized-ami/1.35/amazon-linux-2023/x86_64/standard/amazon-eks-node-al2023-x86_64-standard-1.35-v20261201/image_id"},
		{"not in the CHANGELOG", func(g *stackconfig.NodeGroupConfig) { g.AmiVersion = "v20260512" }, "not among", "aws ssm get-parameter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := validConfig()
			tt.mutate(&cfg.NodeGroups[0])
			w, r := CheckNodeGroupAMIs(cfg)
			if len(r) != 0 || len(w) != 1 {
				t.Fatalf("warnings %v, refusals %v; want one warning", w, r)
			}
			if w[0].Key != "eks-cilium:nodeGroups[0].amiVersion" || !strings.Contains(w[0].Rule, tt.rule) || !strings.Contains(w[0].Fix, tt.fix) {
				t.Errorf("warning %+v; want the key, %q in the rule and %q in the fix", w[0], tt.rule, tt.fix)
			}
		})
	}
}

func TestCheckNodeGroupAMIs_AcceptsPins(t *testing.T) {
	for name, mutate := range map[string]func(*stackconfig.NodeGroupConfig){
		"AL2023 release": func(g *stackconfig.NodeGroupConfig) { g.AmiVersion = "v20260714" },
		"AL2023 ARM release": func(g *stackconfig.NodeGroupConfig) {
			g.AmiType, g.InstanceTypes, g.AmiVersion = "AL2023_ARM_64_STANDARD", []string{"m6g.large"}, "v20260625"
		},
		"Bottlerocket with v":      func(g *stackconfig.NodeGroupConfig) { g.AmiType, g.AmiVersion = "BOTTLEROCKET_x86_64", "v1.38.0" },
		"Bottlerocket without v":   func(g *stackconfig.NodeGroupConfig) { g.AmiType, g.AmiVersion = "BOTTLEROCKET_x86_64", "1.38.0" },
		"older release with 1.35":  func(g *stackconfig.NodeGroupConfig) { g.AmiVersion = "v20260505" },
		"first release with 1.35 ": func(g *stackconfig.NodeGroupConfig) { g.AmiVersion = "v20260129" },
	} {
		t.Run(name, func(t *testing.T) {
			cfg := validConfig()
			mutate(&cfg.NodeGroups[0])
			if w, r := Check(cfg, today); len(w)+len(r) != 0 {
				t.Errorf("warnings %v, refusals %v", w, r)
			}
		})
	}
}
