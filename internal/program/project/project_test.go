package project_test

import (
	"encoding/json"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/karpenter-savings/karpenter-savings/internal/program/config"
	"github.com/karpenter-savings/karpenter-savings/internal/program/project"
)

// repoRoot is where Pulumi.yaml lives, two levels up from this package.
const repoRoot = "../../.."

// update rewrites the fuzz seed copy of the dev stack: go test ./internal/project -run FuzzSeed -update
var update = flag.Bool("update", false, "rewrite internal/program/config/testdata/dev-stack.json from the dev stack")

// internal/program/config's fuzz target seeds from this copy of the dev stack (it must not import this package: see there).
func TestConfigFuzzSeedIsTheDevStack(t *testing.T) {
	path := filepath.Join(repoRoot, "internal", "program", "config", "testdata", "dev-stack.json")
	values, err := project.Load(repoRoot, "dev")
	require.NoError(t, err)
	want, err := json.MarshalIndent(values, "", "  ")
	require.NoError(t, err)
	want = append(want, '\n')
	if *update {
		require.NoError(t, os.WriteFile(path, want, 0o644))
	}
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equalf(t, string(want), string(got), "%s is not the dev stack's configuration; run go test ./internal/project -run FuzzSeed -update", path)
}

func TestLoadDevStackGivesAValidConfig(t *testing.T) {
	values, err := project.Load(repoRoot, "dev")
	require.NoError(t, err)
	require.Equal(t, "us-east-1", values["aws:region"])
	require.JSONEq(t, `["us-east-1a","us-east-1c"]`, values["karpenter-savings:availabilityZones"])

	cfg, err := config.Load(values.Lookup)
	require.NoError(t, err)
	require.Equal(t, "cluster-with-karpenter", cfg.ClusterName)
	require.Equal(t, "10.42.0.0/20", cfg.VpcCidr)
	require.Equal(t, 2, cfg.NodeGroup.MinSize)
	require.True(t, cfg.NodePools.Graviton.Enabled)
	require.Equal(t, "32Gi", cfg.NodePools.Default.Memory)
}

func TestLoadRejects(t *testing.T) {
	pulumiYAML, err := os.ReadFile(filepath.Join(repoRoot, "Pulumi.yaml"))
	require.NoError(t, err)
	cases := []struct {
		name  string
		stack string
		want  string
	}{
		{"wrong type", "config:\n  karpenter-savings:nodeGroupMinSize: two\n", "karpenter-savings:nodeGroupMinSize"},
		{"undeclared key", "config:\n  karpenter-savings:clusterNmae: x\n", "karpenter-savings:clusterNmae"},
		{"not yaml", "config: [\n", "Pulumi.broken.yaml"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			require.NoError(t, os.WriteFile(filepath.Join(dir, "Pulumi.yaml"), pulumiYAML, 0o600))
			require.NoError(t, os.WriteFile(filepath.Join(dir, "Pulumi.broken.yaml"), []byte(tc.stack), 0o600))
			_, err := project.Load(dir, "broken")
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestLoadMissingStack(t *testing.T) {
	_, err := project.Load(repoRoot, "nope")
	require.Error(t, err)
	require.True(t, errors.Is(err, os.ErrNotExist), "want a not-exist error, got %v", err)
}

// config.Load reads exactly config.Keys; every key Pulumi.yaml declares must be one of them and the other way
// round, or a declared setting would be silently ignored.
func TestPulumiYAMLDeclaresExactlyTheKeysConfigReads(t *testing.T) {
	values, err := project.Load(repoRoot, "dev")
	require.NoError(t, err)
	var declared []string
	for key := range values {
		if short, ok := strings.CutPrefix(key, config.Project+":"); ok {
			declared = append(declared, short)
		}
	}
	require.ElementsMatch(t, config.Keys, declared)
}

// The stack installs the charts of karpenterVersion, while the CRD validation, the chart render tests and the
// savings scheduler use the karpenter-provider-aws module go.mod pins; the dev stack's default must be that module's
// version, or what is checked offline is not what is deployed.
func TestDefaultKarpenterVersionIsTheProviderModules(t *testing.T) {
	values, err := project.Load(repoRoot, "dev")
	require.NoError(t, err)
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Version}}", "github.com/aws/karpenter-provider-aws").Output()
	require.NoError(t, err, "go list -m github.com/aws/karpenter-provider-aws")
	module := strings.TrimSpace(string(out))
	require.Equal(t, module, "v"+values["karpenter-savings:"+config.KeyKarpenterVersion],
		"expected Pulumi.yaml's karpenterVersion default to be go.mod's github.com/aws/karpenter-provider-aws")
}
