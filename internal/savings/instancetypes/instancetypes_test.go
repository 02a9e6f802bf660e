package instancetypes

import (
	"context"
	"fmt"
	"testing"

	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	awsv1 "github.com/aws/karpenter-provider-aws/pkg/apis/v1"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	karpv1 "sigs.k8s.io/karpenter/pkg/apis/v1"
	"sigs.k8s.io/karpenter/pkg/cloudprovider"

	"github.com/karpenter-savings/karpenter-savings/internal/catalog"
)

var zones = []string{"us-east-1a", "us-east-1c"}

func al2023() *awsv1.EC2NodeClass {
	nc := &awsv1.EC2NodeClass{Spec: awsv1.EC2NodeClassSpec{AMISelectorTerms: []awsv1.AMISelectorTerm{{Alias: "al2023@latest"}}}}
	nc.Name = "default"
	return nc
}

func build(t *testing.T, cat *catalog.Catalog) map[string]*cloudprovider.InstanceType {
	t.Helper()
	b, err := New(cat, "us-east-1", zones)
	require.NoError(t, err)
	out := map[string]*cloudprovider.InstanceType{}
	for _, it := range b.For(context.Background(), al2023()) {
		out[it.Name] = it
	}
	return out
}

// The expected values are Karpenter's AL2023 formulas worked by hand:
//   - CPU: kube-reserved takes 6% of the first core, 1% of the second, 0.5% of cores 3-4, 0.25% above.
//   - memory: capacity is MiB minus 7.5% VM overhead (rounded up), and 64 MiB less on Graviton; allocatable then
//     drops kube-reserved (11 MiB per pod + 255 MiB) and the 100 MiB eviction threshold.
//   - pods: ENIs × (IPv4 per ENI - 1) + 2.
func TestAllocatableFollowsKarpentersFormulas(t *testing.T) {
	its := build(t, mustLoad(t))
	for _, tc := range []struct {
		name                   string
		cpu, memory, pods, cap string
	}{
		// 2000m - 60m - 10m; 8192 - 615 = 7577Mi, - (11*29+255) - 100 = 6903Mi; 3*(10-1)+2 = 29.
		{"m6i.large", "1930m", "6903Mi", "29", "7577Mi"},
		// Graviton: 8192 - 64 = 8128, - 610 = 7518Mi, - 574 - 100 = 6844Mi.
		{"m7g.large", "1930m", "6844Mi", "29", "7518Mi"},
		// 4000m - 60 - 10 - 10; 16384 - 1229 = 15155Mi, - (11*58+255) - 100 = 14162Mi; 4*(15-1)+2 = 58.
		{"g5.xlarge", "3920m", "14162Mi", "58", "15155Mi"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			it, ok := its[tc.name]
			require.True(t, ok, "expected %s to be built", tc.name)
			alloc := it.Allocatable()
			require.Equal(t, tc.cpu, alloc.Cpu().String(), "allocatable CPU")
			require.Equal(t, tc.memory, alloc.Memory().String(), "allocatable memory")
			require.Equal(t, tc.pods, alloc.Pods().String(), "max pods")
			require.Equal(t, tc.cap, it.Capacity.Memory().String(), "memory capacity")
		})
	}
}

func TestRequirementLabelsComeFromKarpenter(t *testing.T) {
	its := build(t, mustLoad(t))
	for _, tc := range []struct {
		instanceType, key, want string
	}{
		{"m7g.large", corev1.LabelArchStable, karpv1.ArchitectureArm64},
		{"m6i.large", corev1.LabelArchStable, karpv1.ArchitectureAmd64},
		{"m6i.large", awsv1.LabelInstanceGeneration, "6"},
		{"m6i.large", awsv1.LabelInstanceSize, "large"},
		{"m6i.large", awsv1.LabelInstanceCategory, "m"},
		{"m6i.large", awsv1.LabelInstanceHypervisor, "nitro"},
		{"g5.xlarge", awsv1.LabelInstanceGPUManufacturer, "nvidia"},
		{"g5.xlarge", awsv1.LabelInstanceGPUName, "a10g"},
		{"g5.xlarge", awsv1.LabelInstanceGPUCount, "1"},
	} {
		t.Run(fmt.Sprintf("%s %s", tc.instanceType, tc.key), func(t *testing.T) {
			got := its[tc.instanceType].Requirements.Get(tc.key).Values()
			require.Equal(t, []string{tc.want}, got)
		})
	}
	gpus := its["g5.xlarge"].Capacity[awsv1.ResourceNVIDIAGPU]
	require.Equal(t, int64(1), gpus.Value(), "expected g5.xlarge to advertise one nvidia.com/gpu")
}

func TestOfferingsArePricedPerZoneAndCapacityType(t *testing.T) {
	cat, err := catalog.New(&catalog.Snapshot{
		InstanceTypes: []catalog.Spec{
			{Name: "m6i.large", VCPU: 2, MemoryMiB: 8192, Arch: catalog.ArchX86, MaxENIs: 3, IPv4PerENI: 10},
			{Name: "m6i.xlarge", VCPU: 4, MemoryMiB: 16384, Arch: catalog.ArchX86, MaxENIs: 4, IPv4PerENI: 15},
		},
		Regions: map[string]map[string]catalog.Price{"us-east-1": {
			"m6i.large":  {OnDemand: 0.096, Spot: 0.04},
			"m6i.xlarge": {OnDemand: 0.192}, // no spot market
		}},
	})
	require.NoError(t, err)
	its := build(t, cat)

	type offer struct {
		capacityType, zone string
		price              float64
	}
	offers := func(it *cloudprovider.InstanceType) []offer {
		var out []offer
		for _, o := range it.Offerings.Available() {
			out = append(out, offer{o.CapacityType(), o.Zone(), o.Price})
		}
		return out
	}
	require.ElementsMatch(t, []offer{
		{karpv1.CapacityTypeOnDemand, "us-east-1a", 0.096}, {karpv1.CapacityTypeOnDemand, "us-east-1c", 0.096},
		{karpv1.CapacityTypeSpot, "us-east-1a", 0.04}, {karpv1.CapacityTypeSpot, "us-east-1c", 0.04},
	}, offers(its["m6i.large"]))
	require.ElementsMatch(t, []offer{
		{karpv1.CapacityTypeOnDemand, "us-east-1a", 0.192}, {karpv1.CapacityTypeOnDemand, "us-east-1c", 0.192},
	}, offers(its["m6i.xlarge"]), "expected no spot offering without a spot price")
}

// Karpenter's offering resolver ranges over a set of zones; a fixed order keeps "the first of equally cheap
// offerings" the same on every run.
func TestOfferingsAreOrderedByZoneThenCapacityType(t *testing.T) {
	its := build(t, mustLoad(t))
	type offer struct{ zone, capacityType string }
	var got []offer
	for _, o := range its["m6i.large"].Offerings {
		got = append(got, offer{o.Zone(), o.CapacityType()})
	}
	require.Equal(t, []offer{
		{"us-east-1a", karpv1.CapacityTypeOnDemand}, {"us-east-1a", karpv1.CapacityTypeSpot},
		{"us-east-1c", karpv1.CapacityTypeOnDemand}, {"us-east-1c", karpv1.CapacityTypeSpot},
	}, got)
}

func TestPricedInstanceTypesAreListedByName(t *testing.T) {
	p := &snapshotPricing{prices: map[ec2types.InstanceType]catalog.Price{"m7g.large": {}, "c5.large": {}, "m6i.large": {}}}
	require.Equal(t, []ec2types.InstanceType{"c5.large", "m6i.large", "m7g.large"}, p.InstanceTypes())
}

func TestNodeClassCompatibilityIsKarpenters(t *testing.T) {
	its := build(t, mustLoad(t))
	// Karpenter marks a1 unavailable with AL2023, which does not support it.
	require.Empty(t, its["a1.large"].Offerings.Available(), "expected no available a1 offering under AL2023")
	require.NotEmpty(t, its["m6i.large"].Offerings.Available())
}

func TestNewRejectsBadPlacement(t *testing.T) {
	cat := mustLoad(t)
	for _, tc := range []struct {
		name, region string
		zones        []string
		want         string
	}{
		{"no zones", "us-east-1", nil, "no zones"},
		{"zone of another region", "us-east-1", []string{"eu-west-1a"}, `zone "eu-west-1a" is not in region us-east-1`},
		{"unknown region", "mars-north-1", []string{"mars-north-1a"}, `no prices for region "mars-north-1"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(cat, tc.region, tc.zones)
			require.ErrorContains(t, err, tc.want)
		})
	}
}

func mustLoad(t *testing.T) *catalog.Catalog {
	t.Helper()
	c, err := catalog.Load()
	require.NoError(t, err)
	return c
}

// Offerings carry the catalog's prices as laid over: an on-demand price from another source reaches the on-demand
// offerings (and so the scheduler, the lower bound and the price floor, which all read offerings); spot stays.
func TestOfferingsCarryOnDemandPricesLaidOverTheSnapshot(t *testing.T) {
	cat := mustLoad(t)
	snap, ok := cat.Price("us-east-1", "m6i.large")
	require.True(t, ok)
	laid, _, err := cat.WithOnDemand("us-east-1", catalog.PriceSource{ID: "table", Source: "test table", Date: "2026-01-01"},
		func(name string) (float64, bool) { return 2 * snap.OnDemand, name == "m6i.large" })
	require.NoError(t, err)
	it, ok := build(t, laid)["m6i.large"]
	require.True(t, ok)
	require.Len(t, it.Offerings, 2*len(zones), "expected on-demand and spot offerings in each zone")
	for _, o := range it.Offerings {
		want := snap.Spot
		if o.CapacityType() == karpv1.CapacityTypeOnDemand {
			want = 2 * snap.OnDemand
		}
		require.Equal(t, want, o.Price, "%s offering in %s", o.CapacityType(), o.Zone())
	}
}
