package savings

import (
	"context"
	"fmt"
	"math"

	corev1 "k8s.io/api/core/v1"
	karpv1 "sigs.k8s.io/karpenter/pkg/apis/v1"
	"sigs.k8s.io/karpenter/pkg/cloudprovider"
	karpscheduling "sigs.k8s.io/karpenter/pkg/controllers/provisioning/scheduling"
	"sigs.k8s.io/karpenter/pkg/scheduling"
	"sigs.k8s.io/karpenter/pkg/utils/resources"

	"github.com/karpenter-savings/karpenter-savings/internal/savings/workload"
)

// Limits compares what the estimate's nodes add up to in each limited pool with the pool's limits. Costs place
// every pod, limits or not; this says where a cluster would stop.
type Limits struct {
	Pools []PoolUsage `json:"pools"`
	// Pending are the pods a cluster would leave pending once the exceeded pools stop launching, by scenario.
	Pending []PendingPods `json:"pending"`
}

// PoolUsage is one pool's nodes in one scenario, summed as Karpenter counts a pool against its limits: by the
// capacity of each node's instance type.
type PoolUsage struct {
	Scenario       string  `json:"scenario"`
	NodePool       string  `json:"nodePool"`
	VCPU           float64 `json:"vcpu"`
	MemoryGiB      float64 `json:"memoryGiB"`
	GPU            int64   `json:"gpu"`
	LimitVCPU      float64 `json:"limitVCPU"`
	LimitMemoryGiB float64 `json:"limitMemoryGiB"`
	// LimitGPU is the pool's nvidia.com/gpu limit; 0 when it has none.
	LimitGPU int64 `json:"limitGPU"`
	Exceeded bool  `json:"exceeded"`
	// CeilingMonthlyUSD is the most the pool's cpu and memory limits let it spend per month at on-demand list
	// price; absent when it limits neither.
	CeilingMonthlyUSD *float64 `json:"ceilingMonthlyUSD,omitempty"`
}

// PendingPods are the pods Karpenter's scheduler leaves out of one scenario when the pools' limits hold.
type PendingPods struct {
	Scenario  string         `json:"scenario"`
	Workloads []WorkloadPods `json:"workloads"`
}

// checkLimits sums each limited pool's nodes in the named scenarios and, for a scenario where a pool goes over its
// limits, schedules the workload again with the limits kept, in one pass (unsharded, since limits bound totals), to
// find the pods a cluster would leave pending after spilling what it can into the other pools.
func (e *estimator) checkLimits(ctx context.Context, scenarios []scenario, placed map[string]Scenario) (Limits, error) {
	capacity := map[string]map[string]corev1.ResourceList{} // class → instance type → capacity
	types := map[string][]*cloudprovider.InstanceType{}     // class → instance types
	for name, nc := range e.classes {
		capacity[name] = map[string]corev1.ResourceList{}
		types[name] = e.builder.For(ctx, nc)
		for _, it := range types[name] {
			capacity[name][it.Name] = it.Capacity
		}
	}
	out := Limits{Pools: []PoolUsage{}, Pending: []PendingPods{}}
	for _, s := range scenarios {
		exceeded := false
		for _, np := range s.pools {
			if len(np.Spec.Limits) == 0 {
				continue
			}
			class := np.Spec.Template.Spec.NodeClassRef.Name
			u := usage(s.name, np, placed[s.name].Nodes, capacity[class])
			u.CeilingMonthlyUSD = ceiling(np, types[class])
			exceeded = exceeded || u.Exceeded
			out.Pools = append(out.Pools, u)
		}
		if !exceeded {
			continue
		}
		candidates, beyond := beyondLimits(s.pools, e.pods, e.memo.groupKey)
		_, podErrs, err := scheduleHeld(ctx, e.builder, pools{nodePools: s.pools, classes: e.classes, memo: e.memo}, candidates, e.w.DaemonSetPods)
		if err != nil {
			return Limits{}, fmt.Errorf("savings: limits check of scenario %s: %w", s.name, err)
		}
		pending := make([]*corev1.Pod, 0, len(podErrs)+len(beyond))
		for p := range podErrs {
			pending = append(pending, p)
		}
		pending = append(pending, beyond...)
		out.Pending = append(out.Pending, PendingPods{Scenario: s.name, Workloads: CountWorkloads(pending)})
	}
	return out, nil
}

// beyondLimits splits pods into those Karpenter's scheduler must try with the pools' limits held and those that
// would stay pending whatever it does. Karpenter launches a node only while the node's capacity fits in what its
// pool's limits leave, so with every pool limiting cpu, the pods placed request at most the sum of the pools' cpu
// limits in all; likewise memory. Of n identical pods (one shard group) each requesting c vCPU, at most
// ⌊Σ cpu limits / c⌋ can be placed, and at most the like for memory: the others are pending in any cluster. Those
// are left out of the pass (they would fail, and each failure costs a try against every open NodeClaim and
// template) and counted pending directly; which copies of identical pods stay pending does not change the counts by
// workload. TestLimitsPassLeavesOutOnlyCertainFailures checks that the counts are those of the full pass.
func beyondLimits(nodePools []*karpv1.NodePool, pods []*corev1.Pod, groupOf func(*corev1.Pod) string) (candidates, beyond []*corev1.Pod) {
	total := map[corev1.ResourceName]float64{corev1.ResourceCPU: 0, corev1.ResourceMemory: 0}
	for name := range total {
		for _, np := range nodePools {
			q, ok := np.Spec.Limits[name]
			if !ok {
				// A pool without this limit can place any number of pods by it.
				delete(total, name)
				break
			}
			total[name] += q.AsApproximateFloat64()
		}
	}
	if len(total) == 0 {
		return pods, nil
	}
	seen := map[string]int{}
	for _, p := range pods {
		room := math.MaxInt
		requests := resources.RequestsForPods(p)
		for name, limit := range total {
			q := requests[name]
			if r := q.AsApproximateFloat64(); r > 0 {
				room = min(room, int(math.Floor(limit/r)))
			}
		}
		key := groupOf(p)
		if seen[key] >= room {
			beyond = append(beyond, p)
			continue
		}
		seen[key]++
		candidates = append(candidates, p)
	}
	return candidates, beyond
}

func usage(scenario string, np *karpv1.NodePool, nodes []Node, capacity map[string]corev1.ResourceList) PoolUsage {
	u := PoolUsage{Scenario: scenario, NodePool: np.Name}
	for _, n := range nodes {
		if n.NodePool != np.Name {
			continue
		}
		c := capacity[n.InstanceType]
		gpu := c[workload.GPUResource]
		u.VCPU += c.Cpu().AsApproximateFloat64()
		u.MemoryGiB += c.Memory().AsApproximateFloat64() / gib
		u.GPU += gpu.Value()
	}
	u.VCPU, u.MemoryGiB = round6(u.VCPU), round6(u.MemoryGiB)
	limits := corev1.ResourceList(np.Spec.Limits)
	if q, ok := limits[corev1.ResourceCPU]; ok {
		u.LimitVCPU = q.AsApproximateFloat64()
		u.Exceeded = u.Exceeded || u.VCPU > u.LimitVCPU
	}
	if q, ok := limits[corev1.ResourceMemory]; ok {
		u.LimitMemoryGiB = q.AsApproximateFloat64() / gib
		u.Exceeded = u.Exceeded || u.MemoryGiB > u.LimitMemoryGiB
	}
	if q, ok := limits[workload.GPUResource]; ok {
		u.LimitGPU = q.Value()
		u.Exceeded = u.Exceeded || u.GPU > u.LimitGPU
	}
	return u
}

// ceiling is the most a pool's limits let it spend per month at on-demand list price, or nil when it limits neither
// cpu nor memory. Karpenter stops launching when either limit would be exceeded, so both hold at once: the pool's
// nodes cost at most cpu limit × the priciest $/vCPU-hour among the instance types it can launch, and at most memory
// limit × the priciest $/GiB-hour. Each product alone bounds the spend, so the ceiling is the smaller of the two.
// The instance types are those Karpenter's scheduler would offer the pool (its requirements and template labels,
// then the types the limits leave room for); each is priced at its on-demand offerings, whatever capacity types the
// pool allows, since that is the list price.
func ceiling(np *karpv1.NodePool, its []*cloudprovider.InstanceType) *float64 {
	limits := corev1.ResourceList(np.Spec.Limits)
	cpu, hasCPU := limits[corev1.ResourceCPU]
	mem, hasMem := limits[corev1.ResourceMemory]
	if !hasCPU && !hasMem {
		return nil
	}
	_, perVCPU, perGiB := PoolRates(np, capped(its, np.Spec.Limits))
	hourly := math.Inf(1)
	if hasCPU {
		hourly = min(hourly, cpu.AsApproximateFloat64()*perVCPU)
	}
	if hasMem {
		hourly = min(hourly, mem.AsApproximateFloat64()/gib*perGiB)
	}
	monthly := round6(hourly * HoursPerMonth)
	return &monthly
}

// PricedType is an instance type a pool can launch, at its on-demand list price per hour.
type PricedType struct {
	Type           *cloudprovider.InstanceType
	OnDemandHourly float64
}

// PoolRates returns the instance types among its that np's template allows (its requirements and labels, as
// Karpenter's scheduler reads them), each at the highest price of its available on-demand offerings whatever
// capacity types the pool allows, and the priciest $/vCPU-hour and $/GiB-hour of capacity among them. ceiling and
// the pool budgets' rate table (internal/program/poolbudget) both price pools with it.
func PoolRates(np *karpv1.NodePool, its []*cloudprovider.InstanceType) (types []PricedType, perVCPU, perGiB float64) {
	reqs := karpscheduling.NewNodeClaimTemplate(np).Requirements
	onDemand := scheduling.NewRequirements(reqs.Values()...)
	onDemand[karpv1.CapacityTypeLabelKey] = scheduling.NewRequirement(karpv1.CapacityTypeLabelKey, corev1.NodeSelectorOpIn, karpv1.CapacityTypeOnDemand)
	for _, it := range compatible(reqs, its) {
		price := 0.0
		for _, o := range it.Offerings.Available().Compatible(onDemand) {
			price = max(price, o.Price)
		}
		if v := it.Capacity.Cpu().AsApproximateFloat64(); v > 0 {
			perVCPU = max(perVCPU, price/v)
		}
		if g := it.Capacity.Memory().AsApproximateFloat64() / gib; g > 0 {
			perGiB = max(perGiB, price/g)
		}
		types = append(types, PricedType{Type: it, OnDemandHourly: price})
	}
	return types, perVCPU, perGiB
}
