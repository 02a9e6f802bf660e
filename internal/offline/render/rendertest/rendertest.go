// Package rendertest holds the checks the tests of the default render (cmd/render) and of the deep render (tests/)
// share: both run render.Main, one without engines and one with them.
package rendertest

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/karpenter-savings/karpenter-savings/internal/offline/render"
)

// Run runs the render command with engines (nil: cmd/render's) and returns its exit code, stdout and stderr.
func Run(engines *render.Engines, args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	code := render.Main(args, &stdout, &stderr, engines)
	return code, stdout.String(), stderr.String()
}

// StackDir returns a directory holding a copy of root's Pulumi.yaml and a Pulumi.test.yaml with body.
func StackDir(t *testing.T, root, body string) string {
	t.Helper()
	dir := t.TempDir()
	project, err := os.ReadFile(filepath.Join(root, "Pulumi.yaml"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Pulumi.yaml"), project, 0o600)) //nolint:gosec // G703: a test helper copying the project file into t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Pulumi.test.yaml"), []byte(body), 0o600))
	return dir
}

// BrokenConfigDeclaresNothing checks that a broken stack file names the key in the error, exits 1 and prints no
// resource, in each of modes (extra flags).
func BrokenConfigDeclaresNothing(t *testing.T, root string, engines *render.Engines, modes [][]string) {
	t.Helper()
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
	for _, tc := range cases {
		dir := StackDir(t, root, tc.body)
		for _, mode := range modes {
			t.Run(tc.name+" "+strings.Join(mode, ""), func(t *testing.T) {
				code, stdout, stderr := Run(engines, append(mode, "--stack", "test", "--dir", dir)...)
				require.Equalf(t, 1, code, "expected exit 1, got %d; stderr:\n%s", code, stderr)
				require.Emptyf(t, stdout, "expected no resource lines on stdout, got:\n%s", stdout)
				require.Containsf(t, stderr, tc.wantKey+": ", "expected the error to name %s, got:\n%s", tc.wantKey, stderr)
				require.Containsf(t, stderr, tc.wantMsg, "expected %q in the error, got:\n%s", tc.wantMsg, stderr)
			})
		}
	}
}

// JSONGraph checks the dev stack's --json render: one JSON object; every resource with a type, a name and its own
// unique URN; every parent, provider and dependency a URN of the render; every Kubernetes object managed by a
// Kubernetes provider, at least minWithProvider of them; and the outputs.
func JSONGraph(t *testing.T, root string, engines *render.Engines, minWithProvider int) {
	t.Helper()
	code, stdout, stderr := Run(engines, "--json", "--dir", root)
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
	require.Greaterf(t, withProvider, minWithProvider, "expected more than %d Kubernetes objects with explicit providers", minWithProvider)
	require.Equal(t, "cluster-with-karpenter", got.Outputs["clusterName"])
}
