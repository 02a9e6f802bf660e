package savings

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	karpv1 "sigs.k8s.io/karpenter/pkg/apis/v1"

	"github.com/karpenter-savings/karpenter-savings/internal/catalog"
)

// depthCatalog has spot discounts chosen so that the medians are known: amd64 40, 50, 60 and 70 % (median 55 %, an
// even count), arm64 50, 60 and 90 % (median 60 %); one type has no spot price and counts in neither.
func depthCatalog(t *testing.T) *catalog.Catalog {
	t.Helper()
	spec := func(name, arch string) catalog.Spec {
		return catalog.Spec{Name: name, VCPU: 2, MemoryMiB: 8192, Arch: arch, MaxENIs: 3, IPv4PerENI: 10}
	}
	c, err := catalog.New(&catalog.Snapshot{
		Source: "depth test prices", Date: "2025-01-01",
		InstanceTypes: []catalog.Spec{
			spec("a.1", catalog.ArchX86), spec("a.2", catalog.ArchX86), spec("a.3", catalog.ArchX86), spec("a.4", catalog.ArchX86),
			spec("a.5", catalog.ArchX86), spec("g.1", catalog.ArchARM), spec("g.2", catalog.ArchARM), spec("g.3", catalog.ArchARM),
		},
		Regions: map[string]map[string]catalog.Price{"us-east-1": {
			"a.1": {OnDemand: 1, Spot: 0.6}, "a.2": {OnDemand: 1, Spot: 0.5}, "a.3": {OnDemand: 1, Spot: 0.4}, "a.4": {OnDemand: 1, Spot: 0.3},
			"a.5": {OnDemand: 1},
			"g.1": {OnDemand: 1, Spot: 0.5}, "g.2": {OnDemand: 1, Spot: 0.4}, "g.3": {OnDemand: 1, Spot: 0.1},
		}},
	})
	require.NoError(t, err)
	return c
}

func TestMedianSpotDiscountIsPerArchitectureOverTypesWithASpotPrice(t *testing.T) {
	median, count, err := medianSpotDiscounts(depthCatalog(t), "us-east-1")
	require.NoError(t, err)
	require.InDeltaMapValues(t, map[string]float64{"amd64": 0.55, "arm64": 0.6}, median, 1e-9)
	require.Equal(t, map[string]int{"amd64": 4, "arm64": 3}, count, "expected a.5, without a spot price, left out")
}

// The median compares spot with on-demand of one dataset and date, so on-demand prices of a newer source laid over
// the snapshot do not move it.
func TestMedianSpotDiscountIgnoresOnDemandPricesLaidOver(t *testing.T) {
	cat := depthCatalog(t)
	laid, _, err := cat.WithOnDemand("us-east-1", catalog.PriceSource{ID: "newer", Source: "newer table", Date: "2026-01-01"},
		func(string) (float64, bool) { return 2, true })
	require.NoError(t, err)
	want, _, err := medianSpotDiscounts(cat, "us-east-1")
	require.NoError(t, err)
	got, _, err := medianSpotDiscounts(laid, "us-east-1")
	require.NoError(t, err)
	require.Equal(t, want, got)
}

func TestCapSpotRepricesTheSameNodesAndRaisesOnlyDeeperSpot(t *testing.T) {
	cat := depthCatalog(t)
	median := map[string]float64{"amd64": 0.55, "arm64": 0.6}
	nodes := []Node{
		{InstanceType: "g.3", CapacityType: karpv1.CapacityTypeSpot, Arch: "arm64", Zone: "us-east-1a", Pods: 3, HourlyUSD: 0.1, NodePool: "graviton"},
		{InstanceType: "g.1", CapacityType: karpv1.CapacityTypeSpot, Arch: "arm64", Zone: "us-east-1c", Pods: 2, HourlyUSD: 0.5, NodePool: "graviton"},
		{InstanceType: "a.4", CapacityType: karpv1.CapacityTypeSpot, Arch: "amd64", Zone: "us-east-1a", Pods: 1, HourlyUSD: 0.3, NodePool: "default"},
		{InstanceType: "a.4", CapacityType: karpv1.CapacityTypeOnDemand, Arch: "amd64", Zone: "us-east-1a", Pods: 1, HourlyUSD: 1, NodePool: "default"},
	}
	capped, spot, raised, err := capSpot(cat, "us-east-1", median, nodes)
	require.NoError(t, err)
	require.Equal(t, 3, spot)
	require.Equal(t, 2, raised, "expected g.3 (90 %% off) and a.4 spot (70 %% off) priced up, g.1 (50 %% off) kept")
	want := []float64{0.4, 0.5, 0.45, 1} // (1 - 0.6) × 1, kept, (1 - 0.55) × 1, on-demand kept
	require.Len(t, capped, len(nodes))
	for i := range nodes {
		require.InDelta(t, want[i], capped[i].HourlyUSD, 1e-9, "node %d (%s %s)", i, nodes[i].InstanceType, nodes[i].CapacityType)
		same := capped[i]
		same.HourlyUSD = nodes[i].HourlyUSD
		require.Equal(t, nodes[i], same, "expected node %d to be the same node, only re-priced", i)
	}
	require.Equal(t, 0.1, nodes[0].HourlyUSD, "expected the scenario's own nodes left alone")
}

func TestCapSpotRefusesANodeItCannotCap(t *testing.T) {
	_, _, _, err := capSpot(depthCatalog(t), "us-east-1", map[string]float64{"amd64": 0.55},
		[]Node{{InstanceType: "g.1", CapacityType: karpv1.CapacityTypeSpot, Arch: "arm64", HourlyUSD: 0.5}})
	require.ErrorContains(t, err, "spot node g.1 (arm64) has no median spot discount in us-east-1")
}

func TestSpotShareIsTheSpotPartOfTheCost(t *testing.T) {
	require.InDelta(t, 0.25, spotShare([]Node{
		{CapacityType: karpv1.CapacityTypeSpot, HourlyUSD: 1}, {CapacityType: karpv1.CapacityTypeOnDemand, HourlyUSD: 3},
	}), 1e-9)
	require.Zero(t, spotShare(nil), "expected no share of no cost")
}

// An estimate on the depth catalog: every scenario's spot share adds up with its on-demand part to the steady cost,
// and the sensitivity re-prices exactly the steady state's nodes, capping only spot prices deeper than the median.
func TestEstimateReportsSpotShareAndSpotDepth(t *testing.T) {
	cat := smallCatalog(t)
	// m7g.xlarge made unusually deep (about 94 % off): the multiarch node it wins must be priced up.
	deep, err := cat.WithPrices("us-east-1", "hand-made test prices, one deep", "2025-01-01", func(name string) (catalog.Price, bool) {
		p, ok := cat.Price("us-east-1", name)
		if name == "m7g.xlarge" {
			p.Spot = 0.01
		}
		return p, ok
	})
	require.NoError(t, err)
	r := estimate(t, deep, deployment("web", 4, "900m", "2Gi", ""), options(t))

	for _, s := range r.Scenarios {
		if s.Name == LowerBound {
			require.Nil(t, s.SpotShare, "expected no spot share for the lower bound, which has no nodes")
			continue
		}
		require.NotNil(t, s.SpotShare, "expected a spot share for %s", s.Name)
		var spot, onDemand float64
		for _, n := range s.Steady().Nodes {
			if n.CapacityType == karpv1.CapacityTypeSpot {
				spot += n.HourlyUSD
			} else {
				onDemand += n.HourlyUSD
			}
		}
		require.InDelta(t, s.Steady().HourlyUSD, spot+onDemand, 1e-6, "%s: expected spot and on-demand to add up to the steady cost", s.Name)
		require.InDelta(t, spot/s.Steady().HourlyUSD, *s.SpotShare, 1e-6, "%s: expected the spot share of the steady cost", s.Name)
	}
	require.Zero(t, *mustScenario(t, r, Baseline).SpotShare, "expected an on-demand baseline to have no spot")
	require.InDelta(t, 1, *mustScenario(t, r, Multiarch).SpotShare, 1e-9, "expected multiarch all spot")

	sens := r.SpotSensitivity
	require.NotNil(t, sens)
	median, _, err := medianSpotDiscounts(deep, "us-east-1")
	require.NoError(t, err)
	require.Equal(t, median, sens.MedianDiscount)
	require.Equal(t, "hand-made test prices, one deep", sens.Source, "expected the medians to name their dataset")
	require.Equal(t, "2025-01-01", sens.Date, "expected the medians to name their dataset's date")
	var table strings.Builder
	require.NoError(t, WriteTable(&table, r))
	require.Contains(t, table.String(), "; spot and on-demand prices of hand-made test prices, one deep, data of 2025-01-01), re-priced",
		"expected the table's medians to name their source and date")
	base := mustScenario(t, r, Baseline).HourlyUSD
	require.Len(t, sens.Scenarios, 2)
	for i, name := range []string{LabDefault, Multiarch} {
		got := sens.Scenarios[i]
		require.Equal(t, name, got.Name)
		steady := mustScenario(t, r, name).Steady()
		// Worked independently of capSpot: each steady node at max(its price, (1 - median) × on-demand) when spot, to
		// the micro-dollar as the report prices (the median itself is rounded so).
		want, raised := 0.0, 0
		for _, n := range steady.Nodes {
			price := n.HourlyUSD
			if n.CapacityType == karpv1.CapacityTypeSpot {
				p, _ := deep.Price("us-east-1", n.InstanceType)
				if floor := round6((1 - median[n.Arch]) * p.OnDemand); floor > price {
					price, raised = floor, raised+1
				}
			}
			want += price
		}
		require.InDelta(t, want, got.HourlyUSD, 1e-5, "%s: expected the steady nodes re-priced", name)
		require.Equal(t, raised, got.CappedNodes, "%s: nodes priced up", name)
		require.InDelta(t, 100*(base-want)/base, got.SavingPercent, 1e-3, "%s: saving with the cap", name)
		require.InDelta(t, 100*(base-steady.HourlyUSD)/base, got.EstimatedSavingPercent, 1e-3, "%s: saving as estimated", name)
	}
	require.Equal(t, 1, sens.Scenarios[1].CappedNodes, "expected multiarch's m7g.xlarge, 94 %% off, priced up")
	require.Less(t, sens.Scenarios[1].SavingPercent, sens.Scenarios[1].EstimatedSavingPercent, "expected the cap to cut multiarch's saving")
}

// Each node names the source of its price, and the report's prices list each source with its date and count.
func TestNodesAndPricesNameTheirSources(t *testing.T) {
	cat := smallCatalog(t)
	table := catalog.PriceSource{ID: "table", Source: "a newer on-demand table", Date: "2025-01-21"}
	laid, _, err := cat.WithOnDemand("us-east-1", table, func(name string) (float64, bool) {
		p, ok := cat.Price("us-east-1", name)
		return p.OnDemand, ok && name == "m6i.large"
	})
	require.NoError(t, err)
	r := estimate(t, laid, deployment("web", 4, "900m", "2Gi", ""), options(t))
	for _, s := range r.Scenarios {
		for _, n := range append(s.Nodes, s.Steady().Nodes...) {
			want := catalog.SnapshotSourceID
			if n.InstanceType == "m6i.large" && n.CapacityType == karpv1.CapacityTypeOnDemand {
				want = "table"
			}
			require.Equal(t, want, n.PriceSource, "%s: node %s %s", s.Name, n.InstanceType, n.CapacityType)
		}
	}
	raw, err := json.Marshal(r.Prices)
	require.NoError(t, err)
	var doc struct {
		Date    string           `json:"date"`
		Sources []map[string]any `json:"sources"`
	}
	require.NoError(t, json.Unmarshal(raw, &doc))
	require.Equal(t, "2025-01-01", doc.Date, "expected the oldest source's date")
	require.Equal(t, []map[string]any{
		{"id": "snapshot", "source": "hand-made test prices", "date": "2025-01-01", "capacityType": "on-demand", "instanceTypes": float64(7), "ageDays": float64(31)},
		{"id": "table", "source": "a newer on-demand table", "date": "2025-01-21", "capacityType": "on-demand", "instanceTypes": float64(1), "ageDays": float64(11)},
		{"id": "snapshot", "source": "hand-made test prices", "date": "2025-01-01", "capacityType": "spot", "instanceTypes": float64(8), "ageDays": float64(31)},
	}, doc.Sources)
	require.Contains(t, r.Notes[0], "Spot prices are of 2025-01-01 and on-demand prices of 2025-01-01 and 2025-01-21",
		"expected a note that spot and on-demand prices are of different dates")

	var b strings.Builder
	require.NoError(t, WriteTable(&b, r))
	for _, want := range []string{
		"  on-demand    7 types: hand-made test prices, data of 2025-01-01 (31 days old)",
		"  on-demand    1 types: a newer on-demand table, data of 2025-01-21 (11 days old)",
		"  spot         8 types: hand-made test prices, data of 2025-01-01 (31 days old)",
		"VS BASELINE   SPOT", "Spot depth: the same steady-state nodes", "re-priced, not re-scheduled",
	} {
		require.Contains(t, b.String(), want, "expected the table to show %q", want)
	}
}
