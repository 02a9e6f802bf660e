package savings

import (
	"context"
	"maps"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	karpv1 "sigs.k8s.io/karpenter/pkg/apis/v1"
	"sigs.k8s.io/karpenter/pkg/cloudprovider"
	"sigs.k8s.io/karpenter/pkg/scheduling"

	"github.com/karpenter-savings/karpenter-savings/internal/catalog"
)

func TestCeilingIsTheSmallerLimitTimesThePriciestRate(t *testing.T) {
	// Two amd64 types the pool allows and one arm64 type its requirements rule out:
	//   c.large  2 vCPU  4 GiB $0.10/h on demand → $0.05/vCPU-h, $0.025/GiB-h (its $0.03 spot is not list price)
	//   r.large  2 vCPU 16 GiB $0.20/h on demand → $0.10/vCPU-h, $0.0125/GiB-h
	//   g.arm    1 vCPU  4 GiB $1.00/h on demand → would make $1/vCPU-h, but arm64 is not allowed
	// Priciest rates: $0.10/vCPU-h (r.large) and $0.025/GiB-h (c.large).
	its := []*cloudprovider.InstanceType{
		instanceType("c.large", karpv1.ArchitectureAmd64, "2", "4Gi", 0.10, 0.03),
		instanceType("r.large", karpv1.ArchitectureAmd64, "2", "16Gi", 0.20, 0),
		instanceType("g.arm", karpv1.ArchitectureArm64, "1", "4Gi", 1.00, 0),
	}
	for _, tc := range []struct {
		name   string
		limits corev1.ResourceList
		spot   bool
		want   *float64
	}{
		// cpu: 10 × $0.10 = $1.00/h; memory: 32 × $0.025 = $0.80/h. Either limit stops the pool, so the smaller
		// holds: $0.80/h × 730 = $584/month.
		{name: "both limits", limits: cpuMemory("10", "32Gi"), want: ptr(584)},
		// cpu only: 10 × $0.10 = $1.00/h × 730 = $730/month.
		{name: "cpu only", limits: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("10")}, want: ptr(730)},
		// memory only: 32 × $0.025 = $0.80/h × 730 = $584/month.
		{name: "memory only", limits: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("32Gi")}, want: ptr(584)},
		// A spot-only pool can launch only c.large (r.large has no spot offering), priced at its on-demand list
		// price: cpu 10 × $0.05 = $0.50/h, memory 32 × $0.025 = $0.80/h → $0.50/h × 730 = $365/month.
		{name: "spot pool at list price", limits: cpuMemory("10", "32Gi"), spot: true, want: ptr(365)},
		// memory 8Gi leaves room for c.large only (r.large's 16 GiB cannot launch): cpu 10 × $0.05 = $0.50/h,
		// memory 8 × $0.025 = $0.20/h → $0.20/h × 730 = $146/month.
		{name: "types over the limits dropped", limits: cpuMemory("10", "8Gi"), want: ptr(146)},
		{name: "no limits", limits: nil, want: nil},
		{name: "gpu limit only", limits: corev1.ResourceList{"nvidia.com/gpu": resource.MustParse("4")}, want: nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			capacityType := karpv1.CapacityTypeOnDemand
			if tc.spot {
				capacityType = karpv1.CapacityTypeSpot
			}
			np := &karpv1.NodePool{}
			np.Name = "general"
			np.Spec.Template.Spec.NodeClassRef = &karpv1.NodeClassReference{Group: "karpenter.k8s.aws", Kind: "EC2NodeClass", Name: "default"}
			np.Spec.Template.Spec.Requirements = []karpv1.NodeSelectorRequirementWithMinValues{
				{Key: corev1.LabelArchStable, Operator: corev1.NodeSelectorOpIn, Values: []string{karpv1.ArchitectureAmd64}},
				{Key: karpv1.CapacityTypeLabelKey, Operator: corev1.NodeSelectorOpIn, Values: []string{capacityType}},
			}
			np.Spec.Limits = karpv1.Limits(tc.limits)
			got := ceiling(np, its)
			if tc.want == nil {
				require.Nil(t, got, "expected no ceiling")
				return
			}
			require.NotNil(t, got, "expected a ceiling of %v", *tc.want)
			require.InDelta(t, *tc.want, *got, 1e-6, "expected $%v/month", *tc.want)
		})
	}
}

func instanceType(name, arch, cpu, memory string, onDemand, spot float64) *cloudprovider.InstanceType {
	offering := func(capacityType string, price float64) *cloudprovider.Offering {
		return &cloudprovider.Offering{
			Requirements: scheduling.NewRequirements(
				scheduling.NewRequirement(karpv1.CapacityTypeLabelKey, corev1.NodeSelectorOpIn, capacityType),
				scheduling.NewRequirement(corev1.LabelTopologyZone, corev1.NodeSelectorOpIn, "zone-a"),
			),
			Price:     price,
			Available: true,
		}
	}
	offerings := cloudprovider.Offerings{offering(karpv1.CapacityTypeOnDemand, onDemand)}
	capacityTypes := []string{karpv1.CapacityTypeOnDemand}
	if spot > 0 {
		offerings = append(offerings, offering(karpv1.CapacityTypeSpot, spot))
		capacityTypes = append(capacityTypes, karpv1.CapacityTypeSpot)
	}
	return &cloudprovider.InstanceType{
		Name: name,
		Requirements: scheduling.NewRequirements(
			scheduling.NewRequirement(corev1.LabelInstanceTypeStable, corev1.NodeSelectorOpIn, name),
			scheduling.NewRequirement(corev1.LabelArchStable, corev1.NodeSelectorOpIn, arch),
			scheduling.NewRequirement(karpv1.CapacityTypeLabelKey, corev1.NodeSelectorOpIn, capacityTypes...),
			scheduling.NewRequirement(corev1.LabelTopologyZone, corev1.NodeSelectorOpIn, "zone-a"),
		),
		Offerings: offerings,
		Capacity:  cpuMemory(cpu, memory),
	}
}

func cpuMemory(cpu, memory string) corev1.ResourceList {
	return corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpu), corev1.ResourceMemory: resource.MustParse(memory)}
}

func ptr(v float64) *float64 { return &v }

// TestLimitsPassLeavesOutOnlyCertainFailures runs the limits check's held-limits pass on 1,500 pods of the
// benchmark's mix, once over every pod and once over the pods beyondLimits keeps, and requires the same pending
// pods by workload in every scenario the check runs, with pods actually left out (the stack's pools hold 64 vCPU in
// all; the mix requests about 700).
func TestLimitsPassLeavesOutOnlyCertainFailures(t *testing.T) {
	cat, err := catalog.Load()
	require.NoError(t, err)
	ctx := context.Background()
	w := benchWorkload(1500)
	e, err := newEstimator(ctx, cat, w, options(t))
	require.NoError(t, err)
	for name, nps := range map[string][]*karpv1.NodePool{LabDefault: e.lab.NodePools, Multiarch: e.stack.NodePools} {
		t.Run(name, func(t *testing.T) {
			p := pools{nodePools: nps, classes: e.classes, memo: e.memo}
			_, all, err := scheduleHeld(ctx, e.builder, p, e.pods, w.DaemonSetPods)
			require.NoError(t, err)
			candidates, beyond := beyondLimits(nps, e.pods, e.memo.groupKey)
			require.NotEmpty(t, beyond, "expected pods that no cluster could place within the limits")
			require.Len(t, append(slices.Clone(candidates), beyond...), len(e.pods))
			_, kept, err := scheduleHeld(ctx, e.builder, p, candidates, w.DaemonSetPods)
			require.NoError(t, err)
			pending := slices.Collect(maps.Keys(kept))
			t.Logf("%s: %d pods tried, %d left out, %d pending of the full pass", name, len(candidates), len(beyond), len(all))
			require.Equal(t, CountWorkloads(slices.Collect(maps.Keys(all))), CountWorkloads(append(pending, beyond...)))
		})
	}
}
