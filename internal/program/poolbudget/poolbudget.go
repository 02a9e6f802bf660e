// Package poolbudget turns a node pool's monthly dollar budget into cpu and memory limits the pool cannot spend more
// than at on-demand list price (kubernetes-sigs/karpenter#1215). The rates it needs come from Karpenter's own view of
// the instance types, precomputed into rates.csv, so that the config package links no Karpenter and no AWS SDK.
package poolbudget

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"
)

// HoursPerMonth is the month a budget covers, the savings estimate's (savings.HoursPerMonth; a test keeps them equal).
const HoursPerMonth = 730

// MaxMonthlyUSD is the largest budget accepted: a hundred million dollars a month is no budget anyone means, and it
// keeps every derived limit far inside a Kubernetes quantity (int64 bytes and millicores).
const MaxMonthlyUSD = 1e8

const (
	mi  = 1 << 20
	gib = 1 << 30
)

// InstanceType is one instance type as Karpenter sees it: its capacity and its on-demand list price.
type InstanceType struct {
	Name string
	// CPU and Memory are Karpenter's capacity of the type (memory after the VM overhead), what a pool's limits count.
	CPU, Memory resource.Quantity
	// OnDemandHourly is the type's on-demand list price in $/hour; 0 when it has no on-demand offering.
	OnDemandHourly float64
}

// Rates are what a pool's budget is divided by, for one region, pool and set of capacity types.
type Rates struct {
	// PerVCPUHour is the priciest on-demand $/vCPU-hour among the types the pool can launch.
	PerVCPUHour float64
	// PerGiBHour is the priciest on-demand $/GiB-hour of capacity memory among them.
	PerGiBHour float64
	// Smallest is the type with the fewest vCPUs, then the least memory, then the first name; a budget must hold one.
	// Its Name is empty when the pool can launch no type at all.
	Smallest InstanceType
}

// Limits are a pool's derived cpu and memory limits.
type Limits struct {
	CPU, Memory resource.Quantity
}

// CapacityKey names a set of capacity types as rates.csv does: the types sorted and joined by "+", e.g.
// "on-demand+spot".
func CapacityKey(capacityTypes []string) string {
	s := slices.Clone(capacityTypes)
	slices.Sort(s)
	return strings.Join(s, "+")
}

// For returns the rates of pool (default, graviton or gpu) in region when it launches capacityTypes.
func For(region, pool string, capacityTypes []string) (Rates, error) {
	table, err := rates()
	if err != nil {
		return Rates{}, err
	}
	r, ok := table[key{region: region, pool: pool, capacity: CapacityKey(capacityTypes)}]
	if !ok {
		return Rates{}, fmt.Errorf("rates.csv has no row for pool %s with capacity types %s in region %s (the embedded price snapshot covers %s)",
			pool, CapacityKey(capacityTypes), region, strings.Join(regions(table), ", "))
	}
	return r, nil
}

// Derive turns a monthly budget into limits: cpu = budget / 730 / PerVCPUHour, rounded down to a millicore, and
// memory = budget / 730 / PerGiBHour, rounded down to a MiB. Each limit alone then keeps the pool's nodes at or under
// the budget per month, since no type it launches costs more per vCPU or per GiB. The returned error explains why the
// budget is refused: not a finite positive number, above MaxMonthlyUSD, or too small for one node of the smallest
// type the pool can launch.
func Derive(budget float64, r Rates) (Limits, error) {
	switch {
	case math.IsNaN(budget) || budget <= 0:
		return Limits{}, fmt.Errorf("%v is not allowed: a budget is a positive number of dollars per month (e.g. 500)", budget)
	case budget > MaxMonthlyUSD:
		return Limits{}, fmt.Errorf("%v is not allowed: at most %.0f dollars per month are accepted", budget, float64(MaxMonthlyUSD))
	case r.Smallest.Name == "" || r.PerVCPUHour <= 0 || r.PerGiBHour <= 0:
		return Limits{}, fmt.Errorf("%v cannot be turned into limits: the pool can launch no instance type with an on-demand price in this region and with these capacity types", budget)
	}
	l := limits(budget, r)
	if l.CPU.Cmp(r.Smallest.CPU) < 0 || l.Memory.Cmp(r.Smallest.Memory) < 0 {
		return Limits{}, fmt.Errorf("%v is too small: the smallest type the pool can launch, %s (%s vCPU, %s memory, $%.2f per month on demand), would not fit under the limits it gives (cpu %s, memory %s), which are priced at the priciest rates of the types the pool can launch ($%.6g per vCPU-hour, $%.6g per GiB-hour); the minimum budget is %.2f (allowed are %.2f to %.0f)",
			budget, r.Smallest.Name, r.Smallest.CPU.String(), r.Smallest.Memory.String(), r.Smallest.OnDemandHourly*HoursPerMonth,
			l.CPU.String(), l.Memory.String(), r.PerVCPUHour, r.PerGiBHour, MinimumBudget(r), MinimumBudget(r), float64(MaxMonthlyUSD))
	}
	return l, nil
}

// MinimumBudget is the smallest budget, in whole cents, whose limits hold one node of r.Smallest.
func MinimumBudget(r Rates) float64 {
	cpu := r.Smallest.CPU.AsApproximateFloat64() * r.PerVCPUHour
	memMiB := math.Ceil(r.Smallest.Memory.AsApproximateFloat64() / mi)
	memory := memMiB * mi / gib * r.PerGiBHour
	cents := math.Ceil(max(cpu, memory) * HoursPerMonth * 100)
	for ; cents < MaxMonthlyUSD*100; cents++ {
		// Rounding of the division in limits can leave a budget at the exact boundary a unit short.
		l := limits(cents/100, r)
		if l.CPU.Cmp(r.Smallest.CPU) >= 0 && l.Memory.Cmp(r.Smallest.Memory) >= 0 {
			break
		}
	}
	return cents / 100
}

// limits divides budget by the rates, rounding down, and steps a unit back where the float product would still round
// above the budget, so that cpu × PerVCPUHour × 730 ≤ budget holds as the savings estimate computes it.
func limits(budget float64, r Rates) Limits {
	hourly := budget / HoursPerMonth
	cpu := func(milli int64) resource.Quantity { return *resource.NewMilliQuantity(milli, resource.DecimalSI) }
	memory := func(mib int64) resource.Quantity { return *resource.NewQuantity(mib*mi, resource.BinarySI) }
	milli := int64(math.Floor(hourly / r.PerVCPUHour * 1000))
	for q := cpu(milli); milli > 0 && spend(q.AsApproximateFloat64(), r.PerVCPUHour) > budget; q = cpu(milli) {
		milli--
	}
	mib := int64(math.Floor(hourly / r.PerGiBHour * 1024))
	for q := memory(mib); mib > 0 && spend(q.AsApproximateFloat64()/gib, r.PerGiBHour) > budget; q = memory(mib) {
		mib--
	}
	return Limits{CPU: cpu(milli), Memory: memory(mib)}
}

// spend is the monthly cost of units at rate per unit-hour, rounded to the micro-dollar as the savings estimate
// rounds its ceiling.
func spend(units, rate float64) float64 {
	return math.Round(units*rate*HoursPerMonth*1e6) / 1e6
}
