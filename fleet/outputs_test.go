package fleet

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// roundTrip passes a value through JSON, as stack outputs travel (numbers become float64).
func roundTrip(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestFromOutputs_ReadsBackWhatAMemberExports(t *testing.T) {
	m := members(t, fleetConfigs())[1]
	out := Outputs(m)
	out[FieldVpcID] = "vpc-0123456789abcdef0"
	out[FieldPeerings] = map[string]any{"apse1": "pcx-0123abcd"}
	out[FieldCACert] = "-----BEGIN CERTIFICATE-----"
	got, ok, err := FromOutputs("use1", roundTrip(t, out))
	if err != nil || !ok {
		t.Fatalf("FromOutputs: %v %v", ok, err)
	}
	want := m
	want.Source, want.Deployed = "stack use1 (deployed)", true
	want.Peerings = map[string]string{"apse1": "pcx-0123abcd"}
	want.CACert = "-----BEGIN CERTIFICATE-----"
	want.VpcID = "vpc-0123456789abcdef0"
	if !reflect.DeepEqual(got, want) {
		t.Errorf("read back\n%+v\nwant\n%+v", got, want)
	}
}

func TestFromOutputs_NotDeployedAndMalformed(t *testing.T) {
	if _, ok, err := FromOutputs("use1", nil); ok || err != nil {
		t.Errorf("no output: ok %v, err %v; want not deployed, no error", ok, err)
	}
	good := roundTrip(t, Outputs(members(t, fleetConfigs())[1])).(map[string]any)
	for name, tt := range map[string]struct {
		edit    func(map[string]any)
		mention string
	}{
		"ID as text":          {func(o map[string]any) { o["id"] = "2" }, "id"},
		"fractional ID":       {func(o map[string]any) { o["id"] = 2.5 }, "id"},
		"pod CIDR not a CIDR": {func(o map[string]any) { o["podCidrs"] = []any{"10.0.0.0"} }, "podCidrs[0]"},
		"no apiServer":        {func(o map[string]any) { delete(o, "apiServer") }, "apiServer"},
		"no VPC CIDR":         {func(o map[string]any) { delete(o, "vpcCidr") }, "vpcCidr"},
		"controller missing":  {func(o map[string]any) { delete(o, "loadBalancerController") }, "loadBalancerController"},
	} {
		t.Run(name, func(t *testing.T) {
			o := roundTrip(t, good).(map[string]any)
			tt.edit(o)
			_, ok, err := FromOutputs("use1", o)
			if ok || err == nil || !strings.Contains(err.Error(), tt.mention) || !strings.Contains(err.Error(), "stack use1") {
				t.Errorf("want an error naming stack use1 and %s, got ok=%v err=%v", tt.mention, ok, err)
			}
		})
	}
	if _, _, err := FromOutputs("use1", "text"); err == nil {
		t.Error("a string output was accepted")
	}
}

func TestNewCA_IsACAWhoseKeyMatches(t *testing.T) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	ca, err := NewCA(nil, now)
	if err != nil {
		t.Fatal(err)
	}
	if err := ca.Check(); err != nil {
		t.Fatalf("a new CA does not check: %v", err)
	}
	if got := ca.NotAfter(); !got.Equal(now.Add(CAValidity)) {
		t.Errorf("expires %v, want %v", got, now.Add(CAValidity))
	}
	other, err := NewCA(nil, now)
	if err != nil {
		t.Fatal(err)
	}
	if err := (CA{Cert: ca.Cert, Key: other.Key}).Check(); err == nil {
		t.Error("a CA with another CA's key checks")
	}
	read, ok, err := CAFromOutputs("euw1", roundTrip(t, ca.Outputs()))
	if err != nil || !ok || read != ca {
		t.Errorf("CAFromOutputs: %v %v", ok, err)
	}
	if _, _, err := CAFromOutputs("euw1", map[string]any{"cert": ca.Cert, "key": other.Key}); err == nil || !strings.Contains(err.Error(), "stack euw1") {
		t.Errorf("a mismatched key output: %v", err)
	}
}

func TestWire_LinksPendingAndTheCA(t *testing.T) {
	ms := members(t, fleetConfigs())
	euw1, use1, apse1 := ms[0], ms[1], ms[2]
	newCA := func() (CA, error) { return CA{Cert: "new"}, nil }
	peerCA := &CA{Cert: "mesh"}

	dep := func(m Member, edit func(*Member)) *Member {
		d := deployed(t, m)
		if edit != nil {
			edit(&d)
		}
		return &d
	}
	tests := []struct {
		name    string
		self    Member
		peers   []Peer
		own     *CA
		links   string // peer:request:peeringID, by ID
		pending []string
		ca      string
		created bool
	}{
		{"first member, nobody deployed", euw1,
			[]Peer{{Stack: "use1"}, {Stack: "apse1"}}, nil,
			"", []string{"peer apse1 is not deployed", "peer use1 is not deployed"}, "new", true},
		{"lowest ID requests from both", euw1,
			[]Peer{{Stack: "use1", Member: dep(use1, nil), CA: peerCA}, {Stack: "apse1", Member: dep(apse1, nil), CA: peerCA}}, &CA{Cert: "own"},
			"use1:true: apse1:true:", nil, "own", false},
		{"middle ID accepts what the lower requested", use1,
			[]Peer{{Stack: "euw1", Member: dep(euw1, func(m *Member) { m.Peerings = map[string]string{"use1": "pcx-1"} }), CA: peerCA}, {Stack: "apse1", Member: dep(apse1, nil), CA: peerCA}}, nil,
			"euw1:false:pcx-1 apse1:true:", nil, "mesh", false},
		{"highest ID waits for a request", apse1,
			[]Peer{{Stack: "euw1", Member: dep(euw1, nil), CA: peerCA}, {Stack: "use1", Member: dep(use1, func(m *Member) { m.Peerings = map[string]string{"apse1": "pcx-2"} }), CA: peerCA}}, nil,
			"euw1:false: use1:false:pcx-2", []string{"peer euw1 (id 1) has not requested the VPC peering"}, "mesh", false},
		{"a peer that does not list this stack is not wired", euw1,
			[]Peer{{Stack: "use1", Member: dep(use1, func(m *Member) { m.Peers = []string{"apse1"} }), CA: peerCA}}, nil,
			"", []string{"peer use1 does not list euw1"}, "mesh", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := Wire(tt.self, tt.peers, tt.own, newCA)
			if err != nil {
				t.Fatal(err)
			}
			var links []string
			for _, l := range w.Links {
				links = append(links, l.Peer.Stack+":"+boolText(l.Request)+":"+l.PeeringID)
			}
			if got := strings.Join(links, " "); got != tt.links {
				t.Errorf("links %q, want %q", got, tt.links)
			}
			if len(w.Pending) != len(tt.pending) {
				t.Fatalf("pending %q, want %d entries like %q", w.Pending, len(tt.pending), tt.pending)
			}
			for i, p := range tt.pending {
				if !strings.HasPrefix(w.Pending[i], p) {
					t.Errorf("pending[%d] = %q, want it to start with %q", i, w.Pending[i], p)
				}
			}
			if w.CA.Cert != tt.ca || w.Created != tt.created {
				t.Errorf("CA %q (created %v), want %q (%v)", w.CA.Cert, w.Created, tt.ca, tt.created)
			}
		})
	}
	if _, err := Wire(euw1, nil, nil, func() (CA, error) { return CA{}, errors.New("no entropy") }); err == nil {
		t.Error("a failed CA creation was not reported")
	}
}

func boolText(b bool) string {
	if b {
		return "true"
	}
	return "false"
}
