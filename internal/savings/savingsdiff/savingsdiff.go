// Package savingsdiff compares the savings estimates of two revisions of the stack's configuration on the same
// workloads and prices: what a change to the node pools does to the monthly estimate, which nodes and workloads
// move, and which config keys changed. `savings diff` prints it; the pull-request workflow posts it.
package savingsdiff

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/karpenter-savings/karpenter-savings/internal/savings"
)

// Scenario is the scenario a diff compares: the stack's own node pools, at their steady state (Scenario.Steady).
const Scenario = savings.Multiarch

// Diff is the comparison of a base and a head estimate; its JSON form is `savings diff --json`.
type Diff struct {
	// Workloads are the manifests both sides were estimated on.
	Workloads     []string        `json:"workloads"`
	Base          *savings.Report `json:"base"`
	Head          *savings.Report `json:"head"`
	Change        Change          `json:"change"`
	Nodes         []NodeCount     `json:"nodes"`
	Moved         []Move          `json:"moved"`
	ConfigChanges []ConfigChange  `json:"configChanges"`
}

// Change is head minus base for the compared scenario; Percent is of the base (0 when the base costs nothing).
type Change struct {
	BaseMonthlyUSD float64 `json:"baseMonthlyUSD"`
	HeadMonthlyUSD float64 `json:"headMonthlyUSD"`
	MonthlyUSD     float64 `json:"monthlyUSD"`
	Percent        float64 `json:"percent"`
}

// NodeCount is how many nodes of one pool, architecture and capacity type each side runs.
type NodeCount struct {
	NodePool     string `json:"nodePool"`
	Arch         string `json:"arch"`
	CapacityType string `json:"capacityType"`
	Base         int    `json:"base"`
	Head         int    `json:"head"`
}

// Placement is how many pods of a workload run on one kind of node.
type Placement struct {
	NodePool     string `json:"nodePool"`
	Arch         string `json:"arch"`
	CapacityType string `json:"capacityType"`
	Pods         int    `json:"pods"`
}

// Move is a workload whose pods run on other kinds of nodes in head than in base.
type Move struct {
	Kind      string      `json:"kind"`
	Namespace string      `json:"namespace"`
	Name      string      `json:"name"`
	Base      []Placement `json:"base"`
	Head      []Placement `json:"head"`
}

// ConfigChange is one configuration value that differs; objects are compared leaf by leaf, with dotted keys
// ("karpenter-savings:nodePools.graviton.enabled"). An empty side means the key is not set there.
type ConfigChange struct {
	Key  string `json:"key"`
	Base string `json:"base"`
	Head string `json:"head"`
}

// Compare builds the diff of two estimates of the same workloads, and of the two configurations they came from
// (fully qualified keys to the values the engine passes, objects and arrays as JSON).
func Compare(workloads []string, base, head *savings.Report, baseConfig, headConfig map[string]string) (*Diff, error) {
	b, ok := base.Scenario(Scenario)
	if !ok {
		return nil, fmt.Errorf("savingsdiff: the base estimate has no %s scenario", Scenario)
	}
	h, ok := head.Scenario(Scenario)
	if !ok {
		return nil, fmt.Errorf("savingsdiff: the head estimate has no %s scenario", Scenario)
	}
	// Both sides are compared at their steady state, once Karpenter's consolidation has run.
	bs, hs := b.Steady(), h.Steady()
	d := &Diff{
		Workloads:     workloads,
		Base:          base,
		Head:          head,
		Change:        change(bs.MonthlyUSD, hs.MonthlyUSD),
		Nodes:         nodeCounts(bs.Nodes, hs.Nodes),
		Moved:         moved(bs.Nodes, hs.Nodes),
		ConfigChanges: configChanges(flatten(baseConfig), flatten(headConfig)),
	}
	return d, nil
}

func change(base, head float64) Change {
	c := Change{BaseMonthlyUSD: base, HeadMonthlyUSD: head, MonthlyUSD: round2(head - base)}
	if base > 0 {
		c.Percent = round2(100 * (head - base) / base)
	}
	return c
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }

// kind is where a node sits in the comparison: pool, architecture and capacity type.
type kind struct{ pool, arch, capacity string }

func kindOf(n savings.Node) kind { return kind{n.NodePool, n.Arch, n.CapacityType} }

func compareKinds(a, b kind) int {
	return cmp.Or(cmp.Compare(a.pool, b.pool), cmp.Compare(a.arch, b.arch), cmp.Compare(a.capacity, b.capacity))
}

func nodeCounts(base, head []savings.Node) []NodeCount {
	counts := map[kind]*NodeCount{}
	at := func(n savings.Node) *NodeCount {
		k := kindOf(n)
		if counts[k] == nil {
			counts[k] = &NodeCount{NodePool: k.pool, Arch: k.arch, CapacityType: k.capacity}
		}
		return counts[k]
	}
	for _, n := range base {
		at(n).Base++
	}
	for _, n := range head {
		at(n).Head++
	}
	out := make([]NodeCount, 0, len(counts))
	for _, k := range slices.SortedFunc(maps.Keys(counts), compareKinds) {
		out = append(out, *counts[k])
	}
	return out
}

// workloadKey names a workload across both sides.
type workloadKey struct{ kind, namespace, name string }

// placements sums each workload's pods by kind of node.
func placements(nodes []savings.Node) map[workloadKey]map[kind]int {
	out := map[workloadKey]map[kind]int{}
	for _, n := range nodes {
		for _, w := range n.Workloads {
			k := workloadKey{w.Kind, w.Namespace, w.Name}
			if out[k] == nil {
				out[k] = map[kind]int{}
			}
			out[k][kindOf(n)] += w.Pods
		}
	}
	return out
}

func placementList(m map[kind]int) []Placement {
	out := []Placement{}
	for _, k := range slices.SortedFunc(maps.Keys(m), compareKinds) {
		out = append(out, Placement{NodePool: k.pool, Arch: k.arch, CapacityType: k.capacity, Pods: m[k]})
	}
	return out
}

func moved(base, head []savings.Node) []Move {
	b, h := placements(base), placements(head)
	keys := map[workloadKey]bool{}
	for k := range b {
		keys[k] = true
	}
	for k := range h {
		keys[k] = true
	}
	out := []Move{}
	for _, k := range slices.SortedFunc(maps.Keys(keys), func(x, y workloadKey) int {
		return cmp.Or(cmp.Compare(x.kind, y.kind), cmp.Compare(x.namespace, y.namespace), cmp.Compare(x.name, y.name))
	}) {
		if maps.Equal(b[k], h[k]) {
			continue
		}
		out = append(out, Move{Kind: k.kind, Namespace: k.namespace, Name: k.name, Base: placementList(b[k]), Head: placementList(h[k])})
	}
	return out
}

// flatten turns object values into one entry per leaf ("key.field.sub"), so that a change inside nodePools names
// the pool and field that changed; arrays and scalars stay whole.
func flatten(values map[string]string) map[string]string {
	out := map[string]string{}
	for key, raw := range values {
		var v any
		if err := json.Unmarshal([]byte(raw), &v); err != nil {
			out[key] = raw
			continue
		}
		flattenValue(out, key, v, raw)
	}
	return out
}

func flattenValue(out map[string]string, key string, v any, raw string) {
	switch t := v.(type) {
	case map[string]any:
		if len(t) == 0 {
			out[key] = "{}"
		}
		for k, sub := range t {
			b, _ := json.Marshal(sub)
			flattenValue(out, key+"."+k, sub, string(b))
		}
	case string:
		out[key] = t
	default:
		out[key] = raw
	}
}

func configChanges(base, head map[string]string) []ConfigChange {
	union := maps.Clone(base)
	maps.Copy(union, head)
	out := []ConfigChange{}
	for _, k := range slices.Sorted(maps.Keys(union)) {
		if base[k] != head[k] {
			out = append(out, ConfigChange{Key: k, Base: base[k], Head: head[k]})
		}
	}
	return out
}

// Exceeds reports whether the change is an increase of more than pct percent.
func (d *Diff) Exceeds(pct float64) bool { return d.Change.Percent > pct }

// summary is the one-line verdict shared by the table and the Markdown.
func (d *Diff) summary() string {
	sign := "+"
	if d.Change.MonthlyUSD < 0 {
		sign = "-"
	}
	return fmt.Sprintf("%s scenario, steady state: $%.2f/month → $%.2f/month (%s$%.2f, %+.2f%%)", Scenario,
		d.Change.BaseMonthlyUSD, d.Change.HeadMonthlyUSD, sign, math.Abs(d.Change.MonthlyUSD), d.Change.Percent)
}

// basis names the prices and says what the figures are.
func (d *Diff) basis() string {
	p := d.Head.Prices
	prices := fmt.Sprintf("%s, snapshot of %s", p.Source, p.Date)
	if len(p.Sources) > 0 { // each source with its capacity type and date
		prices = p.Brief()
	}
	return fmt.Sprintf("%s; prices: %s, region %s; workloads: %s", p.Basis, prices, p.Region, strings.Join(d.Workloads, ", "))
}

func placementText(ps []Placement) string {
	if len(ps) == 0 {
		return "—"
	}
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = fmt.Sprintf("%d on %s/%s/%s", p.Pods, p.NodePool, p.Arch, p.CapacityType)
	}
	return strings.Join(parts, ", ")
}

func orUnset(v string) string {
	if v == "" {
		return "(unset)"
	}
	return v
}
