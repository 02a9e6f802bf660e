package billed

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/karpenter-savings/karpenter-savings/internal/catalog"
	"github.com/karpenter-savings/karpenter-savings/internal/ops/costtags"
)

// Report is the bill of Karpenter's pools and of the managed node group against the on-demand baseline for the same
// capacity.
type Report struct {
	// CostMetric is the Cost Explorer metric every CostUSD is: AmortizedCost when the response has it, else
	// UnblendedCost.
	CostMetric string `json:"costMetric"`
	Pools      []Pool `json:"pools"`
	Karpenter  Totals `json:"karpenter"`
	// Untagged is Karpenter's usage (tag eks:eks-cluster-name) billed without a karpenter.sh/nodepool tag.
	Untagged Totals `json:"untagged"`
	// NodeGroup is the managed node group's usage (tag eks:cluster-name); null when the pages hold no answer to its
	// query.
	NodeGroup *NodeGroup `json:"nodeGroup"`
	Period    Period     `json:"period"`
	Estimated bool       `json:"estimated"`
	// Incomplete says that the last page of a query still carries a NextPageToken: Cost Explorer has groups the
	// pages lack.
	Incomplete    bool           `json:"incomplete"`
	Prices        Prices         `json:"prices"`
	Baseline      Baseline       `json:"baseline"`
	InstanceTypes []InstanceType `json:"instanceTypes"`
	Requests      int            `json:"requests"`
	Notes         []string       `json:"notes"`
	// Prediction is set by --workload.
	Prediction *Prediction `json:"prediction,omitempty"`
}

// Totals are the billed and baseline figures of one pool, of all of them, or of the node group.
type Totals struct {
	InstanceHours float64 `json:"instanceHours"`
	UnblendedUSD  float64 `json:"unblendedUSD"`
	// AmortizedUSD is null when the response has no AmortizedCost.
	AmortizedUSD *float64 `json:"amortizedUSD"`
	// CostUSD is the Report's CostMetric.
	CostUSD float64 `json:"costUSD"`
	// BaselineUSD prices the hours that have a baseline.
	BaselineUSD float64 `json:"baselineUSD"`
	// NoBaselineUSD is the cost of the hours without a baseline, which the saving leaves out.
	NoBaselineUSD float64 `json:"noBaselineUSD"`
	// SavingUSD is BaselineUSD − (CostUSD − NoBaselineUSD); SavingUSD and SavingPct are null when no hour has a
	// baseline, and NoSaving says why.
	SavingUSD *float64 `json:"savingUSD"`
	SavingPct *float64 `json:"savingPct"`
	NoSaving  string   `json:"noSaving,omitempty"`

	withBaseline float64 // hours with a baseline
	noBaseline   []string
}

// Pool is one Karpenter node pool's totals.
type Pool struct {
	Name string `json:"name"`
	Totals
}

// NodeGroup is the managed node group's totals: EC2 running hours tagged eks:cluster-name with the cluster's name.
type NodeGroup struct {
	Cluster string `json:"cluster"`
	Totals
}

// Period is the span the bill covers, End exclusive.
type Period struct {
	Start       string `json:"start"`
	End         string `json:"end"`
	Granularity string `json:"granularity"`
}

// Prices names the baseline's price data.
type Prices struct {
	Source string `json:"source"`
	Date   string `json:"date"`
	Region string `json:"region"`
}

// Baseline names the on-demand types the bill is set against, their hourly prices and the rules.
type Baseline struct {
	Type      string  `json:"type"`
	HourlyUSD float64 `json:"hourlyUSD"`
	// GPUType is --baseline-gpu-type; GPUFamily is its family, whose sizes hold bigger GPU types.
	GPUType      string  `json:"gpuType"`
	GPUHourlyUSD float64 `json:"gpuHourlyUSD"`
	GPUFamily    string  `json:"gpuFamily"`
	GPUs         int32   `json:"gpus"`
	GPUName      string  `json:"gpuName"`
	CPURule      string  `json:"cpuRule"`
	GPURule      string  `json:"gpuRule"`
}

// InstanceType is what one instance type of the bill is set against.
type InstanceType struct {
	Name          string  `json:"name"`
	InstanceHours float64 `json:"instanceHours"`
	CostUSD       float64 `json:"costUSD"`
	// BaselineAs is what an hour of it counts as, e.g. "1 × g5.2xlarge" or "2.00 × m6i.large"; empty when NoBaseline.
	BaselineAs string `json:"baselineAs,omitempty"`
	// BaselineHourlyUSD is the on-demand price of BaselineAs; null when NoBaseline.
	BaselineHourlyUSD *float64 `json:"baselineHourlyUSD"`
	NoBaseline        string   `json:"noBaseline,omitempty"`
}

// Options choose the baseline.
type Options struct {
	// Region prices the baseline. Required.
	Region string
	// BaselineType is the on-demand x86 type of the baseline. Required.
	BaselineType string
	// BaselineGPUType is the on-demand type the baseline puts GPU hours on, as `savings estimate`'s baseline puts GPU
	// pods on it. Required.
	BaselineGPUType string
	// ClusterName is the cluster the node group's rows must name. Optional; default: any.
	ClusterName string
	// Granularity is reported as the query's. Optional; default: read from the pages' periods, MONTHLY when one spans
	// more than a day, else DAILY (a replay's pages do not say which the query asked for).
	Granularity string
	// Requests is how many Cost Explorer requests the pages took; 0 for a replay.
	Requests int
}

// Compute sums the pages by pool and prices each instance-hour against the baseline: a type with GPUs as the smallest
// size of the GPU baseline type's family that holds its GPUs, vCPU and memory, on demand; any other type as
// max(vCPU(T)/vCPU(base), memory(T)/memory(base)) hours of the baseline type on demand.
func Compute(pages []Page, cat *catalog.Catalog, o Options) (*Report, error) {
	b, err := collect(pages)
	if err != nil {
		return nil, err
	}
	bl, err := newBaseliner(cat, o)
	if err != nil {
		return nil, err
	}
	// The baseline's price may come from another source than the snapshot (Karpenter's generated on-demand table).
	baseSource, _ := cat.PriceSource(o.Region, o.BaselineType, catalog.OnDemand)
	if o.Granularity == "" {
		o.Granularity = "DAILY"
		if b.longPeriod {
			o.Granularity = "MONTHLY"
		}
	}
	r := &Report{
		CostMetric:    MetricUnblended,
		Period:        Period{Start: b.start, End: b.end, Granularity: o.Granularity},
		Estimated:     b.estimated,
		Incomplete:    len(b.incomplete) > 0,
		Prices:        Prices{Source: baseSource.Source, Date: baseSource.Date, Region: o.Region},
		Baseline:      bl.describe(),
		Requests:      o.Requests,
		Pools:         []Pool{},
		InstanceTypes: []InstanceType{},
	}
	if b.amortized {
		r.CostMetric = MetricAmortized
	}
	pools := map[string]*Pool{}
	var order []string
	types := map[string]*InstanceType{}
	var errs []error
	for _, c := range b.cells {
		cost := c.unblended
		if b.amortized {
			cost = c.amortized
		}
		ch := bl.choose(c.instanceType)
		it, ok := types[c.instanceType]
		if !ok {
			it = &InstanceType{Name: c.instanceType, BaselineAs: ch.as, NoBaseline: ch.why}
			if ch.why == "" {
				it.BaselineHourlyUSD = &ch.hourly
			}
			types[c.instanceType] = it
		}
		it.InstanceHours += c.hrs
		it.CostUSD += cost

		var t *Totals
		switch {
		case c.from == nodeGroupQuery:
			if o.ClusterName != "" && c.tag != o.ClusterName {
				errs = append(errs, fmt.Errorf("the managed node group's rows name the cluster %q (tag %s), the stack's is %q", c.tag, NodeGroupClusterKey, o.ClusterName))
				continue
			}
			if r.NodeGroup == nil {
				r.NodeGroup = &NodeGroup{Cluster: c.tag}
			}
			t = &r.NodeGroup.Totals
		case c.tag == "":
			t = &r.Untagged
		default:
			p, ok := pools[c.tag]
			if !ok {
				p = &Pool{Name: c.tag}
				pools[c.tag] = p
				order = append(order, c.tag)
			}
			t = &p.Totals
		}
		t.add(c, cost, ch, b.amortized)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for _, name := range order {
		p := pools[name]
		p.finish()
		r.Pools = append(r.Pools, *p)
		r.Karpenter.merge(p.Totals, b.amortized)
	}
	r.Karpenter.finish()
	r.Untagged.finish()
	if r.NodeGroup != nil {
		r.NodeGroup.finish()
	} else if b.nodeGroup {
		// The node group's query answered with no rows: its hours are 0, not unknown.
		r.NodeGroup = &NodeGroup{Cluster: o.ClusterName}
		r.NodeGroup.finish()
	}
	for _, it := range types {
		r.InstanceTypes = append(r.InstanceTypes, *it)
	}
	slices.SortFunc(r.InstanceTypes, func(x, y InstanceType) int { return cmp.Compare(x.Name, y.Name) })
	r.Notes = notes(r, b, bl.spread, o)
	return r, nil
}

// add counts one cell.
func (t *Totals) add(c usage, cost float64, ch choice, amortized bool) {
	t.InstanceHours += c.hrs
	t.UnblendedUSD += c.unblended
	if amortized {
		t.AmortizedUSD = new(ptrOr(t.AmortizedUSD) + c.amortized)
	}
	t.CostUSD += cost
	if ch.why != "" {
		t.NoBaselineUSD += cost
		if !slices.Contains(t.noBaseline, c.instanceType) {
			t.noBaseline = append(t.noBaseline, c.instanceType)
		}
		return
	}
	t.withBaseline += c.hrs
	t.BaselineUSD += c.hrs * ch.hourly
}

// merge adds a pool's totals to all pools'.
func (t *Totals) merge(p Totals, amortized bool) {
	t.InstanceHours += p.InstanceHours
	t.UnblendedUSD += p.UnblendedUSD
	if amortized {
		t.AmortizedUSD = new(ptrOr(t.AmortizedUSD) + ptrOr(p.AmortizedUSD))
	}
	t.CostUSD += p.CostUSD
	t.BaselineUSD += p.BaselineUSD
	t.NoBaselineUSD += p.NoBaselineUSD
	t.withBaseline += p.withBaseline
	for _, n := range p.noBaseline {
		if !slices.Contains(t.noBaseline, n) {
			t.noBaseline = append(t.noBaseline, n)
		}
	}
}

func ptrOr(f *float64) float64 {
	if f == nil {
		return 0
	}
	return *f
}

// finish derives the saving from the cost and the baseline of the hours that have one.
func (t *Totals) finish() {
	switch {
	case t.InstanceHours == 0 && t.CostUSD == 0:
		t.NoSaving = "no usage"
	case t.withBaseline == 0 || t.BaselineUSD <= 0:
		t.NoSaving = fmt.Sprintf("no hour of it has a baseline (%s): see instanceTypes", strings.Join(t.noBaseline, ", "))
	default:
		saving := t.BaselineUSD - (t.CostUSD - t.NoBaselineUSD)
		t.SavingUSD = &saving
		t.SavingPct = new(100 * saving / t.BaselineUSD)
	}
}

// choice is what an hour of one instance type counts as: hourly USD on demand, named by as; why says why there is
// none.
type choice struct {
	hourly float64
	as     string
	why    string
}

// baseliner chooses each instance type's baseline.
type baseliner struct {
	o                  Options
	cat                *catalog.Catalog
	base, gpu          catalog.Spec
	basePrice, gpuCost float64
	gpuFamily          []catalog.Spec // the GPU type's family priced in the region, smallest first
	chosen             map[string]choice
	spread             []string // GPU types no size of the family holds, counted as several nodes of one size
	gpuMissing         string   // why no type with GPUs has a baseline; empty when the GPU baseline is priced
}

// family is an instance type's family, e.g. g5 of g5.xlarge.
func family(name string) string {
	f, _, _ := strings.Cut(name, ".")
	return f
}

func newBaseliner(cat *catalog.Catalog, o Options) (*baseliner, error) {
	b := &baseliner{o: o, cat: cat, chosen: map[string]choice{}}
	var errs []error
	var ok bool
	if b.base, ok = cat.Spec(o.BaselineType); !ok || b.base.VCPU == 0 || b.base.MemoryMiB == 0 {
		errs = append(errs, fmt.Errorf("baseline type %s (--baseline-type): not in the catalog", o.BaselineType))
	} else if p, ok := cat.Price(o.Region, o.BaselineType); !ok || p.OnDemand <= 0 {
		errs = append(errs, fmt.Errorf("baseline type %s (--baseline-type): no on-demand price in %s", o.BaselineType, o.Region))
	} else {
		b.basePrice = p.OnDemand
	}
	if b.gpu, ok = cat.Spec(o.BaselineGPUType); !ok {
		errs = append(errs, fmt.Errorf("baseline GPU type %s (--baseline-gpu-type): not in the catalog", o.BaselineGPUType))
	} else if b.gpu.GPUCount <= 0 || b.gpu.VCPU == 0 || b.gpu.MemoryMiB == 0 {
		errs = append(errs, fmt.Errorf("baseline GPU type %s (--baseline-gpu-type): has no GPU in the catalog; want a GPU type such as g5.xlarge", o.BaselineGPUType))
	} else if p, ok := cat.Price(o.Region, o.BaselineGPUType); !ok || p.OnDemand <= 0 {
		// Not an error: a bill without GPU hours needs no GPU baseline, and one with them says why they have none.
		b.gpuMissing = fmt.Sprintf("the GPU baseline %s (--baseline-gpu-type) has no on-demand price in %s", o.BaselineGPUType, o.Region)
	} else {
		b.gpuCost = p.OnDemand
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	offered, err := cat.Offered(o.Region)
	if err != nil {
		return nil, err
	}
	for _, s := range offered {
		if p, _ := cat.Price(o.Region, s.Name); family(s.Name) == family(b.gpu.Name) && s.GPUCount > 0 && p.OnDemand > 0 {
			b.gpuFamily = append(b.gpuFamily, s)
		}
	}
	// The order of `savings estimate`'s compareSize: vCPU, then memory, then GPUs, then name.
	slices.SortFunc(b.gpuFamily, func(x, y catalog.Spec) int {
		return cmp.Or(cmp.Compare(x.VCPU, y.VCPU), cmp.Compare(x.MemoryMiB, y.MemoryMiB), cmp.Compare(x.GPUCount, y.GPUCount), cmp.Compare(x.Name, y.Name))
	})
	return b, nil
}

// choose returns an instance type's baseline. A type with GPUs is set against the GPU baseline as `savings
// estimate`'s baseline sets a GPU pod: on the GPU baseline type, or, when that is too small, on the smallest size of
// its family that holds it (here: its GPUs, vCPU and memory). A type no size of the family holds counts as the
// cheapest multiple of one size, max(GPUs, vCPU, memory ratio) nodes of it. Any other type counts as max(vCPU ratio, memory ratio) nodes of
// the baseline type, the packing limit of pods on them.
func (b *baseliner) choose(name string) choice {
	if c, ok := b.chosen[name]; ok {
		return c
	}
	c := b.compute(name)
	b.chosen[name] = c
	return c
}

func (b *baseliner) compute(name string) choice {
	s, ok := b.cat.Spec(name)
	switch {
	case !ok || s.VCPU == 0 || s.MemoryMiB == 0:
		return choice{why: fmt.Sprintf("not in the %s catalog", b.cat.Date())}
	case s.GPUCount == 0 && s.NeuronDevices > 0:
		return choice{why: fmt.Sprintf("%d %s Neuron devices: neither baseline has an equivalent", s.NeuronDevices, s.NeuronName)}
	case s.GPUCount == 0:
		ratio := math.Max(float64(s.VCPU)/float64(b.base.VCPU), float64(s.MemoryMiB)/float64(b.base.MemoryMiB))
		return choice{hourly: ratio * b.basePrice, as: fmt.Sprintf("%.2f × %s", ratio, b.base.Name)}
	}
	if b.gpuMissing != "" {
		return choice{why: b.gpuMissing}
	}
	// The GPU baseline type first, as estimate's baseline tries its base groups before the family's other sizes:
	// with --baseline-gpu-type g5.2xlarge, a g4dn.xlarge hour is a g5.2xlarge hour, not one of the smaller g5.xlarge.
	holds := func(f catalog.Spec) bool {
		return f.GPUCount >= s.GPUCount && f.VCPU >= s.VCPU && f.MemoryMiB >= s.MemoryMiB
	}
	if holds(b.gpu) {
		return choice{hourly: b.gpuCost, as: "1 × " + b.gpu.Name}
	}
	for _, f := range b.gpuFamily {
		if holds(f) {
			p, _ := b.cat.Price(b.o.Region, f.Name)
			return choice{hourly: p.OnDemand, as: "1 × " + f.Name}
		}
	}
	// No one node holds it: the node group would run several. Each size's multiple is max(GPUs, vCPU, memory ratio),
	// fractional as the CPU rule's; the cheapest is taken, since a multiple of the smallest size counts a whole GPU for
	// every 16 GiB and would make a p4d.24xlarge (1152 GiB) billed at its own on-demand price look 70 % cheaper.
	b.spread = append(b.spread, name)
	var best choice
	for _, f := range b.gpuFamily {
		ratio := max(float64(s.GPUCount)/float64(f.GPUCount), float64(s.VCPU)/float64(f.VCPU), float64(s.MemoryMiB)/float64(f.MemoryMiB))
		p, _ := b.cat.Price(b.o.Region, f.Name)
		if hourly := ratio * p.OnDemand; best.as == "" || hourly < best.hourly {
			best = choice{hourly: hourly, as: fmt.Sprintf("%.2f × %s", ratio, f.Name)}
		}
	}
	return best
}

func (b *baseliner) describe() Baseline {
	return Baseline{
		Type: b.base.Name, HourlyUSD: b.basePrice,
		GPUType: b.gpu.Name, GPUHourlyUSD: b.gpuCost, GPUFamily: family(b.gpu.Name),
		GPUs: b.gpu.GPUCount, GPUName: b.gpu.GPUName,
		CPURule: fmt.Sprintf("an hour of a type without GPUs counts as max(vCPU/%d, memory/%d MiB) hours of %s", b.base.VCPU, b.base.MemoryMiB, b.base.Name),
		GPURule: fmt.Sprintf("an hour of a type with GPUs counts as an hour of it when it holds the type's GPUs, vCPU and memory, else of the smallest %s size that does, else as the cheapest multiple of one %s size, max(GPUs, vCPU, memory ratio) hours of it",
			family(b.gpu.Name), family(b.gpu.Name)),
	}
}

func notes(r *Report, b bill, spread []string, o Options) []string {
	n := []string{
		fmt.Sprintf("Figures rest on the bill (Cost Explorer, EC2 running hours, %s to %s, end exclusive), not on pod requests.", r.Period.Start, r.Period.End),
	}
	if b.amortized {
		n = append(n, "The cost is AmortizedCost: Savings Plans' and Reserved Instances' fees spread over the hours they cover, the hours' real price; UnblendedCost, what each usage line billed, is shown beside it. A commitment's unused part (a Savings Plan's unused hourly commitment, a Reserved Instance's unused hours) covers no instance, so it is in no pool: with an underused commitment the cluster costs more than shown.")
	} else {
		n = append(n, "The cost is UnblendedCost: the response has no AmortizedCost (saved with `--metrics UnblendedCost UsageQuantity`?). Hours covered by Savings Plans or Reserved Instances then count at what their usage line billed, often 0, and their fees are left out, so a covered pool's saving is overstated; save the response with --metrics AmortizedCost UnblendedCost UsageQuantity.")
	}
	n = append(n, fmt.Sprintf("The baseline is capacity-equivalent, not requests-based, on demand in %s from %s, dated %s: %s (USD %.4f/h); the GPU baseline is %s (USD %.4f/h, %d %s): %s. GPUs are counted, not weighed by model.",
		r.Prices.Region, r.Prices.Source, r.Prices.Date, r.Baseline.CPURule, r.Baseline.HourlyUSD, r.Baseline.GPUType, r.Baseline.GPUHourlyUSD, r.Baseline.GPUs, r.Baseline.GPUName, r.Baseline.GPURule))
	n = append(n, fmt.Sprintf("Untagged is Karpenter's usage (tag %s) billed without a %s tag, e.g. before that tag was active: it is in no pool and not in Karpenter's total.", costtags.ClusterKey, costtags.NodePoolKey))
	switch {
	case r.NodeGroup != nil && r.NodeGroup.InstanceHours == 0:
		n = append(n, fmt.Sprintf("The managed node group's query (tag %s = %s) answered no hours: if the node group ran in the period, the tag was not an active cost allocation tag then.", NodeGroupClusterKey, r.NodeGroup.Cluster))
	case r.NodeGroup != nil:
		n = append(n, fmt.Sprintf("The managed node group is the usage tagged %s = %s, which EKS puts on its instances: not Karpenter's, so it is shown apart and not in Karpenter's total; its baseline follows the same rule.", NodeGroupClusterKey, r.NodeGroup.Cluster))
	default:
		n = append(n, fmt.Sprintf("The pages hold no answer to the managed node group's query (GroupDefinitions [TAG %s, DIMENSION %s]): its hours are not in this report.", NodeGroupClusterKey, DimensionType))
	}
	if len(b.incomplete) > 0 {
		n = append(n, fmt.Sprintf("INCOMPLETE: the last page of %s query still carries a NextPageToken, so Cost Explorer has groups these pages lack and every figure may be short of them. Save each page (aws ce get-cost-and-usage ... --next-page-token TOKEN) and pass them as one JSON array.",
			strings.Join(b.incomplete, " and ")))
	}
	if r.Estimated {
		n = append(n, "Cost Explorer marks part of the period as estimated: the bill for it is not final.")
	}
	var none []string
	for _, it := range r.InstanceTypes {
		if it.NoBaseline != "" {
			none = append(none, fmt.Sprintf("%s (%s)", it.Name, it.NoBaseline))
		}
	}
	if len(none) > 0 {
		n = append(n, fmt.Sprintf("No baseline for %s: their cost is shown (no-baseline USD) but left out of the saving, which covers the other hours only.", strings.Join(none, ", ")))
	}
	for _, p := range r.Pools {
		if p.SavingPct == nil {
			n = append(n, fmt.Sprintf("Pool %s shows no saving, not 0 %%: %s.", p.Name, strings.TrimSuffix(p.NoSaving, ": see instanceTypes")))
		}
	}
	if len(spread) > 0 {
		slices.Sort(spread)
		n = append(n, fmt.Sprintf("No %s size holds %s: each hour counts as the cheapest multiple of one %s size (max(GPUs, vCPU, memory ratio) of its hours; see instanceTypes).", r.Baseline.GPUFamily, strings.Join(spread, ", "), r.Baseline.GPUFamily))
	}
	if o.Requests > 0 {
		n = append(n, fmt.Sprintf("Cost Explorer bills each API request (USD %.2f at AWS's list price): this report made %d, USD %.2f.", RequestPriceUSD, o.Requests, RequestPriceUSD*float64(o.Requests)))
	} else {
		n = append(n, "Replayed from a saved response: no Cost Explorer request was made.")
	}
	return n
}

// WriteTable prints the report as tables followed by its notes.
func WriteTable(w io.Writer, r *Report) error {
	fmt.Fprintf(w, "Billed EC2 running hours, %s to %s (%s)", r.Period.Start, r.Period.End, r.Period.Granularity)
	if r.Estimated {
		fmt.Fprint(w, ", ESTIMATED")
	}
	if r.Incomplete {
		fmt.Fprint(w, ", INCOMPLETE (a last page has a NextPageToken)")
	}
	fmt.Fprintf(w, "; cost = %s\n\n", r.CostMetric)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "pool\tinstance-hours\tunblended USD\tamortized USD\tno-baseline USD\tbaseline USD\tsaving USD\tsaving %\t")
	row := func(name string, t Totals) {
		amortized := "-"
		if t.AmortizedUSD != nil {
			amortized = fmt.Sprintf("%.2f", *t.AmortizedUSD)
		}
		saving, pct := "-", "-"
		if t.SavingUSD != nil {
			saving, pct = fmt.Sprintf("%.2f", *t.SavingUSD), fmt.Sprintf("%.1f", *t.SavingPct)
		}
		fmt.Fprintf(tw, "%s\t%.1f\t%.2f\t%s\t%.2f\t%.2f\t%s\t%s\t\n", name, t.InstanceHours, t.UnblendedUSD, amortized, t.NoBaselineUSD, t.BaselineUSD, saving, pct)
	}
	for _, p := range r.Pools {
		row(p.Name, p.Totals)
	}
	row("karpenter", r.Karpenter)
	row("untagged", r.Untagged)
	if r.NodeGroup != nil {
		row("node group", r.NodeGroup.Totals)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "instance type\tinstance-hours\tcost USD\tbaseline\tbaseline USD/h\t")
	for _, it := range r.InstanceTypes {
		as, hourly := "none: "+it.NoBaseline, "-"
		if it.BaselineHourlyUSD != nil {
			as, hourly = it.BaselineAs, fmt.Sprintf("%.4f", *it.BaselineHourlyUSD)
		}
		fmt.Fprintf(tw, "%s\t%.1f\t%.2f\t%s\t%s\t\n", it.Name, it.InstanceHours, it.CostUSD, as, hourly)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	if p := r.Prediction; p != nil {
		fmt.Fprintf(w, "Estimate for %s over %.0f h: multiarch %.2f USD, baseline %.2f USD; billed %.2f USD (%s); estimate's error %+.2f USD (%+.1f %%)\n\n",
			p.Workload, p.Hours, p.MultiarchUSD, p.BaselineUSD, r.Karpenter.CostUSD, r.CostMetric, p.ErrorUSD, p.ErrorPct)
	}
	for _, n := range r.Notes {
		if _, err := fmt.Fprintln(w, "- "+n); err != nil {
			return err
		}
	}
	return nil
}

// Prediction is what `savings estimate` predicted for a workload over the bill's hours, beside the bill.
type Prediction struct {
	Workload string  `json:"workload"`
	Hours    float64 `json:"hours"`
	// MultiarchUSD and BaselineUSD are the estimate's hourly costs × Hours.
	MultiarchUSD float64 `json:"multiarchUSD"`
	BaselineUSD  float64 `json:"baselineUSD"`
	// ErrorUSD is MultiarchUSD − the cost of Karpenter's pools; ErrorPct is it in percent of that cost.
	ErrorUSD float64 `json:"errorUSD"`
	ErrorPct float64 `json:"errorPct"`
	// Prices names the estimate's price sources and their dates, which need not be the baseline's: its spot prices.
	Prices string `json:"prices"`
}

// Predict sets the estimate's hourly multiarch and baseline costs for workload, priced with prices (the estimate's
// sources and dates), over the bill's period, beside the cost of Karpenter's pools.
func (r *Report) Predict(workload string, multiarchHourly, baselineHourly float64, prices string) error {
	start, err1 := time.Parse(time.DateOnly, r.Period.Start)
	end, err2 := time.Parse(time.DateOnly, r.Period.End)
	if err := errors.Join(err1, err2); err != nil {
		return fmt.Errorf("the bill's period: %w", err)
	}
	p := &Prediction{Workload: workload, Hours: end.Sub(start).Hours(), Prices: prices}
	p.MultiarchUSD = multiarchHourly * p.Hours
	p.BaselineUSD = baselineHourly * p.Hours
	p.ErrorUSD = p.MultiarchUSD - r.Karpenter.CostUSD
	if r.Karpenter.CostUSD > 0 {
		p.ErrorPct = 100 * p.ErrorUSD / r.Karpenter.CostUSD
	}
	r.Prediction = p
	r.Notes = append(r.Notes, fmt.Sprintf("The estimate for %s is requests-based: its multiarch cost × %.0f h of the period, against the %s of Karpenter's pools; the difference is the estimate's error. Its prices: %s.", workload, p.Hours, r.CostMetric, prices))
	return nil
}
