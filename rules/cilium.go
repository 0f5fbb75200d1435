package rules

import (
	"regexp"
	"strings"

	"github.com/eks-cilium/eks-cilium/stackconfig"
)

var (
	// tunnelProtocols are the chart's tunnelProtocol values (cilium values.yaml).
	tunnelProtocols = []string{"vxlan", "geneve"}
	// encryptionModes: none, or WireGuard; IPsec needs keys this project does not manage.
	encryptionModes = []string{"", "wireguard"}
	// chartVersionRe is an exact chart version (SemVer 2), as `helm install --version` pins it.
	chartVersionRe = regexp.MustCompile(`^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?$`)
)

// CheckCilium checks the Cilium chart fields that are not the pool: an exact chart version,
// the tunnel protocol and the encryption mode. The extra Helm values are checked by
// charts.CheckCiliumExtra (run by the planning pipeline, package plan).
func CheckCilium(cfg stackconfig.Config) (warnings, refusals stackconfig.Problems) {
	c := &collector{}
	ci := cfg.Cilium
	if !chartVersionRe.MatchString(ci.Version) {
		fix := "pin an exact chart version, e.g. " + stackconfig.Defaults().Cilium.Version
		if v, ok := strings.CutPrefix(ci.Version, "v"); ok && chartVersionRe.MatchString(v) {
			fix = "write it without the v: " + v
		}
		c.refuse(keyCiliumVersion, ci.Version, "must be an exact Cilium chart version MAJOR.MINOR.PATCH (no v, no range, no latest)", fix)
	}
	c.oneOf(keyTunnelProtocol, ci.TunnelProtocol, tunnelProtocols)
	c.oneOf(keyEncryption, ci.Encryption, encryptionModes)
	return c.result()
}
