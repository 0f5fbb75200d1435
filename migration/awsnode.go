package migration

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// The aws-node environment variables the migration sets, both comma-separated IPv4 CIDR
// lists (amazon-vpc-cni-k8s v1.23.1 README.md L259-266 and L663-670; both are properties of
// the vpc-cni add-on's configuration schema, `aws eks describe-addon-configuration`).
const (
	// ExcludeSNATEnv keeps aws-node from masquerading traffic to the listed CIDRs: a pod on a
	// legacy node reaches a pod in Cilium's pool with its own address, so replies come back
	// ("an iptables rule and off-VPC IP rule" per CIDR, README L265; pkg/networkutils/
	// network.go buildIptablesSNATRules puts each one in AWS-SNAT-CHAIN-0 as a RETURN).
	ExcludeSNATEnv = "AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS"
	// ExternalServiceEnv routes traffic to the listed CIDRs through the main routing table,
	// where Cilium's cilium_host routes to the pool live. Without it a pod on a legacy node's
	// secondary ENI looks the pool up in its ENI's table (ip rule "from <pod>" at priority
	// 1536) and sends it to the VPC, which has no route to the overlay: the rule this adds has
	// priority 1535 (pkg/networkutils/network.go L74-77, UpdateExternalServiceIpRules).
	ExternalServiceEnv = "AWS_EXTERNAL_SERVICE_CIDRS"
)

// AwsNodeAffinity keeps aws-node off nodes carrying the migration label. The DaemonSet's own
// terms are repeated: the add-on renders `affinity` with toYaml, so a value replaces the whole
// default (amazon-vpc-cni-k8s v1.23.1 charts/aws-vpc-cni templates/daemonset.yaml L214-217,
// values.yaml L204-223: Linux, amd64 or arm64, not Fargate, hybrid or Auto Mode nodes).
func AwsNodeAffinity() map[string]any {
	expr := func(key, op string, values ...string) map[string]any {
		return map[string]any{"key": key, "operator": op, "values": values}
	}
	return map[string]any{"nodeAffinity": map[string]any{
		"requiredDuringSchedulingIgnoredDuringExecution": map[string]any{
			"nodeSelectorTerms": []any{map[string]any{"matchExpressions": []any{
				expr("kubernetes.io/os", "In", "linux"),
				expr("kubernetes.io/arch", "In", "amd64", "arm64"),
				expr("eks.amazonaws.com/compute-type", "NotIn", "fargate", "hybrid", "auto"),
				expr(NodeLabelKey, "NotIn", NodeLabelValue),
			}}},
		},
	}}
}

// AwsNodeEnv is aws-node's migration environment: the pool added to both lists, after
// whatever the cluster already lists there (current holds the live values; nil offline).
func AwsNodeEnv(pool []string, current map[string]string) map[string]string {
	out := map[string]string{}
	for _, name := range []string{ExcludeSNATEnv, ExternalServiceEnv} {
		out[name] = joinCIDRs(current[name], pool)
	}
	return out
}

// joinCIDRs appends the pool entries an existing comma-separated list does not have yet.
func joinCIDRs(existing string, pool []string) string {
	var list []string
	for _, c := range strings.Split(existing, ",") {
		if c = strings.TrimSpace(c); c != "" {
			list = append(list, c)
		}
	}
	for _, c := range pool {
		if !slices.Contains(list, c) {
			list = append(list, c)
		}
	}
	return strings.Join(list, ",")
}

// AddonConfiguration is the vpc-cni add-on's configurationValues during the migration: the
// add-on's current configuration (current, JSON; "" when it has none) with the migration's
// env entries and affinity set on top. Everything else the owner configured stays.
func AddonConfiguration(pool []string, current string) (string, error) {
	values := map[string]any{}
	if strings.TrimSpace(current) != "" {
		if err := json.Unmarshal([]byte(current), &values); err != nil {
			return "", fmt.Errorf("the vpc-cni add-on's configurationValues are not a JSON object: %w", err)
		}
	}
	env, _ := values["env"].(map[string]any)
	if env == nil {
		env = map[string]any{}
	}
	have := map[string]string{}
	for k, v := range env {
		if s, ok := v.(string); ok {
			have[k] = s
		}
	}
	for k, v := range AwsNodeEnv(pool, have) {
		env[k] = v
	}
	values["env"] = env
	values["affinity"] = AwsNodeAffinity()
	out, err := json.Marshal(values) // map keys sorted: the same input gives the same text
	return string(out), err
}
