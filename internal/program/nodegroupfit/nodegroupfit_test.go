package nodegroupfit

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/karpenter-savings/karpenter-savings/internal/catalog"
	"github.com/karpenter-savings/karpenter-savings/internal/savings/instancetypes"
)

// mustLoad returns the embedded catalog; catalog.Load decodes it once per test binary.
func mustLoad(t *testing.T) *catalog.Catalog {
	t.Helper()
	cat, err := catalog.Load()
	require.NoError(t, err)
	return cat
}

func requirement(cpu, memory string) Requirement {
	return Requirement{ControllerCPU: resource.MustParse(cpu), ControllerMemory: resource.MustParse(memory)}
}

// defaults is the stack's default controller size (karpenterControllerCpu 1, karpenterControllerMemory 1Gi).
var defaults = requirement("1", "1Gi")

func TestCheck(t *testing.T) {
	cat := mustLoad(t)
	type want struct {
		instanceType string
		kind         Kind
		reason       []string // substrings of the reason
	}
	for _, tc := range []struct {
		name   string
		region string
		types  []string
		req    Requirement
		want   []want
	}{
		{
			name: "defaults fit the stack's default types", region: "us-east-1", req: defaults,
			types: []string{"t4g.medium", "c7g.large", "c6g.large"},
		},
		{
			name: "typo", region: "us-east-1", req: defaults, types: []string{"t4g.medum"},
			want: []want{{"t4g.medum", NotInCatalog, []string{"not an EC2 instance type in the catalog snapshot of " + cat.Date(), "did you mean t4g.medium?"}}},
		},
		{
			name: "no near name proposes the cheapest that fit", region: "us-east-1", req: defaults, types: []string{"xyz.huge"},
			want: []want{{"xyz.huge", NotInCatalog, []string{"use t4g.small, t4g.medium or t4g.large (the cheapest in us-east-1"}}},
		},
		{
			name: "x86 type", region: "us-east-1", req: defaults, types: []string{"m6i.large"},
			want: []want{{"m6i.large", NotARM64, []string{"is x86_64", "AL2023 arm64 AMI", "did you mean m6g.large?"}}},
		},
		{
			name: "arm64 type AL2023 does not run on", region: "us-east-1", req: defaults, types: []string{"a1.large"},
			want: []want{{"a1.large", NotAL2023, []string{"AL2023", "does not support it"}}},
		},
		{
			// The 2025-05-28 snapshot has no c7g price in af-south-1; c6g is there.
			name: "not offered in the region", region: "af-south-1", req: defaults, types: []string{"c7g.large", "c6g.large"},
			want: []want{{"c7g.large", NotOffered, []string{"not offered in af-south-1", "did you mean c6g.large?"}}},
		},
		{
			name: "not offered and x86", region: "eu-south-2", req: defaults, types: []string{"m6i.large"},
			want: []want{{"m6i.large", NotOffered, nil}, {"m6i.large", NotARM64, nil}},
		},
		{
			name: "region without prices skips the offering check", region: "xx-test-1", req: defaults, types: []string{"c7g.large", "t4g.micro"},
			want: []want{{"t4g.micro", InsufficientMemory, []string{"(the smallest that hold"}}},
		},
		{
			name: "too small for the default controller", region: "us-east-1", req: defaults, types: []string{"t4g.nano", "t4g.micro"},
			want: []want{
				{"t4g.nano", InsufficientMemory, []string{"has 15Mi memory allocatable", "must hold 1094Mi", "1024Mi for a Karpenter controller replica", "coredns 70Mi", "use t4g.small"}},
				{"t4g.micro", InsufficientMemory, []string{"has 489Mi memory allocatable", "estimated 888Mi capacity less 299Mi kube-reserved and 100Mi eviction threshold", "must hold 1094Mi"}},
			},
		},
		{
			name: "t4g.small fits the default controller", region: "us-east-1", req: defaults, types: []string{"t4g.small"},
		},
		{
			name: "a bigger controller CPU outgrows t4g.medium", region: "us-east-1", req: requirement("2", "1Gi"), types: []string{"t4g.medium", "c7g.xlarge"},
			want: []want{{"t4g.medium", InsufficientCPU, []string{
				"has 1930m CPU allocatable (2 vCPUs less 70m kube-reserved", "must hold 2250m: 2000m for a Karpenter controller replica and 250m for the add-ons (aws-node 50m, kube-proxy 100m, coredns 100m)",
				"or lower the controller's CPU request",
			}}},
		},
		{
			name: "a bigger controller memory outgrows t4g.medium", region: "us-east-1", req: requirement("1", "4Gi"), types: []string{"t4g.medium", "c7g.xlarge"},
			want: []want{{"t4g.medium", InsufficientMemory, []string{"has 3187Mi memory allocatable", "must hold 4166Mi", "or lower the controller's memory request"}}},
		},
		{
			name: "a bigger controller outgrows t4g.medium in both", region: "us-east-1", req: requirement("2", "4Gi"), types: []string{"t4g.medium", "c7g.xlarge"},
			want: []want{{"t4g.medium", InsufficientCPU, nil}, {"t4g.medium", InsufficientMemory, nil}},
		},
		{
			// t4g.medium has 1930m and 3187Mi allocatable; the add-ons take 250m and 70Mi.
			name: "a controller that fills t4g.medium exactly fits", region: "us-east-1", req: requirement("1680m", "3117Mi"), types: []string{"t4g.medium"},
		},
		{
			name: "one millicore and one MiB more do not", region: "us-east-1", req: requirement("1681m", "3118Mi"), types: []string{"t4g.medium"},
			want: []want{{"t4g.medium", InsufficientCPU, []string{"must hold 1931m"}}, {"t4g.medium", InsufficientMemory, []string{"must hold 3188Mi"}}},
		},
		{
			name: "no type holds a huge controller", region: "us-east-1", req: requirement("1000", "1Gi"), types: []string{"c7g.xlarge"},
			want: []want{{"c7g.xlarge", InsufficientCPU, []string{"lower the controller's CPU request: no arm64 type of the snapshot holds it"}}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			problems := Check(cat, tc.region, tc.types, tc.req)
			require.Len(t, problems, len(tc.want), "expected %d problems, got %+v", len(tc.want), problems)
			for i, w := range tc.want {
				p := problems[i]
				require.Equal(t, w.instanceType, p.InstanceType, "problem %d: %s", i, p.Reason)
				require.Equal(t, w.kind, p.Kind, "problem %d: %s", i, p.Reason)
				for _, s := range w.reason {
					require.Contains(t, p.Reason, s, "problem %d of %s", i, p.InstanceType)
				}
			}
		})
	}
}

// The expected values are Karpenter's AL2023 formulas worked by hand, as in the instancetypes tests:
//   - CPU: 2 vCPUs less 6% of the first core and 1% of the second: 2000m - 60m - 10m = 1930m (4 vCPUs: - 10m more).
//   - memory: MiB less 64Mi (Graviton) less 7.5% VM overhead, rounded up; then less kube-reserved (11Mi per ENI-limited
//     pod + 255Mi) and the 100Mi eviction threshold.
func TestAllocatable(t *testing.T) {
	cat := mustLoad(t)
	ctx := instancetypes.WithDefaultOptions(context.Background())
	for _, tc := range []struct {
		name, cpu, memory string
	}{
		// 2048 - 64 = 1984, - 149 = 1835Mi; pods 3*(4-1)+2 = 11: - 376 - 100 = 1359Mi.
		{"t4g.small", "1930m", "1359Mi"},
		// 4096 - 64 = 4032, - 303 = 3729Mi; pods 3*(6-1)+2 = 17: - 442 - 100 = 3187Mi.
		{"t4g.medium", "1930m", "3187Mi"},
		// 3729Mi; pods 3*(10-1)+2 = 29: - 574 - 100 = 3055Mi.
		{"c7g.large", "1930m", "3055Mi"},
		{"c6g.large", "1930m", "3055Mi"},
		// 8192 - 64 = 8128, - 610 = 7518Mi; pods 4*(15-1)+2 = 58: - 893 - 100 = 6525Mi.
		{"c7g.xlarge", "3920m", "6525Mi"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec, ok := cat.Spec(tc.name)
			require.True(t, ok, "expected %s in the catalog", tc.name)
			price, _ := cat.Price("us-east-1", tc.name)
			node := allocatableOf(ctx, "us-east-1", spec, price)
			require.Equal(t, tc.cpu, milli(node.cpu), "allocatable CPU")
			require.Equal(t, tc.memory, mebiFloor(node.memory), "allocatable memory")
			require.Zero(t, node.memory.Value()%mebi, "allocatable memory %s is not whole MiB", node.memory.String())
		})
	}
}

func TestAddOnRequests(t *testing.T) {
	d := demandOf(requirement("0", "0"))
	require.Equal(t, "250m", milli(d.addOnCPU), "aws-node 50m + kube-proxy 100m + coredns 100m")
	require.Equal(t, "70Mi", mebiCeil(d.addOnMemory), "coredns 70Mi")
}

func TestNearest(t *testing.T) {
	specs := func(names ...string) []catalog.Spec {
		var out []catalog.Spec
		for _, n := range names {
			out = append(out, catalog.Spec{Name: n})
		}
		return out
	}
	for _, tc := range []struct {
		name       string
		candidates []catalog.Spec
		want       []string
	}{
		{"t4g.medum", specs("t4g.medium", "c6g.medium", "t4g.small"), []string{"t4g.medium"}},
		{"m6i.large", specs("c6g.large", "m6g.large", "m7g.large"), []string{"m6g.large"}},
		{"c5.large", specs("c6g.large", "c7g.large", "c8g.large", "c6gd.large", "m6g.large"), []string{"c6g.large", "c7g.large", "c8g.large"}},
		{"t3.medium", specs("a1.medium", "c6g.medium", "t4g.medium"), []string{"t4g.medium"}},
		{"xyz", specs("t4g.medium"), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, nearest(tc.name, tc.candidates, maxSuggestions))
		})
	}
}

func TestEditDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"abc", "", 3}, {"", "abc", 3}, {"t4g.medum", "t4g.medium", 1}, {"m6i.large", "m6g.large", 1}, {"c5.large", "c6g.large", 2},
	} {
		require.Equal(t, tc.want, editDistance(tc.a, tc.b), "editDistance(%q, %q)", tc.a, tc.b)
	}
}
