package policy

import (
	"strings"
	"testing"

	"github.com/karpenter-savings/karpenter-savings/internal/offline/mocks"
	"github.com/karpenter-savings/karpenter-savings/internal/program/pulumik8s"
)

func named(token, name, physical string) mocks.Resource {
	r := resource(token, name, map[string]any{})
	r.PhysicalName = physical
	return r
}

func TestNameLimitsRule(t *testing.T) {
	runCases(t, RuleNameLimits, NameLimitsRule, []ruleCase{
		{name: "a role name of 64 characters fits", rec: recording(named("aws:iam/role:Role", "r", strings.Repeat("r", 64)))},
		{
			// pulumi-eks's instance role with a 40-character cluster name: <cluster>-eks-instanceRole-role-<7 hex>.
			name: "a role name of 70 characters does not",
			rec:  recording(named("aws:iam/role:Role", "r", strings.Repeat("c", 40)+"-eks-instanceRole-role-1a716d3")),
			want: []string{"(70 characters); aws:iam/role:Role allows 64"},
		},
		{name: "a release name of 54 characters", rec: recording(named(pulumik8s.ReleaseType, "k", strings.Repeat("k", 54))), want: []string{"allows 53"}},
		{name: "a node group name of 64 characters", rec: recording(named("aws:eks/nodeGroup:NodeGroup", "g", strings.Repeat("g", 64))), want: []string{"allows 63"}},
		{name: "a type without a limit", rec: recording(named("aws:ec2/vpc:Vpc", "v", strings.Repeat("v", 300)))},
	})
}
