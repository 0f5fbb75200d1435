package migration

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/eks-cilium/eks-cilium/stackconfig/stackconfigtest"
)

func TestAddonConfiguration_KeepsTheOwnersValuesAndAddsTheMigrations(t *testing.T) {
	current := `{"env":{"ENABLE_PREFIX_DELEGATION":"true","AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS":"10.50.0.0/16"},"resources":{"requests":{"cpu":"50m"}}}`
	text, err := AddonConfiguration([]string{"100.64.0.0/16", "100.65.0.0/16"}, current)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(text), &got); err != nil {
		t.Fatal(err)
	}
	env := got["env"].(map[string]any)
	want := map[string]any{
		"ENABLE_PREFIX_DELEGATION":           "true",
		"AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS": "10.50.0.0/16,100.64.0.0/16,100.65.0.0/16",
		"AWS_EXTERNAL_SERVICE_CIDRS":         "100.64.0.0/16,100.65.0.0/16",
	}
	if !reflect.DeepEqual(env, want) {
		t.Errorf("env = %v, want %v", env, want)
	}
	if got["resources"] == nil {
		t.Errorf("the owner's resources were dropped: %s", text)
	}
	again, _ := AddonConfiguration([]string{"100.64.0.0/16", "100.65.0.0/16"}, text)
	if again != text {
		t.Errorf("applying the migration twice changes the configuration:\n%s\n%s", text, again)
	}
	if _, err := AddonConfiguration(nil, "not json"); err == nil || !strings.Contains(err.Error(), "not a JSON object") {
		t.Errorf("a broken configuration: %v", err)
	}
}

func TestAwsNodeAffinity_KeepsTheDefaultTermsAndExcludesLabelledNodes(t *testing.T) {
	raw, _ := json.Marshal(AwsNodeAffinity())
	for _, want := range []string{
		`{"key":"kubernetes.io/os","operator":"In","values":["linux"]}`,
		`{"key":"kubernetes.io/arch","operator":"In","values":["amd64","arm64"]}`,
		`{"key":"eks.amazonaws.com/compute-type","operator":"NotIn","values":["fargate","hybrid","auto"]}`,
		`{"key":"io.cilium.migration/cilium-default","operator":"NotIn","values":["true"]}`,
	} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("affinity lacks %s: %s", want, raw)
		}
	}
}

func TestAwsNodePatch_SetsTheEnvByNameAndTheAffinity(t *testing.T) {
	patch := AwsNodePatch([]string{"100.64.0.0/16"}, map[string]string{ExternalServiceEnv: "10.9.0.0/16"})
	raw, _ := json.Marshal(patch)
	for _, want := range []string{
		`"name":"aws-node","namespace":"kube-system"`, `"pulumi.com/patchForce":"true"`,
		`{"name":"AWS_EXTERNAL_SERVICE_CIDRS","value":"10.9.0.0/16,100.64.0.0/16"},{"name":"AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS","value":"100.64.0.0/16"}`,
		`"io.cilium.migration/cilium-default"`,
	} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("patch lacks %s: %s", want, raw)
		}
	}
}

func TestNodeConfig_IsCiliumsMigrationObject(t *testing.T) {
	raw, _ := json.Marshal(NodeConfig())
	want := `{"apiVersion":"cilium.io/v2","kind":"CiliumNodeConfig","metadata":{"name":"cilium-default","namespace":"kube-system"},` +
		`"spec":{"defaults":{"cni-chaining-mode":"none","cni-exclusive":"true","custom-cni-conf":"false","write-cni-conf-when-ready":"/host/etc/cni/net.d/05-cilium.conflist"},` +
		`"nodeSelector":{"matchLabels":{"io.cilium.migration/cilium-default":"true"}}}}`
	if string(raw) != want {
		t.Errorf("CiliumNodeConfig =\n%s\nwant\n%s", raw, want)
	}
}

func TestNodePorts_FollowTheTunnelAndEncryption(t *testing.T) {
	cfg := stackconfigtest.Adopted()
	ports := func() string {
		var out []string
		for _, p := range NodePorts(cfg, 0) {
			out = append(out, p.Protocol+"/"+strconv.Itoa(p.From)+"-"+strconv.Itoa(p.To))
		}
		return strings.Join(out, " ")
	}
	if got := ports(); got != "udp/8472-8472 tcp/4240-4240 icmp/8-0 tcp/4244-4244" {
		t.Errorf("vxlan: %s", got)
	}
	cfg.Cilium.TunnelProtocol, cfg.Cilium.Encryption = "geneve", "wireguard"
	if got := ports(); got != "udp/6081-6081 tcp/4240-4240 icmp/8-0 tcp/4244-4244 udp/51871-51871" {
		t.Errorf("geneve with WireGuard: %s", got)
	}
	if got := NodePorts(cfg, 8473)[0]; got.From != 8473 {
		t.Errorf("tunnelPort 8473: %v", got)
	}
}

func TestPhases_AreOrderedAndOutputsNameThem(t *testing.T) {
	if got := strings.Join(Phases(), " "); got != "install finalize remove-aws-node" {
		t.Errorf("Phases = %s", got)
	}
	if Order("install") != 1 || Order("remove-aws-node") != 3 || Order(PhaseComplete) != 4 || Order("") != 0 {
		t.Errorf("Order is not the phases' order")
	}
	cfg := stackconfigtest.Adopted()
	if Phase(cfg) != "install" {
		t.Errorf("Phase of an adopted install = %q", Phase(cfg))
	}
	cfg.Migration = nil
	if Phase(cfg) != PhaseComplete {
		t.Errorf("Phase of an adopted cluster without migration = %q", Phase(cfg))
	}
	if Phase(stackconfigtest.Valid()) != "" {
		t.Errorf("Phase of a created cluster = %q", Phase(stackconfigtest.Valid()))
	}
}
