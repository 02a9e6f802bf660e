// Package registrytest serves real image indexes and manifests from go-containerregistry's own in-process registry,
// so that tests of image platforms never reach a public registry.
package registrytest

import (
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/stretchr/testify/require"
)

// Platforms tests push.
var (
	LinuxAMD64 = v1.Platform{OS: "linux", Architecture: "amd64"}
	LinuxARM64 = v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}
	// Attestation is the platform buildx gives the provenance manifests it adds to an index.
	Attestation = v1.Platform{OS: "unknown", Architecture: "unknown"}
)

// Registry is an in-process registry on a loopback port, counting the requests it serves.
type Registry struct {
	// Host is host:port, the registry part of the references it serves.
	Host     string
	requests atomic.Int64
}

// New starts a registry that stops with the test.
func New(t testing.TB) *Registry {
	t.Helper()
	r := &Registry{}
	inner := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.requests.Add(1)
		inner.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	r.Host = strings.TrimPrefix(srv.URL, "http://")
	return r
}

// Requests is how many requests the registry has served.
func (r *Registry) Requests() int64 { return r.requests.Load() }

// Image is a random single-layer image whose config names os/arch[/variant].
func Image(t testing.TB, p v1.Platform) v1.Image {
	t.Helper()
	img, err := random.Image(64, 1)
	require.NoError(t, err)
	cfg, err := img.ConfigFile()
	require.NoError(t, err)
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture, cfg.Variant = p.OS, p.Architecture, p.Variant
	img, err = mutate.ConfigFile(img, cfg)
	require.NoError(t, err)
	return img
}

// PushImage pushes a single-manifest image of platform p as repo (name:tag) and returns its reference.
func (r *Registry) PushImage(t testing.TB, repo string, p v1.Platform) string {
	t.Helper()
	ref := r.Host + "/" + repo
	require.NoError(t, remote.Write(mustRef(t, ref), Image(t, p)))
	return ref
}

// PushIndex pushes an index of one image per platform as repo (name:tag) and returns its reference.
func (r *Registry) PushIndex(t testing.TB, repo string, platforms ...v1.Platform) string {
	t.Helper()
	var adds []mutate.IndexAddendum
	for _, p := range platforms {
		adds = append(adds, mutate.IndexAddendum{Add: Image(t, p), Descriptor: v1.Descriptor{Platform: &p}})
	}
	ref := r.Host + "/" + repo
	require.NoError(t, remote.WriteIndex(mustRef(t, ref), mutate.AppendManifests(empty.Index, adds...)))
	return ref
}

// PushIndexOf pushes idx as repo (name:tag) and returns its reference: for indexes PushIndex does not build, such as
// an index nested in another or an entry without a platform.
func (r *Registry) PushIndexOf(t testing.TB, repo string, idx v1.ImageIndex) string {
	t.Helper()
	ref := r.Host + "/" + repo
	require.NoError(t, remote.WriteIndex(mustRef(t, ref), idx))
	return ref
}

// schema1 is a Docker schema 1 manifest, which names its architecture itself and has no config.
type schema1 []byte

func (m schema1) RawManifest() ([]byte, error) { return m, nil }

func (schema1) MediaType() (types.MediaType, error) { return types.DockerManifestSchema1, nil }

// PushSchema1 pushes a Docker schema 1 manifest of arch, as registries still serve for images pushed before 2017,
// and returns its reference.
func (r *Registry) PushSchema1(t testing.TB, repo, arch string) string {
	t.Helper()
	name, tag, _ := strings.Cut(repo, ":")
	ref := r.Host + "/" + repo
	m := fmt.Sprintf(`{"schemaVersion": 1, "name": %q, "tag": %q, "architecture": %q, "fsLayers": [], "history": []}`, name, tag, arch)
	require.NoError(t, remote.Put(mustRef(t, ref), schema1(m)))
	return ref
}

// Digest returns the digest ref's manifest or index has in the registry.
func (r *Registry) Digest(t testing.TB, ref string) string {
	t.Helper()
	d, err := remote.Head(mustRef(t, ref))
	require.NoError(t, err)
	return d.Digest.String()
}

// ClosedHost returns a loopback host:port that refuses connections: an unreachable registry.
func ClosedHost(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return addr
}

func mustRef(t testing.TB, s string) name.Reference {
	t.Helper()
	r, err := name.ParseReference(s)
	require.NoError(t, err)
	return r
}
