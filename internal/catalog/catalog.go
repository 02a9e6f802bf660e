// Package catalog holds the EC2 instance specs and Linux prices the savings estimate runs on: a compact snapshot of
// the ec2instances.info dataset, embedded so that an estimate needs no network and states exactly which data it used.
package catalog

import (
	"bytes"
	"cmp"
	"compress/gzip"
	_ "embed"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"sync"
)

//go:generate go run ./gen -out snapshot.json.gz

//go:embed snapshot.json.gz
var snapshotGz []byte

// Architectures as EC2 names them.
const (
	ArchX86 = "x86_64"
	ArchARM = "arm64"
)

// Snapshot is the embedded dataset: where it came from, its date, the specs and the prices per region.
type Snapshot struct {
	Source        string                      `json:"source"`
	Date          string                      `json:"date"` // YYYY-MM-DD
	InstanceTypes []Spec                      `json:"instanceTypes"`
	Regions       map[string]map[string]Price `json:"regions"` // region → instance type → price
}

// Spec is what EC2's DescribeInstanceTypes would say about one instance type, reduced to what Karpenter reads.
type Spec struct {
	Name            string  `json:"name"`
	VCPU            int32   `json:"vcpu"`
	MemoryMiB       int64   `json:"memoryMiB"`
	Arch            string  `json:"arch"`                      // ArchX86 or ArchARM
	CPUManufacturer string  `json:"cpuManufacturer,omitempty"` // Intel, AMD or AWS
	ClockGHz        float64 `json:"clockGHz,omitempty"`
	MaxENIs         int32   `json:"maxENIs"`
	IPv4PerENI      int32   `json:"ipv4PerENI"`
	EBSMbps         int32   `json:"ebsMbps,omitempty"`
	LocalNVMeGB     int64   `json:"localNVMeGB,omitempty"`
	GPUCount        int32   `json:"gpuCount,omitempty"`
	GPUManufacturer string  `json:"gpuManufacturer,omitempty"` // NVIDIA or AMD
	GPUName         string  `json:"gpuName,omitempty"`
	GPUMemoryMiB    int32   `json:"gpuMemoryMiB,omitempty"` // per GPU
	NeuronDevices   int32   `json:"neuronDevices,omitempty"`
	NeuronName      string  `json:"neuronName,omitempty"`
}

// Price is the Linux hourly price in USD; Spot is the mean of the region's per-AZ spot prices, 0 when none.
type Price struct {
	OnDemand float64 `json:"od"`
	Spot     float64 `json:"spot,omitempty"`
}

// Capacity types as Karpenter names them; a price source prices one of them.
const (
	OnDemand = "on-demand"
	Spot     = "spot"
)

// Price source IDs the catalog gives itself: the embedded snapshot, and current prices from WithPrices.
const (
	SnapshotSourceID = "snapshot"
	CurrentSourceID  = "current"
)

// PriceSource names one dataset of prices; a report's nodes refer to it by ID.
type PriceSource struct {
	ID     string `json:"id"`
	Source string `json:"source"`
	Date   string `json:"date"` // YYYY-MM-DD the prices are of
}

// SourceUse is how many of a region's instance types one source prices for one capacity type.
type SourceUse struct {
	PriceSource
	CapacityType  string `json:"capacityType"` // OnDemand or Spot
	InstanceTypes int    `json:"instanceTypes"`
}

// Catalog answers spec and price questions about one snapshot, with on-demand prices of other sources laid over it
// by WithOnDemand.
type Catalog struct {
	snap  *Snapshot
	specs map[string]Spec
	// base is where snap's prices come from: the snapshot, or current prices after WithPrices.
	base PriceSource
	// onDemand holds, per region and type, the on-demand prices WithOnDemand laid over snap's, with their source.
	onDemand map[string]map[string]laid
	sources  map[string]PriceSource // by ID, every source but base
}

// laid is an on-demand price from another source than the snapshot.
type laid struct {
	price  float64
	source string // ID
}

var (
	loadOnce sync.Once
	loaded   *Catalog
	loadErr  error
)

// Load returns the catalog of the embedded snapshot; it decodes the snapshot once per process.
func Load() (*Catalog, error) {
	loadOnce.Do(func() {
		loaded, loadErr = decode(snapshotGz)
	})
	return loaded, loadErr
}

func decode(gz []byte) (*Catalog, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, fmt.Errorf("catalog: open snapshot: %w", err)
	}
	var snap Snapshot
	if err := json.NewDecoder(zr).Decode(&snap); err != nil {
		return nil, fmt.Errorf("catalog: decode snapshot: %w", err)
	}
	return New(&snap)
}

// New indexes a snapshot; tests use it to run on a handful of hand-made instance types.
func New(snap *Snapshot) (*Catalog, error) {
	c := &Catalog{snap: snap, specs: make(map[string]Spec, len(snap.InstanceTypes)),
		base: PriceSource{ID: SnapshotSourceID, Source: snap.Source, Date: snap.Date}}
	for _, s := range snap.InstanceTypes {
		if _, dup := c.specs[s.Name]; dup {
			return nil, fmt.Errorf("catalog: instance type %q listed twice", s.Name)
		}
		c.specs[s.Name] = s
	}
	for region, prices := range snap.Regions {
		for name := range prices {
			if _, ok := c.specs[name]; !ok {
				return nil, fmt.Errorf("catalog: region %s prices %q, which has no spec", region, name)
			}
		}
	}
	return c, nil
}

// Source names the dataset, e.g. "ec2instances.info, as shipped in github.com/LeanerCloud/ec2-instances-info@...".
func (c *Catalog) Source() string { return c.snap.Source }

// Date is the dataset's date, YYYY-MM-DD.
func (c *Catalog) Date() string { return c.snap.Date }

// Regions lists the regions with prices, sorted.
func (c *Catalog) Regions() []string {
	regions := make([]string, 0, len(c.snap.Regions))
	for r := range c.snap.Regions {
		regions = append(regions, r)
	}
	sort.Strings(regions)
	return regions
}

// Spec returns the spec of one instance type.
func (c *Catalog) Spec(name string) (Spec, bool) {
	s, ok := c.specs[name]
	return s, ok
}

// Price returns the price of one instance type in one region: its on-demand price from the source WithOnDemand laid
// over the snapshot when there is one, its spot price always the snapshot's.
func (c *Catalog) Price(region, name string) (Price, bool) {
	p, ok := c.snap.Regions[region][name]
	if l, laidOver := c.onDemand[region][name]; ok && laidOver {
		p.OnDemand = l.price
	}
	return p, ok
}

// BasePrice returns the price of one instance type in one region before WithOnDemand: its spot and on-demand prices
// of one dataset and one date, which a spot discount must be measured on.
func (c *Catalog) BasePrice(region, name string) (Price, bool) {
	p, ok := c.snap.Regions[region][name]
	return p, ok
}

// PriceSource names where the price of one instance type for one capacity type (OnDemand or Spot) in region comes
// from, or false when the region does not price it.
func (c *Catalog) PriceSource(region, name, capacityType string) (PriceSource, bool) {
	p, ok := c.snap.Regions[region][name]
	if !ok {
		return PriceSource{}, false
	}
	switch capacityType {
	case OnDemand:
		if l, laidOver := c.onDemand[region][name]; laidOver {
			return c.sources[l.source], true
		}
		return c.base, p.OnDemand > 0
	case Spot:
		return c.base, p.Spot > 0
	}
	return PriceSource{}, false
}

// PriceSources lists, for region, each source with how many instance types it prices on-demand and on spot: on-demand
// first, then spot, the most used source first. A source that prices no type is left out.
func (c *Catalog) PriceSources(region string) []SourceUse {
	count := map[[2]string]int{} // capacity type, source ID
	for name, p := range c.snap.Regions[region] {
		if l, laidOver := c.onDemand[region][name]; laidOver {
			count[[2]string{OnDemand, l.source}]++
		} else if p.OnDemand > 0 {
			count[[2]string{OnDemand, c.base.ID}]++
		}
		if p.Spot > 0 {
			count[[2]string{Spot, c.base.ID}]++
		}
	}
	out := make([]SourceUse, 0, len(count))
	for k, n := range count {
		src := c.base
		if k[1] != c.base.ID {
			src = c.sources[k[1]]
		}
		out = append(out, SourceUse{PriceSource: src, CapacityType: k[0], InstanceTypes: n})
	}
	slices.SortFunc(out, func(a, b SourceUse) int {
		return cmp.Or(cmp.Compare(a.CapacityType, b.CapacityType), cmp.Compare(b.InstanceTypes, a.InstanceTypes), cmp.Compare(a.ID, b.ID))
	})
	return out
}

// WithOnDemand returns a catalog whose on-demand prices in region come from src wherever price answers for a type the
// snapshot prices there, and stay the snapshot's elsewhere; spot prices stay the snapshot's. It says how many types
// src priced, and refuses a source without an ID of its own or a date, or one that prices no type of the region.
func (c *Catalog) WithOnDemand(region string, src PriceSource, price func(name string) (float64, bool)) (*Catalog, int, error) {
	if _, ok := c.snap.Regions[region]; !ok {
		return nil, 0, fmt.Errorf("catalog: region %s is not in the snapshot", region)
	}
	if src.ID == "" || src.ID == c.base.ID || src.Date == "" {
		return nil, 0, fmt.Errorf("catalog: price source %+v needs an ID other than %q and a date", src, c.base.ID)
	}
	if prev, ok := c.sources[src.ID]; ok && prev != src {
		return nil, 0, fmt.Errorf("catalog: price source ID %q names both %+v and %+v", src.ID, prev, src)
	}
	laidOver := maps.Clone(c.onDemand[region])
	if laidOver == nil {
		laidOver = map[string]laid{}
	}
	n := 0
	for name := range c.snap.Regions[region] {
		if p, ok := price(name); ok && p > 0 {
			laidOver[name] = laid{price: p, source: src.ID}
			n++
		}
	}
	if n == 0 {
		return nil, 0, fmt.Errorf("catalog: %s prices none of the snapshot's instance types in %s", src.Source, region)
	}
	out := *c
	out.onDemand = maps.Clone(c.onDemand)
	if out.onDemand == nil {
		out.onDemand = map[string]map[string]laid{}
	}
	out.onDemand[region] = laidOver
	out.sources = maps.Clone(c.sources)
	if out.sources == nil {
		out.sources = map[string]PriceSource{}
	}
	out.sources[src.ID] = src
	return &out, n, nil
}

// Offered lists the specs of every instance type priced in region, sorted by name, or an error naming the
// regions the snapshot has.
func (c *Catalog) Offered(region string) ([]Spec, error) {
	prices, ok := c.snap.Regions[region]
	if !ok {
		return nil, fmt.Errorf("catalog: no prices for region %q in the %s snapshot; regions: %v", region, c.snap.Date, c.Regions())
	}
	specs := make([]Spec, 0, len(prices))
	for name := range prices {
		specs = append(specs, c.specs[name])
	}
	slices.SortFunc(specs, func(a, b Spec) int {
		switch {
		case a.Name < b.Name:
			return -1
		case a.Name > b.Name:
			return 1
		}
		return 0
	})
	return specs, nil
}

// Check returns an error naming an instance type the snapshot does not know, or does not price in region.
func (c *Catalog) Check(region, name string) error {
	if _, ok := c.specs[name]; !ok {
		return fmt.Errorf("catalog: unknown instance type %q (not in the %s snapshot)", name, c.snap.Date)
	}
	if _, ok := c.snap.Regions[region][name]; !ok {
		return fmt.Errorf("catalog: instance type %q has no Linux price in region %s in the %s snapshot", name, region, c.snap.Date)
	}
	return nil
}

// WithPrices returns a catalog of the same instance types whose prices in region come from price instead of the
// snapshot, named by source and date (source ID CurrentSourceID): an estimate with current AWS prices schedules and
// prices with them. A type price does not answer for is not offered in region, as when AWS does not price it. On-demand
// prices WithOnDemand laid over region are dropped: current prices replace them too.
func (c *Catalog) WithPrices(region, source, date string, price func(name string) (Price, bool)) (*Catalog, error) {
	if _, ok := c.snap.Regions[region]; !ok {
		return nil, fmt.Errorf("catalog: region %s is not in the snapshot", region)
	}
	snap := *c.snap
	snap.Source, snap.Date = source, date
	snap.Regions = maps.Clone(c.snap.Regions)
	prices := map[string]Price{}
	for name := range c.snap.Regions[region] {
		if p, ok := price(name); ok && p.OnDemand > 0 {
			prices[name] = p
		}
	}
	if len(prices) == 0 {
		return nil, fmt.Errorf("catalog: no current price for any instance type in %s", region)
	}
	snap.Regions[region] = prices
	out, err := New(&snap)
	if err != nil {
		return nil, err
	}
	out.base = PriceSource{ID: CurrentSourceID, Source: source, Date: date}
	return out, nil
}
