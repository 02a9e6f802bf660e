package cleanup_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancing/types"
	elbv2types "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/require"

	"github.com/karpenter-savings/karpenter-savings/internal/ops/cleanup"
)

const (
	cluster = "demo"
	region  = "us-east-1"
	nlbARN  = "arn:aws:elasticloadbalancing:us-east-1:111122223333:loadbalancer/net/k8s-nlb/1"
)

func ec2Tags(kv ...string) []ec2types.Tag {
	var tags []ec2types.Tag
	for i := 0; i < len(kv); i += 2 {
		tags = append(tags, ec2types.Tag{Key: aws.String(kv[i]), Value: aws.String(kv[i+1])})
	}
	return tags
}

func instance(id string, state ec2types.InstanceStateName, kv ...string) ec2types.Instance {
	return ec2types.Instance{
		InstanceId:   aws.String(id),
		InstanceType: ec2types.InstanceTypeM7gLarge,
		State:        &ec2types.InstanceState{Name: state},
		Tags:         ec2Tags(kv...),
	}
}

// karpenterTags are the tags Karpenter puts on an instance or launch template of cluster.
func karpenterTags(clusterName string) []string {
	return []string{
		"eks:eks-cluster-name", clusterName,
		"karpenter.sh/nodepool", "default",
		"karpenter.k8s.aws/ec2nodeclass", "default",
		"kubernetes.io/cluster/" + clusterName, "owned",
	}
}

func group(id, name string, kv ...string) ec2types.SecurityGroup {
	return ec2types.SecurityGroup{GroupId: aws.String(id), GroupName: aws.String(name), VpcId: aws.String("vpc-demo"), Tags: ec2Tags(kv...)}
}

// leftovers is an account after an interrupted destroy of cluster demo: one leftover of each kind, and beside each
// something that looks alike but is not the cluster's, or is the stack's own.
func leftovers() *fakeAWS {
	return &fakeAWS{
		instances: []ec2types.Instance{
			instance("i-karpenter", ec2types.InstanceStateNameRunning, karpenterTags(cluster)...),
			instance("i-other-cluster", ec2types.InstanceStateNameRunning, karpenterTags("other")...),
			instance("i-terminated", ec2types.InstanceStateNameTerminated, karpenterTags(cluster)...),
			instance("i-node-group", ec2types.InstanceStateNameRunning, "eks:cluster-name", cluster, "kubernetes.io/cluster/"+cluster, "owned"),
		},
		launchTemplates: []ec2types.LaunchTemplate{
			{LaunchTemplateId: aws.String("lt-karpenter"), LaunchTemplateName: aws.String("karpenter.k8s.aws/1234567890"), Tags: ec2Tags(karpenterTags(cluster)...)},
			{LaunchTemplateId: aws.String("lt-other-name"), LaunchTemplateName: aws.String("demo-node-group"), Tags: ec2Tags(karpenterTags(cluster)...)},
			{LaunchTemplateId: aws.String("lt-other-cluster"), LaunchTemplateName: aws.String("karpenter.k8s.aws/42"), Tags: ec2Tags(karpenterTags("other")...)},
		},
		subnets: []ec2types.Subnet{
			{SubnetId: aws.String("subnet-demo"), VpcId: aws.String("vpc-demo"), Tags: ec2Tags("kubernetes.io/cluster/"+cluster, "shared")},
			{SubnetId: aws.String("subnet-other"), VpcId: aws.String("vpc-other"), Tags: ec2Tags("kubernetes.io/cluster/other", "shared")},
		},
		interfaces: []ec2types.NetworkInterface{
			{NetworkInterfaceId: aws.String("eni-available"), VpcId: aws.String("vpc-demo"), Status: ec2types.NetworkInterfaceStatusAvailable, Description: aws.String("aws-K8S-i-karpenter")},
			{NetworkInterfaceId: aws.String("eni-in-use"), VpcId: aws.String("vpc-demo"), Status: ec2types.NetworkInterfaceStatusInUse},
			{NetworkInterfaceId: aws.String("eni-other-vpc"), VpcId: aws.String("vpc-other"), Status: ec2types.NetworkInterfaceStatusAvailable},
		},
		groups: []ec2types.SecurityGroup{
			group("sg-elb", "k8s-elb-a1b2c3", "kubernetes.io/cluster/"+cluster, "owned"),
			group("sg-pulumi-eks-node", "demo-eks-nodeSecurityGroup-7f3e2a1", "kubernetes.io/cluster/"+cluster, "owned"),
			group("sg-eks-cluster", "eks-cluster-sg-demo-123456", "kubernetes.io/cluster/"+cluster, "owned", "aws:eks:cluster-name", cluster),
			group("sg-default", "default"),
			group("sg-other-cluster", "k8s-elb-d4e5f6", "kubernetes.io/cluster/other", "owned"),
		},
		profiles: []iamtypes.InstanceProfile{
			{InstanceProfileName: aws.String("demo_123"), Path: aws.String("/karpenter/us-east-1/demo/uid-1/"), Roles: []iamtypes.Role{{RoleName: aws.String("KarpenterNodeRole-demo")}}},
			{InstanceProfileName: aws.String("demo_untagged"), Path: aws.String("/karpenter/us-east-1/demo/uid-2/")},
			{InstanceProfileName: aws.String("demo2_456"), Path: aws.String("/karpenter/us-east-1/demo2/uid-3/")},
		},
		profileTags: map[string][]iamtypes.Tag{
			"demo_123":  {{Key: aws.String("eks:eks-cluster-name"), Value: aws.String(cluster)}, {Key: aws.String("kubernetes.io/cluster/" + cluster), Value: aws.String("owned")}},
			"demo2_456": {{Key: aws.String("eks:eks-cluster-name"), Value: aws.String("demo2")}},
		},
		lbs: []elbv2types.LoadBalancer{
			{LoadBalancerArn: aws.String(nlbARN)},
			{LoadBalancerArn: aws.String("arn:aws:elasticloadbalancing:us-east-1:111122223333:loadbalancer/app/unrelated/2")},
		},
		lbTags: map[string][]elbv2types.Tag{
			nlbARN: {{Key: aws.String("kubernetes.io/cluster/" + cluster), Value: aws.String("owned")}, {Key: aws.String("kubernetes.io/service-name"), Value: aws.String("retail-store/ui")}},
		},
		classic: []elbtypes.LoadBalancerDescription{{LoadBalancerName: aws.String("a1b2c3")}, {LoadBalancerName: aws.String("unrelated")}},
		classicTags: map[string][]elbtypes.Tag{
			"a1b2c3": {{Key: aws.String("kubernetes.io/cluster/" + cluster), Value: aws.String("owned")}, {Key: aws.String("kubernetes.io/service-name"), Value: aws.String("retail-store/ui")}},
		},
		shutdownPolls: 1,
		shuttingDown:  map[string]int{},
		errs:          map[string][]error{},
	}
}

// sleeper records the waits instead of sleeping.
type sleeper struct{ waits []time.Duration }

func (s *sleeper) sleep(_ context.Context, d time.Duration) error {
	s.waits = append(s.waits, d)
	return nil
}

func newCleaner(t *testing.T, f *fakeAWS, s *sleeper, vpcID string) *cleanup.Cleaner {
	t.Helper()
	c, err := cleanup.New(f.clients(), cleanup.Options{
		Cluster: cluster,
		Region:  region,
		VPCID:   vpcID,
		Retry:   cleanup.Retry{Retries: 3, Delay: time.Second, MaxDelay: 3 * time.Second},
		Wait:    cleanup.Wait{Polls: 4, Interval: 10 * time.Second},
		Sleep:   s.sleep,
	})
	require.NoError(t, err)
	return c
}

// planLines are the numbered lines Plan prints for leftovers().
var planLines = []string{
	"  1. instance i-karpenter: m7g.large, tags eks:eks-cluster-name=demo, karpenter.sh/nodepool=default; running",
	"  2. launch-template lt-karpenter: karpenter.k8s.aws/1234567890, tags eks:eks-cluster-name=demo, karpenter.k8s.aws/ec2nodeclass=default",
	"  3. instance-profile demo_123: path /karpenter/us-east-1/demo/uid-1/, tag eks:eks-cluster-name=demo; role KarpenterNodeRole-demo",
	"  4. load-balancer " + nlbARN + ": tag kubernetes.io/cluster/demo=owned, Service retail-store/ui",
	"  5. classic-load-balancer a1b2c3: tag kubernetes.io/cluster/demo=owned, Service retail-store/ui",
	`  6. network-interface eni-available: available in vpc-demo ("aws-K8S-i-karpenter")`,
	"  7. security-group sg-elb: k8s-elb-a1b2c3 in vpc-demo, tag kubernetes.io/cluster/demo",
}

// numbered returns the numbered item lines of out.
func numbered(out string) []string {
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		if len(l) > 4 && l[3] == '.' && strings.TrimSpace(l[:3]) != "" {
			lines = append(lines, l)
		}
	}
	return lines
}

func TestPlanListsOnlyTheClustersLeftoversAndDeletesNothing(t *testing.T) {
	f := leftovers()
	var out bytes.Buffer
	sum := newCleaner(t, f, &sleeper{}, "").Plan(context.Background(), &out)

	require.Equal(t, planLines, numbered(out.String()), "plan:\n%s", out.String())
	require.Empty(t, f.calls, "a dry run must not change anything")
	require.Equal(t, cleanup.Summary{Found: 7}, sum)
	require.Contains(t, out.String(), "7 to delete, in this order; run again with --yes")
}

func TestExecuteDeletesInDependencyOrder(t *testing.T) {
	f := leftovers()
	s := &sleeper{}
	var out bytes.Buffer
	sum := newCleaner(t, f, s, "").Execute(context.Background(), &out)

	require.Equal(t, []string{
		"TerminateInstances i-karpenter",
		"DeleteLaunchTemplate lt-karpenter",
		"RemoveRoleFromInstanceProfile demo_123 KarpenterNodeRole-demo",
		"DeleteInstanceProfile demo_123",
		"DeleteLoadBalancer " + nlbARN,
		"DeleteClassicLoadBalancer a1b2c3",
		"DeleteNetworkInterface eni-available",
		"DeleteSecurityGroup sg-elb",
	}, f.calls, "output:\n%s", out.String())
	require.Equal(t, cleanup.Summary{Found: 7, Deleted: 7}, sum)
	require.Equal(t, []time.Duration{10 * time.Second}, s.waits, "one poll interval while the instance shuts down")
	require.Equal(t, ec2types.InstanceStateNameTerminated, f.instances[0].State.Name)
	require.Contains(t, out.String(), "deleted 7; nothing left for cluster demo in us-east-1")
}

func apiError(code string) error {
	return &smithy.GenericAPIError{Code: code, Message: code + " (fake)"}
}

func TestExecuteRetries(t *testing.T) {
	const call = "DeleteSecurityGroup sg-elb"
	tests := []struct {
		name      string
		errs      []error
		waits     []time.Duration
		attempts  int
		failed    string
		exitClean bool
	}{
		{
			name:      "dependency violation clears on the third attempt",
			errs:      []error{apiError("DependencyViolation"), apiError("DependencyViolation")},
			waits:     []time.Duration{time.Second, 2 * time.Second},
			attempts:  3,
			exitClean: true,
		},
		{
			name:     "gives up after the retries, backing off to MaxDelay",
			errs:     []error{apiError("DependencyViolation"), apiError("DependencyViolation"), apiError("DependencyViolation"), apiError("DependencyViolation")},
			waits:    []time.Duration{time.Second, 2 * time.Second, 3 * time.Second},
			attempts: 4,
			failed:   "security-group sg-elb: gave up after 3 retries: api error DependencyViolation: DependencyViolation (fake)",
		},
		{
			name:     "an error that is not a dependency is not retried",
			errs:     []error{apiError("UnauthorizedOperation")},
			attempts: 1,
			failed:   "security-group sg-elb: api error UnauthorizedOperation: UnauthorizedOperation (fake)",
		},
		{
			name:      "already gone counts as deleted",
			errs:      []error{apiError("InvalidGroup.NotFound")},
			attempts:  1,
			exitClean: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := leftovers()
			f.instances, f.launchTemplates, f.profiles, f.lbs, f.classic, f.interfaces = nil, nil, nil, nil, nil, nil
			f.errs[call] = tt.errs
			s := &sleeper{}
			var out bytes.Buffer
			sum := newCleaner(t, f, s, "").Execute(context.Background(), &out)

			require.Equal(t, tt.attempts, countOf(f.calls, call), "attempts; output:\n%s", out.String())
			require.Equal(t, tt.waits, s.waits)
			if tt.exitClean {
				require.Equal(t, cleanup.Summary{Found: 1, Deleted: 1}, sum, "output:\n%s", out.String())
				return
			}
			require.Equal(t, cleanup.Summary{Found: 1, Failed: []string{tt.failed}}, sum, "output:\n%s", out.String())
			require.Contains(t, out.String(), "deleted 0 of 1; 1 failed, so something may remain")
		})
	}
}

func countOf(calls []string, call string) int {
	n := 0
	for _, c := range calls {
		if c == call {
			n++
		}
	}
	return n
}

func TestExecuteRetriesAnInstanceProfileAfterARoleWasRemoved(t *testing.T) {
	f := leftovers()
	f.errs["DeleteInstanceProfile demo_123"] = []error{&iamtypes.DeleteConflictException{Message: aws.String("in use")}}
	var out bytes.Buffer
	sum := newCleaner(t, f, &sleeper{}, "").Execute(context.Background(), &out)

	require.Empty(t, sum.Failed, "output:\n%s", out.String())
	require.Equal(t, 2, countOf(f.calls, "DeleteInstanceProfile demo_123"))
	var left []string
	for _, p := range f.profiles {
		left = append(left, aws.ToString(p.InstanceProfileName))
	}
	require.Equal(t, []string{"demo_untagged", "demo2_456"}, left)
}

func TestNothingLeft(t *testing.T) {
	for _, mode := range []string{"plan", "execute"} {
		t.Run(mode, func(t *testing.T) {
			f := leftovers()
			f.instances, f.launchTemplates, f.profiles, f.lbs, f.classic, f.interfaces, f.groups = nil, nil, nil, nil, nil, nil, nil
			c := newCleaner(t, f, &sleeper{}, "")
			var out bytes.Buffer
			sum := c.Plan(context.Background(), &out)
			if mode == "execute" {
				sum = c.Execute(context.Background(), &out)
			}
			require.Equal(t, cleanup.Summary{}, sum)
			require.Contains(t, out.String(), "nothing left for cluster demo in us-east-1\n")
			require.Empty(t, f.calls)
		})
	}
}

func TestNetworkInterfacesNeedTheVPC(t *testing.T) {
	tests := []struct {
		name  string
		vpcID string
		found []string
		note  bool
	}{
		{name: "from the subnets tagged for the cluster", found: []string{`  1. network-interface eni-available: available in vpc-demo ("aws-K8S-i-karpenter")`}},
		{name: "from --vpc-id", vpcID: "vpc-other", found: []string{`  1. network-interface eni-other-vpc: available in vpc-other ("")`}},
		{name: "none without tagged subnets or --vpc-id", note: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := leftovers()
			f.instances, f.launchTemplates, f.profiles, f.lbs, f.classic, f.groups = nil, nil, nil, nil, nil, nil
			if tt.note {
				f.subnets = nil
			}
			var out bytes.Buffer
			newCleaner(t, f, &sleeper{}, tt.vpcID).Plan(context.Background(), &out)
			require.Equal(t, tt.found, numbered(out.String()), "output:\n%s", out.String())
			require.Equal(t, tt.note, strings.Contains(out.String(), "pass --vpc-id"), "output:\n%s", out.String())
		})
	}
}

func TestExecuteGivesUpWaitingForInstances(t *testing.T) {
	f := leftovers()
	f.shutdownPolls = 100
	s := &sleeper{}
	var out bytes.Buffer
	sum := newCleaner(t, f, s, "").Execute(context.Background(), &out)

	require.Equal(t, []string{"waiting for instances: still there after 30s: [i-karpenter]"}, sum.Failed, "output:\n%s", out.String())
	require.Len(t, s.waits, 3, "4 polls, 3 intervals")
	require.Equal(t, 6, sum.Deleted, "the steps after it still run")
}

// failingIAM fails every listing, as a caller without IAM permissions sees it.
type failingIAM struct{ fakeIAM }

func (failingIAM) ListInstanceProfiles(context.Context, *iam.ListInstanceProfilesInput, ...func(*iam.Options)) (*iam.ListInstanceProfilesOutput, error) {
	return nil, apiError("AccessDenied")
}

func TestAListingErrorFailsTheRunButNotTheOtherSteps(t *testing.T) {
	f := leftovers()
	clients := f.clients()
	clients.IAM = failingIAM{fakeIAM{f}}
	c, err := cleanup.New(clients, cleanup.Options{Cluster: cluster, Region: region, Sleep: (&sleeper{}).sleep})
	require.NoError(t, err)
	var out bytes.Buffer
	sum := c.Plan(context.Background(), &out)

	require.Len(t, sum.Failed, 1)
	require.True(t, strings.HasPrefix(sum.Failed[0], "listing instance profiles: listing instance profiles under /karpenter/us-east-1/demo/: "), sum.Failed[0])
	require.Equal(t, 6, sum.Found)
}

func TestNewRequiresClusterAndRegion(t *testing.T) {
	_, err := cleanup.New(cleanup.Clients{}, cleanup.Options{})
	require.EqualError(t, err, "missing Options.Cluster\nmissing Options.Region")
}

func TestInstanceProfilePath(t *testing.T) {
	require.Equal(t, "/karpenter/us-east-1/demo/", cleanup.InstanceProfilePath(region, cluster))
}

func TestSleepStopsWithTheContext(t *testing.T) {
	f := leftovers()
	f.errs["DeleteSecurityGroup sg-elb"] = []error{apiError("DependencyViolation")}
	f.instances, f.launchTemplates, f.profiles, f.lbs, f.classic, f.interfaces = nil, nil, nil, nil, nil, nil
	c, err := cleanup.New(f.clients(), cleanup.Options{Cluster: cluster, Region: region})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	sum := c.Execute(ctx, &bytes.Buffer{})
	require.Equal(t, []string{"security-group sg-elb: context canceled"}, sum.Failed)
}
