package savings

import (
	"context"
	"fmt"
	"math"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/karpenter/pkg/cloudprovider"
	"sigs.k8s.io/karpenter/pkg/scheduling"
	"sigs.k8s.io/karpenter/pkg/utils/resources"

	"github.com/karpenter-savings/karpenter-savings/internal/instancetypes"
	"github.com/karpenter-savings/karpenter-savings/internal/workload"
)

const gib = 1 << 30

// bound is the lower bound and how it was reached.
type bound struct {
	hourly float64
	note   string
}

// rate is the cheapest price of one resource unit and the offering that has it.
type rate struct {
	usd   float64 // per unit-hour
	offer string  // "m7g.large spot"
}

// lowerBound prices the pods' requests at the cheapest $/vCPU, $/GiB and $/GPU of any offering any scenario's
// pools allow, measured against allocatable capacity. Every node costs at least its allocatable vCPU times the
// cheapest $/vCPU (and likewise for GiB and GPUs), and the pods' requests fit in the nodes' allocatable, so no
// scenario can cost less than the largest of the three products: no packing loss, no daemon or kubelet overhead.
func lowerBound(ctx context.Context, b *instancetypes.Builder, p pools, pods []*corev1.Pod) (bound, error) {
	req := resources.RequestsForPods(pods...)
	cpu := req.Cpu().AsApproximateFloat64()
	mem := req.Memory().AsApproximateFloat64() / gib
	gpuQ := req[workload.GPUResource]
	gpu := gpuQ.AsApproximateFloat64()

	cpuRate, memRate, gpuRate := rate{usd: math.Inf(1)}, rate{usd: math.Inf(1)}, rate{usd: math.Inf(1)}
	for _, np := range p.nodePools {
		nc, ok := p.classes[np.Spec.Template.Spec.NodeClassRef.Name]
		if !ok {
			return bound{}, fmt.Errorf("NodePool %s references EC2NodeClass %q, which is not in the set", np.Name, np.Spec.Template.Spec.NodeClassRef.Name)
		}
		reqs := scheduling.NewNodeSelectorRequirementsWithMinValues(np.Spec.Template.Spec.Requirements...)
		for _, it := range b.For(ctx, nc) {
			if !reqs.IsCompatible(it.Requirements, scheduling.AllowUndefinedWellKnownLabels) {
				continue
			}
			alloc := it.Allocatable()
			for _, o := range it.Offerings.Available() {
				if !reqs.IsCompatible(o.Requirements, scheduling.AllowUndefinedWellKnownLabels) {
					continue
				}
				cpuRate = cheaper(cpuRate, o, it, alloc.Cpu().AsApproximateFloat64())
				memRate = cheaper(memRate, o, it, alloc.Memory().AsApproximateFloat64()/gib)
				g := alloc[workload.GPUResource]
				gpuRate = cheaper(gpuRate, o, it, g.AsApproximateFloat64())
			}
		}
	}
	if math.IsInf(cpuRate.usd, 1) || math.IsInf(memRate.usd, 1) {
		return bound{}, fmt.Errorf("no available offering in any scenario's pools")
	}
	best := bound{
		hourly: cpu * cpuRate.usd,
		note:   fmt.Sprintf("%.3f vCPU requested × $%.6f per vCPU-hour (%s)", cpu, cpuRate.usd, cpuRate.offer),
	}
	if v := mem * memRate.usd; v > best.hourly {
		best = bound{hourly: v, note: fmt.Sprintf("%.3f GiB requested × $%.6f per GiB-hour (%s)", mem, memRate.usd, memRate.offer)}
	}
	if gpu > 0 {
		if math.IsInf(gpuRate.usd, 1) {
			return bound{}, fmt.Errorf("%g GPUs requested but no pool offers a GPU instance type", gpu)
		}
		if v := gpu * gpuRate.usd; v > best.hourly {
			best = bound{hourly: v, note: fmt.Sprintf("%g GPUs requested × $%.6f per GPU-hour (%s)", gpu, gpuRate.usd, gpuRate.offer)}
		}
	}
	best.note = "the largest of vCPU, memory and GPU requests priced at the cheapest rate any scenario's offering has: " + best.note
	return best, nil
}

func cheaper(r rate, o *cloudprovider.Offering, it *cloudprovider.InstanceType, units float64) rate {
	if units <= 0 {
		return r
	}
	if v := o.Price / units; v < r.usd {
		return rate{usd: v, offer: it.Name + " " + o.CapacityType()}
	}
	return r
}

// Summarize sums what w asks for.
func Summarize(w *workload.Workload) Requests {
	req := resources.RequestsForPods(w.Pods...)
	gpu := req[workload.GPUResource]
	return Requests{
		Pods:       len(w.Pods),
		DaemonSets: len(w.DaemonSetPods),
		VCPU:       round6(req.Cpu().AsApproximateFloat64()),
		MemoryGiB:  round6(req.Memory().AsApproximateFloat64() / gib),
		GPU:        gpu.Value(),
	}
}
