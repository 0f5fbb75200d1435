package repair

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestMain_RefusesBadUsageBeforeTouchingAnything(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no stack", nil, "-stack is required"},
		{"an unknown flag", []string{"-stack", "dev", "-force"}, "flag provided but not defined: -force"},
		{"a stray argument", []string{"-stack", "dev", "now"}, `unexpected arguments ["now"]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := Main(context.Background(), tt.args, &stdout, &stderr); code != ExitUsage {
				t.Errorf("exit %d, want %d", code, ExitUsage)
			}
			if !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("stderr %q, want it to say %q", stderr.String(), tt.want)
			}
		})
	}
}

func TestParseArgs_ReadsEveryFlag(t *testing.T) {
	o, err := ParseArgs([]string{"-stack", "prod", "-yes", "-dir", "infra", "-force-unlock", "-clear-pending-creates"}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if o.Stack != "prod" || !o.Yes || o.Dir != "infra" || !o.ForceUnlock || !o.ClearPendingCreates {
		t.Errorf("ParseArgs = %+v", o)
	}
}
