package tests

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/karpenter-savings/karpenter-savings/internal/config"
	"github.com/karpenter-savings/karpenter-savings/internal/deep"
	"github.com/karpenter-savings/karpenter-savings/internal/mockcloud"
	"github.com/karpenter-savings/karpenter-savings/internal/mockcloud/yamlv2"
	"github.com/karpenter-savings/karpenter-savings/internal/policy"
	"github.com/karpenter-savings/karpenter-savings/internal/project"
	rendercmd "github.com/karpenter-savings/karpenter-savings/internal/render"
	"github.com/karpenter-savings/karpenter-savings/internal/stack"
)

// repoRoot holds the real Pulumi.yaml and Pulumi.dev.yaml.
const repoRoot = ".."

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

// runRender runs cmd/render-deep (the render with its engines) and returns its exit code, stdout and stderr.
func runRender(args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	code := rendercmd.Main(args, &stdout, &stderr, deep.Engines())
	return code, stdout.String(), stderr.String()
}

// The configuration rejects what the rules forbid, so a violation can only come from a program change: here the
// dev render with its cluster's endpoint opened by hand, as a regression in the cluster component would.
func TestCheckListsEachViolationAndFails(t *testing.T) {
	cfg, values, err := project.LoadConfig(repoRoot, "dev")
	require.NoError(t, err)
	values[config.Project+":"+config.KeyEndpointPublicAccessCidrs] = `["203.0.113.0/24"]`
	cfg.EndpointPublicAccessCidrs = []string{"203.0.113.0/24"}
	rec, err := mockcloud.Run(config.Project, "dev", values, stack.Program, yamlv2.Option())
	require.NoError(t, err)
	for i, r := range rec.Resources {
		if r.Type == "eks:index:Cluster" {
			rec.Resources[i].Inputs["publicAccessCidrs"] = []any{"0.0.0.0/0"}
		}
	}

	var out bytes.Buffer
	code := deep.PrintCheck(&out, rec, policy.Check(rec, policy.OptionsFor(cfg)))
	require.Equal(t, 1, code)
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	require.Equal(t, []string{
		"public-endpoint: eks:index:Cluster cluster-with-karpenter-eks: publicAccessCidrs contains 0.0.0.0/0, the whole internet",
		"public-endpoint: eks:index:Cluster cluster-with-karpenter-eks: publicAccessCidrs is 0.0.0.0/0; the configuration allows 203.0.113.0/24",
	}, lines[:len(lines)-1], "one line per violation: rule, resource, message")
	require.Regexp(t, `^policy: [1-9][0-9]* resources checked, 2 violations$`, lines[len(lines)-1])
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
	modes := [][]string{nil, {"--check"}, {"--json"}}
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

// The dev stack, rendered under mocks with the yaml/v2 children (the deep render without Helm and pulumi-eks, which
// need no Node.js), must break no rule.
func TestDevStackHasNoViolations(t *testing.T) {
	values, err := project.Load(repoRoot, "dev")
	require.NoError(t, err)
	cfg, err := config.Load(values.Lookup)
	require.NoError(t, err)
	rec, err := mockcloud.Run(config.Project, "dev", values, stack.Program, yamlv2.Option())
	require.NoError(t, err)
	require.NotEmpty(t, rec.Resources)

	got := policy.Check(rec, policy.OptionsFor(cfg))
	lines := make([]string, 0, len(got))
	for _, v := range got {
		lines = append(lines, v.String())
	}
	require.Emptyf(t, got, "expected no violations in the dev stack, got %d:\n%s", len(got), strings.Join(lines, "\n"))
}
