//go:build unix

package tests

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// runDocCommand runs a documented command as written, in its own process group, and kills the
// whole group (go run's child included) when it outlives timeout. It returns the exit code,
// stdout and stderr.
func runDocCommand(dir string, env, args []string, timeout time.Duration) (int, string, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	// Whatever happened, leave nothing of the group behind (go run's child may outlive go).
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	if exit, ok := err.(*exec.ExitError); ok {
		return exit.ExitCode(), stdout.String(), stderr.String(), nil
	}
	if ctx.Err() != nil {
		return -1, stdout.String(), stderr.String(), ctx.Err()
	}
	return 0, stdout.String(), stderr.String(), err
}
