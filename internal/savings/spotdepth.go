package savings

import (
	"fmt"
	"slices"

	karpv1 "sigs.k8s.io/karpenter/pkg/apis/v1"

	"github.com/karpenter-savings/karpenter-savings/internal/catalog"
)

// SpotSensitivity is multiarch and lab-default again with no spot price deeper than the region's median spot discount
// for its architecture: the same nodes, re-priced, so that a reader sees how much of a saving rests on unusually deep
// spot prices.
type SpotSensitivity struct {
	// MedianDiscount is, per architecture (amd64, arm64), the median over the region's instance types with a spot
	// price of 1 - spot/on-demand, both prices of the spot prices' own dataset and date.
	MedianDiscount map[string]float64 `json:"medianDiscount"`
	// InstanceTypes is how many instance types each median is over.
	InstanceTypes map[string]int `json:"instanceTypes"`
	// Source and Date name the dataset the medians are measured on: the spot prices' own, spot and on-demand alike.
	Source    string               `json:"source"`
	Date      string               `json:"date"`
	Scenarios []SpotCappedScenario `json:"scenarios"`
	Note      string               `json:"note"`
}

// SpotCappedScenario is one scenario's steady state with its spot prices capped at the median discount.
type SpotCappedScenario struct {
	Name       string  `json:"name"`
	HourlyUSD  float64 `json:"hourlyUSD"`
	MonthlyUSD float64 `json:"monthlyUSD"`
	// SavingPercent is the saving against the baseline with the capped prices; EstimatedSavingPercent the one the
	// scenario table shows, with the prices as they are.
	SavingPercent          float64 `json:"savingPercent"`
	EstimatedSavingPercent float64 `json:"estimatedSavingPercent"`
	// SpotNodes counts the steady state's spot nodes, CappedNodes those whose price the cap raised.
	SpotNodes   int `json:"spotNodes"`
	CappedNodes int `json:"cappedNodes"`
}

// SpotDepthNote says what the sensitivity is, and what it is not.
const SpotDepthNote = "The same nodes as each scenario's steady state, re-priced (no re-scheduling: with dearer spot Karpenter might choose " +
	"other instance types): each spot price deeper than the region's median spot discount for its architecture is raised to " +
	"(1 - median) × the type's on-demand price as this report prices it; shallower spot prices and on-demand nodes keep theirs. " +
	"The median is over the region's instance types with a spot price, each type counted once, spot and on-demand of the same dataset and date."

// archOf names a catalog architecture as Kubernetes does.
var archOf = map[string]string{catalog.ArchX86: karpv1.ArchitectureAmd64, catalog.ArchARM: karpv1.ArchitectureArm64}

// medianSpotDiscounts returns, per architecture, the median spot discount over region's instance types that have a
// spot price, and how many types each is over. Spot and on-demand are both the base dataset's (catalog.BasePrice),
// so that a discount never compares prices of two dates.
func medianSpotDiscounts(cat *catalog.Catalog, region string) (map[string]float64, map[string]int, error) {
	specs, err := cat.Offered(region)
	if err != nil {
		return nil, nil, err
	}
	discounts := map[string][]float64{}
	for _, s := range specs {
		p, _ := cat.BasePrice(region, s.Name)
		if p.Spot <= 0 || p.OnDemand <= 0 {
			continue
		}
		arch, ok := archOf[s.Arch]
		if !ok {
			return nil, nil, fmt.Errorf("savings: instance type %s has architecture %q; want %s or %s", s.Name, s.Arch, catalog.ArchX86, catalog.ArchARM)
		}
		discounts[arch] = append(discounts[arch], 1-p.Spot/p.OnDemand)
	}
	median, count := map[string]float64{}, map[string]int{}
	for arch, d := range discounts {
		slices.Sort(d)
		m := d[len(d)/2]
		if len(d)%2 == 0 {
			m = (d[len(d)/2-1] + d[len(d)/2]) / 2
		}
		median[arch], count[arch] = round6(m), len(d)
	}
	return median, count, nil
}

// capSpot re-prices nodes with no spot price deeper than median[arch] below the on-demand price cat gives the type:
// the same nodes, in the same order, and how many spot nodes there are and how many the cap raised.
func capSpot(cat *catalog.Catalog, region string, median map[string]float64, nodes []Node) (capped []Node, spot, raised int, err error) {
	capped = slices.Clone(nodes)
	for i, n := range capped {
		if n.CapacityType != karpv1.CapacityTypeSpot {
			continue
		}
		spot++
		d, ok := median[n.Arch]
		if !ok {
			return nil, 0, 0, fmt.Errorf("savings: spot node %s (%s) has no median spot discount in %s; medians: %v", n.InstanceType, n.Arch, region, median)
		}
		p, ok := cat.Price(region, n.InstanceType)
		if !ok || p.OnDemand <= 0 {
			return nil, 0, 0, fmt.Errorf("savings: spot node %s has no on-demand price in %s to cap its spot price against", n.InstanceType, region)
		}
		if floor := round6((1 - d) * p.OnDemand); n.HourlyUSD < floor {
			capped[i].HourlyUSD = floor
			raised++
		}
	}
	return capped, spot, raised, nil
}

// spotSensitivity re-prices the steady states of the named scenarios of r with spot capped at the median discount.
func spotSensitivity(cat *catalog.Catalog, region string, r *Report, names ...string) (*SpotSensitivity, error) {
	median, count, err := medianSpotDiscounts(cat, region)
	if err != nil {
		return nil, err
	}
	base, ok := r.Scenario(Baseline)
	if !ok {
		return nil, fmt.Errorf("savings: spot sensitivity: the report has no %s scenario", Baseline)
	}
	// BasePrice's dataset is the catalog's own, named by Source and Date (the snapshot, or current prices).
	out := &SpotSensitivity{MedianDiscount: median, InstanceTypes: count, Source: cat.Source(), Date: cat.Date(), Note: SpotDepthNote}
	for _, name := range names {
		s, ok := r.Scenario(name)
		if !ok {
			return nil, fmt.Errorf("savings: spot sensitivity: the report has no %s scenario", name)
		}
		steady := s.Steady()
		nodes, spot, raised, err := capSpot(cat, region, median, steady.Nodes)
		if err != nil {
			return nil, err
		}
		c := NewScenario(name, nodes, "")
		out.Scenarios = append(out.Scenarios, SpotCappedScenario{
			Name: name, HourlyUSD: c.HourlyUSD, MonthlyUSD: c.MonthlyUSD,
			SavingPercent:          NewAmount(base.HourlyUSD-c.HourlyUSD, base.HourlyUSD).Percent,
			EstimatedSavingPercent: NewAmount(base.HourlyUSD-steady.HourlyUSD, base.HourlyUSD).Percent,
			SpotNodes:              spot, CappedNodes: raised,
		})
	}
	return out, nil
}

// spotShare is the share of nodes' hourly cost that spot nodes carry, 0 for no cost.
func spotShare(nodes []Node) float64 {
	var total, spot float64
	for _, n := range nodes {
		total += n.HourlyUSD
		if n.CapacityType == karpv1.CapacityTypeSpot {
			spot += n.HourlyUSD
		}
	}
	if total == 0 {
		return 0
	}
	return round6(spot / total)
}

// withPriceSources names, on every node, the source of its price in cat; nodes are changed in place.
func withPriceSources(cat *catalog.Catalog, region string, nodes []Node) error {
	for i, n := range nodes {
		src, ok := cat.PriceSource(region, n.InstanceType, n.CapacityType)
		if !ok {
			return fmt.Errorf("savings: node %s %s has no %s price in %s to name the source of", n.InstanceType, n.Zone, n.CapacityType, region)
		}
		nodes[i].PriceSource = src.ID
	}
	return nil
}
