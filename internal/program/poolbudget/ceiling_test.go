package poolbudget

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/karpenter-savings/karpenter-savings/internal/catalog"
	"github.com/karpenter-savings/karpenter-savings/internal/program/poolspec"
	"github.com/karpenter-savings/karpenter-savings/internal/program/poolspec/poolspectest"
	"github.com/karpenter-savings/karpenter-savings/internal/savings"
	"github.com/karpenter-savings/karpenter-savings/internal/savings/workload"
)

// smallWorkload is enough for the estimate to run; the ceiling it reports depends only on the pools.
const smallWorkload = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: app
        resources:
          requests: {cpu: 100m, memory: 128Mi}
`

// The guarantee, checked against the savings estimate itself: the spend ceiling it reports for a pool whose limits
// are derived from a budget is within that budget, from the smallest budget a pool accepts to a hundred times it.
func TestEstimatesCeilingStaysWithinTheBudget(t *testing.T) {
	cat, err := catalog.Load()
	require.NoError(t, err)
	w, err := workload.Parse(strings.NewReader(smallWorkload), "web.yaml")
	require.NoError(t, err)
	const region = "us-east-1"
	for _, times := range []float64{1, 7.3, 100} {
		t.Run(fmt.Sprintf("%v times the minimum", times), func(t *testing.T) {
			o := poolspectest.Options()
			budgets := map[string]float64{}
			for name, p := range map[string]*poolspec.PoolSpec{poolspec.Default: &o.Default, poolspec.Graviton: &o.Graviton, poolspec.GPU: &o.GPU} {
				r, err := For(region, name, p.CapacityTypes)
				require.NoError(t, err)
				budgets[name] = MinimumBudget(r) * times
				l, err := Derive(budgets[name], r)
				require.NoError(t, err, "pool %s, budget %v", name, budgets[name])
				p.CPULimit, p.MemoryLimit = l.CPU.String(), l.Memory.String()
			}
			report, err := savings.Estimate(context.Background(), cat, w, savings.Options{
				Region: region, Zones: []string{region + "a", region + "c"}, Pools: o, Now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
			})
			require.NoError(t, err)
			seen := map[string]bool{}
			for _, u := range report.Limits.Pools {
				budget, ok := budgets[u.NodePool]
				if u.Scenario != savings.Multiarch || !ok {
					continue
				}
				seen[u.NodePool] = true
				t.Logf("%s: budget $%.2f, limits %v vCPU / %v GiB, ceiling $%v", u.NodePool, budget, u.LimitVCPU, u.LimitMemoryGiB, *u.CeilingMonthlyUSD)
				require.NotNil(t, u.CeilingMonthlyUSD, "pool %s has limits, so a ceiling", u.NodePool)
				require.LessOrEqual(t, *u.CeilingMonthlyUSD, budget, "pool %s: the estimate's ceiling of limits cpu %v, memory %v GiB is above its budget",
					u.NodePool, u.LimitVCPU, u.LimitMemoryGiB)
			}
			require.Len(t, seen, len(budgets), "expected the multiarch scenario to report every pool's limits, got %+v", report.Limits.Pools)
		})
	}
}
