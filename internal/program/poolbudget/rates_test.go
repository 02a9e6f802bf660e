package poolbudget

import (
	"bytes"
	"context"
	"encoding/csv"
	"flag"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	karpv1 "sigs.k8s.io/karpenter/pkg/apis/v1"
	"sigs.k8s.io/karpenter/pkg/cloudprovider"

	"github.com/karpenter-savings/karpenter-savings/internal/catalog"
	"github.com/karpenter-savings/karpenter-savings/internal/program/poolspec"
	"github.com/karpenter-savings/karpenter-savings/internal/program/poolspec/poolspectest"
	"github.com/karpenter-savings/karpenter-savings/internal/savings"
	"github.com/karpenter-savings/karpenter-savings/internal/savings/instancetypes"
	"github.com/karpenter-savings/karpenter-savings/internal/savings/karpenterapi"
)

// update rewrites rates.csv from Karpenter's instance types: go test ./internal/program/poolbudget -run TestRatesTable -update
var update = flag.Bool("update", false, "rewrite rates.csv from Karpenter's instance types")

const regenerate = "go test ./internal/program/poolbudget -run TestRatesTable -update"

// capacitySets are the sets of capacity types a pool may allow, as config accepts them.
var capacitySets = [][]string{{poolspec.CapacityTypeSpot}, {poolspec.CapacityTypeOnDemand}, {poolspec.CapacityTypeOnDemand, poolspec.CapacityTypeSpot}}

// pools builds every pool with capacityTypes through poolspec and karpenterapi, as the savings estimate does. The
// limits are placeholders: the rates do not depend on them.
func pools(t *testing.T, capacityTypes []string) *karpenterapi.Set {
	t.Helper()
	o := poolspectest.Options()
	for _, p := range []*poolspec.PoolSpec{&o.Default, &o.Graviton, &o.GPU} {
		p.CapacityTypes = capacityTypes
	}
	set, err := poolspec.Build(o)
	require.NoError(t, err)
	out, err := karpenterapi.Convert(set)
	require.NoError(t, err)
	return out
}

// ratesOf computes a pool's rates as the savings estimate's ceiling (internal/savings/limits.go) prices a pool: the
// instance types whose requirements intersect the pool's node claim template, each at the highest price of its
// available on-demand offerings, whatever capacity types the pool allows. A spot-only pool still only reaches the
// types that have a spot offering: their requirements carry the capacity types of their offerings. Unlike ceiling,
// every type counts, not only those the pool's limits leave room for: the limits are not known before the rates, and
// the rates of a subset are no higher, so the ceiling of the derived limits stays within the budget.
func ratesOf(np *karpv1.NodePool, its []*cloudprovider.InstanceType) Rates {
	types, perVCPU, perGiB := savings.PoolRates(np, its)
	r := Rates{PerVCPUHour: perVCPU, PerGiBHour: perGiB}
	var smallest *cloudprovider.InstanceType
	for _, t := range types {
		if it := t.Type; smallest == nil || smaller(it, smallest) {
			smallest = it
			r.Smallest = InstanceType{Name: it.Name, CPU: *it.Capacity.Cpu(), Memory: *it.Capacity.Memory(), OnDemandHourly: t.OnDemandHourly}
		}
	}
	return r
}

// smaller orders instance types by vCPUs, then memory, then name.
func smaller(a, b *cloudprovider.InstanceType) bool {
	if c := a.Capacity.Cpu().Cmp(*b.Capacity.Cpu()); c != 0 {
		return c < 0
	}
	if c := a.Capacity.Memory().Cmp(*b.Capacity.Memory()); c != 0 {
		return c < 0
	}
	return a.Name < b.Name
}

// computeRates computes every row of rates.csv with Karpenter.
func computeRates(t *testing.T) map[key]Rates {
	t.Helper()
	cat, err := catalog.Load()
	require.NoError(t, err)
	ctx := instancetypes.WithDefaultOptions(context.Background())
	want := map[key]Rates{}
	for _, region := range cat.Regions() {
		// Every zone of the builder offers every type alike, so one zone gives the rates of any.
		b, err := instancetypes.New(cat, region, []string{region + "a"})
		require.NoError(t, err)
		for _, capacity := range capacitySets {
			set := pools(t, capacity)
			classes := map[string]int{}
			for i, nc := range set.NodeClasses {
				classes[nc.Name] = i
			}
			for _, np := range set.NodePools {
				its := b.For(ctx, set.NodeClasses[classes[np.Spec.Template.Spec.NodeClassRef.Name]])
				want[key{region: region, pool: np.Name, capacity: CapacityKey(capacity)}] = ratesOf(np, its)
			}
		}
	}
	return want
}

// TestRatesTable recomputes rates.csv with Karpenter and fails on any difference.
func TestRatesTable(t *testing.T) {
	want := computeRates(t)
	wantCSV, err := encodeRates(want)
	require.NoError(t, err)
	if *update {
		require.NoError(t, os.WriteFile("rates.csv", wantCSV, 0o644))
		t.Logf("rewrote rates.csv (%d rows); run the tests again to check the embedded copy", len(want))
		return
	}
	got, err := decodeRates(ratesCSV)
	require.NoError(t, err, "rates.csv does not decode; run %s", regenerate)
	var differ []string
	for _, k := range slices.Collect(maps.Keys(want)) {
		if g, ok := got[k]; !ok || !sameRates(g, want[k]) {
			differ = append(differ, k.region+"/"+k.pool+"/"+k.capacity)
		}
	}
	slices.Sort(differ)
	require.Empty(t, differ, "rows of rates.csv missing or not what Karpenter's instance types give; run %s", regenerate)
	require.Len(t, got, len(want), "rates.csv has rows for no region, pool or capacity set of the catalog; run %s", regenerate)
	require.Equal(t, string(wantCSV), string(ratesCSV), "rates.csv is not as the generator writes it; run %s", regenerate)
}

func sameRates(a, b Rates) bool {
	return a.PerVCPUHour == b.PerVCPUHour && a.PerGiBHour == b.PerGiBHour && a.Smallest.Name == b.Smallest.Name &&
		a.Smallest.OnDemandHourly == b.Smallest.OnDemandHourly &&
		a.Smallest.CPU.Cmp(b.Smallest.CPU) == 0 && a.Smallest.Memory.Cmp(b.Smallest.Memory) == 0
}

// The budget's month is the savings estimate's.
func TestHoursPerMonthIsTheEstimates(t *testing.T) {
	require.Equal(t, float64(savings.HoursPerMonth), float64(HoursPerMonth))
}

func TestDecodeRatesRejectsMalformedTables(t *testing.T) {
	header := strings.Join(ratesHeader, ",") + "\n"
	for _, tc := range []struct {
		name, csv, want string
	}{
		{"no header", "", "does not start with the header"},
		{"other header", "region,pool\n", "does not start with the header"},
		{"short row", header + "us-east-1,default,spot\n", "wrong number of fields"},
		{"twice", header + "r,p,spot,1,1,,,,0\nr,p,spot,1,1,,,,0\n", "lists r/p/spot twice"},
		{"price", header + "r,p,spot,cheap,1,,,,0\n", `perVCPUHour "cheap" is not a price`},
		{"negative price", header + "r,p,spot,1,-1,,,,0\n", `perGiBHour "-1" is not a price`},
		{"capacity without a type", header + "r,p,spot,1,1,,2,,0\n", "no smallest type"},
		{"bad quantity", header + "r,p,spot,1,1,m5.large,2,lots,0.096\n", "r/p/spot: smallestMemory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := decodeRates([]byte(tc.csv))
			require.ErrorContains(t, err, tc.want)
		})
	}
}

// encodeRates writes rows in the format decodeRates reads, sorted by region, pool and capacity types.
func encodeRates(rows map[key]Rates) ([]byte, error) {
	keys := slices.SortedFunc(maps.Keys(rows), func(a, b key) int {
		if a.region != b.region {
			return strings.Compare(a.region, b.region)
		}
		if a.pool != b.pool {
			return strings.Compare(a.pool, b.pool)
		}
		return strings.Compare(a.capacity, b.capacity)
	})
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	if err := w.Write(ratesHeader); err != nil {
		return nil, err
	}
	for _, k := range keys {
		r := rows[k]
		cpu, memory := "", ""
		if r.Smallest.Name != "" {
			cpu, memory = r.Smallest.CPU.String(), r.Smallest.Memory.String()
		}
		if err := w.Write([]string{k.region, k.pool, k.capacity, price(r.PerVCPUHour), price(r.PerGiBHour),
			r.Smallest.Name, cpu, memory, price(r.Smallest.OnDemandHourly)}); err != nil {
			return nil, err
		}
	}
	w.Flush()
	return buf.Bytes(), w.Error()
}

func price(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
