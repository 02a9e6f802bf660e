package cleanup

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	awsv1 "github.com/aws/karpenter-provider-aws/pkg/apis/v1"
)

// ClusterTagKey is the tag Kubernetes puts on what it creates for a cluster ("owned") and the stack puts on the
// cluster's subnets ("shared"); Karpenter puts it on its instances too (GetTags in pkg/utils/utils.go).
func ClusterTagKey(cluster string) string { return "kubernetes.io/cluster/" + cluster }

// liveStates are the states of an instance that still needs terminating; Karpenter's own list also takes
// shutting-down ones (instanceStateFilter in pkg/providers/instance/instance.go), which are already going.
var liveStates = []string{
	string(ec2types.InstanceStateNamePending),
	string(ec2types.InstanceStateNameRunning),
	string(ec2types.InstanceStateNameStopping),
	string(ec2types.InstanceStateNameStopped),
}

// findInstances lists the cluster's instances the way Karpenter lists its own (karpenter-provider-aws v1.14.4,
// DefaultProvider.List in pkg/providers/instance/instance.go): tag eks:eks-cluster-name=<cluster> and tag keys
// karpenter.sh/nodepool and karpenter.k8s.aws/ec2nodeclass, all three set on every instance it launches (GetTags in
// pkg/utils/utils.go).
// The managed node group's instances carry none of Karpenter's keys.
func (c *Cleaner) findInstances(ctx context.Context, _ io.Writer) ([]Item, error) {
	p := ec2.NewDescribeInstancesPaginator(c.clients.EC2, &ec2.DescribeInstancesInput{Filters: []ec2types.Filter{
		tagFilter(awsv1.EKSClusterNameTagKey, c.opts.Cluster),
		{Name: aws.String("tag-key"), Values: []string{awsv1.NodePoolTagKey}},
		{Name: aws.String("tag-key"), Values: []string{awsv1.NodeClassTagKey}},
		{Name: aws.String("instance-state-name"), Values: liveStates},
	}})
	var items []Item
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("describing instances: %w", err)
		}
		for _, r := range page.Reservations {
			for _, inst := range r.Instances {
				items = append(items, Item{
					Kind: KindInstance,
					ID:   aws.ToString(inst.InstanceId),
					Reason: fmt.Sprintf("%s, tags %s=%s, %s=%s; %s", inst.InstanceType,
						awsv1.EKSClusterNameTagKey, c.opts.Cluster, awsv1.NodePoolTagKey, ec2Tag(inst.Tags, awsv1.NodePoolTagKey),
						stateName(inst.State)),
				})
			}
		}
	}
	return items, nil
}

func (c *Cleaner) terminateInstance(ctx context.Context, it Item) error {
	_, err := c.clients.EC2.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{it.ID}})
	return err
}

// waitInstances polls until every instance is terminated: until then it holds its interfaces and security groups.
func (c *Cleaner) waitInstances(ctx context.Context, items []Item) error {
	ids := itemIDs(items)
	return c.poll(ctx, func(ctx context.Context) ([]string, error) {
		out, err := c.clients.EC2.DescribeInstances(ctx, &ec2.DescribeInstancesInput{Filters: []ec2types.Filter{
			{Name: aws.String("instance-id"), Values: ids},
			{Name: aws.String("instance-state-name"), Values: append(slices.Clone(liveStates), string(ec2types.InstanceStateNameShuttingDown))},
		}})
		if err != nil {
			return nil, fmt.Errorf("describing instances: %w", err)
		}
		var left []string
		for _, r := range out.Reservations {
			for _, inst := range r.Instances {
				left = append(left, aws.ToString(inst.InstanceId))
			}
		}
		return left, nil
	})
}

// findLaunchTemplates lists the launch templates Karpenter created for the cluster: tagged eks:eks-cluster-name
// (the filter Karpenter lists its own by, DefaultProvider.hydrateCache in
// pkg/providers/launchtemplate/launchtemplate.go) and karpenter.k8s.aws/ec2nodeclass (its DefaultProvider.DeleteAll
// filter) — both from the instance tags it also puts on the template (CreateLaunchTemplateInputBuilder.Build in
// types.go) — and named "karpenter.k8s.aws/<hash>" (LaunchTemplateName in launchtemplate.go, LaunchTemplateNamePrefix
// in pkg/apis/v1/labels.go); all karpenter-provider-aws v1.14.4.
func (c *Cleaner) findLaunchTemplates(ctx context.Context, _ io.Writer) ([]Item, error) {
	p := ec2.NewDescribeLaunchTemplatesPaginator(c.clients.EC2, &ec2.DescribeLaunchTemplatesInput{Filters: []ec2types.Filter{
		tagFilter(awsv1.EKSClusterNameTagKey, c.opts.Cluster),
		{Name: aws.String("tag-key"), Values: []string{awsv1.NodeClassTagKey}},
	}})
	var items []Item
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("describing launch templates: %w", err)
		}
		for _, lt := range page.LaunchTemplates {
			name := aws.ToString(lt.LaunchTemplateName)
			if !strings.HasPrefix(name, awsv1.LaunchTemplateNamePrefix+"/") {
				continue
			}
			items = append(items, Item{
				Kind: KindLaunchTemplate,
				ID:   aws.ToString(lt.LaunchTemplateId),
				Reason: fmt.Sprintf("%s, tags %s=%s, %s=%s", name, awsv1.EKSClusterNameTagKey, c.opts.Cluster,
					awsv1.NodeClassTagKey, ec2Tag(lt.Tags, awsv1.NodeClassTagKey)),
			})
		}
	}
	return items, nil
}

func (c *Cleaner) deleteLaunchTemplate(ctx context.Context, it Item) error {
	_, err := c.clients.EC2.DeleteLaunchTemplate(ctx, &ec2.DeleteLaunchTemplateInput{LaunchTemplateId: aws.String(it.ID)})
	return err
}

// vpcs returns the VPC to look for interfaces in: Options.VPCID, or the VPCs of the subnets tagged with the
// cluster's tag (components/network tags every subnet so).
func (c *Cleaner) vpcs(ctx context.Context) ([]string, error) {
	if c.opts.VPCID != "" {
		return []string{c.opts.VPCID}, nil
	}
	p := ec2.NewDescribeSubnetsPaginator(c.clients.EC2, &ec2.DescribeSubnetsInput{Filters: []ec2types.Filter{
		{Name: aws.String("tag-key"), Values: []string{ClusterTagKey(c.opts.Cluster)}},
	}})
	var vpcs []string
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("describing subnets: %w", err)
		}
		for _, s := range page.Subnets {
			if id := aws.ToString(s.VpcId); !slices.Contains(vpcs, id) {
				vpcs = append(vpcs, id)
			}
		}
	}
	return vpcs, nil
}

// findNetworkInterfaces lists the available (detached) interfaces in the cluster's VPC: the VPC CNI's and the load
// balancers' interfaces that outlived their instance or load balancer. An attached interface is left alone.
func (c *Cleaner) findNetworkInterfaces(ctx context.Context, w io.Writer) ([]Item, error) {
	vpcs, err := c.vpcs(ctx)
	if err != nil {
		return nil, err
	}
	if len(vpcs) == 0 {
		fmt.Fprintf(w, "     no subnet is tagged %s, so the cluster's VPC is gone or unknown; pass --vpc-id to look for "+
			"network interfaces\n", ClusterTagKey(c.opts.Cluster))
		return nil, nil
	}
	p := ec2.NewDescribeNetworkInterfacesPaginator(c.clients.EC2, &ec2.DescribeNetworkInterfacesInput{Filters: []ec2types.Filter{
		{Name: aws.String("vpc-id"), Values: vpcs},
		{Name: aws.String("status"), Values: []string{string(ec2types.NetworkInterfaceStatusAvailable)}},
	}})
	var items []Item
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("describing network interfaces: %w", err)
		}
		for _, ni := range page.NetworkInterfaces {
			items = append(items, Item{
				Kind:   KindNetworkInterface,
				ID:     aws.ToString(ni.NetworkInterfaceId),
				Reason: fmt.Sprintf("available in %s (%q)", aws.ToString(ni.VpcId), aws.ToString(ni.Description)),
			})
		}
	}
	return items, nil
}

func (c *Cleaner) deleteNetworkInterface(ctx context.Context, it Item) error {
	_, err := c.clients.EC2.DeleteNetworkInterface(ctx, &ec2.DeleteNetworkInterfaceInput{NetworkInterfaceId: aws.String(it.ID)})
	return err
}

// loadBalancerGroupPrefix starts the name of the security group the Kubernetes AWS cloud provider creates for a
// Service's load balancer: "k8s-elb-<load balancer name>" (cloud-provider-aws, buildELBSecurityGroupList).
const loadBalancerGroupPrefix = "k8s-elb-"

// findSecurityGroups lists the security groups the cloud provider created for the cluster's load balancers: tagged
// with the cluster's tag and named k8s-elb-…. The name matters: pulumi-eks gives the stack's own node security group
// the same tag (pulumi-eks v2.8.1, nodejs/eks/securitygroup.ts, createNodeGroupSecurityGroup, which cluster.ts
// createCluster calls unconditionally), EKS gives it to the cluster security group it creates (eks-cluster-sg-…),
// and a VPC's "default" group never carries the prefix.
func (c *Cleaner) findSecurityGroups(ctx context.Context, _ io.Writer) ([]Item, error) {
	p := ec2.NewDescribeSecurityGroupsPaginator(c.clients.EC2, &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{
		{Name: aws.String("tag-key"), Values: []string{ClusterTagKey(c.opts.Cluster)}},
	}})
	var items []Item
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("describing security groups: %w", err)
		}
		for _, g := range page.SecurityGroups {
			name := aws.ToString(g.GroupName)
			if !strings.HasPrefix(name, loadBalancerGroupPrefix) {
				continue
			}
			items = append(items, Item{
				Kind:   KindSecurityGroup,
				ID:     aws.ToString(g.GroupId),
				Reason: fmt.Sprintf("%s in %s, tag %s", name, aws.ToString(g.VpcId), ClusterTagKey(c.opts.Cluster)),
			})
		}
	}
	return items, nil
}

func (c *Cleaner) deleteSecurityGroup(ctx context.Context, it Item) error {
	_, err := c.clients.EC2.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: aws.String(it.ID)})
	return err
}

func tagFilter(key, value string) ec2types.Filter {
	return ec2types.Filter{Name: aws.String("tag:" + key), Values: []string{value}}
}

func ec2Tag(tags []ec2types.Tag, key string) string {
	for _, t := range tags {
		if aws.ToString(t.Key) == key {
			return aws.ToString(t.Value)
		}
	}
	return ""
}

func stateName(s *ec2types.InstanceState) string {
	if s == nil {
		return "unknown state"
	}
	return string(s.Name)
}

func itemIDs(items []Item) []string {
	ids := make([]string, len(items))
	for i, it := range items {
		ids[i] = it.ID
	}
	return ids
}
