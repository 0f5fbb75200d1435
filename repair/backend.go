package repair

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/user"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/eks-cilium/eks-cilium/repair/triage"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"
	"gocloud.dev/blob/s3blob"
)

// The state backends repair reads the stack's lock from. Everything here mirrors the Pulumi
// CLI this project pins (github.com/pulumi/pulumi/pkg/v3 v3.274.1; the line numbers below are
// of that version), and gocloud.dev is pinned to the very version that CLI opens its buckets
// with (go.mod), so a backend URL means to repair what it means to `pulumi up`.

// lockFile is one lock of a DIY backend (pkg/v3 backend/diy/lock.go L39-44, lockContent:
// the update's pid, user, host and start; written as JSON by Lock, L130-144).
type lockFile struct {
	Pid       int       `json:"pid"`
	Username  string    `json:"username"`
	Hostname  string    `json:"hostname"`
	Timestamp time.Time `json:"timestamp"`
}

// listStacks is what the Pulumi CLI says of the project's stacks (`pulumi stack ls --json`,
// through the Automation API's Workspace.ListStacks).
type listStacks func(context.Context) ([]auto.StackSummary, error)

// readLock reads the stack's lock from the backend at backendURL (what `pulumi whoami`
// reports) and says where it read it:
//   - file:// and s3:// (the DIY backends): the lock files, read from the bucket the CLI
//     writes them to;
//   - http:// and https:// (Pulumi Cloud, a self-hosted Pulumi service): the service keeps
//     no lock files; the CLI's stack list says whether an update is in progress;
//   - anything else (gs://, azblob://, postgres://): refused, with the way to do it by hand.
func readLock(ctx context.Context, backendURL, project, stack string, stacks listStacks) (triage.Lock, string, error) {
	u, err := url.Parse(backendURL)
	if err != nil {
		return triage.Lock{}, "", errors.New("the backend URL `pulumi whoami` reports does not parse")
	}
	switch u.Scheme {
	case fileblob.Scheme, s3blob.Scheme:
		bucket, where, err := openStateBucket(ctx, backendURL)
		if err != nil {
			return triage.Lock{}, "", err
		}
		defer func() { _ = bucket.Close() }()
		lock, dirs, err := bucketLock(ctx, bucket, project, stack)
		if err != nil {
			return triage.Lock{}, "", fmt.Errorf("reading the lock of stack %s from %s: %w", stack, u.Redacted(), err)
		}
		return lock, fmt.Sprintf("the lock files under %s (%s)", where, strings.Join(dirs, ", ")), nil
	case "http", "https":
		summaries, err := stacks(ctx)
		if err != nil {
			return triage.Lock{}, "", fmt.Errorf("listing the stacks of the Pulumi service %s: %w", u.Redacted(), err)
		}
		lock, err := serviceLock(summaries, stack)
		if err != nil {
			return triage.Lock{}, "", err
		}
		return lock, "the service's stack list (`pulumi stack ls --json`, updateInProgress)", nil
	}
	return triage.Lock{}, "", fmt.Errorf("repair cannot read the lock of the backend %s: it reads file:// and s3:// backends (their lock files) "+
		"and the Pulumi service (https://, Pulumi Cloud or self-hosted); for this backend check by hand whether an update still runs, "+
		"then clear its lock with `pulumi cancel -s %s` and look for pending operations in `pulumi stack export -s %s`", u.Redacted(), stack, stack)
}

// openStateBucket opens the bucket a DIY backend keeps its state in, as the CLI does
// (backend/diy/backend.go newDIYBackend, L231-298): the URL is massaged first (a file:// path made
// absolute, v1-era s3:// parameters translated), opened through gocloud's URL mux (which
// also applies a `prefix` query parameter), and for every scheme but file:// the URL's path
// becomes a key prefix (L290-298: blob.PrefixedBucket with the path and a trailing "/").
func openStateBucket(ctx context.Context, backendURL string) (*blob.Bucket, string, error) {
	var blobURL string
	var err error
	switch {
	case strings.HasPrefix(backendURL, "file://"):
		blobURL, err = fileBucketURL(backendURL)
	default:
		blobURL, err = translateLegacyS3(backendURL)
	}
	if err != nil {
		return nil, "", fmt.Errorf("the backend URL %s: %w", redact(backendURL), err)
	}
	mux := new(blob.URLMux)
	mux.RegisterBucket(fileblob.Scheme, new(fileblob.URLOpener))
	mux.RegisterBucket(s3blob.Scheme, new(s3blob.URLOpener))
	bucket, err := mux.OpenBucket(ctx, blobURL)
	if err != nil {
		return nil, "", fmt.Errorf("opening the state backend %s: %w", redact(backendURL), err)
	}
	u, err := url.Parse(blobURL)
	if err != nil {
		_ = bucket.Close()
		return nil, "", err
	}
	where := u.Scheme + "://" + u.Host + u.Path
	if u.Scheme != fileblob.Scheme {
		if prefix := strings.TrimLeft(u.Path, "/"); prefix != "" {
			if !strings.HasSuffix(prefix, "/") {
				prefix += "/"
			}
			bucket = blob.PrefixedBucket(bucket, prefix)
		}
	}
	return bucket, where, nil
}

// fileBucketURL is the fileblob URL of a file:// backend, made as the CLI makes it
// (backend/diy/backend.go massageBlobPath, L620-691): the query taken off, a leading `~`
// expanded to the home directory (L657-668), the path made absolute (fileblob needs it,
// L678), the query put back. The CLI also sets no_tmp_dir, which matters only for writes.
func fileBucketURL(backendURL string) (string, error) {
	p, query, _ := strings.Cut(strings.TrimPrefix(backendURL, "file://"), "?")
	if strings.HasPrefix(p, "~") {
		usr, err := user.Current()
		if err != nil {
			return "", fmt.Errorf("resolving `~`: %w", err)
		}
		if p == "~" {
			p = usr.HomeDir
		} else {
			p = filepath.Join(usr.HomeDir, p[2:])
		}
	}
	p, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	out := "file://" + filepath.ToSlash(p)
	if query != "" {
		out += "?" + query
	}
	return out, nil
}

// translateLegacyS3 rewrites the s3:// parameters of gocloud's AWS SDK v1 driver that the
// v2 driver rejects, as the CLI does before opening the bucket (backend/diy/backend.go
// translateLegacyS3Params, L693-754): `disableSSL` becomes `disable_https` (dropped when the
// endpoint names its scheme), and an endpoint without a scheme gets http:// (disableSSL
// true) or https://. The CLI also defaults request_checksum_calculation to when_required for
// such endpoints; that setting governs uploads only, and repair uploads nothing.
func translateLegacyS3(backendURL string) (string, error) {
	u, err := url.Parse(backendURL)
	if err != nil {
		return "", err
	}
	q := u.Query()
	changed := false
	disableSSL := false
	if values, ok := q["disableSSL"]; ok {
		if disableSSL, err = strconv.ParseBool(values[len(values)-1]); err != nil {
			return "", fmt.Errorf("query parameter disableSSL: %w", err)
		}
		q.Del("disableSSL")
		if !strings.Contains(q.Get("endpoint"), "://") {
			q.Set("disable_https", strconv.FormatBool(disableSSL))
		}
		changed = true
	}
	if endpoint := q.Get("endpoint"); endpoint != "" && !strings.Contains(endpoint, "://") {
		scheme := "https://"
		if disableSSL {
			scheme = "http://"
		}
		q.Set("endpoint", scheme+endpoint)
		changed = true
	}
	if !changed {
		return backendURL, nil
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// lockDirs are the directories a DIY backend keeps the stack's lock files in, relative to
// the bucket (backend/diy/lock.go stackLockDir, L170-173: .pulumi/locks/ and the stack's
// fully qualified name as a path). In the project layout (.pulumi/meta.yaml version 1, what
// new backends get) that name is organization/<project>/<stack>: the organization of a DIY
// backend is always "organization" (backend/diy/store.go L145-173, which also reads a
// stack given as org/stack or org/project/stack); in the legacy layout (version 0) it is
// <stack>. repair looks in both: a backend uses one of them, the other is empty.
func lockDirs(project, stack string) []string {
	parts := strings.Split(stack, "/")
	name := parts[len(parts)-1]
	if len(parts) == 3 {
		project = parts[1]
	}
	return []string{
		path.Join(".pulumi", "locks", "organization", project, name),
		path.Join(".pulumi", "locks", name),
	}
}

// bucketLock reads the stack's lock files from a DIY backend's bucket. Every object directly
// in a lock directory is a lock, as the CLI counts them (backend/diy/lock.go checkForLock,
// L64-110, over listBucket, bucket.go L140-160: delimiter "/", directories skipped). A lock
// written on this host is live while its pid is a running pulumi and dead after; a lock
// from another host is unknown: repair cannot see that host's processes.
func bucketLock(ctx context.Context, bucket *blob.Bucket, project, stack string) (triage.Lock, []string, error) {
	dirs := lockDirs(project, stack)
	var keys []string
	for _, dir := range dirs {
		it := bucket.List(&blob.ListOptions{Prefix: dir + "/", Delimiter: "/"})
		for {
			obj, err := it.Next(ctx)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return triage.Lock{}, dirs, fmt.Errorf("listing %s: %w", dir, err)
			}
			if !obj.IsDir {
				keys = append(keys, obj.Key)
			}
		}
	}
	if len(keys) == 0 {
		return triage.Lock{State: triage.LockNone}, dirs, nil
	}
	host, _ := os.Hostname()
	lock := triage.Lock{State: triage.LockDead}
	var holders, whys []string
	for _, key := range keys {
		data, err := bucket.ReadAll(ctx, key)
		if err != nil {
			return triage.Lock{}, dirs, err
		}
		var l lockFile
		if err := json.Unmarshal(data, &l); err != nil {
			return triage.Lock{}, dirs, fmt.Errorf("lock %s: %w", key, err)
		}
		holders = append(holders, fmt.Sprintf("%s@%s, pid %d, since %s", l.Username, l.Hostname, l.Pid, l.Timestamp.UTC().Format(time.RFC3339)))
		switch {
		case l.Hostname != host:
			whys = append(whys, fmt.Sprintf("host %s is not this one (%s), so repair cannot see whether it still runs", l.Hostname, host))
			if lock.State != triage.LockLive {
				lock.State = triage.LockUnknown
			}
		case pulumiRuns(l.Pid):
			whys = append(whys, fmt.Sprintf("process %d on this host is a running pulumi", l.Pid))
			lock.State = triage.LockLive
		default:
			whys = append(whys, fmt.Sprintf("process %d no longer runs on this host", l.Pid))
		}
	}
	lock.Holder = strings.Join(holders, "; ")
	lock.Why = strings.Join(whys, "; ")
	return lock, dirs, nil
}

// serviceLock decides the lock of a stack on the Pulumi service from the CLI's stack list.
// The service keeps no lock files: `pulumi stack ls --json` reports updateInProgress for a
// backend that supports progress (pkg/v3 cmd/pulumi/stack/stack_list.go L240-262; the
// service's backend does, backend/httpstate/backend.go L1120-1122, a DIY one does not,
// backend/diy/backend.go L823-825), true when the service's last update time of the stack is
// zero, as it is while an update is active (stack_list.go L339-342). An update in progress
// runs wherever its CLI was started (a CI runner, another laptop), or ran there and died
// without ending it: repair cannot tell which, so the lock is unknown and -force-unlock
// clears it with `pulumi cancel`, which asks the service to cancel that update
// (backend/httpstate/backend.go CancelCurrentUpdate, L2417-2440).
//
// Not verified against the real service here (no Pulumi Cloud, no self-hosted service
// offline): the field and its meaning are read from the CLI's source; the decision from the
// list is unit-tested.
func serviceLock(summaries []auto.StackSummary, stack string) (triage.Lock, error) {
	s, err := findStack(summaries, stack)
	if err != nil {
		return triage.Lock{}, err
	}
	if !s.UpdateInProgress {
		return triage.Lock{State: triage.LockNone, Why: "the service reports no update in progress"}, nil
	}
	holder := "an update on the Pulumi service"
	if s.URL != "" {
		holder += " (" + s.URL + ")"
	}
	return triage.Lock{
		State:  triage.LockUnknown,
		Holder: holder,
		Why: "the service reports an update in progress and keeps no record repair can read of where it runs " +
			"(a CI runner, another machine) or whether its CLI is still alive",
	}, nil
}

// findStack is the stack's entry in the CLI's stack list. The list names a stack of the
// current project by what the service needs to tell it apart: "dev", "org/dev" or
// "org/project/dev" (backend/httpstate/stack.go L58-86); the stack repair was given may
// be written any of those ways.
func findStack(summaries []auto.StackSummary, stack string) (auto.StackSummary, error) {
	for _, s := range summaries {
		if s.Name == stack {
			return s, nil
		}
	}
	want := strings.Split(stack, "/")
	var found []auto.StackSummary
	for _, s := range summaries {
		got := strings.Split(s.Name, "/")
		if got[len(got)-1] != want[len(want)-1] {
			continue
		}
		if len(want) > 1 && len(got) > 1 && got[0] != want[0] {
			continue // another organization's stack of the same name
		}
		found = append(found, s)
	}
	switch {
	case len(found) == 1:
		return found[0], nil
	case len(found) > 1:
		for _, s := range found {
			if s.Current {
				return s, nil
			}
		}
		names := make([]string, len(found))
		for i, s := range found {
			names[i] = s.Name
		}
		return auto.StackSummary{}, fmt.Errorf("stack %s is ambiguous on the Pulumi service: %s; pass it as org/project/stack", stack, strings.Join(names, ", "))
	}
	return auto.StackSummary{}, fmt.Errorf("`pulumi stack ls` does not list stack %s", stack)
}

// redact is a URL with its password hidden (a postgres:// backend carries one).
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(an unparsable URL)"
	}
	return u.Redacted()
}
