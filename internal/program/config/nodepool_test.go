package config

import (
	"testing"

	"github.com/stretchr/testify/require"
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
