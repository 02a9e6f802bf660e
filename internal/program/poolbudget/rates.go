package poolbudget

import (
	"bytes"
	_ "embed"
	"encoding/csv"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"sync"

	"k8s.io/apimachinery/pkg/api/resource"
)

// ratesCSV holds, for every region the embedded catalog prices, every pool and every set of capacity types, the
// pool's Rates as the savings estimate's spend ceiling computes them with Karpenter's scheduler requirements and
// Karpenter's AWS instance types. Karpenter is precomputed rather than run so that the program links neither it nor
// the AWS SDK; rates_test.go recomputes the file and fails when it is stale. Prices are written as strconv prints a
// float64 exactly, quantities as resource.Quantity prints them.
//
//go:embed rates.csv
var ratesCSV []byte

// ratesHeader names the columns of rates.csv.
var ratesHeader = []string{"region", "pool", "capacityTypes", "perVCPUHour", "perGiBHour", "smallestType", "smallestCPU", "smallestMemory", "smallestOnDemandHourly"}

// key is a row's identity in rates.csv.
type key struct{ region, pool, capacity string }

// rates is rates.csv by key, decoded on first use.
var rates = sync.OnceValues(func() (map[key]Rates, error) { return decodeRates(ratesCSV) })

// decodeRates reads a table in the format of rates.csv.
func decodeRates(data []byte) (map[key]Rates, error) {
	records, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("poolbudget: read rates.csv: %w", err)
	}
	if len(records) == 0 || !slices.Equal(records[0], ratesHeader) {
		return nil, errors.New("poolbudget: rates.csv does not start with the header " + fmt.Sprint(ratesHeader))
	}
	out := make(map[key]Rates, len(records)-1)
	for _, rec := range records[1:] {
		k := key{region: rec[0], pool: rec[1], capacity: rec[2]}
		row := fmt.Sprintf("%s/%s/%s", k.region, k.pool, k.capacity)
		if _, dup := out[k]; dup {
			return nil, fmt.Errorf("poolbudget: rates.csv lists %s twice", row)
		}
		var r Rates
		for _, c := range []struct {
			column int
			into   *float64
		}{{3, &r.PerVCPUHour}, {4, &r.PerGiBHour}, {8, &r.Smallest.OnDemandHourly}} {
			column := c.column
			v, err := strconv.ParseFloat(rec[column], 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
				return nil, fmt.Errorf("poolbudget: rates.csv, %s: %s %q is not a price", row, ratesHeader[column], rec[column])
			}
			*c.into = v
		}
		r.Smallest.Name = rec[5]
		if r.Smallest.Name != "" {
			for i, q := range []*resource.Quantity{&r.Smallest.CPU, &r.Smallest.Memory} {
				if *q, err = resource.ParseQuantity(rec[6+i]); err != nil {
					return nil, fmt.Errorf("poolbudget: rates.csv, %s: %s: %w", row, ratesHeader[6+i], err)
				}
			}
		} else if rec[6] != "" || rec[7] != "" {
			return nil, fmt.Errorf("poolbudget: rates.csv, %s: no smallest type, but its capacity is %q, %q", row, rec[6], rec[7])
		}
		out[k] = r
	}
	return out, nil
}

// regions are the regions of table, sorted.
func regions(table map[key]Rates) []string {
	var out []string
	for k := range table {
		if !slices.Contains(out, k.region) {
			out = append(out, k.region)
		}
	}
	slices.Sort(out)
	return out
}
