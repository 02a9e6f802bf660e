package billed

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/costexplorer"
	cetypes "github.com/aws/aws-sdk-go-v2/service/costexplorer/types"
	"github.com/stretchr/testify/require"

	"github.com/karpenter-savings/karpenter-savings/internal/catalog"
)

const region = "us-east-1"

// testCatalog has round numbers so that the baselines can be worked out by hand: m6i.large 2 vCPU/8 GiB at 0.10/h.
func testCatalog(t *testing.T) *catalog.Catalog {
	t.Helper()
	c, err := catalog.New(&catalog.Snapshot{
		Source: "test", Date: "2026-11-01",
		InstanceTypes: []catalog.Spec{
			{Name: "m6i.large", VCPU: 2, MemoryMiB: 8192, Arch: catalog.ArchX86},
			{Name: "m7g.xlarge", VCPU: 4, MemoryMiB: 16384, Arch: catalog.ArchARM},
			{Name: "c7g.2xlarge", VCPU: 8, MemoryMiB: 16384, Arch: catalog.ArchARM},
			{Name: "r7g.large", VCPU: 2, MemoryMiB: 16384, Arch: catalog.ArchARM},
		},
		Regions: map[string]map[string]catalog.Price{region: {"m6i.large": {OnDemand: 0.10}}},
	})
	require.NoError(t, err)
	return c
}

var groupDefs = []GroupDefinition{{Type: "TAG", Key: "karpenter.sh/nodepool"}, {Type: "DIMENSION", Key: "INSTANCE_TYPE"}}

func group(pool, instanceType, unblended, amortized, hours string) Group {
	return Group{Keys: []string{"karpenter.sh/nodepool$" + pool, instanceType}, Metrics: map[string]Metric{
		MetricUnblended: {Amount: unblended, Unit: "USD"},
		MetricAmortized: {Amount: amortized, Unit: "USD"},
		MetricUsage:     {Amount: hours, Unit: "Hrs"},
	}}
}

func page(estimated bool, groups ...Group) Page {
	return Page{GroupDefinitions: groupDefs, ResultsByTime: []ResultByTime{{
		TimePeriod: Interval{Start: "2026-11-01", End: "2026-12-01"}, Groups: groups, Estimated: estimated,
	}}}
}

func TestCompute(t *testing.T) {
	for _, tc := range []struct {
		name      string
		pages     []Page
		pools     []Pool
		karpenter Totals
		untagged  Untagged
		estimated bool
		unknown   []string
	}{{
		// m7g.xlarge is 4/2 = 2 times the vCPU and 16/8 = 2 times the memory of m6i.large: ratio 2, so 10 h are
		// 20 baseline hours × 0.10 = 2.00; billed 1.50, saving 0.50 = 25 %.
		name:      "vCPU and memory ratio equal",
		pages:     []Page{page(false, group("default", "m7g.xlarge", "1.5", "1.4", "10"))},
		pools:     []Pool{{Name: "default", Totals: Totals{BilledUSD: 1.5, AmortizedUSD: 1.4, InstanceHours: 10, BaselineUSD: 2, SavingUSD: 0.5, SavingPct: 25}}},
		karpenter: Totals{BilledUSD: 1.5, AmortizedUSD: 1.4, InstanceHours: 10, BaselineUSD: 2, SavingUSD: 0.5, SavingPct: 25},
		unknown:   []string{},
	}, {
		// c7g.2xlarge: vCPU 8/2 = 4, memory 16/8 = 2 → 4; 5 h → 20 baseline h → 2.00. r7g.large: vCPU 1, memory
		// 16/8 = 2 → 2; 10 h → 20 h → 2.00. Pool arm: billed 1 + 1 = 2, baseline 4, saving 2 = 50 %. Pool default:
		// m7g.xlarge 10 h → 2.00, billed 1.5. Together billed 3.5, baseline 6, saving 2.5 = 41.67 %.
		name: "grouped by pool and type, across two periods",
		pages: []Page{
			page(false, group("arm", "c7g.2xlarge", "0.6", "0.6", "3"), group("default", "m7g.xlarge", "1.5", "1.5", "10")),
			page(false, group("arm", "c7g.2xlarge", "0.4", "0.4", "2"), group("arm", "r7g.large", "1", "1", "10")),
		},
		pools: []Pool{
			{Name: "arm", Totals: Totals{BilledUSD: 2, AmortizedUSD: 2, InstanceHours: 15, BaselineUSD: 4, SavingUSD: 2, SavingPct: 50}},
			{Name: "default", Totals: Totals{BilledUSD: 1.5, AmortizedUSD: 1.5, InstanceHours: 10, BaselineUSD: 2, SavingUSD: 0.5, SavingPct: 25}},
		},
		karpenter: Totals{BilledUSD: 3.5, AmortizedUSD: 3.5, InstanceHours: 25, BaselineUSD: 6, SavingUSD: 2.5, SavingPct: 100 * 2.5 / 6},
		unknown:   []string{},
	}, {
		name:      "untagged usage is not Karpenter's",
		pages:     []Page{page(false, group("", "m6i.large", "9.6", "9.6", "96"), group("default", "m7g.xlarge", "1.5", "1.5", "10"))},
		pools:     []Pool{{Name: "default", Totals: Totals{BilledUSD: 1.5, AmortizedUSD: 1.5, InstanceHours: 10, BaselineUSD: 2, SavingUSD: 0.5, SavingPct: 25}}},
		karpenter: Totals{BilledUSD: 1.5, AmortizedUSD: 1.5, InstanceHours: 10, BaselineUSD: 2, SavingUSD: 0.5, SavingPct: 25},
		untagged:  Untagged{BilledUSD: 9.6, InstanceHours: 96},
		unknown:   []string{},
	}, {
		name:      "an estimated period",
		pages:     []Page{page(false), page(true, group("default", "m7g.xlarge", "1.5", "1.5", "10"))},
		pools:     []Pool{{Name: "default", Totals: Totals{BilledUSD: 1.5, AmortizedUSD: 1.5, InstanceHours: 10, BaselineUSD: 2, SavingUSD: 0.5, SavingPct: 25}}},
		karpenter: Totals{BilledUSD: 1.5, AmortizedUSD: 1.5, InstanceHours: 10, BaselineUSD: 2, SavingUSD: 0.5, SavingPct: 25},
		estimated: true,
		unknown:   []string{},
	}, {
		// The unknown type's 3.00 is billed but has no baseline: billed 4.5, baseline 2, saving -2.5.
		name:      "an instance type the catalog does not know",
		pages:     []Page{page(false, group("default", "m7g.xlarge", "1.5", "1.5", "10"), group("default", "x9z.huge", "3", "3", "1"))},
		pools:     []Pool{{Name: "default", Totals: Totals{BilledUSD: 4.5, AmortizedUSD: 4.5, InstanceHours: 11, BaselineUSD: 2, SavingUSD: -2.5, SavingPct: -125}}},
		karpenter: Totals{BilledUSD: 4.5, AmortizedUSD: 4.5, InstanceHours: 11, BaselineUSD: 2, SavingUSD: -2.5, SavingPct: -125},
		unknown:   []string{"x9z.huge"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Compute(tc.pages, testCatalog(t), Options{Region: region, BaselineType: "m6i.large"})
			require.NoError(t, err)
			require.Len(t, r.Pools, len(tc.pools))
			for i, want := range tc.pools {
				require.Equal(t, want.Name, r.Pools[i].Name)
				requireTotals(t, want.Totals, r.Pools[i].Totals)
			}
			requireTotals(t, tc.karpenter, r.Karpenter)
			require.InDelta(t, tc.untagged.BilledUSD, r.Untagged.BilledUSD, 1e-9, "untagged billed")
			require.InDelta(t, tc.untagged.InstanceHours, r.Untagged.InstanceHours, 1e-9, "untagged hours")
			require.Equal(t, tc.estimated, r.Estimated, "estimated")
			require.Equal(t, tc.unknown, r.UnknownInstanceTypes)
			require.Equal(t, Prices{Source: "test", Date: "2026-11-01", Region: region}, r.Prices)
			notes := strings.Join(r.Notes, "\n")
			require.Contains(t, notes, "capacity-equivalent, not requests-based")
			if tc.estimated {
				require.Contains(t, notes, "estimated")
			}
			for _, u := range tc.unknown {
				require.Contains(t, notes, u)
			}
		})
	}
}

func requireTotals(t *testing.T, want, got Totals) {
	t.Helper()
	require.InDelta(t, want.BilledUSD, got.BilledUSD, 1e-9, "billed")
	require.InDelta(t, want.AmortizedUSD, got.AmortizedUSD, 1e-9, "amortized")
	require.InDelta(t, want.InstanceHours, got.InstanceHours, 1e-9, "hours")
	require.InDelta(t, want.BaselineUSD, got.BaselineUSD, 1e-9, "baseline")
	require.InDelta(t, want.SavingUSD, got.SavingUSD, 1e-9, "saving")
	require.InDelta(t, want.SavingPct, got.SavingPct, 1e-9, "saving %")
}

func TestComputeRejects(t *testing.T) {
	eur := group("default", "m7g.xlarge", "1.5", "1.5", "10")
	eur.Metrics[MetricUnblended] = Metric{Amount: "1.5", Unit: "EUR"}
	wrongKeys := page(false)
	wrongKeys.GroupDefinitions = []GroupDefinition{{Type: "DIMENSION", Key: "INSTANCE_TYPE"}}
	for _, tc := range []struct {
		name  string
		pages []Page
		want  string
	}{
		{"a currency other than USD", []Page{page(false, eur)}, `expected UnblendedCost in USD, found "EUR"`},
		{"other group-by keys", []Page{wrongKeys}, "expected GroupDefinitions [TAG karpenter.sh/nodepool, DIMENSION INSTANCE_TYPE]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Compute(tc.pages, testCatalog(t), Options{Region: region, BaselineType: "m6i.large"})
			require.ErrorContains(t, err, tc.want)
		})
	}
}

func TestDecode(t *testing.T) {
	one := `{"GroupDefinitions":[{"Type":"TAG","Key":"karpenter.sh/nodepool"},{"Type":"DIMENSION","Key":"INSTANCE_TYPE"}],
"ResultsByTime":[{"TimePeriod":{"Start":"2026-11-01","End":"2026-12-01"},"Total":{},"Groups":[{"Keys":["karpenter.sh/nodepool$default","m7g.large"],
"Metrics":{"UnblendedCost":{"Amount":"1.23","Unit":"USD"}}}],"Estimated":true}],"DimensionValueAttributes":[]}`
	for _, tc := range []struct {
		name  string
		in    string
		pages int
		want  string
	}{
		{name: "one page", in: one, pages: 1},
		{name: "an array of pages", in: "[" + one + "," + one + "]", pages: 2},
		{name: "not JSON", in: "Start,End\n2026-11-01,2026-12-01\n", want: "expected a GetCostAndUsage response"},
		{name: "JSON of another shape", in: `{"CostAllocationTags":[]}`, want: "it has no ResultsByTime"},
		{name: "an empty array", in: `[]`, want: "found no pages"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pages, err := Decode(strings.NewReader(tc.in))
			if tc.want != "" {
				require.ErrorContains(t, err, tc.want)
				return
			}
			require.NoError(t, err)
			require.Len(t, pages, tc.pages)
			g := pages[0].ResultsByTime[0].Groups[0]
			require.Equal(t, []string{"karpenter.sh/nodepool$default", "m7g.large"}, g.Keys)
			require.Equal(t, Metric{Amount: "1.23", Unit: "USD"}, g.Metrics[MetricUnblended])
			require.True(t, pages[0].ResultsByTime[0].Estimated)
		})
	}
}

// fakeCE answers GetCostAndUsage with its pages in turn and records the requests.
type fakeCE struct {
	pages []*costexplorer.GetCostAndUsageOutput
	got   []*costexplorer.GetCostAndUsageInput
}

func (f *fakeCE) GetCostAndUsage(_ context.Context, in *costexplorer.GetCostAndUsageInput, _ ...func(*costexplorer.Options)) (*costexplorer.GetCostAndUsageOutput, error) {
	c := *in
	f.got = append(f.got, &c)
	out := f.pages[0]
	f.pages = f.pages[1:]
	return out, nil
}

func sdkPage(token string, pool, instanceType, unblended, hours string) *costexplorer.GetCostAndUsageOutput {
	mv := func(a, u string) cetypes.MetricValue {
		return cetypes.MetricValue{Amount: aws.String(a), Unit: aws.String(u)}
	}
	out := &costexplorer.GetCostAndUsageOutput{
		GroupDefinitions: []cetypes.GroupDefinition{
			{Type: cetypes.GroupDefinitionTypeTag, Key: aws.String("karpenter.sh/nodepool")},
			{Type: cetypes.GroupDefinitionTypeDimension, Key: aws.String("INSTANCE_TYPE")},
		},
		ResultsByTime: []cetypes.ResultByTime{{
			TimePeriod: &cetypes.DateInterval{Start: aws.String("2026-11-01"), End: aws.String("2026-12-01")},
			Groups: []cetypes.Group{{Keys: []string{"karpenter.sh/nodepool$" + pool, instanceType}, Metrics: map[string]cetypes.MetricValue{
				MetricUnblended: mv(unblended, "USD"), MetricAmortized: mv(unblended, "USD"), MetricUsage: mv(hours, "Hrs"),
			}}},
		}},
	}
	if token != "" {
		out.NextPageToken = aws.String(token)
	}
	return out
}

func TestFetchPaginates(t *testing.T) {
	api := &fakeCE{pages: []*costexplorer.GetCostAndUsageOutput{
		sdkPage("page-2", "default", "m7g.xlarge", "1.5", "10"),
		sdkPage("", "default", "m7g.xlarge", "0.5", "5"),
	}}
	q := Query{ClusterName: "cluster-with-karpenter", Start: "2026-11-01", End: "2026-12-01", Granularity: "MONTHLY"}
	pages, err := Fetch(context.Background(), api, q)
	require.NoError(t, err)
	require.Len(t, pages, 2)
	require.Len(t, api.got, 2, "expected one request per page")
	require.Nil(t, api.got[0].NextPageToken, "the first request carries no token")
	require.Equal(t, "page-2", aws.ToString(api.got[1].NextPageToken), "the second request carries the first page's token")

	in := api.got[0]
	require.Equal(t, []string{MetricUnblended, MetricAmortized, MetricUsage}, in.Metrics)
	require.Equal(t, "karpenter.sh/nodepool", aws.ToString(in.GroupBy[0].Key))
	require.Equal(t, "INSTANCE_TYPE", aws.ToString(in.GroupBy[1].Key))
	require.Len(t, in.Filter.And, 3)
	require.Equal(t, "eks:eks-cluster-name", aws.ToString(in.Filter.And[0].Tags.Key))
	require.Equal(t, []string{"cluster-with-karpenter"}, in.Filter.And[0].Tags.Values)
	require.Equal(t, []string{ServiceEC2}, in.Filter.And[1].Dimensions.Values)
	require.Equal(t, []string{UsageGroupRunning}, in.Filter.And[2].Dimensions.Values)

	// 15 h of m7g.xlarge (ratio 2) = 30 baseline h × 0.10 = 3.00, billed 2.00.
	r, err := Compute(pages, testCatalog(t), Options{Region: region, BaselineType: "m6i.large", Requests: len(api.got)})
	require.NoError(t, err)
	requireTotals(t, Totals{BilledUSD: 2, AmortizedUSD: 2, InstanceHours: 15, BaselineUSD: 3, SavingUSD: 1, SavingPct: 100.0 / 3}, r.Karpenter)
	require.Equal(t, 2, r.Requests)
	require.Contains(t, strings.Join(r.Notes, "\n"), "this report made 2, USD 0.02")
}

// 30 days are 720 h: 0.05/h multiarch → 36.00, 0.20/h baseline → 144.00; against 40.00 billed the estimate is
// 4.00 (10 %) low.
func TestPredict(t *testing.T) {
	r := &Report{Period: Period{Start: "2026-11-01", End: "2026-12-01"}, Karpenter: Totals{BilledUSD: 40}}
	require.NoError(t, r.Predict("app.yaml", 0.05, 0.20))
	require.Equal(t, "app.yaml", r.Prediction.Workload)
	require.InDelta(t, 720, r.Prediction.Hours, 1e-9)
	require.InDelta(t, 36, r.Prediction.MultiarchUSD, 1e-9)
	require.InDelta(t, 144, r.Prediction.BaselineUSD, 1e-9)
	require.InDelta(t, -4, r.Prediction.ErrorUSD, 1e-9)
	require.InDelta(t, -10, r.Prediction.ErrorPct, 1e-9)

	bad := &Report{Period: Period{Start: "November", End: "2026-12-01"}}
	require.ErrorContains(t, bad.Predict("app.yaml", 0.05, 0.20), "the bill's period")
}

// The baseline's price names its own source: with Karpenter's generated on-demand prices laid over the snapshot, the
// report must not date it by the snapshot.
func TestComputeNamesTheSourceOfTheBaselinePrice(t *testing.T) {
	laid, _, err := testCatalog(t).WithOnDemand(region, catalog.PriceSource{ID: "table", Source: "a newer table", Date: "2026-07-06"},
		func(string) (float64, bool) { return 0.12, true })
	require.NoError(t, err)
	r, err := Compute([]Page{page(false, group("default", "m7g.xlarge", "1.5", "1.4", "10"))}, laid, Options{Region: region, BaselineType: "m6i.large"})
	require.NoError(t, err)
	require.Equal(t, Prices{Source: "a newer table", Date: "2026-07-06", Region: region}, r.Prices)
	require.Len(t, r.Pools, 1)
	require.InDelta(t, 20*0.12, r.Pools[0].BaselineUSD, 1e-9, "expected 20 baseline hours at the table's price")
}
