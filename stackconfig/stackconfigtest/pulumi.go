// Package stackconfigtest holds what tests of stack files share: reading a file the way the
// Pulumi CLI v3.274.1 does on `pulumi up`, with Pulumi's own loaders (ReadAsPulumi,
// SameAsPulumi), so the render's reader can be held to exactly what Pulumi hands the program,
// and the contract every refusal keeps (Readable). The parity test and both fuzz targets use
// it. It imports Pulumi's SDK but no provider SDK, so a fuzzing build of it stays small.
package stackconfigtest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"sort"
	"strings"

	"github.com/eks-cilium/eks-cilium/stackconfig"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag/colors"
	"github.com/pulumi/pulumi/sdk/v3/go/common/encoding"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
)

// Reading is what Pulumi v3.274.1 makes of a stack file on `pulumi up`.
type Reading struct {
	// Loaded are the values the loader produces, decrypted as the engine does before
	// running the program: what the render must reproduce from the same file.
	Loaded map[string]string
	// Program adds the project's declared defaults for absent keys: what config.Try returns.
	Program map[string]string
	// Err is the loader's or the CLI's config validation error, if any.
	Err error
}

// ReadAsPulumi follows `pulumi up`: workspace.LoadProjectStack (sdk
// go/common/workspace/loaders.go), then pkg/v3 workspace/config.go mergeConfig, which adds
// Pulumi.yaml's defaults for absent keys and checks the declared types, then
// config.Map.Decrypt with the crypter `pulumi up` uses for a stack without secrets
// (pkg/v3 cmd/pulumi/config/io.go: config.NewPanicCrypter()), whose result the engine hands
// the program (pkg/v3 engine/deployment.go). pkg/v3 is not a dependency of this module,
// so mergeConfig's few lines are repeated here.
func ReadAsPulumi(proj *workspace.Project, path string, data []byte) (r Reading) {
	defer func() {
		if p := recover(); p != nil {
			r.Err = fmt.Errorf("pulumi panicked: %v", p)
		}
	}()
	sink := diag.DefaultSink(io.Discard, io.Discard, diag.FormatOptions{Color: colors.Never})
	// readFileStripUTF8BOM (loaders.go) runs before LoadProjectStackBytes.
	data = []byte(strings.TrimPrefix(string(data), "\xef\xbb\xbf"))
	ps, err := workspace.LoadProjectStackBytes(sink, proj, data, path, encoding.YAML)
	if err != nil {
		return Reading{Err: err}
	}
	decrypt := func(m config.Map) (map[string]string, error) {
		plain, err := m.Decrypt(config.NewPanicCrypter())
		if err != nil {
			return nil, err
		}
		out := map[string]string{}
		for k, v := range plain {
			out[k.String()] = v
		}
		return out, nil
	}
	// Secrets need the stack's real decrypter, which the render never has: it refuses secrets
	// in this project's keys and leaves other keys' secrets (provider credentials) out of the
	// values it passes, so they are left out here too.
	for k, v := range ps.Config {
		if v.Secure() {
			delete(ps.Config, k)
		}
	}
	if r.Loaded, err = decrypt(ps.Config); err != nil {
		return Reading{Err: err}
	}
	names := make([]string, 0, len(proj.Config))
	for name := range proj.Config {
		names = append(names, name)
	}
	sort.Strings(names)
	var missing []string
	for _, name := range names {
		decl := proj.Config[name]
		key := config.MustMakeKey(proj.Name.String(), name)
		value, found, err := ps.Config.Get(key, true)
		if err != nil {
			return Reading{Err: err}
		}
		switch {
		case !found && decl.Default == nil:
			missing = append(missing, name)
			continue
		case !found:
			// createConfigValue: a string, int or bool default as text, anything else as JSON.
			switch d := decl.Default.(type) {
			case string, int, bool:
				value = config.NewValue(fmt.Sprintf("%v", d))
			default:
				simple, err := workspace.SimplifyMarshalledValue(d)
				if err != nil {
					return Reading{Err: err}
				}
				b, err := json.Marshal(simple)
				if err != nil {
					return Reading{Err: err}
				}
				value = config.NewObjectValue(string(b))
			}
			if err := ps.Config.Set(key, value, true); err != nil {
				return Reading{Err: err}
			}
		}
		if decl.IsExplicitlyTyped() {
			text, err := value.Value(config.NewPanicCrypter())
			if err != nil {
				return Reading{Err: err}
			}
			var content any = text
			if value.Object() {
				if err := json.Unmarshal([]byte(text), &content); err != nil {
					return Reading{Err: err}
				}
			}
			if !workspace.ValidateConfigValue(*decl.Type, decl.Items, content) {
				return Reading{Loaded: r.Loaded, Err: fmt.Errorf("configuration key '%s' must be of type '%s'", name, workspace.InferFullTypeName(*decl.Type, decl.Items))}
			}
		}
	}
	if len(missing) > 0 {
		return Reading{Loaded: r.Loaded, Err: fmt.Errorf("stack is missing configuration values %v", missing)}
	}
	if r.Program, err = decrypt(ps.Config); err != nil {
		return Reading{Err: err}
	}
	return r
}

// SameAsPulumi checks a file the reader accepted as values against Pulumi's reading of it:
// Pulumi must read it too, into the very same values (the reader is at most stricter).
func SameAsPulumi(proj *workspace.Project, data []byte, values map[string]string) error {
	theirs := ReadAsPulumi(proj, "Pulumi.fuzz.yaml", data)
	if theirs.Loaded == nil {
		return fmt.Errorf("the reader accepts a file Pulumi refuses: %w", theirs.Err)
	}
	if !reflect.DeepEqual(values, theirs.Loaded) {
		return fmt.Errorf("the reader reads other values than Pulumi\nreader: %q\npulumi: %q", values, theirs.Loaded)
	}
	return nil
}

// Readable checks the contract of a refusal: stackconfig.Problems, each naming a key and a
// rule on one line of at most 2,000 bytes, the whole message at most 64 KiB.
func Readable(err error) error {
	var probs stackconfig.Problems
	if !errors.As(err, &probs) || len(probs) == 0 {
		return fmt.Errorf("refused with %T, not stackconfig.Problems: %v", err, err)
	}
	for _, p := range probs {
		line := p.String()
		if p.Key == "" || p.Rule == "" || strings.ContainsAny(line, "\n\r") || len(line) > 2000 {
			return fmt.Errorf("unreadable problem %+v:\n%s", p, line)
		}
	}
	if msg := probs.Error(); len(msg) > 64<<10 {
		return fmt.Errorf("the message is %d bytes", len(msg))
	}
	return nil
}
