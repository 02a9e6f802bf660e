package karpenteriam

import "fmt"

// Policy is a customer-managed IAM policy attached to the controller role.
type Policy struct {
	ID       string // short and stable, e.g. "node-lifecycle"; used in resource names.
	Name     string // e.g. "KarpenterControllerNodeLifecyclePolicy-<cluster>", as the template names it.
	Document Document
}

// ControllerTrustPolicy lets EKS Pod Identity hand the controller role to Karpenter's service account.
func ControllerTrustPolicy() Document {
	return Document{
		Version: PolicyVersion,
		Statement: []Statement{{
			Effect:    Allow,
			Principal: &Principal{Service: Values{"pods.eks.amazonaws.com"}},
			Action:    Values{"sts:AssumeRole", "sts:TagSession"},
		}},
	}
}

// ControllerPolicies are the template's six controller policies, in the template's order.
func ControllerPolicies(s Scope) []Policy {
	return []Policy{
		{ID: "node-lifecycle", Name: "KarpenterControllerNodeLifecyclePolicy-" + s.ClusterName, Document: nodeLifecyclePolicy(s)},
		{ID: "iam-integration", Name: "KarpenterControllerIAMIntegrationPolicy-" + s.ClusterName, Document: iamIntegrationPolicy(s)},
		{ID: "eks-integration", Name: "KarpenterControllerEKSIntegrationPolicy-" + s.ClusterName, Document: eksIntegrationPolicy(s)},
		{ID: "interruption", Name: "KarpenterControllerInterruptionPolicy-" + s.ClusterName, Document: interruptionPolicy(s)},
		{ID: "zonal-shift", Name: "KarpenterControllerZonalShiftPolicy-" + s.ClusterName, Document: zonalShiftPolicy(s)},
		{ID: "resource-discovery", Name: "KarpenterControllerResourceDiscoveryPolicy-" + s.ClusterName, Document: resourceDiscoveryPolicy(s)},
	}
}

// ec2ARN is an EC2 resource ARN in the scope's region; account "" is the form images and snapshots use.
func (s Scope) ec2ARN(account, resource string) string {
	return fmt.Sprintf("arn:%s:ec2:%s:%s:%s", s.Partition, s.Region, account, resource)
}

func (s Scope) ec2ARNs(account string, resources ...string) Values {
	arns := make(Values, 0, len(resources))
	for _, r := range resources {
		arns = append(arns, s.ec2ARN(account, r))
	}
	return arns
}

func (s Scope) instanceProfileARN() string {
	return fmt.Sprintf("arn:%s:iam::%s:instance-profile/*", s.Partition, s.AccountID)
}

// clusterTag is the tag key marking resources Karpenter launched for this cluster.
func (s Scope) clusterTag() string { return "kubernetes.io/cluster/" + s.ClusterName }

func nodeLifecyclePolicy(s Scope) Document {
	taggedResources := s.ec2ARNs("*", "fleet/*", "instance/*", "volume/*", "network-interface/*",
		"launch-template/*", "spot-instances-request/*")
	ownedNodePoolResource := Condition{
		"StringEquals": {"aws:ResourceTag/" + s.clusterTag(): {"owned"}},
		"StringLike":   {"aws:ResourceTag/karpenter.sh/nodepool": {"*"}},
	}
	return Document{
		Version: PolicyVersion,
		Statement: []Statement{
			{
				Sid:    "AllowScopedEC2InstanceAccessActions",
				Effect: Allow,
				Resource: append(s.ec2ARNs("", "image/*", "snapshot/*"),
					s.ec2ARNs("*", "security-group/*", "subnet/*", "capacity-reservation/*", "placement-group/*")...),
				Action: Values{"ec2:RunInstances", "ec2:CreateFleet"},
			},
			{
				Sid:       "AllowScopedEC2LaunchTemplateAccessActions",
				Effect:    Allow,
				Resource:  Values{s.ec2ARN("*", "launch-template/*")},
				Action:    Values{"ec2:RunInstances", "ec2:CreateFleet"},
				Condition: ownedNodePoolResource,
			},
			{
				Sid:      "AllowScopedEC2InstanceActionsWithTags",
				Effect:   Allow,
				Resource: taggedResources,
				Action:   Values{"ec2:RunInstances", "ec2:CreateFleet", "ec2:CreateLaunchTemplate"},
				Condition: Condition{
					"StringEquals": {
						"aws:RequestTag/" + s.clusterTag():    {"owned"},
						"aws:RequestTag/eks:eks-cluster-name": {s.ClusterName},
					},
					"StringLike": {"aws:RequestTag/karpenter.sh/nodepool": {"*"}},
				},
			},
			{
				Sid:      "AllowScopedResourceCreationTagging",
				Effect:   Allow,
				Resource: taggedResources,
				Action:   Values{"ec2:CreateTags"},
				Condition: Condition{
					"StringEquals": {
						"aws:RequestTag/" + s.clusterTag():    {"owned"},
						"aws:RequestTag/eks:eks-cluster-name": {s.ClusterName},
						"ec2:CreateAction":                    {"RunInstances", "CreateFleet", "CreateLaunchTemplate"},
					},
					"StringLike": {"aws:RequestTag/karpenter.sh/nodepool": {"*"}},
				},
			},
			{
				Sid:      "AllowScopedResourceTagging",
				Effect:   Allow,
				Resource: Values{s.ec2ARN("*", "instance/*")},
				Action:   Values{"ec2:CreateTags"},
				Condition: Condition{
					"StringEquals":              {"aws:ResourceTag/" + s.clusterTag(): {"owned"}},
					"StringLike":                {"aws:ResourceTag/karpenter.sh/nodepool": {"*"}},
					"StringEqualsIfExists":      {"aws:RequestTag/eks:eks-cluster-name": {s.ClusterName}},
					"ForAllValues:StringEquals": {"aws:TagKeys": {"eks:eks-cluster-name", "karpenter.sh/nodeclaim", "Name"}},
				},
			},
			{
				Sid:       "AllowScopedDeletion",
				Effect:    Allow,
				Resource:  s.ec2ARNs("*", "instance/*", "launch-template/*"),
				Action:    Values{"ec2:TerminateInstances", "ec2:DeleteLaunchTemplate"},
				Condition: ownedNodePoolResource,
			},
		},
	}
}

func iamIntegrationPolicy(s Scope) Document {
	return Document{
		Version: PolicyVersion,
		Statement: []Statement{
			{
				Sid:    "AllowPassingInstanceRole",
				Effect: Allow,
				// Only the node role: a controller that could pass any role could launch nodes as any role.
				Resource: Values{s.NodeRoleARN()},
				Action:   Values{"iam:PassRole"},
				Condition: Condition{
					"StringEquals": {"iam:PassedToService": {"ec2.amazonaws.com", "ec2.amazonaws.com.cn"}},
				},
			},
			{
				Sid:      "AllowScopedInstanceProfileCreationActions",
				Effect:   Allow,
				Resource: Values{s.instanceProfileARN()},
				Action:   Values{"iam:CreateInstanceProfile"},
				Condition: Condition{
					"StringEquals": {
						"aws:RequestTag/" + s.clusterTag():             {"owned"},
						"aws:RequestTag/eks:eks-cluster-name":          {s.ClusterName},
						"aws:RequestTag/topology.kubernetes.io/region": {s.Region},
					},
					"StringLike": {"aws:RequestTag/karpenter.k8s.aws/ec2nodeclass": {"*"}},
				},
			},
			{
				Sid:      "AllowScopedInstanceProfileTagActions",
				Effect:   Allow,
				Resource: Values{s.instanceProfileARN()},
				Action:   Values{"iam:TagInstanceProfile"},
				Condition: Condition{
					"StringEquals": {
						"aws:ResourceTag/" + s.clusterTag():             {"owned"},
						"aws:ResourceTag/topology.kubernetes.io/region": {s.Region},
						"aws:RequestTag/" + s.clusterTag():              {"owned"},
						"aws:RequestTag/eks:eks-cluster-name":           {s.ClusterName},
						"aws:RequestTag/topology.kubernetes.io/region":  {s.Region},
					},
					"StringLike": {
						"aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass": {"*"},
						"aws:RequestTag/karpenter.k8s.aws/ec2nodeclass":  {"*"},
					},
				},
			},
			{
				Sid:      "AllowScopedInstanceProfileActions",
				Effect:   Allow,
				Resource: Values{s.instanceProfileARN()},
				Action:   Values{"iam:AddRoleToInstanceProfile", "iam:RemoveRoleFromInstanceProfile", "iam:DeleteInstanceProfile"},
				Condition: Condition{
					"StringEquals": {
						"aws:ResourceTag/" + s.clusterTag():             {"owned"},
						"aws:ResourceTag/topology.kubernetes.io/region": {s.Region},
					},
					"StringLike": {"aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass": {"*"}},
				},
			},
		},
	}
}

func eksIntegrationPolicy(s Scope) Document {
	return Document{
		Version: PolicyVersion,
		Statement: []Statement{{
			Sid:      "AllowAPIServerEndpointDiscovery",
			Effect:   Allow,
			Resource: Values{s.ClusterARN()},
			Action:   Values{"eks:DescribeCluster"},
		}},
	}
}

func interruptionPolicy(s Scope) Document {
	return Document{
		Version: PolicyVersion,
		Statement: []Statement{{
			Sid:      "AllowInterruptionQueueActions",
			Effect:   Allow,
			Resource: Values{s.QueueARN()},
			Action:   Values{"sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:ReceiveMessage"},
		}},
	}
}

func zonalShiftPolicy(s Scope) Document {
	return Document{
		Version: PolicyVersion,
		Statement: []Statement{{
			Sid:    "AllowZonalShiftStatusReadOnly",
			Effect: Allow,
			// Zonal shift has no resource-level ARNs for this action; the condition scopes it to the cluster.
			Resource:  Values{"*"},
			Action:    Values{"arc-zonal-shift:GetManagedResource"},
			Condition: Condition{"StringEquals": {"arc-zonal-shift:ResourceIdentifier": {s.ClusterARN()}}},
		}},
	}
}

func resourceDiscoveryPolicy(s Scope) Document {
	return Document{
		Version: PolicyVersion,
		Statement: []Statement{
			{
				Sid:      "AllowRegionalReadActions",
				Effect:   Allow,
				Resource: Values{"*"},
				Action: Values{
					"ec2:DescribeCapacityReservations",
					"ec2:DescribeImages",
					"ec2:DescribeInstances",
					"ec2:DescribeInstanceStatus",
					"ec2:DescribeInstanceTypeOfferings",
					"ec2:DescribeInstanceTypes",
					"ec2:DescribeLaunchTemplates",
					"ec2:DescribePlacementGroups",
					"ec2:DescribeSecurityGroups",
					"ec2:DescribeSpotPriceHistory",
					"ec2:DescribeSubnets",
				},
				Condition: Condition{"StringEquals": {"aws:RequestedRegion": {s.Region}}},
			},
			{
				Sid:      "AllowSSMReadActions",
				Effect:   Allow,
				Resource: Values{fmt.Sprintf("arn:%s:ssm:%s::parameter/aws/service/*", s.Partition, s.Region)},
				Action:   Values{"ssm:GetParameter"},
			},
			{
				Sid:      "AllowPricingReadActions",
				Effect:   Allow,
				Resource: Values{"*"},
				Action:   Values{"pricing:GetProducts"},
			},
			{
				Sid:      "AllowUnscopedInstanceProfileListAction",
				Effect:   Allow,
				Resource: Values{"*"},
				Action:   Values{"iam:ListInstanceProfiles"},
			},
			{
				Sid:      "AllowInstanceProfileReadActions",
				Effect:   Allow,
				Resource: Values{s.instanceProfileARN()},
				Action:   Values{"iam:GetInstanceProfile"},
			},
		},
	}
}
