package karpenter

import (
	"reflect"
	"testing"
)

func poolInput() NodePoolInput {
	return NodePoolInput{
		Name: "default", InstanceFamilies: []string{"m6i", "c6i"}, CapacityTypes: []string{"spot", "on-demand"},
		Architectures: []string{"amd64"}, MinCPU: 2, MinMemoryMiB: 4096, LimitCPU: 200, LimitMemory: "800Gi",
	}
}

func classInput() NodeClassInput {
	return NodeClassInput{Name: "default", ClusterName: "eks-cilium-dev", AmiFamily: "AL2023", AmiVersion: "v20260512",
		RoleName: "karpenter-node-x", MaxPods: 110, DiskSize: 50}
}

func at(obj map[string]any, path ...string) any {
	var cur any = obj
	for _, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[p]
	}
	return cur
}

func TestNodePool_IsTaintedUntilCiliumIsReady(t *testing.T) {
	got := at(NodePool(poolInput()), "spec", "template", "spec", "startupTaints")
	want := []any{map[string]any{"key": "node.cilium.io/agent-not-ready", "value": "true", "effect": "NoExecute"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("startupTaints = %v, want %v", got, want)
	}
	if taints := at(NodePool(poolInput()), "spec", "template", "spec", "taints"); taints != nil {
		t.Errorf("taints = %v: a plain taint would make Karpenter refuse pods that do not tolerate it", taints)
	}
}

func TestNodePool_RequiresTheSmallestInstanceThePlannerCountedWith(t *testing.T) {
	reqs := at(NodePool(poolInput()), "spec", "template", "spec", "requirements").([]any)
	byKey := map[string]map[string]any{}
	for _, r := range reqs {
		byKey[r.(map[string]any)["key"].(string)] = r.(map[string]any)
	}
	for key, want := range map[string]map[string]any{
		"karpenter.k8s.aws/instance-cpu":    {"key": "karpenter.k8s.aws/instance-cpu", "operator": "Gt", "values": []any{"1"}},
		"karpenter.k8s.aws/instance-memory": {"key": "karpenter.k8s.aws/instance-memory", "operator": "Gt", "values": []any{"4095"}},
		"karpenter.k8s.aws/instance-family": {"key": "karpenter.k8s.aws/instance-family", "operator": "In", "values": []any{"m6i", "c6i"}},
		"karpenter.sh/capacity-type":        {"key": "karpenter.sh/capacity-type", "operator": "In", "values": []any{"spot", "on-demand"}},
		"kubernetes.io/arch":                {"key": "kubernetes.io/arch", "operator": "In", "values": []any{"amd64"}},
	} {
		if !reflect.DeepEqual(byKey[key], want) {
			t.Errorf("%s = %v, want %v", key, byKey[key], want)
		}
	}
	if _, ok := byKey["karpenter.k8s.aws/instance-category"]; ok {
		t.Error("instance-category required though none was configured")
	}
}

func TestNodePool_LimitsAreStrings(t *testing.T) {
	in := poolInput()
	in.LimitNodes = 7
	got := at(NodePool(in), "spec", "limits")
	want := map[string]any{"cpu": "200", "memory": "800Gi", "nodes": "7"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("limits = %v, want %v", got, want)
	}
}

func TestEC2NodeClass_KeepsIMDSv2WithHopLimitOne(t *testing.T) {
	obj, err := EC2NodeClass(classInput())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"httpEndpoint": "enabled", "httpProtocolIPv6": "disabled", "httpPutResponseHopLimit": 1, "httpTokens": "required"}
	if got := at(obj, "spec", "metadataOptions"); !reflect.DeepEqual(got, want) {
		t.Errorf("metadataOptions = %v", got)
	}
}

func TestEC2NodeClass_CarriesMaxPodsAndTheMatchingReserve(t *testing.T) {
	obj, _ := EC2NodeClass(classInput())
	want := map[string]any{"maxPods": 110, "kubeReserved": map[string]any{"memory": "1465Mi"}} // 11 × 110 + 255
	if got := at(obj, "spec", "kubelet"); !reflect.DeepEqual(got, want) {
		t.Errorf("kubelet = %v, want %v", got, want)
	}
}

func TestEC2NodeClass_EncryptsEveryVolumeOfBothAMIFamilies(t *testing.T) {
	for family, want := range map[string]struct {
		version string
		alias   string
		devices []string
		sizes   []string
	}{
		"AL2023":       {"v20260512", "al2023@v20260512", []string{"/dev/xvda"}, []string{"50Gi"}},
		"Bottlerocket": {"v1.38.0", "bottlerocket@v1.38.0", []string{"/dev/xvda", "/dev/xvdb"}, []string{"4Gi", "50Gi"}},
	} {
		in := classInput()
		in.AmiFamily, in.AmiVersion = family, want.version
		obj, err := EC2NodeClass(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := at(obj, "spec", "amiSelectorTerms"); !reflect.DeepEqual(got, []any{map[string]any{"alias": want.alias}}) {
			t.Errorf("%s: amiSelectorTerms = %v", family, got)
		}
		devices := at(obj, "spec", "blockDeviceMappings").([]any)
		if len(devices) != len(want.devices) {
			t.Fatalf("%s: %d volumes, want %d", family, len(devices), len(want.devices))
		}
		for i, d := range devices {
			d := d.(map[string]any)
			if d["deviceName"] != want.devices[i] || at(d, "ebs", "volumeSize") != want.sizes[i] || at(d, "ebs", "encrypted") != true {
				t.Errorf("%s: volume %d = %v", family, i, d)
			}
		}
	}
	in := classInput()
	in.AmiFamily = "AL2"
	if _, err := EC2NodeClass(in); err == nil {
		t.Error("AL2 rendered")
	}
}

func TestEC2NodeClass_SelectsSubnetsByTagOrByID(t *testing.T) {
	obj, _ := EC2NodeClass(classInput())
	if got := at(obj, "spec", "subnetSelectorTerms"); !reflect.DeepEqual(got, []any{map[string]any{"tags": map[string]any{"karpenter.sh/discovery": "eks-cilium-dev"}}}) {
		t.Errorf("created VPC: subnetSelectorTerms = %v", got)
	}
	in := classInput()
	in.SubnetIds = []string{"subnet-1", "subnet-2"}
	obj, _ = EC2NodeClass(in)
	if got := at(obj, "spec", "subnetSelectorTerms"); !reflect.DeepEqual(got, []any{map[string]any{"id": "subnet-1"}, map[string]any{"id": "subnet-2"}}) {
		t.Errorf("existing VPC: subnetSelectorTerms = %v", got)
	}
	if got := at(obj, "spec", "securityGroupSelectorTerms"); !reflect.DeepEqual(got, []any{map[string]any{"tags": map[string]any{"aws:eks:cluster-name": "eks-cilium-dev"}}}) {
		t.Errorf("securityGroupSelectorTerms = %v", got)
	}
}

func TestValues_PointTheControllerAtTheClusterAndItsQueue(t *testing.T) {
	v := Values(ValuesInput{ClusterName: "c", ClusterEndpoint: "https://x", InterruptionQueue: "q", VMMemoryOverheadPercent: 0.075})
	want := map[string]any{"clusterName": "c", "clusterEndpoint": "https://x", "interruptionQueue": "q", "vmMemoryOverheadPercent": 0.075}
	if !reflect.DeepEqual(v["settings"], want) || at(v, "serviceAccount", "name") != ServiceAccount {
		t.Errorf("values = %v", v)
	}
	if _, ok := v["hostNetwork"]; ok {
		t.Error("values put the controller on the host network")
	}
}
