package repair

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/eks-cilium/eks-cilium/repair/triage"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
)

// deadPid is the pid of a process that has ended.
func deadPid(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}

// livePulumi starts a process whose program is named pulumi (a copy of sleep) and stops it
// when the test ends.
func livePulumi(t *testing.T) int {
	t.Helper()
	cmd := exec.Command(copyProgram(t, "sleep", t.TempDir(), "pulumi"), "60")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return cmd.Process.Pid
}

// fakeS3 is an S3 server in the test's process (gofakes3, in memory), spoken to over HTTP
// with the AWS SDK as any S3 client does. The AWS SDK gets static credentials from the
// environment and nothing from the machine: no shared config or credentials file, no
// instance metadata.
type fakeS3 struct {
	endpoint string
	mem      *s3mem.Backend
}

func startS3(t *testing.T) *fakeS3 {
	t.Helper()
	mem := s3mem.New()
	srv := httptest.NewServer(gofakes3.New(mem).Server())
	t.Cleanup(srv.Close)
	nothing := filepath.Join(t.TempDir(), "none")
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID":           "AKIAREPAIRTEST",
		"AWS_SECRET_ACCESS_KEY":       "repair-test-secret",
		"AWS_SESSION_TOKEN":           "",
		"AWS_PROFILE":                 "",
		"AWS_REGION":                  "",
		"AWS_EC2_METADATA_DISABLED":   "true",
		"AWS_CONFIG_FILE":             nothing,
		"AWS_SHARED_CREDENTIALS_FILE": nothing,
	} {
		t.Setenv(k, v)
	}
	return &fakeS3{endpoint: srv.URL, mem: mem}
}

// bucket creates a bucket and returns the backend URL of it at prefix (as a platform team
// writes it for `pulumi login`: path-style requests to a custom endpoint, gocloud's query
// parameter names) and a function that writes an object at a key of the bucket, below the
// prefix as written out by the caller.
func (s *fakeS3) bucket(t *testing.T, name, prefix string) (string, func(key string, data []byte)) {
	t.Helper()
	if err := s.mem.CreateBucket(name); err != nil {
		t.Fatal(err)
	}
	u := "s3://" + name + prefix + "?endpoint=" + url.QueryEscape(s.endpoint) + "&region=eu-west-1&use_path_style=true"
	put := func(key string, data []byte) {
		t.Helper()
		if _, err := s.mem.PutObject(name, key, map[string]string{}, bytes.NewReader(data), int64(len(data)), nil); err != nil {
			t.Fatal(err)
		}
	}
	return u, put
}

// keys lists the objects of a bucket.
func (s *fakeS3) keys(t *testing.T, bucket string) []string {
	t.Helper()
	list, err := s.mem.ListBucket(bucket, &gofakes3.Prefix{}, gofakes3.ListBucketPage{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range list.Contents {
		out = append(out, c.Key)
	}
	return out
}

// lockBackend is a state backend a lock test writes lock files into: the URL repair is given
// and a function that writes an object at a key relative to where the CLI keeps its state
// (the backend's directory, or the bucket's prefix).
type lockBackend struct {
	name string
	open func(t *testing.T, s3 *fakeS3, n int) (backendURL string, put func(key string, data []byte))
}

var lockBackends = []lockBackend{
	{"file", func(t *testing.T, _ *fakeS3, _ int) (string, func(string, []byte)) {
		root := t.TempDir()
		return "file://" + root, func(key string, data []byte) {
			t.Helper()
			p := filepath.Join(root, filepath.FromSlash(key))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, data, 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}},
	{"s3 bucket", func(t *testing.T, s3 *fakeS3, n int) (string, func(string, []byte)) {
		return s3.bucket(t, fmt.Sprintf("state-%d", n), "")
	}},
	{"s3 bucket with a prefix", func(t *testing.T, s3 *fakeS3, n int) (string, func(string, []byte)) {
		u, put := s3.bucket(t, fmt.Sprintf("state-%d", n), "/platform/eks")
		// The CLI keeps its state below the URL's path (backend/diy/backend.go L289-298).
		return u, func(key string, data []byte) { put("platform/eks/"+key, data) }
	}},
}

// lockJSON is a lock file's content as the CLI writes it (backend/diy/lock.go: json.Marshal
// of lockContent).
func lockJSON(t *testing.T, pid int, user, host string) []byte {
	t.Helper()
	data, err := json.Marshal(map[string]any{
		"pid": pid, "username": user, "hostname": host,
		"timestamp": time.Date(2026, 12, 4, 11, 0, 0, 0, time.UTC).Format(time.RFC3339Nano),
	})
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func noStacks(context.Context) ([]auto.StackSummary, error) {
	return nil, errors.New("a DIY backend's lock is read from its lock files, not from the stack list")
}

func TestReadLock_TellsDeadLiveAndForeignHolders(t *testing.T) {
	host, _ := os.Hostname()
	const lockKey = "5f0c2b7e-9d4e-4c5b-a3f1-0b6c1e2d3f4a.json" // the CLI's: a UUID per backend instance (lock.go lockPath)
	type file struct {
		dir  string // under .pulumi/locks
		lock func(t *testing.T) []byte
	}
	tests := []struct {
		name  string
		files []file
		want  triage.LockState
		why   string
	}{
		{"no lock", nil, triage.LockNone, ""},
		{"a lock whose process ended", []file{{"organization/eks-cilium/dev",
			func(t *testing.T) []byte { return lockJSON(t, deadPid(t), "ci", host) }}},
			triage.LockDead, "no longer runs on this host"},
		{"a lock of a running pulumi", []file{{"organization/eks-cilium/dev",
			func(t *testing.T) []byte { return lockJSON(t, livePulumi(t), "me", host) }}},
			triage.LockLive, "is a running pulumi"},
		{"a lock whose pid now belongs to another program", []file{{"organization/eks-cilium/dev",
			func(t *testing.T) []byte { return lockJSON(t, os.Getpid(), "me", host) }}},
			triage.LockDead, "no longer runs"},
		{"a lock of another host", []file{{"organization/eks-cilium/dev",
			func(t *testing.T) []byte { return lockJSON(t, 1, "ci", "runner-"+host) }}},
			triage.LockUnknown, "cannot see whether it still runs"},
		{"a dead lock of this host beside a lock of another host", []file{
			{"organization/eks-cilium/dev", func(t *testing.T) []byte { return lockJSON(t, deadPid(t), "me", host) }},
			{"organization/eks-cilium/dev", func(t *testing.T) []byte { return lockJSON(t, 1, "ci", "runner-"+host) }}},
			triage.LockUnknown, "no longer runs on this host"},
		{"a lock in the legacy layout", []file{{"dev",
			func(t *testing.T) []byte { return lockJSON(t, deadPid(t), "ci", host) }}},
			triage.LockDead, "no longer runs"},
		{"another stack's lock", []file{{"organization/eks-cilium/prod",
			func(t *testing.T) []byte { return lockJSON(t, deadPid(t), "ci", host) }}},
			triage.LockNone, ""},
		{"another project's lock of a stack of the same name", []file{{"organization/other/dev",
			func(t *testing.T) []byte { return lockJSON(t, deadPid(t), "ci", host) }}},
			triage.LockNone, ""},
	}
	for _, b := range lockBackends {
		t.Run(b.name, func(t *testing.T) {
			s3 := startS3(t)
			for n, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					backendURL, put := b.open(t, s3, n)
					for i, f := range tt.files {
						put(fmt.Sprintf(".pulumi/locks/%s/%d%s", f.dir, i, lockKey[1:]), f.lock(t))
					}
					got, where, err := readLock(context.Background(), backendURL, "eks-cilium", "dev", noStacks)
					if err != nil {
						t.Fatal(err)
					}
					if got.State != tt.want || !strings.Contains(got.Why, tt.why) {
						t.Errorf("readLock = %v (%s; %s), want %v saying %q", got.State, got.Holder, got.Why, tt.want, tt.why)
					}
					if !strings.Contains(where, ".pulumi/locks/organization/eks-cilium/dev") {
						t.Errorf("readLock says it read %q, want the stack's lock directory named", where)
					}
				})
			}
		})
	}
}

// The stack may be given as the CLI takes it: dev, organization/dev, organization/project/dev
// (backend/diy/store.go L140-173).
func TestReadLock_FindsTheLockOfAQualifiedStackName(t *testing.T) {
	host, _ := os.Hostname()
	for _, stack := range []string{"dev", "organization/dev", "organization/eks-cilium/dev"} {
		t.Run(stack, func(t *testing.T) {
			root := t.TempDir()
			p := filepath.Join(root, ".pulumi", "locks", "organization", "eks-cilium", "dev", "a.json")
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, lockJSON(t, deadPid(t), "ci", host), 0o600); err != nil {
				t.Fatal(err)
			}
			got, _, err := readLock(context.Background(), "file://"+root, "eks-cilium", stack, noStacks)
			if err != nil || got.State != triage.LockDead {
				t.Errorf("readLock(%s) = %v, %v; want the dead lock", stack, got.State, err)
			}
		})
	}
}

// The URL's path is a prefix of every key in an S3 bucket: a lock outside it belongs to
// another state in the same bucket.
func TestReadLock_ReadsOnlyBelowTheURLsPrefix(t *testing.T) {
	host, _ := os.Hostname()
	s3 := startS3(t)
	tests := []struct {
		name, urlPath, key string
		want               triage.LockState
	}{
		{"at the prefix", "/teams/platform", "teams/platform/.pulumi/locks/organization/eks-cilium/dev/a.json", triage.LockDead},
		{"the prefix written with a trailing slash", "/teams/platform/", "teams/platform/.pulumi/locks/organization/eks-cilium/dev/a.json", triage.LockDead},
		{"at the bucket's root, the URL has a prefix", "/teams/platform", ".pulumi/locks/organization/eks-cilium/dev/a.json", triage.LockNone},
		{"under another prefix", "/teams/platform", "teams/data/.pulumi/locks/organization/eks-cilium/dev/a.json", triage.LockNone},
		{"under a prefix, the URL has none", "", "teams/platform/.pulumi/locks/organization/eks-cilium/dev/a.json", triage.LockNone},
		{"in a subdirectory of the lock directory", "", ".pulumi/locks/organization/eks-cilium/dev/old/a.json", triage.LockNone},
	}
	for n, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			backendURL, put := s3.bucket(t, fmt.Sprintf("prefix-%d", n), tt.urlPath)
			put(tt.key, lockJSON(t, deadPid(t), "ci", host))
			got, _, err := readLock(context.Background(), backendURL, "eks-cilium", "dev", noStacks)
			if err != nil {
				t.Fatal(err)
			}
			if got.State != tt.want {
				t.Errorf("readLock(%s) with %s = %v (%s), want %v", backendURL, tt.key, got.State, got.Why, tt.want)
			}
		})
	}
}

// Backend URLs written for gocloud's AWS SDK v1 driver keep working, as they do for the CLI
// (backend/diy/backend.go translateLegacyS3Params).
func TestTranslateLegacyS3_RewritesTheV1Parameters(t *testing.T) {
	tests := []struct {
		name, in string
		want     url.Values // nil: unchanged
		err      string
	}{
		{"v2 parameters", "s3://b/p?region=eu-west-1&use_path_style=true", nil, ""},
		{"a scheme-less endpoint", "s3://b?endpoint=minio:9000&region=us-east-1",
			url.Values{"endpoint": {"https://minio:9000"}, "region": {"us-east-1"}}, ""},
		{"disableSSL with a scheme-less endpoint", "s3://b?endpoint=minio:9000&disableSSL=true&s3ForcePathStyle=true",
			url.Values{"endpoint": {"http://minio:9000"}, "disable_https": {"true"}, "s3ForcePathStyle": {"true"}}, ""},
		{"disableSSL with an endpoint that names its scheme", "s3://b?endpoint=http://minio:9000&disableSSL=true",
			url.Values{"endpoint": {"http://minio:9000"}}, ""},
		{"disableSSL alone", "s3://b?disableSSL=false",
			url.Values{"disable_https": {"false"}}, ""},
		{"disableSSL that is no boolean", "s3://b?disableSSL=maybe", nil, "disableSSL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := translateLegacyS3(tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("translateLegacyS3(%s) = %s, %v; want an error naming %s", tt.in, got, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.want == nil {
				if got != tt.in {
					t.Errorf("translateLegacyS3(%s) = %s, want it unchanged", tt.in, got)
				}
				return
			}
			u, err := url.Parse(got)
			if err != nil {
				t.Fatal(err)
			}
			if u.Query().Encode() != tt.want.Encode() {
				t.Errorf("translateLegacyS3(%s) = %s, want the query %s", tt.in, got, tt.want.Encode())
			}
		})
	}
}

// A v1-era URL (scheme-less endpoint, disableSSL, s3ForcePathStyle) reaches the bucket.
func TestReadLock_ReadsAnS3BackendWithV1Parameters(t *testing.T) {
	host, _ := os.Hostname()
	s3 := startS3(t)
	_, put := s3.bucket(t, "legacy", "")
	put(".pulumi/locks/organization/eks-cilium/dev/a.json", lockJSON(t, deadPid(t), "ci", host))
	backendURL := "s3://legacy?endpoint=" + strings.TrimPrefix(s3.endpoint, "http://") + "&disableSSL=true&s3ForcePathStyle=true&region=eu-west-1"
	got, _, err := readLock(context.Background(), backendURL, "eks-cilium", "dev", noStacks)
	if err != nil || got.State != triage.LockDead {
		t.Errorf("readLock(%s) = %v, %v; want the dead lock", backendURL, got.State, err)
	}
}

func TestReadLock_SaysWhyABackendCannotBeRead(t *testing.T) {
	s3 := startS3(t)
	tests := []struct {
		name, url string
		want      []string
	}{
		{"a file backend whose directory is gone", "file://" + filepath.Join(t.TempDir(), "gone"),
			[]string{"opening the state backend file://"}},
		{"an S3 bucket that does not exist", "s3://nobucket?endpoint=" + url.QueryEscape(s3.endpoint) + "&region=eu-west-1&use_path_style=true",
			[]string{"s3://nobucket", "NoSuchBucket"}},
		{"an S3 URL with a parameter gocloud does not know", "s3://b?endpoint=" + url.QueryEscape(s3.endpoint) + "&regoin=eu-west-1",
			[]string{"opening the state backend s3://b", "regoin"}},
		{"a lock file that is not a lock", "", []string{"lock .pulumi/locks/organization/eks-cilium/dev/a.json"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			backendURL := tt.url
			if backendURL == "" {
				var put func(string, []byte)
				backendURL, put = s3.bucket(t, "garbled", "")
				put(".pulumi/locks/organization/eks-cilium/dev/a.json", []byte("not json"))
			}
			_, _, err := readLock(context.Background(), backendURL, "eks-cilium", "dev", noStacks)
			if err == nil {
				t.Fatalf("readLock(%s) = no error", backendURL)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("readLock(%s) = %v, want it to say %q", backendURL, err, w)
				}
			}
		})
	}
}

func TestReadLock_RefusesBackendsItCannotRead(t *testing.T) {
	for _, backendURL := range []string{
		"gs://acme-pulumi-state/eks",
		"azblob://pulumi-state?storage_account=acme",
		"postgres://pulumi:hunter2@db.internal:5432/pulumi",
	} {
		t.Run(backendURL, func(t *testing.T) {
			_, _, err := readLock(context.Background(), backendURL, "eks-cilium", "dev", noStacks)
			if err == nil {
				t.Fatal("readLock = no error, want a refusal")
			}
			msg := err.Error()
			scheme, _, _ := strings.Cut(backendURL, "://")
			for _, want := range []string{scheme + "://", "file://", "s3://", "https://", "pulumi cancel -s dev", "pulumi stack export -s dev"} {
				if !strings.Contains(msg, want) {
					t.Errorf("refusal %q does not say %q", msg, want)
				}
			}
			if strings.Contains(msg, "hunter2") {
				t.Errorf("refusal %q shows the backend's password", msg)
			}
		})
	}
}

func TestFileBucketURL_ResolvesThePathAsTheCLIDoes(t *testing.T) {
	usr, err := user.Current()
	if err != nil {
		t.Skip(err)
	}
	cwd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ in, want string }{
		{"file:///var/lib/pulumi", "file:///var/lib/pulumi"},
		{"file://~", "file://" + usr.HomeDir},
		{"file://~/.pulumi-state", "file://" + filepath.Join(usr.HomeDir, ".pulumi-state")},
		{"file://state", "file://" + filepath.Join(cwd, "state")},
		{"file:///var/lib/pulumi?no_tmp_dir=true", "file:///var/lib/pulumi?no_tmp_dir=true"},
	}
	for _, tt := range tests {
		if got, err := fileBucketURL(tt.in); err != nil || got != tt.want {
			t.Errorf("fileBucketURL(%s) = %s, %v; want %s", tt.in, got, err, tt.want)
		}
	}
}

// The decision for the Pulumi service, from what `pulumi stack ls --json` answers. Not
// verified against the real service (none is reachable here): the answers are written as the
// CLI prints them (cmd/pulumi/stack/stack_list.go, stackSummaryJSON).
func TestServiceLock_DecidesFromTheStackList(t *testing.T) {
	const console = "https://app.pulumi.com/acme/eks-cilium/dev"
	list := func(js string) []auto.StackSummary {
		var s []auto.StackSummary
		if err := json.Unmarshal([]byte(js), &s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	tests := []struct {
		name, stack, list string
		want              triage.LockState
		holder, err       string
	}{
		{"an update in progress", "dev",
			`[{"name":"dev","current":true,"updateInProgress":true,"resourceCount":69,"url":"` + console + `"}]`,
			triage.LockUnknown, console, ""},
		{"no update in progress", "dev",
			`[{"name":"dev","current":true,"lastUpdate":"2026-12-04T11:00:00.000Z","updateInProgress":false,"resourceCount":69}]`,
			triage.LockNone, "", ""},
		{"never updated (no updateInProgress)", "dev", `[{"name":"dev","current":true}]`, triage.LockNone, "", ""},
		{"another stack's update in progress", "dev",
			`[{"name":"dev","updateInProgress":false},{"name":"prod","updateInProgress":true}]`, triage.LockNone, "", ""},
		{"the list names the organization, the stack is given bare", "dev",
			`[{"name":"acme/dev","updateInProgress":true}]`, triage.LockUnknown, "an update on the Pulumi service", ""},
		{"the stack given fully qualified, the list elides the organization", "acme/eks-cilium/dev",
			`[{"name":"dev","updateInProgress":true}]`, triage.LockUnknown, "", ""},
		{"two organizations' stacks of the name, the current one chosen", "dev",
			`[{"name":"acme/dev","updateInProgress":false,"current":true},{"name":"other/dev","updateInProgress":true}]`, triage.LockNone, "", ""},
		{"the other organization's stack asked for", "other/dev",
			`[{"name":"acme/dev","updateInProgress":false},{"name":"other/dev","updateInProgress":true}]`, triage.LockUnknown, "", ""},
		{"two organizations' stacks of the name, none current", "dev",
			`[{"name":"acme/dev"},{"name":"other/dev"}]`, 0, "", "ambiguous"},
		{"the stack is not listed", "dev", `[{"name":"prod"}]`, 0, "", "does not list stack dev"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := serviceLock(list(tt.list), tt.stack)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("serviceLock = %v, %v; want an error saying %q", got, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.State != tt.want || !strings.Contains(got.Holder, tt.holder) {
				t.Errorf("serviceLock = %v held by %q, want %v held by %q", got.State, got.Holder, tt.want, tt.holder)
			}
		})
	}
}

// An https:// backend is read through the stack list, and an update in progress there needs
// -force-unlock, after which repair clears it with `pulumi cancel`.
func TestReadLock_AsksThePulumiServiceAndNeedsForceUnlock(t *testing.T) {
	inProgress := func(context.Context) ([]auto.StackSummary, error) {
		return []auto.StackSummary{{Name: "dev", Current: true, UpdateInProgress: true}}, nil
	}
	for _, backendURL := range []string{"https://api.pulumi.com", "https://pulumi.internal.example.com", "http://localhost:8080"} {
		lock, where, err := readLock(context.Background(), backendURL, "eks-cilium", "dev", inProgress)
		if err != nil {
			t.Fatal(err)
		}
		if lock.State != triage.LockUnknown || !strings.Contains(where, "updateInProgress") {
			t.Errorf("readLock(%s) = %v from %q, want unknown from the stack list", backendURL, lock.State, where)
		}
	}
	lock, _, _ := readLock(context.Background(), "https://api.pulumi.com", "eks-cilium", "dev", inProgress)
	refused := triage.Decide(triage.Inputs{Stack: "dev", Lock: lock})
	if len(refused.Refusals) != 1 || !strings.Contains(refused.Refusals[0].WayForward, "-force-unlock") || refused.ClearLock {
		t.Errorf("without -force-unlock the plan is %+v, want the lock refused naming -force-unlock", refused)
	}
	forced := triage.Decide(triage.Inputs{Stack: "dev", Lock: lock, ForceUnlock: true})
	if len(forced.Refusals) != 0 || !forced.ClearLock {
		t.Errorf("with -force-unlock the plan is %+v, want the lock cleared", forced)
	}

	failing := func(context.Context) ([]auto.StackSummary, error) { return nil, errors.New("401 unauthorized") }
	if _, _, err := readLock(context.Background(), "https://api.pulumi.com", "eks-cilium", "dev", failing); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("readLock with a failing stack list = %v, want its error", err)
	}
}
