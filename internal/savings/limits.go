package savings

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	karpv1 "sigs.k8s.io/karpenter/pkg/apis/v1"

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
	for name, nc := range e.classes {
		capacity[name] = map[string]corev1.ResourceList{}
		for _, it := range e.builder.For(ctx, nc) {
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
			u := usage(s.name, np, placed[s.name].Nodes, capacity[np.Spec.Template.Spec.NodeClassRef.Name])
			exceeded = exceeded || u.Exceeded
			out.Pools = append(out.Pools, u)
		}
		if !exceeded {
			continue
		}
		_, podErrs, err := schedule(ctx, e.builder, pools{nodePools: s.pools, classes: e.classes}, e.pods, e.w.DaemonSetPods, true)
		if err != nil {
			return Limits{}, fmt.Errorf("savings: limits check of scenario %s: %w", s.name, err)
		}
		pending := make([]*corev1.Pod, 0, len(podErrs))
		for p := range podErrs {
			pending = append(pending, p)
		}
		out.Pending = append(out.Pending, PendingPods{Scenario: s.name, Workloads: CountWorkloads(pending)})
	}
	return out, nil
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
