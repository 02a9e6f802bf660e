package preflight

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

	"github.com/karpenter-savings/karpenter-savings/internal/program/samplemanifest"
)

// Fetch reads a URL; HTTPFetch is the real one.
type Fetch func(ctx context.Context, url string) ([]byte, error)

// maxManifest bounds what the manifest check reads: the v1.3.0 release is about 30 kB.
const maxManifest = 16 << 20

// HTTPFetch GETs url and returns the body of a 200 response.
func HTTPFetch(ctx context.Context, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer func() { _ = resp.Body.Close() }() // a read-only GET: nothing to lose on close
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return io.ReadAll(io.LimitReader(resp.Body, maxManifest))
}

// Manifest checks that the sample app's manifest URL still serves what the offline render shows: the bytes whose
// SHA-256 was recorded (samplemanifest.ReleaseSHA256), or, while none is recorded, the same objects and images as the
// local copy. Offline it is skipped, not failed: `pulumi up` needs the URL anyway and will say so.
func Manifest(ctx context.Context, fetch Fetch, url string) Result {
	pinned, ok := samplemanifest.Lookup(url)
	if !ok {
		return Result{Check: "sample-app manifest " + url, Status: StatusSkipped, Found: "no local copy: the offline render does not show its objects"}
	}
	return ManifestPinned(ctx, fetch, pinned)
}

// ManifestPinned is Manifest for what is pinned of one URL.
func ManifestPinned(ctx context.Context, fetch Fetch, pinned samplemanifest.Pinned) Result {
	check := "sample-app manifest " + pinned.URL
	served, err := fetch(ctx, pinned.URL)
	if err != nil {
		return Result{Check: check, Status: StatusSkipped, Found: fmt.Sprintf("not reachable (%v)", err)}
	}
	digest := samplemanifest.SHA256(served)
	if pinned.SHA256 != "" {
		if digest != pinned.SHA256 {
			return Result{Check: check, Status: StatusFail, Found: fmt.Sprintf("serves sha256 %s, not the recorded %s", digest, pinned.SHA256),
				Fix: "the release changed under its URL: compare it with internal/program/samplemanifest's copy, then update the copy and samplemanifest.ReleaseSHA256"}
		}
		return Result{Check: check, Status: StatusOK, Found: "serves the recorded sha256 " + digest}
	}
	want, err := manifestObjects(pinned.Copy)
	if err != nil {
		return Result{Check: check, Status: StatusFail, Found: "local copy: " + err.Error(), Fix: "regenerate internal/program/samplemanifest's copy"}
	}
	got, err := manifestObjects(served)
	if err != nil {
		return Result{Check: check, Status: StatusFail, Found: "served manifest: " + err.Error(), Fix: "pin a release whose manifest is valid YAML"}
	}
	if missing, extra := diff(want, got); len(missing)+len(extra) > 0 {
		return Result{Check: check, Status: StatusFail,
			Found: fmt.Sprintf("serves sha256 %s, whose objects differ from the local copy: missing %s; extra %s", digest, list(missing), list(extra)),
			Fix:   "the offline render shows other objects than pulumi up would apply: update internal/program/samplemanifest's copy from this URL"}
	}
	return Result{Check: check, Status: StatusOK,
		Found: fmt.Sprintf("serves the local copy's %d objects and images; its sha256 is %s: record it as samplemanifest.ReleaseSHA256 to pin the bytes", len(got), digest)}
}

// diff returns the lines of want missing from got, and those of got not in want.
func diff(want, got []string) (missing, extra []string) {
	for _, w := range want {
		if !slices.Contains(got, w) {
			missing = append(missing, w)
		}
	}
	for _, g := range got {
		if !slices.Contains(want, g) {
			extra = append(extra, g)
		}
	}
	return missing, extra
}

func list(lines []string) string {
	if len(lines) == 0 {
		return "none"
	}
	return strings.Join(lines, ", ")
}

// manifestObjects identifies what a manifest applies, one line per object: kind, namespace/name, and the images of its
// containers, sorted. Two manifests with the same lines apply the same objects from the same images, whatever their
// bytes (order, comments, formatting) look like.
func manifestObjects(manifest []byte) ([]string, error) {
	decoder := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(manifest), 4096)
	var out []string
	for {
		var obj map[string]any
		if err := decoder.Decode(&obj); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, fmt.Errorf("decoding the manifest: %w", err)
		}
		if len(obj) == 0 {
			continue
		}
		u := unstructured.Unstructured{Object: obj}
		line := fmt.Sprintf("%s %s/%s", u.GetKind(), u.GetNamespace(), u.GetName())
		containers, _, _ := unstructured.NestedSlice(obj, "spec", "template", "spec", "containers")
		for _, c := range containers {
			if m, ok := c.(map[string]any); ok {
				line += fmt.Sprintf(" %v", m["image"])
			}
		}
		out = append(out, line)
	}
	slices.Sort(out)
	return out, nil
}
