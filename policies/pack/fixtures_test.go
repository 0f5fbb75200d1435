package pack

// Compliant inputs for each resource type; tests derive violating ones with withPath.

func goodEksCluster() map[string]any {
	return map[string]any{
		"vpcId":                           "vpc-0123",
		"privateSubnetIds":                []any{"subnet-priv-a", "subnet-priv-b"},
		"publicSubnetIds":                 []any{"subnet-pub-a", "subnet-pub-b"},
		"skipDefaultNodeGroup":            true,
		"useDefaultVpcCni":                true,
		"defaultAddonsToRemove":           []any{"vpc-cni", "kube-proxy"},
		"enabledClusterLogTypes":          []any{"api", "audit", "authenticator", "controllerManager", "scheduler"},
		"encryptionConfigKeyArn":          "arn:aws:kms:eu-west-1:111122223333:key/abcd",
		"endpointPublicAccess":            true,
		"publicAccessCidrs":               []any{"203.0.113.0/24"},
		"kubernetesServiceIpAddressRange": "172.20.0.0/16",
	}
}

func goodAwsCluster() map[string]any {
	return map[string]any{
		"roleArn":                "arn:aws:iam::111122223333:role/cluster",
		"defaultAddonsToRemoves": []any{"vpc-cni", "kube-proxy"},
		"enabledClusterLogTypes": []any{"api", "audit", "authenticator", "controllerManager", "scheduler"},
		"encryptionConfig": map[string]any{
			"provider":  map[string]any{"keyArn": "arn:aws:kms:eu-west-1:111122223333:key/abcd"},
			"resources": []any{"secrets"},
		},
		"vpcConfig": map[string]any{
			"subnetIds":            []any{"subnet-priv-a", "subnet-priv-b"},
			"endpointPublicAccess": true,
			"publicAccessCidrs":    []any{"203.0.113.0/24"},
		},
		"kubernetesNetworkConfig": map[string]any{"serviceIpv4Cidr": "172.20.0.0/16"},
	}
}

func startupTaint() map[string]any {
	return map[string]any{"key": "node.cilium.io/agent-not-ready", "value": "true", "effect": "NO_EXECUTE"}
}

func goodManagedNodeGroup() map[string]any {
	return map[string]any{
		"subnetIds":     []any{"subnet-priv-a", "subnet-priv-b"},
		"instanceTypes": []any{"m5.large"},
		"enableIMDSv2":  true,
		"taints":        []any{startupTaint()},
	}
}

func goodAwsNodeGroup() map[string]any {
	return map[string]any{
		"clusterName":   "main",
		"nodeRoleArn":   "arn:aws:iam::111122223333:role/node",
		"subnetIds":     []any{"subnet-priv-a"},
		"scalingConfig": map[string]any{"minSize": 1, "maxSize": 3, "desiredSize": 2},
		"taints": []any{
			map[string]any{"key": "dedicated", "value": "infra", "effect": "NO_SCHEDULE"},
			startupTaint(),
		},
	}
}

func goodLaunchTemplate() map[string]any {
	return map[string]any{
		"metadataOptions": map[string]any{"httpTokens": "required", "httpPutResponseHopLimit": 1},
		"blockDeviceMappings": []any{
			map[string]any{"deviceName": "/dev/xvda", "ebs": map[string]any{"encrypted": "true", "volumeSize": 50}},
		},
		"networkInterfaces": []any{map[string]any{"associatePublicIpAddress": "false"}},
	}
}

func goodCiliumValues() map[string]any {
	return map[string]any{
		"ipam": map[string]any{
			"mode": "cluster-pool",
			"operator": map[string]any{
				"clusterPoolIPv4PodCIDRList": []any{"10.200.0.0/16"},
				"clusterPoolIPv4MaskSize":    24,
			},
		},
		"routingMode":    "tunnel",
		"tunnelProtocol": "vxlan",
		"eni":            map[string]any{"enabled": false},
		"hubble":         map[string]any{"enabled": true, "relay": map[string]any{"enabled": true}},
	}
}

func goodCiliumRelease() map[string]any {
	return map[string]any{
		"chart":          "cilium",
		"version":        "1.19.6",
		"namespace":      "kube-system",
		"repositoryOpts": map[string]any{"repo": "https://helm.cilium.io/"},
		"values":         goodCiliumValues(),
	}
}

// deleted, as the value given to withPath, removes the key.
type deletedMarker struct{}

var deleted = deletedMarker{}

// withPath returns a copy of base with the value at path replaced (or removed when v is
// deleted); maps along the path are copied, so base is never modified.
func withPath(base map[string]any, v any, path ...string) map[string]any {
	out := make(map[string]any, len(base))
	for k, item := range base {
		out[k] = item
	}
	key := path[0]
	switch {
	case len(path) > 1:
		inner, _ := out[key].(map[string]any)
		if inner == nil {
			inner = map[string]any{}
		}
		out[key] = withPath(inner, v, path[1:]...)
	case v == deleted:
		delete(out, key)
	default:
		out[key] = v
	}
	return out
}

// releaseWithValue returns the compliant Cilium release with one Helm value changed.
func releaseWithValue(v any, path ...string) map[string]any {
	return withPath(goodCiliumRelease(), v, append([]string{"values"}, path...)...)
}
