package savings

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	awsv1 "github.com/aws/karpenter-provider-aws/pkg/apis/v1"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	karpv1 "sigs.k8s.io/karpenter/pkg/apis/v1"

	"github.com/karpenter-savings/karpenter-savings/internal/catalog"
)

// TestLowerBoundBetweenFloorAndEveryScenario runs the whole estimate on 40 random workloads, on the small catalog
// and on the full snapshot: mixes of Deployments with random requests, some pinned to an arch, some with a GPU.
// The bound must hold under every scenario and step (a real cluster is a feasible point of its program), and
// above the price floor (its program pays each resource at least the cheapest rate any offering has).
func TestLowerBoundBetweenFloorAndEveryScenario(t *testing.T) {
	small := smallCatalog(t)
	full, err := catalog.Load()
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(22, 2026))
	for i := range 40 {
		cat := small
		if i%4 == 3 {
			cat = full
		}
		var manifests strings.Builder
		for d := range 1 + rng.IntN(4) {
			extra := ""
			gpu := rng.IntN(5) == 0
			switch arch := rng.IntN(4); {
			case gpu:
				extra = "nodeSelector: {kubernetes.io/arch: amd64}"
			case arch == 0:
				extra = "nodeSelector: {kubernetes.io/arch: amd64}"
			case arch == 1:
				// arm64 only is kept out: the baseline's x86 node groups could not place it.
				extra = "affinity: {nodeAffinity: {preferredDuringSchedulingIgnoredDuringExecution: [{weight: 50, preference: {matchExpressions: [{key: kubernetes.io/arch, operator: In, values: [arm64]}]}}]}}"
			}
			cpu := fmt.Sprintf("%dm", 100+rng.IntN(59)*100)
			memory := fmt.Sprintf("%dMi", 128+rng.IntN(24)*1024)
			dep := deployment(fmt.Sprintf("w%d", d), 1+rng.IntN(12), cpu, memory, extra)
			if gpu {
				dep = strings.Replace(dep, "limits: {memory: "+memory+"}", "limits: {memory: "+memory+", nvidia.com/gpu: 1}", 1)
				require.Contains(t, dep, "nvidia.com/gpu", "the GPU limit must land in the manifest")
			}
			manifests.WriteString(dep)
		}
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			r := estimate(t, cat, manifests.String(), options(t))
			lower := mustScenario(t, r, LowerBound).HourlyUSD
			require.GreaterOrEqual(t, lower+1e-6, r.PriceFloor.HourlyUSD, "lower bound below the price floor\n%s", manifests.String())
			for _, s := range r.Scenarios {
				require.LessOrEqual(t, lower, s.HourlyUSD+1e-6, "lower bound above scenario %s\n%s", s.Name, manifests.String())
				if s.Consolidated != nil {
					require.LessOrEqual(t, lower, s.Consolidated.HourlyUSD+1e-6, "lower bound above %s's steady state\n%s", s.Name, manifests.String())
				}
			}
			for _, s := range r.Savings.Steps {
				require.LessOrEqual(t, lower, s.HourlyUSD+1e-6, "lower bound above step %s\n%s", s.Name, manifests.String())
			}
		})
	}
}

// TestFractionalClusterReachesTheOptimum solves the lower bound's program for random workloads of 5 to 200 distinct
// Deployments on the full snapshot's pools and requires the solver to end at the optimum: its objective equal to the
// dual value it reports (the certificate), and no random multipliers λ in the dual's domain doing better.
func TestFractionalClusterReachesTheOptimum(t *testing.T) {
	cat, err := catalog.Load()
	require.NoError(t, err)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(7, 200))
	for _, n := range []int{5, 20, 80, 200} {
		var manifests strings.Builder
		for d := range n {
			extra := ""
			if rng.IntN(3) == 0 {
				extra = "nodeSelector: {kubernetes.io/arch: amd64}"
			}
			manifests.WriteString(deployment(fmt.Sprintf("w%d", d), 1+rng.IntN(5), fmt.Sprintf("%dm", 100+rng.IntN(80)*50), fmt.Sprintf("%dMi", 128+rng.IntN(64)*256), extra))
		}
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			w := mustParse(t, manifests.String())
			e, err := newEstimator(ctx, cat, w, options(t))
			require.NoError(t, err)
			all := slices.Concat(baselinePools(e.baseGroups), e.lab.NodePools, e.stack.NodePools)
			classes := boundClasses(e.pods)
			offers, err := boundOffers(ctx, e.builder, pools{nodePools: all, classes: e.classes}, classes)
			require.NoError(t, err)
			fc, err := cheapestFractionalCluster(classes, offers)
			require.NoError(t, err)
			require.Equal(t, len(classes), fc.solvedClasses, "expected no merging at %d classes", len(classes))
			hourly, nodes, gap := fc.hourly, fc.nodes, fc.gap
			require.Less(t, gap, 1e-9, "expected the solver's objective to equal its dual value")
			objective := 0.0
			for o, x := range nodes {
				require.GreaterOrEqual(t, x, 0.0)
				objective += x * offers[o].price
			}
			require.InDelta(t, hourly, objective, 1e-9*hourly, "expected the nodes to cost the bound")
			for range 200 {
				lambda := make([][len(boundResources)]float64, len(offers))
				for o := range lambda {
					for r := range lambda[o] {
						lambda[o][r] = rng.Float64()
					}
				}
				require.LessOrEqual(t, dualValue(classes, offers, lambda), hourly*(1+1e-9), "random multipliers beat the solver's")
			}
			t.Logf("%d classes, %d offerings: $%.6f/h", len(classes), len(offers), hourly)
		})
	}
}

// TestLowerBoundKeepsOneTypeThroughTwoNodeClasses offers m6i.large spot, at one price, through two pools whose
// EC2NodeClasses differ in kubelet maxPods (8 and 110), to 100 pods of 1m/1Mi. The offerings are two, not one: in
// whichever order the pools come, the bound stays at or below what Karpenter's own cluster on the 110-pod pool costs.
// Keeping only the first pool's offering put the bound at 12.5 nodes when the 8-pod pool came first.
func TestLowerBoundKeepsOneTypeThroughTwoNodeClasses(t *testing.T) {
	ctx := context.Background()
	e, err := newEstimator(ctx, smallCatalog(t), mustParse(t, deployment("tiny", 100, "1m", "1Mi", "")), options(t))
	require.NoError(t, err)
	small := e.classes["default"].DeepCopy()
	small.Name = "small-pods"
	eight := int32(8)
	small.Spec.Kubelet.MaxPods = &eight
	classes := map[string]*awsv1.EC2NodeClass{small.Name: small}
	for name, nc := range e.classes {
		classes[name] = nc
	}
	pool := func(name, class string) *karpv1.NodePool {
		np := e.lab.NodePools[0].DeepCopy()
		np.Name = name
		np.Spec.Limits = nil
		np.Spec.Template.Spec.NodeClassRef.Name = class
		np.Spec.Template.Spec.Requirements = append(np.Spec.Template.Spec.Requirements, karpv1.NodeSelectorRequirementWithMinValues{
			Key: corev1.LabelInstanceTypeStable, Operator: corev1.NodeSelectorOpIn, Values: []string{"m6i.large"}})
		return np
	}
	few, many := pool("few", small.Name), pool("many", "default")
	nodes, _, err := solve(ctx, e.builder, pools{nodePools: []*karpv1.NodePool{many}, classes: classes}, e.pods, nil, nil, 0, false)
	require.NoError(t, err)
	cluster := NewScenario("many", nodes, "").HourlyUSD
	require.Len(t, nodes, 1, "Karpenter puts the 100 pods on one 110-pod node")
	for _, order := range [][]*karpv1.NodePool{{few, many}, {many, few}} {
		b, err := lowerBound(ctx, e.builder, pools{nodePools: order, classes: classes}, e.pods)
		require.NoError(t, err)
		require.LessOrEqual(t, b.hourly, cluster+1e-9, "pools %s then %s: the bound is above a cluster Karpenter builds: %s",
			order[0].Name, order[1].Name, b.note)
		require.Greater(t, b.hourly, 0.0)
	}
}

// TestLowerBoundWhenTheSolverStopsShort caps the simplex at one pivot per row and column: the estimate still gets a
// bound (the multipliers' dual value, no more than the optimum), and its note says the solver stopped short and why.
func TestLowerBoundWhenTheSolverStopsShort(t *testing.T) {
	ctx := context.Background()
	e, err := newEstimator(ctx, smallCatalog(t), mustParse(t, gpuJob), options(t))
	require.NoError(t, err)
	w := mustParse(t, gpuJob+deployment("web", 6, "500m", "1Gi", "nodeSelector: {kubernetes.io/arch: arm64}")+deployment("api", 7, "700m", "3Gi", ""))
	p := pools{nodePools: e.stack.NodePools, classes: e.classes}
	optimum, err := lowerBound(ctx, e.builder, p, w.Pods)
	require.NoError(t, err)
	require.NotContains(t, optimum.note, "stopped short")

	defer func(n int) { simplexIterationsPerDimension = n }(simplexIterationsPerDimension)
	simplexIterationsPerDimension = 0
	short, err := lowerBound(ctx, e.builder, p, w.Pods)
	require.NoError(t, err, "a solver stopped short still leaves a bound")
	require.Greater(t, short.hourly, 0.0)
	require.Less(t, short.hourly, optimum.hourly, "with no pivot, the bound is the weaker start's")
	require.Contains(t, short.note, "the solver stopped short of the optimum (the simplex method stopped at its iteration cap), so the optimum may be up to")
}

// TestMergedClassesStillBoundTheProgram builds 600 Deployments with random requests, a third of them amd64-only, on
// the full snapshot: more classes than the program is solved with. The merged program's multipliers, valued on the
// real classes, must stay at or below the real program's optimum (solved here without merging) and close to it.
func TestMergedClassesStillBoundTheProgram(t *testing.T) {
	full, err := catalog.Load()
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(600, 22))
	var manifests strings.Builder
	for d := range 600 {
		extra := ""
		if rng.IntN(3) == 0 {
			extra = "nodeSelector: {kubernetes.io/arch: amd64}"
		}
		manifests.WriteString(deployment(fmt.Sprintf("w%d", d), 1+rng.IntN(3), fmt.Sprintf("%dm", 50+rng.IntN(4000)),
			fmt.Sprintf("%dMi", 64+rng.IntN(16000)), extra))
	}
	ctx := context.Background()
	e, err := newEstimator(ctx, full, mustParse(t, manifests.String()), options(t))
	require.NoError(t, err)
	all := slices.Concat(baselinePools(e.baseGroups), e.lab.NodePools, e.stack.NodePools)
	classes := boundClasses(e.pods)
	require.Len(t, classes, 600)
	offers, err := boundOffers(ctx, e.builder, pools{nodePools: all, classes: e.classes}, classes)
	require.NoError(t, err)

	exact := newBoundTableau(classes, offers)
	require.NoError(t, exact.start())
	require.NoError(t, exact.solve())
	optimum := exact.objective()

	fc, err := cheapestFractionalCluster(classes, offers)
	require.NoError(t, err)
	require.LessOrEqual(t, fc.solvedClasses, maxBoundClasses)
	require.LessOrEqual(t, fc.hourly, optimum*(1+1e-9), "the merged program's bound is above the real optimum")
	require.GreaterOrEqual(t, fc.hourly, 0.97*optimum, "the merged program's bound is more than 3%% below the real optimum")
	require.GreaterOrEqual(t, fc.gap, (optimum-fc.hourly)/optimum-1e-9, "the gap reported must cover the real one")
	t.Logf("600 classes solved as %d: bound $%.4f, optimum $%.4f (%.2f%% below), gap reported %.2f%%",
		fc.solvedClasses, fc.hourly, optimum, 100*(optimum-fc.hourly)/optimum, 100*fc.gap)
	b, err := lowerBound(ctx, e.builder, pools{nodePools: all, classes: e.classes}, e.pods)
	require.NoError(t, err)
	if fc.gap > 1e-4 {
		require.Contains(t, b.note, "pod classes merged into")
	}
}

// TestLowerBoundTellsLongRequirementsApart: two classes whose arch requirements Karpenter's Requirements.String()
// prints alike (it elides values past the fifth) must not share the offering checks. B may run on arm64, A may not;
// sharing A's checks cut B off Graviton and put the bound above the cluster Karpenter builds.
func TestLowerBoundTellsLongRequirementsApart(t *testing.T) {
	ctx := context.Background()
	affinity := func(values string) string {
		return "affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: " +
			"[{key: kubernetes.io/arch, operator: In, values: ['0','1','2','3','4'," + values + "]}]}]}}}"
	}
	w := mustParse(t, deployment("a", 1, "100m", "128Mi", affinity("'5',amd64"))+deployment("b", 20, "1", "2Gi", affinity("amd64,arm64")))
	e, err := newEstimator(ctx, smallCatalog(t), w, options(t))
	require.NoError(t, err)
	p := pools{nodePools: e.stack.NodePools, classes: e.classes}
	classes := boundClasses(e.pods)
	require.Len(t, classes, 2)
	require.Equal(t, classes[0].terms[0].String(), classes[1].terms[0].String(), "the case needs requirements that print alike")
	offers, err := boundOffers(ctx, e.builder, p, classes)
	require.NoError(t, err)
	require.True(t, slices.ContainsFunc(offers, func(o boundOffer) bool { return o.runs[1] && strings.HasPrefix(o.name, "m7g") }),
		"expected b to run on Graviton")
	nodes, _, err := solve(ctx, e.builder, p, e.pods, nil, nil, 0, false)
	require.NoError(t, err)
	b, err := lowerBound(ctx, e.builder, p, e.pods)
	require.NoError(t, err)
	require.LessOrEqual(t, b.hourly, NewScenario("stack", nodes, "").HourlyUSD+1e-9, "bound above a real cluster: %s", b.note)
}

// TestLowerBoundTakesAnyAffinityTerm: a pod whose required node affinity has two terms, amd64 or arm64, may run on
// either: Karpenter uses the first term where a pool meets it and drops it for the next where none does. On the
// stack's default pool alone (amd64 spot) Karpenter places it by the first term, on the graviton pool alone by the
// second; the bound must see each term's offerings and stay below each cluster: 8 pods of 1 vCPU at m6i.2xlarge
// spot's $0.16 / 7.91 per vCPU, and at m7g.2xlarge spot's $0.12 / 7.91. The advice does not count it amd64-only.
func TestLowerBoundTakesAnyAffinityTerm(t *testing.T) {
	ctx := context.Background()
	twoTerms := "affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [" +
		"{matchExpressions: [{key: kubernetes.io/arch, operator: In, values: [amd64]}]}, " +
		"{matchExpressions: [{key: kubernetes.io/arch, operator: In, values: [arm64]}]}]}}}"
	manifests := deployment("either", 8, "1", "1Gi", twoTerms)
	e, err := newEstimator(ctx, smallCatalog(t), mustParse(t, manifests), options(t))
	require.NoError(t, err)
	for _, tc := range []struct {
		pool, arch string
		bound      float64
	}{
		{"default", karpv1.ArchitectureAmd64, 8 * 0.16 / 7.91},
		{"graviton", karpv1.ArchitectureArm64, 8 * 0.12 / 7.91},
	} {
		t.Run(tc.pool, func(t *testing.T) {
			at := slices.IndexFunc(e.stack.NodePools, func(np *karpv1.NodePool) bool { return np.Name == tc.pool })
			require.GreaterOrEqual(t, at, 0)
			p := pools{nodePools: e.stack.NodePools[at : at+1], classes: e.classes}
			nodes, _, err := solve(ctx, e.builder, p, e.pods, nil, nil, 0, false)
			require.NoError(t, err)
			require.NotEmpty(t, nodes)
			for _, n := range nodes {
				require.Equal(t, tc.arch, n.Arch)
			}
			b, err := lowerBound(ctx, e.builder, p, e.pods)
			require.NoError(t, err, "each term's offerings must count")
			require.InDelta(t, tc.bound, b.hourly, 1e-6)
			require.LessOrEqual(t, b.hourly, NewScenario(tc.pool, nodes, "").HourlyUSD+1e-9)
		})
	}
	r := estimate(t, smallCatalog(t), manifests, options(t))
	require.Empty(t, r.Advice.MultiArchImages, "a pod one of whose terms allows arm64 needs no multi-arch image")
}

// TestLowerBoundSeesPastPreferNoSchedule: Karpenter tolerates a PreferNoSchedule taint when a pod fails to schedule
// otherwise (its scheduler relaxes pods so when any pool has one), so the bound must count such a pool's offerings.
func TestLowerBoundSeesPastPreferNoSchedule(t *testing.T) {
	ctx := context.Background()
	e, err := newEstimator(ctx, smallCatalog(t), mustParse(t, deployment("plain", 4, "1", "1Gi", "")), options(t))
	require.NoError(t, err)
	at := slices.IndexFunc(e.stack.NodePools, func(np *karpv1.NodePool) bool { return np.Name == "graviton" })
	require.GreaterOrEqual(t, at, 0)
	soft := e.stack.NodePools[at].DeepCopy()
	soft.Spec.Template.Spec.Taints = []corev1.Taint{{Key: "soft", Value: "x", Effect: corev1.TaintEffectPreferNoSchedule}}
	p := pools{nodePools: []*karpv1.NodePool{soft}, classes: e.classes}
	nodes, _, err := solve(ctx, e.builder, p, e.pods, nil, nil, 0, false)
	require.NoError(t, err)
	require.NotEmpty(t, nodes, "expected Karpenter to tolerate the soft taint")
	b, err := lowerBound(ctx, e.builder, p, e.pods)
	require.NoError(t, err)
	require.InDelta(t, 4*0.12/7.91, b.hourly, 1e-6)
	require.LessOrEqual(t, b.hourly, NewScenario("soft", nodes, "").HourlyUSD+1e-9)
}

// TestDualValueDropsNaNAndInfiniteMultipliers: a multiplier round-off made NaN or infinite counts as 0, which keeps
// dual(λ) a number and a bound.
func TestDualValueDropsNaNAndInfiniteMultipliers(t *testing.T) {
	classes := []*boundClass{{n: 2, req: [len(boundResources)]float64{1, 2, 0, 1}}}
	offers := []boundOffer{{name: "x", price: 0.4, alloc: [len(boundResources)]float64{4, 16, 0, 110}, runs: []bool{true}}}
	for _, bad := range []float64{math.NaN(), math.Inf(1), math.Inf(-1), -1} {
		lambda := [][len(boundResources)]float64{{bad, 1, 0, 0}}
		require.InDelta(t, 2*0.4*2/16, dualValue(classes, offers, lambda), 1e-12, "λ_cpu = %v", bad)
	}
}
