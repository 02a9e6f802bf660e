package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/karpenter-savings/karpenter-savings/internal/render"
)

// repoRoot holds the real Pulumi.yaml and Pulumi.dev.yaml.
const repoRoot = "../.."

// stackDir returns a directory holding a copy of the project's Pulumi.yaml and a Pulumi.test.yaml with body.
func stackDir(t *testing.T, body string) string {
	t.Helper()
	dir := t.TempDir()
	project, err := os.ReadFile(filepath.Join(repoRoot, "Pulumi.yaml"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Pulumi.yaml"), project, 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Pulumi.test.yaml"), []byte(body), 0o600))
	return dir
}

// runRender runs the command and returns its exit code, stdout and stderr.
func runRender(args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	code := render.Main(args, &stdout, &stderr, nil)
	return code, stdout.String(), stderr.String()
}

// A broken stack file must name the key in the error, exit 1 and print no resource, whatever the output mode.
func TestBrokenStackConfigDeclaresNothing(t *testing.T) {
	cases := []struct {
		name    string
		body    string
		wantKey string
		wantMsg string
	}{
		{"bad value", "config:\n  aws:region: us-east-1\n  karpenter-savings:vpcCidr: 10.42.0.0/33\n", "karpenter-savings:vpcCidr", "is not an IPv4 CIDR"},
		{"wrong type", "config:\n  aws:region: us-east-1\n  karpenter-savings:nodeGroupMinSize: two\n", "karpenter-savings:nodeGroupMinSize", "is not of type integer"},
		{"misspelt key", "config:\n  aws:region: us-east-1\n  karpenter-savings:vpcCider: 10.42.0.0/20\n", "karpenter-savings:vpcCider", "does not declare"},
		{"missing region", "config:\n  karpenter-savings:clusterName: demo\n", "aws:region", "not set"},
	}
	// --check runs the deep render (cmd/render-deep), whose tests cover it.
	modes := [][]string{nil, {"--json"}}
	for _, tc := range cases {
		dir := stackDir(t, tc.body)
		for _, mode := range modes {
			t.Run(tc.name+" "+strings.Join(mode, ""), func(t *testing.T) {
				code, stdout, stderr := runRender(append(mode, "--stack", "test", "--dir", dir)...)
				require.Equalf(t, 1, code, "expected exit 1, got %d; stderr:\n%s", code, stderr)
				require.Emptyf(t, stdout, "expected no resource lines on stdout, got:\n%s", stdout)
				require.Containsf(t, stderr, tc.wantKey+": ", "expected the error to name %s, got:\n%s", tc.wantKey, stderr)
				require.Containsf(t, stderr, tc.wantMsg, "expected %q in the error, got:\n%s", tc.wantMsg, stderr)
			})
		}
	}
}

func TestJSONHasResourcesAndOutputs(t *testing.T) {
	code, stdout, stderr := runRender("--json", "--dir", repoRoot)
	require.Equalf(t, 0, code, "expected exit 0, got %d; stderr:\n%s", code, stderr)
	var got struct {
		Resources []struct {
			URN       string         `json:"urn"`
			Type      string         `json:"type"`
			Name      string         `json:"name"`
			Parent    string         `json:"parent"`
			Provider  string         `json:"provider"`
			DependsOn []string       `json:"dependsOn"`
			Inputs    map[string]any `json:"inputs"`
		} `json:"resources"`
		Outputs map[string]any `json:"outputs"`
	}
	dec := json.NewDecoder(strings.NewReader(stdout))
	require.NoError(t, dec.Decode(&got), "stdout is one JSON object")
	require.False(t, dec.More(), "stdout holds nothing after the JSON object")
	require.NotEmpty(t, got.Resources)
	urns := map[string]string{}
	for _, r := range got.Resources {
		require.NotEmptyf(t, r.Type, "every resource has a type, got %+v", r)
		require.NotEmptyf(t, r.Name, "every resource has a name, got %+v", r)
		require.Truef(t, strings.HasPrefix(r.URN, "urn:pulumi:dev::karpenter-savings::") && strings.HasSuffix(r.URN, "::"+r.Name),
			"every resource has its URN, got %q for %s", r.URN, r.Name)
		require.NotContainsf(t, urns, r.URN, "URNs are unique; %s twice", r.URN)
		urns[r.URN] = r.Type
	}
	// Every reference is a URN of a resource in the render (or the stack's own resource, which is not recorded).
	for _, r := range got.Resources {
		for _, ref := range append([]string{r.Parent, r.Provider}, r.DependsOn...) {
			if ref == "" {
				continue
			}
			require.Containsf(t, urns, ref, "%s refers to %s, which the render lacks", r.URN, ref)
		}
	}
	var withProvider int
	for _, r := range got.Resources {
		if strings.HasPrefix(r.Type, "kubernetes:") {
			require.Equalf(t, "pulumi:providers:kubernetes", urns[r.Provider], "%s names its Kubernetes provider by URN", r.URN)
			withProvider++
		}
	}
	require.Greater(t, withProvider, 10, "the releases, the node pools, the sample app's namespace and ConfigFile have explicit providers")
	require.Equal(t, "cluster-with-karpenter", got.Outputs["clusterName"])
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
