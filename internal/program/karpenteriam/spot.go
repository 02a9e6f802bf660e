package karpenteriam

import "fmt"

// The EC2 Spot service-linked role. EC2 creates it the first time an account requests spot capacity from the
// console, but not for API callers: without it, Karpenter's CreateFleet calls for spot fail and Karpenter marks spot
// unavailable, so spot-only pools never launch and mixed pools silently run on-demand.
const (
	// SpotServiceName is the service the role is linked to.
	SpotServiceName = "spot.amazonaws.com"
	// SpotServiceLinkedRoleName is the role's fixed name.
	SpotServiceLinkedRoleName = "AWSServiceRoleForEC2Spot"
	// SpotServiceLinkedRolePath is the path IAM gives the role.
	SpotServiceLinkedRolePath = "/aws-service-role/" + SpotServiceName + "/"
)

// SpotServiceLinkedRoleARN is the ARN of the account's EC2 Spot service-linked role, the id Pulumi imports it by.
func (s Scope) SpotServiceLinkedRoleARN() string {
	return fmt.Sprintf("arn:%s:iam::%s:role%s%s", s.Partition, s.AccountID, SpotServiceLinkedRolePath, SpotServiceLinkedRoleName)
}
