// Package karpenteriam holds the IAM, SQS and EventBridge documents Karpenter needs, as typed values that
// follow Karpenter's getting-started CloudFormation template for the pinned version.
package karpenteriam

import (
	"fmt"

	"github.com/karpenter-savings/karpenter-savings/internal/program/iampolicy"
)

// Policy is a customer-managed IAM policy attached to the controller role.
type Policy struct {
	ID       string // short and stable, e.g. "node-lifecycle"; used in resource names.
	Name     string // e.g. "KarpenterControllerNodeLifecyclePolicy-<cluster>", as the template names it.
	Document iampolicy.Document
}

// ControllerTrustPolicy lets EKS Pod Identity hand the controller role to Karpenter's service account.
func ControllerTrustPolicy() iampolicy.Document {
	return iampolicy.Document{
		Version: iampolicy.PolicyVersion,
		Statement: []iampolicy.Statement{{
			Effect:    iampolicy.Allow,
			Principal: &iampolicy.Principal{Service: iampolicy.Values{"pods.eks.amazonaws.com"}},
			Action:    iampolicy.Values{"sts:AssumeRole", "sts:TagSession"},
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

func (s Scope) ec2ARNs(account string, resources ...string) iampolicy.Values {
	arns := make(iampolicy.Values, 0, len(resources))
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

func nodeLifecyclePolicy(s Scope) iampolicy.Document {
	taggedResources := s.ec2ARNs("*", "fleet/*", "instance/*", "volume/*", "network-interface/*",
		"launch-template/*", "spot-instances-request/*")
	ownedNodePoolResource := iampolicy.Condition{
		"StringEquals": {"aws:ResourceTag/" + s.clusterTag(): {"owned"}},
		"StringLike":   {"aws:ResourceTag/karpenter.sh/nodepool": {"*"}},
	}
	return iampolicy.Document{
		Version: iampolicy.PolicyVersion,
		Statement: []iampolicy.Statement{
			{
				Sid:    "AllowScopedEC2InstanceAccessActions",
				Effect: iampolicy.Allow,
				Resource: append(s.ec2ARNs("", "image/*", "snapshot/*"),
					s.ec2ARNs("*", "security-group/*", "subnet/*", "capacity-reservation/*", "placement-group/*")...),
				Action: iampolicy.Values{"ec2:RunInstances", "ec2:CreateFleet"},
			},
			{
				Sid:       "AllowScopedEC2LaunchTemplateAccessActions",
				Effect:    iampolicy.Allow,
				Resource:  iampolicy.Values{s.ec2ARN("*", "launch-template/*")},
				Action:    iampolicy.Values{"ec2:RunInstances", "ec2:CreateFleet"},
				Condition: ownedNodePoolResource,
			},
			{
				Sid:      "AllowScopedEC2InstanceActionsWithTags",
				Effect:   iampolicy.Allow,
				Resource: taggedResources,
				Action:   iampolicy.Values{"ec2:RunInstances", "ec2:CreateFleet", "ec2:CreateLaunchTemplate"},
				Condition: iampolicy.Condition{
					"StringEquals": {
						"aws:RequestTag/" + s.clusterTag():    {"owned"},
						"aws:RequestTag/eks:eks-cluster-name": {s.ClusterName},
					},
					"StringLike": {"aws:RequestTag/karpenter.sh/nodepool": {"*"}},
				},
			},
			{
				Sid:      "AllowScopedResourceCreationTagging",
				Effect:   iampolicy.Allow,
				Resource: taggedResources,
				Action:   iampolicy.Values{"ec2:CreateTags"},
				Condition: iampolicy.Condition{
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
				Effect:   iampolicy.Allow,
				Resource: iampolicy.Values{s.ec2ARN("*", "instance/*")},
				Action:   iampolicy.Values{"ec2:CreateTags"},
				Condition: iampolicy.Condition{
					"StringEquals":              {"aws:ResourceTag/" + s.clusterTag(): {"owned"}},
					"StringLike":                {"aws:ResourceTag/karpenter.sh/nodepool": {"*"}},
					"StringEqualsIfExists":      {"aws:RequestTag/eks:eks-cluster-name": {s.ClusterName}},
					"ForAllValues:StringEquals": {"aws:TagKeys": {"eks:eks-cluster-name", "karpenter.sh/nodeclaim", "Name"}},
				},
			},
			{
				Sid:       "AllowScopedDeletion",
				Effect:    iampolicy.Allow,
				Resource:  s.ec2ARNs("*", "instance/*", "launch-template/*"),
				Action:    iampolicy.Values{"ec2:TerminateInstances", "ec2:DeleteLaunchTemplate"},
				Condition: ownedNodePoolResource,
			},
		},
	}
}

func iamIntegrationPolicy(s Scope) iampolicy.Document {
	return iampolicy.Document{
		Version: iampolicy.PolicyVersion,
		Statement: []iampolicy.Statement{
			{
				Sid:    "AllowPassingInstanceRole",
				Effect: iampolicy.Allow,
				// Only the node role: a controller that could pass any role could launch nodes as any role.
				Resource: iampolicy.Values{s.NodeRoleARN()},
				Action:   iampolicy.Values{"iam:PassRole"},
				Condition: iampolicy.Condition{
					"StringEquals": {"iam:PassedToService": {"ec2.amazonaws.com", "ec2.amazonaws.com.cn"}},
				},
			},
			{
				Sid:      "AllowScopedInstanceProfileCreationActions",
				Effect:   iampolicy.Allow,
				Resource: iampolicy.Values{s.instanceProfileARN()},
				Action:   iampolicy.Values{"iam:CreateInstanceProfile"},
				Condition: iampolicy.Condition{
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
				Effect:   iampolicy.Allow,
				Resource: iampolicy.Values{s.instanceProfileARN()},
				Action:   iampolicy.Values{"iam:TagInstanceProfile"},
				Condition: iampolicy.Condition{
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
				Effect:   iampolicy.Allow,
				Resource: iampolicy.Values{s.instanceProfileARN()},
				Action:   iampolicy.Values{"iam:AddRoleToInstanceProfile", "iam:RemoveRoleFromInstanceProfile", "iam:DeleteInstanceProfile"},
				Condition: iampolicy.Condition{
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

func eksIntegrationPolicy(s Scope) iampolicy.Document {
	return iampolicy.Document{
		Version: iampolicy.PolicyVersion,
		Statement: []iampolicy.Statement{{
			Sid:      "AllowAPIServerEndpointDiscovery",
			Effect:   iampolicy.Allow,
			Resource: iampolicy.Values{s.ClusterARN()},
			Action:   iampolicy.Values{"eks:DescribeCluster"},
		}},
	}
}

func interruptionPolicy(s Scope) iampolicy.Document {
	return iampolicy.Document{
		Version: iampolicy.PolicyVersion,
		Statement: []iampolicy.Statement{{
			Sid:      "AllowInterruptionQueueActions",
			Effect:   iampolicy.Allow,
			Resource: iampolicy.Values{s.QueueARN()},
			Action:   iampolicy.Values{"sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:ReceiveMessage"},
		}},
	}
}

func zonalShiftPolicy(s Scope) iampolicy.Document {
	return iampolicy.Document{
		Version: iampolicy.PolicyVersion,
		Statement: []iampolicy.Statement{{
			Sid:    "AllowZonalShiftStatusReadOnly",
			Effect: iampolicy.Allow,
			// Zonal shift has no resource-level ARNs for this action; the condition scopes it to the cluster.
			Resource:  iampolicy.Values{"*"},
			Action:    iampolicy.Values{"arc-zonal-shift:GetManagedResource"},
			Condition: iampolicy.Condition{"StringEquals": {"arc-zonal-shift:ResourceIdentifier": {s.ClusterARN()}}},
		}},
	}
}

func resourceDiscoveryPolicy(s Scope) iampolicy.Document {
	return iampolicy.Document{
		Version: iampolicy.PolicyVersion,
		Statement: []iampolicy.Statement{
			{
				Sid:      "AllowRegionalReadActions",
				Effect:   iampolicy.Allow,
				Resource: iampolicy.Values{"*"},
				Action: iampolicy.Values{
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
				Condition: iampolicy.Condition{"StringEquals": {"aws:RequestedRegion": {s.Region}}},
			},
			{
				Sid:      "AllowSSMReadActions",
				Effect:   iampolicy.Allow,
				Resource: iampolicy.Values{fmt.Sprintf("arn:%s:ssm:%s::parameter/aws/service/*", s.Partition, s.Region)},
				Action:   iampolicy.Values{"ssm:GetParameter"},
			},
			{
				Sid:      "AllowPricingReadActions",
				Effect:   iampolicy.Allow,
				Resource: iampolicy.Values{"*"},
				Action:   iampolicy.Values{"pricing:GetProducts"},
			},
			{
				Sid:      "AllowUnscopedInstanceProfileListAction",
				Effect:   iampolicy.Allow,
				Resource: iampolicy.Values{"*"},
				Action:   iampolicy.Values{"iam:ListInstanceProfiles"},
			},
			{
				Sid:      "AllowInstanceProfileReadActions",
				Effect:   iampolicy.Allow,
				Resource: iampolicy.Values{s.instanceProfileARN()},
				Action:   iampolicy.Values{"iam:GetInstanceProfile"},
			},
		},
	}
}
