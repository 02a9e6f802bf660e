package samplemanifest_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/karpenter-savings/karpenter-savings/internal/program/samplemanifest"
)

func TestCheckPinned(t *testing.T) {
	for _, tc := range []struct {
		url, want string // want "" accepts
	}{
		{samplemanifest.ReleaseURL, ""},
		{"https://raw.githubusercontent.com/aws-containers/retail-store-sample-app/v1.3.0/dist/kubernetes/deploy.yaml", ""},
		{"https://raw.githubusercontent.com/aws-containers/retail-store-sample-app/1a28474f0b4e2e1e3f0c5c2b7d0e6a9f8b7c6d5e/x.yaml", ""},
		{"https://raw.githubusercontent.com/aws-containers/retail-store-sample-app/refs/tags/v1.3.0/x.yaml", ""},
		{"https://github.com/aws-containers/retail-store-sample-app/raw/v1.3.0/x.yaml", ""},
		{"https://example.com/manifests/retail-store-1.3.0.yaml", ""},
		{"http://example.com/x.yaml", "is not an https URL"},
		{"not a url", "is not an https URL"},
		{"https://github.com/aws-containers/retail-store-sample-app/releases/latest/download/kubernetes.yaml", `follows "latest"`},
		{"https://raw.githubusercontent.com/aws-containers/retail-store-sample-app/main/dist/kubernetes/deploy.yaml", `follows "main"`},
		{"https://raw.githubusercontent.com/aws-containers/retail-store-sample-app/master/x.yaml", `follows "master"`},
		{"https://raw.githubusercontent.com/aws-containers/retail-store-sample-app/HEAD/x.yaml", `follows "HEAD"`},
		{"https://raw.githubusercontent.com/aws-containers/retail-store-sample-app/refs/heads/release/x.yaml", "a branch (refs/heads/...)"},
		{"https://raw.githubusercontent.com/aws-containers/retail-store-sample-app/feature-x/x.yaml", `"feature-x", which looks like a branch`},
		{"https://github.com/aws-containers/retail-store-sample-app/blob/gh-pages/x.yaml", `"gh-pages", which looks like a branch`},
		{"https://api.github.com/repos/o/r/contents/x.yaml?ref=main", "follows ref=main"},
		{"https://example.com/x.yaml?ref=stable", "ref=stable"},
	} {
		t.Run(tc.url, func(t *testing.T) {
			err := samplemanifest.CheckPinned(tc.url)
			if tc.want == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tc.want)
		})
	}
}
