package savings

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/karpenter-savings/karpenter-savings/internal/catalog"
)

// TestEstimateIsReproducible runs the mixed example, whose zone-spread API pods leave Karpenter's scheduler a
// choice between tied zones, several times: every run must print the same report.
func TestEstimateIsReproducible(t *testing.T) {
	cat, err := catalog.Load()
	require.NoError(t, err)
	manifests := readExample(t, "mixed-workload.yaml")
	first, err := json.Marshal(estimate(t, cat, manifests, options(t)))
	require.NoError(t, err)
	for run := 2; run <= 5; run++ {
		again, err := json.Marshal(estimate(t, cat, manifests, options(t)))
		require.NoError(t, err)
		require.JSONEq(t, string(first), string(again), "run %d: expected the report of run 1", run)
	}
}

func TestCanonicalZones(t *testing.T) {
	const a, b, c = "us-east-1a", "us-east-1b", "us-east-1c"
	node := func(pods int, zone string) Node {
		return Node{InstanceType: "m6i.large", CapacityType: "on-demand", Arch: "amd64", Zone: zone, Pods: pods, HourlyUSD: 0.096, NodePool: "default"}
	}
	at := func(pods int, zones ...string) placement {
		return placement{node: node(pods, zones[0]), zones: zones}
	}
	for _, tc := range []struct {
		name   string
		zones  []string
		placed []placement
		want   []Node
	}{
		{
			name:   "the fuller of two pinned nodes is named the first zone",
			zones:  []string{a, c},
			placed: []placement{at(5, c), at(2, a)},
			want:   []Node{node(5, a), node(2, c)},
		},
		{
			name:   "Karpenter's opposite choice of zones gives the same nodes",
			zones:  []string{a, c},
			placed: []placement{at(5, a), at(2, c)},
			want:   []Node{node(5, a), node(2, c)},
		},
		{
			name:   "a node free to launch in every zone takes the first",
			zones:  []string{a, c},
			placed: []placement{at(5, c), at(3, c, a)},
			want:   []Node{node(5, a), node(3, a)},
		},
		{
			name:   "nodes pinned to one zone stay together",
			zones:  []string{a, c},
			placed: []placement{at(4, c), at(3, a), at(2, c)},
			want:   []Node{node(4, a), node(2, a), node(3, c)},
		},
		{
			name:   "zones are listed in any order and renamed among three",
			zones:  []string{c, b, a},
			placed: []placement{at(1, a), at(4, b), at(2, c)},
			want:   []Node{node(4, a), node(2, b), node(1, c)},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, canonicalZones(tc.placed, tc.zones), "expected nodes %v", tc.want)
		})
	}
}
