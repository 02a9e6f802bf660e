package main

import (
	"bytes"
	"context"
	"encoding/json"
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

// The fixture's figures worked out by hand, with the snapshot's us-east-1 m6i.large at USD 0.096/h (2 vCPU, 8 GiB):
// default: m7i.large (2/8, ratio 1) 300 h → 300 × 0.096 = 28.80 baseline, billed 10.05.
// graviton: c7g.xlarge (4/8: vCPU ratio 2) 200 h → 400 h; m7g.xlarge (4/16: ratio 2) 400 h → 800 h; together
// 1200 h × 0.096 = 115.20 baseline; billed 11.44 + 30 + 0.80 (m9g.large, not in the catalog) = 42.24.
// untagged: m6i.large 1440 h, 138.24, not Karpenter's.
func TestBilledReplayJSON(t *testing.T) {
	t.Chdir(repo)
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"billed", "--ce-json", billedFixture, "--json"}, &stdout, &stderr)
	require.Equal(t, 0, code, "expected success, stderr: %s", stderr.String())
	var r billed.Report
	require.NoError(t, json.Unmarshal(stdout.Bytes(), &r))
	require.Len(t, r.Pools, 2)
	require.Equal(t, "default", r.Pools[0].Name)
	require.InDelta(t, 28.80, r.Pools[0].BaselineUSD, 1e-9)
	require.InDelta(t, 10.05, r.Pools[0].BilledUSD, 1e-9)
	require.Equal(t, "graviton", r.Pools[1].Name)
	require.InDelta(t, 115.20, r.Pools[1].BaselineUSD, 1e-9)
	require.InDelta(t, 42.24, r.Pools[1].BilledUSD, 1e-9)
	require.InDelta(t, 39.74, r.Pools[1].AmortizedUSD, 1e-9)
	require.InDelta(t, 144.00-52.29, r.Karpenter.SavingUSD, 1e-9)
	require.InDelta(t, 138.24, r.Untagged.BilledUSD, 1e-9)
	require.InDelta(t, 1440, r.Untagged.InstanceHours, 1e-9)
	require.True(t, r.Estimated)
	require.Equal(t, []string{"m9g.large"}, r.UnknownInstanceTypes)
	require.Equal(t, billed.Period{Start: "2026-11-01", End: "2026-12-01", Granularity: "MONTHLY"}, r.Period)
	require.Equal(t, "us-east-1", r.Prices.Region)
	require.Equal(t, 0, r.Requests)
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
		{"wrong group keys", []string{"--ce-json", write("keys", strings.ReplaceAll(string(fixture), `"karpenter.sh/nodepool"`, `"team"`))}, 1, "expected GroupDefinitions [TAG karpenter.sh/nodepool, DIMENSION INSTANCE_TYPE]"},
		{"EUR", []string{"--ce-json", write("eur", strings.ReplaceAll(string(fixture), `"USD"`, `"EUR"`))}, 1, `in USD, found "EUR"`},
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
// the fixture's period, and the error is that minus the 52.29 billed.
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
	require.InDelta(t, hourly["multiarch"]*720-52.29, r.Prediction.ErrorUSD, 1e-6)
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
	warnTags(context.Background(), fakeTags{states: map[string]string{"eks:eks-cluster-name": "Active", "karpenter.sh/nodepool": "Inactive"}}, &stderr)
	require.Contains(t, stderr.String(), "karpenter.sh/nodepool is Inactive: activate it")
	require.NotContains(t, stderr.String(), "eks:eks-cluster-name is")
	require.Contains(t, stderr.String(), "may show everything as untagged")

	stderr.Reset()
	warnTags(context.Background(), fakeTags{states: map[string]string{"eks:eks-cluster-name": "Active", "karpenter.sh/nodepool": "Active"}}, &stderr)
	require.Empty(t, stderr.String(), "expected no warning when both tags are active")
}
