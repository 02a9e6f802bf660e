package karpenteriam

import (
	"fmt"

	"github.com/karpenter-savings/karpenter-savings/internal/program/iampolicy"
)

// NodeTrustPolicy lets EC2 instances Karpenter launches assume the node role.
func NodeTrustPolicy(s Scope) iampolicy.Document {
	return iampolicy.Document{
		Version: iampolicy.PolicyVersion,
		Statement: []iampolicy.Statement{{
			Effect:    iampolicy.Allow,
			Principal: &iampolicy.Principal{Service: iampolicy.Values{"ec2." + s.URLSuffix()}},
			Action:    iampolicy.Values{"sts:AssumeRole"},
		}},
	}
}

// NodeManagedPolicyARNs are the AWS-managed policies the template attaches to the node role.
func NodeManagedPolicyARNs(partition string) []string {
	names := []string{
		"AmazonEKS_CNI_Policy",
		"AmazonEKSWorkerNodePolicy",
		"AmazonEC2ContainerRegistryPullOnly",
		"AmazonSSMManagedInstanceCore",
	}
	arns := make([]string, 0, len(names))
	for _, n := range names {
		arns = append(arns, fmt.Sprintf("arn:%s:iam::aws:policy/%s", partition, n))
	}
	return arns
}
