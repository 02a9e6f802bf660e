package network

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPlan(t *testing.T) {
	cases := []struct {
		cidr            string
		zones           int
		private, public []string
	}{
		{"10.42.0.0/20", 2, []string{"10.42.0.0/22", "10.42.4.0/22"}, []string{"10.42.8.0/24", "10.42.9.0/24"}},
		{"10.0.0.0/16", 3, []string{"10.0.0.0/19", "10.0.32.0/19", "10.0.64.0/19"}, []string{"10.0.128.0/21", "10.0.136.0/21", "10.0.144.0/21"}},
		{"192.168.0.0/24", 2, []string{"192.168.0.0/26", "192.168.0.64/26"}, []string{"192.168.0.128/28", "192.168.0.144/28"}},
	}
	for _, tc := range cases {
		t.Run(tc.cidr, func(t *testing.T) {
			got, err := Plan(tc.cidr, tc.zones)
			require.NoError(t, err)
			require.Equal(t, tc.private, strs(got.Private))
			require.Equal(t, tc.public, strs(got.Public))
			vpc := netip.MustParsePrefix(tc.cidr)
			all := append(append([]netip.Prefix{}, got.Private...), got.Public...)
			for i, a := range all {
				require.True(t, vpc.Contains(a.Addr()), "%s inside %s", a, vpc)
				for _, b := range all[i+1:] {
					require.False(t, a.Overlaps(b), "%s overlaps %s", a, b)
				}
			}
		})
	}
}

func TestPlanRejects(t *testing.T) {
	_, err := Plan("192.168.0.0/24", 6)
	require.ErrorContains(t, err, "smaller than /28")
	_, err = Plan("fd00::/64", 2)
	require.ErrorContains(t, err, "is not an IPv4 prefix")
}

func strs(ps []netip.Prefix) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return out
}
