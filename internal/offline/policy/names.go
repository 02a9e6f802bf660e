package policy

import (
	"github.com/karpenter-savings/karpenter-savings/internal/offline/mocks"
	"github.com/karpenter-savings/karpenter-savings/internal/program/pulumik8s"
)

// NameLimits are AWS's (and Helm's) limits on the names of the resources the stack, or a remote component it
// declares (pulumi-eks), names explicitly or lets Pulumi auto-name. A name over its limit fails at `pulumi up`,
// after the resources declared before it exist.
var NameLimits = map[string]int{
	"aws:iam/role:Role":                       64,
	"aws:iam/policy:Policy":                   128,
	"aws:iam/instanceProfile:InstanceProfile": 128,
	"aws:sqs/queue:Queue":                     80,
	"aws:cloudwatch/eventRule:EventRule":      64,
	"aws:ec2/securityGroup:SecurityGroup":     255,
	"aws:ec2/launchTemplate:LaunchTemplate":   128,
	"aws:eks/nodeGroup:NodeGroup":             63,
	pulumik8s.ReleaseType:                     53,
}

// NameLimitsRule reports every resource whose physical name, as the render gives it, is longer than its type allows.
func NameLimitsRule(rec *mocks.Recording) []Violation {
	var out []Violation
	for _, r := range rec.Resources {
		limit, ok := NameLimits[r.Type]
		if !ok || len(r.PhysicalName) <= limit {
			continue
		}
		out = append(out, violation(RuleNameLimits, r, "is named %q (%d characters); %s allows %d",
			r.PhysicalName, len(r.PhysicalName), r.Type, limit))
	}
	return out
}
