package cleanup_test

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancing"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancing/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbv2types "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/karpenter-savings/karpenter-savings/internal/ops/cleanup"
)

// fakeAWS is one account and region: the four API fakes share its resources, its queued errors and its call log.
type fakeAWS struct {
	instances       []ec2types.Instance
	launchTemplates []ec2types.LaunchTemplate
	subnets         []ec2types.Subnet
	interfaces      []ec2types.NetworkInterface
	groups          []ec2types.SecurityGroup
	profiles        []iamtypes.InstanceProfile
	profileTags     map[string][]iamtypes.Tag
	lbs             []elbv2types.LoadBalancer
	lbTags          map[string][]elbv2types.Tag
	classic         []elbtypes.LoadBalancerDescription
	classicTags     map[string][]elbtypes.Tag

	// shutdownPolls is how many DescribeInstances calls see a terminated instance still shutting down.
	shutdownPolls int
	shuttingDown  map[string]int

	// errs queues the errors of the next calls, by call as logged, e.g. "DeleteSecurityGroup sg-1".
	errs map[string][]error
	// calls logs every call that changes something, failed or not, in order.
	calls []string
}

func (f *fakeAWS) clients() cleanup.Clients {
	return cleanup.Clients{EC2: fakeEC2{f}, IAM: fakeIAM{f}, ELBv2: fakeELBv2{f}, ELB: fakeELB{f}}
}

// call logs a change and returns the error queued for it.
func (f *fakeAWS) call(format string, args ...any) error {
	c := fmt.Sprintf(format, args...)
	f.calls = append(f.calls, c)
	if len(f.errs[c]) == 0 {
		return nil
	}
	err := f.errs[c][0]
	f.errs[c] = f.errs[c][1:]
	return err
}

// matches evaluates EC2 filters the way EC2 does: every filter must match one of its values.
func matches(filters []ec2types.Filter, tags []ec2types.Tag, attrs map[string]string) bool {
	for _, f := range filters {
		name := aws.ToString(f.Name)
		var have []string
		switch {
		case name == "tag-key":
			for _, t := range tags {
				have = append(have, aws.ToString(t.Key))
			}
		case strings.HasPrefix(name, "tag:"):
			for _, t := range tags {
				if aws.ToString(t.Key) == strings.TrimPrefix(name, "tag:") {
					have = append(have, aws.ToString(t.Value))
				}
			}
		default:
			v, ok := attrs[name]
			if !ok {
				panic("fake EC2: unsupported filter " + name)
			}
			have = []string{v}
		}
		if !slices.ContainsFunc(have, func(h string) bool { return slices.Contains(f.Values, h) }) {
			return false
		}
	}
	return true
}

type fakeEC2 struct{ *fakeAWS }

func (f fakeEC2) DescribeInstances(_ context.Context, in *ec2.DescribeInstancesInput, _ ...func(*ec2.Options)) (*ec2.DescribeInstancesOutput, error) {
	for i, inst := range f.instances {
		id := aws.ToString(inst.InstanceId)
		n, ok := f.shuttingDown[id]
		switch {
		case !ok:
		case n == 0:
			f.instances[i].State = &ec2types.InstanceState{Name: ec2types.InstanceStateNameTerminated}
			delete(f.shuttingDown, id)
		default:
			f.shuttingDown[id] = n - 1
		}
	}
	var found []ec2types.Instance
	for _, inst := range f.instances {
		attrs := map[string]string{"instance-id": aws.ToString(inst.InstanceId), "instance-state-name": string(inst.State.Name)}
		if matches(in.Filters, inst.Tags, attrs) {
			found = append(found, inst)
		}
	}
	if len(found) == 0 {
		return &ec2.DescribeInstancesOutput{}, nil
	}
	return &ec2.DescribeInstancesOutput{Reservations: []ec2types.Reservation{{Instances: found}}}, nil
}

func (f fakeEC2) TerminateInstances(_ context.Context, in *ec2.TerminateInstancesInput, _ ...func(*ec2.Options)) (*ec2.TerminateInstancesOutput, error) {
	for _, id := range in.InstanceIds {
		if err := f.call("TerminateInstances %s", id); err != nil {
			return nil, err
		}
		for i, inst := range f.instances {
			if aws.ToString(inst.InstanceId) == id {
				f.instances[i].State = &ec2types.InstanceState{Name: ec2types.InstanceStateNameShuttingDown}
				f.shuttingDown[id] = f.shutdownPolls
			}
		}
	}
	return &ec2.TerminateInstancesOutput{}, nil
}

func (f fakeEC2) DescribeLaunchTemplates(_ context.Context, in *ec2.DescribeLaunchTemplatesInput, _ ...func(*ec2.Options)) (*ec2.DescribeLaunchTemplatesOutput, error) {
	var found []ec2types.LaunchTemplate
	for _, lt := range f.launchTemplates {
		if matches(in.Filters, lt.Tags, nil) {
			found = append(found, lt)
		}
	}
	return &ec2.DescribeLaunchTemplatesOutput{LaunchTemplates: found}, nil
}

func (f fakeEC2) DeleteLaunchTemplate(_ context.Context, in *ec2.DeleteLaunchTemplateInput, _ ...func(*ec2.Options)) (*ec2.DeleteLaunchTemplateOutput, error) {
	id := aws.ToString(in.LaunchTemplateId)
	if err := f.call("DeleteLaunchTemplate %s", id); err != nil {
		return nil, err
	}
	f.launchTemplates = slices.DeleteFunc(f.launchTemplates, func(lt ec2types.LaunchTemplate) bool { return aws.ToString(lt.LaunchTemplateId) == id })
	return &ec2.DeleteLaunchTemplateOutput{}, nil
}

func (f fakeEC2) DescribeSubnets(_ context.Context, in *ec2.DescribeSubnetsInput, _ ...func(*ec2.Options)) (*ec2.DescribeSubnetsOutput, error) {
	var found []ec2types.Subnet
	for _, s := range f.subnets {
		if matches(in.Filters, s.Tags, map[string]string{"vpc-id": aws.ToString(s.VpcId)}) {
			found = append(found, s)
		}
	}
	return &ec2.DescribeSubnetsOutput{Subnets: found}, nil
}

func (f fakeEC2) DescribeNetworkInterfaces(_ context.Context, in *ec2.DescribeNetworkInterfacesInput, _ ...func(*ec2.Options)) (*ec2.DescribeNetworkInterfacesOutput, error) {
	var found []ec2types.NetworkInterface
	for _, ni := range f.interfaces {
		if matches(in.Filters, ni.TagSet, map[string]string{"vpc-id": aws.ToString(ni.VpcId), "status": string(ni.Status)}) {
			found = append(found, ni)
		}
	}
	return &ec2.DescribeNetworkInterfacesOutput{NetworkInterfaces: found}, nil
}

func (f fakeEC2) DeleteNetworkInterface(_ context.Context, in *ec2.DeleteNetworkInterfaceInput, _ ...func(*ec2.Options)) (*ec2.DeleteNetworkInterfaceOutput, error) {
	id := aws.ToString(in.NetworkInterfaceId)
	if err := f.call("DeleteNetworkInterface %s", id); err != nil {
		return nil, err
	}
	f.interfaces = slices.DeleteFunc(f.interfaces, func(ni ec2types.NetworkInterface) bool { return aws.ToString(ni.NetworkInterfaceId) == id })
	return &ec2.DeleteNetworkInterfaceOutput{}, nil
}

func (f fakeEC2) DescribeSecurityGroups(_ context.Context, in *ec2.DescribeSecurityGroupsInput, _ ...func(*ec2.Options)) (*ec2.DescribeSecurityGroupsOutput, error) {
	var found []ec2types.SecurityGroup
	for _, g := range f.groups {
		if matches(in.Filters, g.Tags, map[string]string{"vpc-id": aws.ToString(g.VpcId)}) {
			found = append(found, g)
		}
	}
	return &ec2.DescribeSecurityGroupsOutput{SecurityGroups: found}, nil
}

func (f fakeEC2) DeleteSecurityGroup(_ context.Context, in *ec2.DeleteSecurityGroupInput, _ ...func(*ec2.Options)) (*ec2.DeleteSecurityGroupOutput, error) {
	id := aws.ToString(in.GroupId)
	if err := f.call("DeleteSecurityGroup %s", id); err != nil {
		return nil, err
	}
	f.groups = slices.DeleteFunc(f.groups, func(g ec2types.SecurityGroup) bool { return aws.ToString(g.GroupId) == id })
	return &ec2.DeleteSecurityGroupOutput{}, nil
}

type fakeIAM struct{ *fakeAWS }

func (f fakeIAM) ListInstanceProfiles(_ context.Context, in *iam.ListInstanceProfilesInput, _ ...func(*iam.Options)) (*iam.ListInstanceProfilesOutput, error) {
	var found []iamtypes.InstanceProfile
	for _, p := range f.profiles {
		if strings.HasPrefix(aws.ToString(p.Path), aws.ToString(in.PathPrefix)) {
			found = append(found, p)
		}
	}
	return &iam.ListInstanceProfilesOutput{InstanceProfiles: found}, nil
}

func (f fakeIAM) ListInstanceProfileTags(_ context.Context, in *iam.ListInstanceProfileTagsInput, _ ...func(*iam.Options)) (*iam.ListInstanceProfileTagsOutput, error) {
	return &iam.ListInstanceProfileTagsOutput{Tags: f.profileTags[aws.ToString(in.InstanceProfileName)]}, nil
}

func (f fakeIAM) RemoveRoleFromInstanceProfile(_ context.Context, in *iam.RemoveRoleFromInstanceProfileInput, _ ...func(*iam.Options)) (*iam.RemoveRoleFromInstanceProfileOutput, error) {
	name, role := aws.ToString(in.InstanceProfileName), aws.ToString(in.RoleName)
	if err := f.call("RemoveRoleFromInstanceProfile %s %s", name, role); err != nil {
		return nil, err
	}
	for i, p := range f.profiles {
		if aws.ToString(p.InstanceProfileName) == name {
			f.profiles[i].Roles = slices.DeleteFunc(p.Roles, func(r iamtypes.Role) bool { return aws.ToString(r.RoleName) == role })
		}
	}
	return &iam.RemoveRoleFromInstanceProfileOutput{}, nil
}

func (f fakeIAM) DeleteInstanceProfile(_ context.Context, in *iam.DeleteInstanceProfileInput, _ ...func(*iam.Options)) (*iam.DeleteInstanceProfileOutput, error) {
	name := aws.ToString(in.InstanceProfileName)
	if err := f.call("DeleteInstanceProfile %s", name); err != nil {
		return nil, err
	}
	for _, p := range f.profiles {
		if aws.ToString(p.InstanceProfileName) == name && len(p.Roles) > 0 {
			return nil, &iamtypes.DeleteConflictException{Message: aws.String("Cannot delete entity, must remove roles from instance profile first.")}
		}
	}
	f.profiles = slices.DeleteFunc(f.profiles, func(p iamtypes.InstanceProfile) bool { return aws.ToString(p.InstanceProfileName) == name })
	return &iam.DeleteInstanceProfileOutput{}, nil
}

type fakeELBv2 struct{ *fakeAWS }

func (f fakeELBv2) DescribeLoadBalancers(_ context.Context, in *elbv2.DescribeLoadBalancersInput, _ ...func(*elbv2.Options)) (*elbv2.DescribeLoadBalancersOutput, error) {
	if len(in.LoadBalancerArns) == 0 {
		return &elbv2.DescribeLoadBalancersOutput{LoadBalancers: f.lbs}, nil
	}
	var found []elbv2types.LoadBalancer
	for _, arn := range in.LoadBalancerArns {
		i := slices.IndexFunc(f.lbs, func(lb elbv2types.LoadBalancer) bool { return aws.ToString(lb.LoadBalancerArn) == arn })
		if i < 0 {
			return nil, &elbv2types.LoadBalancerNotFoundException{Message: aws.String("One or more load balancers not found")}
		}
		found = append(found, f.lbs[i])
	}
	return &elbv2.DescribeLoadBalancersOutput{LoadBalancers: found}, nil
}

func (f fakeELBv2) DescribeTags(_ context.Context, in *elbv2.DescribeTagsInput, _ ...func(*elbv2.Options)) (*elbv2.DescribeTagsOutput, error) {
	if len(in.ResourceArns) > 20 {
		return nil, fmt.Errorf("fake ELBv2: %d resources, at most 20", len(in.ResourceArns))
	}
	out := &elbv2.DescribeTagsOutput{}
	for _, arn := range in.ResourceArns {
		out.TagDescriptions = append(out.TagDescriptions, elbv2types.TagDescription{ResourceArn: aws.String(arn), Tags: f.lbTags[arn]})
	}
	return out, nil
}

func (f fakeELBv2) DeleteLoadBalancer(_ context.Context, in *elbv2.DeleteLoadBalancerInput, _ ...func(*elbv2.Options)) (*elbv2.DeleteLoadBalancerOutput, error) {
	arn := aws.ToString(in.LoadBalancerArn)
	if err := f.call("DeleteLoadBalancer %s", arn); err != nil {
		return nil, err
	}
	f.lbs = slices.DeleteFunc(f.lbs, func(lb elbv2types.LoadBalancer) bool { return aws.ToString(lb.LoadBalancerArn) == arn })
	return &elbv2.DeleteLoadBalancerOutput{}, nil
}

type fakeELB struct{ *fakeAWS }

func (f fakeELB) DescribeLoadBalancers(_ context.Context, in *elb.DescribeLoadBalancersInput, _ ...func(*elb.Options)) (*elb.DescribeLoadBalancersOutput, error) {
	if len(in.LoadBalancerNames) == 0 {
		return &elb.DescribeLoadBalancersOutput{LoadBalancerDescriptions: f.classic}, nil
	}
	var found []elbtypes.LoadBalancerDescription
	for _, name := range in.LoadBalancerNames {
		i := slices.IndexFunc(f.classic, func(lb elbtypes.LoadBalancerDescription) bool { return aws.ToString(lb.LoadBalancerName) == name })
		if i < 0 {
			return nil, &elbtypes.AccessPointNotFoundException{Message: aws.String("There is no ACTIVE Load Balancer named '" + name + "'")}
		}
		found = append(found, f.classic[i])
	}
	return &elb.DescribeLoadBalancersOutput{LoadBalancerDescriptions: found}, nil
}

func (f fakeELB) DescribeTags(_ context.Context, in *elb.DescribeTagsInput, _ ...func(*elb.Options)) (*elb.DescribeTagsOutput, error) {
	if len(in.LoadBalancerNames) > 20 {
		return nil, fmt.Errorf("fake ELB: %d load balancers, at most 20", len(in.LoadBalancerNames))
	}
	out := &elb.DescribeTagsOutput{}
	for _, name := range in.LoadBalancerNames {
		out.TagDescriptions = append(out.TagDescriptions, elbtypes.TagDescription{LoadBalancerName: aws.String(name), Tags: f.classicTags[name]})
	}
	return out, nil
}

func (f fakeELB) DeleteLoadBalancer(_ context.Context, in *elb.DeleteLoadBalancerInput, _ ...func(*elb.Options)) (*elb.DeleteLoadBalancerOutput, error) {
	name := aws.ToString(in.LoadBalancerName)
	if err := f.call("DeleteClassicLoadBalancer %s", name); err != nil {
		return nil, err
	}
	f.classic = slices.DeleteFunc(f.classic, func(lb elbtypes.LoadBalancerDescription) bool { return aws.ToString(lb.LoadBalancerName) == name })
	return &elb.DeleteLoadBalancerOutput{}, nil
}
