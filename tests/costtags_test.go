package tests

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/karpenter-savings/karpenter-savings/internal/offline/mocks"
	"github.com/karpenter-savings/karpenter-savings/internal/offline/policy"
	"github.com/karpenter-savings/karpenter-savings/internal/ops/costtags"
	"github.com/karpenter-savings/karpenter-savings/internal/program/config"
)

// The program spells the keys itself (it links no AWS SDK); they must be the ones preflight and `savings billed` check.
func TestCostAllocationTagKeysAreTheOnesCostTagsChecks(t *testing.T) {
	require.Equal(t, costtags.NodePoolKey, config.CostTagNodePool)
	require.Equal(t, costtags.ClusterKey, config.CostTagCluster)
	require.Equal(t, costtags.NodeGroupClusterKey, config.CostTagNodeGroupCluster)
	require.Equal(t, costtags.Keys, config.CostAllocationTags)
	require.Equal(t, costtags.ActivationKey, config.Project+":"+config.KeyActivateCostAllocationTags)
}

// Activation needs the payer account and a bill that carried the tags, so it is opt-in.
func TestCostAllocationTagsAreOffByDefault(t *testing.T) {
	rec := renderDev(t)
	require.Empty(t, rec.ByType(mocks.TypeCostAllocationTag), "the default declares no cost allocation tag")
}

func TestCostAllocationTagsActivateEveryKey(t *testing.T) {
	rec, err := render(t, with(devConfig(t), map[string]string{config.KeyActivateCostAllocationTags: "true"}))
	require.NoError(t, err)

	tags := rec.ByType(mocks.TypeCostAllocationTag)
	require.Len(t, tags, 3, "one per key; declared: %v", names(tags))
	byKey := map[any]mocks.Resource{}
	for _, r := range tags {
		byKey[r.Inputs["tagKey"]] = r
	}
	for key, name := range map[string]string{
		"karpenter.sh/nodepool": "cluster-with-karpenter-cost-allocation-tag-nodepool",
		"eks:eks-cluster-name":  "cluster-with-karpenter-cost-allocation-tag-cluster-name",
		"eks:cluster-name":      "cluster-with-karpenter-cost-allocation-tag-node-group-cluster-name",
	} {
		r, ok := byKey[key]
		require.Truef(t, ok, "expected a cost allocation tag for %s; got %v", key, byKey)
		require.Equal(t, name, r.Name, "named after the cluster")
		require.Equal(t, map[string]any{"tagKey": key, "status": "Active"}, r.Inputs)
		require.True(t, r.RetainOnDelete, "%s is the payer account's, shared by every cluster: destroy leaves it active", key)
		nodePools := urnsOf(rec.ByType(mocks.TypeNodePool))
		require.NotEmpty(t, nodePools)
		require.Subset(t, r.Dependencies, nodePools,
			"%s is activated after the node pools: no bill carries it before Karpenter nodes run", key)
	}

	var stackTags []policy.Violation
	for _, v := range policy.Check(rec, policy.Options{Tags: map[string]string{"project": "karpenter-savings", "managed-by": "pulumi"}}) {
		if v.Rule == policy.RuleStackTags {
			stackTags = append(stackTags, v)
		}
	}
	require.Empty(t, stackTags, "a cost allocation tag has no tags of its own")
}

func TestActivateCostAllocationTagsMustBeABoolean(t *testing.T) {
	rec, err := render(t, with(devConfig(t), map[string]string{config.KeyActivateCostAllocationTags: "yes"}))
	require.ErrorContains(t, err, `karpenter-savings:activateCostAllocationTags: "yes" is not a boolean (true or false)`)
	require.Empty(t, rec.Resources, "a rejected configuration declares no resource")
}

func urnsOf(rs []mocks.Resource) []string {
	out := make([]string, 0, len(rs))
	for _, r := range rs {
		out = append(out, r.URN)
	}
	return out
}
