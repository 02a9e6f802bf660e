package billed

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/costexplorer"
	cetypes "github.com/aws/aws-sdk-go-v2/service/costexplorer/types"
	"github.com/stretchr/testify/require"

	"github.com/karpenter-savings/karpenter-savings/internal/catalog"
	"github.com/karpenter-savings/karpenter-savings/internal/savings/pricetable"
)

const region = "us-east-1"

// testCatalog has round numbers so that the baselines can be worked out by hand: m6i.large 2 vCPU/8 GiB at 0.10/h,
// g5.xlarge 4 vCPU/16 GiB/1 GPU at 1.00/h.
func testCatalog(t *testing.T) *catalog.Catalog {
	t.Helper()
	c, err := catalog.New(&catalog.Snapshot{
		Source: "test", Date: "2026-11-01",
		InstanceTypes: []catalog.Spec{
			{Name: "m6i.large", VCPU: 2, MemoryMiB: 8192, Arch: catalog.ArchX86},
			{Name: "m7g.xlarge", VCPU: 4, MemoryMiB: 16384, Arch: catalog.ArchARM},
			{Name: "c7g.2xlarge", VCPU: 8, MemoryMiB: 16384, Arch: catalog.ArchARM},
			{Name: "r7g.large", VCPU: 2, MemoryMiB: 16384, Arch: catalog.ArchARM},
			{Name: "g5.xlarge", VCPU: 4, MemoryMiB: 16384, Arch: catalog.ArchX86, GPUCount: 1, GPUManufacturer: "NVIDIA", GPUName: "A10G"},
			{Name: "g5.2xlarge", VCPU: 8, MemoryMiB: 32768, Arch: catalog.ArchX86, GPUCount: 1, GPUManufacturer: "NVIDIA", GPUName: "A10G"},
			{Name: "g5.12xlarge", VCPU: 48, MemoryMiB: 196608, Arch: catalog.ArchX86, GPUCount: 4, GPUManufacturer: "NVIDIA", GPUName: "A10G"},
			{Name: "g4dn.xlarge", VCPU: 4, MemoryMiB: 16384, Arch: catalog.ArchX86, GPUCount: 1, GPUManufacturer: "NVIDIA", GPUName: "T4"},
			{Name: "p4d.24xlarge", VCPU: 96, MemoryMiB: 1179648, Arch: catalog.ArchX86, GPUCount: 8, GPUManufacturer: "NVIDIA", GPUName: "A100"},
			{Name: "inf2.xlarge", VCPU: 4, MemoryMiB: 16384, Arch: catalog.ArchX86, NeuronDevices: 1, NeuronName: "Inferentia2"},
		},
		Regions: map[string]map[string]catalog.Price{region: {
			"m6i.large": {OnDemand: 0.10}, "g5.xlarge": {OnDemand: 1.00}, "g5.2xlarge": {OnDemand: 1.20}, "g5.12xlarge": {OnDemand: 5.60},
			"g4dn.xlarge": {OnDemand: 0.50}, "p4d.24xlarge": {OnDemand: 32}, "inf2.xlarge": {OnDemand: 0.75},
		}},
	})
	require.NoError(t, err)
	return c
}

var (
	groupDefs          = []GroupDefinition{{Type: "TAG", Key: "karpenter.sh/nodepool"}, {Type: "DIMENSION", Key: "INSTANCE_TYPE"}}
	nodeGroupGroupDefs = []GroupDefinition{{Type: "TAG", Key: "eks:cluster-name"}, {Type: "DIMENSION", Key: "INSTANCE_TYPE"}}
	testOptions        = Options{Region: region, BaselineType: "m6i.large", BaselineGPUType: "g5.xlarge", ClusterName: "cluster-with-karpenter"}
)

func group(pool, instanceType, unblended, amortized, hours string) Group {
	return Group{Keys: []string{"karpenter.sh/nodepool$" + pool, instanceType}, Metrics: map[string]Metric{
		MetricUnblended: {Amount: unblended, Unit: "USD"},
		MetricAmortized: {Amount: amortized, Unit: "USD"},
		MetricUsage:     {Amount: hours, Unit: "Hrs"},
	}}
}

// unblendedOnly is g as a response saved with `--metrics UnblendedCost UsageQuantity` has it.
func unblendedOnly(g Group) Group {
	delete(g.Metrics, MetricAmortized)
	return g
}

func page(estimated bool, groups ...Group) Page {
	return Page{GroupDefinitions: groupDefs, ResultsByTime: []ResultByTime{{
		TimePeriod: Interval{Start: "2026-11-01", End: "2026-12-01"}, Groups: groups, Estimated: estimated,
	}}}
}

// nodeGroupPage is a page of the node group's query, one group per instance type of cluster.
func nodeGroupPage(cluster string, groups ...Group) Page {
	p := page(false)
	p.GroupDefinitions = nodeGroupGroupDefs
	for _, g := range groups {
		g.Keys = []string{"eks:cluster-name$" + cluster, g.Keys[1]}
		p.ResultsByTime[0].Groups = append(p.ResultsByTime[0].Groups, g)
	}
	return p
}

// want is a Totals as the tests state it: noSaving when savingUSD and savingPct must be null.
type want struct {
	unblended, amortized, cost, hours, baseline, noBaseline, saving, pct float64
	noSaving                                                             bool
}

// same is a pool whose unblended and amortized costs are equal.
func same(cost, hours, baseline float64) want {
	return want{unblended: cost, amortized: cost, cost: cost, hours: hours, baseline: baseline, saving: baseline - cost, pct: 100 * (baseline - cost) / baseline}
}

func TestCompute(t *testing.T) {
	for _, tc := range []struct {
		name      string
		pages     []Page
		pools     map[string]want
		karpenter want
		estimated bool
		noBase    []string
	}{{
		// m7g.xlarge is 4/2 = 2 times the vCPU and 16/8 = 2 times the memory of m6i.large: ratio 2, so 10 h are
		// 20 baseline hours × 0.10 = 2.00; cost (amortized) 1.40, saving 0.60 = 30 %.
		name:      "vCPU and memory ratio equal",
		pages:     []Page{page(false, group("default", "m7g.xlarge", "1.5", "1.4", "10"))},
		pools:     map[string]want{"default": {unblended: 1.5, amortized: 1.4, cost: 1.4, hours: 10, baseline: 2, saving: 0.6, pct: 30}},
		karpenter: want{unblended: 1.5, amortized: 1.4, cost: 1.4, hours: 10, baseline: 2, saving: 0.6, pct: 30},
	}, {
		// c7g.2xlarge: vCPU 8/2 = 4, memory 16/8 = 2 → 4; 5 h → 20 baseline h → 2.00. r7g.large: vCPU 1, memory
		// 16/8 = 2 → 2; 10 h → 20 h → 2.00. Pool arm: cost 1 + 1 = 2, baseline 4, saving 2 = 50 %. Pool default:
		// m7g.xlarge 10 h → 2.00, cost 1.5. Together cost 3.5, baseline 6, saving 2.5 = 41.67 %.
		name: "grouped by pool and type, across two periods",
		pages: []Page{
			page(false, group("arm", "c7g.2xlarge", "0.6", "0.6", "3"), group("default", "m7g.xlarge", "1.5", "1.5", "10")),
			page(false, group("arm", "c7g.2xlarge", "0.4", "0.4", "2"), group("arm", "r7g.large", "1", "1", "10")),
		},
		pools:     map[string]want{"arm": same(2, 15, 4), "default": same(1.5, 10, 2)},
		karpenter: same(3.5, 25, 6),
	}, {
		name:      "Karpenter's usage without a node pool tag is in no pool",
		pages:     []Page{page(false, group("", "m7g.xlarge", "0.8", "0.8", "10"), group("default", "m7g.xlarge", "1.5", "1.5", "10"))},
		pools:     map[string]want{"default": same(1.5, 10, 2)},
		karpenter: same(1.5, 10, 2),
	}, {
		name:      "an estimated period",
		pages:     []Page{page(false), page(true, group("default", "m7g.xlarge", "1.5", "1.5", "10"))},
		pools:     map[string]want{"default": same(1.5, 10, 2)},
		karpenter: same(1.5, 10, 2),
		estimated: true,
	}, {
		// The unknown type's 3.00 is shown but left out of the saving: 2 baseline − 1.5 = 0.5, 25 % of 2.
		name:      "an instance type the catalog does not know",
		pages:     []Page{page(false, group("default", "m7g.xlarge", "1.5", "1.5", "10"), group("default", "x9z.huge", "3", "3", "1"))},
		pools:     map[string]want{"default": {unblended: 4.5, amortized: 4.5, cost: 4.5, hours: 11, baseline: 2, noBaseline: 3, saving: 0.5, pct: 25}},
		karpenter: want{unblended: 4.5, amortized: 4.5, cost: 4.5, hours: 11, baseline: 2, noBaseline: 3, saving: 0.5, pct: 25},
		noBase:    []string{"x9z.huge"},
	}, {
		// Every hour of pool new is of a type the catalog does not know: no saving at all, not 0 %.
		name:      "a pool whose hours are all of unknown types",
		pages:     []Page{page(false, group("default", "m7g.xlarge", "1.5", "1.5", "10"), group("new", "x9z.huge", "3", "3", "1"))},
		pools:     map[string]want{"default": same(1.5, 10, 2), "new": {unblended: 3, amortized: 3, cost: 3, hours: 1, noBaseline: 3, noSaving: true}},
		karpenter: want{unblended: 4.5, amortized: 4.5, cost: 4.5, hours: 11, baseline: 2, noBaseline: 3, saving: 0.5, pct: 25},
		noBase:    []string{"x9z.huge"},
	}, {
		// g5.xlarge on demand is the GPU baseline itself: 100 h × 1.00 against 100 h × 1.00, 0 %. Against the
		// m6i.large baseline it would be max(4/2, 16/8) = 2 × 0.10 × 100 = 20, a saving of −400 %.
		name:      "a GPU pool on the GPU baseline type, on demand",
		pages:     []Page{page(false, group("gpu", "g5.xlarge", "100", "100", "100"))},
		pools:     map[string]want{"gpu": same(100, 100, 100)},
		karpenter: same(100, 100, 100),
	}, {
		// g5.2xlarge (8 vCPU, 32 GiB, 1 GPU): the smallest g5 that holds it is itself, 1.20/h: 10 h on demand save
		// nothing. g4dn.xlarge (4, 16, 1 GPU) fits g5.xlarge: 10 h → 10.00 against 5.00 billed.
		name:      "a GPU type counts as the smallest size of the GPU family that holds it",
		pages:     []Page{page(false, group("gpu", "g5.2xlarge", "12", "12", "10"), group("gpu", "g4dn.xlarge", "5", "5", "10"))},
		pools:     map[string]want{"gpu": same(17, 20, 22)},
		karpenter: same(17, 20, 22),
	}, {
		// p4d.24xlarge (8 GPUs, 96 vCPU, 1152 GiB) fits no g5 size of the catalog. The multiples of each size:
		// g5.xlarge max(8/1, 96/4, 1152/16) = 72 → 72.00/h; g5.2xlarge max(8, 12, 36) = 36 → 43.20/h; g5.12xlarge
		// max(8/4, 96/48, 1152/192) = 6 → 33.60/h, the cheapest; 1 h billed 32.
		name:      "a GPU type no size of the family holds",
		pages:     []Page{page(false, group("gpu", "p4d.24xlarge", "32", "32", "1"))},
		pools:     map[string]want{"gpu": same(32, 1, 33.6)},
		karpenter: same(32, 1, 33.6),
	}, {
		name:      "Neuron devices have no baseline",
		pages:     []Page{page(false, group("inf", "inf2.xlarge", "7.5", "7.5", "10"), group("default", "m7g.xlarge", "1.5", "1.5", "10"))},
		pools:     map[string]want{"default": same(1.5, 10, 2), "inf": {unblended: 7.5, amortized: 7.5, cost: 7.5, hours: 10, noBaseline: 7.5, noSaving: true}},
		karpenter: want{unblended: 9, amortized: 9, cost: 9, hours: 20, baseline: 2, noBaseline: 7.5, saving: 0.5, pct: 25},
		noBase:    []string{"inf2.xlarge"},
	}, {
		// A Savings Plan covers pool steady's 10 h of m7g.xlarge: the usage line bills 0 (unblended), the plan's
		// fee amortized over them is 1.20. Against 2.00 of baseline the saving is 0.80 = 40 %, not 100 %.
		name:      "a Savings-Plan-covered pool gets its amortized saving",
		pages:     []Page{page(false, group("steady", "m7g.xlarge", "0", "1.2", "10"))},
		pools:     map[string]want{"steady": {unblended: 0, amortized: 1.2, cost: 1.2, hours: 10, baseline: 2, saving: 0.8, pct: 40}},
		karpenter: want{unblended: 0, amortized: 1.2, cost: 1.2, hours: 10, baseline: 2, saving: 0.8, pct: 40},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Compute(tc.pages, testCatalog(t), testOptions)
			require.NoError(t, err)
			require.Equal(t, MetricAmortized, r.CostMetric)
			require.Len(t, r.Pools, len(tc.pools))
			for _, p := range r.Pools {
				w, ok := tc.pools[p.Name]
				require.True(t, ok, "unexpected pool %q", p.Name)
				requireTotals(t, w, p.Totals)
			}
			requireTotals(t, tc.karpenter, r.Karpenter)
			require.Equal(t, tc.estimated, r.Estimated, "estimated")
			require.False(t, r.Incomplete, "incomplete")
			var noBase []string
			for _, it := range r.InstanceTypes {
				if it.NoBaseline != "" {
					noBase = append(noBase, it.Name)
					require.Nil(t, it.BaselineHourlyUSD, "%s has no baseline", it.Name)
				}
			}
			require.Equal(t, tc.noBase, noBase)
			require.Equal(t, Prices{Source: "test", Date: "2026-11-01", Region: region}, r.Prices)
			notes := strings.Join(r.Notes, "\n")
			require.Contains(t, notes, "capacity-equivalent, not requests-based")
			require.Contains(t, notes, "The cost is AmortizedCost")
			require.Contains(t, notes, "A commitment's unused part", "expected the note to say that unused commitment is in no pool")
			if tc.estimated {
				require.Contains(t, notes, "estimated")
			}
			for _, u := range tc.noBase {
				require.Contains(t, notes, u)
			}
			for _, it := range r.InstanceTypes {
				if it.Name == "p4d.24xlarge" {
					require.Equal(t, "6.00 × g5.12xlarge", it.BaselineAs)
					require.Contains(t, notes, "No g5 size holds p4d.24xlarge: each hour counts as the cheapest multiple of one g5 size")
				}
			}
		})
	}
}

func requireTotals(t *testing.T, want want, got Totals) {
	t.Helper()
	require.InDelta(t, want.unblended, got.UnblendedUSD, 1e-9, "unblended")
	require.NotNil(t, got.AmortizedUSD, "amortized")
	require.InDelta(t, want.amortized, *got.AmortizedUSD, 1e-9, "amortized")
	require.InDelta(t, want.cost, got.CostUSD, 1e-9, "cost")
	require.InDelta(t, want.hours, got.InstanceHours, 1e-9, "hours")
	require.InDelta(t, want.baseline, got.BaselineUSD, 1e-9, "baseline")
	require.InDelta(t, want.noBaseline, got.NoBaselineUSD, 1e-9, "no-baseline cost")
	if want.noSaving {
		require.Nil(t, got.SavingUSD, "saving USD")
		require.Nil(t, got.SavingPct, "saving %")
		require.Contains(t, got.NoSaving, "no hour of it has a baseline")
		return
	}
	require.Empty(t, got.NoSaving)
	require.NotNil(t, got.SavingPct, "saving %")
	require.InDelta(t, want.saving, *got.SavingUSD, 1e-9, "saving")
	require.InDelta(t, want.pct, *got.SavingPct, 1e-9, "saving %")
}

// A response saved without AmortizedCost is read, and the report says that its cost is UnblendedCost.
func TestComputeWithoutAmortizedCost(t *testing.T) {
	r, err := Compute([]Page{page(false, unblendedOnly(group("steady", "m7g.xlarge", "0.5", "", "10")))}, testCatalog(t), testOptions)
	require.NoError(t, err)
	require.Equal(t, MetricUnblended, r.CostMetric)
	p := r.Pools[0]
	require.Nil(t, p.AmortizedUSD, "no amortized cost in the response")
	require.InDelta(t, 0.5, p.CostUSD, 1e-9)
	require.InDelta(t, 75, *p.SavingPct, 1e-9, "(2.00 − 0.50) / 2.00")
	require.Contains(t, strings.Join(r.Notes, "\n"), "The cost is UnblendedCost: the response has no AmortizedCost")
	var out strings.Builder
	require.NoError(t, WriteTable(&out, r))
	require.Contains(t, out.String(), "cost = UnblendedCost")
}

func TestComputeIncomplete(t *testing.T) {
	withToken := func(p Page) Page {
		p.NextPageToken = "AAMA-next"
		return p
	}
	first := page(false, group("default", "m7g.xlarge", "1.5", "1.5", "10"))
	second := page(false, group("default", "m7g.xlarge", "0.5", "0.5", "5"))
	for _, tc := range []struct {
		name       string
		pages      []Page
		incomplete string
	}{
		{"every page, the last without a token", []Page{withToken(first), second}, ""},
		{"one page that has a token", []Page{withToken(first)}, "Karpenter's (tag eks:eks-cluster-name)"},
		{"the node group's last page has a token", []Page{first, withToken(nodeGroupPage("cluster-with-karpenter", group("", "m7g.xlarge", "1", "1", "10")))},
			"the managed node group's (tag eks:cluster-name)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Compute(tc.pages, testCatalog(t), testOptions)
			require.NoError(t, err)
			require.Equal(t, tc.incomplete != "", r.Incomplete)
			var out strings.Builder
			require.NoError(t, WriteTable(&out, r))
			if tc.incomplete == "" {
				require.NotContains(t, out.String(), "INCOMPLETE")
				return
			}
			require.Contains(t, out.String(), "INCOMPLETE (a last page has a NextPageToken)")
			require.Contains(t, strings.Join(r.Notes, "\n"), "INCOMPLETE: the last page of "+tc.incomplete+" query still carries a NextPageToken")
		})
	}
}

// The node group's query is reported apart from Karpenter's pools, with the same baseline.
func TestComputeNodeGroup(t *testing.T) {
	karpenter := page(false, group("default", "m7g.xlarge", "1.5", "1.5", "10"))
	// 20 h of m7g.xlarge (ratio 2) → 40 baseline h × 0.10 = 4.00; cost 2.40, saving 1.60 = 40 %.
	ng := nodeGroupPage("cluster-with-karpenter", group("", "m7g.xlarge", "2.4", "2.4", "20"))
	r, err := Compute([]Page{karpenter, ng}, testCatalog(t), testOptions)
	require.NoError(t, err)
	require.NotNil(t, r.NodeGroup)
	require.Equal(t, "cluster-with-karpenter", r.NodeGroup.Cluster)
	requireTotals(t, same(2.4, 20, 4), r.NodeGroup.Totals)
	requireTotals(t, same(1.5, 10, 2), r.Karpenter)
	require.Len(t, r.Pools, 1, "the node group is not a pool")
	var out strings.Builder
	require.NoError(t, WriteTable(&out, r))
	require.Regexp(t, `node group\s+20\.0\s+2\.40\s+2\.40\s+0\.00\s+4\.00\s+1\.60\s+40\.0`, out.String())

	r, err = Compute([]Page{karpenter}, testCatalog(t), testOptions)
	require.NoError(t, err)
	require.Nil(t, r.NodeGroup, "no node group query among the pages")
	require.Contains(t, strings.Join(r.Notes, "\n"), "no answer to the managed node group's query")

	r, err = Compute([]Page{karpenter, nodeGroupPage("cluster-with-karpenter")}, testCatalog(t), testOptions)
	require.NoError(t, err)
	require.NotNil(t, r.NodeGroup, "the node group's query answered, with no rows")
	require.Zero(t, r.NodeGroup.InstanceHours)
	require.Contains(t, strings.Join(r.Notes, "\n"), "The managed node group's query (tag eks:cluster-name = cluster-with-karpenter) answered no hours")

	_, err = Compute([]Page{karpenter, nodeGroupPage("another-cluster", group("", "m7g.xlarge", "1", "1", "1"))}, testCatalog(t), testOptions)
	require.ErrorContains(t, err, `the managed node group's rows name the cluster "another-cluster" (tag eks:cluster-name), the stack's is "cluster-with-karpenter"`)
}

// A region without the GPU baseline's price leaves GPU hours without a baseline, and the others with theirs.
func TestComputeGPUBaselineNotPriced(t *testing.T) {
	c := testCatalog(t)
	c, err := c.WithPrices(region, "test", "2026-11-01", func(name string) (catalog.Price, bool) {
		p, ok := map[string]catalog.Price{"m6i.large": {OnDemand: 0.10}, "g4dn.xlarge": {OnDemand: 0.50}}[name]
		return p, ok
	})
	require.NoError(t, err)
	r, err := Compute([]Page{page(false, group("gpu", "g4dn.xlarge", "5", "5", "10"), group("default", "m7g.xlarge", "1.5", "1.5", "10"))}, c, testOptions)
	require.NoError(t, err)
	for _, it := range r.InstanceTypes {
		if it.Name == "g4dn.xlarge" {
			require.Equal(t, "the GPU baseline g5.xlarge (--baseline-gpu-type) has no on-demand price in us-east-1", it.NoBaseline)
		}
	}
	requireTotals(t, same(1.5, 10, 2), r.Pools[0].Totals)
	require.Nil(t, r.Pools[1].SavingPct, "pool gpu")
}

func TestComputeRejects(t *testing.T) {
	eur := group("default", "m7g.xlarge", "1.5", "1.5", "10")
	eur.Metrics[MetricUnblended] = Metric{Amount: "1.5", Unit: "EUR"}
	noUnits := group("default", "m7g.xlarge", "1.5", "1.5", "10")
	noUnits.Metrics[MetricUsage] = Metric{Amount: "10", Unit: "N/A"}
	wrongKeys := page(false)
	wrongKeys.GroupDefinitions = []GroupDefinition{{Type: "DIMENSION", Key: "INSTANCE_TYPE"}}
	for _, tc := range []struct {
		name  string
		pages []Page
		o     Options
		want  string
	}{
		{"a currency other than USD", []Page{page(false, eur)}, testOptions, `expected UnblendedCost in USD (the baseline's prices are in USD), found "EUR"`},
		{"usage in mixed units", []Page{page(false, noUnits)}, testOptions, `expected UsageQuantity in Hrs`},
		{"other group-by keys", []Page{wrongKeys}, testOptions, "expected GroupDefinitions [TAG karpenter.sh/nodepool, DIMENSION INSTANCE_TYPE] (Karpenter's query) or [TAG eks:cluster-name, DIMENSION INSTANCE_TYPE]"},
		{"AmortizedCost in some groups only", []Page{page(false, group("default", "m7g.xlarge", "1.5", "1.5", "10"), unblendedOnly(group("arm", "m7g.xlarge", "1", "", "1")))}, testOptions,
			"1 groups carry AmortizedCost and 1 do not"},
		{"only the node group's pages", []Page{nodeGroupPage("cluster-with-karpenter", group("", "m7g.xlarge", "1", "1", "1"))}, testOptions, "expected the pages of Karpenter's query"},
		{"a GPU baseline type without GPUs", []Page{page(false)}, Options{Region: region, BaselineType: "m6i.large", BaselineGPUType: "m7g.xlarge"},
			"baseline GPU type m7g.xlarge (--baseline-gpu-type): has no GPU in the catalog"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Compute(tc.pages, testCatalog(t), tc.o)
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
	ng := sdkPage("", "default", "t4g.medium", "1", "10")
	ng.GroupDefinitions[0].Key = aws.String("eks:cluster-name")
	ng.ResultsByTime[0].Groups[0].Keys = []string{"eks:cluster-name$cluster-with-karpenter", "m7g.xlarge"}
	api := &fakeCE{pages: []*costexplorer.GetCostAndUsageOutput{
		sdkPage("page-2", "default", "m7g.xlarge", "1.5", "10"),
		sdkPage("", "default", "m7g.xlarge", "0.5", "5"),
		ng,
	}}
	q := Query{ClusterName: "cluster-with-karpenter", Start: "2026-11-01", End: "2026-12-01", Granularity: "MONTHLY"}
	pages, err := Fetch(context.Background(), api, q)
	require.NoError(t, err)
	require.Len(t, pages, 3)
	require.Len(t, api.got, 3, "expected one request per page, Karpenter's two and the node group's one")
	require.Nil(t, api.got[0].NextPageToken, "the first request carries no token")
	require.Equal(t, "page-2", aws.ToString(api.got[1].NextPageToken), "the second request carries the first page's token")
	require.Nil(t, api.got[2].NextPageToken, "the node group's query starts from its own first page")

	for i, tc := range []struct{ filter, group string }{{"eks:eks-cluster-name", "karpenter.sh/nodepool"}, {"eks:cluster-name", "eks:cluster-name"}} {
		in := api.got[2*i]
		require.Equal(t, []string{MetricUnblended, MetricAmortized, MetricUsage}, in.Metrics, "both costs are asked for")
		require.Equal(t, tc.group, aws.ToString(in.GroupBy[0].Key))
		require.Equal(t, "INSTANCE_TYPE", aws.ToString(in.GroupBy[1].Key))
		require.Len(t, in.Filter.And, 3)
		require.Equal(t, tc.filter, aws.ToString(in.Filter.And[0].Tags.Key))
		require.Equal(t, []string{"cluster-with-karpenter"}, in.Filter.And[0].Tags.Values)
		require.Equal(t, []string{ServiceEC2}, in.Filter.And[1].Dimensions.Values)
		require.Equal(t, []string{UsageGroupRunning}, in.Filter.And[2].Dimensions.Values)
	}

	// 15 h of m7g.xlarge (ratio 2) = 30 baseline h × 0.10 = 3.00, cost 2.00; the node group's 10 h = 2.00, cost 1.
	r, err := Compute(pages, testCatalog(t), Options{Region: region, BaselineType: "m6i.large", BaselineGPUType: "g5.xlarge", Requests: len(api.got)})
	require.NoError(t, err)
	requireTotals(t, same(2, 15, 3), r.Karpenter)
	require.NotNil(t, r.NodeGroup)
	requireTotals(t, same(1, 10, 2), r.NodeGroup.Totals)
	require.False(t, r.Incomplete)
	require.Equal(t, 3, r.Requests)
	require.Contains(t, strings.Join(r.Notes, "\n"), "this report made 3, USD 0.03")
}

// 30 days are 720 h: 0.05/h multiarch → 36.00, 0.20/h baseline → 144.00; against the pools' cost of 40.00 (the
// report's CostMetric, not the 30.00 unblended) the estimate is 4.00 (10 %) low.
func TestPredict(t *testing.T) {
	r := &Report{Period: Period{Start: "2026-11-01", End: "2026-12-01"}, CostMetric: MetricAmortized, Karpenter: Totals{UnblendedUSD: 30, CostUSD: 40}}
	require.NoError(t, r.Predict("app.yaml", 0.05, 0.20, "spot table, data of 2025-05-28"))
	require.Equal(t, "app.yaml", r.Prediction.Workload)
	require.InDelta(t, 720, r.Prediction.Hours, 1e-9)
	require.InDelta(t, 36, r.Prediction.MultiarchUSD, 1e-9)
	require.InDelta(t, 144, r.Prediction.BaselineUSD, 1e-9)
	require.InDelta(t, -4, r.Prediction.ErrorUSD, 1e-9)
	require.InDelta(t, -10, r.Prediction.ErrorPct, 1e-9)
	require.Equal(t, "spot table, data of 2025-05-28", r.Prediction.Prices)
	require.Contains(t, r.Notes[len(r.Notes)-1], "Its prices: spot table, data of 2025-05-28.", "expected the note to name the estimate's prices")

	bad := &Report{Period: Period{Start: "November", End: "2026-12-01"}}
	require.ErrorContains(t, bad.Predict("app.yaml", 0.05, 0.20, ""), "the bill's period")
}

// The baseline's price names its own source: with Karpenter's generated on-demand prices laid over the snapshot, the
// report must not date it by the snapshot.
func TestComputeNamesTheSourceOfTheBaselinePrice(t *testing.T) {
	laid, _, err := testCatalog(t).WithOnDemand(region, catalog.PriceSource{ID: "table", Source: "a newer table", Date: "2026-07-06"},
		func(string) (float64, bool) { return 0.12, true })
	require.NoError(t, err)
	r, err := Compute([]Page{page(false, group("default", "m7g.xlarge", "1.5", "1.4", "10"))}, laid, testOptions)
	require.NoError(t, err)
	require.Equal(t, Prices{Source: "a newer table", Date: "2026-07-06", Region: region}, r.Prices)
	require.Len(t, r.Pools, 1)
	require.InDelta(t, 20*0.12, r.Pools[0].BaselineUSD, 1e-9, "expected 20 baseline hours at the table's price")
}

// On the embedded catalog with Karpenter's on-demand table, a GPU type no g5 size holds, billed at its own on-demand
// price, is set against a capacity-equivalent of g5 nodes near that price, not against 72 g5.xlarge for a p4d's
// memory (a 70 % "saving" at list price). p4d.24xlarge: 9 × g5.8xlarge (1 GPU, 32 vCPU, 128 GiB each) hold its 1152
// GiB at 22.032/h, against 21.957642 billed.
func TestComputeSpreadsABigGPUTypeOnItsCheapestMultiple(t *testing.T) {
	cat, err := catalog.Load()
	require.NoError(t, err)
	cat, err = pricetable.Overlay(cat, region)
	require.NoError(t, err)
	p4d, ok := cat.Price(region, "p4d.24xlarge")
	require.True(t, ok)
	g58, ok := cat.Price(region, "g5.8xlarge")
	require.True(t, ok)
	amount := strconv.FormatFloat(p4d.OnDemand, 'f', -1, 64)
	r, err := Compute([]Page{page(false, group("gpu", "p4d.24xlarge", amount, amount, "1"))}, cat, testOptions)
	require.NoError(t, err)
	require.Len(t, r.InstanceTypes, 1)
	require.Equal(t, "9.00 × g5.8xlarge", r.InstanceTypes[0].BaselineAs)
	require.InDelta(t, 9*g58.OnDemand, r.Pools[0].BaselineUSD, 1e-9)
	require.InDelta(t, 0, *r.Pools[0].SavingPct, 1, "expected a p4d at its on-demand price to save about nothing, got %.1f %%", *r.Pools[0].SavingPct)
}

// estimate's baseline places a GPU pod on the GPU baseline type when it holds the pod, and only else on the family's
// smallest size that does: with --baseline-gpu-type g5.2xlarge, a g4dn.xlarge (4 vCPU, 16 GiB, 1 GPU) hour and a
// g5.xlarge hour are g5.2xlarge hours (1.20/h), not g5.xlarge hours (1.00/h), which no estimate would have used.
func TestComputeTriesTheGPUBaselineTypeFirst(t *testing.T) {
	o := testOptions
	o.BaselineGPUType = "g5.2xlarge"
	r, err := Compute([]Page{page(false, group("gpu", "g4dn.xlarge", "5", "5", "10"), group("gpu", "g5.xlarge", "10", "10", "10"))}, testCatalog(t), o)
	require.NoError(t, err)
	for _, it := range r.InstanceTypes {
		require.Equal(t, "1 × g5.2xlarge", it.BaselineAs, "%s", it.Name)
	}
	requireTotals(t, same(15, 20, 24), r.Pools[0].Totals)
}

// Cost Explorer writes UsageQuantity {"Amount": "0", "Unit": "N/A"} for a group with no usage line that has a unit: it
// is read as 0 hours and its cost kept, a cost of the pool's m7g.xlarge like the others; N/A beside hours is still
// refused, in TestComputeRejects.
func TestComputeReadsNoHoursWithoutAUnit(t *testing.T) {
	zero := group("default", "m7g.xlarge", "0.3", "0.3", "0")
	zero.Metrics[MetricUsage] = Metric{Amount: "0", Unit: "N/A"}
	r, err := Compute([]Page{page(false, group("default", "m7g.xlarge", "1.5", "1.5", "10")), page(false, zero)}, testCatalog(t), testOptions)
	require.NoError(t, err)
	require.Len(t, r.Pools, 1)
	require.InDelta(t, 10, r.Pools[0].InstanceHours, 1e-9)
	require.InDelta(t, 1.8, r.Pools[0].CostUSD, 1e-9, "expected the group's cost kept")
	require.InDelta(t, 2, r.Pools[0].BaselineUSD, 1e-9)
	require.InDelta(t, 0.2, *r.Pools[0].SavingUSD, 1e-9)
}
