package tests

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/karpenter-savings/karpenter-savings/internal/config"
)

// nameLimits are AWS's (and Helm's) limits on the names of the resources the stack names or Pulumi auto-names.
var nameLimits = map[string]int{
	"aws:iam/role:Role":                   64,
	"aws:iam/policy:Policy":               128,
	"aws:sqs/queue:Queue":                 80,
	"aws:cloudwatch/eventRule:EventRule":  64,
	"aws:ec2/securityGroup:SecurityGroup": 255,
	"aws:eks/nodeGroup:NodeGroup":         63,
	"kubernetes:helm.sh/v3:Release":       53,
}

// Auto-naming appends 8 characters to the logical name, which carries the cluster name: with the longest cluster
// name the configuration allows, every name must still fit. Before the interruption rules got explicit names,
// "<cluster>-karpenter-capacity-reservation-interruption" plus 8 characters broke EventBridge's 64 even with the
// default cluster name.
func TestPhysicalNamesFitAWSLimitsWithTheLongestClusterName(t *testing.T) {
	longest := strings.Repeat("c", config.MaxClusterNameLength-len("-cluster")) + "-cluster"
	for _, name := range []string{"cluster-with-karpenter", longest} {
		t.Run(name, func(t *testing.T) {
			rec, err := render(t, with(devConfig(t), map[string]string{config.KeyClusterName: name}))
			require.NoError(t, err)
			checked := 0
			for _, r := range rec.Resources {
				limit, ok := nameLimits[r.Type]
				if !ok {
					continue
				}
				require.NotEmptyf(t, r.PhysicalName, "%s has no physical name", r.URN)
				require.LessOrEqualf(t, len(r.PhysicalName), limit, "%s is named %q (%d characters); the limit is %d",
					r.URN, r.PhysicalName, len(r.PhysicalName), limit)
				checked++
			}
			require.GreaterOrEqual(t, checked, 20, "roles, policies, queue, rules, node group and releases are checked")
		})
	}
}

func TestInterruptionRulesAreNamedAfterTheCluster(t *testing.T) {
	rec := renderDev(t)
	rules := rec.ByType("aws:cloudwatch/eventRule:EventRule")
	require.Len(t, rules, 5)
	for _, r := range rules {
		require.Truef(t, strings.HasPrefix(r.PhysicalName, "cluster-with-karpenter-"), "rule %s is named %q", r.URN, r.PhysicalName)
		require.Equal(t, r.PhysicalName, r.Inputs["name"], "the name is explicit, not auto-named")
	}
}
