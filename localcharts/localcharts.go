// Package localcharts reads the local files a stack's eks-cilium:chartSources name, before
// anything is registered: each packaged chart (path) with Helm's own loader, the one the
// kubernetes provider loads it with (pulumi-kubernetes v4.25.0
// provider/pkg/provider/helm_release.go getChart), and the load balancer controller's CRD
// manifests when they come from a local directory. It only reads; the planning pipeline
// compares what it read with the configuration (charts.CheckLocal), so every problem is
// reported with the others. The program, the render and the Platform call it.
package localcharts

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/eks-cilium/eks-cilium/charts"
	"github.com/eks-cilium/eks-cilium/stackconfig"
	"helm.sh/helm/v3/pkg/chart/loader"
)

// MaxCRDBytes bounds one CRD manifest read from disk: Helm's own bound on a file of a chart
// (helm v3.18.6 pkg/chart/loader/archive.go MaxDecompressedFileSize, 5 MiB); the controller's
// largest, gateway-crds.yaml of chart 3.5.0, is 129 KB.
const MaxCRDBytes = 5 << 20

// Read reads every local file the configuration names for an installed chart: the archive of
// each chart whose source is a path, and the CRD manifests of a load balancer controller
// whose crds is a directory. Relative paths are resolved against dir, the project directory
// ("" is the working directory, which is the project directory under `pulumi up`: pulumi pkg
// v3.274.1 engine/deployment.go:61 runs the program and the providers there). It returns nil
// when the configuration names no local file.
func Read(cfg stackconfig.Config, dir string) *charts.LocalFacts {
	facts := &charts.LocalFacts{}
	for _, r := range charts.Releases(cfg) {
		if r.Source == nil || r.Source.Path == "" || strings.Contains(r.Source.Path, "://") {
			continue
		}
		if facts.Archives == nil {
			facts.Archives = map[string]charts.ArchiveFacts{}
		}
		facts.Archives[r.Chart.Field] = ReadArchive(resolve(dir, r.Source.Path))
	}
	if a := cfg.Addons; a != nil && a.AwsLoadBalancerController != nil {
		src := cfg.ChartSources.LoadBalancerController()
		if src != nil && src.Crds != "" && !strings.Contains(src.Crds, "://") {
			manifests, _ := charts.LoadBalancerControllerCRDs(a.AwsLoadBalancerController.Version, src)
			for _, m := range manifests {
				if facts.CRDs == nil {
					facts.CRDs = map[string]charts.FileFacts{}
				}
				facts.CRDs[m.Name] = ReadFile(resolve(dir, filepath.Join(src.Crds, m.Name)))
			}
		}
	}
	if facts.Archives == nil && facts.CRDs == nil {
		return nil
	}
	return facts
}

func resolve(dir, p string) string {
	if filepath.IsAbs(p) || dir == "" {
		return p
	}
	return filepath.Join(dir, p)
}

// ReadArchive reads a packaged chart's name and version with Helm's loader, which also
// refuses what Helm would refuse to install (not a gzipped tar, no Chart.yaml at the top, a
// path leaving the chart, more than 100 MiB unpacked).
func ReadArchive(path string) charts.ArchiveFacts {
	info, err := os.Stat(path)
	switch {
	case err != nil:
		return charts.ArchiveFacts{Err: describe(path, err)}
	case !info.Mode().IsRegular():
		return charts.ArchiveFacts{Err: path + " is not a regular file"}
	}
	ch, err := loader.LoadFile(path)
	if err != nil {
		return charts.ArchiveFacts{Err: stackconfig.Shorten(err.Error(), 200)}
	}
	return charts.ArchiveFacts{Name: ch.Metadata.Name, Version: ch.Metadata.Version}
}

// ReadFile reads a file of at most MaxCRDBytes and computes its git blob hash.
func ReadFile(path string) charts.FileFacts {
	out := charts.FileFacts{Path: path}
	f, err := os.Open(path)
	if err != nil {
		out.Err = describe(path, err)
		return out
	}
	defer f.Close()
	info, err := f.Stat()
	switch {
	case err != nil:
		out.Err = describe(path, err)
		return out
	case !info.Mode().IsRegular():
		out.Err = path + " is not a regular file"
		return out
	case info.Size() > MaxCRDBytes:
		out.Err = fmt.Sprintf("%s is %d bytes, more than the %d a chart's file may hold", path, info.Size(), MaxCRDBytes)
		return out
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxCRDBytes+1))
	if err != nil {
		out.Err = describe(path, err)
		return out
	}
	out.GitBlob = GitBlob(data)
	return out
}

// GitBlob is the hash git gives a file's content (`git hash-object`): sha1 of "blob",
// the size in decimal, a NUL byte, then the content.
func GitBlob(data []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(data))
	h.Write(data)
	return hex.EncodeToString(h.Sum(nil))
}

// describe is an error reading the file at path, naming the absolute path a relative one was
// looked for at.
func describe(path string, err error) string {
	if abs, aerr := filepath.Abs(path); aerr == nil {
		path = abs
	}
	switch {
	case os.IsNotExist(err):
		return "no such file: " + path
	case os.IsPermission(err):
		return "permission denied: " + path
	}
	return stackconfig.Shorten(err.Error(), 200)
}
