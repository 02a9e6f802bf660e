package billed

import (
	"errors"
	"fmt"
	"io"
	"math"
	"text/tabwriter"
	"time"

	"github.com/karpenter-savings/karpenter-savings/internal/catalog"
)

// Report is the bill of Karpenter's pools against the on-demand baseline for the same capacity.
type Report struct {
	Pools                []Pool   `json:"pools"`
	Karpenter            Totals   `json:"karpenter"`
	Untagged             Untagged `json:"untagged"`
	Period               Period   `json:"period"`
	Estimated            bool     `json:"estimated"`
	Prices               Prices   `json:"prices"`
	UnknownInstanceTypes []string `json:"unknownInstanceTypes"`
	Requests             int      `json:"requests"`
	Notes                []string `json:"notes"`
	// Prediction is set by --workload.
	Prediction *Prediction `json:"prediction,omitempty"`
}

// Totals are the billed and baseline figures of one pool or of all of them.
type Totals struct {
	BilledUSD     float64 `json:"billedUSD"`
	AmortizedUSD  float64 `json:"amortizedUSD"`
	InstanceHours float64 `json:"instanceHours"`
	BaselineUSD   float64 `json:"baselineUSD"`
	SavingUSD     float64 `json:"savingUSD"`
	SavingPct     float64 `json:"savingPct"`
}

// Pool is one Karpenter node pool's totals.
type Pool struct {
	Name string `json:"name"`
	Totals
}

// Untagged is the usage without a node pool tag: the managed node group and nodes launched before activation.
type Untagged struct {
	BilledUSD     float64 `json:"billedUSD"`
	InstanceHours float64 `json:"instanceHours"`
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

// Options choose the baseline.
type Options struct {
	// Region prices the baseline. Required.
	Region string
	// BaselineType is the on-demand x86 type of the baseline. Required.
	BaselineType string
	// Granularity is reported as the query's; Optional, default MONTHLY.
	Granularity string
	// Requests is how many Cost Explorer requests the pages took; 0 for a replay.
	Requests int
}

// Compute sums the pages by pool and prices each instance-hour of type T as max(vCPU(T)/vCPU(base),
// memory(T)/memory(base)) hours of the baseline type on demand.
func Compute(pages []Page, cat *catalog.Catalog, o Options) (*Report, error) {
	cells, per, err := collect(pages)
	if err != nil {
		return nil, err
	}
	base, ok := cat.Spec(o.BaselineType)
	if !ok {
		return nil, fmt.Errorf("baseline type %s: not in the catalog", o.BaselineType)
	}
	basePrice, ok := cat.Price(o.Region, o.BaselineType)
	if !ok || basePrice.OnDemand <= 0 {
		return nil, fmt.Errorf("baseline type %s: no on-demand price in %s", o.BaselineType, o.Region)
	}
	// The baseline's price may come from another source than the snapshot (Karpenter's generated on-demand table).
	baseSource, _ := cat.PriceSource(o.Region, o.BaselineType, catalog.OnDemand)
	if o.Granularity == "" {
		o.Granularity = "MONTHLY"
	}
	r := &Report{
		Period:               Period{Start: per.start, End: per.end, Granularity: o.Granularity},
		Estimated:            per.estimated,
		Prices:               Prices{Source: baseSource.Source, Date: baseSource.Date, Region: o.Region},
		UnknownInstanceTypes: []string{},
		Requests:             o.Requests,
		Pools:                []Pool{},
	}
	unknown := map[string]bool{}
	pools := map[string]*Pool{}
	var order []string
	for _, c := range cells {
		if c.pool == "" {
			r.Untagged.BilledUSD += c.unblended
			r.Untagged.InstanceHours += c.hrs
			continue
		}
		p, ok := pools[c.pool]
		if !ok {
			p = &Pool{Name: c.pool}
			pools[c.pool] = p
			order = append(order, c.pool)
		}
		p.BilledUSD += c.unblended
		p.AmortizedUSD += c.amortized
		p.InstanceHours += c.hrs
		spec, ok := cat.Spec(c.instanceType)
		if !ok || spec.VCPU == 0 || spec.MemoryMiB == 0 {
			if !unknown[c.instanceType] {
				unknown[c.instanceType] = true
				r.UnknownInstanceTypes = append(r.UnknownInstanceTypes, c.instanceType)
			}
			continue
		}
		ratio := math.Max(float64(spec.VCPU)/float64(base.VCPU), float64(spec.MemoryMiB)/float64(base.MemoryMiB))
		p.BaselineUSD += c.hrs * ratio * basePrice.OnDemand
	}
	for _, name := range order {
		p := pools[name]
		p.finish()
		r.Pools = append(r.Pools, *p)
		r.Karpenter.BilledUSD += p.BilledUSD
		r.Karpenter.AmortizedUSD += p.AmortizedUSD
		r.Karpenter.InstanceHours += p.InstanceHours
		r.Karpenter.BaselineUSD += p.BaselineUSD
	}
	r.Karpenter.finish()
	r.Notes = notes(r, o)
	return r, nil
}

// finish derives the saving from the billed and baseline figures.
func (t *Totals) finish() {
	t.SavingUSD = t.BaselineUSD - t.BilledUSD
	if t.BaselineUSD > 0 {
		t.SavingPct = 100 * t.SavingUSD / t.BaselineUSD
	}
}

func notes(r *Report, o Options) []string {
	n := []string{
		fmt.Sprintf("Figures rest on the bill (Cost Explorer, EC2 running hours, %s to %s, end exclusive), not on pod requests.", r.Period.Start, r.Period.End),
		fmt.Sprintf("The baseline is capacity-equivalent, not requests-based: each instance-hour of type T counts as max(vCPU(T)/vCPU(%[1]s), memory(T)/memory(%[1]s)) hours of on-demand %[1]s, priced in %[4]s from %[2]s, dated %[3]s.",
			o.BaselineType, r.Prices.Source, r.Prices.Date, r.Prices.Region),
		"Usage without a karpenter.sh/nodepool tag (the managed node group, nodes launched before the tag was active) is shown as untagged and not counted as Karpenter's.",
	}
	if r.Estimated {
		n = append(n, "Cost Explorer marks part of the period as estimated: the bill for it is not final.")
	}
	if len(r.UnknownInstanceTypes) > 0 {
		n = append(n, fmt.Sprintf("The catalog does not know %v: their hours and cost are counted as billed, but they have no baseline, so the saving is understated.", r.UnknownInstanceTypes))
	}
	if o.Requests > 0 {
		n = append(n, fmt.Sprintf("Cost Explorer bills each API request (USD %.2f at AWS's list price): this report made %d, USD %.2f.", RequestPriceUSD, o.Requests, RequestPriceUSD*float64(o.Requests)))
	} else {
		n = append(n, "Replayed from a saved response: no Cost Explorer request was made.")
	}
	return n
}

// WriteTable prints the report as a table followed by its notes.
func WriteTable(w io.Writer, r *Report) error {
	fmt.Fprintf(w, "Billed EC2 running hours, %s to %s (%s)", r.Period.Start, r.Period.End, r.Period.Granularity)
	if r.Estimated {
		fmt.Fprint(w, ", ESTIMATED")
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "pool\tinstance-hours\tbilled USD\tamortized USD\tbaseline USD\tsaving USD\tsaving %\t")
	row := func(name string, t Totals) {
		fmt.Fprintf(tw, "%s\t%.1f\t%.2f\t%.2f\t%.2f\t%.2f\t%.1f\t\n", name, t.InstanceHours, t.BilledUSD, t.AmortizedUSD, t.BaselineUSD, t.SavingUSD, t.SavingPct)
	}
	for _, p := range r.Pools {
		row(p.Name, p.Totals)
	}
	row("karpenter", r.Karpenter)
	fmt.Fprintf(tw, "untagged\t%.1f\t%.2f\t-\t-\t-\t-\t\n", r.Untagged.InstanceHours, r.Untagged.BilledUSD)
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	if p := r.Prediction; p != nil {
		fmt.Fprintf(w, "Estimate for %s over %.0f h: multiarch %.2f USD, baseline %.2f USD; billed %.2f USD; estimate's error %+.2f USD (%+.1f %%)\n\n",
			p.Workload, p.Hours, p.MultiarchUSD, p.BaselineUSD, r.Karpenter.BilledUSD, p.ErrorUSD, p.ErrorPct)
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
	// ErrorUSD is MultiarchUSD − the bill of Karpenter's pools; ErrorPct is it in percent of the bill.
	ErrorUSD float64 `json:"errorUSD"`
	ErrorPct float64 `json:"errorPct"`
}

// Predict sets the estimate's hourly multiarch and baseline costs for workload, over the bill's period, beside the
// bill of Karpenter's pools.
func (r *Report) Predict(workload string, multiarchHourly, baselineHourly float64) error {
	start, err1 := time.Parse(time.DateOnly, r.Period.Start)
	end, err2 := time.Parse(time.DateOnly, r.Period.End)
	if err := errors.Join(err1, err2); err != nil {
		return fmt.Errorf("the bill's period: %w", err)
	}
	p := &Prediction{Workload: workload, Hours: end.Sub(start).Hours()}
	p.MultiarchUSD = multiarchHourly * p.Hours
	p.BaselineUSD = baselineHourly * p.Hours
	p.ErrorUSD = p.MultiarchUSD - r.Karpenter.BilledUSD
	if r.Karpenter.BilledUSD > 0 {
		p.ErrorPct = 100 * p.ErrorUSD / r.Karpenter.BilledUSD
	}
	r.Prediction = p
	r.Notes = append(r.Notes, fmt.Sprintf("The estimate for %s is requests-based: its multiarch cost × %.0f h of the period, against the bill of Karpenter's pools; the difference is the estimate's error.", workload, p.Hours))
	return nil
}
