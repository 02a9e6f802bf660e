package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/karpenter-savings/karpenter-savings/internal/savings"
	"github.com/karpenter-savings/karpenter-savings/internal/savings/images"
	"github.com/karpenter-savings/karpenter-savings/internal/savings/images/registrytest"
)

// The flags reach the registry, keep its answers in --images-cache, and the second run reads the cache alone.
func TestEstimateReadsImagesFromTheRegistryAndCachesThem(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", t.TempDir()) // no credentials of the machine's
	reg := registrytest.New(t)
	carts := reg.PushIndex(t, "weaveworksdemos/carts:0.4.8", registrytest.LinuxAMD64)
	dir := t.TempDir()
	manifest := filepath.Join(dir, "shop.yaml")
	require.NoError(t, os.WriteFile(manifest, []byte(fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata: {name: carts, namespace: sock-shop}
spec:
  replicas: 2
  template:
    metadata: {labels: {name: carts}}
    spec:
      containers:
      - name: carts
        image: %s
        resources: {requests: {cpu: 500m, memory: 1Gi}}
`, carts)), 0o600))
	cache := filepath.Join(dir, "images.json")
	args := []string{"estimate", "-f", manifest, "--dir", repo, "--json", "--images", "registry", "--images-cache", cache}

	for i, wantSource := range []string{"registry", "cache " + cache} {
		var stdout, stderr bytes.Buffer
		require.Equal(t, 0, run(context.Background(), args, &stdout, &stderr), "run %d, stderr: %s", i, stderr.String())
		var r savings.Report
		require.NoError(t, json.Unmarshal(stdout.Bytes(), &r))
		require.NotNil(t, r.Images)
		require.Equal(t, []images.Image{{Reference: carts, Status: images.AMD64Only, Platforms: []string{"linux/amd64"}, Source: wantSource}}, r.Images.Images)
		for _, s := range r.Scenarios {
			for _, n := range s.Nodes {
				require.Equal(t, "amd64", n.Arch, "run %d, scenario %s: carts' image offers no linux/arm64", i, s.Name)
			}
		}
		if i == 1 {
			require.Contains(t, r.Images.Note, "1 of them kept in the cache "+cache, "the report says the platforms came from the cache")
		}
		if i == 0 {
			saved, err := images.ReadFile(cache)
			require.NoError(t, err)
			require.Equal(t, map[string][]string{carts: {"linux/amd64"}}, saved)
		}
	}
}

func TestRegistryModeFailsNamingTheImageItCannotRead(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	gone := registrytest.ClosedHost(t) + "/weaveworksdemos/orders:0.4.7"
	manifest := filepath.Join(t.TempDir(), "shop.yaml")
	require.NoError(t, os.WriteFile(manifest, []byte(`apiVersion: apps/v1
kind: Deployment
metadata: {name: orders}
spec:
  template:
    spec:
      containers:
      - name: orders
        image: `+gone+`
        resources: {requests: {cpu: 500m, memory: 1Gi}}
`), 0o600))
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"estimate", "-f", manifest, "--dir", repo, "--images", "registry", "--images-cache", "off"}, &stdout, &stderr)
	require.Equal(t, 1, code)
	require.Contains(t, stderr.String(), "image "+gone+": registry ")
	require.Contains(t, stderr.String(), "--images auto assumes them multi-arch")
}

// A cache flag where no registry is read would be ignored: it is refused, naming both flags.
func TestImagesCacheWithoutARegistryIsRefused(t *testing.T) {
	for _, mode := range []string{"assume", filepath.Join(repo, "examples", "retail-store.images.json")} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), []string{"estimate", "-f", filepath.Join(repo, "examples", "retail-store.yaml"), "--dir", repo,
			"--images", mode, "--images-cache", "app.images.json"}, &stdout, &stderr)
		require.Equal(t, 2, code, mode)
		require.Contains(t, stderr.String(), "--images-cache app.images.json: only --images auto or registry", mode)
	}
}
