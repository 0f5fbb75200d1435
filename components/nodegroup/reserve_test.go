package nodegroup_test

import (
	"maps"
	"testing"

	"github.com/eks-cilium/eks-cilium/components/nodegroup"
)

func TestKubeReservedMemoryMiB_IsElevenPerPodPlus255(t *testing.T) {
	tests := []struct{ maxPods, want int }{
		{17, 442},   // t3.medium at its ENI count: what nodeadm reserves whatever maxPods says
		{29, 574},   // m5.large at its ENI count
		{58, 893},   // c5.2xlarge at its ENI count
		{110, 1465}, // any of them at the 110 pods we allow
		{250, 3005},
		{1, 266},
	}
	for _, tt := range tests {
		if got := nodegroup.KubeReservedMemoryMiB(tt.maxPods); got != tt.want {
			t.Errorf("KubeReservedMemoryMiB(%d) = %d, want %d", tt.maxPods, got, tt.want)
		}
	}
}

func TestKubeReservedCPUMillicores_FollowsTheEKSBands(t *testing.T) {
	// Bottlerocket's constants (helpers.rs): 60, 70, 75, 80, then +2.5 per core, floored.
	tests := []struct{ vcpus, want int }{
		{0, 0},
		{1, 60},
		{2, 70}, // t3.medium, m5.large
		{3, 75},
		{4, 80},
		{5, 82}, // 82.5 floored
		{8, 90}, // c5.2xlarge
		{16, 110},
		{96, 310},
	}
	for _, tt := range tests {
		if got := nodegroup.KubeReservedCPUMillicores(tt.vcpus); got != tt.want {
			t.Errorf("KubeReservedCPUMillicores(%d) = %d, want %d", tt.vcpus, got, tt.want)
		}
	}
}

func TestKubeReserved_IsTheKubeletMap(t *testing.T) {
	tests := []struct {
		name           string
		maxPods, vcpus int
		want           map[string]string
	}{
		{"t3.medium at 110 pods", 110, 2, map[string]string{"cpu": "70m", "memory": "1465Mi", "ephemeral-storage": "1Gi"}},
		{"m5.large at 110 pods", 110, 2, map[string]string{"cpu": "70m", "memory": "1465Mi", "ephemeral-storage": "1Gi"}},
		{"c5.2xlarge at 110 pods", 110, 8, map[string]string{"cpu": "90m", "memory": "1465Mi", "ephemeral-storage": "1Gi"}},
		{"c5.9xlarge at 250 pods", 250, 36, map[string]string{"cpu": "160m", "memory": "3005Mi", "ephemeral-storage": "1Gi"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := nodegroup.KubeReserved(tt.maxPods, tt.vcpus); !maps.Equal(got, tt.want) {
				t.Errorf("KubeReserved(%d, %d) = %v, want %v", tt.maxPods, tt.vcpus, got, tt.want)
			}
		})
	}
}
