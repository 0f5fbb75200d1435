package rules

import (
	"testing"

	"github.com/eks-cilium/eks-cilium/stackconfig"
)

func TestCheckCilium_Refuses(t *testing.T) {
	checkRefusals(t, []refusal{
		{"misspelt tunnel protocol", func(c *stackconfig.Config) { c.Cilium.TunnelProtocol = "vxaln" }, keyTunnelProtocol, `must be one of "vxlan", "geneve"`, `did you mean "vxlan"?`, 0},
		{"chart version range", func(c *stackconfig.Config) { c.Cilium.Version = "^1.19" }, keyCiliumVersion, "exact Cilium chart version", "e.g. 1.19.6", 0},
		{"chart version with v", func(c *stackconfig.Config) { c.Cilium.Version = "v1.19.6" }, keyCiliumVersion, "exact Cilium chart version", "write it without the v: 1.19.6", 0},
		{"chart version latest", func(c *stackconfig.Config) { c.Cilium.Version = "latest" }, keyCiliumVersion, "no latest", "", 0},
		{"IPsec encryption", func(c *stackconfig.Config) { c.Cilium.Encryption = "ipsec" }, keyEncryption, `must be one of "", "wireguard"`, "", 0},
	})
}
