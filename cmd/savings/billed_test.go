package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/costexplorer"
	cetypes "github.com/aws/aws-sdk-go-v2/service/costexplorer/types"
	"github.com/stretchr/testify/require"

	"github.com/karpenter-savings/karpenter-savings/internal/savings/billed"
)

// billedFixture is a saved two-page GetCostAndUsage response of the dev stack's cluster, relative to the repository.
var billedFixture = filepath.Join("cmd", "savings", "testdata", "billed-ce.json")

// The replay is shown in docs/savings.md, so it must be what the tool prints now: go test ./cmd/savings -run
// TestBilledGolden -update rewrites it.
func TestBilledGolden(t *testing.T) {
	out := filepath.Join("examples", "billed-replay.out")
	args := []string{"billed", "--ce-json", billedFixture}
	t.Chdir(repo)
	defer func(was func() time.Time) { now = was }(now)
	now = func() time.Time { return goldenDate }

	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, &stdout, &stderr)
	require.Equal(t, 0, code, "expected success, stderr: %s", stderr.String())
	session := "$ go run ./cmd/savings " + strings.Join(args, " ") + "\n" + stdout.String()
	if *update {
		require.NoError(t, os.WriteFile(out, []byte(session), 0o644))
	}
	want, err := os.ReadFile(out)
	require.NoError(t, err, "expected the golden file %s; run go test ./cmd/savings -run TestBilledGolden -update", out)
	if d := firstDifference(string(want), session); d != "" {
		t.Errorf("%s is not what savings billed writes now: %s\nif the change is intended, run go test ./cmd/savings -run TestBilledGolden -update and commit the file", out, d)
	}
}

// replayJSON runs billed --json on a replay with extra args and decodes the report.
func replayJSON(t *testing.T, fixture string, args ...string) billed.Report {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), append([]string{"billed", "--ce-json", fixture, "--json"}, args...), &stdout, &stderr)
	require.Equal(t, 0, code, "expected success, stderr: %s", stderr.String())
	var r billed.Report
	require.NoError(t, json.Unmarshal(stdout.Bytes(), &r))
	return r
}

// billedPools indexes a report's pools by name.
func billedPools(r billed.Report) map[string]billed.Pool {
	out := map[string]billed.Pool{}
	for _, p := range r.Pools {
		out[p.Name] = p
	}
	return out
}

// The fixture's figures worked out by hand, with the snapshot's us-east-1 prices: m6i.large USD 0.096/h (2 vCPU,
// 8 GiB), g5.xlarge USD 1.006/h (4 vCPU, 16 GiB, 1 GPU). The cost is AmortizedCost, which the fixture has.
// default: m7i.large (2/8, ratio 1) 300 h → 300 × 0.096 = 28.80 baseline, cost 10.05 (spot).
// gpu: g5.xlarge 720 h on demand → 720 × 1.006 = 724.32 baseline, cost 724.32: 0 %.
// graviton: c7g.xlarge (4/8: vCPU ratio 2) 200 h → 400 h; m7g.xlarge (4/16: ratio 2) 400 h → 800 h; together
// 1200 h × 0.096 = 115.20 baseline; cost 11.44 + 27.50 + 0.80 (m9g.large, not in the catalog, left out of the
// saving) = 39.74; saving 115.20 − 38.94 = 76.26.
// preview: only m9g.xlarge, not in the catalog: no saving.
// steady: m7i.xlarge (ratio 2) 720 h → 1440 h × 0.096 = 138.24; a Savings Plan covers 700 h, so the usage lines bill
// 4.032 unblended (20 h on demand) and 105.6384 amortized: saving 32.6016.
// untagged: m7g.large 20 h, 1.632 against 1.92, in no pool.
// node group (eks:cluster-name): t4g.medium 1440 h and c7g.large 48 h (2/4, ratio 1) → 1488 × 0.096 = 142.848,
// cost 15.84 + 1.7472 = 17.5872.
func TestBilledReplayJSON(t *testing.T) {
	t.Chdir(repo)
	r := replayJSON(t, billedFixture)
	require.Equal(t, billed.MetricAmortized, r.CostMetric)
	// The baseline's prices as the report names them: the snapshot's 0.096 and 1.006 today; a later price source
	// moves the baselines, not the rules these lines check.
	base, gpu := r.Baseline.HourlyUSD, r.Baseline.GPUHourlyUSD
	require.Equal(t, "m6i.large", r.Baseline.Type)
	require.Equal(t, "g5.xlarge", r.Baseline.GPUType)
	require.Positive(t, base)
	require.Positive(t, gpu)
	p := billedPools(r)
	require.Len(t, p, 5)
	require.InDelta(t, 300*base, p["default"].BaselineUSD, 1e-9)
	require.InDelta(t, 10.05, p["default"].CostUSD, 1e-9)

	require.InDelta(t, 720*gpu, p["gpu"].BaselineUSD, 1e-9)
	require.InDelta(t, 0, *p["gpu"].SavingPct, 1, "a GPU pool on the GPU baseline type on demand saves about nothing")

	require.InDelta(t, 1200*base, p["graviton"].BaselineUSD, 1e-9)
	require.InDelta(t, 42.24, p["graviton"].UnblendedUSD, 1e-9)
	require.InDelta(t, 39.74, p["graviton"].CostUSD, 1e-9)
	require.InDelta(t, 0.80, p["graviton"].NoBaselineUSD, 1e-9)
	require.InDelta(t, 1200*base-38.94, *p["graviton"].SavingUSD, 1e-9)

	require.Nil(t, p["preview"].SavingPct, "no percentage for a pool whose hours are all of unknown types")
	require.Nil(t, p["preview"].SavingUSD)
	require.Contains(t, p["preview"].NoSaving, "m9g.xlarge")
	require.Contains(t, strings.Join(r.Notes, "\n"), "Pool preview shows no saving, not 0 %: no hour of it has a baseline (m9g.xlarge).")

	require.InDelta(t, 4.032, p["steady"].UnblendedUSD, 1e-9)
	require.InDelta(t, 105.6384, *p["steady"].AmortizedUSD, 1e-9)
	require.InDelta(t, 1440*base-105.6384, *p["steady"].SavingUSD, 1e-9, "the amortized saving of a Savings-Plan-covered pool")

	require.InDelta(t, 887.7084, r.Karpenter.CostUSD, 1e-9)
	require.InDelta(t, (300+1200+1440)*base+720*gpu-(887.7084-8.76), *r.Karpenter.SavingUSD, 1e-9)
	require.InDelta(t, 1.632, r.Untagged.CostUSD, 1e-9)
	require.InDelta(t, 20, r.Untagged.InstanceHours, 1e-9)

	require.NotNil(t, r.NodeGroup)
	require.Equal(t, "cluster-with-karpenter", r.NodeGroup.Cluster)
	require.InDelta(t, 1488, r.NodeGroup.InstanceHours, 1e-9)
	require.InDelta(t, 17.5872, r.NodeGroup.CostUSD, 1e-9)
	require.InDelta(t, 1488*base, r.NodeGroup.BaselineUSD, 1e-9)

	require.True(t, r.Estimated)
	require.False(t, r.Incomplete)
	var none []string
	for _, it := range r.InstanceTypes {
		if it.NoBaseline != "" {
			none = append(none, it.Name)
		}
	}
	require.Equal(t, []string{"m9g.large", "m9g.xlarge"}, none)
	require.Equal(t, billed.Period{Start: "2026-11-01", End: "2026-12-01", Granularity: "MONTHLY"}, r.Period)
	require.Equal(t, "g5.xlarge", r.Baseline.GPUType)
	require.Equal(t, "us-east-1", r.Prices.Region)
	require.Equal(t, 0, r.Requests)
}

// rewriteFixture writes the fixture, decoded and changed by edit, to a temporary file.
func rewriteFixture(t *testing.T, edit func(pages []map[string]any)) string {
	t.Helper()
	data, err := os.ReadFile(billedFixture)
	require.NoError(t, err)
	var pages []map[string]any
	require.NoError(t, json.Unmarshal(data, &pages))
	edit(pages)
	out, err := json.Marshal(pages)
	require.NoError(t, err)
	p := filepath.Join(t.TempDir(), "ce.json")
	require.NoError(t, os.WriteFile(p, out, 0o600))
	return p
}

// A response saved with `aws ce get-cost-and-usage --metrics UnblendedCost UsageQuantity` is read, and the report
// says its cost is UnblendedCost: steady's covered hours then look nearly free.
func TestBilledReplayWithoutAmortizedCost(t *testing.T) {
	t.Chdir(repo)
	fixture := rewriteFixture(t, func(pages []map[string]any) {
		for _, p := range pages {
			for _, rt := range p["ResultsByTime"].([]any) {
				for _, g := range rt.(map[string]any)["Groups"].([]any) {
					delete(g.(map[string]any)["Metrics"].(map[string]any), billed.MetricAmortized)
				}
			}
		}
	})
	r := replayJSON(t, fixture)
	require.Equal(t, billed.MetricUnblended, r.CostMetric)
	steady := billedPools(r)["steady"]
	require.Nil(t, steady.AmortizedUSD)
	require.InDelta(t, 1440*r.Baseline.HourlyUSD-4.032, *steady.SavingUSD, 1e-9)
	require.Contains(t, strings.Join(r.Notes, "\n"), "The cost is UnblendedCost: the response has no AmortizedCost")

	var stdout, stderr bytes.Buffer
	require.Equal(t, 0, run(context.Background(), []string{"billed", "--ce-json", fixture}, &stdout, &stderr), "stderr: %s", stderr.String())
	require.Contains(t, stdout.String(), "cost = UnblendedCost")
}

// A replay's granularity is the one its pages were asked for, read from their periods, not --granularity's default:
// the fixture's month split into two one-day periods prints DAILY.
func TestBilledReplayReadsTheGranularityFromThePeriods(t *testing.T) {
	t.Chdir(repo)
	fixture := rewriteFixture(t, func(pages []map[string]any) {
		for _, p := range pages {
			for i, rt := range p["ResultsByTime"].([]any) {
				day := fmt.Sprintf("2026-11-%02d", i+1)
				rt.(map[string]any)["TimePeriod"] = map[string]any{"Start": day, "End": fmt.Sprintf("2026-11-%02d", i+2)}
			}
		}
	})
	r := replayJSON(t, fixture)
	require.Equal(t, billed.Period{Start: "2026-11-01", End: "2026-11-02", Granularity: "DAILY"}, r.Period)
	require.Equal(t, "MONTHLY", replayJSON(t, billedFixture).Period.Granularity, "expected the fixture's month-long period to read MONTHLY")
}

// A saved response cut after a page that still has a NextPageToken is reported as incomplete.
func TestBilledReplayIncomplete(t *testing.T) {
	t.Chdir(repo)
	fixture := rewriteFixture(t, func(pages []map[string]any) {
		pages[1]["NextPageToken"] = "AAMA-page-3"
	})
	r := replayJSON(t, fixture)
	require.True(t, r.Incomplete)
	require.Contains(t, strings.Join(r.Notes, "\n"), "INCOMPLETE: the last page of Karpenter's (tag eks:eks-cluster-name) query still carries a NextPageToken")

	var stdout, stderr bytes.Buffer
	require.Equal(t, 0, run(context.Background(), []string{"billed", "--ce-json", fixture}, &stdout, &stderr), "stderr: %s", stderr.String())
	require.Contains(t, stdout.String(), "INCOMPLETE (a last page has a NextPageToken)")
}

// --baseline-gpu-type moves the GPU baseline as it moves estimate's: on g4dn.xlarge (4 vCPU, 16 GiB, 1 GPU, USD
// 0.526/h in the snapshot), the gpu pool's g5.xlarge (4 vCPU, 16 GiB, 1 GPU) hours count as g4dn.xlarge hours.
func TestBilledBaselineGPUType(t *testing.T) {
	t.Chdir(repo)
	r := replayJSON(t, billedFixture, "--baseline-gpu-type", "g4dn.xlarge")
	require.Equal(t, "g4dn.xlarge", r.Baseline.GPUType)
	require.InDelta(t, 720*r.Baseline.GPUHourlyUSD, billedPools(r)["gpu"].BaselineUSD, 1e-9)
	var g5 billed.InstanceType
	for _, it := range r.InstanceTypes {
		if it.Name == "g5.xlarge" {
			g5 = it
		}
	}
	require.Equal(t, "1 × g4dn.xlarge", g5.BaselineAs)
}

func TestBilledErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
		return p
	}
	fixture, err := os.ReadFile(filepath.Join("testdata", "billed-ce.json"))
	require.NoError(t, err)
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"not JSON", []string{"--ce-json", write("csv", "a,b\n")}, 1, "expected a GetCostAndUsage response"},
		{"wrong group keys", []string{"--ce-json", write("keys", strings.ReplaceAll(string(fixture), `"karpenter.sh/nodepool"`, `"team"`))}, 1, "expected GroupDefinitions [TAG karpenter.sh/nodepool, DIMENSION INSTANCE_TYPE] (Karpenter's query)"},
		{"another cluster's node group", []string{"--ce-json", write("cluster", strings.ReplaceAll(string(fixture), `eks:cluster-name$cluster-with-karpenter`, `eks:cluster-name$other`))}, 1, `the managed node group's rows name the cluster "other"`},
		{"a GPU baseline without GPUs", []string{"--ce-json", write("gpu", string(fixture)), "--baseline-gpu-type", "m6i.large"}, 1, "baseline GPU type m6i.large (--baseline-gpu-type): has no GPU"},
		{"EUR", []string{"--ce-json", write("eur", strings.ReplaceAll(string(fixture), `"USD"`, `"EUR"`))}, 1, `expected UnblendedCost in USD (the baseline's prices are in USD), found "EUR"`},
		{"missing file", []string{"--ce-json", filepath.Join(dir, "none.json")}, 1, "--ce-json"},
		{"bad granularity", []string{"--granularity", "HOURLY"}, 2, "want DAILY or MONTHLY"},
		{"bad dates", []string{"--start", "2026-12-01", "--end", "2026-11-01"}, 2, "start before end"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			args := append([]string{"billed", "--dir", repo}, tc.args...)
			code := run(context.Background(), args, &stdout, &stderr)
			require.Equal(t, tc.code, code, "stderr: %s", stderr.String())
			require.Contains(t, stderr.String(), tc.want)
		})
	}
}

// --workload runs the estimate in-process: its prediction is the estimate's multiarch hourly cost × the 720 h of
// the fixture's period, and the error is that minus the pools' 887.7084 (AmortizedCost).
func TestBilledWorkload(t *testing.T) {
	t.Chdir(repo)
	workloadFile := filepath.Join("examples", "retail-store.yaml")
	var est, stdout, stderr bytes.Buffer
	require.Equal(t, 0, run(context.Background(), []string{"estimate", "-f", workloadFile, "--json", "--images", "assume"}, &est, &stderr), "stderr: %s", stderr.String())
	var e struct {
		Scenarios []struct {
			Name      string  `json:"name"`
			HourlyUSD float64 `json:"hourlyUSD"`
		} `json:"scenarios"`
		Prices struct {
			Source string `json:"source"`
		} `json:"prices"`
	}
	require.NoError(t, json.Unmarshal(est.Bytes(), &e))
	hourly := map[string]float64{}
	for _, s := range e.Scenarios {
		hourly[s.Name] = s.HourlyUSD
	}

	code := run(context.Background(), []string{"billed", "--ce-json", billedFixture, "--workload", workloadFile, "--json"}, &stdout, &stderr)
	require.Equal(t, 0, code, "expected success, stderr: %s", stderr.String())
	var r billed.Report
	require.NoError(t, json.Unmarshal(stdout.Bytes(), &r))
	require.NotNil(t, r.Prediction, "expected a prediction")
	require.InDelta(t, 720, r.Prediction.Hours, 1e-9)
	require.InDelta(t, hourly["multiarch"]*720, r.Prediction.MultiarchUSD, 1e-6)
	require.InDelta(t, hourly["baseline"]*720, r.Prediction.BaselineUSD, 1e-6)
	require.InDelta(t, hourly["multiarch"]*720-887.7084, r.Prediction.ErrorUSD, 1e-6)
	// The estimate's spot prices are not the baseline's source: the prediction names its own.
	require.Contains(t, e.Prices.Source, "data of 2025-05-28")
	require.Equal(t, e.Prices.Source, r.Prediction.Prices)
}

// fakeTags answers ListCostAllocationTags with fixed states.
type fakeTags struct{ states map[string]string }

func (f fakeTags) ListCostAllocationTags(context.Context, *costexplorer.ListCostAllocationTagsInput, ...func(*costexplorer.Options)) (*costexplorer.ListCostAllocationTagsOutput, error) {
	out := &costexplorer.ListCostAllocationTagsOutput{}
	for k, s := range f.states {
		out.CostAllocationTags = append(out.CostAllocationTags, cetypes.CostAllocationTag{TagKey: aws.String(k), Status: cetypes.CostAllocationTagStatus(s)})
	}
	return out, nil
}

func TestWarnTags(t *testing.T) {
	var stderr bytes.Buffer
	notes := warnTags(context.Background(), fakeTags{states: map[string]string{"eks:eks-cluster-name": "Active", "karpenter.sh/nodepool": "Inactive", "eks:cluster-name": "Active"}}, &stderr)
	require.Contains(t, stderr.String(), "karpenter.sh/nodepool is Inactive: activate it")
	require.NotContains(t, stderr.String(), "eks:eks-cluster-name is")
	require.Contains(t, stderr.String(), "may show everything as untagged")
	require.Equal(t, []string{"The cost allocation tag karpenter.sh/nodepool is Inactive: Karpenter's hours show as untagged instead of by node pool."}, notes)

	// The node group's tag is checked too: without it, its query answers nothing, and the report must say why.
	stderr.Reset()
	notes = warnTags(context.Background(), fakeTags{states: map[string]string{"eks:eks-cluster-name": "Active", "karpenter.sh/nodepool": "Active"}}, &stderr)
	require.Contains(t, stderr.String(), "eks:cluster-name is not yet on a bill: no bill has carried it yet: it appears about 24 hours after the first managed node group's node runs")
	require.Equal(t, []string{"The cost allocation tag eks:cluster-name is not yet on a bill: the managed node group's hours are missing from this report."}, notes)

	stderr.Reset()
	notes = warnTags(context.Background(), fakeTags{states: map[string]string{"eks:eks-cluster-name": "Active", "karpenter.sh/nodepool": "Active", "eks:cluster-name": "Active"}}, &stderr)
	require.Empty(t, stderr.String(), "expected no warning when every tag is active")
	require.Empty(t, notes)
}

// --ce-json's help says which responses a replay accepts: both queries, the metrics, and what a missing metric or a
// remaining NextPageToken does.
func TestBilledHelpDescribesTheReplay(t *testing.T) {
	var stdout, stderr bytes.Buffer
	run(context.Background(), []string{"billed", "-h"}, &stdout, &stderr)
	help := strings.Join(strings.Fields(stderr.String()), " ")
	require.Contains(t, help, "-ce-json FILE")
	for _, want := range []string{
		"TAG karpenter.sh/nodepool and DIMENSION INSTANCE_TYPE", "TAG eks:cluster-name and DIMENSION INSTANCE_TYPE",
		"UnblendedCost and UsageQuantity (Hrs)", "AmortizedCost (without it the cost is UnblendedCost, and the report says so)",
		"NextPageToken is reported as incomplete", "-baseline-gpu-type", `(default "g5.xlarge")`,
	} {
		require.Contains(t, help, want)
	}
}
