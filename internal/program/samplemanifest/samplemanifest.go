// Package samplemanifest holds the local copy of the retail store sample app's release manifest, so that the offline
// render and the tests can see every object `pulumi up` would apply from the release URL.
//
// The copy is regenerated, not downloaded (this workplace reaches no GitHub release assets): the five Helm charts of
// aws-containers/retail-store-sample-app at tag v1.3.0 rendered with Helm's Go SDK and the values the release job
// uses (src/app/helmfile.yaml and scripts/kubernetes-dist.sh: IMAGE_TAG=1.3.0, LOAD_BALANCER=yes, release namespace
// "default", tests skipped). Its objects are the release's; its bytes need not be.
package samplemanifest

import (
	"crypto/sha256"
	_ "embed" // the manifest copy
	"encoding/hex"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// ReleaseURL is the Kubernetes manifest of the retail store's v1.3.0 release (2025-09-16), with its ui Service as a
// LoadBalancer.
const ReleaseURL = "https://github.com/aws-containers/retail-store-sample-app/releases/download/v1.3.0/kubernetes.yaml"

//go:embed retail-store-v1.3.0.yaml
var release []byte

// ReleaseSHA256 is the SHA-256 of the bytes ReleaseURL serves, once someone has read them: empty here, because this
// copy was regenerated, not downloaded. `go run ./cmd/preflight` fetches the URL when online, compares its objects
// with this copy's and prints the digest to record here; once recorded, preflight fails when the URL serves other
// bytes.
const ReleaseSHA256 = ""

// Copies maps each manifest URL there is a local copy of to its bytes.
func Copies() map[string][]byte {
	return map[string][]byte{ReleaseURL: release}
}

// Pinned is what the project knows about one manifest URL: its local copy, and the SHA-256 the URL was seen to serve
// ("" while unknown).
type Pinned struct {
	URL    string
	Copy   []byte
	SHA256 string
}

// Lookup returns what is pinned for url; ok is false when there is no local copy.
func Lookup(url string) (Pinned, bool) {
	if url != ReleaseURL {
		return Pinned{}, false
	}
	return Pinned{URL: ReleaseURL, Copy: release, SHA256: ReleaseSHA256}, true
}

// SHA256 is the hex SHA-256 of b.
func SHA256(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// movingRefs are the branch and alias names a URL path can follow; what they point at changes without the URL
// changing.
var movingRefs = []string{"main", "master", "HEAD", "latest", "develop", "dev", "trunk"}

// commitSHA is a full Git commit id, the most pinned ref there is.
var commitSHA = regexp.MustCompile(`^[0-9a-f]{40}$`)

// CheckPinned accepts an https manifest URL only when it cannot move: no branch or alias in its path or ref query,
// and on GitHub a ref that is a tag or a commit (a release download, raw.githubusercontent.com/<o>/<r>/<tag>/...,
// github.com/<o>/<r>/raw/<tag>/...), so that every `pulumi up` applies the same manifest.
func CheckPinned(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return fmt.Errorf("%q is not an https URL", raw)
	}
	moves := func(what string) error {
		return fmt.Errorf("%q follows %s, which moves; pin a release tag or a commit (e.g. %s)", raw, what, ReleaseURL)
	}
	segments := strings.Split(strings.Trim(u.Path, "/"), "/")
	for i, s := range segments {
		if slices.Contains(movingRefs, s) {
			return moves(fmt.Sprintf("%q", s))
		}
		if s == "refs" && i+1 < len(segments) && segments[i+1] == "heads" {
			return moves("a branch (refs/heads/...)")
		}
	}
	if ref := u.Query().Get("ref"); ref != "" && !pinnedRef(ref) {
		return moves(fmt.Sprintf("ref=%s", ref))
	}
	// The ref GitHub serves the file from: raw.githubusercontent.com/<owner>/<repo>/<ref>/... and
	// github.com/<owner>/<repo>/(raw|blob)/<ref>/...; release downloads name their tag.
	var ref string
	switch {
	case u.Host == "raw.githubusercontent.com" && len(segments) > 3:
		ref = segments[2]
	case u.Host == "github.com" && len(segments) > 4 && (segments[2] == "raw" || segments[2] == "blob"):
		ref = segments[3]
	}
	if ref != "" && ref != "refs" && !pinnedRef(ref) {
		return moves(fmt.Sprintf("%q, which looks like a branch", ref))
	}
	return nil
}

// pinnedRef tells a tag or commit from a branch name: a commit id, or a name with a version number in it.
func pinnedRef(ref string) bool {
	ref = strings.TrimPrefix(ref, "refs/tags/")
	return commitSHA.MatchString(ref) || strings.ContainsAny(ref, "0123456789") && !strings.HasPrefix(ref, "refs/heads/")
}
