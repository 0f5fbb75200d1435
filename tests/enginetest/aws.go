package enginetest

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// Account and Region are where the fake AWS provider pretends to live.
const (
	Account = "111122223333"
	Region  = "eu-west-1"
)

func newAwsFake(log *CallLog) *Fake {
	return &Fake{
		name:    "aws",
		version: "6.83.4", // go.mod's github.com/pulumi/pulumi-aws/sdk/v6
		log:     log,
		outputs: awsOutputs,
		// docs/design.md, "Typical durations": EKS control plane 9–16 min, node group 2–4,
		// NAT gateway 1–2, CoreDNS addon ~1.
		takes: map[string]time.Duration{
			"aws:eks/cluster:Cluster":       900 * time.Millisecond,
			"aws:eks/nodeGroup:NodeGroup":   300 * time.Millisecond,
			"aws:ec2/natGateway:NatGateway": 150 * time.Millisecond,
			"aws:eks/addon:Addon":           100 * time.Millisecond,
		},
		autoname: awsAutoname,
		invoke:   awsInvoke,
		checkConfig: func(news resource.PropertyMap) []inputProblem {
			// The provider cannot pick a region on its own: without aws:region (or AWS_REGION,
			// which the tests do not set) every call fails.
			if v, ok := news["region"]; !ok || (!v.IsComputed() && !(v.IsString() && v.StringValue() != "")) {
				return []inputProblem{{"region", "missing required configuration aws:region"}}
			}
			return nil
		},
	}
}

// autonamed are the types whose `name` pulumi-aws generates when the program sets none: the
// resource's logical name, "-" and 7 random characters (Pulumi auto-naming,
// https://www.pulumi.com/docs/iac/concepts/resources/names/#autonaming).
var autonamed = map[string]bool{
	"aws:iam/role:Role":                     true,
	"aws:iam/policy:Policy":                 true,
	"aws:ec2/launchTemplate:LaunchTemplate": true,
	"aws:ec2/securityGroup:SecurityGroup":   true,
}

func awsAutoname(token, name string, olds, news resource.PropertyMap) resource.PropertyMap {
	if !autonamed[token] {
		return news
	}
	if _, set := news["name"]; set {
		return news
	}
	if _, set := news["namePrefix"]; set {
		return news
	}
	out := news.Copy()
	if old, ok := olds["name"]; ok && old.IsString() {
		out["name"] = old // keep the name of the deployed resource, as the provider does
		return out
	}
	sum := sha256.Sum256([]byte(token + name))
	out["name"] = resource.NewStringProperty(name + "-" + hex.EncodeToString(sum[:])[:7])
	return out
}

func arn(service, resourcePath string) string {
	return fmt.Sprintf("arn:aws:%s:%s:%s:%s", service, Region, Account, resourcePath)
}

// awsOutputs are what AWS computes for each resource type the program creates.
func awsOutputs(token, name string, in resource.PropertyMap, preview bool) resource.PropertyMap {
	id := fakeID(token, name)
	str := func(k string) string {
		if v, ok := in[resource.PropertyKey(k)]; ok && v.IsString() {
			return v.StringValue()
		}
		return ""
	}
	computed := map[string]any{"arn": arn(strings.Split(strings.Split(token, ":")[1], "/")[0], id), "tagsAll": tagsOf(in)}
	// A name prefix becomes the name with terraform-provider-aws's 26-character unique suffix
	// (create.Name with id.UniqueIDSuffixLength).
	if prefix := str("namePrefix"); prefix != "" && str("name") == "" {
		computed["name"] = prefix + "20261201000000000000000001"
	}
	switch token {
	case "aws:sqs/queue:Queue":
		qname, _ := computed["name"].(string)
		if qname == "" {
			qname = str("name")
		}
		computed["arn"] = arn("sqs", qname)
		computed["url"] = fmt.Sprintf("https://sqs.%s.amazonaws.com/%s/%s", Region, Account, qname)
	case "aws:cloudwatch/eventRule:EventRule":
		rname, _ := computed["name"].(string)
		computed["arn"] = arn("events", "rule/"+rname)
	case "aws:ec2/vpc:Vpc":
		computed["defaultSecurityGroupId"] = "sg-" + id[4:]
		computed["mainRouteTableId"] = "rtb-" + id[4:]
	case "aws:ec2/eip:Eip":
		computed["allocationId"] = id
		computed["publicIp"] = "198.51.100.7"
	case "aws:ec2/launchTemplate:LaunchTemplate":
		computed["latestVersion"] = 1
		computed["defaultVersion"] = 1
	case "aws:iam/role:Role":
		computed["arn"] = fmt.Sprintf("arn:aws:iam::%s:role/%s", Account, str("name"))
		computed["uniqueId"] = "AROA" + strings.ToUpper(id[:8])
	case "aws:kms/key:Key":
		computed["keyId"] = id
	case "aws:iam/openIdConnectProvider:OpenIdConnectProvider":
		computed["arn"] = fmt.Sprintf("arn:aws:iam::%s:oidc-provider/%s", Account, strings.TrimPrefix(str("url"), "https://"))
	case "aws:eks/cluster:Cluster":
		host := strings.ToUpper(id[len(id)-8:]) + "0123456789ABCDEF0123456789ABCD"
		computed["endpoint"] = "https://" + host + ".gr7." + Region + ".eks.amazonaws.com"
		computed["certificateAuthority"] = map[string]any{"data": base64.StdEncoding.EncodeToString([]byte("-----BEGIN CERTIFICATE-----\nfake\n-----END CERTIFICATE-----\n"))}
		computed["identities"] = []any{map[string]any{"oidcs": []any{map[string]any{"issuer": "https://oidc.eks." + Region + ".amazonaws.com/id/" + host}}}}
		computed["status"] = "ACTIVE"
		computed["platformVersion"] = "eks.1"
		// vpcConfig is an input whose clusterSecurityGroupId and vpcId EKS fills in.
		out := withComputed(in, preview, computed)
		if v, ok := in["vpcConfig"]; ok && v.IsObject() {
			vpcConfig := v.ObjectValue().Copy()
			vpcConfig["clusterSecurityGroupId"] = resource.NewStringProperty("sg-" + id[:8])
			vpcConfig["vpcId"] = resource.NewStringProperty("vpc-" + id[:8])
			if preview {
				vpcConfig["clusterSecurityGroupId"], vpcConfig["vpcId"] = unknown, unknown
			}
			out["vpcConfig"] = resource.NewObjectProperty(vpcConfig)
		}
		return out
	case "aws:eks/nodeGroup:NodeGroup":
		// The provider appends a 26-character unique suffix to the prefix.
		computed["nodeGroupName"] = str("nodeGroupNamePrefix") + "20261201000000000000000001"
		computed["status"] = "ACTIVE"
		computed["resources"] = []any{}
	case "aws:eks/addon:Addon":
		computed["addonVersion"] = "v1.12.1-eksbuild.2"
	}
	return withComputed(in, preview, computed)
}

func tagsOf(in resource.PropertyMap) map[string]any {
	if v, ok := in["tags"]; ok && v.IsObject() {
		return v.ObjectValue().Mappable()
	}
	return map[string]any{}
}

// awsInvoke answers the data sources the program and pulumi-eks call.
func awsInvoke(token string, args resource.PropertyMap) (resource.PropertyMap, error) {
	switch token {
	case "aws:index/getAvailabilityZones:getAvailabilityZones":
		var names, ids []any
		for i, z := range "abc" {
			names = append(names, Region+string(z))
			ids = append(ids, fmt.Sprintf("euw1-az%d", i+1))
		}
		return resource.NewPropertyMapFromMap(map[string]any{"names": names, "zoneIds": ids, "id": Region}), nil
	case "aws:index/getRegion:getRegion":
		return resource.NewPropertyMapFromMap(map[string]any{"name": Region, "region": Region, "id": Region}), nil
	case "aws:index/getPartition:getPartition":
		return resource.NewPropertyMapFromMap(map[string]any{"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws"}), nil
	case "aws:index/getCallerIdentity:getCallerIdentity":
		return resource.NewPropertyMapFromMap(map[string]any{"accountId": Account, "arn": "arn:aws:iam::" + Account + ":user/ci", "userId": "AIDAFAKE", "id": Account}), nil
	case "aws:ssm/getParameter:getParameter":
		name, ok := args["name"]
		if !ok || !name.IsString() {
			return nil, fmt.Errorf("getParameter: name is required")
		}
		if !strings.HasPrefix(name.StringValue(), "/aws/service/") {
			return nil, fmt.Errorf("ParameterNotFound: %s", name.StringValue())
		}
		// Each parameter names its own image, as AWS's do: a new Kubernetes minor or release
		// is a new AMI.
		sum := sha256.Sum256([]byte(name.StringValue()))
		return resource.NewPropertyMapFromMap(map[string]any{
			"name": name.StringValue(), "value": "ami-" + hex.EncodeToString(sum[:])[:17], "type": "String", "id": name.StringValue(),
		}), nil
	case "aws:eks/getAddonVersion:getAddonVersion":
		return resource.NewPropertyMapFromMap(map[string]any{"version": "v1.33.0-eksbuild.2", "addonName": args["addonName"].V, "id": "addon"}), nil
	}
	return nil, fmt.Errorf("fake aws: no answer for invoke %s", token)
}
