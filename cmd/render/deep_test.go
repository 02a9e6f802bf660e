//go:build deep

// This test runs cmd/render-deep through `go run` and pulumi-eks's own code through tools/eks-harness: it needs
// Node.js and `npm ci --ignore-scripts --prefix tools/eks-harness` (make deep runs both).
package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// render --deep runs cmd/render-deep from the module's directory, whatever the working directory is, and passes
// --dir on as the same directory.
func TestDeepWorksFromAnyDirectory(t *testing.T) {
	root, err := filepath.Abs(repoRoot)
	require.NoError(t, err)
	t.Chdir(t.TempDir())
	code, stdout, stderr := runRender("--deep", "--dir", root)
	require.Equalf(t, 0, code, "stderr:\n%s", stderr)
	require.Contains(t, stdout, "h kubernetes:apps/v1:Deployment                 cluster-with-karpenter-karpenter-release:kube-system/karpenter")
	require.Contains(t, stdout, "kubernetes:apps/v1:Deployment", "the ConfigFile's objects")
	_, err = os.Stat("go.mod")
	require.True(t, os.IsNotExist(err), "expected the test to run outside the module")
}
