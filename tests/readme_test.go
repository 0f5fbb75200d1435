package tests

import (
	"os"
	"strings"
	"testing"
)

// TestReadme_GoExampleIsTheCompiledOne: the README's Go example is examples/go/main.go, which
// `go vet ./...` compiles, so the documented API cannot drift.
func TestReadme_GoExampleIsTheCompiledOne(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	example, err := os.ReadFile("../examples/go/main.go")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "```go\n"+string(example)+"```") {
		t.Error("README.md's Go example differs from examples/go/main.go; copy the file into the README")
	}
}

// TestReadme_TestCommandIsWhatCIRuns: .ci/run runs the README's test command verbatim.
func TestReadme_TestCommandIsWhatCIRuns(t *testing.T) {
	readme, _ := os.ReadFile("../README.md")
	ci, err := os.ReadFile("../.ci/run")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "\n"+readmeTestCommand+"\n") || !strings.Contains(string(ci), "\n"+readmeTestCommand+"\n") {
		t.Errorf("README.md and .ci/run must both run exactly %q", readmeTestCommand)
	}
}
