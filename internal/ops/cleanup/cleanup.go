// Package cleanup finds, and on request deletes, what Karpenter and Kubernetes created outside Pulumi's state for
// one EKS cluster: the safety net after an interrupted `pulumi destroy`, whose VPC and IAM deletions otherwise fail
// on instances, load balancers, network interfaces and security groups the stack never declared.
//
// It works in dependency order — instances, launch templates, instance profiles, load balancers, network
// interfaces, security groups — and each step lists what is there when it starts, so that what an earlier step
// frees (the interfaces of a deleted load balancer) is found by a later one. It matches only by the tags and names
// Karpenter v1.14 and the Kubernetes AWS cloud provider give what they create, never what the stack declares.
package cleanup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancing"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// EC2API is the EC2 calls of the instance, launch template, network interface and security group steps.
type EC2API interface {
	DescribeInstances(context.Context, *ec2.DescribeInstancesInput, ...func(*ec2.Options)) (*ec2.DescribeInstancesOutput, error)
	TerminateInstances(context.Context, *ec2.TerminateInstancesInput, ...func(*ec2.Options)) (*ec2.TerminateInstancesOutput, error)
	DescribeLaunchTemplates(context.Context, *ec2.DescribeLaunchTemplatesInput, ...func(*ec2.Options)) (*ec2.DescribeLaunchTemplatesOutput, error)
	DeleteLaunchTemplate(context.Context, *ec2.DeleteLaunchTemplateInput, ...func(*ec2.Options)) (*ec2.DeleteLaunchTemplateOutput, error)
	DescribeSubnets(context.Context, *ec2.DescribeSubnetsInput, ...func(*ec2.Options)) (*ec2.DescribeSubnetsOutput, error)
	DescribeNetworkInterfaces(context.Context, *ec2.DescribeNetworkInterfacesInput, ...func(*ec2.Options)) (*ec2.DescribeNetworkInterfacesOutput, error)
	DeleteNetworkInterface(context.Context, *ec2.DeleteNetworkInterfaceInput, ...func(*ec2.Options)) (*ec2.DeleteNetworkInterfaceOutput, error)
	DescribeSecurityGroups(context.Context, *ec2.DescribeSecurityGroupsInput, ...func(*ec2.Options)) (*ec2.DescribeSecurityGroupsOutput, error)
	DeleteSecurityGroup(context.Context, *ec2.DeleteSecurityGroupInput, ...func(*ec2.Options)) (*ec2.DeleteSecurityGroupOutput, error)
}

// IAMAPI is the IAM calls of the instance profile step.
type IAMAPI interface {
	ListInstanceProfiles(context.Context, *iam.ListInstanceProfilesInput, ...func(*iam.Options)) (*iam.ListInstanceProfilesOutput, error)
	ListInstanceProfileTags(context.Context, *iam.ListInstanceProfileTagsInput, ...func(*iam.Options)) (*iam.ListInstanceProfileTagsOutput, error)
	RemoveRoleFromInstanceProfile(context.Context, *iam.RemoveRoleFromInstanceProfileInput, ...func(*iam.Options)) (*iam.RemoveRoleFromInstanceProfileOutput, error)
	DeleteInstanceProfile(context.Context, *iam.DeleteInstanceProfileInput, ...func(*iam.Options)) (*iam.DeleteInstanceProfileOutput, error)
}

// ELBv2API is the Elastic Load Balancing v2 (ALB, NLB) calls of the load balancer step.
type ELBv2API interface {
	DescribeLoadBalancers(context.Context, *elbv2.DescribeLoadBalancersInput, ...func(*elbv2.Options)) (*elbv2.DescribeLoadBalancersOutput, error)
	DescribeTags(context.Context, *elbv2.DescribeTagsInput, ...func(*elbv2.Options)) (*elbv2.DescribeTagsOutput, error)
	DeleteLoadBalancer(context.Context, *elbv2.DeleteLoadBalancerInput, ...func(*elbv2.Options)) (*elbv2.DeleteLoadBalancerOutput, error)
}

// ELBAPI is the Classic Load Balancer calls of the load balancer step.
type ELBAPI interface {
	DescribeLoadBalancers(context.Context, *elb.DescribeLoadBalancersInput, ...func(*elb.Options)) (*elb.DescribeLoadBalancersOutput, error)
	DescribeTags(context.Context, *elb.DescribeTagsInput, ...func(*elb.Options)) (*elb.DescribeTagsOutput, error)
	DeleteLoadBalancer(context.Context, *elb.DeleteLoadBalancerInput, ...func(*elb.Options)) (*elb.DeleteLoadBalancerOutput, error)
}

// Clients are the AWS APIs the cleanup calls, configured for the cluster's region.
type Clients struct {
	EC2   EC2API
	IAM   IAMAPI
	ELBv2 ELBv2API
	ELB   ELBAPI
}

// NewClients builds the clients from an AWS configuration.
func NewClients(cfg aws.Config) Clients {
	return Clients{
		EC2:   ec2.NewFromConfig(cfg),
		IAM:   iam.NewFromConfig(cfg),
		ELBv2: elbv2.NewFromConfig(cfg),
		ELB:   elb.NewFromConfig(cfg),
	}
}

// Options says which cluster to clean up and how patiently.
type Options struct {
	// Cluster is the EKS cluster's name. Required.
	Cluster string
	// Region is the cluster's region; Karpenter's instance profile paths contain it. Required.
	Region string
	// VPCID is the VPC whose available network interfaces are deleted. Optional; default: the VPC of the subnets
	// tagged kubernetes.io/cluster/<Cluster>, as the stack tags them.
	VPCID string
	// Retry paces the retries of a deletion that fails on a dependency. Optional; default DefaultRetry.
	Retry Retry
	// Wait paces the polls for instances to terminate and load balancers to go. Optional; default DefaultWait.
	Wait Wait
	// Sleep waits d or until ctx ends. Optional; default: a timer.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Retry paces the retries of a deletion that AWS refuses while something still depends on the resource.
type Retry struct {
	// Retries is how many times a deletion is retried after its first attempt.
	Retries int
	// Delay is the wait before the first retry; it doubles after each.
	Delay time.Duration
	// MaxDelay caps the wait between retries.
	MaxDelay time.Duration
}

// DefaultRetry retries 8 times over about 5 minutes: long enough for a load balancer's interfaces to go.
var DefaultRetry = Retry{Retries: 8, Delay: 5 * time.Second, MaxDelay: time.Minute}

// Wait paces the polls that wait for a deletion to finish.
type Wait struct {
	// Polls is how many times the state is read before giving up.
	Polls int
	// Interval is the wait between polls.
	Interval time.Duration
}

// DefaultWait polls every 10 seconds for up to 10 minutes; an instance takes one or two to terminate.
var DefaultWait = Wait{Polls: 60, Interval: 10 * time.Second}

// Kind is the kind of a leftover resource.
type Kind string

// The kinds of leftover, in the order they are deleted.
const (
	KindInstance            Kind = "instance"
	KindLaunchTemplate      Kind = "launch-template"
	KindInstanceProfile     Kind = "instance-profile"
	KindLoadBalancer        Kind = "load-balancer"
	KindClassicLoadBalancer Kind = "classic-load-balancer"
	KindNetworkInterface    Kind = "network-interface"
	KindSecurityGroup       Kind = "security-group"
)

// Item is one leftover resource.
type Item struct {
	Kind Kind
	// ID is what the delete call takes: an instance, launch template, interface or group id, an instance profile
	// name, a load balancer ARN or a classic load balancer name.
	ID string
	// Reason says why it matched: the tags and names that tie it to the cluster.
	Reason string
	// roles are an instance profile's roles, removed before it is deleted.
	roles []string
}

// Summary counts what a run found and deleted.
type Summary struct {
	Found   int
	Deleted int
	// Failed lists what could not be listed or deleted; non-empty means something may remain.
	Failed []string
}

// Cleaner lists and deletes one cluster's leftovers.
type Cleaner struct {
	clients Clients
	opts    Options
}

// New returns a Cleaner after checking the options.
func New(clients Clients, opts Options) (*Cleaner, error) {
	var errs []error
	if opts.Cluster == "" {
		errs = append(errs, errors.New("missing Options.Cluster"))
	}
	if opts.Region == "" {
		errs = append(errs, errors.New("missing Options.Region"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if opts.Retry == (Retry{}) {
		opts.Retry = DefaultRetry
	}
	if opts.Wait == (Wait{}) {
		opts.Wait = DefaultWait
	}
	if opts.Sleep == nil {
		opts.Sleep = sleep
	}
	return &Cleaner{clients: clients, opts: opts}, nil
}

// step is one kind of leftover: how to find it, delete it, and wait for the deletions to finish.
type step struct {
	name string
	find func(ctx context.Context, w io.Writer) ([]Item, error)
	// remove deletes an item; done says what a successful call did.
	remove func(ctx context.Context, it Item) error
	done   string
	// wait is nil when a deletion is done when its call returns.
	wait func(ctx context.Context, items []Item) error
}

// steps lists the steps in the order that lets each deletion succeed: instances hold interfaces, security groups
// and instance profiles; load balancers hold interfaces and security groups.
func (c *Cleaner) steps() []step {
	return []step{
		{name: "instances", find: c.findInstances, remove: c.terminateInstance, done: "terminating", wait: c.waitInstances},
		{name: "launch templates", find: c.findLaunchTemplates, remove: c.deleteLaunchTemplate, done: "deleted"},
		{name: "instance profiles", find: c.findInstanceProfiles, remove: c.deleteInstanceProfile, done: "roles removed, deleted"},
		{name: "load balancers", find: c.findLoadBalancers, remove: c.deleteLoadBalancer, done: "deleting", wait: c.waitLoadBalancers},
		{name: "network interfaces", find: c.findNetworkInterfaces, remove: c.deleteNetworkInterface, done: "deleted"},
		{name: "security groups", find: c.findSecurityGroups, remove: c.deleteSecurityGroup, done: "deleted"},
	}
}

// Plan lists every leftover as a numbered line, deleting nothing. The interfaces and groups are listed as they are
// now; Execute also finds those the instances and load balancers free when they go.
func (c *Cleaner) Plan(ctx context.Context, w io.Writer) Summary {
	var sum Summary
	fmt.Fprintf(w, "Dry run for cluster %s in %s: nothing is deleted without --yes.\n", c.opts.Cluster, c.opts.Region)
	for _, s := range c.steps() {
		items, err := s.find(ctx, w)
		if err != nil {
			sum.fail(w, fmt.Sprintf("listing %s: %v", s.name, err))
			continue
		}
		for _, it := range items {
			sum.Found++
			printItem(w, sum.Found, it)
		}
	}
	switch {
	case sum.Found == 0 && len(sum.Failed) == 0:
		fmt.Fprintf(w, "nothing left for cluster %s in %s\n", c.opts.Cluster, c.opts.Region)
	case sum.Found > 0:
		fmt.Fprintf(w, "%d to delete, in this order; run again with --yes to delete them. Deleting the instances and "+
			"load balancers frees more network interfaces, which --yes finds when it gets to them.\n", sum.Found)
	}
	return sum
}

// Execute deletes every leftover, step by step, printing each action and its result.
func (c *Cleaner) Execute(ctx context.Context, w io.Writer) Summary {
	var sum Summary
	fmt.Fprintf(w, "Deleting what is left of cluster %s in %s.\n", c.opts.Cluster, c.opts.Region)
	for _, s := range c.steps() {
		items, err := s.find(ctx, w)
		if err != nil {
			sum.fail(w, fmt.Sprintf("listing %s: %v", s.name, err))
			continue
		}
		var removed []Item
		for _, it := range items {
			sum.Found++
			printItem(w, sum.Found, it)
			if err := c.retry(ctx, w, func(ctx context.Context) error { return s.remove(ctx, it) }); err != nil {
				sum.fail(w, fmt.Sprintf("%s %s: %v", it.Kind, it.ID, err))
				continue
			}
			fmt.Fprintf(w, "     %s\n", s.done)
			removed = append(removed, it)
		}
		if s.wait == nil || len(removed) == 0 {
			sum.Deleted += len(removed)
			continue
		}
		fmt.Fprintf(w, "     waiting until gone: %s\n", strings.Join(itemIDs(removed), ", "))
		if err := s.wait(ctx, removed); err != nil {
			sum.fail(w, fmt.Sprintf("waiting for %s: %v", s.name, err))
			continue
		}
		fmt.Fprintln(w, "     gone")
		sum.Deleted += len(removed)
	}
	switch {
	case sum.Found == 0 && len(sum.Failed) == 0:
		fmt.Fprintf(w, "nothing left for cluster %s in %s\n", c.opts.Cluster, c.opts.Region)
	case len(sum.Failed) == 0:
		fmt.Fprintf(w, "deleted %d; nothing left for cluster %s in %s\n", sum.Deleted, c.opts.Cluster, c.opts.Region)
	default:
		fmt.Fprintf(w, "deleted %d of %d; %d failed, so something may remain:\n", sum.Deleted, sum.Found, len(sum.Failed))
		for _, f := range sum.Failed {
			fmt.Fprintf(w, "  - %s\n", f)
		}
	}
	return sum
}

func (s *Summary) fail(w io.Writer, msg string) {
	s.Failed = append(s.Failed, msg)
	fmt.Fprintf(w, "     FAILED: %s\n", msg)
}

func printItem(w io.Writer, n int, it Item) {
	fmt.Fprintf(w, "%3d. %s %s: %s\n", n, it.Kind, it.ID, it.Reason)
}
