package savings

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	karpv1 "sigs.k8s.io/karpenter/pkg/apis/v1"

	"github.com/karpenter-savings/karpenter-savings/internal/catalog"
	"github.com/karpenter-savings/karpenter-savings/internal/savings/workload"
)

// TestDominatedTypesChangeNoPlacement places the example workloads and 300 pods of the benchmark's mix on every
// Karpenter scenario's pools twice, once with the dominated instance types and once without, and requires the same
// nodes at the first scale-up and at the steady state. The benchmark's mix loses its zone spread here: Karpenter's
// scheduler breaks ties between equally loaded zones at random (see docs/savings.md), and the same pods packed
// another way would consolidate another way, with or without the dominated types.
func TestDominatedTypesChangeNoPlacement(t *testing.T) {
	cat, err := catalog.Load()
	require.NoError(t, err)
	ctx := context.Background()
	bench := benchWorkload(300)
	for _, p := range bench.Pods {
		p.Spec.TopologySpreadConstraints = nil
	}
	workloads := map[string]*workload.Workload{"bench-300": bench}
	for _, name := range []string{"mixed-workload.yaml", "retail-store.yaml"} {
		w, err := workload.Parse(strings.NewReader(readExample(t, name)), name)
		require.NoError(t, err)
		workloads[name] = w
	}
	for name, w := range workloads {
		e, err := newEstimator(ctx, cat, w, options(t))
		require.NoError(t, err)
		onDemand := restricted(e.stack.NodePools, karpv1.CapacityTypeLabelKey, karpv1.CapacityTypeOnDemand)
		for scenario, nps := range map[string][]*karpv1.NodePool{
			LabDefault: e.lab.NodePools, Multiarch: e.stack.NodePools, stepOnDemand: onDemand,
			stepOnDemandAMD64: restricted(onDemand, corev1.LabelArchStable, karpv1.ArchitectureAmd64),
		} {
			t.Run(name+"/"+scenario, func(t *testing.T) {
				all := pools{nodePools: nps, classes: e.classes, memo: &memo{keepDominated: true}}
				pruned := pools{nodePools: nps, classes: e.classes, memo: &memo{}}
				first, settled, err := solve(ctx, e.builder, all, e.pods, w.DaemonSetPods, nil, DefaultMaxShardPods, true)
				require.NoError(t, err)
				prunedFirst, prunedSettled, err := solve(ctx, e.builder, pruned, e.pods, w.DaemonSetPods, nil, DefaultMaxShardPods, true)
				require.NoError(t, err)
				require.Equal(t, first, prunedFirst, "expected the same first scale-up without the dominated types")
				require.Equal(t, settled, prunedSettled, "expected the same steady state without the dominated types")
			})
		}
	}
}
