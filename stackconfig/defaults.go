package stackconfig

// Defaults returns the configuration used for every key a stack leaves out. Pulumi.yaml
// declares the same defaults (TestProjectDefaultsMatchGo keeps the two equal).
func Defaults() Config {
	return Config{
		Vpc: DefaultVpc(),
		Cluster: ClusterConfig{
			// Newest EKS version in standard support on 2026-12-01 (until 2027-03-27, EKS release
			// calendar; rules.EKSVersions) and e2e-tested with Cilium 1.19 (1.32-1.35, cilium
			// v1.19.6 Documentation/network/kubernetes/compatibility.rst).
			Version: "1.35",
			// One of the two ranges EKS picks itself; set explicitly so overlaps are checkable.
			ServiceCidr: "172.20.0.0/16",
			// Cilium's eBPF service handling replaces kube-proxy; one less DaemonSet to run.
			KubeProxyReplacement: true,
			// Public endpoint on: `pulumi up` installs Cilium through the API from outside the VPC.
			EndpointPublicAccess: true,
			// EKS's own default; restrict it per stack (prod does, an advisory policy warns).
			PublicAccessCidrs: []string{"0.0.0.0/0"},
		},
		NodeGroups: nil,
		Cilium: CiliumConfig{
			// Pinned chart; ../shared/charts carries it for the contract test.
			Version: "1.19.6",
			// No default pool: Cilium's 10.0.0.0/8 overlaps most VPCs, so stacks must choose.
			ClusterPoolIPv4PodCIDRList: nil,
			// Cilium's chart default: a /24 per node, 252 pod IPs after reservations.
			ClusterPoolIPv4MaskSize: 24,
			// Cilium's chart default tunnel protocol (UDP 8472).
			TunnelProtocol: "vxlan",
			// Hubble relay gives `hubble observe` across nodes; cheap (one Deployment).
			HubbleRelay: true,
		},
	}
}

// DefaultVpc is eks-cilium:vpc when a stack omits it.
func DefaultVpc() VpcConfig {
	return VpcConfig{
		// 65,536 addresses: room for nodes, load balancers and endpoints; pods live elsewhere.
		Cidr: "192.168.0.0/16",
		// Three AZs: EKS needs two; three keep quorum-style workloads alive in an AZ outage.
		AvailabilityZones: 3,
		// A NAT per AZ so an AZ outage does not cut the other AZs' egress.
		NatGateways: "onePerAz",
	}
}

// DefaultNodeGroup is the starting point of every element of eks-cilium:nodeGroups.
func DefaultNodeGroup() NodeGroupConfig {
	return NodeGroupConfig{
		// Amazon Linux 2023 is the EKS default AMI family for 1.30+; nodeadm sets maxPods.
		AmiType: "AL2023_x86_64_STANDARD",
		// EKS's default capacity type.
		CapacityType: "ON_DEMAND",
		// GiB; above EKS's 20 GiB default so images and logs of a dense node fit.
		DiskSize: 50,
		// EKS's default updateConfig: one node at a time.
		MaxUnavailable: 1,
	}
}
