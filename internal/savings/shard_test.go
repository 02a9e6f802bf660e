package savings

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	karpv1 "sigs.k8s.io/karpenter/pkg/apis/v1"

	"github.com/karpenter-savings/karpenter-savings/internal/catalog"
)

// TestShardedWithinTwoPercentOfUnsharded packs 2,000 pods of the benchmark's web-shop mix on the stack's pools, in
// shards of DefaultMaxShardPods and in one pass, and requires the sharded cost to stay within 2% of the unsharded
// one, both at the first scale-up and at the steady state, in the multiarch scenario and in its on-demand step
// (where consolidation replaces nodes); and likewise the baseline's node groups in shards of NodeGroupShardPods
// (they do not consolidate).
func TestShardedWithinTwoPercentOfUnsharded(t *testing.T) {
	cat, err := catalog.Load()
	require.NoError(t, err)
	ctx := context.Background()
	w := benchWorkload(2000)
	e, err := newEstimator(ctx, cat, w, options(t))
	require.NoError(t, err)
	for _, s := range []scenario{
		e.baseline(),
		{name: Multiarch, pools: e.stack.NodePools},
		{name: stepOnDemand, pools: restricted(e.stack.NodePools, "karpenter.sh/capacity-type", "on-demand")},
	} {
		name, nps := s.name, pools{nodePools: s.pools, classes: e.classes}
		t.Run(name, func(t *testing.T) {
			first, settled, err := solve(ctx, e.builder, nps, e.pods, w.DaemonSetPods, nil, 0, !s.nodeGroup)
			require.NoError(t, err)
			shardedFirst, shardedSettled, err := solve(ctx, e.builder, nps, e.pods, w.DaemonSetPods, nil, s.shardPods(DefaultMaxShardPods), !s.nodeGroup)
			require.NoError(t, err)
			type result struct {
				what              string
				unsharded, shards []Node
			}
			results := []result{{"first scale-up", first, shardedFirst}}
			if !s.nodeGroup {
				results = append(results, result{"steady state", settled, shardedSettled})
			}
			for _, c := range results {
				u, v := NewScenario(name, c.unsharded, "").HourlyUSD, NewScenario(name, c.shards, "").HourlyUSD
				t.Logf("%s %s: unsharded $%.4f/h on %d nodes, sharded $%.4f/h on %d nodes (%+.2f%%)", name, c.what, u, len(c.unsharded), v, len(c.shards), 100*(v-u)/u)
				require.InDelta(t, u, v, 0.02*u, "expected the sharded %s within 2%% of the unsharded one", c.what)
			}
		})
	}
}

// TestNodeGroupShardsCountDaemonsAsFill packs 2,000 pods of 34m/64Mi with a 250m DaemonSet on the baseline's
// m6i.large node group: 49 pods fill a node to 86% of its CPU, and the DaemonSet to 99%. Counting only the pods'
// requests, no node of a 100-pod shard was filled, so each shard was counted whole, its half-empty last node 20
// times: 60 nodes against 41 in one pass (+46%). With the NodeClaim's own requests, daemons included, the shards
// stay within 2%.
func TestNodeGroupShardsCountDaemonsAsFill(t *testing.T) {
	ctx := context.Background()
	w := mustParse(t, deployment("tiny", 2000, "34m", "64Mi", "")+daemonSet("agent", "250m", "128Mi"))
	e, err := newEstimator(ctx, smallCatalog(t), w, options(t))
	require.NoError(t, err)
	s := e.baseline()
	p := pools{nodePools: s.pools, classes: e.classes, memo: e.memo}
	whole, _, err := solve(ctx, e.builder, p, e.pods, w.DaemonSetPods, nil, 0, false)
	require.NoError(t, err)
	require.Equal(t, NodeGroupShardPods, s.shardPods(DefaultMaxShardPods))
	sharded, _, err := solve(ctx, e.builder, p, e.pods, w.DaemonSetPods, nil, s.shardPods(DefaultMaxShardPods), false)
	require.NoError(t, err)
	u, v := NewScenario("one pass", whole, "").HourlyUSD, NewScenario("shards", sharded, "").HourlyUSD
	t.Logf("one pass: %d nodes $%.4f; shards of %d: %d nodes $%.4f (%+.1f%%)", len(whole), u, NodeGroupShardPods, len(sharded), v, 100*(v-u)/u)
	require.InDelta(t, u, v, 0.02*u)
}

// Pods that differ only in annotations (a do-not-disrupt on some) are not dealt as one group, and a shard's copy of
// a pod keeps the labels and annotations Karpenter's disruption reads.
func TestShardKeepsAnnotationsApart(t *testing.T) {
	pods := ownedPods("", 2)
	pods[1].Annotations = map[string]string{karpv1.DoNotDisruptAnnotationKey: "true"}
	require.NotEqual(t, groupKey(pods[0]), groupKey(pods[1]), "expected an annotation to set a pod apart")
	cp := shardCopy(pods[1], 3)
	require.Equal(t, pods[1].Labels, cp.Labels)
	require.Equal(t, pods[1].Annotations, cp.Annotations)
	require.NotEqual(t, pods[1].Name, cp.Name)
}
