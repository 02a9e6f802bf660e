package savings

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	karpv1 "sigs.k8s.io/karpenter/pkg/apis/v1"

	"github.com/karpenter-savings/karpenter-savings/internal/catalog"
	"github.com/karpenter-savings/karpenter-savings/internal/savings/workload"
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
		t.Run(s.name, func(t *testing.T) {
			shardedAgainstOnePass(t, e, s, nil, 0.02)
		})
	}
}

// shardedAgainstOnePass solves scenario s over e's pods in one pass and in shards, and requires the shards within
// bound (a fraction) of the one pass at the first scale-up and, for a Karpenter scenario, at the steady state. It
// returns the hourly cost of each at the last one compared.
func shardedAgainstOnePass(t *testing.T, e *estimator, s scenario, budgets []*policyv1.PodDisruptionBudget, bound float64) (onePass, sharded float64) {
	t.Helper()
	ctx := context.Background()
	nps := pools{nodePools: s.pools, classes: e.classes}
	start := time.Now()
	first, settled, err := solve(ctx, e.builder, nps, e.pods, e.w.DaemonSetPods, budgets, 0, !s.nodeGroup)
	require.NoError(t, err)
	mid := time.Now()
	shardedFirst, shardedSettled, err := solve(ctx, e.builder, nps, e.pods, e.w.DaemonSetPods, budgets, s.shardPods(DefaultMaxShardPods), !s.nodeGroup)
	require.NoError(t, err)
	t.Logf("one pass %.1fs, shards %.1fs", mid.Sub(start).Seconds(), time.Since(mid).Seconds())
	type result struct {
		what          string
		one, inShards []Node
	}
	results := []result{{"first scale-up", first, shardedFirst}}
	if !s.nodeGroup {
		results = append(results, result{"steady state", settled, shardedSettled})
	}
	for _, c := range results {
		onePass, sharded = NewScenario(s.name, c.one, "").HourlyUSD, NewScenario(s.name, c.inShards, "").HourlyUSD
		t.Logf("%s %s: one pass $%.4f/h on %d nodes, shards $%.4f/h on %d nodes (%+.2f%%)", s.name, c.what, onePass, len(c.one), sharded, len(c.inShards), 100*(sharded-onePass)/onePass)
		require.InDelta(t, onePass, sharded, bound*onePass, "expected the sharded %s within %.0f%% of one pass", c.what, 100*bound)
	}
	return onePass, sharded
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

// Pods that differ only in annotations (a do-not-disrupt on some) are not dealt as one group.
func TestShardKeepsAnnotationsApart(t *testing.T) {
	pods := ownedPods("", 2)
	pods[1].Annotations = map[string]string{karpv1.DoNotDisruptAnnotationKey: "true"}
	require.NotEqual(t, groupKey(pods[0]), groupKey(pods[1]), "expected an annotation to set a pod apart")
}

// A change to one workload's pod spec, as the advice makes, leaves every other workload's pods in the shards they
// were in, and solve packs only the shards that changed and the pass that packs the partly filled nodes again: the
// memo of passes answers the others.
func TestShardsStayWhenOneWorkloadChanges(t *testing.T) {
	ctx := context.Background()
	w := distinctWorkload(7, 300)
	e, err := newEstimator(ctx, smallCatalog(t), w, options(t))
	require.NoError(t, err)
	const shardPods = 100
	before := shards(e.pods, shardPods, groupKey)
	require.Greater(t, len(before), 2, "expected several shards")

	// A workload of fewer replicas than shards, its pods preferring arm64 as the advice's runs make them: its pods
	// are in one shard.
	counts := map[workload.Owner]int{}
	for _, p := range e.pods {
		counts[workload.OwnerOf(p)]++
	}
	var changed workload.Owner
	for o, n := range counts {
		if n < len(before) && (changed.Name == "" || compareOwners(o, changed) < 0) {
			changed = o
		}
	}
	require.NotEmpty(t, changed.Name, "expected a workload of fewer replicas than shards")
	pods := make([]*corev1.Pod, len(e.pods))
	for i, p := range e.pods {
		pods[i] = p
		if workload.OwnerOf(p) == changed {
			pods[i] = preferArm64(p, true)
		}
	}
	after := shards(pods, shardPods, groupKey)
	require.Len(t, after, len(before))
	touched := 0
	for i := range before {
		names := func(part []*corev1.Pod) []string {
			var out []string
			for _, p := range part {
				out = append(out, p.Namespace+"/"+p.Name)
			}
			slices.Sort(out)
			return out
		}
		require.Equal(t, names(before[i]), names(after[i]), "shard %d: expected the same pods", i)
		for _, p := range after[i] {
			if workload.OwnerOf(p) == changed {
				touched++
				break
			}
		}
	}

	p := pools{nodePools: e.stack.NodePools, classes: e.classes, memo: e.memo}
	_, _, err = solve(ctx, e.builder, p, e.pods, w.DaemonSetPods, nil, shardPods, true)
	require.NoError(t, err)
	packedBefore := e.memo.misses.Load()
	require.GreaterOrEqual(t, packedBefore, int64(len(before)), "expected every distinct shard packed")
	_, _, err = solve(ctx, e.builder, p, e.pods, w.DaemonSetPods, nil, shardPods, true)
	require.NoError(t, err)
	require.Equal(t, packedBefore, e.memo.misses.Load(), "expected the same workload to be packed from memory")
	_, _, err = solve(ctx, e.builder, p, pods, w.DaemonSetPods, nil, shardPods, true)
	require.NoError(t, err)
	again := e.memo.misses.Load() - packedBefore
	t.Logf("%d shards; the changed workload in %d; %d passes packed again of %d", len(before), touched, again, packedBefore)
	require.Equal(t, 1, touched, "expected the changed workload in one shard")
	// The changed shard, and the passes that pack partly filled nodes again, which hold some of its pods.
	require.Positive(t, again, "expected the changed shard packed")
	require.Less(t, again, packedBefore, "expected the unchanged shards packed from memory")
}

// TestShardedDistinctAgainstUnsharded packs distinctWorkload's 2,000 pods of many Deployments of few replicas each,
// the shape of a real cluster (issue 30), in shards and in one pass, in every scenario. Karpenter packs one large
// batch better than several smaller ones of the same pods, so sharded passes cost more; how much depends on the
// scenario. The stack's own scenario, multiarch, stays within 2% at the first scale-up and at the steady state, and
// so does the saving the report leads with (baseline against multiarch, in points of the baseline); the other
// scenarios stay within maxDistinctShardGap, which docs/savings.md (Scale) gives with the measurements at 2,000 and
// 3,000 pods. On main before issue 30, multiarch came out 9.6% over at 2,000 pods and 32% over at 10,000.
func TestShardedDistinctAgainstUnsharded(t *testing.T) {
	const maxDistinctShardGap = 0.12
	cat, err := catalog.Load()
	require.NoError(t, err)
	ctx := context.Background()
	w := distinctWorkload(1, 2000)
	e, err := newEstimator(ctx, cat, w, options(t))
	require.NoError(t, err)
	onDemand := restricted(e.stack.NodePools, karpv1.CapacityTypeLabelKey, karpv1.CapacityTypeOnDemand)
	steady := map[string][2]float64{} // scenario → unsharded, sharded hourly at the steady state (the node groups' first)
	for _, s := range []scenario{
		e.baseline(),
		{name: LabDefault, pools: e.lab.NodePools},
		{name: Multiarch, pools: e.stack.NodePools},
		{name: stepOnDemand, pools: onDemand},
		{name: stepOnDemandAMD64, pools: restricted(onDemand, corev1.LabelArchStable, karpv1.ArchitectureAmd64)},
	} {
		t.Run(s.name, func(t *testing.T) {
			bound := maxDistinctShardGap
			if s.name == Multiarch {
				bound = 0.02
			}
			u, v := shardedAgainstOnePass(t, e, s, e.budgets, bound)
			steady[s.name] = [2]float64{u, v}
		})
	}
	base, multi := steady[Baseline], steady[Multiarch]
	require.Positive(t, base[0])
	one, sharded := 100*(base[0]-multi[0])/base[0], 100*(base[1]-multi[1])/base[1]
	t.Logf("saving: one pass %.2f%%, shards %.2f%%", one, sharded)
	require.InDelta(t, one, sharded, 2, "expected the sharded saving within 2 points of one pass's")
}
