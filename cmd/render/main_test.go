package main

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/karpenter-savings/karpenter-savings/internal/offline/render/rendertest"
)

// repoRoot holds the real Pulumi.yaml and Pulumi.dev.yaml.
const repoRoot = "../.."

// runRender runs the command and returns its exit code, stdout and stderr.
func runRender(args ...string) (int, string, string) { return rendertest.Run(nil, args...) }

// A broken stack file must name the key in the error, exit 1 and print no resource, whatever the output mode. --check
// runs the deep render (cmd/render-deep), whose tests in tests/ cover it.
func TestBrokenStackConfigDeclaresNothing(t *testing.T) {
	rendertest.BrokenConfigDeclaresNothing(t, repoRoot, nil, [][]string{nil, {"--json"}})
}

// The default render's graph is whole: the releases, the node pools, the sample app's namespace and ConfigFile.
func TestJSONHasResourcesAndOutputs(t *testing.T) {
	rendertest.JSONGraph(t, repoRoot, nil, 10)
}

// The default render links no engine: remote components are boxes with their inputs, as in `pulumi preview`, and a
// note says where their children are shown.
func TestRemoteComponentsAreBoxes(t *testing.T) {
	code, stdout, stderr := runRender("--dir", repoRoot)
	require.Equalf(t, 0, code, "stderr:\n%s", stderr)
	require.Regexp(t, `\+ kubernetes:yaml/v2:ConfigFile +cluster-with-karpenter-sampleapp-manifest\n`, stdout)
	require.NotContains(t, stdout, "kubernetes:apps/v1:Deployment", "the ConfigFile's objects come with --deep")
	require.NotContains(t, stdout, "CustomResourceDefinition", "the releases' objects come with --deep")
	require.Contains(t, stdout, "note: kubernetes:yaml/v2:ConfigFile cluster-with-karpenter-sampleapp-manifest: a remote component; the objects it applies are shown with --deep")
}

func TestJSONAndCheckAreExclusive(t *testing.T) {
	code, stdout, stderr := runRender("--json", "--check", "--dir", repoRoot)
	require.Equal(t, 2, code, "a usage error exits 2")
	require.Empty(t, stdout)
	require.Contains(t, stderr, "choose one")
}

// --save-state and --plan run Pulumi's engine on the program (cmd/render-plan), not the deep render.
func TestPlanAndDeepAreExclusive(t *testing.T) {
	code, stdout, stderr := runRender("--plan", "--state", "x.json", "--deep", "--dir", repoRoot)
	require.Equal(t, 2, code, "a usage error exits 2")
	require.Empty(t, stdout)
	require.Contains(t, stderr, "drop --deep and --check")
}
