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
		{"1.30", "left EKS extended support on 2026-07-23"},
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

func TestSupportedVersionsAreTheKarpenterRange(t *testing.T) {
	got := SupportedKubernetesVersions()
	require.Equal(t, "1.26", got[0])
	require.Equal(t, "1.36", got[len(got)-1])
	require.Len(t, got, 11)
}
