// Package catalog holds the EC2 instance specs and Linux prices the savings estimate runs on: a compact snapshot of
// the ec2instances.info dataset, embedded so that an estimate needs no network and states exactly which data it used.
package catalog

import (
	"bytes"
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

// Catalog answers spec and price questions about one snapshot.
type Catalog struct {
	snap  *Snapshot
	specs map[string]Spec
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
	c := &Catalog{snap: snap, specs: make(map[string]Spec, len(snap.InstanceTypes))}
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

// Price returns the price of one instance type in one region.
func (c *Catalog) Price(region, name string) (Price, bool) {
	p, ok := c.snap.Regions[region][name]
	return p, ok
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
// snapshot, named by source and date: an estimate with current AWS prices schedules and prices with them. A type
// price does not answer for is not offered in region, as when AWS does not price it.
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
	return New(&snap)
}
