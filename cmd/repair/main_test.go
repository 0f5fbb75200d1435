package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/eks-cilium/eks-cilium/repair"
)

func TestRun_RefusesBadUsageBeforeTouchingAnything(t *testing.T) {
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
			if code := run(context.Background(), tt.args, &stdout, &stderr); code != repair.ExitUsage {
				t.Errorf("exit %d, want %d", code, repair.ExitUsage)
			}
			if !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("stderr %q, want it to say %q", stderr.String(), tt.want)
			}
		})
	}
}
