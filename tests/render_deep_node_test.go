//go:build deep

// This test runs pulumi-eks's own code through tools/eks-harness: it needs Node.js and
// `npm ci --ignore-scripts --prefix tools/eks-harness` (make deep runs both).
package tests

import (
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/karpenter-savings/karpenter-savings/internal/offline/deep"
	"github.com/karpenter-savings/karpenter-savings/internal/offline/render/rendertest"
)

// --deep adds what the Karpenter releases install, rendered by Helm, names the chart it cannot render offline, and
// adds pulumi-eks's children from its npm package.
func TestDeepShowsWhatTheReleasesInstall(t *testing.T) {
	code, stdout, stderr := runRender("--deep", "--dir", repoRoot)
	require.Equalf(t, 0, code, "stderr:\n%s", stderr)
	require.Contains(t, stdout, "h kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition cluster-with-karpenter-karpenter-crd-release:nodepools.karpenter.sh")
	require.Contains(t, stdout, "h kubernetes:apps/v1:Deployment                 cluster-with-karpenter-karpenter-release:kube-system/karpenter")
	require.Regexp(t, `\nResources: [1-9][0-9]* to create, 1 to read .*\nHelm objects: [1-9][0-9]* \(marked h\)`, stdout, "Helm's objects are not counted as Pulumi resources")
	require.Contains(t, stdout, "note: kubernetes:helm.sh/v3:Release cluster-with-karpenter-nvidia-device-plugin-release: chart nvidia-device-plugin 0.17.1 is not available offline")

	require.Regexp(t, `\+ aws:eks/cluster:Cluster +cluster-with-karpenter-eks-eksCluster\n`, stdout, "pulumi-eks's children, from its own code")
	require.Contains(t, stdout, "note: pulumi-eks 2.8.1: runs `kubectl version --client=true --output=json`", "what pulumi-eks needs at construct time is said, not hidden")

	code, stdout, stderr = runRender("--deep", "--check", "--dir", repoRoot)
	require.Equalf(t, 0, code, "the deep render of dev breaks no rule:\n%s%s", stdout, stderr)
	require.Regexp(t, `policy: [0-9]+ resources checked, 0 violations`, stdout)

}

// The policy rules run on the deep render: pulumi-eks's children and the Helm objects are checked too.
func TestCheckPassesOnTheDevStack(t *testing.T) {
	code, stdout, stderr := runRender("--check", "--dir", repoRoot)
	require.Equalf(t, 0, code, "expected exit 0, got %d; stdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	require.Regexp(t, regexp.MustCompile(`^policy: [1-9][0-9]* resources checked, 0 violations\n$`), stdout)
}

// Every reference in the deep render is a URN of a resource in it: the yaml/v2 children, the Helm objects and
// pulumi-eks's children are wired like the rest.
func TestJSONHasResourcesAndOutputs(t *testing.T) {
	rendertest.JSONGraph(t, repoRoot, deep.Engines(), 30)
}
