package preflight_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/karpenter-savings/karpenter-savings/internal/ops/preflight"
	"github.com/karpenter-savings/karpenter-savings/internal/program/samplemanifest"
)

// serving answers every URL with body, through a real HTTP server and the real HTTP fetch.
func serving(t *testing.T, body []byte) preflight.Fetch {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(body) }))
	t.Cleanup(srv.Close)
	return func(ctx context.Context, _ string) ([]byte, error) { return preflight.HTTPFetch(ctx, srv.URL) }
}

func TestManifestCheck(t *testing.T) {
	local := samplemanifest.Copies()[samplemanifest.ReleaseURL]
	reformatted := []byte("# served with other bytes, same objects\n" + string(local))
	changed := []byte(strings.Replace(string(local), "retail-store-sample-ui:1.3.0", "retail-store-sample-ui:1.4.0", 1))
	require.NotEqual(t, string(local), string(changed), "the test edits an image of the copy")

	t.Run("same objects, other bytes: ok, with the digest to record", func(t *testing.T) {
		r := preflight.Manifest(t.Context(), serving(t, reformatted), samplemanifest.ReleaseURL)
		require.Equal(t, preflight.StatusOK, r.Status, r.Found)
		require.Contains(t, r.Found, "serves the local copy's 33 objects")
		require.Contains(t, r.Found, samplemanifest.SHA256(reformatted))
	})
	t.Run("another image: fail, naming the object", func(t *testing.T) {
		r := preflight.Manifest(t.Context(), serving(t, changed), samplemanifest.ReleaseURL)
		require.Equal(t, preflight.StatusFail, r.Status)
		require.Contains(t, r.Found, "missing Deployment /ui public.ecr.aws/aws-containers/retail-store-sample-ui:1.3.0")
		require.Contains(t, r.Found, "extra Deployment /ui public.ecr.aws/aws-containers/retail-store-sample-ui:1.4.0")
	})
	t.Run("not found: skipped", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		t.Cleanup(srv.Close)
		r := preflight.Manifest(t.Context(), func(ctx context.Context, _ string) ([]byte, error) { return preflight.HTTPFetch(ctx, srv.URL) }, samplemanifest.ReleaseURL)
		require.Equal(t, preflight.StatusSkipped, r.Status)
		require.Contains(t, r.Found, "404")
	})
	t.Run("offline: skipped", func(t *testing.T) {
		offline := func(context.Context, string) ([]byte, error) { return nil, errors.New("dial tcp: no route to host") }
		r := preflight.Manifest(t.Context(), offline, samplemanifest.ReleaseURL)
		require.Equal(t, preflight.StatusSkipped, r.Status)
		require.Contains(t, r.Found, "no route to host")
	})
	t.Run("a URL without a local copy: skipped", func(t *testing.T) {
		r := preflight.Manifest(t.Context(), serving(t, local), "https://example.com/v2.0.0/kubernetes.yaml")
		require.Equal(t, preflight.StatusSkipped, r.Status)
	})
}

func TestManifestCheckAgainstARecordedDigest(t *testing.T) {
	local := samplemanifest.Copies()[samplemanifest.ReleaseURL]
	pinned := samplemanifest.Pinned{URL: samplemanifest.ReleaseURL, Copy: local, SHA256: samplemanifest.SHA256(local)}
	r := preflight.ManifestPinned(t.Context(), serving(t, local), pinned)
	require.Equal(t, preflight.StatusOK, r.Status, r.Found)
	r = preflight.ManifestPinned(t.Context(), serving(t, append([]byte("#\n"), local...)), pinned)
	require.Equal(t, preflight.StatusFail, r.Status, "one more byte is other bytes")
	require.Contains(t, r.Found, "not the recorded "+pinned.SHA256)
}
