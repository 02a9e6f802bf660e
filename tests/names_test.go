package tests

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/karpenter-savings/karpenter-savings/internal/offline/mocks"
	"github.com/karpenter-savings/karpenter-savings/internal/offline/policy"
	"github.com/karpenter-savings/karpenter-savings/internal/program/config"
)

// longestClusterName is the longest cluster name the configuration allows.
func longestClusterName() string {
	return strings.Repeat("c", config.MaxClusterNameLength-len("-cluster")) + "-cluster"
}

// Auto-naming appends 8 characters to the logical name, which carries the cluster name: with the longest cluster
// name the configuration allows, every name must still fit; a logical name such as
// "<cluster>-karpenter-capacity-reservation-interruption" would not, which is why the interruption rules are named
// explicitly. The deep render's twin, with pulumi-eks's children, is
// TestDeepRenderWithTheLongestClusterNamePassesEveryRule.
func TestPhysicalNamesFitAWSLimitsWithTheLongestClusterName(t *testing.T) {
	for _, name := range []string{"cluster-with-karpenter", longestClusterName()} {
		t.Run(name, func(t *testing.T) {
			rec, err := render(t, with(devConfig(t), map[string]string{config.KeyClusterName: name}))
			require.NoError(t, err)
			checked := 0
			for _, r := range rec.Resources {
				if _, ok := policy.NameLimits[r.Type]; ok {
					require.NotEmptyf(t, r.PhysicalName, "%s has no physical name", r.URN)
					checked++
				}
			}
			require.GreaterOrEqual(t, checked, 20, "roles, policies, queue, rules, node group and releases are checked")
			require.Empty(t, policy.NameLimitsRule(rec))
		})
	}
}

func TestInterruptionRulesAreNamedAfterTheCluster(t *testing.T) {
	rec := renderDev(t)
	rules := rec.ByType(mocks.TypeEventRule)
	require.Len(t, rules, 5)
	for _, r := range rules {
		require.Truef(t, strings.HasPrefix(r.PhysicalName, "cluster-with-karpenter-"), "rule %s is named %q", r.URN, r.PhysicalName)
		require.Equal(t, r.PhysicalName, r.Inputs["name"], "the name is explicit, not auto-named")
	}
}
