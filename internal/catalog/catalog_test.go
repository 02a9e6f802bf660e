package catalog

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLoadNamesItsSourceAndDate(t *testing.T) {
	c, err := Load()
	require.NoError(t, err)
	require.Contains(t, c.Source(), "github.com/LeanerCloud/ec2-instances-info@v0.0.0-20250528091325-32acf84f42eb",
		"expected the source to name the pinned dataset module")
	require.Equal(t, "2025-05-28", c.Date(), "expected the date of the pinned dataset")
	require.Contains(t, c.Regions(), "us-east-1")
	for _, name := range []string{"m6i.large", "m7g.large", "g5.xlarge"} {
		require.NoError(t, c.Check("us-east-1", name), "expected the lab's instance types to be priced in us-east-1")
	}
}

func TestSnapshotSpecsReadLikeEC2(t *testing.T) {
	c, err := Load()
	require.NoError(t, err)
	for _, tc := range []struct {
		name string
		want Spec
	}{
		{"m6i.large", Spec{Name: "m6i.large", VCPU: 2, MemoryMiB: 8192, Arch: ArchX86, CPUManufacturer: "Intel", MaxENIs: 3, IPv4PerENI: 10}},
		{"m7g.large", Spec{Name: "m7g.large", VCPU: 2, MemoryMiB: 8192, Arch: ArchARM, CPUManufacturer: "AWS", MaxENIs: 3, IPv4PerENI: 10}},
		{"g5.xlarge", Spec{Name: "g5.xlarge", VCPU: 4, MemoryMiB: 16384, Arch: ArchX86, CPUManufacturer: "AMD", MaxENIs: 4, IPv4PerENI: 15,
			GPUCount: 1, GPUManufacturer: "NVIDIA", GPUName: "A10G", GPUMemoryMiB: 24576, LocalNVMeGB: 250}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := c.Spec(tc.name)
			require.True(t, ok, "expected %s in the snapshot", tc.name)
			// Clock speed and EBS bandwidth only feed labels; the fields compared are those that size a node.
			got.ClockGHz, got.EBSMbps = 0, 0
			require.Equal(t, tc.want, got)
		})
	}
}

func TestCheckExplainsWhatIsMissing(t *testing.T) {
	c := testCatalog(t)
	for _, tc := range []struct {
		name, region, instanceType, want string
	}{
		{"unknown type", "us-east-1", "m99z.huge", `unknown instance type "m99z.huge"`},
		{"type not priced in the region", "eu-west-1", "m6i.large", `no Linux price in region eu-west-1`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.ErrorContains(t, c.Check(tc.region, tc.instanceType), tc.want)
		})
	}
	require.NoError(t, c.Check("us-east-1", "m6i.large"), "expected a priced type to pass")
}

func TestOfferedListsARegionsTypesSorted(t *testing.T) {
	c := testCatalog(t)
	specs, err := c.Offered("us-east-1")
	require.NoError(t, err)
	var names []string
	for _, s := range specs {
		names = append(names, s.Name)
	}
	require.Equal(t, []string{"m6i.large", "m7g.large"}, names)

	_, err = c.Offered("mars-north-1")
	require.ErrorContains(t, err, "regions: [eu-west-1 us-east-1]", "expected the error to list the regions the snapshot has")
}

func TestNewRejectsInconsistentSnapshots(t *testing.T) {
	for _, tc := range []struct {
		name string
		snap *Snapshot
		want string
	}{
		{"duplicate spec", &Snapshot{InstanceTypes: []Spec{{Name: "a.large"}, {Name: "a.large"}}}, "listed twice"},
		{"price without spec", &Snapshot{Regions: map[string]map[string]Price{"r": {"a.large": {OnDemand: 1}}}}, "has no spec"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.snap)
			require.ErrorContains(t, err, tc.want)
		})
	}
}

func testCatalog(t *testing.T) *Catalog {
	t.Helper()
	c, err := New(&Snapshot{
		Source: "test", Date: "2025-01-01",
		InstanceTypes: []Spec{{Name: "m7g.large"}, {Name: "m6i.large"}, {Name: "c6g.large"}},
		Regions: map[string]map[string]Price{
			"us-east-1": {"m6i.large": {OnDemand: 0.096, Spot: 0.04}, "m7g.large": {OnDemand: 0.0816}},
			"eu-west-1": {"c6g.large": {OnDemand: 0.07}},
		},
	})
	require.NoError(t, err)
	return c
}
