// Package poolspectest holds the node pool options the tests of several packages build from, so that one fixture
// serves the builder, the CRD validator and the Pulumi component.
package poolspectest

import "github.com/karpenter-savings/karpenter-savings/internal/program/poolspec"

// Cluster is the lab's cluster name.
const Cluster = "cluster-with-karpenter"

// GPUAMIID stands in for the NVIDIA AMI id the stack reads from SSM.
const GPUAMIID = "ami-0f1e2d3c4b5a69788"

// Options has the lab's cluster name, node role, discovery tag and default pool; the other pools hold fixture
// values for the builder, not the stack's defaults (the stack's own tests check those).
func Options() poolspec.Options {
	return poolspec.Options{
		ClusterName:     Cluster,
		NodeRoleName:    "KarpenterNodeRole-" + Cluster,
		DiscoveryTagKey: "karpenter.sh/discovery/" + Cluster,
		AMIAlias:        "al2023@v20251120",
		GPUAMIID:        GPUAMIID,
		Default:         poolspec.PoolSpec{Enabled: true, CapacityTypes: []string{"spot"}, CPULimit: "16", MemoryLimit: "32Gi"},
		Graviton: poolspec.PoolSpec{Enabled: true, Weight: 50, CapacityTypes: []string{"spot", "on-demand"},
			CPULimit: "16", MemoryLimit: "32Gi"},
		GPU: poolspec.PoolSpec{Enabled: true, CapacityTypes: []string{"spot", "on-demand"},
			CPULimit: "32", MemoryLimit: "128Gi", GPULimit: "4"},
	}
}
