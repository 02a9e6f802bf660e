package policy

import (
	"testing"

	"github.com/karpenter-savings/karpenter-savings/internal/offline/mocks"
)

// deployment is a workload object with one container, as yaml/v2 or Helm would record it.
func deployment(namespace string, container map[string]any) mocks.Resource {
	const name = "a"
	meta := map[string]any{"name": name}
	if namespace != "" {
		meta["namespace"] = namespace
	}
	return resource("kubernetes:apps/v1:Deployment", name, map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta,
		"spec": map[string]any{"template": map[string]any{"spec": map[string]any{"containers": []any{container}}}},
	})
}

func withResources(image string, resources map[string]any) map[string]any {
	return map[string]any{"name": "app", "image": image, "resources": resources}
}

func TestContainerRequests(t *testing.T) {
	both := map[string]any{"requests": map[string]any{"cpu": "100m", "memory": "128Mi"}}
	runCases(t, RuleContainerRequests, ContainerRequests, []ruleCase{
		{"requests", recording(deployment("ns", withResources("x:1", both))), nil},
		{"limits stand for requests", recording(deployment("ns", withResources("x:1", map[string]any{"limits": map[string]any{"cpu": "1", "memory": "1Gi"}}))), nil},
		{"none", recording(deployment("ns", map[string]any{"name": "db", "image": "x:1"})), []string{"container containers/db has no cpu or memory request"}},
		{"no memory", recording(deployment("ns", withResources("x:1", map[string]any{"requests": map[string]any{"cpu": "1"}}))), []string{"no memory request"}},
		{"cronjob", recording(resource("kubernetes:batch/v1:CronJob", "c", map[string]any{"spec": map[string]any{"jobTemplate": map[string]any{"spec": map[string]any{"template": map[string]any{"spec": map[string]any{"initContainers": []any{map[string]any{"name": "init", "image": "x:1"}}}}}}}})), []string{"initContainers/init has no cpu or memory"}},
		{"not a workload", recording(resource("kubernetes:core/v1:ConfigMap", "c", map[string]any{"data": map[string]any{}})), nil},
	})
}

func TestPinnedImages(t *testing.T) {
	req := map[string]any{"requests": map[string]any{"cpu": "1", "memory": "1Gi"}}
	runCases(t, RulePinnedImages, PinnedImages, []ruleCase{
		{"tag", recording(deployment("ns", withResources("public.ecr.aws/karpenter/controller:1.14.4", req))), nil},
		{"digest", recording(deployment("ns", withResources("public.ecr.aws/karpenter/controller@sha256:"+sha, req))), nil},
		{"tag and digest", recording(deployment("ns", withResources("redis:6.0-alpine@sha256:"+sha, req))), nil},
		{"no tag", recording(deployment("ns", withResources("redis", req))), []string{`image "redis" is not pinned`}},
		{"latest", recording(deployment("ns", withResources("docker.io/library/redis:latest", req))), []string{"never latest"}},
		{"not a reference", recording(deployment("ns", withResources("UPPER:case", req))), []string{"is not an image reference"}},
	})
}

const sha = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func TestNotInDefault(t *testing.T) {
	c := withResources("x:1", nil)
	provider := func(namespace string) mocks.Resource {
		p := resource("pulumi:providers:kubernetes", "k8s", map[string]any{})
		if namespace != "" {
			p.Inputs["namespace"] = namespace
		}
		p.URN = "urn:pulumi:dev::p::pulumi:providers:kubernetes::k8s"
		return p
	}
	through := func(r mocks.Resource, p mocks.Resource) mocks.Resource { r.Provider = p.URN; return r }
	runCases(t, RuleNotInDefault, NotInDefault, []ruleCase{
		{"own namespace", recording(deployment("shop", c)), nil},
		{"named default", recording(deployment("default", c)), []string{"Deployment a lands in the default namespace"}},
		{"no namespace, no provider namespace", recording(provider(""), through(deployment("", c), provider(""))), []string{"lands in the default namespace"}},
		{"no namespace, the provider's", recording(provider("shop"), through(deployment("", c), provider("shop"))), nil},
		{"cluster-scoped", recording(resource("kubernetes:core/v1:Namespace", "ns", map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": "default"}})), nil},
	})
}

func TestNodePoolsOutliveTheCluster(t *testing.T) {
	const (
		component = "urn:pulumi:dev::p::eks:index:Cluster::c"
		control   = "urn:pulumi:dev::p::eks:index:Cluster$aws:eks/cluster:Cluster::c-eksCluster"
		sg        = "urn:pulumi:dev::p::eks:index:Cluster$aws:ec2/securityGroup:SecurityGroup::c-nodeSecurityGroup"
		provider  = "urn:pulumi:dev::p::pulumi:providers:kubernetes::k8s"
		pool      = "urn:pulumi:dev::p::kubernetes:karpenter.sh/v1:NodePool::default"
	)
	graph := func(providerDeps ...string) *mocks.Recording {
		return recording(
			mocks.Resource{URN: component, Type: "eks:index:Cluster", Name: "c"},
			mocks.Resource{URN: control, Type: "aws:eks/cluster:Cluster", Name: "c-eksCluster", Parent: component, Custom: true},
			mocks.Resource{URN: sg, Type: "aws:ec2/securityGroup:SecurityGroup", Name: "c-nodeSecurityGroup", Parent: component, Custom: true},
			mocks.Resource{URN: provider, Type: "pulumi:providers:kubernetes", Name: "k8s", Custom: true, Dependencies: providerDeps},
			mocks.Resource{URN: pool, Type: "kubernetes:karpenter.sh/v1:NodePool", Name: "default", Provider: provider, Custom: true},
		)
	}
	runCases(t, RuleNodePoolsOutliveCluster, NodePoolsOutliveTheCluster, []ruleCase{
		// The engine counts a dependency on a component as one on each of its children.
		{"through the component", graph(component), nil},
		{"on one child only", graph(control), []string{"may delete aws:ec2/securityGroup:SecurityGroup c-nodeSecurityGroup"}},
		{"not at all", graph(), []string{"aws:eks/cluster:Cluster c-eksCluster", "aws:ec2/securityGroup:SecurityGroup c-nodeSecurityGroup"}},
	})
}

func TestNoIngressFromTheInternet(t *testing.T) {
	rule := func(typ string, cidrs ...any) mocks.Resource {
		return resource("aws:ec2/securityGroupRule:SecurityGroupRule", "r", map[string]any{"type": typ, "protocol": "tcp", "fromPort": 443.0, "toPort": 443.0, "cidrBlocks": cidrs})
	}
	runCases(t, RuleNoInternetIngress, NoIngressFromTheInternet, []ruleCase{
		{"from the VPC", recording(rule("ingress", "10.42.0.0/20")), nil},
		{"egress to the internet", recording(rule("egress", "0.0.0.0/0")), nil},
		{"ingress from the internet", recording(rule("ingress", "0.0.0.0/0")), []string{"ingress rule admits tcp from 0.0.0.0/0 on ports 443-443"}},
		{"ipv6", recording(resource("aws:ec2/securityGroupRule:SecurityGroupRule", "r", map[string]any{"type": "ingress", "protocol": "-1", "ipv6CidrBlocks": []any{"::/0"}})), []string{"from ::/0"}},
		{"inline", recording(resource("aws:ec2/securityGroup:SecurityGroup", "g", map[string]any{"ingress": []any{map[string]any{"protocol": "tcp", "cidrBlocks": []any{"0.0.0.0/0"}}}})), []string{"inline ingress"}},
		{"vpc ingress rule", recording(resource("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "r", map[string]any{"ipProtocol": "tcp", "cidrIpv4": "0.0.0.0/0"})), []string{"from 0.0.0.0/0"}},
	})
}
