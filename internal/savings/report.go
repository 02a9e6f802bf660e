package savings

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/karpenter-savings/karpenter-savings/internal/catalog"
	"github.com/karpenter-savings/karpenter-savings/internal/savings/workload"
)

// Scenario names, as the JSON report spells them.
const (
	Baseline   = "baseline"
	LabDefault = "lab-default"
	Multiarch  = "multiarch"
	LowerBound = "lower-bound"
	// Live is the scenario `savings live` reads off a cluster.
	Live = "live"
)

// Causes the saving is split into.
const (
	CausePacking  = "packing"
	CauseGraviton = "graviton"
	CauseSpot     = "spot"
	// CausePackingAndGraviton is what a live cluster's saving leaves after spot: the nodes it runs do not say what
	// an all-x86 Karpenter would have chosen, so the two are not separated.
	CausePackingAndGraviton = "packing-and-graviton"
)

// HoursPerMonth is the month the report prices, as AWS's own calculators use.
const HoursPerMonth = 730

// Basis is what every report says about itself.
const Basis = "requests-based estimate, not billing"

// Report is the result of an estimate or of a live measurement; its JSON form is the tool's --json output.
type Report struct {
	Scenarios []Scenario `json:"scenarios"`
	Savings   Savings    `json:"savings"`
	Prices    Prices     `json:"prices"`
	Workload  Requests   `json:"workload"`
	// BaselineGroups are the node groups the baseline adds for pods too big for its instance types.
	BaselineGroups []BaselineGroup `json:"baselineGroups,omitempty"`
	// PriceFloor prices every request at the cheapest rate of any offering, whatever the pod can run on; the
	// lower-bound scenario is the constraint-aware bound, never below it.
	PriceFloor Floor `json:"priceFloor"`
	// Limits compares the limited pools' nodes with their limits; `savings live` gives none.
	Limits Limits `json:"limits"`
	// Advice is what to change in the workload to save more; `savings live` gives none.
	Advice Advice `json:"advice"`
	// SpotSensitivity re-prices multiarch's and lab-default's steady states with no spot price deeper than the
	// region's median spot discount; `savings live` gives none.
	SpotSensitivity *SpotSensitivity `json:"spotSensitivity,omitempty"`
	// Images are the workload's images, the platforms each offers and where that was read; absent when none were.
	Images *Images  `json:"images,omitempty"`
	Notes  []string `json:"notes"`
}

// Scenario is one way of running the workload: its nodes and what they cost.
type Scenario struct {
	Name       string  `json:"name"`
	HourlyUSD  float64 `json:"hourlyUSD"`
	MonthlyUSD float64 `json:"monthlyUSD"`
	Nodes      []Node  `json:"nodes"`
	Note       string  `json:"note,omitempty"`
	// Consolidated is the steady state of a Karpenter scenario: its nodes once Karpenter's consolidation has run
	// until it finds nothing more to do. The figures above are the first scale-up. Absent for node groups, which
	// do not consolidate, and for bounds.
	Consolidated *SteadyState `json:"consolidated,omitempty"`
	// SpotShare is the share of the steady state's hourly cost that spot nodes carry, 0 to 1; absent for the lower
	// bound, which has no nodes.
	SpotShare *float64 `json:"spotShare,omitempty"`
}

// SteadyState is what a Karpenter scenario runs once consolidated.
type SteadyState struct {
	HourlyUSD  float64 `json:"hourlyUSD"`
	MonthlyUSD float64 `json:"monthlyUSD"`
	Nodes      []Node  `json:"nodes"`
}

// Steady is the scenario as it runs day to day: its consolidated state when it has one, else its nodes as placed.
func (s Scenario) Steady() SteadyState {
	if s.Consolidated != nil {
		return *s.Consolidated
	}
	return SteadyState{HourlyUSD: s.HourlyUSD, MonthlyUSD: s.MonthlyUSD, Nodes: s.Nodes}
}

// Floor is a cost no scenario can go below, and how it was reached.
type Floor struct {
	HourlyUSD  float64 `json:"hourlyUSD"`
	MonthlyUSD float64 `json:"monthlyUSD"`
	Note       string  `json:"note"`
}

// Node is one node of a scenario.
type Node struct {
	InstanceType string  `json:"instanceType"`
	CapacityType string  `json:"capacityType"`
	Arch         string  `json:"arch"`
	Zone         string  `json:"zone"`
	Pods         int     `json:"pods"`
	HourlyUSD    float64 `json:"hourlyUSD"`
	NodePool     string  `json:"nodePool,omitempty"`
	// PriceSource is the ID of the entry of the report's prices.sources that HourlyUSD comes from.
	PriceSource string `json:"priceSource,omitempty"`
	// Workloads are the workloads whose pods the node runs, with how many each, sorted by kind, namespace, name.
	Workloads []WorkloadPods `json:"workloads"`
	// DisruptionBlocked is, at a steady state, Karpenter's own reason for not disrupting the node when one of its
	// pods blocks that (a karpenter.sh/do-not-disrupt annotation, a PodDisruptionBudget that allows no disruption).
	DisruptionBlocked string `json:"disruptionBlocked,omitempty"`
}

// WorkloadPods is how many pods of one workload a node runs.
type WorkloadPods struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	Pods      int    `json:"pods"`
}

// Savings is baseline minus the cheaper scenario, in total and by cause; the causes add up to the total.
type Savings struct {
	Method  string  `json:"method"`
	Total   Amount  `json:"total"`
	ByCause []Cause `json:"byCause"`
	// Steps are the intermediate scenarios the split is computed from.
	Steps []Step `json:"steps,omitempty"`
}

// Amount is a saving per hour and per month, and as a percentage of the baseline.
type Amount struct {
	HourlyUSD  float64 `json:"hourlyUSD"`
	MonthlyUSD float64 `json:"monthlyUSD"`
	Percent    float64 `json:"percentOfBaseline"`
}

// Cause is the part of the saving one cause explains.
type Cause struct {
	Cause string `json:"cause"`
	Amount
}

// Step is an intermediate scenario of the split.
type Step struct {
	Name       string  `json:"name"`
	HourlyUSD  float64 `json:"hourlyUSD"`
	MonthlyUSD float64 `json:"monthlyUSD"`
}

// MaxPriceAgeDays is how old price data may be before a report warns: spot prices move within weeks.
const MaxPriceAgeDays = 90

// Prices names the price data: source, date, region, and the basis of the figures.
type Prices struct {
	// Source names every source of the prices; Sources says which priced what.
	Source string `json:"source"`
	// Date is the date of the oldest source, which AgeDays and the warning about old prices go by.
	Date   string `json:"date"`
	Region string `json:"region"`
	Basis  string `json:"basis"`
	// AgeDays is how many days old the data was when the report was made.
	AgeDays int `json:"ageDays"`
	// Sources lists each source of the region's prices per capacity type, with its date and how many instance types
	// it priced; nodes name theirs by ID. `savings live` gives none.
	Sources []PriceSource `json:"sources,omitempty"`
}

// Brief names the sources in one short line, each by the first clause of its name, with its capacity type and date:
// "on-demand: Karpenter v1.14.4's generated on-demand prices of 2026-07-06; spot: ec2instances.info of 2025-05-28". A
// report without sources gives its Source.
func (p Prices) Brief() string {
	if len(p.Sources) == 0 {
		return p.Source
	}
	var parts []string
	for _, s := range p.Sources {
		name, _, _ := strings.Cut(s.Source, " (")
		name, _, _ = strings.Cut(name, ", ")
		parts = append(parts, fmt.Sprintf("%s: %s of %s", s.CapacityType, name, s.Date))
	}
	return strings.Join(parts, "; ")
}

// PriceSource is one source of a report's prices, for one capacity type.
type PriceSource struct {
	catalog.SourceUse
	// AgeDays is how many days old the source's data was when the report was made.
	AgeDays int `json:"ageDays"`
}

// NewPrices names the prices of region in cat, each source with its age at now.
func NewPrices(cat *catalog.Catalog, region string, now time.Time) Prices {
	p := Prices{Region: region, Basis: Basis}
	var names []string
	for _, u := range cat.PriceSources(region) {
		p.Sources = append(p.Sources, PriceSource{SourceUse: u, AgeDays: Age(u.Date, now)})
		name := fmt.Sprintf("%s, data of %s", u.Source, u.Date)
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
		if p.Date == "" || u.Date < p.Date {
			p.Date = u.Date
		}
	}
	p.Source = strings.Join(names, "; ")
	p.AgeDays = Age(p.Date, now)
	return p
}

// Age returns how many whole days lie between a YYYY-MM-DD date and now; 0 for a date it cannot read or in the
// future.
func Age(date string, now time.Time) int {
	d, err := time.Parse(time.DateOnly, date)
	if err != nil || now.Before(d) {
		return 0
	}
	return int(now.Sub(d).Hours() / 24)
}

// Warning is the report's warning about old prices, or "".
func (p Prices) Warning() string {
	if p.AgeDays <= MaxPriceAgeDays {
		return ""
	}
	what := fmt.Sprintf("the price data is %d days old", p.AgeDays)
	// With several sources, each capacity type's oldest prices, oldest first.
	oldest := map[string]int{}
	for _, s := range p.Sources {
		if s.AgeDays > MaxPriceAgeDays && s.AgeDays > oldest[s.CapacityType] {
			oldest[s.CapacityType] = s.AgeDays
		}
	}
	if len(oldest) > 0 {
		types := slices.SortedFunc(maps.Keys(oldest), func(a, b string) int { return cmp.Or(oldest[b]-oldest[a], cmp.Compare(a, b)) })
		var parts []string
		for _, ct := range types {
			parts = append(parts, fmt.Sprintf("the %s prices are %d days old", ct, oldest[ct]))
		}
		what = strings.Join(parts, ", ")
	}
	return fmt.Sprintf("Warning: %s (more than %d); prices, spot prices above all, have moved since. "+
		"`--prices auto` uses current AWS prices.", what, MaxPriceAgeDays)
}

// MarshalJSON adds the warning about old prices, when there is one, so that JSON reports carry it too.
func (p Prices) MarshalJSON() ([]byte, error) {
	type fields Prices
	return json.Marshal(struct {
		fields
		Warning string `json:"warning,omitempty"`
	}{fields(p), p.Warning()})
}

// Requests sums what the workload asks for.
type Requests struct {
	Pods       int     `json:"pods"`
	DaemonSets int     `json:"daemonSets"`
	VCPU       float64 `json:"vcpu"`
	MemoryGiB  float64 `json:"memoryGiB"`
	GPU        int64   `json:"gpu"`
	// Ignored are the input's objects that place no pod of their own (Services, a Deployment's ReplicaSets...).
	Ignored []workload.Ignored `json:"ignored,omitempty"`
}

// Scenario returns the named scenario, or false.
func (r *Report) Scenario(name string) (Scenario, bool) {
	for _, s := range r.Scenarios {
		if s.Name == name {
			return s, true
		}
	}
	return Scenario{}, false
}

// Cause returns the named cause, or false.
func (s Savings) Cause(name string) (Amount, bool) {
	for _, c := range s.ByCause {
		if c.Cause == name {
			return c.Amount, true
		}
	}
	return Amount{}, false
}

// NewScenario totals nodes into a scenario.
func NewScenario(name string, nodes []Node, note string) Scenario {
	total := 0.0
	for _, n := range nodes {
		total += n.HourlyUSD
	}
	if nodes == nil {
		nodes = []Node{}
	}
	hourly := round6(total)
	return Scenario{Name: name, HourlyUSD: hourly, MonthlyUSD: round6(hourly * HoursPerMonth), Nodes: nodes, Note: note}
}

// newKarpenterScenario is a Karpenter scenario's first scale-up, nodes, and its steady state, settled.
func newKarpenterScenario(name string, nodes, settled []Node, note string) Scenario {
	s := NewScenario(name, nodes, note)
	c := NewScenario(name, settled, "")
	s.Consolidated = &SteadyState{HourlyUSD: c.HourlyUSD, MonthlyUSD: c.MonthlyUSD, Nodes: c.Nodes}
	return s
}

// NewAmount expresses an hourly saving per hour, per month and as a share of baseline's hourly cost.
func NewAmount(hourly, baseline float64) Amount {
	hourly = round6(hourly)
	a := Amount{HourlyUSD: hourly, MonthlyUSD: round6(hourly * HoursPerMonth)}
	if baseline > 0 {
		a.Percent = round6(100 * hourly / baseline)
	}
	return a
}
