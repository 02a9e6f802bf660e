package savings

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	karpv1 "sigs.k8s.io/karpenter/pkg/apis/v1"
	"sigs.k8s.io/yaml"

	"github.com/karpenter-savings/karpenter-savings/internal/catalog"
	"github.com/karpenter-savings/karpenter-savings/internal/program/poolspec"
	"github.com/karpenter-savings/karpenter-savings/internal/program/project"
	"github.com/karpenter-savings/karpenter-savings/internal/savings/workload"
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
func stackPools(t testing.TB) poolspec.Options {
	t.Helper()
	cfg, _, err := project.LoadConfig("../..", "dev")
	require.NoError(t, err)
	return cfg.NodePoolOptions("al2023@latest", "ami-0123456789abcdef0")
}

func options(t testing.TB) Options {
	t.Helper()
	return Options{Region: "us-east-1", Zones: []string{"us-east-1a", "us-east-1c"}, Pools: stackPools(t), Now: time.Date(2025, 2, 1, 12, 0, 0, 0, time.UTC)}
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

// daemonSet is a DaemonSet whose pod requests cpu and memory.
func daemonSet(name, cpu, memory string) string {
	return fmt.Sprintf(`apiVersion: apps/v1
kind: DaemonSet
metadata: {name: %s}
spec:
  template:
    spec:
      containers:
      - name: %s
        resources: {requests: {cpu: %s, memory: %s}}
---
`, name, name, cpu, memory)
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

// The expected nodes follow from Karpenter's CPU allocatable (see internal/savings/instancetypes): an m6i.large leaves
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
			name:      "a DaemonSet's requests are reserved on every node",
			manifests: deployment("web", 4, "900m", "2Gi", "") + daemonSet("agent", "200m", "128Mi"),
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
		{"pod larger than every size of the baseline's family", deployment("huge", 1, "9", "2Gi", ""), func(*Options) {},
			[]string{"baseline", "pod default/huge-0", "fits no size of the m6i family of --baseline-type m6i.large"}},
		{"arm64-only pod on an x86 baseline", deployment("arm", 1, "100m", "128Mi", "nodeSelector: {kubernetes.io/arch: arm64}"), func(*Options) {},
			[]string{"Deployment default/arm (pod arm-0) can run on no size of the m6i family of --baseline-type m6i.large",
				"kubernetes.io/arch In [arm64] not in kubernetes.io/arch In [amd64]", "needs a baseline type of that architecture"}},
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

// Identical pods are dealt evenly, ⌊n/k⌋ to every shard; each workload's leftover stays whole, largest first, in
// the shard that holds the fewest pods; every pod is in exactly one shard.
func TestShardDealsIdenticalPodsEvenly(t *testing.T) {
	w, err := workload.Parse(strings.NewReader(deployment("a", 25, "100m", "128Mi", "")+deployment("b", 7, "200m", "256Mi", "")+
		deployment("c", 2, "300m", "256Mi", "")), "test.yaml")
	require.NoError(t, err)
	pods := withUIDs(w.Pods)
	parts := shards(pods, 10, groupKey)
	require.Len(t, parts, 4, "expected ceil(34/10) shards")
	count := func(pods []*corev1.Pod, app string) int {
		n := 0
		for _, p := range pods {
			if p.Labels["app"] == app {
				n++
			}
		}
		return n
	}
	seen := map[*corev1.Pod]bool{}
	for i, part := range parts {
		for _, p := range part {
			require.False(t, seen[p], "pod %s in two shards", p.Name)
			seen[p] = true
		}
		t.Logf("shard %d: a %d, b %d, c %d", i, count(part, "a"), count(part, "b"), count(part, "c"))
	}
	require.Len(t, seen, len(pods), "expected every pod in a shard")
	// a: 6 per shard and 1 left; b: 1 per shard and 3 left; c: 2 left. Leftovers, largest first, go to the
	// shard with the fewest pods: b's 3 to shard 0, c's 2 to shard 1, a's 1 to shard 2.
	require.Equal(t, []int{6, 6, 7, 6}, []int{count(parts[0], "a"), count(parts[1], "a"), count(parts[2], "a"), count(parts[3], "a")})
	require.Equal(t, []int{4, 1, 1, 1}, []int{count(parts[0], "b"), count(parts[1], "b"), count(parts[2], "b"), count(parts[3], "b")})
	require.Equal(t, []int{0, 2, 0, 0}, []int{count(parts[0], "c"), count(parts[1], "c"), count(parts[2], "c"), count(parts[3], "c")})

	require.Len(t, shards(pods, 100, groupKey), 1, "expected no sharding under the limit")
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
	require.Contains(t, strings.Join(sharded.Notes, "\n"), "packed in 4 shards", "expected the report to say it sharded")
}

// TestNotesSayTheNodeGroupsSharded: 150 pods fit one Karpenter pass but not one node-group pass, and the report says
// how the baseline packed them.
func TestNotesSayTheNodeGroupsSharded(t *testing.T) {
	r := estimate(t, smallCatalog(t), deployment("web", 150, "100m", "128Mi", ""), options(t))
	notes := strings.Join(r.Notes, "\n")
	require.Contains(t, notes, "The baseline's node groups, which launch one instance type each, packed the pods in 2 shards of at most 100 pods")
	require.NotContains(t, notes, "The 150 pods were packed as", "expected the Karpenter scenarios in one pass")
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
	snapshot := catalog.PriceSource{ID: catalog.SnapshotSourceID, Source: "hand-made test prices", Date: "2025-01-01"}
	require.Equal(t, Prices{Source: "hand-made test prices, data of 2025-01-01", Date: "2025-01-01", Region: "us-east-1", Basis: Basis, AgeDays: 31,
		Sources: []PriceSource{
			{SourceUse: catalog.SourceUse{PriceSource: snapshot, CapacityType: catalog.OnDemand, InstanceTypes: 8}, AgeDays: 31},
			{SourceUse: catalog.SourceUse{PriceSource: snapshot, CapacityType: catalog.Spot, InstanceTypes: 8}, AgeDays: 31},
		}}, r.Prices,
		"expected the snapshot named for both capacity types, and 31 days old on 2025-02-01")
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

// A pod that fits no m6i.large (1930m allocatable) goes to a group of the smallest m6i that holds it, and a GPU pod
// that fits no g5.xlarge to the smallest g5 that does.
func TestBaselineAddsTheSmallestSizeOfTheFamilyThatHoldsAPod(t *testing.T) {
	const crunch = `apiVersion: batch/v1
kind: Job
metadata: {name: crunch}
spec:
  parallelism: 3
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: c
        resources: {requests: {cpu: "2", memory: 4Gi}}
---
apiVersion: batch/v1
kind: Job
metadata: {name: big-train}
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: c
        resources: {requests: {cpu: "6", memory: 8Gi}, limits: {nvidia.com/gpu: 1}}
`
	r := estimate(t, smallCatalog(t), crunch, options(t))
	// 2000m > 1930m of an m6i.large; an m6i.xlarge leaves 3920m, so one 2-vCPU pod per node (two would need 4000m).
	// 6000m > 3920m of a g5.xlarge; a g5.2xlarge leaves 7910m.
	require.Equal(t, []BaselineGroup{
		{InstanceType: "m6i.xlarge", Extends: "m6i.large", Workloads: []WorkloadPods{{Kind: "Job", Namespace: "default", Name: "crunch", Pods: 3}}},
		{InstanceType: "g5.2xlarge", Extends: "g5.xlarge", Workloads: []WorkloadPods{{Kind: "Job", Namespace: "default", Name: "big-train", Pods: 1}}},
	}, r.BaselineGroups)
	base := mustScenario(t, r, Baseline)
	require.Equal(t, []placed{{"m6i.xlarge", "on-demand", 3}, {"g5.2xlarge", "on-demand", 1}}, nodesOf(base))
	require.InDelta(t, 3*0.192+1.212, base.HourlyUSD, 1e-9, "expected 3 × m6i.xlarge and 1 × g5.2xlarge on demand")
	require.Contains(t, base.Note, "plus m6i.xlarge for pods too big for m6i.large")
}

// Karpenter sorts pods by CPU, largest first, and fills a NodeClaim it has opened before it opens another, whatever
// the pools' weights. The amd64-only legacy pod (1 vCPU) opens an amd64 NodeClaim and the two arm-capable web pods
// (900m) join it: one m6i.xlarge spot, $0.08/h. Preferring arm64, the web pods open their own NodeClaim: m7g.large
// spot ($0.03, 1800m of 1930m) beside an m6i.large spot for legacy ($0.04), $0.07/h. A multi-arch legacy image with
// the preference puts all three on one m7g.xlarge spot (2800m of 3920m), $0.06/h.
func TestAdviceMovesArmCapablePodsOffAMD64(t *testing.T) {
	manifests := deployment("legacy", 1, "1", "1Gi", "nodeSelector: {kubernetes.io/arch: amd64}") + deployment("web", 2, "900m", "1Gi", "")
	r := estimate(t, smallCatalog(t), manifests, options(t))
	multiarch := mustScenario(t, r, Multiarch)
	require.Equal(t, []placed{{"m6i.xlarge", "spot", 1}}, nodesOf(multiarch))
	require.InDelta(t, 0.08, multiarch.HourlyUSD, 1e-9)

	p := r.Advice.PreferArm64
	require.NotNil(t, p, "expected advice to prefer arm64")
	require.Equal(t, []AdvisedWorkload{{Kind: "Deployment", Namespace: "default", Name: "web", Pods: 2, AMD64Before: 2, AMD64After: 0}}, p.Workloads)
	require.InDelta(t, 0.03+0.04, p.MultiarchHourlyUSD, 1e-9)
	require.InDelta(t, 0.08-0.07, p.Saving.HourlyUSD, 1e-9)
	require.InDelta(t, (0.08-0.07)*HoursPerMonth, p.Saving.MonthlyUSD, 1e-6)
	require.Contains(t, p.YAML, "preferredDuringSchedulingIgnoredDuringExecution")
	var doc map[string]any
	require.NoError(t, yaml.Unmarshal([]byte(p.YAML), &doc), "expected the advice to be YAML")
	require.Equal(t, map[string]any{"spec": map[string]any{"template": map[string]any{"spec": map[string]any{"affinity": map[string]any{
		"nodeAffinity": map[string]any{"preferredDuringSchedulingIgnoredDuringExecution": []any{map[string]any{
			"weight":     float64(100),
			"preference": map[string]any{"matchExpressions": []any{map[string]any{"key": "kubernetes.io/arch", "operator": "In", "values": []any{"arm64"}}}},
		}}},
	}}}}}, doc)

	require.Len(t, r.Advice.MultiArchImages, 1)
	img := r.Advice.MultiArchImages[0]
	require.Equal(t, "legacy", img.Name)
	require.Equal(t, 1, img.ARM64After)
	require.InDelta(t, 0.08-0.06, img.Saving.HourlyUSD, 1e-9)
	// Without its pin legacy may run on arm64 too, so the changed workload's bound is 2.8 vCPU at m7g.2xlarge spot's
	// $0.12 / 7.91 per vCPU, below the pinned workload's; the advised ratio is the changed cluster against it.
	require.InDelta(t, 2.8*0.12/7.91, img.LowerBoundHourlyUSD, 1e-6)
	require.Less(t, img.LowerBoundHourlyUSD, mustScenario(t, r, LowerBound).HourlyUSD)
	require.InDelta(t, (0.08-0.02)/img.LowerBoundHourlyUSD, r.Advice.Bound.AdvisedRatio, 1e-4)
}

// Each pod is placed, in fractions of nodes, on the offerings it can run on, at the least cost. 8-vCPU nodes leave
// 7910m.
func TestLowerBoundHonoursWhatEachPodCanRunOn(t *testing.T) {
	cat := smallCatalog(t)
	for _, tc := range []struct {
		name                 string
		manifests            string
		wantBound, wantFloor float64
	}{
		{
			// amd64 only: the cheapest $/vCPU is m6i.2xlarge spot, $0.16 / 7.91, against m7g.2xlarge spot's $0.12 / 7.91
			// for the floor. Memory (21 GiB at under $0.006 per GiB-hour) stays below.
			name:      "amd64-only pods",
			manifests: deployment("legacy", 7, "1500m", "3Gi", "nodeSelector: {kubernetes.io/arch: amd64}"),
			wantBound: 10.5 * 0.16 / 7.91, wantFloor: 10.5 * 0.12 / 7.91,
		},
		{
			// 6 vCPU fits only a g5.2xlarge (a g5.xlarge leaves 3920m): $0.48 per GPU on spot, against g5.xlarge's $0.40
			// for the floor. Their 12 vCPU at $0.48 / 7.91 come to $0.728, below the GPUs' $0.96.
			name: "GPU pods too big for the smallest GPU type",
			manifests: `apiVersion: batch/v1
kind: Job
metadata: {name: train}
spec:
  parallelism: 2
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: c
        resources: {requests: {cpu: "6", memory: 8Gi}, limits: {nvidia.com/gpu: 1}}
`,
			wantBound: 2 * 0.48, wantFloor: 2 * 0.40,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := estimate(t, cat, tc.manifests, options(t))
			lower := mustScenario(t, r, LowerBound)
			require.InDelta(t, tc.wantBound, lower.HourlyUSD, 1e-6, "lower bound")
			require.InDelta(t, tc.wantFloor, r.PriceFloor.HourlyUSD, 1e-6, "price floor")
			for _, s := range r.Scenarios {
				require.LessOrEqual(t, lower.HourlyUSD, s.HourlyUSD+1e-9, "lower bound above scenario %s", s.Name)
			}
			for _, s := range r.Savings.Steps {
				require.LessOrEqual(t, lower.HourlyUSD, s.HourlyUSD+1e-9, "lower bound above step %s", s.Name)
			}
		})
	}
}

// On the stack's pools alone, two GPU pods and six arm64-only pods cannot share a node: every GPU type is amd64. The
// GPU pods take two g5.xlarge spot at $0.40 each, and the arm64 pods' 3 vCPU go on m7g.2xlarge spot at $0.12 /
// 7.91 per vCPU (memory, 6 GiB of its 29, and pod slots bind less). The bound pays for both; pricing each resource
// apart would keep only the GPUs' $0.80.
func TestLowerBoundPaysForPodsThatCannotShareNodes(t *testing.T) {
	ctx := context.Background()
	// The estimator supplies the instance types and classes; its baseline could not place arm64-only pods.
	e, err := newEstimator(ctx, smallCatalog(t), mustParse(t, gpuJob), options(t))
	require.NoError(t, err)
	w := mustParse(t, gpuJob+deployment("web", 6, "500m", "1Gi", "nodeSelector: {kubernetes.io/arch: arm64}"))
	b, err := lowerBound(ctx, e.builder, pools{nodePools: e.stack.NodePools, classes: e.classes}, w.Pods)
	require.NoError(t, err)
	require.InDelta(t, 2*0.40+3*0.12/7.91, b.hourly, 1e-9, b.note)
	require.Contains(t, b.note, "g5.xlarge spot")
	require.Contains(t, b.note, "m7g.2xlarge spot")
}

// Twelve amd64-only pods of 1500m: five fit an m6i.2xlarge (7500m of 7910m), so the default pool launches two of
// them and an m6i.xlarge for the last two: 20 vCPU against its 16. With the limits held, the first NodeClaim counts
// as the largest type it could become (8 vCPU, 29.6 GiB after the 7.5 % VM overhead), which leaves 2.4 GiB of the
// 32 Gi limit: no m6i fits, so the other seven pods stay pending (no other pool takes amd64 pods).
func TestLimitsCheckReportsPoolsOverTheirLimitsAndPendingPods(t *testing.T) {
	r := estimate(t, smallCatalog(t), deployment("legacy", 12, "1500m", "1Gi", "nodeSelector: {kubernetes.io/arch: amd64}"), options(t))
	require.Equal(t, []placed{{"m6i.2xlarge", "spot", 2}, {"m6i.xlarge", "spot", 1}}, nodesOf(mustScenario(t, r, Multiarch)))
	var def *PoolUsage
	for i, u := range r.Limits.Pools {
		if u.Scenario == Multiarch && u.NodePool == poolspec.Default {
			def = &r.Limits.Pools[i]
		}
	}
	require.NotNil(t, def, "expected the multiarch default pool in the limits check")
	require.InDelta(t, 20, def.VCPU, 1e-9)
	require.InDelta(t, 16, def.LimitVCPU, 1e-9)
	require.InDelta(t, 32, def.LimitMemoryGiB, 1e-9)
	require.True(t, def.Exceeded)
	require.Contains(t, r.Limits.Pending, PendingPods{Scenario: Multiarch, Workloads: []WorkloadPods{{Kind: "Deployment", Namespace: "default", Name: "legacy", Pods: 7}}})
	// Costs still place every pod.
	require.InDelta(t, 2*0.16+0.08, mustScenario(t, r, Multiarch).HourlyUSD, 1e-9)
}
