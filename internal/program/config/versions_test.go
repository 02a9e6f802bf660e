package config

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestWarningsFollowTheEKSSupportCalendar(t *testing.T) {
	today := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		version string
		want    string // "" means no warning
	}{
		{"1.35", ""},
		{"1.36", ""},
		{"1.34", ""},
		{"1.33", "in EKS extended support since 2026-07-29"},
		{"1.31", "costs $0.60/h instead of $0.10/h"},
		{"1.30", ""}, // past extended support: an error of ValidateAt, not a warning
	}
	for _, tc := range cases {
		t.Run(tc.version, func(t *testing.T) {
			c := &Config{KubernetesVersion: tc.version, NodeAMIVersion: "v20251120"}
			got := strings.Join(c.Warnings(today), "\n")
			if tc.want == "" {
				require.Empty(t, got)
				return
			}
			require.Contains(t, got, tc.want)
			require.Contains(t, got, "karpenter-savings:kubernetesVersion")
		})
	}
}

func TestFloatingAMIWarns(t *testing.T) {
	c := &Config{KubernetesVersion: "1.35", NodeAMIVersion: NodeAMIRecommended}
	got := c.Warnings(time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC))
	require.Len(t, got, 1)
	require.Contains(t, got[0], "karpenter-savings:nodeAmiVersion")
}

func TestSupportedVersionsAreTheKarpenterRangeEKSStillCreates(t *testing.T) {
	for _, tc := range []struct {
		day   string
		first string
		count int
	}{
		{"2024-01-01", "1.26", 11},
		{"2026-07-23", "1.31", 6}, // 1.30's extended support ends that day
		{"2026-11-30", "1.32", 5},
		{"2028-07-28", "", 0},
	} {
		t.Run(tc.day, func(t *testing.T) {
			got := SupportedKubernetesVersions(day(tc.day))
			require.Len(t, got, tc.count)
			if tc.count > 0 {
				require.Equal(t, tc.first, got[0])
				require.Equal(t, "1.36", got[len(got)-1])
			}
		})
	}
}

func TestVersionsPastExtendedSupportAreRejected(t *testing.T) {
	for _, tc := range []struct {
		version, day, want string
	}{
		{"1.31", "2026-11-26", `karpenter-savings:kubernetesVersion: "1.31" left EKS extended support on 2026-11-26: EKS no longer creates it`},
		{"1.31", "2026-11-25", ""}, // the day before: still created, in extended support (a warning)
		{"1.26", "2025-06-11", `"1.26" left EKS extended support on 2025-06-11`},
		{"1.35", "2026-11-30", ""},
	} {
		t.Run(tc.version+"@"+tc.day, func(t *testing.T) {
			c := validConfig(t)
			c.KubernetesVersion = tc.version
			err := c.ValidateAt(day(tc.day))
			if tc.want == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tc.want)
		})
	}
}
