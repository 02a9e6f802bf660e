// Package savings estimates what a workload costs on four kinds of capacity — an on-demand x86 node group, the
// lab's default Karpenter pool, this stack's multi-arch pools, and the lower bound no scheduler can beat — and
// splits the saving into spot, Graviton and packing. Placement is Karpenter's own scheduler; instance types and
// offerings are built by Karpenter's AWS provider from a dated price snapshot.
package savings

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	awsv1 "github.com/aws/karpenter-provider-aws/pkg/apis/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	karpv1 "sigs.k8s.io/karpenter/pkg/apis/v1"

	"github.com/karpenter-savings/karpenter-savings/internal/catalog"
	"github.com/karpenter-savings/karpenter-savings/internal/program/poolspec"
	"github.com/karpenter-savings/karpenter-savings/internal/savings/images"
	"github.com/karpenter-savings/karpenter-savings/internal/savings/instancetypes"
	"github.com/karpenter-savings/karpenter-savings/internal/savings/karpenterapi"
	"github.com/karpenter-savings/karpenter-savings/internal/savings/pricetable"
	"github.com/karpenter-savings/karpenter-savings/internal/savings/workload"
)

// Baseline instance types: the lab's "before" picture is an on-demand managed node group of one x86 type, and a
// GPU group for GPU pods.
const (
	DefaultBaselineType    = "m6i.large"
	DefaultBaselineGPUType = "g5.xlarge"
)

// Names of the baseline's two node groups, modelled as single-type NodePools.
const (
	baselinePool    = "baseline"
	baselineGPUPool = "baseline-gpu"
)

// Counterfactual scenarios the split into causes is computed from.
const (
	stepOnDemandAMD64 = "multiarch-on-demand-amd64"
	stepOnDemand      = "multiarch-on-demand"
)

// Method explains the split into causes; the report and docs/savings.md carry it.
const Method = "Causes are measured by turning one feature off at a time, with Karpenter re-packing and consolidating each time, " +
	"and compare steady states (the baseline's node groups do not consolidate): " +
	"packing = baseline - (multiarch pools restricted to on-demand and amd64); " +
	"graviton = (on-demand, amd64) - (on-demand, arm64 allowed); " +
	"spot = (on-demand) - multiarch as declared. " +
	"The three add up exactly to baseline - multiarch; the order (packing, then Graviton, then spot) decides " +
	"where interaction effects land."

// LabDefaultPool is the lab's default NodePool: amd64 spot, 16 vCPU and 32Gi. Scenario lab-default runs it alone.
var LabDefaultPool = poolspec.PoolSpec{
	Enabled:       true,
	CapacityTypes: []string{karpv1.CapacityTypeSpot},
	CPULimit:      "16",
	MemoryLimit:   "32Gi",
}

// Options configures an estimate.
type Options struct {
	// Region prices the estimate. Required.
	Region string
	// Zones are the node classes' subnet zones. Required.
	Zones []string
	// Pools are the stack's node pools: the multiarch scenario. Their EC2NodeClass settings (AMI family, block
	// devices, kubelet) also serve the other scenarios, so that every scenario has the same per-node overhead.
	Pools poolspec.Options
	// BaselineType is the baseline node group's instance type. Optional; default DefaultBaselineType.
	BaselineType string
	// BaselineGPUType is the baseline GPU node group's instance type. Optional; default DefaultBaselineGPUType.
	BaselineGPUType string
	// MaxShardPods is the largest batch the scheduler packs at once; larger workloads are cut into identical
	// shards. Optional; default DefaultMaxShardPods.
	MaxShardPods int
	// Now dates the report, to say how old the price data is. Optional; default time.Now().
	Now time.Time
	// Progress, when set, is told how many scheduling passes of how many are done.
	Progress func(done, total int)
	// Images are the platforms of the workload's images (package images): a pod with an image that offers no
	// linux/arm64 runs on amd64 only in every scenario. Optional; nil reads no image and assumes every one multi-arch.
	Images *images.Result
}

// Estimate schedules w in every scenario and prices the result.
func Estimate(ctx context.Context, cat *catalog.Catalog, w *workload.Workload, o Options) (*Report, error) {
	e, err := newEstimator(ctx, cat, w, o)
	if err != nil {
		return nil, err
	}
	multiarch := e.stack.NodePools
	onDemand := restricted(multiarch, karpv1.CapacityTypeLabelKey, karpv1.CapacityTypeOnDemand)
	scenarios := []scenario{
		e.baseline(),
		{name: LabDefault, pools: e.lab.NodePools, note: "the lab's default NodePool alone: amd64, spot"},
		{name: Multiarch, pools: multiarch, note: "this stack's NodePools: " + poolNames(multiarch)},
		{name: stepOnDemand, pools: onDemand},
		{name: stepOnDemandAMD64, pools: restricted(onDemand, corev1.LabelArchStable, karpv1.ArchitectureAmd64)},
	}
	// Five scenarios, then the limits check, the advice and, when some pod has an assumed image, the Graviton split.
	e.steps = len(scenarios) + 2
	assumedPods, splitPass := e.assumedOnAMD64()
	if splitPass {
		e.steps++
	}
	var all []*karpv1.NodePool
	for _, s := range scenarios {
		all = append(all, s.pools...)
	}
	// The bounds read only the pools and the pods: they run while the scenarios are scheduled.
	var lb, floor bound
	var lbErr, floorErr error
	var bounds sync.WaitGroup
	bounds.Go(func() {
		lb, lbErr = lowerBound(ctx, e.builder, pools{nodePools: all, classes: e.classes, memo: e.memo}, e.pods)
		if lbErr != nil {
			lbErr = fmt.Errorf("savings: lower bound: %w", lbErr)
			return
		}
		floor, floorErr = priceFloor(ctx, e.builder, pools{nodePools: all, classes: e.classes, memo: e.memo}, e.pods)
		if floorErr != nil {
			floorErr = fmt.Errorf("savings: price floor: %w", floorErr)
		}
	})
	// The limits check, the advice and the Graviton split each schedule again, independently of each other; each
	// starts as soon as the scenarios it reads are placed, while the others are still being scheduled.
	solving := e.startAll(ctx, scenarios)
	var limits Limits
	var advice Advice
	var assumedStep float64
	var limitsErr, adviceErr, splitErr error
	var wg sync.WaitGroup
	if splitPass {
		// The on-demand step again with every pod of an assumed image on amd64: what Graviton saves without them.
		wg.Go(func() {
			_, settled, err := solve(ctx, e.builder, pools{nodePools: onDemand, classes: e.classes, memo: e.memo}, assumedPods, e.w.DaemonSetPods, e.budgets, e.o.MaxShardPods, true)
			if err != nil {
				splitErr = fmt.Errorf("savings: scenario %s with assumed images on amd64: %w", stepOnDemand, err)
			}
			assumedStep = NewScenario(stepOnDemand, settled, "").HourlyUSD
			e.stepDone()
		})
	}
	wg.Go(func() {
		placed, ok := solving.wait(LabDefault, Multiarch)
		if !ok {
			return // the scenario's error is returned below
		}
		limits, limitsErr = e.checkLimits(ctx, scenarios[1:3], placed)
		e.stepDone()
	})
	wg.Go(func() {
		placed, ok := solving.wait(Baseline, Multiarch)
		if !ok {
			return
		}
		advice, adviceErr = e.advise(ctx, NewScenario(Multiarch, placed[Multiarch].Steady().Nodes, ""), multiarch, all, placed[Baseline].HourlyUSD)
		e.stepDone()
	})
	placed, err := solving.all()
	wg.Wait()
	bounds.Wait()
	if err := errors.Join(err, lbErr, floorErr); err != nil {
		return nil, err
	}
	if err := errors.Join(limitsErr, adviceErr, splitErr); err != nil {
		return nil, err
	}
	lower := NewScenario(LowerBound, nil, lb.note)
	lower.HourlyUSD = round6(lb.hourly)
	advice.Bound = boundGap(advice, placed[Multiarch].Steady().HourlyUSD, lower.HourlyUSD)
	if advice.Bound != nil {
		steady := placed[Multiarch].Steady()
		advice.Bound.Specialized = specializedNodes(steady.Nodes, gpuOwners(e.pods))
		if note := specializedNote(Multiarch, advice.Bound.Specialized, steady.HourlyUSD); note != "" {
			advice.Bound.Note += " " + note
		}
	}
	lower.MonthlyUSD = round6(lower.HourlyUSD * HoursPerMonth)
	r := &Report{
		Scenarios:      []Scenario{placed[Baseline], placed[LabDefault], placed[Multiarch], lower},
		Savings:        split(placed[Baseline].HourlyUSD, placed[stepOnDemandAMD64].Steady().HourlyUSD, placed[stepOnDemand].Steady().HourlyUSD, placed[Multiarch].Steady().HourlyUSD),
		Prices:         NewPrices(cat, o.Region, e.o.Now),
		Workload:       Summarize(w),
		Notes:          e.notes(cat),
		BaselineGroups: e.extraGroups,
		Advice:         advice,
		Limits:         limits,
		PriceFloor:     Floor{HourlyUSD: round6(floor.hourly), MonthlyUSD: round6(round6(floor.hourly) * HoursPerMonth), Note: floor.note},
		Images:         e.imagesReport(),
	}
	if r.Images != nil {
		r.Images.Graviton = gravitonSplit(placed[stepOnDemandAMD64].Steady().HourlyUSD, placed[stepOnDemand].Steady().HourlyUSD, assumedStep,
			placed[Baseline].HourlyUSD, splitPass, e.assumedDaemonSets())
	}
	for i := range r.Scenarios {
		s := &r.Scenarios[i]
		if s.Name == LowerBound {
			continue
		}
		share := spotShare(s.Steady().Nodes)
		s.SpotShare = &share
		errs := []error{withPriceSources(cat, o.Region, s.Nodes)}
		if s.Consolidated != nil {
			errs = append(errs, withPriceSources(cat, o.Region, s.Consolidated.Nodes))
		}
		if err := errors.Join(errs...); err != nil {
			return nil, err
		}
	}
	if r.SpotSensitivity, err = spotSensitivity(cat, o.Region, r, LabDefault, Multiarch); err != nil {
		return nil, err
	}
	return r, nil
}

// EstimateBaseline places w on the baseline node groups only; `savings live` compares a cluster with it.
func EstimateBaseline(ctx context.Context, cat *catalog.Catalog, w *workload.Workload, o Options) (Scenario, []string, error) {
	e, err := newEstimator(ctx, cat, w, o)
	if err != nil {
		return Scenario{}, nil, err
	}
	placed, err := e.solveAll(ctx, []scenario{e.baseline()})
	if err != nil {
		return Scenario{}, nil, err
	}
	return placed[Baseline], e.workloadNotes(), nil
}

// scenario is a named set of NodePools to schedule on. Karpenter scenarios consolidate to a steady state; the
// baseline's node groups do not.
type scenario struct {
	name      string
	pools     []*karpv1.NodePool
	note      string
	nodeGroup bool
}

// shardPods is the scenario's shard size: maxShardPods, or NodeGroupShardPods for node groups.
func (s scenario) shardPods(maxShardPods int) int {
	if s.nodeGroup && maxShardPods > 0 {
		return min(maxShardPods, NodeGroupShardPods)
	}
	return maxShardPods
}

// estimator holds what every scenario of one estimate shares.
type estimator struct {
	o        Options
	w        *workload.Workload
	pods     []*corev1.Pod
	builder  *instancetypes.Builder
	stack    *karpenterapi.Set
	lab      *karpenterapi.Set
	classes  map[string]*awsv1.EC2NodeClass
	gpuClass string
	// baseGroups are the baseline's node groups, extraGroups what they add for pods too big for its types.
	baseGroups  []baseGroup
	extraGroups []BaselineGroup
	// memo is shared by every pass of the estimate.
	memo *memo
	// budgets are the workload's PodDisruptionBudgets with their status at the steady state (see disruptionBudgets),
	// and budgetNotes what they and the do-not-disrupt annotations keep.
	budgets     []*policyv1.PodDisruptionBudget
	budgetNotes []string
	// marks say which workloads their images pin to one architecture, and which have assumed images.
	marks imageMarks
	// steps and done count the estimate's stages for Options.Progress.
	mu          sync.Mutex
	steps, done int
}

// stepDone reports one more finished stage to Options.Progress.
func (e *estimator) stepDone() {
	if e.o.Progress == nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.done++
	e.o.Progress(e.done, max(e.steps, e.done))
}

func newEstimator(ctx context.Context, cat *catalog.Catalog, w *workload.Workload, o Options) (*estimator, error) {
	if o.BaselineType == "" {
		o.BaselineType = DefaultBaselineType
	}
	if o.BaselineGPUType == "" {
		o.BaselineGPUType = DefaultBaselineGPUType
	}
	if o.MaxShardPods == 0 {
		o.MaxShardPods = DefaultMaxShardPods
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	if len(w.Pods) == 0 {
		return nil, errors.New("savings: the workload has no pods (Deployments, StatefulSets or Jobs) to place")
	}
	if _, err := cat.Offered(o.Region); err != nil {
		return nil, fmt.Errorf("savings: %w", err)
	}
	var errs []error
	for _, t := range []string{o.BaselineType, o.BaselineGPUType} {
		if err := cat.Check(o.Region, t); err != nil {
			errs = append(errs, fmt.Errorf("savings: baseline: %w", err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	b, err := instancetypes.New(cat, o.Region, o.Zones)
	if err != nil {
		return nil, fmt.Errorf("savings: %w", err)
	}
	stack, err := build(o.Pools)
	if err != nil {
		return nil, fmt.Errorf("savings: stack node pools: %w", err)
	}
	labOpts := o.Pools
	labOpts.Default = LabDefaultPool
	labOpts.Graviton.Enabled = false
	labOpts.GPU.Enabled = false
	lab, err := build(labOpts)
	if err != nil {
		return nil, fmt.Errorf("savings: lab default pool: %w", err)
	}
	e := &estimator{o: o, w: w, pods: withUIDs(w.Pods), builder: b, stack: stack, lab: lab,
		classes: map[string]*awsv1.EC2NodeClass{}, gpuClass: poolspec.Default, memo: &memo{},
		marks: imageMarks{pinned: map[workload.Owner][]string{}, assumed: map[workload.Owner][]string{}}}
	if o.Images != nil {
		if e.pods, err = markImages(e.pods, false, o.Images, &e.marks); err != nil {
			return nil, err
		}
		marked := *w
		if marked.DaemonSetPods, err = markImages(w.DaemonSetPods, true, o.Images, &e.marks); err != nil {
			return nil, err
		}
		e.w = &marked
	}
	// The lab set's default class is the stack's default class built from the same options; both sets agree.
	for _, nc := range append(slices.Clone(lab.NodeClasses), stack.NodeClasses...) {
		e.classes[nc.Name] = nc
	}
	budgets, notes, err := disruptionBudgets(w.PodDisruptionBudgets, e.pods, w.DaemonSetPods)
	if err != nil {
		return nil, fmt.Errorf("savings: %w", err)
	}
	e.budgets, e.budgetNotes = budgets, append(notes, doNotDisruptNotes(e.pods, w.DaemonSetPods)...)
	if _, ok := e.classes[poolspec.GPU]; ok {
		e.gpuClass = poolspec.GPU
	}
	e.baseGroups, e.extraGroups, err = e.planBaseline(ctx)
	if err != nil {
		return nil, err
	}
	return e, nil
}

// build builds the pools of o as Karpenter's types, which its scheduler packs onto.
func build(o poolspec.Options) (*karpenterapi.Set, error) {
	set, err := poolspec.Build(o)
	if err != nil {
		return nil, err
	}
	return karpenterapi.Convert(set)
}

// baseline is the lab's "before" picture: on-demand managed node groups of one instance type each, the GPU group
// tainted as EKS GPU node groups usually are, so that only GPU pods land there.
func (e *estimator) baseline() scenario {
	note := fmt.Sprintf("on-demand managed node groups of %s (and %s for GPU pods)", e.o.BaselineType, e.o.BaselineGPUType)
	for _, g := range e.extraGroups {
		note += fmt.Sprintf(", plus %s for pods too big for %s", g.InstanceType, g.Extends)
	}
	return scenario{name: Baseline, pools: baselinePools(e.baseGroups), note: note, nodeGroup: true}
}

// solveAll schedules every scenario concurrently; each has its own scheduler and shares only read-only
// instance types and the memo of passes.
func (e *estimator) solveAll(ctx context.Context, scenarios []scenario) (map[string]Scenario, error) {
	return e.startAll(ctx, scenarios).all()
}

// solving is the scenarios of an estimate being scheduled: each is done when its channel closes.
type solving struct {
	scenarios []scenario
	done      []chan struct{}
	placed    []Scenario
	errs      []error
}

// startAll starts scheduling every scenario concurrently and returns at once.
func (e *estimator) startAll(ctx context.Context, scenarios []scenario) *solving {
	s := &solving{scenarios: scenarios, done: make([]chan struct{}, len(scenarios)), placed: make([]Scenario, len(scenarios)), errs: make([]error, len(scenarios))}
	for i, sc := range scenarios {
		s.done[i] = make(chan struct{})
		go func() {
			defer close(s.done[i])
			nodes, settled, err := solve(ctx, e.builder, pools{nodePools: sc.pools, classes: e.classes, memo: e.memo}, e.pods, e.w.DaemonSetPods, e.budgets, sc.shardPods(e.o.MaxShardPods), !sc.nodeGroup)
			e.stepDone()
			switch {
			case err != nil && sc.name == Baseline:
				s.errs[i] = fmt.Errorf("savings: scenario %s (it runs only %s nodes, and %s nodes for GPU pods; see --baseline-type): %w",
					sc.name, e.o.BaselineType, e.o.BaselineGPUType, err)
			case err != nil:
				s.errs[i] = fmt.Errorf("savings: scenario %s: %w", sc.name, err)
			case sc.nodeGroup:
				s.placed[i] = NewScenario(sc.name, nodes, sc.note)
			default:
				s.placed[i] = newKarpenterScenario(sc.name, nodes, settled, sc.note)
			}
		}()
	}
	return s
}

// wait waits for the named scenarios and returns them; ok is false when one of them failed.
func (s *solving) wait(names ...string) (placed map[string]Scenario, ok bool) {
	placed = map[string]Scenario{}
	for i, sc := range s.scenarios {
		if !slices.Contains(names, sc.name) {
			continue
		}
		<-s.done[i]
		if s.errs[i] != nil {
			return nil, false
		}
		placed[sc.name] = s.placed[i]
	}
	return placed, true
}

// all waits for every scenario and returns them, or their errors.
func (s *solving) all() (map[string]Scenario, error) {
	for _, d := range s.done {
		<-d
	}
	if err := errors.Join(s.errs...); err != nil {
		return nil, err
	}
	out := make(map[string]Scenario, len(s.scenarios))
	for i, sc := range s.scenarios {
		out[sc.name] = s.placed[i]
	}
	return out, nil
}

// split computes the causes from the chain baseline → on-demand amd64 → on-demand → multiarch.
func split(baseline, onDemandAMD64, onDemand, multiarch float64) Savings {
	return Savings{
		Method: Method,
		Total:  NewAmount(baseline-multiarch, baseline),
		ByCause: []Cause{
			{Cause: CausePacking, Amount: NewAmount(baseline-onDemandAMD64, baseline)},
			{Cause: CauseGraviton, Amount: NewAmount(onDemandAMD64-onDemand, baseline)},
			{Cause: CauseSpot, Amount: NewAmount(onDemand-multiarch, baseline)},
		},
		Steps: []Step{
			{Name: stepOnDemandAMD64, HourlyUSD: onDemandAMD64, MonthlyUSD: round6(onDemandAMD64 * HoursPerMonth)},
			{Name: stepOnDemand, HourlyUSD: onDemand, MonthlyUSD: round6(onDemand * HoursPerMonth)},
		},
	}
}

// restricted copies pools with the requirement key In [value]. For the capacity type it replaces the pool's own
// requirement; for other keys it adds one, which Karpenter intersects with the pool's (a pool left with no
// instance type is skipped by the scheduler, as in a cluster).
func restricted(in []*karpv1.NodePool, key, value string) []*karpv1.NodePool {
	out := make([]*karpv1.NodePool, len(in))
	for i, np := range in {
		out[i] = np.DeepCopy()
		reqs := out[i].Spec.Template.Spec.Requirements
		if key == karpv1.CapacityTypeLabelKey {
			reqs = slices.DeleteFunc(reqs, func(r karpv1.NodeSelectorRequirementWithMinValues) bool { return r.Key == key })
		}
		out[i].Spec.Template.Spec.Requirements = append(reqs, karpv1.NodeSelectorRequirementWithMinValues{
			Key: key, Operator: corev1.NodeSelectorOpIn, Values: []string{value},
		})
	}
	return out
}

// singleType is a managed node group as a NodePool: one instance type, on-demand.
func singleType(name, class, instanceType string, taints []corev1.Taint) *karpv1.NodePool {
	return &karpv1.NodePool{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: karpv1.NodePoolSpec{
			Template: karpv1.NodeClaimTemplate{
				Spec: karpv1.NodeClaimTemplateSpec{
					NodeClassRef: &karpv1.NodeClassReference{Group: "karpenter.k8s.aws", Kind: "EC2NodeClass", Name: class},
					Taints:       taints,
					Requirements: []karpv1.NodeSelectorRequirementWithMinValues{
						{Key: corev1.LabelInstanceTypeStable, Operator: corev1.NodeSelectorOpIn, Values: []string{instanceType}},
						{Key: karpv1.CapacityTypeLabelKey, Operator: corev1.NodeSelectorOpIn, Values: []string{karpv1.CapacityTypeOnDemand}},
						{Key: corev1.LabelOSStable, Operator: corev1.NodeSelectorOpIn, Values: []string{string(corev1.Linux)}},
					},
				},
			},
		},
	}
}

func poolNames(nps []*karpv1.NodePool) string {
	names := ""
	for i, np := range nps {
		if i > 0 {
			names += ", "
		}
		names += np.Name
	}
	return names
}

func (e *estimator) notes(cat *catalog.Catalog) []string {
	out := append(priceNotes(cat, e.o.Region), []string{
		"NodePool limits bound the size of each node, as in a cluster, but not the pool's total, so that every pod is placed and priced; " +
			"the limits section says which pools go over their limits and which pods a cluster would then leave pending.",
		fmt.Sprintf("Every instance type priced in %s is offered in %v; spot is the mean of the region's per-AZ spot prices.", e.o.Region, e.o.Zones),
		"Spot nodes are priced at the cheapest compatible offering; EC2's price-capacity-optimized strategy may pick a deeper, slightly dearer pool.",
		ConsolidationRules,
	}...)
	out = append(out, e.budgetNotes...)
	return append(out, e.workloadNotes()...)
}

// priceNotes say where the on-demand prices come from and, when spot and on-demand prices are of different dates,
// what that does to the figures.
func priceNotes(cat *catalog.Catalog, region string) []string {
	var out []string
	if n := pricetable.Note(cat, region); n != "" {
		out = append(out, n)
	}
	dates := map[string][]string{}
	for _, u := range cat.PriceSources(region) {
		if !slices.Contains(dates[u.CapacityType], u.Date) {
			dates[u.CapacityType] = append(dates[u.CapacityType], u.Date)
		}
	}
	if od, spot := dates[catalog.OnDemand], dates[catalog.Spot]; len(spot) > 0 && !slices.Equal(od, spot) {
		out = append(out, fmt.Sprintf("Spot prices are of %s and on-demand prices of %s: every spot discount, and so the spot saving, "+
			"sets prices of different dates side by side. The baseline is on-demand, so it moves with the on-demand prices too; "+
			"the spot sensitivity's median discounts are measured on the spot prices' own dataset, spot and on-demand of one date.",
			strings.Join(spot, ", "), strings.Join(od, " and ")))
	}
	return out
}

// workloadNotes are the notes about the workload itself: what it ignored, and whether it was sharded.
func (e *estimator) workloadNotes() []string {
	var out []string
	if k := len(shards(e.pods, e.o.MaxShardPods, e.memo.groupKey)); k > 1 {
		out = append(out, fmt.Sprintf("The %d pods were packed in %d shards of about %d pods: each workload's identical replicas "+
			"dealt evenly over the shards, what is left of each workload whole in one shard; the pods of each shard's partly filled nodes "+
			"(below %.0f%% of CPU and memory, DaemonSets included) were packed again together, and each pass was consolidated on its own. "+
			"Karpenter packs one large batch better than several smaller ones of the same pods: on many distinct workloads of few replicas, "+
			"the sharded passes cost more than one pass would (docs/savings.md, Scale, has the measurements); on few workloads of many replicas "+
			"they stay within 2%%.",
			len(e.pods), k, (len(e.pods)+k-1)/k, 100*fillRatio))
	}
	if nodeGroupPods := (scenario{nodeGroup: true}).shardPods(e.o.MaxShardPods); nodeGroupPods < e.o.MaxShardPods {
		if k := len(shards(e.pods, nodeGroupPods, e.memo.groupKey)); k > 1 {
			out = append(out, fmt.Sprintf("The baseline's node groups, which launch one instance type each, packed the pods in %d shards of at most "+
				"%d pods, by the same rule.", k, nodeGroupPods))
		}
	}
	return append(out, e.w.Notes...)
}

// GC settings for a process that runs one estimate: Karpenter's scheduler and consolidation allocate hundreds of GB
// over a 10,000-pod estimate, most of it short-lived, and at Go's default the collector takes about a seventh of the
// CPU. A higher GOGC runs it a quarter as often; the soft memory limit makes it run sooner rather than let the heap
// pass it, so the process stays under 1.5 GiB. At 768 MiB the limit made the collector run on and on at 10,000
// distinct pods (265 s against 218 s at 1,280 MiB; docs/build-record.md has the measurements).
const (
	gcPercent   = 400
	memoryLimit = 1280 << 20
)

// TuneGC applies those settings unless GOGC or GOMEMLIMIT is set in the environment, which then wins.
func TuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
	}
}
