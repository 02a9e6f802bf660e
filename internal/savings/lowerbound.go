package savings

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
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

// lowerBound is the least any cluster of the pools' offerings could cost for the pods, relaxed to a linear program:
// choose x_o ≥ 0 nodes of each offering o (fractions allowed) and put y_co ≥ 0 of the n_c pods of each class c on
// them, where c can run on o (a pool whose taints it tolerates, an instance type its node selectors and affinity
// accept and whose allocatable holds one pod, an offering its requirements allow), so that every pod is placed
// (Σ_o y_co = n_c) and, for each offering and each of vCPU, memory, GPUs and pod slots, the pods' requests fit the
// nodes' allocatable (Σ_c q_cr y_co ≤ a_or x_o); minimize Σ_o price_o x_o. A real cluster is one such choice, in
// whole nodes and with daemon overhead besides, so none costs less. The program sums the pods' needs across
// resources, so GPU pods and CPU pods that cannot share nodes are both paid for, where pricing each resource apart
// would keep only the dearest of the three.
//
// Offerings that another offering dominates (it runs every class the first runs, at no more per unit of each
// resource the first has) are dropped first: any load on the first fits a fraction of the second's nodes at no more
// cost, so the optimum is unchanged, and the program stays small. cheapestFractionalCluster solves it and reports
// the dual value of its multipliers, which is a bound whatever the solver did.
func lowerBound(ctx context.Context, b *instancetypes.Builder, p pools, pods []*corev1.Pod) (bound, error) {
	classes := boundClasses(pods)
	offers, err := boundOffers(ctx, b, p, classes)
	if err != nil {
		return bound{}, err
	}
	for i, c := range classes {
		if !slices.ContainsFunc(offers, func(o boundOffer) bool { return o.runs[i] }) {
			return bound{}, fmt.Errorf("pod %s can run on no offering of any scenario's pools", c.name)
		}
	}
	fc, err := cheapestFractionalCluster(classes, offers)
	hourly, nodes := fc.hourly, fc.nodes
	stopped := ""
	if short := (stoppedShort{}); errors.As(err, &short) {
		// The multipliers' dual value is a bound whatever the solver did; the note gives the gap and why.
		stopped, err = short.Error(), nil
	}
	if err != nil {
		return bound{}, fmt.Errorf("the linear program over %d offerings: %w", len(offers), err)
	}
	// The offerings the optimum uses, dearest share first, for the note.
	type share struct {
		name string
		usd  float64
	}
	var shares []share
	total := 0.0
	for i, o := range offers {
		if usd := nodes[i] * o.price; usd > 1e-9 {
			shares = append(shares, share{o.name, usd})
			total += usd
		}
	}
	slices.SortStableFunc(shares, func(a, b share) int { return cmp.Compare(b.usd, a.usd) })
	parts := make([]string, 0, maxOffersNamed+1)
	for i, sh := range shares {
		if i == maxOffersNamed {
			parts = append(parts, fmt.Sprintf("%d more", len(shares)-maxOffersNamed))
			break
		}
		parts = append(parts, fmt.Sprintf("%.0f%% on %s", 100*sh.usd/total, sh.name))
	}
	return bound{hourly: hourly, note: "every pod's requests (vCPU, memory, GPUs, pod slots) on fractional nodes of the offerings it can run on " +
		"(its arch, GPU, node selectors and affinity, tolerations against the pools' taints), at the least cost a linear program finds: " +
		"no packing loss, no daemon overhead (" + strings.Join(parts, ", ") + ")" + gapNote(fc, len(classes), stopped)}, nil
}

// gapNote says how far below the program's optimum the bound may be, when the solver stopped short of it (and why)
// or solved it with its classes merged.
func gapNote(fc fractionalCluster, classes int, stopped string) string {
	if fc.gap <= 1e-4 {
		return ""
	}
	why := ""
	switch {
	case stopped != "":
		why = "the solver stopped short of the optimum (" + stopped + ")"
	case fc.solvedClasses < classes:
		why = fmt.Sprintf("the program was solved with its %d pod classes merged into %d (same offerings, similar requests), "+
			"and its multipliers valued on the real classes", classes, fc.solvedClasses)
	default:
		why = "the solver stopped short of the optimum"
	}
	return fmt.Sprintf("; %s, so the optimum may be up to %.2f%% higher", why, 100*fc.gap/(1-fc.gap))
}

// boundClasses groups pods by constraintKey.
func boundClasses(pods []*corev1.Pod) []*boundClass {
	var classes []*boundClass
	byKey := map[string]*boundClass{}
	for _, pod := range pods {
		key := constraintKey(pod)
		c, ok := byKey[key]
		if !ok {
			req := resources.RequestsForPods(pod)
			c = &boundClass{pod: pod, terms: podTerms(pod), requests: req, name: pod.Namespace + "/" + pod.Name}
			for i, r := range boundResources {
				c.req[i] = amount(req, r)
			}
			c.req[podSlot] = 1
			byKey[key] = c
			classes = append(classes, c)
		}
		c.n++
	}
	return classes
}

// maxTerms is the most required node-affinity terms podTerms keeps apart, one bit each in boundOffers' masks.
const maxTerms = 64

// podTerms is what a pod requires of a node: one set of requirements per term of its required node affinity, each
// with its node selector, as Karpenter's NewStrictPodRequirements builds them for the first term. A node any term
// admits will do: Karpenter's scheduler tries the first term and, when no node can meet it, drops it for the next
// (its preferences' relaxation). A pod with more than maxTerms terms is bounded by its node selector alone, which
// asks less of a node and so keeps the bound a bound.
func podTerms(pod *corev1.Pod) []scheduling.Requirements {
	na := pod.Spec.Affinity
	if na == nil || na.NodeAffinity == nil || na.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution == nil ||
		len(na.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms) <= 1 {
		return []scheduling.Requirements{scheduling.NewStrictPodRequirements(pod)}
	}
	terms := na.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms
	if len(terms) > maxTerms {
		return []scheduling.Requirements{scheduling.NewLabelRequirements(pod.Spec.NodeSelector)}
	}
	out := make([]scheduling.Requirements, 0, len(terms))
	for _, term := range terms {
		one := pod.DeepCopy()
		one.Spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms = []corev1.NodeSelectorTerm{term}
		out = append(out, scheduling.NewStrictPodRequirements(one))
	}
	return out
}

// hardTaints are the taints that keep a pod off a node whatever Karpenter relaxes: a PreferNoSchedule taint does
// not, since Karpenter's scheduler, when a pool has one, relaxes a pod that fails to schedule by tolerating it.
func hardTaints(taints []corev1.Taint) []corev1.Taint {
	return slices.DeleteFunc(slices.Clone(taints), func(t corev1.Taint) bool { return t.Effect == corev1.TaintEffectPreferNoSchedule })
}

// termMask has a bit set for each of terms that admit is true of.
func termMask(terms []scheduling.Requirements, admit func(scheduling.Requirements) bool) uint64 {
	var m uint64
	for t, term := range terms {
		if admit(term) {
			m |= 1 << t
		}
	}
	return m
}

// boundResources are what the lower bound packs, in this order, with pod slots last.
var boundResources = [...]corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory, workload.GPUResource, corev1.ResourcePods}

// podSlot indexes pod slots in boundResources.
const podSlot = 3

// boundClass is the pods of one constraintKey: what they can run on and request (vCPU, GiB, GPUs, one pod slot).
type boundClass struct {
	pod      *corev1.Pod
	terms    []scheduling.Requirements // see podTerms
	requests corev1.ResourceList
	req      [len(boundResources)]float64
	n        int
	name     string
}

// boundOffer is an offering as the lower bound sees it: its price, its allocatable, and the classes it runs.
type boundOffer struct {
	name  string // "c8gd.4xlarge spot"
	price float64
	alloc [len(boundResources)]float64
	runs  []bool // by class
}

// amount is r in l, memory in GiB.
func amount(l corev1.ResourceList, r corev1.ResourceName) float64 {
	q, ok := l[r]
	if !ok {
		return 0
	}
	if r == corev1.ResourceMemory {
		return q.AsApproximateFloat64() / gib
	}
	return q.AsApproximateFloat64()
}

// boundOffers lists the offerings that run at least one class, less the dominated ones (see lowerBound). Zones
// repeat an offering at one price, and pools that run the same classes repeat it too; those count once.
func boundOffers(ctx context.Context, b *instancetypes.Builder, p pools, classes []*boundClass) ([]boundOffer, error) {
	// Classes differ mostly in their requests; what they require of a node (node selectors and affinity,
	// tolerations) is shared by many. Whether a type's labels, a pool's taints and requirements, or an offering's
	// requirements (capacity type, zone) admit a class depends only on the latter, so each is checked once per
	// constraint: only whether the requests fit is checked per class.
	constraintOf := make([]int, len(classes))
	constraints := map[string]int{}
	for i, c := range classes {
		key := nodeConstraintKey(c.pod)
		at, ok := constraints[key]
		if !ok {
			at = len(constraints)
			constraints[key] = at
		}
		constraintOf[i] = at
	}
	type typeKey struct {
		it         *cloudprovider.InstanceType
		constraint int
	}
	typeRuns := map[typeKey]uint64{}
	type poolKey struct {
		np         *karpv1.NodePool
		constraint int
	}
	poolRuns := map[poolKey]uint64{}
	type offeringKey struct {
		requirements string
		constraint   int
	}
	offeringRuns := map[offeringKey]uint64{}
	var all []boundOffer
	seen := map[string]bool{}
	// eachOffering visits a type's offerings one after another, and whether a class's requests fit is the type's.
	var fitsType *cloudprovider.InstanceType
	var fits []int8 // by class: 0 not yet known, 1 fits, -1 does not
	err := eachOffering(ctx, b, p, func(np *karpv1.NodePool, reqs scheduling.Requirements, it *cloudprovider.InstanceType, o *cloudprovider.Offering) {
		alloc := it.Allocatable()
		if it != fitsType {
			fitsType, fits = it, make([]int8, len(classes))
		}
		offer := boundOffer{name: it.Name + " " + o.CapacityType(), price: o.Price, runs: make([]bool, len(classes))}
		for i, r := range boundResources {
			offer.alloc[i] = amount(alloc, r)
		}
		// Unlike a pod's, an offering's requirements are single values (capacity type, zone, zone ID) or
		// DoesNotExist, which String() prints whole.
		offeringReqs := o.Requirements.String()
		for i, c := range classes {
			// Each check keeps the terms it admits; the class runs on the offering if one term passes them all.
			tk := typeKey{it, constraintOf[i]}
			terms, ok := typeRuns[tk]
			if !ok {
				terms = termMask(c.terms, func(t scheduling.Requirements) bool {
					return it.Requirements.Compatible(t, scheduling.AllowUndefinedWellKnownLabels) == nil
				})
				typeRuns[tk] = terms
			}
			if terms == 0 {
				continue
			}
			if fits[i] == 0 {
				fits[i] = -1
				if resources.Fits(c.requests, alloc) {
					fits[i] = 1
				}
			}
			if fits[i] < 0 {
				continue
			}
			pk := poolKey{np, constraintOf[i]}
			pool, ok := poolRuns[pk]
			if !ok {
				if scheduling.Taints(hardTaints(np.Spec.Template.Spec.Taints)).ToleratesPod(c.pod) == nil {
					pool = termMask(c.terms, func(t scheduling.Requirements) bool {
						return reqs.IsCompatible(t, scheduling.AllowUndefinedWellKnownLabels)
					})
				}
				poolRuns[pk] = pool
			}
			terms &= pool
			if terms == 0 {
				continue
			}
			ork := offeringKey{offeringReqs, constraintOf[i]}
			offering, ok := offeringRuns[ork]
			if !ok {
				offering = termMask(c.terms, func(t scheduling.Requirements) bool {
					return o.Requirements.IsCompatible(t, scheduling.AllowUndefinedWellKnownLabels)
				})
				offeringRuns[ork] = offering
			}
			offer.runs[i] = terms&offering != 0
		}
		if !slices.Contains(offer.runs, true) {
			return
		}
		// Allocatable is in the key: one type through two EC2NodeClasses (kubelet maxPods, reserved memory) is two
		// offerings, and keeping only the first could keep the smaller and raise the bound above a real cluster.
		key := fmt.Sprint(offer.name, o.Price, offer.alloc) + bitString(len(offer.runs), func(i int) bool { return offer.runs[i] })
		if !seen[key] {
			seen[key] = true
			all = append(all, offer)
		}
	})
	if err != nil {
		return nil, err
	}
	var kept []boundOffer
	for _, o := range all {
		if slices.ContainsFunc(kept, func(k boundOffer) bool { return k.dominates(o) }) {
			continue
		}
		kept = slices.DeleteFunc(kept, func(k boundOffer) bool { return o.dominates(k) })
		kept = append(kept, o)
	}
	return kept, nil
}

// dominates says whether a can stand in for b in the lower bound: a runs every class b runs, and costs no more
// per unit of each resource b has. Equal offerings dominate each other; the first one seen is kept.
func (a boundOffer) dominates(b boundOffer) bool {
	for i := range b.runs {
		if b.runs[i] && !a.runs[i] {
			return false
		}
	}
	for r := range boundResources {
		if b.alloc[r] <= 0 {
			continue
		}
		if a.alloc[r] <= 0 || a.price*b.alloc[r] > b.price*a.alloc[r] {
			return false
		}
	}
	return true
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

// nodeConstraintKey identifies pods that ask the same of a node: node selector, required node affinity and
// tolerations (the lower bound's checks read nothing else). JSON, not Requirements.String(), which elides values
// past the fifth and would merge constraints that differ.
func nodeConstraintKey(p *corev1.Pod) string {
	var required *corev1.NodeSelector
	if a := p.Spec.Affinity; a != nil && a.NodeAffinity != nil {
		required = a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution
	}
	b, err := json.Marshal(struct {
		Selector    map[string]string
		Required    *corev1.NodeSelector
		Tolerations []corev1.Toleration
	}{p.Spec.NodeSelector, required, p.Spec.Tolerations})
	if err != nil {
		return string(p.UID)
	}
	return string(b)
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
		Ignored:    w.Ignored,
	}
}
