package config

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/karpenter-savings/karpenter-savings/internal/program/poolspec"
)

func TestAMIAlias(t *testing.T) {
	for in, want := range map[string]string{
		"1.35.0-20251120": "al2023@v20251120", // SSM's release_version
		"v20250901":       "al2023@v20250901", // a pinned nodeAmiVersion
	} {
		require.Equal(t, want, AMIAlias(in), in)
	}
}

func TestNodePoolOptionsCarryTheConfig(t *testing.T) {
	c := &Config{
		ClusterName:  "lab",
		DiscoveryTag: DiscoveryPerCluster,
		Tags:         map[string]string{"team": "platform"},
		NodePools: NodePools{
			Default:  Pool{Enabled: true, Weight: 10, CapacityTypes: []string{"spot"}, CPU: "16", Memory: "32Gi"},
			Graviton: Pool{Enabled: false},
			GPU:      Pool{Enabled: true, CapacityTypes: []string{"on-demand"}, CPU: "8", Memory: "64Gi", GPU: "2"},
		},
	}
	o := c.NodePoolOptions("al2023@v20251120", "ami-0123")
	require.Equal(t, "KarpenterNodeRole-lab", o.NodeRoleName)
	require.Equal(t, "karpenter.sh/discovery/lab", o.DiscoveryTagKey)
	require.Equal(t, "al2023@v20251120", o.AMIAlias)
	require.Equal(t, "ami-0123", o.GPUAMIID)
	require.Equal(t, "32Gi", o.Default.MemoryLimit)
	require.Equal(t, int32(10), o.Default.Weight)
	require.False(t, o.Graviton.Enabled)
	require.Equal(t, "2", o.GPU.GPULimit)
	o.Tags["team"] = "changed"
	require.Equal(t, "platform", c.Tags["team"], "options get a copy of the tags")
}

// A Config that skipped Validate may hold a budget no limits derive from: the options then carry empty limits, which
// poolspec.Build refuses, rather than limits of some other pool or region.
func TestNodePoolOptionsWithAnUnderivableBudget(t *testing.T) {
	c := &Config{
		Region:       "us-east-1",
		ClusterName:  "lab",
		DiscoveryTag: DiscoveryPerCluster,
		NodePools: NodePools{
			Default:  Pool{Enabled: true, Weight: 10, CapacityTypes: []string{"spot"}, MaxMonthlyUSD: []byte("1")},
			Graviton: Pool{Enabled: true, Weight: 50, CapacityTypes: []string{"spot"}, CPU: "32", MaxMonthlyUSD: []byte("500")},
		},
	}
	o := c.NodePoolOptions("al2023@v20251120", "")
	require.Empty(t, o.Default.CPULimit, "a budget below one node derives no limits")
	require.Empty(t, o.Default.MemoryLimit)
	require.Equal(t, "9321m", o.Graviton.CPULimit, "the budget decides, not the cpu Validate would refuse beside it")
	_, err := poolspec.Build(o)
	require.ErrorContains(t, err, `Options.Default.CPULimit = "": required`)
}
