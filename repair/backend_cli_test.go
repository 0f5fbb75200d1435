package repair

import (
	"bytes"
	"context"
	"encoding/json"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/eks-cilium/eks-cilium/repair/triage"
	"github.com/johannesboyne/gofakes3"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// requirePulumi skips without the Pulumi CLI on PATH and fails without it under CI=true (CI
// puts the pinned CLI on PATH: `export PATH="$(scripts/install-pulumi-cli | tail -n 1):$PATH"`).
func requirePulumi(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("pulumi"); err == nil {
		return
	}
	msg := "the Pulumi CLI is not on PATH: export PATH=\"$(scripts/install-pulumi-cli | tail -n 1):$PATH\""
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// cliBackend is a backend the real CLI holds a lock in: its URL, and the lock files found
// there by looking at the storage itself (not through repair's reader), by key.
type cliBackend struct {
	name  string
	setup func(t *testing.T) (backendURL string, locks func() map[string][]byte)
}

var cliBackends = []cliBackend{
	{"file", func(t *testing.T) (string, func() map[string][]byte) {
		root := t.TempDir()
		return "file://" + root, func() map[string][]byte {
			files, _ := filepath.Glob(filepath.Join(root, ".pulumi", "locks", "*", "*", "*", "*.json"))
			out := map[string][]byte{}
			for _, f := range files {
				data, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				rel, _ := filepath.Rel(root, f)
				out[filepath.ToSlash(rel)] = data
			}
			return out
		}
	}},
	{"s3 with a prefix", func(t *testing.T) (string, func() map[string][]byte) {
		s3 := startS3(t)
		backendURL, _ := s3.bucket(t, "state", "/platform/eks")
		return backendURL, func() map[string][]byte {
			out := map[string][]byte{}
			for _, key := range s3.keys(t, "state") {
				if !strings.Contains(key, "/locks/") {
					continue
				}
				obj, err := s3.mem.GetObject("state", key, (*gofakes3.ObjectRangeRequest)(nil))
				if err != nil {
					t.Fatal(err)
				}
				var buf bytes.Buffer
				_, _ = buf.ReadFrom(obj.Contents)
				_ = obj.Contents.Close()
				out[key] = buf.Bytes()
			}
			return out
		}
	}},
}

// The real thing: the Pulumi CLI (v3.274.1) runs `pulumi up` against a file:// backend and
// against an S3 bucket (gofakes3 speaking the S3 protocol; the CLI opens it with the same
// gocloud as repair), and its program waits, so the CLI holds the stack's lock. repair sees
// the lock the CLI wrote, where the CLI wrote it: live while the CLI runs (and the command
// refuses), dead once the CLI is killed, gone after `pulumi cancel`.
func TestReadLock_SeesTheLockTheRealCLIWrites(t *testing.T) {
	requirePulumi(t)
	lockKey := regexp.MustCompile(`^(platform/eks/)?\.pulumi/locks/organization/repair-e2e/dev/[0-9a-f-]{36}\.json$`)
	for _, b := range cliBackends {
		t.Run(b.name, func(t *testing.T) {
			backendURL, locks := b.setup(t)
			env := map[string]string{
				"PULUMI_BACKEND_URL":                          backendURL,
				"PULUMI_CONFIG_PASSPHRASE":                    "repair-e2e",
				"PULUMI_HOME":                                 t.TempDir(),
				"PULUMI_SKIP_UPDATE_CHECK":                    "true",
				"PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()

			var startOnce, releaseOnce sync.Once
			started, release := make(chan struct{}), make(chan struct{})
			free := func() { releaseOnce.Do(func() { close(release) }) }
			program := func(*pulumi.Context) error {
				startOnce.Do(func() { close(started) })
				<-release
				return nil
			}
			stack, err := auto.UpsertStackInlineSource(ctx, "dev", "repair-e2e", program, auto.EnvVars(env))
			if err != nil {
				t.Fatalf("creating the stack with the real CLI: %v", err)
			}
			done := make(chan error, 1)
			upCtx, stopUp := context.WithCancel(ctx)
			go func() {
				_, err := stack.Up(upCtx)
				done <- err
			}()
			var cliPid int
			defer func() {
				// Stop the CLI and let the program return, also when the test failed halfway.
				if cliPid > 0 {
					killWithChildren(cliPid)
				}
				stopUp()
				free()
				if err := <-done; err != nil {
					t.Logf("pulumi up ended: %v", shorten(err.Error()))
				}
			}()
			select {
			case <-started:
			case err := <-done:
				t.Fatalf("pulumi up ended before its program ran: %v", err)
			case <-ctx.Done():
				t.Fatal("pulumi up never ran its program")
			}

			// The CLI's lock file, where and as the CLI wrote it.
			held := locks()
			if len(held) != 1 {
				t.Fatalf("lock files while pulumi up runs: %v, want one", keysOf(held))
			}
			for key, data := range held {
				if !lockKey.MatchString(key) {
					t.Errorf("the CLI wrote its lock at %s, want it matching %s", key, lockKey)
				}
				var l lockFile
				if err := json.Unmarshal(data, &l); err != nil {
					t.Fatalf("the CLI's lock %s: %v", key, err)
				}
				cliPid = l.Pid
			}
			if !pulumiRuns(cliPid) {
				t.Fatalf("the lock's pid %d is not a running pulumi", cliPid)
			}

			lock, _, err := readLock(ctx, backendURL, "repair-e2e", "dev", noStacks)
			if err != nil {
				t.Fatal(err)
			}
			if lock.State != triage.LockLive || !strings.Contains(lock.Why, "is a running pulumi") {
				t.Errorf("while pulumi up runs: readLock = %v (%s), want live", lock.State, lock.Why)
			}
			// The command itself: it reads the backend the CLI reports and refuses.
			var out bytes.Buffer
			code := Run(ctx, Options{Stack: "dev", Dir: stack.Workspace().WorkDir(), Env: env, Out: &out})
			redacted, _ := url.Parse(backendURL)
			for _, want := range []string{"Backend " + redacted.Redacted(), "lock read from the lock files under", "an update of stack dev is running", "Plugins: none left running on this host"} {
				if !strings.Contains(out.String(), want) {
					t.Errorf("repair while pulumi up runs says:\n%s\nwant it to say %q", out.String(), want)
				}
			}
			t.Logf("repair while pulumi up runs (lock %s):\n%s", keysOf(held), out.String())
			if code != ExitRefused {
				t.Errorf("repair while pulumi up runs exited %d, want %d (refused)", code, ExitRefused)
			}

			// A lost runner: the CLI is killed, its lock stays.
			killWithChildren(cliPid)
			free()
			select {
			case err := <-done:
				if err == nil {
					t.Error("pulumi up, its CLI killed, reported success")
				}
				done <- nil // for the deferred wait
				cliPid = 0  // reaped: its pid may be another process's now
			case <-ctx.Done():
				t.Fatal("pulumi up did not end after its CLI was killed")
			}
			if n := len(locks()); n != 1 {
				t.Fatalf("lock files after the CLI was killed: %d, want its lock left behind", n)
			}
			lock, _, err = readLock(ctx, backendURL, "repair-e2e", "dev", noStacks)
			if err != nil {
				t.Fatal(err)
			}
			if lock.State != triage.LockDead || !strings.Contains(lock.Why, "no longer runs on this host") {
				t.Errorf("after the CLI was killed: readLock = %v (%s), want dead", lock.State, lock.Why)
			}

			// What repair does with a dead lock: `pulumi cancel`.
			if err := stack.Cancel(ctx); err != nil {
				t.Fatalf("pulumi cancel: %v", err)
			}
			if left := locks(); len(left) != 0 {
				t.Errorf("lock files after pulumi cancel: %v, want none", keysOf(left))
			}
			lock, _, err = readLock(ctx, backendURL, "repair-e2e", "dev", noStacks)
			if err != nil || lock.State != triage.LockNone {
				t.Errorf("after pulumi cancel: readLock = %v, %v; want none", lock.State, err)
			}
		})
	}
}

func keysOf(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// killWithChildren kills a process and the processes it started (the Automation API starts
// the CLI in the test's own process group, so the group cannot be killed; a CLI that ran no
// resource started no plugin, but any it did start are stopped too).
func killWithChildren(pid int) {
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		if child, err := strconv.Atoi(e.Name()); err == nil && procParent(child) == pid {
			_ = syscall.Kill(child, syscall.SIGKILL)
		}
	}
	_ = syscall.Kill(pid, syscall.SIGKILL)
}

// shorten is the first line of a long message.
func shorten(s string) string {
	first, _, _ := strings.Cut(s, "\n")
	return first
}
