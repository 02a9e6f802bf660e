package tests

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/karpenter-savings/karpenter-savings/internal/offline/deep"
	"github.com/karpenter-savings/karpenter-savings/internal/offline/mocks"
	"github.com/karpenter-savings/karpenter-savings/internal/offline/mocks/yamlv2"
	"github.com/karpenter-savings/karpenter-savings/internal/offline/policy"
	"github.com/karpenter-savings/karpenter-savings/internal/offline/render/rendertest"
	"github.com/karpenter-savings/karpenter-savings/internal/program/config"
	"github.com/karpenter-savings/karpenter-savings/internal/program/project"
	"github.com/karpenter-savings/karpenter-savings/internal/program/stack"
)

// repoRoot holds the real Pulumi.yaml and Pulumi.dev.yaml.
const repoRoot = ".."

// runRender runs cmd/render-deep (the render with its engines) and returns its exit code, stdout and stderr.
func runRender(args ...string) (int, string, string) { return rendertest.Run(deep.Engines(), args...) }

// A broken stack file must name the key in the error, exit 1 and print no resource, whatever the output mode.
func TestBrokenStackConfigDeclaresNothing(t *testing.T) {
	rendertest.BrokenConfigDeclaresNothing(t, repoRoot, deep.Engines(), [][]string{nil, {"--check"}, {"--json"}})
}

// The configuration rejects what the rules forbid, so a violation can only come from a program change: here the
// dev render with its cluster's endpoint opened by hand, as a regression in the cluster component would.
func TestCheckListsEachViolationAndFails(t *testing.T) {
	cfg, values, err := project.LoadConfig(repoRoot, "dev")
	require.NoError(t, err)
	values[config.Project+":"+config.KeyEndpointPublicAccessCidrs] = `["203.0.113.0/24"]`
	cfg.EndpointPublicAccessCidrs = []string{"203.0.113.0/24"}
	rec, err := mocks.Run(config.Project, "dev", values, stack.Program, yamlv2.Option())
	require.NoError(t, err)
	for i, r := range rec.Resources {
		if r.Type == deep.EKSClusterType {
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

// The dev stack, rendered under mocks with the yaml/v2 children (the deep render without Helm and pulumi-eks, which
// need no Node.js), must break no rule.
func TestDevStackHasNoViolations(t *testing.T) {
	values, err := project.Load(repoRoot, "dev")
	require.NoError(t, err)
	cfg, err := config.Load(values.Lookup)
	require.NoError(t, err)
	rec, err := mocks.Run(config.Project, "dev", values, stack.Program, yamlv2.Option())
	require.NoError(t, err)
	require.NotEmpty(t, rec.Resources)

	got := policy.Check(rec, policy.OptionsFor(cfg))
	lines := make([]string, 0, len(got))
	for _, v := range got {
		lines = append(lines, v.String())
	}
	require.Emptyf(t, got, "expected no violations in the dev stack, got %d:\n%s", len(got), strings.Join(lines, "\n"))
}
