// Package images finds which platforms a workload's container images are published for, from their registries'
// indexes and manifests, so that an estimate puts a pod whose image offers no linux/arm64 on amd64 only, as a
// cluster must. The registry client lives here and in cmd/savings only, away from the Pulumi program's build.
package images

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// Modes of --images.
const (
	// ModeAuto reads every image's registry and assumes multi-arch, naming it, for an image it could not read.
	ModeAuto = "auto"
	// ModeRegistry reads every image's registry and fails when one cannot be read.
	ModeRegistry = "registry"
	// ModeAssume reads nothing and assumes every image multi-arch.
	ModeAssume = "assume"
	// ModeFile reads the platforms from a JSON file, reference as written → platforms.
	ModeFile = "file"
)

// Status is what an estimate knows of one image's architectures.
type Status string

// Statuses of an image.
const (
	// MultiArch is an image read from its registry or a file that offers linux/amd64 and linux/arm64.
	MultiArch Status = "multi-arch"
	// AMD64Only is an image read from its registry or a file that offers linux/amd64 and no linux/arm64.
	AMD64Only Status = "amd64-only"
	// ARM64Only is an image read from its registry or a file that offers linux/arm64 and no linux/amd64.
	ARM64Only Status = "arm64-only"
	// Assumed is an image that was not read: the estimate assumes it runs on both, as it did before images were
	// read, and Reason says why.
	Assumed Status = "assumed-multi-arch"
)

// Image is one distinct image reference of a workload and what is known of its platforms.
type Image struct {
	// Reference is the image as the manifest writes it.
	Reference string `json:"reference"`
	Status    Status `json:"status"`
	// Platforms are the os/arch[/variant] the image is published for; empty when Status is Assumed.
	Platforms []string `json:"platforms,omitempty"`
	// Source says where the platforms were read: "registry", "cache FILE" or "file FILE".
	Source string `json:"source,omitempty"`
	// Reason says why an assumed image was not read.
	Reason string `json:"reason,omitempty"`
}

// Verified says whether the image's platforms were read rather than assumed.
func (i Image) Verified() bool { return i.Status != Assumed }

// Runs says whether the image can run on linux nodes of arch: an assumed image is taken to run on both.
func (i Image) Runs(arch string) bool {
	switch i.Status {
	case Assumed, MultiArch:
		return true
	case AMD64Only:
		return arch == "amd64"
	case ARM64Only:
		return arch == "arm64"
	}
	return false
}

// Result is every image of a workload and how they were found.
type Result struct {
	// Mode is the --images mode: auto, registry, assume or file.
	Mode string `json:"mode"`
	// File is the images file of mode file, or the cache file registries' answers were kept in ("" for none).
	File   string  `json:"file,omitempty"`
	Images []Image `json:"images"`
}

// Lookup returns the image of ref, or false.
func (r *Result) Lookup(ref string) (Image, bool) {
	if r == nil {
		return Image{}, false
	}
	for _, img := range r.Images {
		if img.Reference == ref {
			return img, true
		}
	}
	return Image{}, false
}

// Assumed lists the references of the images that were not read.
func (r *Result) Assumed() []string {
	if r == nil {
		return nil
	}
	var out []string
	for _, img := range r.Images {
		if !img.Verified() {
			out = append(out, img.Reference)
		}
	}
	return out
}

// Refs lists the distinct images of the pods' containers and init containers, sorted.
func Refs(pods ...[]*corev1.Pod) []string {
	seen := map[string]bool{}
	for _, ps := range pods {
		for _, p := range ps {
			for _, cs := range [][]corev1.Container{p.Spec.InitContainers, p.Spec.Containers} {
				for _, c := range cs {
					if c.Image != "" {
						seen[c.Image] = true
					}
				}
			}
		}
	}
	out := make([]string, 0, len(seen))
	for ref := range seen {
		out = append(out, ref)
	}
	sort.Strings(out)
	return out
}

// ParseMode reads an --images value: auto, registry, assume, or any other value as the path of an images file.
func ParseMode(v string) (mode, file string, err error) {
	switch v {
	case ModeAuto, ModeRegistry, ModeAssume:
		return v, "", nil
	case "", ModeFile:
		return "", "", fmt.Errorf("--images %q: want auto, registry, assume or the path of an images file", v)
	}
	return ModeFile, v, nil
}

// Assume returns every ref assumed multi-arch because of reason.
func Assume(refs []string, reason string) *Result {
	r := &Result{Mode: ModeAssume}
	for _, ref := range refs {
		r.Images = append(r.Images, Image{Reference: ref, Status: Assumed, Reason: reason})
	}
	return r
}

// FromFile reads the images file at path and returns the platforms of every ref; a ref the file does not name is an
// error that names it, since a committed file that misses an image would otherwise silently assume it.
func FromFile(path string, refs []string) (*Result, error) {
	platforms, err := ReadFile(path)
	if err != nil {
		return nil, err
	}
	r := &Result{Mode: ModeFile, File: path}
	var missing []string
	for _, ref := range refs {
		ps, ok := platforms[ref]
		if !ok {
			missing = append(missing, ref)
			continue
		}
		img, err := newImage(ref, ps, "file "+path)
		if err != nil {
			return nil, fmt.Errorf("images file %s: %w", path, err)
		}
		r.Images = append(r.Images, img)
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("images file %s names no platforms for %d image(s) of the workload: %s; add them (the same JSON, "+
			"reference as written → platforms), or run with --images auto", path, len(missing), strings.Join(missing, ", "))
	}
	return r, nil
}

// ReadFile reads an images file or cache: one JSON object, the reference as written → its platforms, e.g.
// {"weaveworksdemos/carts:0.4.8": ["linux/amd64"]}. Every platform must be os/arch[/variant].
func ReadFile(path string) (map[string][]string, error) {
	b, err := os.ReadFile(path) //nolint:gosec // the path is the user's own --images or cache flag
	if err != nil {
		return nil, fmt.Errorf("images file: %w", err)
	}
	var out map[string][]string
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("images file %s: want one JSON object, image reference → list of \"os/arch[/variant]\": %w", path, err)
	}
	var errs []error
	for ref, ps := range out {
		if _, err := newImage(ref, ps, ""); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("images file %s: %w", path, err)
	}
	return out, nil
}

// WriteFile writes platforms as an images file, replacing it whole so that a reader never sees half of it.
func WriteFile(path string, platforms map[string][]string) error {
	b, err := json.MarshalIndent(platforms, "", "  ")
	if err != nil {
		return fmt.Errorf("images file %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return fmt.Errorf("images file: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("images file: %w", err)
	}
	_, err = tmp.Write(append(b, '\n'))
	if err = errors.Join(err, tmp.Close()); err != nil {
		return errors.Join(fmt.Errorf("images file %s: %w", path, err), os.Remove(tmp.Name()))
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return errors.Join(fmt.Errorf("images file: %w", err), os.Remove(tmp.Name()))
	}
	return nil
}

// newImage classifies ref by its platforms, which must each be os/arch[/variant].
func newImage(ref string, platforms []string, source string) (Image, error) {
	if len(platforms) == 0 {
		return Image{}, fmt.Errorf("%s: no platforms; want at least one \"os/arch[/variant]\" such as \"linux/amd64\"", ref)
	}
	var amd64, arm64 bool
	for _, p := range platforms {
		parts := strings.Split(p, "/")
		if len(parts) < 2 || len(parts) > 3 || slices.Contains(parts, "") {
			return Image{}, fmt.Errorf("%s: platform %q: want \"os/arch[/variant]\" such as \"linux/arm64\"", ref, p)
		}
		if parts[0] != "linux" {
			continue
		}
		amd64 = amd64 || parts[1] == "amd64"
		arm64 = arm64 || parts[1] == "arm64"
	}
	img := Image{Reference: ref, Platforms: slices.Compact(slices.Sorted(slices.Values(platforms))), Source: source}
	switch {
	case amd64 && arm64:
		img.Status = MultiArch
	case amd64:
		img.Status = AMD64Only
	case arm64:
		img.Status = ARM64Only
	default:
		return Image{}, fmt.Errorf("%s: platforms %v offer neither linux/amd64 nor linux/arm64, which every node of the estimate runs", ref, platforms)
	}
	return img, nil
}

// Resolve finds the platforms of refs as mode says: assume reads nothing; file reads file; auto and registry ask
// the registries through l, and registry fails naming every image it could not read.
func Resolve(ctx context.Context, mode, file string, refs []string, l *Lookup) (*Result, error) {
	switch mode {
	case ModeAssume:
		return Assume(refs, "--images assume: registries not read"), nil
	case ModeFile:
		return FromFile(file, refs)
	case ModeAuto, ModeRegistry:
	default:
		return nil, fmt.Errorf("--images mode %q: want auto, registry, assume or file", mode)
	}
	r, err := l.Platforms(ctx, refs)
	if err != nil {
		return nil, err
	}
	r.Mode = mode
	if mode == ModeRegistry {
		var errs []error
		for _, img := range r.Images {
			if !img.Verified() {
				errs = append(errs, fmt.Errorf("image %s: %s", img.Reference, img.Reason))
			}
		}
		if err := errors.Join(errs...); err != nil {
			return nil, fmt.Errorf("--images registry: could not read every image's platforms (--images auto assumes them multi-arch and says so):\n%w", err)
		}
	}
	return r, nil
}
