package karpenteriam

import (
	"errors"
	"fmt"
)

// Scope is the account, region and cluster every Karpenter document is scoped to.
type Scope struct {
	Partition   string // e.g. "aws", from the getPartition invoke.
	Region      string // e.g. "us-east-1".
	AccountID   string // the 12-digit account id, from getCallerIdentity.
	ClusterName string // the EKS cluster's name.
}

// Validate reports every empty field, named as Scope.<Field>.
func (s Scope) Validate() error {
	var errs []error
	for _, f := range s.Missing() {
		errs = append(errs, fmt.Errorf("missing Scope.%s", f))
	}
	return errors.Join(errs...)
}

// Missing names the empty fields, e.g. "Region", so a caller can report them in its own terms.
func (s Scope) Missing() []string {
	var missing []string
	for _, f := range []struct{ name, value string }{
		{"Partition", s.Partition},
		{"Region", s.Region},
		{"AccountID", s.AccountID},
		{"ClusterName", s.ClusterName},
	} {
		if f.value == "" {
			missing = append(missing, f.name)
		}
	}
	return missing
}

// URLSuffix is the partition's domain (CloudFormation's AWS::URLSuffix), used in service principals.
func (s Scope) URLSuffix() string {
	if s.Partition == "aws-cn" {
		return "amazonaws.com.cn"
	}
	return "amazonaws.com"
}

// NodeRoleName is the name of the IAM role Karpenter's nodes run as.
func (s Scope) NodeRoleName() string { return "KarpenterNodeRole-" + s.ClusterName }

// NodeRoleARN is the ARN of the node role; the template creates it at path "/".
func (s Scope) NodeRoleARN() string {
	return fmt.Sprintf("arn:%s:iam::%s:role/%s", s.Partition, s.AccountID, s.NodeRoleName())
}

// ControllerRoleName is the name of the IAM role the Karpenter controller assumes through Pod Identity.
func (s Scope) ControllerRoleName() string { return "KarpenterControllerRole-" + s.ClusterName }

// QueueName is the interruption queue's name; Karpenter's template names it after the cluster.
func (s Scope) QueueName() string { return s.ClusterName }

// QueueARN is the interruption queue's ARN.
func (s Scope) QueueARN() string {
	return fmt.Sprintf("arn:%s:sqs:%s:%s:%s", s.Partition, s.Region, s.AccountID, s.QueueName())
}

// ClusterARN is the EKS cluster's ARN.
func (s Scope) ClusterARN() string {
	return fmt.Sprintf("arn:%s:eks:%s:%s:cluster/%s", s.Partition, s.Region, s.AccountID, s.ClusterName)
}
