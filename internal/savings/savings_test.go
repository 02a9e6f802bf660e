package savings

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	karpv1 "sigs.k8s.io/karpenter/pkg/apis/v1"

	"github.com/karpenter-savings/karpenter-savings/internal/catalog"
	"github.com/karpenter-savings/karpenter-savings/internal/nodepool"
	"github.com/karpenter-savings/karpenter-savings/internal/project"
	"github.com/karpenter-savings/karpenter-savings/internal/workload"
)

// smallCatalog has a handful of real instance types at round prices, so that expected costs can be worked out
// by hand. Karpenter's own tables supply the ENI limits of these names.
func smallCatalog(t *testing.T) *catalog.Catalog {
	t.Helper()
	x86 := func(name string, vcpu int32, mib int64) catalog.Spec {
		return catalog.Spec{Name: name, VCPU: vcpu, MemoryMiB: mib, Arch: catalog.ArchX86, CPUManufacturer: "Intel", MaxENIs: 4, IPv4PerENI: 15}
	}
	arm := func(name string, vcpu int32, mib int64) catalog.Spec {
		return catalog.Spec{Name: name, VCPU: vcpu, MemoryMiB: mib, Arch: catalog.ArchARM, CPUManufacturer: "AWS", MaxENIs: 4, IPv4PerENI: 15}
	}
	gpu := func(name string, vcpu int32, mib int64) catalog.Spec {
		s := x86(name, vcpu, mib)
		s.GPUCount, s.GPUManufacturer, s.GPUName, s.GPUMemoryMiB = 1, "NVIDIA", "A10G", 24576
		return s
	}
	c, err := catalog.New(&catalog.Snapshot{
		Source: "hand-made test prices",
		Date:   "2025-01-01",
		InstanceTypes: []catalog.Spec{
			x86("m6i.large", 2, 8192), x86("m6i.xlarge", 4, 16384), x86("m6i.2xlarge", 8, 32768),
			arm("m7g.large", 2, 8192), arm("m7g.xlarge", 4, 16384), arm("m7g.2xlarge", 8, 32768),
			gpu("g5.xlarge", 4, 16384), gpu("g5.2xlarge", 8, 32768),
		},
		Regions: map[string]map[string]catalog.Price{"us-east-1": {
			"m6i.large": {OnDemand: 0.096, Spot: 0.04}, "m6i.xlarge": {OnDemand: 0.192, Spot: 0.08}, "m6i.2xlarge": {OnDemand: 0.384, Spot: 0.16},
			"m7g.large": {OnDemand: 0.0816, Spot: 0.03}, "m7g.xlarge": {OnDemand: 0.1632, Spot: 0.06}, "m7g.2xlarge": {OnDemand: 0.3264, Spot: 0.12},
			"g5.xlarge": {OnDemand: 1.006, Spot: 0.4}, "g5.2xlarge": {OnDemand: 1.212, Spot: 0.48},
		}},
	})
	require.NoError(t, err)
	return c
}

// stackPools are the dev stack's node pools, read from Pulumi.yaml and Pulumi.dev.yaml exactly as cmd/savings reads
// them, so that the tests cannot drift from what the stack deploys.
func stackPools(t testing.TB) nodepool.Options {
	t.Helper()
	cfg, _, err := project.LoadConfig("../..", "dev")
	require.NoError(t, err)
	return cfg.NodePoolOptions("al2023@latest", "ami-0123456789abcdef0")
}

func options(t testing.TB) Options {
	t.Helper()
	return Options{Region: "us-east-1", Zones: []string{"us-east-1a", "us-east-1c"}, Pools: stackPools(t)}
}

func estimate(t *testing.T, cat *catalog.Catalog, manifests string, o Options) *Report {
	t.Helper()
	w, err := workload.Parse(strings.NewReader(manifests), "test.yaml")
	require.NoError(t, err)
	r, err := Estimate(context.Background(), cat, w, o)
	require.NoError(t, err)
	return r
}

// deployment is a Deployment of n pods with the given requests and pod spec lines.
func deployment(name string, n int, cpu, memory, extra string) string {
	return fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata: {name: %s}
spec:
  replicas: %d
  template:
    metadata: {labels: {app: %s}}
    spec:
      %s
      containers:
      - name: app
        resources:
          requests: {cpu: %s, memory: %s}
          limits: {memory: %s}
---
`, name, n, name, extra, cpu, memory, memory)
}

const gpuJob = `apiVersion: batch/v1
kind: Job
metadata: {name: train}
spec:
  parallelism: 2
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: trainer
        resources:
          requests: {cpu: "2", memory: 8Gi}
          limits: {nvidia.com/gpu: 1, memory: 8Gi}
---
`

type placed struct {
	instanceType, capacityType string
	count                      int
}

func nodesOf(s Scenario) []placed {
	var out []placed
	for _, g := range groupNodes(s.Nodes) {
		out = append(out, placed{g.InstanceType, g.CapacityType, g.count})
	}
	return out
}

func mustScenario(t *testing.T, r *Report, name string) Scenario {
	t.Helper()
	s, ok := r.Scenario(name)
	require.True(t, ok, "expected scenario %s in the report", name)
	return s
}

// The expected nodes follow from Karpenter's CPU allocatable (see internal/instancetypes): an m6i.large leaves
// 1930m CPU for pods, a 4-vCPU node 3920m, an 8-vCPU node 7910m.
func TestHandCheckedPlacements(t *testing.T) {
	cat := smallCatalog(t)
	for _, tc := range []struct {
		name      string
		manifests string
		want      map[string][]placed
	}{
		{
			name:      "four pods of 900m/2Gi fit one 4-vCPU spot node",
			manifests: deployment("web", 4, "900m", "2Gi", ""),
			want: map[string][]placed{
				Baseline:   {{"m6i.large", "on-demand", 2}}, // 2 pods per m6i.large: 1800m of 1930m
				LabDefault: {{"m6i.xlarge", "spot", 1}},     // 3600m of 3920m
				Multiarch:  {{"m7g.xlarge", "spot", 1}},     // the Graviton pool wins by weight
			},
		},
		{
			name:      "four pods of 1 vCPU do not fit a 4-vCPU node: kubelet reserves 80m",
			manifests: deployment("web", 4, "1", "2Gi", ""),
			want: map[string][]placed{
				Baseline:   {{"m6i.large", "on-demand", 4}}, // 2000m > 1930m: one pod per node
				LabDefault: {{"m6i.2xlarge", "spot", 1}},
				Multiarch:  {{"m7g.2xlarge", "spot", 1}},
			},
		},
		{
			name: "a DaemonSet's requests are reserved on every node",
			manifests: deployment("web", 4, "900m", "2Gi", "") + `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  template:
    spec:
      containers:
      - name: agent
        resources: {requests: {cpu: 200m, memory: 128Mi}}
`,
			want: map[string][]placed{
				Baseline: {{"m6i.large", "on-demand", 4}}, // 900m + 900m + 200m > 1930m: one pod per node
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := estimate(t, cat, tc.manifests, options(t))
			for name, want := range tc.want {
				require.Equal(t, want, nodesOf(mustScenario(t, r, name)), "scenario %s: expected nodes %v", name, want)
			}
		})
	}
}

func TestSavingsSplitIntoCauses(t *testing.T) {
	r := estimate(t, smallCatalog(t), deployment("web", 4, "900m", "2Gi", ""), options(t))
	// Worked by hand: on-demand amd64 packs the four pods onto one m6i.xlarge ($0.192), which is also 2 × m6i.large
	// at $0.096, so packing saves nothing; on-demand with Graviton takes an m7g.xlarge ($0.1632); spot takes
	// the m7g.xlarge at $0.06.
	for _, tc := range []struct {
		cause string
		want  float64
	}{
		{CausePacking, 0},
		{CauseGraviton, 0.192 - 0.1632},
		{CauseSpot, 0.1632 - 0.06},
	} {
		got, ok := r.Savings.Cause(tc.cause)
		require.True(t, ok, "expected cause %s", tc.cause)
		require.InDelta(t, tc.want, got.HourlyUSD, 1e-9, "cause %s: expected $%.4f/h, got $%.4f/h", tc.cause, tc.want, got.HourlyUSD)
		require.InDelta(t, tc.want*HoursPerMonth, got.MonthlyUSD, 1e-6, "cause %s per month", tc.cause)
	}
	require.InDelta(t, 0.192-0.06, r.Savings.Total.HourlyUSD, 1e-9)
	require.InDelta(t, 100*(0.192-0.06)/0.192, r.Savings.Total.Percent, 1e-4)
}

func TestAMD64OnlyPodsNeverLandOnArm64(t *testing.T) {
	cat := smallCatalog(t)
	pinned := estimate(t, cat, deployment("legacy", 6, "500m", "1Gi", "nodeSelector: {kubernetes.io/arch: amd64}"), options(t))
	for _, s := range pinned.Scenarios {
		for _, n := range s.Nodes {
			require.Equal(t, karpv1.ArchitectureAmd64, n.Arch, "scenario %s: expected amd64 nodes only, got %s on %s", s.Name, n.Arch, n.InstanceType)
		}
	}
	// Without the selector the same pods go to Graviton, so the selector is what kept them on amd64.
	free := estimate(t, cat, deployment("web", 6, "500m", "1Gi", ""), options(t))
	for _, n := range mustScenario(t, free, Multiarch).Nodes {
		require.Equal(t, karpv1.ArchitectureArm64, n.Arch, "expected unpinned pods on Graviton, got %s", n.InstanceType)
	}
}

func TestGPUPodsGoOnlyToGPUNodes(t *testing.T) {
	cat := smallCatalog(t)
	hasGPU := func(instanceType string) bool {
		s, ok := cat.Spec(instanceType)
		require.True(t, ok, "expected %s in the catalog", instanceType)
		return s.GPUCount > 0
	}
	gpuOnly := estimate(t, cat, gpuJob, options(t))
	for _, s := range gpuOnly.Scenarios {
		for _, n := range s.Nodes {
			require.True(t, hasGPU(n.InstanceType), "scenario %s: GPU pod on %s, which has no GPU", s.Name, n.InstanceType)
		}
	}
	require.Equal(t, []placed{{"g5.xlarge", "on-demand", 2}}, nodesOf(mustScenario(t, gpuOnly, Baseline)), "expected the baseline GPU group")

	cpuOnly := estimate(t, cat, deployment("web", 6, "500m", "1Gi", ""), options(t))
	for _, s := range cpuOnly.Scenarios {
		for _, n := range s.Nodes {
			require.False(t, hasGPU(n.InstanceType), "scenario %s: a CPU-only workload got GPU node %s", s.Name, n.InstanceType)
		}
	}
}

func TestLowerBoundNeverExceedsAnyScenario(t *testing.T) {
	small := smallCatalog(t)
	full, err := catalog.Load()
	require.NoError(t, err)
	for _, tc := range []struct {
		name      string
		cat       *catalog.Catalog
		manifests string
	}{
		{"small pods", small, deployment("web", 4, "900m", "2Gi", "")},
		{"memory-heavy pods", small, deployment("cache", 5, "100m", "6Gi", "")},
		{"GPU and CPU pods", small, gpuJob + deployment("web", 6, "500m", "1Gi", "")},
		{"amd64-pinned pods", small, deployment("legacy", 7, "1500m", "3Gi", "nodeSelector: {kubernetes.io/arch: amd64}")},
		{"retail store example", full, readExample(t, "retail-store.yaml")},
		{"mixed example", full, readExample(t, "mixed-workload.yaml")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := estimate(t, tc.cat, tc.manifests, options(t))
			lower := mustScenario(t, r, LowerBound)
			require.Greater(t, lower.HourlyUSD, 0.0, "expected a positive lower bound")
			for _, s := range r.Scenarios {
				require.LessOrEqual(t, lower.HourlyUSD, s.HourlyUSD, "lower bound $%.6f exceeds scenario %s at $%.6f", lower.HourlyUSD, s.Name, s.HourlyUSD)
			}
			for _, s := range r.Savings.Steps {
				require.LessOrEqual(t, lower.HourlyUSD, s.HourlyUSD, "lower bound $%.6f exceeds step %s at $%.6f", lower.HourlyUSD, s.Name, s.HourlyUSD)
			}
			causes := 0.0
			for _, c := range r.Savings.ByCause {
				causes += c.HourlyUSD
			}
			require.InDelta(t, r.Savings.Total.HourlyUSD, causes, 1e-9, "expected the causes to add up to the total saving")
			require.InDelta(t, mustScenario(t, r, Baseline).HourlyUSD-mustScenario(t, r, Multiarch).HourlyUSD, r.Savings.Total.HourlyUSD, 1e-9,
				"expected the total saving to be baseline - multiarch")
		})
	}
}

func TestEstimateErrors(t *testing.T) {
	cat := smallCatalog(t)
	for _, tc := range []struct {
		name      string
		manifests string
		mutate    func(*Options)
		want      []string
	}{
		{"unknown baseline type", deployment("web", 1, "100m", "128Mi", ""), func(o *Options) { o.BaselineType = "m99z.large" }, []string{`unknown instance type "m99z.large"`}},
		{"unknown baseline GPU type", deployment("web", 1, "100m", "128Mi", ""), func(o *Options) { o.BaselineGPUType = "p99.huge" }, []string{`unknown instance type "p99.huge"`}},
		{"region without prices", deployment("web", 1, "100m", "128Mi", ""), func(o *Options) { o.Region, o.Zones = "eu-west-1", []string{"eu-west-1a"} }, []string{`region "eu-west-1"`}},
		{"no pods", "apiVersion: v1\nkind: Service\nmetadata: {name: web}\n", func(*Options) {}, []string{"no pods"}},
		{"pod larger than a baseline node", deployment("big", 1, "3", "2Gi", ""), func(*Options) {},
			[]string{"scenario baseline", "--baseline-type", "pod default/big-0"}},
		{"invalid stack pools", deployment("web", 1, "100m", "128Mi", ""), func(o *Options) { o.Pools.ClusterName = "" }, []string{"stack node pools", "ClusterName"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, err := workload.Parse(strings.NewReader(tc.manifests), "test.yaml")
			require.NoError(t, err)
			o := options(t)
			tc.mutate(&o)
			_, err = Estimate(context.Background(), cat, w, o)
			require.Error(t, err, "expected %s to fail", tc.name)
			for _, want := range tc.want {
				require.ErrorContains(t, err, want)
			}
		})
	}
}

func TestShardDealsIdenticalPodsEvenly(t *testing.T) {
	w, err := workload.Parse(strings.NewReader(deployment("a", 25, "100m", "128Mi", "")+deployment("b", 7, "200m", "256Mi", "")), "test.yaml")
	require.NoError(t, err)
	pods := withUIDs(w.Pods)
	k, base, rest := shard(pods, 10)
	require.Equal(t, 4, k, "expected ceil(32/10) shards")
	count := func(pods []*corev1.Pod, app string) int {
		n := 0
		for _, p := range pods {
			if p.Labels["app"] == app {
				n++
			}
		}
		return n
	}
	require.Equal(t, 6, count(base, "a"), "expected floor(25/4) of a per shard")
	require.Equal(t, 1, count(base, "b"), "expected floor(7/4) of b per shard")
	require.Equal(t, 1, count(rest, "a"), "expected 25 mod 4 of a left over")
	require.Equal(t, 3, count(rest, "b"), "expected 7 mod 4 of b left over")
	require.Equal(t, len(pods), k*len(base)+len(rest), "expected every pod counted once")

	k, base, rest = shard(pods, 100)
	require.Equal(t, 1, k, "expected no sharding under the limit")
	require.Len(t, base, len(pods))
	require.Empty(t, rest)
}

func TestShardingKeepsNodesThatShardsFillExactly(t *testing.T) {
	cat := smallCatalog(t)
	manifests := deployment("web", 40, "900m", "2Gi", "")
	whole := estimate(t, cat, manifests, options(t))
	o := options(t)
	o.MaxShardPods = 10
	sharded := estimate(t, cat, manifests, o)
	for _, name := range []string{Baseline, LabDefault, Multiarch} {
		require.InDelta(t, mustScenario(t, whole, name).HourlyUSD, mustScenario(t, sharded, name).HourlyUSD, 1e-9,
			"scenario %s: expected four shards of ten pods to cost what forty pods cost", name)
	}
	require.Contains(t, strings.Join(sharded.Notes, "\n"), "4 identical shards", "expected the report to say it sharded")
}

func TestEstimateBaselineMatchesTheBaselineScenario(t *testing.T) {
	cat := smallCatalog(t)
	manifests := deployment("web", 5, "900m", "2Gi", "") + gpuJob
	r := estimate(t, cat, manifests, options(t))
	w, err := workload.Parse(strings.NewReader(manifests), "test.yaml")
	require.NoError(t, err)
	base, _, err := EstimateBaseline(context.Background(), cat, w, options(t))
	require.NoError(t, err)
	require.Equal(t, nodesOf(mustScenario(t, r, Baseline)), nodesOf(base))
	require.InDelta(t, mustScenario(t, r, Baseline).HourlyUSD, base.HourlyUSD, 1e-9)
}

func TestReportNamesItsPrices(t *testing.T) {
	r := estimate(t, smallCatalog(t), deployment("web", 2, "100m", "128Mi", ""), options(t))
	require.Equal(t, Prices{Source: "hand-made test prices", Date: "2025-01-01", Region: "us-east-1", Basis: Basis}, r.Prices)
	var names []string
	for _, s := range r.Scenarios {
		names = append(names, s.Name)
		require.InDelta(t, s.HourlyUSD*HoursPerMonth, s.MonthlyUSD, 1e-6, "scenario %s: expected $/month = 730 × $/hour", s.Name)
	}
	require.Equal(t, []string{Baseline, LabDefault, Multiarch, LowerBound}, names)
	require.Equal(t, Requests{Pods: 2, VCPU: 0.2, MemoryGiB: 0.25}, r.Workload)
}

func readExample(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "examples", name))
	require.NoError(t, err, "expected the shipped example %s", name)
	return string(b)
}
