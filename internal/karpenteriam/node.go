package karpenteriam

import "fmt"

// NodeTrustPolicy lets EC2 instances Karpenter launches assume the node role.
func NodeTrustPolicy(s Scope) Document {
	return Document{
		Version: PolicyVersion,
		Statement: []Statement{{
			Effect:    Allow,
			Principal: &Principal{Service: Values{"ec2." + s.URLSuffix()}},
			Action:    Values{"sts:AssumeRole"},
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
