package enginetest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pulumi/providertest/providers"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	rpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/emptypb"
)

// Call is one gRPC call the engine made to a fake provider.
type Call struct {
	Seq      int    // when the call arrived
	Done     int    // when the fake answered (a dependent starts only after this)
	Provider string // the fake: aws, eks, kubernetes
	Method   string
	Token    string // resource or function type
	Name     string // resource name (the last part of the URN)
	URN      string
	Preview  bool
	Err      string
	Inputs   resource.PropertyMap // of Create and Update; the deleted state of Delete
}

func (c Call) String() string {
	p := ""
	if c.Preview {
		p = " (preview)"
	}
	return fmt.Sprintf("#%d %s.%s %s %s%s", c.Seq, c.Provider, c.Method, c.Token, c.Name, p)
}

// CallLog records every call of every fake of one test, in arrival order.
type CallLog struct {
	mu    sync.Mutex
	next  int
	calls []Call
}

func (l *CallLog) start(c Call) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.next++
	c.Seq = l.next
	l.calls = append(l.calls, c)
	return len(l.calls) - 1
}

func (l *CallLog) setInputs(i int, inputs resource.PropertyMap) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls[i].Inputs = inputs
}

func (l *CallLog) finish(i int, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.next++
	l.calls[i].Done = l.next
	if err != nil {
		l.calls[i].Err = err.Error()
	}
}

// Since returns the calls after mark (a value of Len, taken before an operation).
func (l *CallLog) Since(mark int) []Call {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Call(nil), l.calls[mark:]...)
}

// Len is the number of calls so far.
func (l *CallLog) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.calls)
}

// Describe lists calls one a line, for failure messages.
func Describe(calls []Call) string {
	var b strings.Builder
	for _, c := range calls {
		fmt.Fprintf(&b, "  %s\n", c)
	}
	return b.String()
}

// Applied are the calls that changed (or tried to change) the fake cloud: Create, Update and
// Delete outside a preview.
func Applied(calls []Call) []Call {
	var out []Call
	for _, c := range calls {
		switch c.Method {
		case "Create", "Update", "Delete":
			if !c.Preview {
				out = append(out, c)
			}
		}
	}
	return out
}

// Fake is an in-process resource provider the engine attaches to through
// PULUMI_DEBUG_PROVIDERS. It checks inputs like the real provider (inputs.go), answers
// like the real provider would (ids, computed outputs, unknowns in preview), and logs every
// call. Behaviour specific to one provider is in its hooks.
type Fake struct {
	name    string // the package: aws, eks, kubernetes
	version string // the SDK version the program pins, reported as the plugin's
	log     *CallLog

	// outputs adds what the cloud computes on create (or, in preview, marks it unknown).
	outputs func(token, name string, inputs resource.PropertyMap, preview bool) resource.PropertyMap
	// autoname fills names the provider generates in Check (pulumi-aws auto-naming).
	autoname func(token, name string, olds, news resource.PropertyMap) resource.PropertyMap
	// invoke answers data-source calls.
	invoke func(token string, args resource.PropertyMap) (resource.PropertyMap, error)
	// read answers a Read of an existing object by id (the import of what a stack adopts):
	// its outputs and its inputs.
	read func(token, id string) (outputs, inputs resource.PropertyMap, err error)
	// construct builds a component (pulumi-eks).
	construct func(ctx context.Context, req *rpc.ConstructRequest, engine *grpc.ClientConn) (*rpc.ConstructResponse, error)
	// checkConfig checks the provider's own configuration.
	checkConfig func(news resource.PropertyMap) []inputProblem
	// takes is how long a Create of a type takes: the typical durations of docs/design.md at
	// 100 ms a minute, so a missing dependency shows as an overlap in the call log instead
	// of being hidden by instant answers.
	takes map[string]time.Duration

	mu     sync.Mutex
	failOn map[string]failure // "<method> <resource type>" -> how its Create or Update fails
	engine *grpc.ClientConn
}

var marshal = plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true, KeepResources: true, KeepOutputValues: true}

// failure is how a Create fails: the cloud's error, after the time the cloud took to give up.
type failure struct {
	msg   string
	after time.Duration
}

// FailCreate makes every later Create of a resource type fail with msg after the given time,
// as a cloud API would (EKS reports NodeCreationFailure only after waiting for the nodes).
func (f *Fake) FailCreate(token, msg string, after time.Duration) {
	f.fail("Create", token, msg, after)
}

// FailUpdate does the same for Updates; msg "" lets them succeed again.
func (f *Fake) FailUpdate(token, msg string, after time.Duration) {
	f.fail("Update", token, msg, after)
}

func (f *Fake) fail(method, token, msg string, after time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failOn == nil {
		f.failOn = map[string]failure{}
	}
	if msg == "" {
		delete(f.failOn, method+" "+token)
		return
	}
	f.failOn[method+" "+token] = failure{msg, after}
}

func (f *Fake) failure(method, token string) (failure, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fail, ok := f.failOn[method+" "+token]
	return fail, ok
}

// logged wraps one call in the call log.
func (f *Fake) logged(method, token, urn string, preview bool, run func(i int) error) error {
	name := ""
	if urn != "" {
		name = resource.URN(urn).Name()
	}
	i := f.log.start(Call{Provider: f.name, Method: method, Token: token, Name: name, URN: urn, Preview: preview})
	err := run(i)
	f.log.finish(i, err)
	return err
}

func (f *Fake) mocks() providers.ProviderMocks {
	return providers.ProviderMocks{
		Handshake: func(_ context.Context, in *rpc.ProviderHandshakeRequest) (*rpc.ProviderHandshakeResponse, error) {
			if err := f.dialEngine(in.GetEngineAddress()); err != nil {
				return nil, err
			}
			return &rpc.ProviderHandshakeResponse{AcceptSecrets: true, AcceptResources: true}, nil
		},
		Attach: func(_ context.Context, in *rpc.PluginAttach) (*emptypb.Empty, error) {
			return &emptypb.Empty{}, f.dialEngine(in.GetAddress())
		},
		GetPluginInfo: func(context.Context, *emptypb.Empty) (*rpc.PluginInfo, error) {
			return &rpc.PluginInfo{Version: f.version}, nil
		},
		CheckConfig: func(_ context.Context, in *rpc.CheckRequest) (*rpc.CheckResponse, error) {
			var resp *rpc.CheckResponse
			err := f.logged("CheckConfig", "pulumi:providers:"+f.name, in.GetUrn(), false, func(int) error {
				news, err := plugin.UnmarshalProperties(in.GetNews(), marshal)
				if err != nil {
					return err
				}
				resp = &rpc.CheckResponse{Inputs: in.GetNews()}
				if f.checkConfig != nil {
					resp.Failures = failures(f.checkConfig(news))
				}
				return nil
			})
			return resp, err
		},
		DiffConfig: func(_ context.Context, in *rpc.DiffRequest) (*rpc.DiffResponse, error) {
			return diff(in)
		},
		Configure: func(context.Context, *rpc.ConfigureRequest) (*rpc.ConfigureResponse, error) {
			// Like the bridged AWS provider and pulumi-kubernetes: Create runs in preview too,
			// so a preview shows the inputs and marks what the cloud computes as unknown.
			return &rpc.ConfigureResponse{AcceptSecrets: true, AcceptResources: true, SupportsPreview: true}, nil
		},
		Check: func(_ context.Context, in *rpc.CheckRequest) (*rpc.CheckResponse, error) {
			var resp *rpc.CheckResponse
			token := string(resource.URN(in.GetUrn()).Type())
			err := f.logged("Check", token, in.GetUrn(), false, func(int) error {
				var err error
				resp, err = f.check(token, in)
				return err
			})
			return resp, err
		},
		Diff: func(_ context.Context, in *rpc.DiffRequest) (*rpc.DiffResponse, error) {
			var resp *rpc.DiffResponse
			err := f.logged("Diff", string(resource.URN(in.GetUrn()).Type()), in.GetUrn(), false, func(int) error {
				var err error
				resp, err = diff(in)
				return err
			})
			return resp, err
		},
		Create: func(_ context.Context, in *rpc.CreateRequest) (*rpc.CreateResponse, error) {
			var resp *rpc.CreateResponse
			token := string(resource.URN(in.GetUrn()).Type())
			err := f.logged("Create", token, in.GetUrn(), in.GetPreview(), func(i int) error {
				inputs, err := plugin.UnmarshalProperties(in.GetProperties(), marshal)
				if err != nil {
					return err
				}
				f.log.setInputs(i, inputs)
				if fail, ok := f.failure("Create", token); ok && !in.GetPreview() {
					time.Sleep(fail.after)
					return fmt.Errorf("%s", fail.msg)
				}
				if !in.GetPreview() {
					time.Sleep(f.takes[token])
				}
				name := resource.URN(in.GetUrn()).Name()
				outs := f.outputs(token, name, inputs, in.GetPreview())
				props, err := plugin.MarshalProperties(outs, marshal)
				if err != nil {
					return err
				}
				resp = &rpc.CreateResponse{Properties: props}
				if !in.GetPreview() {
					resp.Id = fakeID(token, name)
				}
				return nil
			})
			return resp, err
		},
		Update: func(_ context.Context, in *rpc.UpdateRequest) (*rpc.UpdateResponse, error) {
			var resp *rpc.UpdateResponse
			token := string(resource.URN(in.GetUrn()).Type())
			err := f.logged("Update", token, in.GetUrn(), in.GetPreview(), func(i int) error {
				olds, err := plugin.UnmarshalProperties(in.GetOlds(), marshal)
				if err != nil {
					return err
				}
				oldInputs, err := plugin.UnmarshalProperties(in.GetOldInputs(), marshal)
				if err != nil {
					return err
				}
				news, err := plugin.UnmarshalProperties(in.GetNews(), marshal)
				if err != nil {
					return err
				}
				f.log.setInputs(i, news)
				if fail, ok := f.failure("Update", token); ok && !in.GetPreview() {
					time.Sleep(fail.after)
					return fmt.Errorf("%s", fail.msg)
				}
				// The program's inputs replace the old ones; what the cloud computed stays.
				outs := news.Copy()
				for k, v := range olds {
					_, wasInput := oldInputs[k]
					if _, isInput := news[k]; !isInput && !wasInput {
						outs[k] = v
					}
				}
				props, err := plugin.MarshalProperties(outs, marshal)
				resp = &rpc.UpdateResponse{Properties: props}
				return err
			})
			return resp, err
		},
		Delete: func(_ context.Context, in *rpc.DeleteRequest) (*emptypb.Empty, error) {
			err := f.logged("Delete", string(resource.URN(in.GetUrn()).Type()), in.GetUrn(), false, func(i int) error {
				state, err := plugin.UnmarshalProperties(in.GetProperties(), marshal)
				f.log.setInputs(i, state)
				return err
			})
			return &emptypb.Empty{}, err
		},
		Read: func(_ context.Context, in *rpc.ReadRequest) (*rpc.ReadResponse, error) {
			var resp *rpc.ReadResponse
			token := string(resource.URN(in.GetUrn()).Type())
			if len(in.GetProperties().GetFields()) > 0 {
				// A refresh: the fake cloud never drifts, so it reads back what was deployed.
				err := f.logged("Read", token, in.GetUrn(), false, func(int) error {
					resp = &rpc.ReadResponse{Id: in.GetId(), Properties: in.GetProperties(), Inputs: in.GetInputs()}
					return nil
				})
				return resp, err
			}
			// An import (or a get) by id, with no state yet: the hook answers for what exists.
			err := f.logged("Read", token, in.GetUrn(), false, func(i int) error {
				if f.read == nil {
					return fmt.Errorf("fake %s: no object %s %s to read", f.name, token, in.GetId())
				}
				outs, ins, err := f.read(token, in.GetId())
				if err != nil {
					return err
				}
				f.log.setInputs(i, ins)
				props, err := plugin.MarshalProperties(outs, marshal)
				if err != nil {
					return err
				}
				inputs, err := plugin.MarshalProperties(ins, marshal)
				resp = &rpc.ReadResponse{Id: in.GetId(), Properties: props, Inputs: inputs}
				return err
			})
			return resp, err
		},
		Invoke: func(_ context.Context, in *rpc.InvokeRequest) (*rpc.InvokeResponse, error) {
			var resp *rpc.InvokeResponse
			err := f.logged("Invoke", in.GetTok(), "", in.GetPreview(), func(int) error {
				if f.invoke == nil {
					return fmt.Errorf("fake %s: no invoke %s", f.name, in.GetTok())
				}
				args, err := plugin.UnmarshalProperties(in.GetArgs(), marshal)
				if err != nil {
					return err
				}
				out, err := f.invoke(in.GetTok(), args)
				if err != nil {
					return err
				}
				ret, err := plugin.MarshalProperties(out, marshal)
				resp = &rpc.InvokeResponse{Return: ret}
				return err
			})
			return resp, err
		},
		Construct: func(ctx context.Context, in *rpc.ConstructRequest) (*rpc.ConstructResponse, error) {
			var resp *rpc.ConstructResponse
			err := f.logged("Construct", in.GetType(), "", in.GetDryRun(), func(int) error {
				if f.construct == nil {
					return fmt.Errorf("fake %s: %s is not a component this fake constructs", f.name, in.GetType())
				}
				f.mu.Lock()
				engine := f.engine
				f.mu.Unlock()
				var err error
				resp, err = f.construct(ctx, in, engine)
				return err
			})
			return resp, err
		},
	}
}

func (f *Fake) dialEngine(addr string) error {
	if addr == "" {
		return nil
	}
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()), rpcutil.GrpcChannelOptions())
	if err != nil {
		return fmt.Errorf("fake %s: dialing the engine at %s: %w", f.name, addr, err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.engine = conn
	return nil
}

// check validates the inputs of one resource against the real provider's schema.
func (f *Fake) check(token string, in *rpc.CheckRequest) (*rpc.CheckResponse, error) {
	shapes, err := loadShapes()
	if err != nil {
		return nil, err
	}
	news, err := plugin.UnmarshalProperties(in.GetNews(), marshal)
	if err != nil {
		return nil, err
	}
	olds, err := plugin.UnmarshalProperties(in.GetOlds(), marshal)
	if err != nil {
		return nil, err
	}
	if f.autoname != nil {
		news = f.autoname(token, resource.URN(in.GetUrn()).Name(), olds, news)
	}
	if problems, ok := checkCustomResource(f.name, token, news); ok {
		if len(problems) > 0 {
			var failures []*rpc.CheckFailure
			for _, p := range problems {
				failures = append(failures, &rpc.CheckFailure{Property: p.property, Reason: p.reason})
			}
			return &rpc.CheckResponse{Failures: failures}, nil
		}
		inputs, err := plugin.MarshalProperties(news, marshal)
		if err != nil {
			return nil, err
		}
		return &rpc.CheckResponse{Inputs: inputs}, nil
	}
	shape, ok := shapes[token]
	if !ok {
		return &rpc.CheckResponse{Failures: []*rpc.CheckFailure{{Reason: fmt.Sprintf(
			"fake %s provider: no schema for %s; add its Args type to argsOf in tests/enginetest/inputs.go", f.name, token)}}}, nil
	}
	problems := checkShape(shape, news)
	if token == "aws:ec2/launchTemplate:LaunchTemplate" {
		problems = append(problems, checkBlockDevices(news)...)
	}
	inputs, err := plugin.MarshalProperties(news, marshal)
	if err != nil {
		return nil, err
	}
	return &rpc.CheckResponse{Inputs: inputs, Failures: failures(problems)}, nil
}

func failures(problems []inputProblem) []*rpc.CheckFailure {
	out := make([]*rpc.CheckFailure, len(problems))
	for i, p := range problems {
		out[i] = &rpc.CheckFailure{Property: p.property, Reason: p.reason}
	}
	return out
}

// diff compares the inputs of the last deployment with the new ones, property by property.
// The fakes never propose a replacement (the real providers replace on ForceNew properties).
func diff(in *rpc.DiffRequest) (*rpc.DiffResponse, error) {
	olds, err := plugin.UnmarshalProperties(in.GetOldInputs(), marshal)
	if err != nil {
		return nil, err
	}
	news, err := plugin.UnmarshalProperties(in.GetNews(), marshal)
	if err != nil {
		return nil, err
	}
	var changed []string
	keys := map[resource.PropertyKey]bool{}
	for k := range olds {
		keys[k] = true
	}
	for k := range news {
		keys[k] = true
	}
	for k := range keys {
		o, n := olds[k], news[k]
		if n.ContainsUnknowns() || !reflect.DeepEqual(Plain(o), Plain(n)) {
			changed = append(changed, string(k))
		}
	}
	sort.Strings(changed)
	resp := &rpc.DiffResponse{Changes: rpc.DiffResponse_DIFF_NONE, Diffs: changed}
	if len(changed) > 0 {
		resp.Changes = rpc.DiffResponse_DIFF_SOME
		resp.HasDetailedDiff = true
		resp.DetailedDiff = map[string]*rpc.PropertyDiff{}
		for _, k := range changed {
			resp.DetailedDiff[k] = &rpc.PropertyDiff{Kind: rpc.PropertyDiff_UPDATE, InputDiff: true}
		}
	}
	return resp, nil
}

// Plain strips secrets and output wrappers so equal values compare equal.
func Plain(v resource.PropertyValue) any {
	switch {
	case v.IsSecret():
		return Plain(v.SecretValue().Element)
	case v.IsOutput():
		return Plain(v.OutputValue().Element)
	case v.IsNull():
		return nil
	case v.IsArray():
		out := make([]any, len(v.ArrayValue()))
		for i, e := range v.ArrayValue() {
			out[i] = Plain(e)
		}
		return out
	case v.IsObject():
		out := map[string]any{}
		for k, e := range v.ObjectValue() {
			if !e.IsNull() {
				out[string(k)] = Plain(e)
			}
		}
		return out
	}
	return v.V
}

// fakeID is a stable id shaped like AWS's for the types whose id format is checked.
func fakeID(token, name string) string {
	sum := sha256.Sum256([]byte(token + "::" + name))
	h := hex.EncodeToString(sum[:])[:17]
	prefix := map[string]string{
		"aws:ec2/vpc:Vpc":                                     "vpc-",
		"aws:ec2/subnet:Subnet":                               "subnet-",
		"aws:ec2/internetGateway:InternetGateway":             "igw-",
		"aws:ec2/natGateway:NatGateway":                       "nat-",
		"aws:ec2/eip:Eip":                                     "eipalloc-",
		"aws:ec2/routeTable:RouteTable":                       "rtb-",
		"aws:ec2/routeTableAssociation:RouteTableAssociation": "rtbassoc-",
		"aws:ec2/vpcEndpoint:VpcEndpoint":                     "vpce-",
		"aws:ec2/launchTemplate:LaunchTemplate":               "lt-",
		"aws:ec2/securityGroup:SecurityGroup":                 "sg-",
		"aws:ec2/vpcPeeringConnection:VpcPeeringConnection":   "pcx-",
		// The accepter's id is the connection's (terraform-provider-aws
		// aws_vpc_peering_connection_accepter); here one of the same shape.
		"aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter": "pcx-",
		"aws:ec2transitgateway/vpcAttachment:VpcAttachment":                 "tgw-attach-",
	}[token]
	if prefix == "" {
		return strings.ToLower(name) + "-" + h[:8]
	}
	return prefix + h
}

// unknown is a value the cloud computes, as a preview shows it.
var unknown = resource.MakeComputed(resource.NewStringProperty(""))

// withComputed returns inputs plus computed outputs: known ones on create, unknown in preview.
func withComputed(inputs resource.PropertyMap, preview bool, computed map[string]any) resource.PropertyMap {
	outs := inputs.Copy()
	for k, v := range computed {
		key := resource.PropertyKey(k)
		if _, set := inputs[key]; set {
			continue
		}
		if preview {
			outs[key] = unknown
			continue
		}
		outs[key] = resource.NewPropertyValue(v)
	}
	return outs
}

// Fakes are the fake providers of one test and their shared call log.
type Fakes struct {
	Log        *CallLog
	AWS        *Fake
	EKS        *Fake
	Kubernetes *Fake  // nil when the real kubernetes provider runs (Options.RealKubernetes)
	Env        string // PULUMI_DEBUG_PROVIDERS: where the engine finds the fakes
}

// Options change what StartFakes serves.
type Options struct {
	// RealKubernetes leaves the kubernetes package out of the fakes: the engine then loads
	// its kubernetes plugin as it would outside the tests (from PATH or the plugin cache).
	RealKubernetes bool
	// Kubeconfig, when set, is the kubeconfig (an object in kubeconfig's schema) the fake EKS
	// cluster reports instead of pulumi-eks's `aws eks get-token` one: a real API server's.
	Kubeconfig map[string]any
	// Instant makes every Create answer at once instead of sleeping the typical durations,
	// for scenarios that check wiring rather than order and run many updates.
	Instant bool
}

type source string

func (s source) Source() string { return string(s) }

// StartFakes serves the fakes until the test ends.
func StartFakes(t testing.TB, opts Options) *Fakes {
	t.Helper()
	log := &CallLog{}
	fs := &Fakes{Log: log, AWS: newAwsFake(log), EKS: newEksFake(log, opts.Kubeconfig)}
	factories := map[providers.ProviderName]providers.ProviderFactory{
		"aws": providers.ProviderMockFactory(fs.AWS.mocks()),
		"eks": providers.ProviderMockFactory(fs.EKS.mocks()),
	}
	if !opts.RealKubernetes {
		fs.Kubernetes = newKubernetesFake(log)
		factories["kubernetes"] = providers.ProviderMockFactory(fs.Kubernetes.mocks())
	}
	if opts.Instant {
		fs.AWS.takes = map[string]time.Duration{}
		if fs.Kubernetes != nil {
			fs.Kubernetes.takes = map[string]time.Duration{}
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	ports, err := providers.StartProviders(ctx, factories, source(t.TempDir()))
	if err != nil {
		t.Fatalf("starting the fake providers: %v", err)
	}
	fs.Env = providers.GetDebugProvidersEnv(ports)
	return fs
}

// checkCustomResource handles objects of CRDs (Karpenter's NodePool and EC2NodeClass): the
// kubernetes provider's schema has no types for them, so the fake checks only what every
// CustomResource carries, apiVersion and kind matching the token. That is a floor, not the
// provider's own behaviour, which the fake does not reproduce; their spec is validated
// against the CRDs' own schemas and CEL rules in tests/chart.
func checkCustomResource(provider, token string, news resource.PropertyMap) ([]inputProblem, bool) {
	if provider != "kubernetes" {
		return nil, false
	}
	rest, ok := strings.CutPrefix(token, "kubernetes:")
	if !ok {
		return nil, false
	}
	groupVersion, kind, ok := strings.Cut(rest, ":")
	group, _, _ := strings.Cut(groupVersion, "/")
	if !ok || !strings.Contains(group, ".") || strings.HasSuffix(group, ".k8s.io") || group == "helm.sh" {
		return nil, false
	}
	var problems []inputProblem
	for key, want := range map[resource.PropertyKey]string{"apiVersion": groupVersion, "kind": kind} {
		if v := news[key]; !v.IsComputed() && (!v.IsString() || v.StringValue() != want) {
			problems = append(problems, inputProblem{string(key), fmt.Sprintf("%s must be %q for %s, got %v", key, want, token, v)})
		}
	}
	return problems, true
}
