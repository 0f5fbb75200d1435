package fleet

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"
)

// The stack outputs a member exports for its peers (program.Outputs). OutputMesh is a plain
// object; OutputCA holds the CA's private key and is a secret output, which a StackReference
// hands on as a secret.
const (
	OutputMesh = "clusterMesh"
	OutputCA   = "clusterMeshCa"
)

// Fields of the OutputMesh object.
const (
	fieldStack, fieldName, fieldRegion, fieldID = "stack", "name", "region", "id"
	fieldPeers, fieldMax, fieldConnectivity     = "peers", "maxConnectedClusters", "connectivity"
	fieldTGW, fieldVpcCidr, fieldServiceCidr    = "transitGatewayId", "vpcCidr", "serviceCidr"
	fieldPodCidrs, fieldTunnel, fieldEncryption = "podCidrs", "tunnelProtocol", "encryption"
	fieldVersion, fieldLBC, fieldMTU            = "ciliumVersion", "loadBalancerController", "mtu"
	fieldAPIServer, fieldIPs, fieldPort         = "apiServer", "ips", "port"
	// FieldVpcID, FieldPeerings and FieldCACert are filled in by the program from resources
	// (the VPC's and the peering connections' IDs) and the CA it deploys with.
	FieldVpcID    = "vpcId"
	FieldPeerings = "peerings"
	FieldCACert   = "caCert"
	// FieldPending is what the member could not wire yet (Wiring.Pending): a fleet run updates
	// it again once the peers it waits for are updated.
	FieldPending = "pending"
)

// Outputs is the OutputMesh object of a member without what only the deployment knows
// (FieldVpcID, FieldPeerings, FieldCACert): the values its peers read and check.
func Outputs(m Member) map[string]any {
	pods := make([]any, len(m.PodCIDRs))
	for i, p := range m.PodCIDRs {
		pods[i] = p.String()
	}
	ips := make([]any, len(m.APIServerIPs))
	for i, a := range m.APIServerIPs {
		ips[i] = a.String()
	}
	peers := make([]any, len(m.Peers))
	for i, p := range m.Peers {
		peers[i] = p
	}
	return map[string]any{
		fieldStack: m.Stack, fieldName: m.Name, fieldRegion: m.Region, fieldID: m.ID,
		fieldPeers: peers, fieldMax: m.MaxConnectedClusters, fieldConnectivity: m.Connectivity,
		fieldTGW: m.TransitGatewayID, fieldVpcCidr: m.VpcCIDR.String(), fieldServiceCidr: m.ServiceCIDR.String(),
		fieldPodCidrs: pods, fieldTunnel: m.TunnelProtocol, fieldEncryption: m.Encryption,
		fieldVersion: m.CiliumVersion, fieldLBC: m.LoadBalancerController, fieldMTU: m.MTU,
		fieldAPIServer: map[string]any{fieldIPs: ips, fieldPort: APIServerPort},
	}
}

// FromOutputs reads a peer's OutputMesh output, as a StackReference returns it (numbers as
// float64). ok is false when the stack has no such output: not deployed yet, or deployed
// before it joined the mesh. Outputs of the wrong shape are an error naming every bad field:
// the checks must not pass on data they cannot read.
func FromOutputs(stack string, v any) (m Member, ok bool, err error) {
	if v == nil {
		return Member{}, false, nil
	}
	obj, isMap := v.(map[string]any)
	if !isMap {
		return Member{}, false, fmt.Errorf("stack %s: output %s is %T, not an object", stack, OutputMesh, v)
	}
	r := reader{obj: obj}
	m = Member{
		Source: "stack " + stack + " (deployed)", Stack: stack, Deployed: true,
		Name: r.str(fieldName), Region: r.str(fieldRegion), ID: r.integer(fieldID, obj),
		Peers: r.strings(fieldPeers, obj), MaxConnectedClusters: r.integer(fieldMax, obj),
		Connectivity: r.str(fieldConnectivity), TransitGatewayID: r.optStr(fieldTGW),
		VpcCIDR: r.prefix(fieldVpcCidr, obj), ServiceCIDR: r.prefix(fieldServiceCidr, obj),
		TunnelProtocol: r.str(fieldTunnel), Encryption: r.optStr(fieldEncryption),
		CiliumVersion: r.str(fieldVersion), LoadBalancerController: r.boolean(fieldLBC),
		MTU: r.integer(fieldMTU, obj), CACert: r.optStr(FieldCACert), VpcID: r.optStr(FieldVpcID),
	}
	for i, s := range r.strings(fieldPodCidrs, obj) {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			r.bad = append(r.bad, fmt.Sprintf("%s[%d] (%q)", fieldPodCidrs, i, s))
			continue
		}
		m.PodCIDRs = append(m.PodCIDRs, p)
	}
	if api, isObj := obj[fieldAPIServer].(map[string]any); isObj {
		for i, s := range r.strings(fieldIPs, api) {
			a, err := netip.ParseAddr(s)
			if err != nil {
				r.bad = append(r.bad, fmt.Sprintf("%s.%s[%d] (%q)", fieldAPIServer, fieldIPs, i, s))
				continue
			}
			m.APIServerIPs = append(m.APIServerIPs, a)
		}
	} else {
		r.bad = append(r.bad, fieldAPIServer)
	}
	if peerings, isObj := obj[FieldPeerings].(map[string]any); isObj {
		m.Peerings = map[string]string{}
		for k, v := range peerings {
			if s, isStr := v.(string); isStr && s != "" {
				m.Peerings[k] = s
			}
		}
	}
	if len(r.bad) > 0 {
		sort.Strings(r.bad)
		return Member{}, false, fmt.Errorf("stack %s: output %s is not an eks-cilium mesh member's: missing or malformed %s", stack, OutputMesh, strings.Join(r.bad, ", "))
	}
	return m, true, nil
}

// reader reads fields of an output object, collecting the bad ones.
type reader struct {
	obj map[string]any
	bad []string
}

func (r *reader) str(k string) string {
	s, ok := r.obj[k].(string)
	if !ok || s == "" {
		r.bad = append(r.bad, k)
	}
	return s
}

func (r *reader) optStr(k string) string {
	s, _ := r.obj[k].(string)
	return s
}

func (r *reader) boolean(k string) bool {
	b, ok := r.obj[k].(bool)
	if !ok {
		r.bad = append(r.bad, k)
	}
	return b
}

func (r *reader) integer(k string, in map[string]any) int {
	switch n := in[k].(type) {
	case float64:
		if n == float64(int(n)) {
			return int(n)
		}
	case int:
		return n
	}
	r.bad = append(r.bad, k)
	return 0
}

func (r *reader) strings(k string, in map[string]any) []string {
	list, ok := in[k].([]any)
	if !ok {
		r.bad = append(r.bad, k)
		return nil
	}
	out := make([]string, 0, len(list))
	for i, e := range list {
		s, ok := e.(string)
		if !ok {
			r.bad = append(r.bad, fmt.Sprintf("%s[%d]", k, i))
			continue
		}
		out = append(out, s)
	}
	return out
}

func (r *reader) prefix(k string, in map[string]any) netip.Prefix {
	s, _ := in[k].(string)
	p, err := netip.ParsePrefix(s)
	if err != nil {
		r.bad = append(r.bad, k)
	}
	return p
}
