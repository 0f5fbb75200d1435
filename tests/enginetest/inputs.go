package enginetest

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2transitgateway"
	awseks "github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sqs"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/vpc"
	"github.com/pulumi/pulumi-eks/sdk/v3/go/eks"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	appsv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apps/v1"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	helmv3 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v3"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// The fakes check every input the engine hands them against what the real provider accepts,
// read from the providers' own Go SDKs (generated from each provider's schema):
//
//   - the property names and types: the SDK's plain args struct (nodeGroupArgs for
//     aws:eks/nodeGroup:NodeGroup), which the exported XArgs type names through ElementType;
//   - the required top-level properties: the "invalid value for required argument" checks in
//     the SDK's NewX constructor (the schema's requiredInputs), plus every non-pointer scalar
//     or struct field inside nested types;
//   - the enums of pulumi-eks's schema: the named string types of its SDK and their constants
//     in pulumiEnums.go;
//   - the value rules the AWS provider enforces beyond its schema (terraform-provider-aws
//     validation functions), listed in awsValueRules with their source.
//
// A property the real provider does not know, a missing required one, a wrong type or a value
// outside an enum becomes a CheckFailure, exactly how a real provider refuses it at preview.

// inputShape is what one resource type accepts.
type inputShape struct {
	token    string
	args     reflect.Type    // the plain args struct
	required map[string]bool // top-level required inputs by property name
}

// argsOf lists the resource types the fakes accept, by the SDK args type that describes them.
// A type missing here is refused with a message naming it: add its XArgs{} to this list.
var argsOf = []interface{ ElementType() reflect.Type }{
	ec2.VpcArgs{}, ec2.SubnetArgs{}, ec2.InternetGatewayArgs{}, ec2.NatGatewayArgs{}, ec2.EipArgs{},
	ec2.RouteTableArgs{}, ec2.RouteTableAssociationArgs{}, ec2.VpcEndpointArgs{}, ec2.LaunchTemplateArgs{},
	ec2.SecurityGroupArgs{}, ec2.SecurityGroupRuleArgs{},
	ec2.VpcPeeringConnectionArgs{}, ec2.VpcPeeringConnectionAccepterArgs{}, ec2.RouteArgs{},
	ec2transitgateway.VpcAttachmentArgs{},
	awseks.ClusterArgs{}, awseks.NodeGroupArgs{}, awseks.AddonArgs{}, awseks.AccessEntryArgs{},
	awseks.AccessPolicyAssociationArgs{}, awseks.PodIdentityAssociationArgs{},
	iam.RoleArgs{}, iam.RolePolicyAttachmentArgs{}, iam.PolicyArgs{}, iam.RolePolicyArgs{},
	iam.OpenIdConnectProviderArgs{}, kms.KeyArgs{},
	cloudwatch.EventRuleArgs{}, cloudwatch.EventTargetArgs{}, sqs.QueueArgs{}, sqs.QueuePolicyArgs{},
	eks.ClusterArgs{},
	helmv3.ReleaseArgs{}, kubernetes.ProviderArgs{}, appsv1.DeploymentPatchArgs{}, corev1.ServiceArgs{},
	// An adopted cluster's migration.
	vpc.SecurityGroupIngressRuleArgs{}, corev1.ConfigMapArgs{}, appsv1.DaemonSetPatchArgs{}, appsv1.DaemonSetArgs{},
}

var (
	shapesOnce sync.Once
	shapes     map[string]*inputShape
	enumValues map[reflect.Type][]string
	shapesErr  error
)

// loadShapes reads every shape once per test binary.
func loadShapes() (map[string]*inputShape, error) {
	shapesOnce.Do(func() {
		shapes = map[string]*inputShape{}
		enumValues = map[reflect.Type][]string{}
		for _, a := range argsOf {
			shape, err := readShape(a)
			if err != nil {
				shapesErr = err
				return
			}
			shapes[shape.token] = shape
		}
	})
	return shapes, shapesErr
}

var (
	registerCall = regexp.MustCompile(`ctx\.Register(?:Remote(?:Component)?)?Resource(?:V2)?\("([^"]+)"`)
	requiredArg  = regexp.MustCompile(`invalid value for required argument '(\w+)'`)
	enumConst    = regexp.MustCompile(`^\s*\w+\s*=\s*(\w+)\("([^"]*)"\)`)
	moduleDirs   sync.Map // module path -> directory in the module cache
)

// readShape finds the constructor of an args type in its SDK source (the file named after the
// resource, e.g. eks/nodeGroup.go for NodeGroupArgs) and reads the token and required inputs.
func readShape(a interface{ ElementType() reflect.Type }) (*inputShape, error) {
	exported := reflect.TypeOf(a)
	plain := a.ElementType()
	resName := strings.TrimSuffix(exported.Name(), "Args")
	dir, err := packageDir(exported.PkgPath())
	if err != nil {
		return nil, err
	}
	file := filepath.Join(dir, strings.ToLower(resName[:1])+resName[1:]+".go")
	src, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("reading the SDK source of %s: %w", exported, err)
	}
	ctor := string(src)
	start := strings.Index(ctor, "func New"+resName+"(")
	if start < 0 {
		return nil, fmt.Errorf("%s: no func New%s", file, resName)
	}
	ctor = ctor[start:]
	if end := strings.Index(ctor, "\n}\n"); end > 0 {
		ctor = ctor[:end]
	}
	token := registerCall.FindStringSubmatch(ctor)
	if token == nil {
		return nil, fmt.Errorf("%s: New%s registers no resource", file, resName)
	}
	shape := &inputShape{token: token[1], args: plain, required: map[string]bool{}}
	fields := map[string]string{}
	for i := 0; i < plain.NumField(); i++ {
		f := plain.Field(i)
		fields[f.Name] = tagName(f)
	}
	for _, m := range requiredArg.FindAllStringSubmatch(ctor, -1) {
		name, ok := fields[m[1]]
		if !ok {
			return nil, fmt.Errorf("%s: required argument %s is not a field of %s", file, m[1], plain)
		}
		shape.required[name] = true
	}
	if err := readEnums(plain, map[reflect.Type]bool{}); err != nil {
		return nil, err
	}
	return shape, nil
}

// readEnums collects the constants of every named string type reachable from t, from the
// pulumiEnums.go of the type's package.
func readEnums(t reflect.Type, seen map[reflect.Type]bool) error {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map {
		t = t.Elem()
	}
	if seen[t] {
		return nil
	}
	seen[t] = true
	switch t.Kind() {
	case reflect.Struct:
		for i := 0; i < t.NumField(); i++ {
			if err := readEnums(t.Field(i).Type, seen); err != nil {
				return err
			}
		}
	case reflect.String:
		if t.Name() == "string" || t.PkgPath() == "" {
			return nil
		}
		if _, done := enumValues[t]; done {
			return nil
		}
		dir, err := packageDir(t.PkgPath())
		if err != nil {
			return err
		}
		f, err := os.Open(filepath.Join(dir, "pulumiEnums.go"))
		if err != nil {
			return fmt.Errorf("enum %s: %w", t, err)
		}
		defer f.Close()
		var values []string
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if m := enumConst.FindStringSubmatch(sc.Text()); m != nil && m[1] == t.Name() {
				values = append(values, m[2])
			}
		}
		if len(values) == 0 {
			return fmt.Errorf("enum %s has no constants in %s/pulumiEnums.go", t, dir)
		}
		enumValues[t] = values
	}
	return nil
}

// packageDir is the directory of a Go package of a dependency in the module cache.
func packageDir(pkg string) (string, error) {
	for _, mod := range []string{
		"github.com/pulumi/pulumi-aws/sdk/v6",
		"github.com/pulumi/pulumi-eks/sdk/v3",
		"github.com/pulumi/pulumi-kubernetes/sdk/v4",
	} {
		if rest, ok := strings.CutPrefix(pkg, mod); ok {
			dir, err := moduleDir(mod)
			return filepath.Join(dir, rest), err
		}
	}
	return "", fmt.Errorf("package %s is not from a provider SDK", pkg)
}

func moduleDir(mod string) (string, error) {
	if d, ok := moduleDirs.Load(mod); ok {
		return d.(string), nil
	}
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", mod).Output()
	if err != nil {
		return "", fmt.Errorf("go list -m %s: %w", mod, err)
	}
	dir := strings.TrimSpace(string(out))
	if dir == "" {
		return "", fmt.Errorf("module %s is not in the module cache (run go mod download)", mod)
	}
	moduleDirs.Store(mod, dir)
	return dir, nil
}

func tagName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("pulumi"), ",")
	return name
}

// inputProblem is one reason a provider would refuse an input.
type inputProblem struct {
	property string // a property path, e.g. scalingConfig.minSize
	reason   string
}

// checkShape checks props against a shape and the AWS value rules.
func checkShape(shape *inputShape, props resource.PropertyMap) []inputProblem {
	var out []inputProblem
	for name := range shape.required {
		v, ok := props[resource.PropertyKey(name)]
		if !ok || v.IsNull() {
			out = append(out, inputProblem{name, "missing required property"})
		}
	}
	out = append(out, checkStruct("", shape.args, props)...)
	for _, rule := range awsValueRules[shape.token] {
		v, ok := ValueAt(props, rule.path)
		if !ok || v.ContainsUnknowns() {
			continue
		}
		if reason := rule.check(v); reason != "" {
			out = append(out, inputProblem{rule.path, reason + " (" + rule.source + ")"})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].property < out[j].property })
	return out
}

func checkStruct(prefix string, t reflect.Type, props resource.PropertyMap) []inputProblem {
	var out []inputProblem
	known := map[string]reflect.StructField{}
	for i := 0; i < t.NumField(); i++ {
		known[tagName(t.Field(i))] = t.Field(i)
	}
	for k, v := range props {
		key := string(k)
		if strings.HasPrefix(key, "__") {
			continue // engine-internal keys such as __defaults
		}
		f, ok := known[key]
		if !ok {
			out = append(out, inputProblem{prefix + key, "unknown property: the provider's schema has no such input"})
			continue
		}
		out = append(out, checkValue(prefix+key, f.Type, v)...)
	}
	if prefix != "" {
		// Inside nested types the generated struct marks required fields by value types.
		for name, f := range known {
			if isRequiredNested(f.Type) {
				if v, ok := props[resource.PropertyKey(name)]; !ok || v.IsNull() {
					out = append(out, inputProblem{prefix + name, "missing required property"})
				}
			}
		}
	}
	return out
}

func isRequiredNested(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface:
		return false
	}
	return true
}

func checkValue(path string, t reflect.Type, v resource.PropertyValue) []inputProblem {
	switch {
	case v.IsComputed() || (v.IsOutput() && !v.OutputValue().Known):
		return nil // unknown during preview: the provider checks it again at update
	case v.IsSecret():
		return checkValue(path, t, v.SecretValue().Element)
	case v.IsOutput():
		return checkValue(path, t, v.OutputValue().Element)
	case v.IsNull():
		return nil
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	bad := func(want string) []inputProblem {
		return []inputProblem{{path, fmt.Sprintf("want %s, got %s", want, v.TypeString())}}
	}
	switch t.Kind() {
	case reflect.String:
		if !v.IsString() {
			return bad("a string")
		}
		if values, ok := enumValues[t]; ok && !containsString(values, v.StringValue()) {
			return []inputProblem{{path, fmt.Sprintf("%q is not one of %s (enum %s)", v.StringValue(), strings.Join(values, ", "), t.Name())}}
		}
	case reflect.Int:
		if !v.IsNumber() || v.NumberValue() != float64(int64(v.NumberValue())) {
			return bad("an integer")
		}
	case reflect.Float64:
		if !v.IsNumber() {
			return bad("a number")
		}
	case reflect.Bool:
		if !v.IsBool() {
			return bad("a boolean")
		}
	case reflect.Struct:
		if !v.IsObject() {
			return bad("an object")
		}
		return checkStruct(path+".", t, v.ObjectValue())
	case reflect.Slice:
		if !v.IsArray() {
			return bad("a list")
		}
		var out []inputProblem
		for i, e := range v.ArrayValue() {
			out = append(out, checkValue(fmt.Sprintf("%s[%d]", path, i), t.Elem(), e)...)
		}
		return out
	case reflect.Map:
		if !v.IsObject() {
			return bad("a map")
		}
		var out []inputProblem
		for k, e := range v.ObjectValue() {
			out = append(out, checkValue(fmt.Sprintf("%s[%q]", path, string(k)), t.Elem(), e)...)
		}
		return out
	}
	return nil
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// ValueAt follows a dotted path; "[]" after a key applies the rest to every element.
func ValueAt(props resource.PropertyMap, path string) (resource.PropertyValue, bool) {
	v := resource.NewProperty(props)
	for _, part := range strings.Split(path, ".") {
		if v.IsSecret() {
			v = v.SecretValue().Element
		}
		if !v.IsObject() {
			return resource.PropertyValue{}, false
		}
		next, ok := v.ObjectValue()[resource.PropertyKey(part)]
		if !ok || next.IsNull() {
			return resource.PropertyValue{}, false
		}
		v = next
	}
	return v, true
}

// valueRule is a limit the AWS provider enforces on a value beyond its schema's types.
type valueRule struct {
	path   string
	source string
	check  func(resource.PropertyValue) string // "" when the value is accepted
}

func oneOf(values ...string) func(resource.PropertyValue) string {
	return func(v resource.PropertyValue) string {
		if v.IsString() && containsString(values, v.StringValue()) {
			return ""
		}
		return fmt.Sprintf("%v is not one of %s", v.V, strings.Join(values, ", "))
	}
}

func eachOneOf(values ...string) func(resource.PropertyValue) string {
	single := oneOf(values...)
	return func(v resource.PropertyValue) string {
		if !v.IsArray() {
			return single(v)
		}
		for _, e := range v.ArrayValue() {
			if e.ContainsUnknowns() {
				continue
			}
			if r := single(e); r != "" {
				return r
			}
		}
		return ""
	}
}

func maxLen(n int) func(resource.PropertyValue) string {
	return func(v resource.PropertyValue) string {
		if v.IsString() && len(v.StringValue()) > n {
			return fmt.Sprintf("%q is %d characters, more than %d", v.StringValue(), len(v.StringValue()), n)
		}
		return ""
	}
}

func intBetween(lo, hi int) func(resource.PropertyValue) string {
	return func(v resource.PropertyValue) string {
		if v.IsNumber() && (v.NumberValue() < float64(lo) || v.NumberValue() > float64(hi)) {
			return fmt.Sprintf("%v is outside %d..%d", v.NumberValue(), lo, hi)
		}
		return ""
	}
}

func boolString(v resource.PropertyValue) string {
	if v.IsString() && (v.StringValue() == "true" || v.StringValue() == "false" || v.StringValue() == "") {
		return ""
	}
	return fmt.Sprintf("%v is not \"true\", \"false\" or \"\"", v.V)
}

const (
	tfNodeGroup      = "terraform-provider-aws internal/service/eks/node_group.go"
	tfAddon          = "terraform-provider-aws internal/service/eks/addon.go"
	tfLaunchTemplate = "terraform-provider-aws internal/service/ec2/ec2_launch_template.go"
	tfRole           = "terraform-provider-aws internal/service/iam/role.go"
)

// awsValueRules are the validation functions of terraform-provider-aws (which pulumi-aws
// bridges) on the inputs this project sets. Enum values are the EKS and EC2 API's own
// (https://docs.aws.amazon.com/eks/latest/APIReference/API_CreateNodegroup.html,
// https://docs.aws.amazon.com/eks/latest/APIReference/API_Taint.html,
// https://docs.aws.amazon.com/eks/latest/APIReference/API_CreateAddon.html,
// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_LaunchTemplateInstanceMetadataOptionsRequest.html).
var awsValueRules = map[string][]valueRule{
	"aws:eks/nodeGroup:NodeGroup": {
		{"amiType", tfNodeGroup + ` ami_type: enum.Validate[types.AMITypes]`, oneOf(
			"AL2_x86_64", "AL2_x86_64_GPU", "AL2_ARM_64", "CUSTOM",
			"BOTTLEROCKET_ARM_64", "BOTTLEROCKET_x86_64", "BOTTLEROCKET_ARM_64_FIPS", "BOTTLEROCKET_x86_64_FIPS",
			"BOTTLEROCKET_ARM_64_NVIDIA", "BOTTLEROCKET_x86_64_NVIDIA",
			"WINDOWS_CORE_2019_x86_64", "WINDOWS_FULL_2019_x86_64", "WINDOWS_CORE_2022_x86_64", "WINDOWS_FULL_2022_x86_64",
			"AL2023_x86_64_STANDARD", "AL2023_ARM_64_STANDARD", "AL2023_x86_64_NEURON", "AL2023_x86_64_NVIDIA",
			"AL2023_ARM_64_NVIDIA")},
		{"capacityType", tfNodeGroup + ` capacity_type: enum.Validate[types.CapacityTypes]`, oneOf("ON_DEMAND", "SPOT", "CAPACITY_BLOCK")},
		// 63 minus the 26-character unique suffix the provider appends (id.UniqueIDSuffixLength).
		{"nodeGroupNamePrefix", tfNodeGroup + ` node_group_name_prefix: StringLenBetween(0, 63-id.UniqueIDSuffixLength)`, maxLen(37)},
		{"nodeGroupName", tfNodeGroup + ` node_group_name: StringLenBetween(0, 63)`, maxLen(63)},
		{"scalingConfig.maxSize", tfNodeGroup + ` scaling_config.max_size: IntAtLeast(1)`, intBetween(1, 1<<30)},
		{"scalingConfig.minSize", tfNodeGroup + ` scaling_config.min_size: IntAtLeast(0)`, intBetween(0, 1<<30)},
		{"scalingConfig.desiredSize", tfNodeGroup + ` scaling_config.desired_size: IntAtLeast(0)`, intBetween(0, 1<<30)},
		{"updateConfig.maxUnavailable", tfNodeGroup + ` update_config.max_unavailable: IntBetween(1, 100)`, intBetween(1, 100)},
		{"subnetIds", tfNodeGroup + ` subnet_ids: MinItems 1`, func(v resource.PropertyValue) string {
			if v.IsArray() && len(v.ArrayValue()) == 0 {
				return "empty list, want at least one subnet"
			}
			return ""
		}},
		{"taints", tfNodeGroup + ` taint.effect: enum.Validate[types.TaintEffect]`, func(v resource.PropertyValue) string {
			if !v.IsArray() {
				return ""
			}
			for _, t := range v.ArrayValue() {
				if !t.IsObject() {
					continue
				}
				if e, ok := t.ObjectValue()["effect"]; ok && !e.ContainsUnknowns() {
					if r := oneOf("NO_SCHEDULE", "NO_EXECUTE", "PREFER_NO_SCHEDULE")(e); r != "" {
						return r
					}
				}
			}
			return ""
		}},
	},
	"aws:eks/addon:Addon": {
		{"resolveConflictsOnCreate", tfAddon + ` resolve_conflicts_on_create: StringInSlice(ResolveConflictsNone, ResolveConflictsOverwrite)`, oneOf("NONE", "OVERWRITE")},
		{"resolveConflictsOnUpdate", tfAddon + ` resolve_conflicts_on_update: enum.Validate[types.ResolveConflicts]`, oneOf("NONE", "OVERWRITE", "PRESERVE")},
	},
	"aws:ec2/launchTemplate:LaunchTemplate": {
		{"metadataOptions.httpTokens", tfLaunchTemplate + ` http_tokens: enum.Validate[awstypes.LaunchTemplateHttpTokensState]`, oneOf("optional", "required")},
		{"metadataOptions.httpEndpoint", tfLaunchTemplate + ` http_endpoint: enum.Validate[awstypes.LaunchTemplateInstanceMetadataEndpointState]`, oneOf("enabled", "disabled")},
		{"metadataOptions.httpPutResponseHopLimit", tfLaunchTemplate + ` http_put_response_hop_limit: IntBetween(1, 64)`, intBetween(1, 64)},
	},
	"aws:eks/cluster:Cluster": {
		{"enabledClusterLogTypes", "terraform-provider-aws internal/service/eks/cluster.go enabled_cluster_log_types: enum.Validate[types.LogType]",
			eachOneOf("api", "audit", "authenticator", "controllerManager", "scheduler")},
		{"accessConfig.authenticationMode", "terraform-provider-aws internal/service/eks/cluster.go authentication_mode: enum.Validate[types.AuthenticationMode]",
			oneOf("API", "API_AND_CONFIG_MAP", "CONFIG_MAP")},
	},
	"aws:iam/role:Role": {
		{"name", tfRole + ` name: StringLenBetween(1, 64)`, maxLen(64)},
		{"namePrefix", tfRole + ` name_prefix: StringLenBetween(1, 64-id.UniqueIDSuffixLength)`, maxLen(38)},
	},
}

// blockDeviceRules apply to every launch-template block device mapping.
var blockDeviceRules = []valueRule{
	{"ebs.volumeType", tfLaunchTemplate + ` ebs.volume_type: enum.Validate[awstypes.VolumeType]`, oneOf("standard", "io1", "io2", "gp2", "sc1", "st1", "gp3")},
	{"ebs.encrypted", tfLaunchTemplate + ` ebs.encrypted: verify.ValidTypeStringNullableBoolean`, boolString},
	{"ebs.deleteOnTermination", tfLaunchTemplate + ` ebs.delete_on_termination: verify.ValidTypeStringNullableBoolean`, boolString},
}

// checkBlockDevices applies blockDeviceRules to each mapping of a launch template.
func checkBlockDevices(props resource.PropertyMap) []inputProblem {
	v, ok := props["blockDeviceMappings"]
	if !ok || !v.IsArray() {
		return nil
	}
	var out []inputProblem
	for i, m := range v.ArrayValue() {
		if !m.IsObject() {
			continue
		}
		for _, rule := range blockDeviceRules {
			e, ok := ValueAt(m.ObjectValue(), rule.path)
			if !ok || e.ContainsUnknowns() {
				continue
			}
			if reason := rule.check(e); reason != "" {
				out = append(out, inputProblem{fmt.Sprintf("blockDeviceMappings[%d].%s", i, rule.path), reason + " (" + rule.source + ")"})
			}
		}
	}
	return out
}
