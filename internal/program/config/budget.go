package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/karpenter-savings/karpenter-savings/internal/program/poolbudget"
)

// budgetSet reports whether the pool sets maxMonthlyUSD at all.
func (p Pool) budgetSet() bool { return len(p.MaxMonthlyUSD) > 0 }

// budget parses maxMonthlyUSD, which must be a JSON number: a string, null, an object or anything else is refused
// here rather than by the JSON decoder, so that the error names the pool's key. A number too large for a float64
// parses as infinity, which poolbudget.Derive refuses with the allowed range.
func (p Pool) budget() (float64, error) {
	raw := bytes.TrimSpace(p.MaxMonthlyUSD)
	var number json.Number
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err == nil {
		number, _ = v.(json.Number)
	}
	if number == "" {
		return 0, fmt.Errorf("%s is not allowed: write the budget as a number of dollars per month, without quotes (e.g. 500)", truncate(string(raw)))
	}
	// A JSON number always parses; beyond a float64's range it parses as ±Inf (or 0), which Derive refuses.
	f, _ := strconv.ParseFloat(number.String(), 64)
	return f, nil
}

// poolLimits derives the cpu and memory limits of the pool name from its maxMonthlyUSD, at the rates of region and
// the pool's capacity types.
func poolLimits(region, name string, p Pool) (poolbudget.Limits, error) {
	budget, err := p.budget()
	if err != nil {
		return poolbudget.Limits{}, err
	}
	rates, err := poolbudget.For(region, name, p.CapacityTypes)
	if err != nil {
		return poolbudget.Limits{}, fmt.Errorf("%v cannot be turned into limits: %w", budget, err)
	}
	return poolbudget.Derive(budget, rates)
}
