package policy

import (
	"slices"

	"github.com/karpenter-savings/karpenter-savings/internal/offline/mocks"
)

// Types the graph rules look at.
const (
	nodePoolType          = "kubernetes:karpenter.sh/v1:NodePool"
	eksComponentType      = "eks:index:Cluster"
	securityGroupType     = "aws:ec2/securityGroup:SecurityGroup"
	securityGroupRuleType = "aws:ec2/securityGroupRule:SecurityGroupRule"
	ingressRuleType       = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
)

// NodePoolsOutliveTheCluster requires `pulumi destroy` to delete every NodePool, and so let Karpenter drain and
// terminate its nodes, before it deletes anything pulumi-eks created for the cluster: the control plane the
// controller talks to, the security groups the nodes sit in (EC2 refuses to delete a group an instance still uses),
// the roles and access entries through which nodes and controller reach the API. It needs pulumi-eks's children in
// the render (cmd/render --deep); without them there is nothing to check.
func NodePoolsOutliveTheCluster(rec *mocks.Recording) []Violation {
	var inner []mocks.Resource
	for _, c := range rec.ByType(eksComponentType) {
		for _, urn := range rec.Descendants(c.URN) {
			if r, _ := rec.ByURN(urn); r.Custom {
				inner = append(inner, r)
			}
		}
	}
	var out []Violation
	for _, np := range rec.ByType(nodePoolType) {
		outlives := rec.Outlives(np.URN)
		for _, r := range inner {
			if !outlives[r.URN] {
				out = append(out, violation(RuleNodePoolsOutliveCluster, np, "pulumi destroy may delete %s %s before this NodePool's nodes are drained: the NodePool does not depend on it", r.Type, r.Name))
			}
		}
	}
	return out
}

// NoIngressFromTheInternet forbids security group rules that let the whole internet (0.0.0.0/0 or ::/0) in: the
// cluster and node groups pulumi-eks creates, and any the stack adds, take traffic from the VPC and from each other,
// and the public API endpoint is governed by its own CIDR list (rule public-endpoint), not by a group.
func NoIngressFromTheInternet(rec *mocks.Recording) []Violation {
	var out []Violation
	open := func(r mocks.Resource, rule map[string]any, where string) {
		v4, _ := stringList(rule["cidrBlocks"])
		v6, _ := stringList(rule["ipv6CidrBlocks"])
		for _, single := range []string{"cidrIpv4", "cidrIpv6"} {
			if s, ok := rule[single].(string); ok {
				v4 = append(v4, s)
			}
		}
		for _, cidr := range slices.Concat(v4, v6) {
			if cidr == "0.0.0.0/0" || cidr == "::/0" {
				out = append(out, violation(RuleNoInternetIngress, r, "%s admits %s from %s on ports %v-%v", where, protocolOf(rule), cidr, rule["fromPort"], rule["toPort"]))
			}
		}
	}
	for _, r := range rec.Resources {
		switch r.Type {
		case securityGroupRuleType:
			if r.Inputs["type"] == "ingress" {
				open(r, r.Inputs, "ingress rule")
			}
		case ingressRuleType:
			open(r, r.Inputs, "ingress rule")
		case securityGroupType:
			rules, _ := r.Inputs["ingress"].([]any)
			for _, rule := range rules {
				if m, ok := rule.(map[string]any); ok {
					open(r, m, "inline ingress")
				}
			}
		}
	}
	return out
}

func protocolOf(rule map[string]any) any {
	if p, ok := rule["protocol"]; ok {
		return p
	}
	return rule["ipProtocol"]
}
