// Package awstags knows which AWS resource types carry tags, for the stack's tagging: the policy rule that checks it
// (internal/offline/policy) and the transform that adds the stack's tags to what pulumi-eks creates (components/cluster).
package awstags

import (
	"context"
	"maps"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Taggable classifies every AWS type token the program declares (or is likely to): true when the pulumi-aws v6 (or
// pulumi-eks) Args struct has a Tags field. A type that is not listed is a violation of the policy rule stack-tags,
// so that a new kind of resource is classified before it can slip past the rule; internal/offline/policy's tests check the
// list against the SDKs.
var Taggable = map[string]bool{
	"aws:cloudwatch/eventRule:EventRule":                      true,
	"aws:cloudwatch/eventTarget:EventTarget":                  false,
	"aws:cloudwatch/logGroup:LogGroup":                        true,
	"aws:costexplorer/costAllocationTag:CostAllocationTag":    false,
	"aws:ec2/eip:Eip":                                         true,
	"aws:ec2/internetGateway:InternetGateway":                 true,
	"aws:ec2/launchTemplate:LaunchTemplate":                   true,
	"aws:ec2/natGateway:NatGateway":                           true,
	"aws:ec2/route:Route":                                     false,
	"aws:ec2/routeTable:RouteTable":                           true,
	"aws:ec2/routeTableAssociation:RouteTableAssociation":     false,
	"aws:ec2/securityGroup:SecurityGroup":                     true,
	"aws:ec2/securityGroupRule:SecurityGroupRule":             false,
	"aws:ec2/subnet:Subnet":                                   true,
	"aws:ec2/tag:Tag":                                         false,
	"aws:ec2/vpc:Vpc":                                         true,
	"aws:eks/accessEntry:AccessEntry":                         true,
	"aws:eks/accessPolicyAssociation:AccessPolicyAssociation": false,
	"aws:eks/addon:Addon":                                     true,
	"aws:eks/cluster:Cluster":                                 true,
	"aws:eks/nodeGroup:NodeGroup":                             true,
	"aws:eks/podIdentityAssociation:PodIdentityAssociation":   true,
	"aws:iam/instanceProfile:InstanceProfile":                 true,
	"aws:iam/policy:Policy":                                   true,
	"aws:iam/role:Role":                                       true,
	"aws:iam/rolePolicy:RolePolicy":                           false,
	"aws:iam/rolePolicyAttachment:RolePolicyAttachment":       false,
	"aws:iam/serviceLinkedRole:ServiceLinkedRole":             true,
	"aws:kms/alias:Alias":                                     false,
	"aws:kms/key:Key":                                         true,
	"aws:sqs/queue:Queue":                                     true,
	"aws:sqs/queuePolicy:QueuePolicy":                         false,
	"eks:index:Cluster":                                       true,
}

// Transform adds the stack's tags to every resource of a taggable type that lacks them, keeping the tags it has.
// Registered on a remote component (pulumi-eks's Cluster), it reaches the resources the component's own code
// creates, which the program cannot tag otherwise: the engine runs a component's transforms on each of its children.
func Transform(tags map[string]string) pulumi.ResourceTransform {
	return func(_ context.Context, args *pulumi.ResourceTransformArgs) *pulumi.ResourceTransformResult {
		if !args.Custom || !Taggable[args.Type] {
			return nil
		}
		merged := pulumi.StringMap{}
		switch have := args.Props["tags"].(type) {
		case pulumi.Map:
			for k, v := range have {
				if s, ok := v.(pulumi.String); ok {
					merged[k] = s
				}
			}
		case pulumi.StringMap:
			maps.Copy(merged, have)
		}
		changed := false
		for k, v := range tags {
			if _, ok := merged[k]; !ok {
				merged[k] = pulumi.String(v)
				changed = true
			}
		}
		if !changed {
			return nil
		}
		args.Props["tags"] = merged
		return &pulumi.ResourceTransformResult{Props: args.Props, Opts: args.Opts}
	}
}
