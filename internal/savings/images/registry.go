package images

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/distribution/reference"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Defaults of a Lookup.
const (
	// DefaultTimeout bounds one image's lookup, retries included, so that an unreachable host costs seconds.
	DefaultTimeout = 20 * time.Second
	// DefaultParallel is how many registries are asked at once: enough for a few dozen images, few enough not to
	// trip a registry's rate limit.
	DefaultParallel = 8
)

// Lookup reads images' platforms from their registries.
type Lookup struct {
	// Keychain authenticates to registries. Optional; default Keychain(): the Docker config's credentials, then ECR
	// through the AWS credential chain, else anonymous.
	Keychain authn.Keychain
	// Timeout bounds each image's lookup. Optional; default DefaultTimeout.
	Timeout time.Duration
	// Parallel is how many images are looked up at once. Optional; default DefaultParallel.
	Parallel int
	// CachePath is a JSON images file that keeps every answer by reference; a reference found there is not looked up
	// again. Optional; "" keeps no cache.
	CachePath string
	// Transport carries the requests. Optional; default http.DefaultTransport.
	Transport http.RoundTripper
}

// DefaultCachePath is the cache under the user's cache directory (e.g. ~/.cache/karpenter-savings/images.json).
func DefaultCachePath() (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("images cache: %w", err)
	}
	return filepath.Join(dir, "karpenter-savings", "images.json"), nil
}

// Platforms looks every ref up, from the cache or the registry; an image it could not read is Assumed, with the
// reason. A reference that is not one, an image whose registry says it offers neither linux/amd64 nor linux/arm64,
// and a cache it cannot read or write are errors: those are answers, and assuming multi-arch would contradict them.
func (l *Lookup) Platforms(ctx context.Context, refs []string) (*Result, error) {
	var bad []error
	for _, ref := range refs {
		// The kubelet parses an image with this grammar and refuses one it cannot read (InvalidImageName): no registry
		// is to blame, and none is asked. go-containerregistry's own parser is stricter (it refuses a one-letter
		// repository), so an image only it refuses stays a lookup that failed.
		if _, err := reference.ParseNormalizedNamed(ref); err != nil {
			bad = append(bad, fmt.Errorf("image %q: not an image reference (a pod of it fails with InvalidImageName): %w", ref, err))
		}
	}
	if err := errors.Join(bad...); err != nil {
		return nil, err
	}
	cached := map[string][]string{}
	if l.CachePath != "" {
		c, err := ReadFile(l.CachePath)
		switch {
		case errors.Is(err, os.ErrNotExist):
		case err != nil:
			return nil, fmt.Errorf("%w (delete the cache file to read the registries again)", err)
		default:
			cached = c
		}
	}
	kc := l.Keychain
	if kc == nil {
		kc = Keychain()
	}
	parallel := l.Parallel
	if parallel <= 0 {
		parallel = DefaultParallel
	}
	timeout := l.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	out := make([]Image, len(refs))
	unusable := make([]error, len(refs))
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	fetched := false
	for i, ref := range refs {
		if ps, ok := cached[ref]; ok {
			img, err := newImage(ref, ps, "cache "+l.CachePath)
			if err != nil {
				return nil, fmt.Errorf("images cache %s: %w", l.CachePath, err)
			}
			out[i] = img
			continue
		}
		fetched = true
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			ctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			ps, err := l.fetch(ctx, ref, kc)
			if err != nil {
				out[i] = Image{Reference: ref, Status: Assumed, Reason: err.Error()}
				return
			}
			if out[i], err = newImage(ref, ps, "registry"); err != nil {
				unusable[i] = fmt.Errorf("read from its registry: %w", err)
			}
		})
	}
	wg.Wait()
	if err := errors.Join(unusable...); err != nil {
		return nil, err
	}
	r := &Result{File: l.CachePath, Images: out}
	if l.CachePath == "" || !fetched {
		return r, nil
	}
	// Another estimate may have written the cache while this one asked the registries: read it again and add to it,
	// rather than replace its answers with the ones read before. The rename keeps the file whole either way; only
	// answers written between this read and the rename can still be lost, and those are asked again next time.
	latest, err := ReadFile(l.CachePath)
	switch {
	case errors.Is(err, os.ErrNotExist):
		latest = map[string][]string{}
	case err != nil:
		return nil, fmt.Errorf("%w (delete the cache file to read the registries again)", err)
	}
	for _, img := range out {
		if img.Verified() && img.Source == "registry" {
			latest[img.Reference] = img.Platforms
		}
	}
	if err := WriteFile(l.CachePath, latest); err != nil {
		return nil, fmt.Errorf("images cache: %w", err)
	}
	return r, nil
}

// fetch reads ref's manifest: an index gives its manifests' platforms, an image its config's os and architecture.
func (l *Lookup) fetch(ctx context.Context, ref string, kc authn.Keychain) ([]string, error) {
	r, err := name.ParseReference(ref)
	if err != nil {
		return nil, fmt.Errorf("not an image reference: %w", err)
	}
	opts := []remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(kc),
		// One retry 0.2 s later, rather than the library's two, 1 s and 3 s later: an answer that takes longer is
		// better left to the next run than allowed to hold every lookup up to its timeout.
		remote.WithRetryBackoff(remote.Backoff{Duration: 200 * time.Millisecond, Factor: 2, Steps: 2})}
	if l.Transport != nil {
		opts = append(opts, remote.WithTransport(l.Transport))
	}
	desc, err := remote.Get(r, opts...)
	if err != nil {
		return nil, fmt.Errorf("registry %s: %w", r.Context().RegistryStr(), err)
	}
	switch {
	case desc.MediaType.IsIndex():
		idx, err := desc.ImageIndex()
		if err != nil {
			return nil, fmt.Errorf("index of %s: %w", r, err)
		}
		out, err := indexPlatforms(idx, 0)
		if err != nil {
			return nil, fmt.Errorf("index of %s: %w", r, err)
		}
		if len(out) == 0 {
			return nil, fmt.Errorf("index of %s names no platform", r)
		}
		return out, nil
	case desc.MediaType == types.DockerManifestSchema1 || desc.MediaType == types.DockerManifestSchema1Signed:
		// A schema 1 manifest names its architecture itself; such images predate multi-arch indexes and are linux.
		var m struct {
			Architecture string `json:"architecture"`
		}
		if err := json.Unmarshal(desc.Manifest, &m); err != nil || m.Architecture == "" {
			return nil, fmt.Errorf("schema 1 manifest of %s names no architecture", r)
		}
		return []string{platform("linux", m.Architecture, "")}, nil
	}
	img, err := desc.Image()
	if err != nil {
		return nil, fmt.Errorf("manifest of %s: %w", r, err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("config of %s: %w", r, err)
	}
	if cfg.OS == "" || cfg.Architecture == "" {
		return nil, fmt.Errorf("config of %s names no os/architecture", r)
	}
	return []string{platform(cfg.OS, cfg.Architecture, cfg.Variant)}, nil
}

// maxIndexDepth bounds how deep indexes nested in indexes are followed, so that a malformed registry cannot loop.
const maxIndexDepth = 4

// indexPlatforms lists the platforms of idx's manifests as a node's container runtime (containerd) matches them: an
// entry's own platform when it names one; else, since the platform of an index entry is optional, an index nested
// in it is followed and an image's config read, so that an arm64 image reached only that way is not missed.
func indexPlatforms(idx v1.ImageIndex, depth int) ([]string, error) {
	m, err := idx.IndexManifest()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, d := range m.Manifests {
		p := d.Platform
		switch {
		case p != nil && (p.OS == "unknown" || p.Architecture == "unknown"):
			// Build attestations hang off an index as manifests of platform unknown/unknown: no image to run.
		case p != nil && p.OS == "":
			return nil, fmt.Errorf("manifest %s names architecture %q but no os, which no node's container runtime matches; "+
				"want a platform such as linux/%s", d.Digest, p.Architecture, p.Architecture)
		case p != nil:
			out = append(out, platform(p.OS, p.Architecture, p.Variant))
		case d.MediaType.IsIndex():
			if depth >= maxIndexDepth {
				return nil, fmt.Errorf("index %s: indexes nested more than %d deep", d.Digest, maxIndexDepth)
			}
			child, err := idx.ImageIndex(d.Digest)
			if err != nil {
				return nil, fmt.Errorf("index %s: %w", d.Digest, err)
			}
			ps, err := indexPlatforms(child, depth+1)
			if err != nil {
				return nil, fmt.Errorf("index %s: %w", d.Digest, err)
			}
			out = append(out, ps...)
		case d.MediaType.IsImage():
			img, err := idx.Image(d.Digest)
			if err != nil {
				return nil, fmt.Errorf("manifest %s: %w", d.Digest, err)
			}
			cfg, err := img.ConfigFile()
			if err != nil {
				return nil, fmt.Errorf("config of manifest %s: %w", d.Digest, err)
			}
			if cfg.OS == "" || cfg.Architecture == "" {
				return nil, fmt.Errorf("config of manifest %s names no os/architecture", d.Digest)
			}
			out = append(out, platform(cfg.OS, cfg.Architecture, cfg.Variant))
		default:
			// Any other entry without a platform (an artifact, a signature) is no image a node runs.
		}
	}
	return out, nil
}

// platform spells a platform os/arch[/variant], as docker and the images file do.
func platform(os, arch, variant string) string {
	return (&v1.Platform{OS: os, Architecture: arch, Variant: variant}).String()
}
