package catalog

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLoadNamesItsSourceAndDate(t *testing.T) {
	c, err := Load()
	require.NoError(t, err)
	require.Contains(t, c.Source(), "github.com/LeanerCloud/ec2-instances-info@v0.0.0-20250528091325-32acf84f42eb",
		"expected the source to name the pinned dataset module")
	require.Equal(t, "2025-05-28", c.Date(), "expected the date of the pinned dataset")
	require.Contains(t, c.Regions(), "us-east-1")
	for _, name := range []string{"m6i.large", "m7g.large", "g5.xlarge"} {
		require.NoError(t, c.Check("us-east-1", name), "expected the lab's instance types to be priced in us-east-1")
	}
}

func TestSnapshotSpecsReadLikeEC2(t *testing.T) {
	c, err := Load()
	require.NoError(t, err)
	for _, tc := range []struct {
		name string
		want Spec
	}{
		{"m6i.large", Spec{Name: "m6i.large", VCPU: 2, MemoryMiB: 8192, Arch: ArchX86, CPUManufacturer: "Intel", MaxENIs: 3, IPv4PerENI: 10}},
		{"m7g.large", Spec{Name: "m7g.large", VCPU: 2, MemoryMiB: 8192, Arch: ArchARM, CPUManufacturer: "AWS", MaxENIs: 3, IPv4PerENI: 10}},
		{"g5.xlarge", Spec{Name: "g5.xlarge", VCPU: 4, MemoryMiB: 16384, Arch: ArchX86, CPUManufacturer: "AMD", MaxENIs: 4, IPv4PerENI: 15,
			GPUCount: 1, GPUManufacturer: "NVIDIA", GPUName: "A10G", GPUMemoryMiB: 24576, LocalNVMeGB: 250}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := c.Spec(tc.name)
			require.True(t, ok, "expected %s in the snapshot", tc.name)
			// Clock speed and EBS bandwidth only feed labels; the fields compared are those that size a node.
			got.ClockGHz, got.EBSMbps = 0, 0
			require.Equal(t, tc.want, got)
		})
	}
}

func TestCheckExplainsWhatIsMissing(t *testing.T) {
	c := testCatalog(t)
	for _, tc := range []struct {
		name, region, instanceType, want string
	}{
		{"unknown type", "us-east-1", "m99z.huge", `unknown instance type "m99z.huge"`},
		{"type not priced in the region", "eu-west-1", "m6i.large", `no Linux price in region eu-west-1`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.ErrorContains(t, c.Check(tc.region, tc.instanceType), tc.want)
		})
	}
	require.NoError(t, c.Check("us-east-1", "m6i.large"), "expected a priced type to pass")
}

func TestOfferedListsARegionsTypesSorted(t *testing.T) {
	c := testCatalog(t)
	specs, err := c.Offered("us-east-1")
	require.NoError(t, err)
	var names []string
	for _, s := range specs {
		names = append(names, s.Name)
	}
	require.Equal(t, []string{"m6i.large", "m7g.large"}, names)

	_, err = c.Offered("mars-north-1")
	require.ErrorContains(t, err, "regions: [eu-west-1 us-east-1]", "expected the error to list the regions the snapshot has")
}

func TestNewRejectsInconsistentSnapshots(t *testing.T) {
	for _, tc := range []struct {
		name string
		snap *Snapshot
		want string
	}{
		{"duplicate spec", &Snapshot{InstanceTypes: []Spec{{Name: "a.large"}, {Name: "a.large"}}}, "listed twice"},
		{"price without spec", &Snapshot{Regions: map[string]map[string]Price{"r": {"a.large": {OnDemand: 1}}}}, "has no spec"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.snap)
			require.ErrorContains(t, err, tc.want)
		})
	}
}

func testCatalog(t *testing.T) *Catalog {
	t.Helper()
	c, err := New(&Snapshot{
		Source: "test", Date: "2025-01-01",
		InstanceTypes: []Spec{{Name: "m7g.large"}, {Name: "m6i.large"}, {Name: "c6g.large"}},
		Regions: map[string]map[string]Price{
			"us-east-1": {"m6i.large": {OnDemand: 0.096, Spot: 0.04}, "m7g.large": {OnDemand: 0.0816}},
			"eu-west-1": {"c6g.large": {OnDemand: 0.07}},
		},
	})
	require.NoError(t, err)
	return c
}

func TestWithOnDemandLaysPricesOverTheSnapshotAndNamesThem(t *testing.T) {
	c := testCatalog(t)
	table := PriceSource{ID: "table", Source: "a newer table", Date: "2026-01-02"}
	laid, n, err := c.WithOnDemand("us-east-1", table, func(name string) (float64, bool) {
		return 0.1, name == "m6i.large" || name == "c6g.large" // c6g.large is not priced in us-east-1: not offered there
	})
	require.NoError(t, err)
	require.Equal(t, 1, n, "expected the table to price the one us-east-1 type it has")

	got, ok := laid.Price("us-east-1", "m6i.large")
	require.True(t, ok)
	require.Equal(t, Price{OnDemand: 0.1, Spot: 0.04}, got, "expected the table's on-demand price and the snapshot's spot price")
	base, _ := laid.BasePrice("us-east-1", "m6i.large")
	require.Equal(t, Price{OnDemand: 0.096, Spot: 0.04}, base, "expected the base price to stay the snapshot's")
	kept, _ := laid.Price("us-east-1", "m7g.large")
	require.Equal(t, 0.0816, kept.OnDemand, "expected a type the table lacks to keep the snapshot's price")
	_, ok = laid.Price("us-east-1", "c6g.large")
	require.False(t, ok, "expected the table not to add a type the snapshot does not price in the region")
	orig, _ := c.Price("us-east-1", "m6i.large")
	require.Equal(t, 0.096, orig.OnDemand, "expected the original catalog to be left alone")

	snapshot := PriceSource{ID: SnapshotSourceID, Source: "test", Date: "2025-01-01"}
	for _, tc := range []struct {
		name, capacityType string
		want               PriceSource
	}{
		{"m6i.large", OnDemand, table},
		{"m6i.large", Spot, snapshot},
		{"m7g.large", OnDemand, snapshot},
	} {
		src, ok := laid.PriceSource("us-east-1", tc.name, tc.capacityType)
		require.True(t, ok, "expected a source for %s %s", tc.name, tc.capacityType)
		require.Equal(t, tc.want, src, "source of %s %s", tc.name, tc.capacityType)
	}
	_, ok = laid.PriceSource("us-east-1", "m7g.large", Spot)
	require.False(t, ok, "expected no spot source for a type without a spot price")

	require.Equal(t, []SourceUse{
		{PriceSource: snapshot, CapacityType: OnDemand, InstanceTypes: 1},
		{PriceSource: table, CapacityType: OnDemand, InstanceTypes: 1},
		{PriceSource: snapshot, CapacityType: Spot, InstanceTypes: 1},
	}, laid.PriceSources("us-east-1"))
	require.Equal(t, []SourceUse{{PriceSource: snapshot, CapacityType: OnDemand, InstanceTypes: 1}}, laid.PriceSources("eu-west-1"),
		"expected another region to keep the snapshot's prices")
}

func TestWithOnDemandRefusesWhatItCannotName(t *testing.T) {
	c := testCatalog(t)
	always := func(string) (float64, bool) { return 1, true }
	for _, tc := range []struct {
		name, region string
		src          PriceSource
		price        func(string) (float64, bool)
		want         string
	}{
		{"no ID", "us-east-1", PriceSource{Source: "t", Date: "2026-01-01"}, always, "needs an ID"},
		{"the snapshot's ID", "us-east-1", PriceSource{ID: SnapshotSourceID, Source: "t", Date: "2026-01-01"}, always, "needs an ID other than"},
		{"no date", "us-east-1", PriceSource{ID: "t", Source: "t"}, always, "and a date"},
		{"unknown region", "mars-1", PriceSource{ID: "t", Source: "t", Date: "2026-01-01"}, always, "region mars-1 is not in the snapshot"},
		{"prices nothing", "us-east-1", PriceSource{ID: "t", Source: "t", Date: "2026-01-01"}, func(string) (float64, bool) { return 0, false }, "prices none"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := c.WithOnDemand(tc.region, tc.src, tc.price)
			require.ErrorContains(t, err, tc.want)
		})
	}
}

func TestWithPricesNamesCurrentPricesForBothCapacityTypes(t *testing.T) {
	c := testCatalog(t)
	laid, _, err := c.WithOnDemand("us-east-1", PriceSource{ID: "table", Source: "t", Date: "2026-01-02"}, func(string) (float64, bool) { return 1, true })
	require.NoError(t, err)
	current, err := laid.WithPrices("us-east-1", "AWS APIs", "2026-12-01", func(string) (Price, bool) { return Price{OnDemand: 0.2, Spot: 0.05}, true })
	require.NoError(t, err)
	want := PriceSource{ID: CurrentSourceID, Source: "AWS APIs", Date: "2026-12-01"}
	for _, ct := range []string{OnDemand, Spot} {
		src, ok := current.PriceSource("us-east-1", "m6i.large", ct)
		require.True(t, ok)
		require.Equal(t, want, src, "expected current prices to name their source for %s", ct)
	}
	p, _ := current.Price("us-east-1", "m6i.large")
	require.Equal(t, Price{OnDemand: 0.2, Spot: 0.05}, p, "expected current prices to replace the laid-over table's")
}
