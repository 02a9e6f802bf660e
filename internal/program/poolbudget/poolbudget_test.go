package poolbudget

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/api/resource"
)

// tiny is a synthetic pool: $0.05 per vCPU-hour, $0.01 per GiB-hour, and a smallest type of 1 vCPU and 1894Mi
// that costs $0.04 an hour ($29.20 a month).
var tiny = Rates{
	PerVCPUHour: 0.05,
	PerGiBHour:  0.01,
	Smallest:    InstanceType{Name: "c9.medium", CPU: resource.MustParse("1"), Memory: resource.MustParse("1894Mi"), OnDemandHourly: 0.04},
}

// The numbers by hand, for budget B: B/730 dollars an hour buy B/730/0.05 vCPUs and B/730/0.01 GiB.
func TestDeriveByHand(t *testing.T) {
	for _, tc := range []struct {
		budget      float64
		cpu, memory string
	}{
		// 100/730 = 0.1369863 $/h: 2.739726 vCPUs → 2739m (2.739 × 0.05 × 730 = $99.97); 13.69863 GiB = 14027.4 MiB
		// → 14027Mi (14027/1024 × 0.01 × 730 = $99.997).
		{100, "2739m", "14027Mi"},
		// 36.5/730 = 0.05 $/h: exactly 1 vCPU and 5 GiB, nothing rounded away.
		{36.5, "1", "5Gi"},
		// $1 an hour: 20 vCPUs and 100 GiB.
		{730, "20", "100Gi"},
		// 1e8/730 = 136986.3014 $/h: 2739726.027 vCPUs → 2739726027m; 13698630.14 GiB = 14027397260.3 MiB.
		{MaxMonthlyUSD, "2739726027m", "14027397260Mi"},
	} {
		l, err := Derive(tc.budget, tiny)
		require.NoError(t, err, "budget %v", tc.budget)
		require.Equal(t, tc.cpu, l.CPU.String(), "cpu limit of budget %v", tc.budget)
		require.Equal(t, tc.memory, l.Memory.String(), "memory limit of budget %v", tc.budget)
		// The guarantee, computed as the savings estimate computes a ceiling.
		require.LessOrEqual(t, spend(l.CPU.AsApproximateFloat64(), tiny.PerVCPUHour), tc.budget, "cpu limit %s of budget %v", l.CPU.String(), tc.budget)
		require.LessOrEqual(t, spend(l.Memory.AsApproximateFloat64()/gib, tiny.PerGiBHour), tc.budget, "memory limit %s of budget %v", l.Memory.String(), tc.budget)
	}
}

// One vCPU of the smallest type at $0.05 is $36.50 a month, more than its 1894Mi at $0.01 per GiB ($13.50): the
// budget must hold the vCPU, at the pool's priciest rate, although the type itself costs $29.20.
func TestMinimumBudget(t *testing.T) {
	require.InDelta(t, 36.5, MinimumBudget(tiny), 1e-9)
	_, err := Derive(36.5, tiny)
	require.NoError(t, err)
	_, err = Derive(36.49, tiny)
	require.ErrorContains(t, err, "36.49 is too small: the smallest type the pool can launch, c9.medium (1 vCPU, 1894Mi memory, $29.20 per month on demand)")
	require.ErrorContains(t, err, "the minimum budget is 36.50 (allowed are 36.50 to 100000000)")

	memoryBound := tiny
	memoryBound.PerGiBHour = 0.05 // 1894/1024 GiB × 0.05 × 730 = $67.51: the memory limit decides
	require.InDelta(t, 67.52, MinimumBudget(memoryBound), 1e-9)
	l, err := Derive(MinimumBudget(memoryBound), memoryBound)
	require.NoError(t, err)
	require.GreaterOrEqual(t, l.Memory.Cmp(memoryBound.Smallest.Memory), 0, "memory limit %s holds 1894Mi", l.Memory.String())
	_, err = Derive(67.51, memoryBound)
	require.ErrorContains(t, err, "67.51 is too small")
}

func TestDeriveRefusesHostileBudgets(t *testing.T) {
	for _, tc := range []struct {
		name   string
		budget float64
		want   string
	}{
		{"zero", 0, "0 is not allowed: a budget is a positive number"},
		{"negative", -5, "-5 is not allowed: a budget is a positive number"},
		{"NaN", math.NaN(), "NaN is not allowed"},
		{"infinity", math.Inf(1), "+Inf is not allowed: at most 100000000 dollars per month"},
		{"negative infinity", math.Inf(-1), "-Inf is not allowed: a budget is a positive number"},
		{"above the maximum", MaxMonthlyUSD * 1.5, "1.5e+08 is not allowed: at most 100000000 dollars per month"},
		{"largest float", math.MaxFloat64, "is not allowed: at most 100000000 dollars per month"},
		{"below one node", 1, "1 is too small"},
		{"smallest positive", math.SmallestNonzeroFloat64, "is too small"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Derive(tc.budget, tiny)
			require.ErrorContains(t, err, tc.want)
		})
	}
}

// A pool that can launch nothing, as a spot-only pool in a region the snapshot has no spot prices for, has no rates.
func TestDeriveWithoutInstanceTypes(t *testing.T) {
	_, err := Derive(500, Rates{})
	require.ErrorContains(t, err, "500 cannot be turned into limits: the pool can launch no instance type")
}

func TestForReadsTheTable(t *testing.T) {
	r, err := For("us-east-1", "graviton", []string{"spot", "on-demand"})
	require.NoError(t, err)
	same, err := For("us-east-1", "graviton", []string{"on-demand", "spot"})
	require.NoError(t, err)
	require.Equal(t, r, same, "the order of capacity types does not matter")
	require.NotEmpty(t, r.Smallest.Name)
	require.Positive(t, r.PerVCPUHour)
	require.Positive(t, r.PerGiBHour)

	_, err = For("xx-test-1", "graviton", []string{"spot"})
	require.ErrorContains(t, err, "rates.csv has no row for pool graviton with capacity types spot in region xx-test-1")
}
