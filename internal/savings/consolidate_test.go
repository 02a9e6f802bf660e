package savings

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	apitypes "k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	karpv1 "sigs.k8s.io/karpenter/pkg/apis/v1"

	"github.com/karpenter-savings/karpenter-savings/internal/catalog"
	"github.com/karpenter-savings/karpenter-savings/internal/savings/workload"
)

// consolidationCase builds an offline cluster the way a real one gets there: nodes launched by separate
// scale-ups, one per wave of pods, then some pods gone (a scale-down, a Job done), and runs consolidate on it.
// The pool is the stack's default pool restricted to on-demand amd64, so that Karpenter may replace nodes (spot
// nodes it only deletes, see ConsolidationRules), on the hand-made catalog: m6i.large $0.096/h (1930m CPU
// allocatable), m6i.xlarge $0.192/h (3920m), m6i.2xlarge $0.384/h (7910m).
type consolidationCase struct {
	budget string   // the pool's disruption budget; "" keeps the stack's 50%
	waves  []string // manifests, each placed by a scheduling pass of its own
	gone   []string // deployments whose pods are then deleted
	// annotate gives the pods of the named deployments these annotations, as their pod template would.
	annotate map[string]map[string]string
	// pdbs are the workload's PodDisruptionBudgets; their status is computed over the pods left after gone.
	pdbs []*policyv1.PodDisruptionBudget
}

func (c consolidationCase) run(t *testing.T) (before, after []Node) {
	t.Helper()
	ctx := context.Background()
	e, err := newEstimator(ctx, smallCatalog(t), mustParse(t, strings.Join(c.waves, "")), options(t))
	require.NoError(t, err)
	nps := restricted(restricted(e.stack.NodePools[:1], karpv1.CapacityTypeLabelKey, karpv1.CapacityTypeOnDemand), corev1.LabelArchStable, karpv1.ArchitectureAmd64)
	require.Equal(t, "default", nps[0].Name)
	if c.budget != "" {
		nps[0].Spec.Disruption.Budgets = []karpv1.Budget{{Nodes: c.budget}}
	}
	p := pools{nodePools: nps, classes: e.classes}
	var all pass
	for i, manifest := range c.waves {
		pods := withUIDs(mustParse(t, manifest).Pods)
		for _, pod := range pods {
			pod.UID = pod.UID + apitypes.UID("-"+pod.Name)
			pod.Annotations = c.annotate[workload.OwnerOf(pod).Name]
		}
		wave, err := scheduleOnce(ctx, e.builder, p, pods, nil, false)
		require.NoError(t, err, "wave %d", i)
		require.Empty(t, wave.podErrors, "wave %d", i)
		all.nodePools, all.its = wave.nodePools, wave.its
		all.placed = append(all.placed, wave.placed...)
	}
	var pods []*corev1.Pod
	for i := range all.placed {
		claim := all.placed[i].claim
		claim.Pods = removeOwners(claim.Pods, c.gone)
		all.placed[i].node.Pods = len(claim.Pods)
		before = append(before, all.placed[i].node)
		pods = append(pods, claim.Pods...)
	}
	budgets, _, err := disruptionBudgets(c.pdbs, pods, nil)
	require.NoError(t, err)
	kept, err := consolidate(ctx, all, nil, budgets)
	require.NoError(t, err)
	for _, pl := range kept {
		after = append(after, pl.node)
	}
	sortNodes(before)
	sortNodes(after)
	return before, after
}

func mustParse(t *testing.T, manifests string) *workload.Workload {
	t.Helper()
	w, err := workload.Parse(strings.NewReader(manifests), "test.yaml")
	require.NoError(t, err)
	return w
}

func removeOwners(pods []*corev1.Pod, gone []string) []*corev1.Pod {
	var out []*corev1.Pod
	for _, p := range pods {
		keep := true
		for _, g := range gone {
			if workload.OwnerOf(p).Name == g {
				keep = false
			}
		}
		if keep {
			out = append(out, p)
		}
	}
	return out
}

// podsPerType lists the nodes' instance types with their pod counts, e.g. "m6i.xlarge:3".
func podsPerType(nodes []Node) []string {
	var out []string
	for _, n := range nodes {
		out = append(out, n.InstanceType+":"+strings.Repeat("|", n.Pods))
	}
	return out
}

func TestConsolidationWorkedByHand(t *testing.T) {
	for _, tc := range []struct {
		name          string
		c             consolidationCase
		before, after []string
	}{
		{
			// Two waves of one 1500m pod each: two m6i.large. The second wave's pod is deleted; emptiness deletes
			// its node.
			name:   "a node that empties is deleted",
			c:      consolidationCase{waves: []string{deployment("a", 1, "1500m", "1Gi", ""), deployment("b", 1, "1500m", "1Gi", "")}, gone: []string{"b"}},
			before: []string{"m6i.large:|", "m6i.large:"},
			after:  []string{"m6i.large:|"},
		},
		{
			// Two 3-vCPU pods need 6 vCPU: one m6i.2xlarge ($0.384). One goes; the other fits an m6i.xlarge's
			// 3920m, at half the price, so single-node consolidation replaces the node.
			name:   "a node is replaced by a cheaper one",
			c:      consolidationCase{waves: []string{deployment("a", 1, "3", "1Gi", "") + deployment("b", 1, "3", "1Gi", "")}, gone: []string{"b"}},
			before: []string{"m6i.2xlarge:|"},
			after:  []string{"m6i.xlarge:|"},
		},
		{
			// Four waves of one 1100m pod: four m6i.large ($0.384 in all); two such pods never share one (2200m >
			// 1930m), so no single node can go. Multi-node consolidation's binary search over the four (sorted by
			// savings ratio, all equal) tries three: 3300m fit one m6i.xlarge, $0.192 < $0.288, valid; then all
			// four: 4400m need an m6i.2xlarge, $0.384, not cheaper. Three merge into an m6i.xlarge; the fourth
			// stays, as the xlarge has 620m left.
			name: "three nodes merge into one",
			c: consolidationCase{budget: "100%", waves: []string{
				deployment("a", 1, "1100m", "1Gi", ""), deployment("b", 1, "1100m", "1Gi", ""),
				deployment("c", 1, "1100m", "1Gi", ""), deployment("d", 1, "1100m", "1Gi", ""),
			}},
			before: []string{"m6i.large:|", "m6i.large:|", "m6i.large:|", "m6i.large:|"},
			after:  []string{"m6i.large:|", "m6i.xlarge:|||"},
		},
		{
			// The same four nodes with a budget of one node at a time: multi-node consolidation needs at least two
			// candidates, and no single node can go, so nothing changes.
			name: "a budget of one node blocks the merge",
			c: consolidationCase{budget: "1", waves: []string{
				deployment("a", 1, "1100m", "1Gi", ""), deployment("b", 1, "1100m", "1Gi", ""),
				deployment("c", 1, "1100m", "1Gi", ""), deployment("d", 1, "1100m", "1Gi", ""),
			}},
			before: []string{"m6i.large:|", "m6i.large:|", "m6i.large:|", "m6i.large:|"},
			after:  []string{"m6i.large:|", "m6i.large:|", "m6i.large:|", "m6i.large:|"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before, after := tc.c.run(t)
			require.Equal(t, tc.before, podsPerType(before), "expected the waves to launch these nodes")
			require.Equal(t, tc.after, podsPerType(after), "expected consolidation to leave these nodes")
		})
	}
}

// newPDB is a PodDisruptionBudget of the default namespace over the pods labelled app in apps, with minAvailable or
// maxUnavailable as given ("" leaves the field unset).
func newPDB(name, minAvailable, maxUnavailable string, apps ...string) *policyv1.PodDisruptionBudget {
	b := &policyv1.PodDisruptionBudget{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: metav1.NamespaceDefault},
		Spec: policyv1.PodDisruptionBudgetSpec{Selector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
			{Key: "app", Operator: metav1.LabelSelectorOpIn, Values: apps},
		}}},
	}
	if minAvailable != "" {
		v := intstr.Parse(minAvailable)
		b.Spec.MinAvailable = &v
	}
	if maxUnavailable != "" {
		v := intstr.Parse(maxUnavailable)
		b.Spec.MaxUnavailable = &v
	}
	return b
}

// Karpenter's own candidate checks read the pods' karpenter.sh/do-not-disrupt annotation and the
// PodDisruptionBudgets' status from the offline cluster. Each case starts from a node that consolidation changes
// without them (see TestConsolidationWorkedByHand) and says whether it is kept with them.
func TestConsolidationHonoursDoNotDisruptAndBudgets(t *testing.T) {
	// Two 3-vCPU pods on one m6i.2xlarge; b goes, and a alone fits an m6i.xlarge at half the price.
	replace := []string{deployment("a", 1, "3", "1Gi", "") + deployment("b", 1, "3", "1Gi", "")}
	const replaced, kept = "m6i.xlarge:|", "m6i.2xlarge:|"
	// Four m6i.large of one 1100m pod each; three merge into an m6i.xlarge unless some are kept (two 1100m pods
	// need an m6i.xlarge, no cheaper than the two m6i.large they would replace).
	merge := []string{
		deployment("a", 1, "1100m", "1Gi", ""), deployment("b", 1, "1100m", "1Gi", ""),
		deployment("c", 1, "1100m", "1Gi", ""), deployment("d", 1, "1100m", "1Gi", ""),
	}
	merged := []string{"m6i.large:|", "m6i.xlarge:|||"}
	unmerged := []string{"m6i.large:|", "m6i.large:|", "m6i.large:|", "m6i.large:|"}
	doNotDisrupt := func(v string) map[string]string { return map[string]string{karpv1.DoNotDisruptAnnotationKey: v} }
	const annotated, budgeted = `pod has "karpenter.sh/do-not-disrupt" annotation`, "pdb prevents pod evictions (PodDisruptionBudget=[default/"
	for _, tc := range []struct {
		name  string
		c     consolidationCase
		after []string
		// blocked is how many nodes Karpenter's own check finds a pod keeps, and why says how (in its words).
		blocked int
		why     string
	}{
		{
			name:  "a do-not-disrupt pod keeps its node",
			c:     consolidationCase{waves: replace, gone: []string{"b"}, annotate: map[string]map[string]string{"a": doNotDisrupt("true")}},
			after: []string{kept}, blocked: 1, why: annotated,
		},
		{
			// Karpenter reads a duration as protection for that long after the pod started; at the steady state it has passed.
			name:  "a do-not-disrupt duration has passed",
			c:     consolidationCase{waves: replace, gone: []string{"b"}, annotate: map[string]map[string]string{"a": doNotDisrupt("30m")}},
			after: []string{replaced},
		},
		{
			name:  "a do-not-disrupt value Karpenter cannot read is ignored",
			c:     consolidationCase{waves: replace, gone: []string{"b"}, annotate: map[string]map[string]string{"a": doNotDisrupt("yes")}},
			after: []string{replaced},
		},
		{
			name:  "a budget with minAvailable of every pod keeps the node",
			c:     consolidationCase{waves: replace, gone: []string{"b"}, pdbs: []*policyv1.PodDisruptionBudget{newPDB("a", "1", "", "a")}},
			after: []string{kept}, blocked: 1, why: budgeted + "a]",
		},
		{
			name:  "a budget with maxUnavailable 0% keeps the node",
			c:     consolidationCase{waves: replace, gone: []string{"b"}, pdbs: []*policyv1.PodDisruptionBudget{newPDB("a", "", "0%", "a")}},
			after: []string{kept}, blocked: 1, why: budgeted + "a]",
		},
		{
			name:  "a budget that allows one disruption lets the node go",
			c:     consolidationCase{waves: replace, gone: []string{"b"}, pdbs: []*policyv1.PodDisruptionBudget{newPDB("a", "", "1", "a")}},
			after: []string{replaced},
		},
		{
			name:  "a budget over other pods lets the node go",
			c:     consolidationCase{waves: replace, gone: []string{"b"}, pdbs: []*policyv1.PodDisruptionBudget{newPDB("c", "1", "", "c")}},
			after: []string{replaced},
		},
		{
			// a and b, each kept, leave c and d, which cannot merge into anything cheaper.
			name: "a budget over two nodes' pods that allows no disruption blocks the merge",
			c: consolidationCase{budget: "100%", waves: merge,
				pdbs: []*policyv1.PodDisruptionBudget{newPDB("ab", "2", "", "a", "b")}},
			after: unmerged, blocked: 2, why: budgeted + "ab]",
		},
		{
			// Karpenter checks each candidate against disruptionsAllowed, not the command as a whole: with one
			// disruption allowed, both nodes are candidates, and the merge is as without the budget.
			name: "a budget over two nodes' pods that allows one disruption lets both go",
			c: consolidationCase{budget: "100%", waves: merge,
				pdbs: []*policyv1.PodDisruptionBudget{newPDB("ab", "1", "", "a", "b")}},
			after: merged,
		},
		{
			name: "do-not-disrupt pods on two nodes block the merge",
			c: consolidationCase{budget: "100%", waves: merge,
				annotate: map[string]map[string]string{"a": doNotDisrupt("true"), "b": doNotDisrupt("true")}},
			after: unmerged, blocked: 2, why: annotated,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, after := tc.c.run(t)
			require.Equal(t, tc.after, podsPerType(after), "expected consolidation to leave these nodes")
			blocked := 0
			for _, n := range after {
				if n.DisruptionBlocked != "" {
					blocked++
					require.Contains(t, n.DisruptionBlocked, tc.why)
				}
			}
			require.Equal(t, tc.blocked, blocked, "expected this many nodes that Karpenter may not disrupt")
		})
	}
}

// Two pods of one name (a Deployment and a StatefulSet both named web make web-0, web-1, web-2 each) are two pods in
// the offline cluster too, and the estimate consolidates them like any others. (The same manifest read twice is an
// error: kubectl apply would keep one Deployment.)
func TestSteadyStateWithPodsOfTheSameName(t *testing.T) {
	manifest := deployment("web", 3, "500m", "1Gi", "")
	r := estimate(t, smallCatalog(t), manifest+strings.Replace(manifest, "kind: Deployment", "kind: StatefulSet", 1), options(t))
	s := mustScenario(t, r, Multiarch)
	require.NotNil(t, s.Consolidated)
	pods := 0
	for _, n := range s.Consolidated.Nodes {
		pods += n.Pods
	}
	require.Equal(t, 6, pods, "expected all six pods at the steady state")
}

// A workload in which no group has as many replicas as there are shards is packed in one pass, not dealt into empty
// shards.
func TestSolveWithFewerReplicasThanShards(t *testing.T) {
	ctx := context.Background()
	w := mustParse(t, deployment("a", 1, "500m", "1Gi", "")+deployment("b", 1, "500m", "1Gi", "")+deployment("c", 1, "500m", "1Gi", ""))
	e, err := newEstimator(ctx, smallCatalog(t), w, options(t))
	require.NoError(t, err)
	first, settled, err := solve(ctx, e.builder, pools{nodePools: e.stack.NodePools, classes: e.classes, memo: e.memo}, e.pods, nil, nil, 2, true)
	require.NoError(t, err)
	for _, nodes := range [][]Node{first, settled} {
		pods := 0
		for _, n := range nodes {
			pods += n.Pods
		}
		require.Equal(t, 3, pods)
	}
}

// With limits held, a dominated type stays: Karpenter drops the types larger than what a pool has left, and the
// smaller, dominated one may be the one that still fits. m5.large (8 GiB, $0.09/h) dominates c5.large (4 GiB,
// $0.10/h). Under a 12Gi memory limit, three pods that each need a node of their own get an m5.large, then a
// c5.large in the 4 GiB left (Karpenter counts capacity, 7.5% below the nominal memory), and the third stays pending.
func TestLimitsCheckKeepsDominatedTypes(t *testing.T) {
	x86 := func(name string, mib int64) catalog.Spec {
		return catalog.Spec{Name: name, VCPU: 2, MemoryMiB: mib, Arch: catalog.ArchX86, CPUManufacturer: "Intel", MaxENIs: 3, IPv4PerENI: 10}
	}
	cat, err := catalog.New(&catalog.Snapshot{
		Source: "hand-made test prices", Date: "2025-01-01",
		InstanceTypes: []catalog.Spec{x86("m5.large", 8192), x86("c5.large", 4096)},
		Regions:       map[string]map[string]catalog.Price{"us-east-1": {"m5.large": {OnDemand: 0.09}, "c5.large": {OnDemand: 0.10}}},
	})
	require.NoError(t, err)
	ctx := context.Background()
	w := mustParse(t, deployment("a", 3, "1500m", "1Gi", ""))
	o := options(t)
	o.BaselineType, o.BaselineGPUType = "m5.large", "m5.large"
	e, err := newEstimator(ctx, cat, w, o)
	require.NoError(t, err)
	nps := restricted(e.stack.NodePools[:1], karpv1.CapacityTypeLabelKey, karpv1.CapacityTypeOnDemand)
	nps[0].Spec.Limits = karpv1.Limits{corev1.ResourceCPU: resource.MustParse("100"), corev1.ResourceMemory: resource.MustParse("12Gi")}
	nodes, pending, err := scheduleHeld(ctx, e.builder, pools{nodePools: nps, classes: e.classes, memo: e.memo}, e.pods, nil)
	require.NoError(t, err)
	require.Equal(t, []string{"c5.large:|", "m5.large:|"}, podsPerType(nodes), "expected the dominated c5.large in the room the limit leaves")
	require.Len(t, pending, 1, "expected one pod pending")
}
