package podidentity

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/eks-cilium/eks-cilium/awsnames"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// registration is one resource the code under test registered.
type registration struct {
	typ, name string
	inputs    resource.PropertyMap
	deps      []string
}

// recorder answers registrations like a preview and records them.
type recorder struct {
	mu   sync.Mutex
	regs []registration
}

func (r *recorder) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	reg := registration{typ: args.TypeToken, name: args.Name, inputs: args.Inputs}
	if args.RegisterRPC != nil {
		reg.deps = args.RegisterRPC.GetDependencies()
	}
	r.mu.Lock()
	r.regs = append(r.regs, reg)
	r.mu.Unlock()
	outs := args.Inputs.Copy()
	if args.TypeToken == "aws:iam/role:Role" {
		outs["arn"] = resource.NewProperty("arn:aws:iam::111122223333:role/" + args.Name)
		outs["name"] = resource.NewProperty(args.Name + "-abc1234")
	}
	return args.Name + "-id", outs, nil
}

func (r *recorder) Call(pulumi.MockCallArgs) (resource.PropertyMap, error) {
	return resource.PropertyMap{}, nil
}

func (r *recorder) find(t *testing.T, typ string) registration {
	t.Helper()
	var found []registration
	for _, reg := range r.regs {
		if reg.typ == typ {
			found = append(found, reg)
		}
	}
	if len(found) != 1 {
		t.Fatalf("want one %s, registered %d", typ, len(found))
	}
	return found[0]
}

func run(t *testing.T, program pulumi.RunFunc) (*recorder, error) {
	t.Helper()
	rec := &recorder{}
	err := pulumi.RunErr(program, pulumi.WithMocks("eks-cilium", "test", rec), func(info *pulumi.RunInfo) { info.DryRun = false })
	return rec, err
}

func str(t *testing.T, m resource.PropertyMap, key string) string {
	t.Helper()
	v, ok := m[resource.PropertyKey(key)]
	if !ok || !v.IsString() {
		t.Fatalf("input %s = %v, want a string", key, v)
	}
	return v.StringValue()
}

func hasDep(deps []string, typ, name string) bool {
	for _, d := range deps {
		u := resource.URN(d)
		if string(u.Type()) == typ && u.Name() == name {
			return true
		}
	}
	return false
}

func TestServiceAccountRole_IsAssumedOnlyByPodIdentityForItsServiceAccount(t *testing.T) {
	rec, err := run(t, func(ctx *pulumi.Context) error {
		agent, err := NewAgent(ctx, "agent", &AgentArgs{ClusterName: pulumi.String("c")})
		if err != nil {
			return err
		}
		_, err = NewServiceAccountRole(ctx, "c-lbc", &ServiceAccountRoleArgs{
			ClusterName: pulumi.String("c"), Namespace: "kube-system", ServiceAccount: "aws-load-balancer-controller",
			PolicyDocument: pulumi.String(`{"Version":"2012-10-17","Statement":[]}`), Agent: agent,
		})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	role := rec.find(t, "aws:iam/role:Role")
	var trust struct {
		Statement []struct {
			Effect    string
			Principal map[string]string
			Action    []string
		}
	}
	if err := json.Unmarshal([]byte(str(t, role.inputs, "assumeRolePolicy")), &trust); err != nil {
		t.Fatal(err)
	}
	if len(trust.Statement) != 1 {
		t.Fatalf("trust policy has %d statements, want 1", len(trust.Statement))
	}
	s := trust.Statement[0]
	if s.Effect != "Allow" || s.Principal["Service"] != "pods.eks.amazonaws.com" ||
		strings.Join(s.Action, ",") != "sts:AssumeRole,sts:TagSession" {
		t.Errorf("trust statement %+v, want pods.eks.amazonaws.com allowed sts:AssumeRole and sts:TagSession", s)
	}
	if role.name != "c-lbc" {
		t.Errorf("role resource name %q, want the component's name (the IAM autoname prefix)", role.name)
	}

	policy := rec.find(t, "aws:iam/rolePolicy:RolePolicy")
	if got := str(t, policy.inputs, "policy"); got != `{"Version":"2012-10-17","Statement":[]}` {
		t.Errorf("inline policy %s, want the document given", got)
	}
	if got := str(t, policy.inputs, "role"); got != "c-lbc-abc1234" {
		t.Errorf("inline policy is on role %q, want the role created", got)
	}

	assoc := rec.find(t, "aws:eks/podIdentityAssociation:PodIdentityAssociation")
	for key, want := range map[string]string{"clusterName": "c", "namespace": "kube-system",
		"serviceAccount": "aws-load-balancer-controller", "roleArn": "arn:aws:iam::111122223333:role/c-lbc"} {
		if got := str(t, assoc.inputs, key); got != want {
			t.Errorf("association %s = %q, want %q", key, got, want)
		}
	}
	if !hasDep(assoc.deps, "aws:iam/rolePolicy:RolePolicy", "c-lbc") || !hasDep(assoc.deps, "aws:eks/addon:Addon", "agent") {
		t.Errorf("association depends on %v, want the inline policy and the agent addon", assoc.deps)
	}
}

func TestAgent_IsTheEksPodIdentityAgentAddonAfterWhatItWaitsFor(t *testing.T) {
	rec, err := run(t, func(ctx *pulumi.Context) error {
		ng, err := NewAgent(ctx, "first", &AgentArgs{ClusterName: pulumi.String("c"), AddonVersion: "v1.3.8-eksbuild.2"})
		if err != nil {
			return err
		}
		_, err = NewAgent(ctx, "second", &AgentArgs{ClusterName: pulumi.String("c"), DependsOn: []pulumi.Resource{ng}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var second registration
	for _, reg := range rec.regs {
		if reg.typ != "aws:eks/addon:Addon" {
			t.Errorf("NewAgent registered a %s", reg.typ)
			continue
		}
		if str(t, reg.inputs, "addonName") != AgentAddonName {
			t.Errorf("%s installs addon %q", reg.name, str(t, reg.inputs, "addonName"))
		}
		if reg.name == "first" && str(t, reg.inputs, "addonVersion") != "v1.3.8-eksbuild.2" {
			t.Errorf("the pinned version was not passed: %v", reg.inputs)
		}
		if reg.name == "second" {
			second = reg
			if _, pinned := reg.inputs["addonVersion"]; pinned {
				t.Errorf("no version given, but addonVersion is set: %v", reg.inputs["addonVersion"])
			}
		}
	}
	if !hasDep(second.deps, "aws:eks/addon:Addon", "first") {
		t.Errorf("second agent depends on %v, want the resource given in DependsOn", second.deps)
	}
}

func TestServiceAccountRole_RefusesBadArgsBeforeRegisteringAnything(t *testing.T) {
	policy := pulumi.String("{}")
	for _, tc := range []struct {
		name, want string
		args       *ServiceAccountRoleArgs
	}{
		{"c-lbc", "required", &ServiceAccountRoleArgs{ClusterName: pulumi.String("c"), Namespace: "kube-system", PolicyDocument: policy}},
		{"c-lbc", "required", &ServiceAccountRoleArgs{Namespace: "kube-system", ServiceAccount: "sa", PolicyDocument: policy}},
		{"c-lbc", "required", nil},
		{strings.Repeat("x", MaxRoleResourceName+1), "exceed 64", &ServiceAccountRoleArgs{ClusterName: pulumi.String("c"),
			Namespace: "kube-system", ServiceAccount: "sa", PolicyDocument: policy}},
	} {
		rec, err := run(t, func(ctx *pulumi.Context) error {
			_, err := NewServiceAccountRole(ctx, tc.name, tc.args)
			return err
		})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %+v: error %v, want %q", tc.name, tc.args, err, tc.want)
		}
		if len(rec.regs) != 0 {
			t.Errorf("%+v: registered %d resources before refusing", tc.args, len(rec.regs))
		}
	}
	rec, err := run(t, func(ctx *pulumi.Context) error {
		_, err := NewServiceAccountRole(ctx, strings.Repeat("x", MaxRoleResourceName), &ServiceAccountRoleArgs{
			ClusterName: pulumi.String("c"), Namespace: "kube-system", ServiceAccount: "sa", PolicyDocument: policy})
		return err
	})
	if err != nil || len(rec.regs) == 0 {
		t.Errorf("a %d-character name (the longest that fits) was refused: %v", MaxRoleResourceName, err)
	}
	if _, err := run(t, func(ctx *pulumi.Context) error {
		_, err := NewAgent(ctx, "agent", &AgentArgs{})
		return err
	}); err == nil {
		t.Error("NewAgent without ClusterName registered an addon")
	}
}

// The validation that runs before anything is registered must refuse exactly the names this
// constructor refuses.
func TestMaxRoleResourceName_IsTheLimitTheRulesCheck(t *testing.T) {
	if want := awsnames.IAMRoleMax - awsnames.AutonameSuffix; MaxRoleResourceName != want {
		t.Errorf("MaxRoleResourceName %d, awsnames allows %d", MaxRoleResourceName, want)
	}
}
