package images

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"

	"github.com/karpenter-savings/karpenter-savings/internal/savings/images/registrytest"
)

// anonymous keeps tests off the machine's Docker config and AWS credentials.
var anonymous = authn.NewMultiKeychain()

func TestPlatformsFromTheRegistry(t *testing.T) {
	reg := registrytest.New(t)
	multi := reg.PushIndex(t, "multi:1.0", registrytest.LinuxAMD64, registrytest.LinuxARM64, registrytest.Attestation)
	amdIndex := reg.PushIndex(t, "amd-index:1.0", registrytest.LinuxAMD64)
	armImage := reg.PushImage(t, "arm-image:1.0", registrytest.LinuxARM64)
	amdImage := reg.PushImage(t, "amd-image:1.0", registrytest.LinuxAMD64)
	old := reg.PushSchema1(t, "old:0.3.0", "amd64")
	pinned := reg.Host + "/multi@" + reg.Digest(t, multi)
	downHost := registrytest.ClosedHost(t)
	down := downHost + "/gone:1.0"

	l := &Lookup{Keychain: anonymous, Timeout: 5 * time.Second}
	refs := []string{multi, amdIndex, armImage, amdImage, old, pinned, down}
	r, err := l.Platforms(context.Background(), refs)
	require.NoError(t, err)
	want := map[string]struct {
		status    Status
		platforms []string
	}{
		multi:    {MultiArch, []string{"linux/amd64", "linux/arm64/v8"}},
		amdIndex: {AMD64Only, []string{"linux/amd64"}},
		armImage: {ARM64Only, []string{"linux/arm64/v8"}},
		amdImage: {AMD64Only, []string{"linux/amd64"}},
		old:      {AMD64Only, []string{"linux/amd64"}},
		pinned:   {MultiArch, []string{"linux/amd64", "linux/arm64/v8"}},
	}
	require.Len(t, r.Images, len(refs))
	for i, img := range r.Images {
		require.Equal(t, refs[i], img.Reference, "results keep the order of the references")
		if img.Reference == down {
			require.Equal(t, Assumed, img.Status, "an unreachable host leaves the image assumed")
			require.Contains(t, img.Reason, downHost, "the reason names the registry")
			require.Empty(t, img.Platforms)
			continue
		}
		w := want[img.Reference]
		require.Equal(t, w.status, img.Status, img.Reference)
		require.Equal(t, w.platforms, img.Platforms, img.Reference)
		require.Equal(t, "registry", img.Source, img.Reference)
	}
}

func TestCacheAnswersTheSecondLookup(t *testing.T) {
	reg := registrytest.New(t)
	amd := reg.PushIndex(t, "carts:0.4.8", registrytest.LinuxAMD64)
	down := registrytest.ClosedHost(t) + "/gone:1.0"
	cache := filepath.Join(t.TempDir(), "sub", "images.json")
	l := &Lookup{Keychain: anonymous, CachePath: cache, Timeout: 5 * time.Second}

	first, err := l.Platforms(context.Background(), []string{amd, down})
	require.NoError(t, err)
	require.Equal(t, AMD64Only, first.Images[0].Status)
	saved, err := ReadFile(cache)
	require.NoError(t, err)
	require.Equal(t, map[string][]string{amd: {"linux/amd64"}}, saved, "the cache keeps what was read, not what was assumed")

	before := reg.Requests()
	second, err := l.Platforms(context.Background(), []string{amd})
	require.NoError(t, err)
	require.Equal(t, before, reg.Requests(), "a cached reference asks the registry nothing")
	require.Equal(t, AMD64Only, second.Images[0].Status)
	require.Equal(t, "cache "+cache, second.Images[0].Source)
}

func TestCacheThatCannotBeReadIsAnError(t *testing.T) {
	cache := filepath.Join(t.TempDir(), "images.json")
	require.NoError(t, os.WriteFile(cache, []byte(`{"a:1": "linux/amd64"}`), 0o600))
	_, err := (&Lookup{Keychain: anonymous, CachePath: cache}).Platforms(context.Background(), []string{"a:1"})
	require.ErrorContains(t, err, cache)
	require.ErrorContains(t, err, "delete the cache file")
}

func TestFileMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shop.images.json")
	require.NoError(t, os.WriteFile(path, []byte(`{
  "weaveworksdemos/carts:0.4.8": ["linux/amd64"],
  "public.ecr.aws/x/ui:1.0": ["linux/amd64", "linux/arm64"]
}`), 0o600))

	r, err := Resolve(context.Background(), ModeFile, path, []string{"public.ecr.aws/x/ui:1.0", "weaveworksdemos/carts:0.4.8"}, nil)
	require.NoError(t, err)
	require.Equal(t, ModeFile, r.Mode)
	require.Equal(t, []Image{
		{Reference: "public.ecr.aws/x/ui:1.0", Status: MultiArch, Platforms: []string{"linux/amd64", "linux/arm64"}, Source: "file " + path},
		{Reference: "weaveworksdemos/carts:0.4.8", Status: AMD64Only, Platforms: []string{"linux/amd64"}, Source: "file " + path},
	}, r.Images)

	_, err = Resolve(context.Background(), ModeFile, path, []string{"weaveworksdemos/carts:0.4.8", "weaveworksdemos/orders:0.4.7"}, nil)
	require.ErrorContains(t, err, "weaveworksdemos/orders:0.4.7", "an image the file misses is named")
}

func TestFileRejectsBadPlatforms(t *testing.T) {
	for name, body := range map[string]string{
		"not os/arch":     `{"a:1": ["amd64"]}`,
		"no platform":     `{"a:1": []}`,
		"neither arch":    `{"a:1": ["windows/amd64"]}`,
		"not a JSON map":  `["a:1"]`,
		"empty component": `{"a:1": ["linux//v8"]}`,
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "images.json")
			require.NoError(t, os.WriteFile(path, []byte(body), 0o600))
			_, err := ReadFile(path)
			require.ErrorContains(t, err, path)
		})
	}
}

func TestModes(t *testing.T) {
	reg := registrytest.New(t)
	amd := reg.PushIndex(t, "carts:0.4.8", registrytest.LinuxAMD64)
	down := registrytest.ClosedHost(t) + "/gone:1.0"
	l := &Lookup{Keychain: anonymous, Timeout: 5 * time.Second}
	ctx := context.Background()

	auto, err := Resolve(ctx, ModeAuto, "", []string{amd, down}, l)
	require.NoError(t, err)
	require.Equal(t, ModeAuto, auto.Mode)
	require.Equal(t, []string{down}, auto.Assumed(), "auto names the image it could not read")
	require.NotEmpty(t, auto.Images[1].Reason)

	_, err = Resolve(ctx, ModeRegistry, "", []string{amd, down}, l)
	require.ErrorContains(t, err, down, "registry fails naming the image it could not read")

	before := reg.Requests()
	assumed, err := Resolve(ctx, ModeAssume, "", []string{amd}, l)
	require.NoError(t, err)
	require.Equal(t, before, reg.Requests(), "assume reads no registry")
	require.Equal(t, []string{amd}, assumed.Assumed())
}

func TestParseMode(t *testing.T) {
	for _, tc := range []struct{ in, mode, file, err string }{
		{"auto", ModeAuto, "", ""},
		{"registry", ModeRegistry, "", ""},
		{"assume", ModeAssume, "", ""},
		{"examples/retail-store.images.json", ModeFile, "examples/retail-store.images.json", ""},
		{"", "", "", "want auto, registry, assume"},
	} {
		mode, file, err := ParseMode(tc.in)
		if tc.err != "" {
			require.ErrorContains(t, err, tc.err, tc.in)
			continue
		}
		require.NoError(t, err, tc.in)
		require.Equal(t, [2]string{tc.mode, tc.file}, [2]string{mode, file}, tc.in)
	}
}

// fakeECR answers GetAuthorizationToken with a fixed token and counts the calls.
type fakeECR struct{ calls atomic.Int64 }

func (f *fakeECR) GetAuthorizationToken(context.Context, *ecr.GetAuthorizationTokenInput, ...func(*ecr.Options)) (*ecr.GetAuthorizationTokenOutput, error) {
	f.calls.Add(1)
	token := base64.StdEncoding.EncodeToString([]byte("AWS:secret"))
	return &ecr.GetAuthorizationTokenOutput{AuthorizationData: []ecrtypes.AuthorizationData{{AuthorizationToken: aws.String(token)}}}, nil
}

func TestECRKeychain(t *testing.T) {
	fake := &fakeECR{}
	var region string
	k := &ECRKeychain{NewClient: func(_ context.Context, r string) (TokenGetter, error) {
		region = r
		return fake, nil
	}}
	private, err := name.NewRegistry("123456789012.dkr.ecr.eu-west-3.amazonaws.com")
	require.NoError(t, err)
	for range 2 {
		a, err := k.Resolve(private)
		require.NoError(t, err)
		cfg, err := a.Authorization()
		require.NoError(t, err)
		require.Equal(t, "AWS", cfg.Username)
		require.Equal(t, "secret", cfg.Password)
	}
	require.Equal(t, "eu-west-3", region, "the token comes from the registry's own region")
	require.EqualValues(t, 1, fake.calls.Load(), "one token per registry")

	dualStack, err := name.NewRegistry("123456789012.dkr-ecr.ap-south-2.on.aws")
	require.NoError(t, err)
	a, err := k.Resolve(dualStack)
	require.NoError(t, err)
	require.NotEqual(t, authn.Anonymous, a, "ECR's dual-stack endpoint is ECR too")
	require.Equal(t, "ap-south-2", region)
	calls := fake.calls.Load()

	public, err := name.NewRegistry("public.ecr.aws")
	require.NoError(t, err)
	a, err = k.Resolve(public)
	require.NoError(t, err)
	require.Equal(t, authn.Anonymous, a, "ECR Public and other registries are read anonymously")
	require.Equal(t, calls, fake.calls.Load(), "no token is asked for ECR Public")
}

func TestRefs(t *testing.T) {
	pod := func(init string, images ...string) *corev1.Pod {
		p := &corev1.Pod{}
		if init != "" {
			p.Spec.InitContainers = []corev1.Container{{Name: "init", Image: init}}
		}
		for _, img := range images {
			p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: "c", Image: img})
		}
		return p
	}
	got := Refs([]*corev1.Pod{pod("busybox:1.36", "b:1", "a:1"), pod("", "a:1")}, []*corev1.Pod{pod("", "ds:2")})
	require.Equal(t, []string{"a:1", "b:1", "busybox:1.36", "ds:2"}, got, "distinct images of containers, init containers and DaemonSets, sorted")
}

// TestIndexEntriesWithoutAPlatform reads an index as containerd does: the platform of an entry is optional, so an
// index nested in it is followed and an image's config read; an arm64 image reached only so still counts.
func TestIndexEntriesWithoutAPlatform(t *testing.T) {
	reg := registrytest.New(t)
	amd := mutate.IndexAddendum{Add: registrytest.Image(t, registrytest.LinuxAMD64), Descriptor: v1.Descriptor{Platform: &registrytest.LinuxAMD64}}
	arm := mutate.IndexAddendum{Add: registrytest.Image(t, registrytest.LinuxARM64), Descriptor: v1.Descriptor{Platform: &registrytest.LinuxARM64}}
	armIndex := mutate.AppendManifests(empty.Index, arm)
	nested := reg.PushIndexOf(t, "nested:1", mutate.AppendManifests(empty.Index, amd, mutate.IndexAddendum{Add: armIndex}))
	bare := reg.PushIndexOf(t, "bare:1", mutate.AppendManifests(empty.Index, amd,
		mutate.IndexAddendum{Add: registrytest.Image(t, registrytest.LinuxARM64)}))
	noOS := reg.PushIndex(t, "no-os:1", registrytest.LinuxAMD64, v1.Platform{Architecture: "arm64"})

	r, err := (&Lookup{Keychain: anonymous, Timeout: 5 * time.Second}).Platforms(context.Background(), []string{nested, bare, noOS})
	require.NoError(t, err)
	for _, img := range r.Images[:2] {
		require.Equal(t, MultiArch, img.Status, "%s: its arm64 image has no platform in the index: %s", img.Reference, img.Reason)
		require.Equal(t, []string{"linux/amd64", "linux/arm64/v8"}, img.Platforms, img.Reference)
	}
	require.Equal(t, Assumed, r.Images[2].Status, "an entry with an architecture but no os matches no node")
	require.Contains(t, r.Images[2].Reason, `architecture "arm64" but no os`)
}

// TestAnswersThatAreNotAssumed: auto assumes an image it could not read, never one it read or one that is no
// reference at all; assuming those multi-arch would put on arm64 a pod that runs on no node of the estimate.
func TestAnswersThatAreNotAssumed(t *testing.T) {
	reg := registrytest.New(t)
	windows := reg.PushIndex(t, "windows:1", v1.Platform{OS: "windows", Architecture: "amd64", OSVersion: "10.0.17763.1"})
	arm32 := reg.PushImage(t, "arm32:1", v1.Platform{OS: "linux", Architecture: "arm", Variant: "v7"})
	l := &Lookup{Keychain: anonymous, Timeout: 5 * time.Second}
	for _, tc := range []struct{ ref, want string }{
		{windows, "[windows/amd64] offer neither linux/amd64 nor linux/arm64"},
		{arm32, "[linux/arm/v7] offer neither linux/amd64 nor linux/arm64"},
		{reg.Host + "/Shop/Carts:1", "not an image reference"},
	} {
		for _, mode := range []string{ModeAuto, ModeRegistry} {
			before := reg.Requests()
			_, err := Resolve(context.Background(), mode, "", []string{tc.ref}, l)
			require.ErrorContains(t, err, tc.ref, mode)
			require.ErrorContains(t, err, tc.want, mode)
			if tc.want == "not an image reference" {
				require.Equal(t, before, reg.Requests(), "no registry is asked for a reference that is none")
			}
		}
	}
}

// hook runs before once, at the first request it carries.
type hook struct {
	once   sync.Once
	before func()
}

func (h *hook) RoundTrip(req *http.Request) (*http.Response, error) {
	h.once.Do(h.before)
	return http.DefaultTransport.RoundTrip(req)
}

// TestTwoEstimatesShareTheCache: an estimate that writes the cache while another asks its registries keeps its
// answers; the other adds to the file instead of replacing it with what it read before.
func TestTwoEstimatesShareTheCache(t *testing.T) {
	reg := registrytest.New(t)
	carts := reg.PushIndex(t, "carts:0.4.8", registrytest.LinuxAMD64)
	orders := reg.PushIndex(t, "orders:0.4.7", registrytest.LinuxAMD64, registrytest.LinuxARM64)
	cache := filepath.Join(t.TempDir(), "images.json")
	other := &Lookup{Keychain: anonymous, CachePath: cache, Timeout: 5 * time.Second}
	first := &Lookup{Keychain: anonymous, CachePath: cache, Timeout: 5 * time.Second, Transport: &hook{before: func() {
		_, err := other.Platforms(context.Background(), []string{orders})
		require.NoError(t, err)
	}}}

	_, err := first.Platforms(context.Background(), []string{carts})
	require.NoError(t, err)
	saved, err := ReadFile(cache)
	require.NoError(t, err)
	require.Equal(t, map[string][]string{carts: {"linux/amd64"}, orders: {"linux/amd64", "linux/arm64/v8"}}, saved,
		"both estimates' answers are kept")
}

// inFlight counts the requests it carries at once, each held a little so that lookups overlap when they may.
type inFlight struct {
	now, most atomic.Int64
}

func (f *inFlight) RoundTrip(req *http.Request) (*http.Response, error) {
	n := f.now.Add(1)
	defer f.now.Add(-1)
	for m := f.most.Load(); n > m && !f.most.CompareAndSwap(m, n); m = f.most.Load() {
	}
	time.Sleep(20 * time.Millisecond)
	return http.DefaultTransport.RoundTrip(req)
}

func TestLookupsRunInParallelUpToTheBound(t *testing.T) {
	reg := registrytest.New(t)
	var refs []string
	for i := range 6 {
		refs = append(refs, reg.PushImage(t, fmt.Sprintf("app%d:1", i), registrytest.LinuxAMD64))
	}
	f := &inFlight{}
	r, err := (&Lookup{Keychain: anonymous, Timeout: 5 * time.Second, Parallel: 2, Transport: f}).Platforms(context.Background(), refs)
	require.NoError(t, err)
	require.Empty(t, r.Assumed())
	require.EqualValues(t, 2, f.most.Load(), "six lookups, two at a time")
}

func TestASlowRegistryIsAssumedAtTheTimeout(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, req *http.Request) { <-req.Context().Done() }))
	t.Cleanup(srv.Close)
	slow := strings.TrimPrefix(srv.URL, "http://") + "/carts:0.4.8"
	// The test's own deadline ends a lookup that the timeout does not, so that the test fails rather than hangs.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	r, err := Resolve(ctx, ModeAuto, "", []string{slow}, &Lookup{Keychain: anonymous, Timeout: 300 * time.Millisecond})
	require.NoError(t, err)
	require.Less(t, time.Since(start), 5*time.Second, "the timeout bounds the lookup, retries included")
	require.Equal(t, []string{slow}, r.Assumed())
	require.Contains(t, r.Images[0].Reason, "deadline exceeded", "the reason says the registry did not answer in time")
}
