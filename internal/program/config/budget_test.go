package config_test

import (
	"encoding/json"
	"maps"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/karpenter-savings/karpenter-savings/internal/program/config"
	"github.com/karpenter-savings/karpenter-savings/internal/program/poolbudget"
)

// withPools is the dev stack with the named pools of its nodePools object replaced by the given JSON: a stack file
// writes nodePools in full, as Pulumi replaces the object default whole.
func withPools(t *testing.T, replace map[string]string) config.Values {
	t.Helper()
	values := maps.Clone(devStack(t))
	key := config.Project + ":" + config.KeyNodePools
	var obj map[string]json.RawMessage
	require.NoError(t, json.Unmarshal([]byte(values[key]), &obj))
	for name := range replace {
		obj[name] = json.RawMessage(`"` + name + `-placeholder"`)
	}
	b, err := json.Marshal(obj)
	require.NoError(t, err)
	// Replaced after marshalling, so that a test can write what is not JSON at all.
	s := string(b)
	for name, v := range replace {
		s = strings.Replace(s, `"`+name+`-placeholder"`, v, 1)
	}
	values[key] = s
	return values
}

// graviton is the dev stack's graviton pool with its limits given by fields (a JSON fragment).
func graviton(fields string) map[string]string {
	if fields != "" {
		fields = "," + fields
	}
	return map[string]string{"graviton": `{"enabled":true,"weight":50,"capacityTypes":["spot","on-demand"]` + fields + `}`}
}

// The dev stack is in us-east-1, where a graviton node of the smallest type, c6g.medium (1 vCPU), needs $53.65 a
// month at the pool's priciest $/vCPU-hour.
func TestLoadRefusesHostileBudgets(t *testing.T) {
	const key = "karpenter-savings:nodePools.graviton.maxMonthlyUSD: "
	for _, tc := range []struct {
		name, fields, want string
	}{
		{"zero", `"maxMonthlyUSD":0`, key + "0 is not allowed: a budget is a positive number of dollars per month"},
		{"negative", `"maxMonthlyUSD":-500`, key + "-500 is not allowed: a budget is a positive number"},
		{"string", `"maxMonthlyUSD":"500"`, key + `"500" is not allowed: write the budget as a number of dollars per month, without quotes`},
		{"word", `"maxMonthlyUSD":"lots"`, key + `"lots" is not allowed`},
		{"null", `"maxMonthlyUSD":null`, key + "null is not allowed"},
		{"boolean", `"maxMonthlyUSD":true`, key + "true is not allowed"},
		{"object", `"maxMonthlyUSD":{"usd":500}`, key + `{"usd":500} is not allowed`},
		{"beyond a float64", `"maxMonthlyUSD":1e400`, key + "+Inf is not allowed: at most 100000000 dollars per month"},
		{"absurdly large", `"maxMonthlyUSD":1e12`, key + "1e+12 is not allowed: at most 100000000 dollars per month"},
		{"below one node", `"maxMonthlyUSD":1`, key + "1 is too small: the smallest type the pool can launch, c6g.medium (1 vCPU, 1835Mi memory, $24.82 per month on demand)"},
		{"a cent below the minimum", `"maxMonthlyUSD":53.64`, key + "53.64 is too small"},
		{"minimum named", `"maxMonthlyUSD":10`, "the minimum budget is 53.65 (allowed are 53.65 to 100000000)"},
		{"budget and the default's limits", `"maxMonthlyUSD":500,"cpu":"32","memory":"64Gi"`,
			key + `500 is set together with cpu "32" and memory "64Gi": the pool's limits come either from its budget or from cpu and memory; remove cpu and memory from karpenter-savings:nodePools.graviton`},
		{"budget and a cpu limit", `"maxMonthlyUSD":500,"cpu":"32"`, key + `500 is set together with cpu "32" and memory ""`},
		{"cpu without memory", `"cpu":"32"`, `karpenter-savings:nodePools.graviton.memory: "" is not a positive memory quantity`},
		{"budget and a memory limit", `"maxMonthlyUSD":500,"memory":"64Gi"`, key + `500 is set together with cpu "" and memory "64Gi"`},
		{"neither budget nor limits", ``, `karpenter-savings:nodePools.graviton: sets no limits: set cpu and memory (e.g. "16" and "32Gi"), or maxMonthlyUSD to derive them from a budget`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := config.Load(withPools(t, graviton(tc.fields)).Lookup)
			require.ErrorContains(t, err, tc.want)
		})
	}
}

// NaN and infinities are not JSON: the object does not decode, and the error names nodePools.
func TestLoadRefusesNonJSONNumbers(t *testing.T) {
	for _, v := range []string{"NaN", "Infinity", "-Infinity", "0x10"} {
		_, err := config.Load(withPools(t, graviton(`"maxMonthlyUSD":`+v)).Lookup)
		require.ErrorContains(t, err, "karpenter-savings:nodePools: ", v)
	}
}

func TestLoadDerivesLimitsFromTheBudget(t *testing.T) {
	values := withPools(t, map[string]string{
		"graviton": `{"enabled":true,"weight":50,"capacityTypes":["spot","on-demand"],"maxMonthlyUSD":500}`,
		"gpu":      `{"enabled":true,"weight":100,"capacityTypes":["on-demand","spot"],"maxMonthlyUSD":2000.5,"gpu":"2"}`,
	})
	c, err := config.Load(values.Lookup)
	require.NoError(t, err)
	o := c.NodePoolOptions("al2023@v20251120", "ami-0123456789abcdef0")

	// us-east-1's graviton rates: $0.07348 per vCPU-hour, $0.03482158 per GiB-hour. 500/730/0.07348 = 9.3213 vCPUs
	// and 500/730/0.03482158 = 19.6697 GiB = 20141.8 MiB, both rounded down.
	require.Equal(t, "9321m", o.Graviton.CPULimit)
	require.Equal(t, "20141Mi", o.Graviton.MemoryLimit)
	r, err := poolbudget.For("us-east-1", "gpu", []string{"spot", "on-demand"})
	require.NoError(t, err)
	gpu, err := poolbudget.Derive(2000.5, r)
	require.NoError(t, err)
	require.Equal(t, gpu.CPU.String(), o.GPU.CPULimit)
	require.Equal(t, gpu.Memory.String(), o.GPU.MemoryLimit)
	require.Equal(t, "2", o.GPU.GPULimit, "the gpu limit is independent of the budget")
	require.Equal(t, "16", o.Default.CPULimit, "a pool without a budget keeps its limits")
	require.Equal(t, "32Gi", o.Default.MemoryLimit)
}

// A disabled pool is not checked, as its other fields are not.
func TestLoadIgnoresTheBudgetOfADisabledPool(t *testing.T) {
	values := withPools(t, map[string]string{"gpu": `{"enabled":false,"maxMonthlyUSD":-1,"cpu":"16"}`})
	_, err := config.Load(values.Lookup)
	require.NoError(t, err)
}
