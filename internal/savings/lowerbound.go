package savings

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	karpv1 "sigs.k8s.io/karpenter/pkg/apis/v1"
	"sigs.k8s.io/karpenter/pkg/cloudprovider"
	"sigs.k8s.io/karpenter/pkg/scheduling"
	"sigs.k8s.io/karpenter/pkg/utils/resources"

	"github.com/karpenter-savings/karpenter-savings/internal/savings/instancetypes"
	"github.com/karpenter-savings/karpenter-savings/internal/savings/workload"
)

const gib = 1 << 30

// bound is a lower bound and how it was reached.
type bound struct {
	hourly float64
	note   string
}

// rate is the cheapest price of one resource unit and the offering that has it.
type rate struct {
	usd   float64 // per unit-hour
	offer string  // "m7g.large spot"
}

// priceFloor prices the pods' requests at the cheapest $/vCPU, $/GiB and $/GPU of any offering any scenario's
// pools allow, measured against allocatable capacity. Every node costs at least its allocatable vCPU times the
// cheapest $/vCPU (and likewise for GiB and GPUs), and the pods' requests fit in the nodes' allocatable, so no
// scenario can cost less than the largest of the three products: no packing loss, no daemon or kubelet overhead.
// It ignores what each pod can run on; lowerBound does not.
func priceFloor(ctx context.Context, b *instancetypes.Builder, p pools, pods []*corev1.Pod) (bound, error) {
	req := resources.RequestsForPods(pods...)
	cpu := req.Cpu().AsApproximateFloat64()
	mem := req.Memory().AsApproximateFloat64() / gib
	gpuQ := req[workload.GPUResource]
	gpu := gpuQ.AsApproximateFloat64()

	cpuRate, memRate, gpuRate := rate{usd: math.Inf(1)}, rate{usd: math.Inf(1)}, rate{usd: math.Inf(1)}
	err := eachOffering(ctx, b, p, func(_ *karpv1.NodePool, _ scheduling.Requirements, it *cloudprovider.InstanceType, o *cloudprovider.Offering) {
		alloc := it.Allocatable()
		cpuRate = cheaper(cpuRate, o, it, alloc.Cpu().AsApproximateFloat64())
		memRate = cheaper(memRate, o, it, alloc.Memory().AsApproximateFloat64()/gib)
		g := alloc[workload.GPUResource]
		gpuRate = cheaper(gpuRate, o, it, g.AsApproximateFloat64())
	})
	if err != nil {
		return bound{}, err
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
	best.note = "the largest of vCPU, memory and GPU requests priced at the cheapest rate any scenario's offering has, " +
		"whether or not the pods can run on it: " + best.note
	return best, nil
}

// lowerBound prices each pod's requests at the cheapest $/vCPU, $/GiB and $/GPU among the offerings it could
// actually run on: of a pool whose taints it tolerates, of an instance type its node selectors and affinity accept
// and whose allocatable holds it. A node that runs pod p costs at least its allocatable vCPU × its own $/vCPU,
// which is at least the rate of every pod on it, so every scenario costs at least Σ vCPU(p) × rate(p); likewise for
// GiB and GPUs. The bound is the largest of the three sums, for the workload as declared.
func lowerBound(ctx context.Context, b *instancetypes.Builder, p pools, pods []*corev1.Pod) (bound, error) {
	type class struct {
		req           corev1.ResourceList
		n             int
		cpu, mem, gpu rate
		name          string
	}
	classes := map[string]*class{}
	var keys []string
	for _, pod := range pods {
		key := constraintKey(pod)
		c, ok := classes[key]
		if !ok {
			c = &class{req: resources.RequestsForPods(pod), cpu: rate{usd: math.Inf(1)}, mem: rate{usd: math.Inf(1)}, gpu: rate{usd: math.Inf(1)},
				name: pod.Namespace + "/" + pod.Name}
			classes[key] = c
			keys = append(keys, key)
			err := eachOffering(ctx, b, p, func(np *karpv1.NodePool, reqs scheduling.Requirements, it *cloudprovider.InstanceType, o *cloudprovider.Offering) {
				podReqs := scheduling.NewStrictPodRequirements(pod)
				if scheduling.Taints(np.Spec.Template.Spec.Taints).ToleratesPod(pod) != nil ||
					!reqs.IsCompatible(podReqs, scheduling.AllowUndefinedWellKnownLabels) ||
					it.Requirements.Compatible(podReqs, scheduling.AllowUndefinedWellKnownLabels) != nil ||
					!o.Requirements.IsCompatible(podReqs, scheduling.AllowUndefinedWellKnownLabels) {
					return
				}
				alloc := it.Allocatable()
				if !resources.Fits(c.req, alloc) {
					return
				}
				c.cpu = cheaper(c.cpu, o, it, alloc.Cpu().AsApproximateFloat64())
				c.mem = cheaper(c.mem, o, it, alloc.Memory().AsApproximateFloat64()/gib)
				g := alloc[workload.GPUResource]
				c.gpu = cheaper(c.gpu, o, it, g.AsApproximateFloat64())
			})
			if err != nil {
				return bound{}, err
			}
			if math.IsInf(c.cpu.usd, 1) {
				return bound{}, fmt.Errorf("pod %s can run on no offering of any scenario's pools", c.name)
			}
		}
		c.n++
	}
	var cpu, mem, gpu, cpuUSD, memUSD, gpuUSD float64
	for _, key := range keys {
		c := classes[key]
		n := float64(c.n)
		gq := c.req[workload.GPUResource]
		cpu += n * c.req.Cpu().AsApproximateFloat64()
		mem += n * c.req.Memory().AsApproximateFloat64() / gib
		gpu += n * gq.AsApproximateFloat64()
		cpuUSD += n * c.req.Cpu().AsApproximateFloat64() * c.cpu.usd
		memUSD += n * c.req.Memory().AsApproximateFloat64() / gib * c.mem.usd
		if !gq.IsZero() {
			gpuUSD += n * gq.AsApproximateFloat64() * c.gpu.usd
		}
	}
	// Cheapest offerings of the dominant resource, for the note.
	offers := func(pick func(*class) rate) string {
		count := map[string]int{}
		var names []string
		for _, key := range keys {
			o := pick(classes[key]).offer
			if _, ok := count[o]; !ok {
				names = append(names, o)
			}
			count[o] += classes[key].n
		}
		slices.SortStableFunc(names, func(a, b string) int { return cmp.Compare(count[b], count[a]) })
		parts := make([]string, 0, len(names))
		for i, o := range names {
			if i == maxOffersNamed {
				parts = append(parts, fmt.Sprintf("%d more", len(names)-maxOffersNamed))
				break
			}
			parts = append(parts, fmt.Sprintf("%s for %d pods", o, count[o]))
		}
		return strings.Join(parts, ", ")
	}
	best := bound{hourly: cpuUSD, note: fmt.Sprintf("%.3f vCPU requested × $%.6f per vCPU-hour on average (%s)", cpu, cpuUSD/cpu, offers(func(c *class) rate { return c.cpu }))}
	if memUSD > best.hourly {
		best = bound{hourly: memUSD, note: fmt.Sprintf("%.3f GiB requested × $%.6f per GiB-hour on average (%s)", mem, memUSD/mem, offers(func(c *class) rate { return c.mem }))}
	}
	if gpuUSD > best.hourly {
		best = bound{hourly: gpuUSD, note: fmt.Sprintf("%g GPUs requested × $%.6f per GPU-hour on average (%s)", gpu, gpuUSD/gpu, offers(func(c *class) rate { return c.gpu }))}
	}
	best.note = "the largest of vCPU, memory and GPU requests, each pod priced at the cheapest rate among the offerings it can run on " +
		"(its arch, GPU, node selectors and affinity, tolerations against the pools' taints): " + best.note
	return best, nil
}

// maxOffersNamed bounds how many offerings the lower bound's note names.
const maxOffersNamed = 3

// eachOffering calls visit with every available offering of every instance type each pool allows, within the
// pool's per-node limits.
func eachOffering(ctx context.Context, b *instancetypes.Builder, p pools, visit func(*karpv1.NodePool, scheduling.Requirements, *cloudprovider.InstanceType, *cloudprovider.Offering)) error {
	for _, np := range p.nodePools {
		nc, ok := p.classes[np.Spec.Template.Spec.NodeClassRef.Name]
		if !ok {
			return fmt.Errorf("NodePool %s references EC2NodeClass %q, which is not in the set", np.Name, np.Spec.Template.Spec.NodeClassRef.Name)
		}
		reqs := scheduling.NewNodeSelectorRequirementsWithMinValues(np.Spec.Template.Spec.Requirements...)
		for _, it := range capped(b.For(ctx, nc), np.Spec.Limits) {
			if !reqs.IsCompatible(it.Requirements, scheduling.AllowUndefinedWellKnownLabels) {
				continue
			}
			for _, o := range it.Offerings.Available() {
				if reqs.IsCompatible(o.Requirements, scheduling.AllowUndefinedWellKnownLabels) {
					visit(np, reqs, it, o)
				}
			}
		}
	}
	return nil
}

// constraintKey identifies pods that can run on the same offerings and request the same resources.
func constraintKey(p *corev1.Pod) string {
	var na *corev1.NodeAffinity
	if p.Spec.Affinity != nil {
		na = p.Spec.Affinity.NodeAffinity
	}
	b, err := json.Marshal(struct {
		Selector    map[string]string
		Affinity    *corev1.NodeAffinity
		Tolerations []corev1.Toleration
		Requests    corev1.ResourceList
	}{p.Spec.NodeSelector, na, p.Spec.Tolerations, resources.RequestsForPods(p)})
	if err != nil {
		return string(p.UID)
	}
	return string(b)
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
