package engine

import (
	"os/exec"
	"testing"
)

// languageHostBuildArgs are the arguments of the `go` command with which Pulumi's Go language
// host builds a program for `pulumi preview`/`up`, a policy pack and a source-based plugin such
// as provider/: `go build -buildvcs=false -o <binary> -trimpath -ldflags "-w -s"`, run in the
// program's directory with the host's environment (compileProgram in pulumi/pulumi
// sdk/go/pulumi-language-go/main.go; version and lines in docs/build-cache.md). The tests
// build their binaries the same way, so a binary is the one the CLI would run, and its packages
// come from the build cache the README's test command (`go test -trimpath`) filled.
func languageHostBuildArgs(binary string) []string {
	return []string{"build", "-buildvcs=false", "-o", binary, "-trimpath", "-ldflags", "-w -s"}
}

// buildLikeTheLanguageHost builds the main package in dir into binary as the Go language host
// would.
func buildLikeTheLanguageHost(t *testing.T, dir, binary string) {
	t.Helper()
	cmd := exec.Command("go", languageHostBuildArgs(binary)...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go %v in %s: %v\n%s", languageHostBuildArgs(binary), dir, err, out)
	}
}
