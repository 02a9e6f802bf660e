package savings

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestJSONHasTheDocumentedShape(t *testing.T) {
	r := estimate(t, smallCatalog(t), deployment("web", 4, "900m", "2Gi", "")+gpuJob, options(t))
	raw, err := json.Marshal(r)
	require.NoError(t, err)
	var doc struct {
		Scenarios  []map[string]json.RawMessage `json:"scenarios"`
		Savings    map[string]json.RawMessage   `json:"savings"`
		Prices     map[string]any               `json:"prices"`
		PriceFloor map[string]any               `json:"priceFloor"`
		Limits     map[string]json.RawMessage   `json:"limits"`
		Advice     map[string]json.RawMessage   `json:"advice"`
	}
	require.NoError(t, json.Unmarshal(raw, &doc))
	require.Len(t, doc.Scenarios, 4)
	for _, s := range doc.Scenarios {
		for _, key := range []string{"name", "hourlyUSD", "monthlyUSD", "nodes"} {
			require.Contains(t, s, key, "expected every scenario to have %q", key)
		}
		var nodes []map[string]any
		require.NoError(t, json.Unmarshal(s["nodes"], &nodes))
		for _, n := range nodes {
			for _, key := range []string{"instanceType", "capacityType", "arch", "zone", "pods", "hourlyUSD", "priceSource", "workloads"} {
				require.Contains(t, n, key, "expected every node to have %q", key)
			}
		}
	}
	for _, key := range []string{"total", "byCause", "method"} {
		require.Contains(t, doc.Savings, key, "expected savings to have %q", key)
	}
	sources, ok := doc.Prices["sources"].([]any)
	require.True(t, ok, "expected prices.sources to be a list, got %v", doc.Prices["sources"])
	require.Len(t, sources, 2, "expected the snapshot named for on-demand and for spot")
	delete(doc.Prices, "sources")
	require.Equal(t, map[string]any{"source": "hand-made test prices, data of 2025-01-01", "date": "2025-01-01", "region": "us-east-1", "basis": Basis, "ageDays": float64(31)}, doc.Prices)
	require.Contains(t, string(raw), `"spotSensitivity":{"medianDiscount":`, "expected the spot sensitivity in the JSON")
	for _, key := range []string{"hourlyUSD", "monthlyUSD", "note"} {
		require.Contains(t, doc.PriceFloor, key, "expected priceFloor to have %q", key)
	}
	require.Contains(t, doc.Limits, "pools")
	require.Contains(t, doc.Limits, "pending")
	require.Contains(t, doc.Advice, "multiArchImages")
}

func TestTableStatesBasisSourceAndEveryFigure(t *testing.T) {
	r := estimate(t, smallCatalog(t), deployment("web", 4, "900m", "2Gi", ""), options(t))
	var b bytes.Buffer
	require.NoError(t, WriteTable(&b, r))
	out := b.String()
	for _, want := range []string{Basis, "hand-made test prices", "2025-01-01", "us-east-1", Baseline, LabDefault, Multiarch, LowerBound,
		CausePacking, CauseGraviton, CauseSpot, "1 × m7g.xlarge", Method, "(31 days old)",
		"Pods by workload", "Deployment default/web", "4 × graviton/arm64/spot", "price floor", "LIMITS"} {
		require.Contains(t, out, want, "expected the table to show %q", want)
	}
}

func TestChartIsSVGWithEveryScenarioAndCause(t *testing.T) {
	r := estimate(t, smallCatalog(t), deployment("web", 4, "900m", "2Gi", ""), options(t))
	var b bytes.Buffer
	require.NoError(t, WriteChart(&b, r))
	dec := xml.NewDecoder(bytes.NewReader(b.Bytes()))
	var texts []string
	var root string
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err, "expected well-formed SVG")
		switch el := tok.(type) {
		case xml.StartElement:
			if root == "" {
				root = el.Name.Local
			}
		case xml.CharData:
			if s := strings.TrimSpace(string(el)); s != "" {
				texts = append(texts, s)
			}
		}
	}
	require.Equal(t, "svg", root)
	all := strings.Join(texts, "\n")
	for _, want := range []string{Baseline, Multiarch, LabDefault, LowerBound, "− " + CauseSpot, "− " + CauseGraviton, "− " + CausePacking, Basis, "2025-01-01"} {
		require.Contains(t, all, want, "expected the chart to label %q", want)
	}
}

func TestMoneyGroupsThousands(t *testing.T) {
	for _, tc := range []struct {
		in   float64
		want string
	}{
		{0, "0.00"}, {70.08, "70.08"}, {3220.756, "3,220.76"}, {1234567.8, "1,234,567.80"}, {-1562.17, "-1,562.17"},
	} {
		require.Equal(t, tc.want, money(tc.in), "money(%v)", tc.in)
	}
}

func TestTableWarnsAboutOldPrices(t *testing.T) {
	o := options(t)
	o.Now = o.Now.AddDate(0, 3, 0) // 2025-05-01: 120 days after the test prices' 2025-01-01
	r := estimate(t, smallCatalog(t), deployment("web", 4, "900m", "2Gi", ""), o)
	require.Equal(t, 120, r.Prices.AgeDays)
	var b bytes.Buffer
	require.NoError(t, WriteTable(&b, r))
	require.Contains(t, b.String(), "Warning: the on-demand prices are 120 days old, the spot prices are 120 days old (more than 90)")

	fresh := estimate(t, smallCatalog(t), deployment("web", 4, "900m", "2Gi", ""), options(t))
	b.Reset()
	require.NoError(t, WriteTable(&b, fresh))
	require.NotContains(t, b.String(), "Warning", "expected no warning for 31-day-old prices")

	// JSON reports carry the same warning.
	j, err := json.Marshal(r.Prices)
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(j, &doc))
	require.Contains(t, doc["warning"], "120 days old")
	j, err = json.Marshal(fresh.Prices)
	require.NoError(t, err)
	require.NotContains(t, string(j), "warning")
}
