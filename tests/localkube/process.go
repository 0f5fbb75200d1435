package localkube

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Process is a program the harness started in a process group of its own, with its output
// in a log file. Stop ends the whole group; the test's cleanup stops it too, also on failure.
type Process struct {
	Name string
	Log  string // path of its combined stdout and stderr
	cmd  *exec.Cmd

	mu     sync.Mutex
	exited chan struct{}
	err    error
}

// StartProcess starts bin with args, env added to the test's environment, in a new process
// group; the kernel kills it if the test binary dies (Pdeathsig). It is stopped when the test
// ends.
func StartProcess(t testing.TB, name, logDir, bin string, args []string, env map[string]string) *Process {
	t.Helper()
	p, err := startProcess(name, logDir, bin, args, env)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Stop(10 * time.Second); err != nil {
			t.Errorf("stopping %s: %v", name, err)
		}
	})
	return p
}

// Launch is StartProcess for callers that stop the process themselves (goroutines, where a
// test may not call t.Fatal): nothing stops it at the end of the test but Stop and, should
// the test binary die, Pdeathsig.
func Launch(name, logDir, bin string, args []string, env map[string]string) (*Process, error) {
	return startProcess(name, logDir, bin, args, env)
}

func startProcess(name, logDir, bin string, args []string, env map[string]string) (*Process, error) {
	logPath := filepath.Join(logDir, name+".log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = os.Environ()
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("starting %s (%s): %w", name, bin, err)
	}
	p := &Process{Name: name, Log: logPath, cmd: cmd, exited: make(chan struct{})}
	go func() {
		err := cmd.Wait()
		logFile.Close()
		p.mu.Lock()
		p.err = err
		p.mu.Unlock()
		close(p.exited)
	}()
	return p, nil
}

// Pid is the process id (also its process group id).
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Exited reports whether the process has ended, and how.
func (p *Process) Exited() (bool, error) {
	select {
	case <-p.exited:
		p.mu.Lock()
		defer p.mu.Unlock()
		return true, p.err
	default:
		return false, nil
	}
}

// Stop sends SIGTERM to the process group, waits up to grace, then sends SIGKILL. Stopping a
// stopped process does nothing.
func (p *Process) Stop(grace time.Duration) error {
	if done, _ := p.Exited(); done {
		killGroup(p.Pid(), syscall.SIGKILL) // children that outlived their leader
		return nil
	}
	_ = syscall.Kill(-p.Pid(), syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(grace):
		killGroup(p.Pid(), syscall.SIGKILL)
		select {
		case <-p.exited:
		case <-time.After(10 * time.Second):
			return fmt.Errorf("%s (pid %d) did not exit after SIGKILL", p.Name, p.Pid())
		}
	}
	killGroup(p.Pid(), syscall.SIGKILL)
	return nil
}

func killGroup(pgid int, sig syscall.Signal) {
	if err := syscall.Kill(-pgid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		fmt.Fprintf(os.Stderr, "localkube: kill -%d -%d: %v\n", sig, pgid, err)
	}
}

// Tail is the end of the process's log, for failure messages.
func (p *Process) Tail(lines int) string {
	data, err := os.ReadFile(p.Log)
	if err != nil {
		return err.Error()
	}
	all := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, "\n")
}

// MarkerVar is the environment variable that tags every process a test starts through the
// Pulumi CLI: the CLI passes its environment to its plugins, and each plugin sits in a process
// group of its own, so a killed CLI leaves them running and only the tag finds them.
const MarkerVar = "EKS_CILIUM_TEST_RUN"

// Marker tags the processes of one test (the Pulumi CLI and the plugins it starts) so the
// test can find and kill them: to emulate a lost CI runner, and at the end of the test, so no
// process outlives it.
type Marker struct {
	id string
}

// NewMarker returns a fresh tag. When the test ends, every process still carrying it is killed
// and the test fails naming them (a test that kills the CLI on purpose kills them first).
func NewMarker(t testing.TB) *Marker {
	t.Helper()
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	m := &Marker{id: hex.EncodeToString(b)}
	t.Cleanup(func() {
		// The CLI ends its plugins a moment after it exits itself.
		deadline := time.Now().Add(15 * time.Second)
		for time.Now().Before(deadline) && len(m.Processes()) > 0 {
			time.Sleep(200 * time.Millisecond)
		}
		if left := m.Kill(); len(left) > 0 {
			t.Errorf("processes of the test were still running at its end and were killed: %s", strings.Join(left, ", "))
		}
	})
	return m
}

// Env is the environment that tags a process: pass it to the CLI (StackOptions.Env).
func (m *Marker) Env() map[string]string { return map[string]string{MarkerVar: m.id} }

// Processes lists "pid command" for every running process carrying the tag.
func (m *Marker) Processes() []string {
	want := []byte(MarkerVar + "=" + m.id + "\x00")
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	self := os.Getpid()
	var out []string
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		env, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err != nil || !bytes.Contains(append([]byte{0}, env...), append([]byte{0}, want...)) {
			continue
		}
		stat, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if fields := strings.Fields(string(stat)); len(fields) > 2 && fields[2] == "Z" {
			continue // a zombie is already dead; its parent reaps it
		}
		comm, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "comm"))
		out = append(out, fmt.Sprintf("%d %s", pid, strings.TrimSpace(string(comm))))
	}
	return out
}

// Kill sends SIGKILL to every process carrying the tag and returns what it killed.
func (m *Marker) Kill() []string {
	procs := m.Processes()
	for _, p := range procs {
		pid, _ := strconv.Atoi(strings.Fields(p)[0])
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	return procs
}
