package cleanup

import (
	"context"
	"fmt"
	"io"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancing"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
)

// maxTagResources is how many load balancers one DescribeTags call takes, in both APIs.
const maxTagResources = 20

// serviceNameTag names the Service a cloud provider load balancer serves, e.g. "retail-store/ui".
const serviceNameTag = "kubernetes.io/service-name"

// findLoadBalancers lists the load balancers, of both APIs, tagged with the cluster's tag: the Kubernetes AWS cloud
// provider tags the load balancer of every Service of type LoadBalancer so. The stack declares none.
func (c *Cleaner) findLoadBalancers(ctx context.Context, _ io.Writer) ([]Item, error) {
	v2, err := c.findLoadBalancersV2(ctx)
	if err != nil {
		return nil, err
	}
	classic, err := c.findClassicLoadBalancers(ctx)
	if err != nil {
		return nil, err
	}
	return append(v2, classic...), nil
}

func (c *Cleaner) findLoadBalancersV2(ctx context.Context) ([]Item, error) {
	var arns []string
	p := elbv2.NewDescribeLoadBalancersPaginator(c.clients.ELBv2, &elbv2.DescribeLoadBalancersInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("describing load balancers: %w", err)
		}
		for _, lb := range page.LoadBalancers {
			arns = append(arns, aws.ToString(lb.LoadBalancerArn))
		}
	}
	var items []Item
	for batch := range slices.Chunk(arns, maxTagResources) {
		out, err := c.clients.ELBv2.DescribeTags(ctx, &elbv2.DescribeTagsInput{ResourceArns: batch})
		if err != nil {
			return nil, fmt.Errorf("describing load balancer tags: %w", err)
		}
		for _, d := range out.TagDescriptions {
			tags := map[string]string{}
			for _, t := range d.Tags {
				tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
			}
			if reason, ok := c.loadBalancerReason(tags); ok {
				items = append(items, Item{Kind: KindLoadBalancer, ID: aws.ToString(d.ResourceArn), Reason: reason})
			}
		}
	}
	return items, nil
}

func (c *Cleaner) findClassicLoadBalancers(ctx context.Context) ([]Item, error) {
	var names []string
	p := elb.NewDescribeLoadBalancersPaginator(c.clients.ELB, &elb.DescribeLoadBalancersInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("describing classic load balancers: %w", err)
		}
		for _, lb := range page.LoadBalancerDescriptions {
			names = append(names, aws.ToString(lb.LoadBalancerName))
		}
	}
	var items []Item
	for batch := range slices.Chunk(names, maxTagResources) {
		out, err := c.clients.ELB.DescribeTags(ctx, &elb.DescribeTagsInput{LoadBalancerNames: batch})
		if err != nil {
			return nil, fmt.Errorf("describing classic load balancer tags: %w", err)
		}
		for _, d := range out.TagDescriptions {
			tags := map[string]string{}
			for _, t := range d.Tags {
				tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
			}
			if reason, ok := c.loadBalancerReason(tags); ok {
				items = append(items, Item{Kind: KindClassicLoadBalancer, ID: aws.ToString(d.LoadBalancerName), Reason: reason})
			}
		}
	}
	return items, nil
}

// loadBalancerReason says why a load balancer with tags belongs to the cluster; ok is false when it does not.
func (c *Cleaner) loadBalancerReason(tags map[string]string) (reason string, ok bool) {
	key := ClusterTagKey(c.opts.Cluster)
	value, ok := tags[key]
	if !ok {
		return "", false
	}
	reason = fmt.Sprintf("tag %s=%s", key, value)
	if svc := tags[serviceNameTag]; svc != "" {
		reason += ", Service " + svc
	}
	return reason, true
}

func (c *Cleaner) deleteLoadBalancer(ctx context.Context, it Item) error {
	if it.Kind == KindClassicLoadBalancer {
		_, err := c.clients.ELB.DeleteLoadBalancer(ctx, &elb.DeleteLoadBalancerInput{LoadBalancerName: aws.String(it.ID)})
		return err
	}
	_, err := c.clients.ELBv2.DeleteLoadBalancer(ctx, &elbv2.DeleteLoadBalancerInput{LoadBalancerArn: aws.String(it.ID)})
	return err
}

// waitLoadBalancers polls until no deleted load balancer is described any more.
func (c *Cleaner) waitLoadBalancers(ctx context.Context, items []Item) error {
	return c.poll(ctx, func(ctx context.Context) ([]string, error) {
		var left []string
		for _, it := range items {
			exists, err := c.loadBalancerExists(ctx, it)
			if err != nil {
				return nil, err
			}
			if exists {
				left = append(left, it.ID)
			}
		}
		return left, nil
	})
}

func (c *Cleaner) loadBalancerExists(ctx context.Context, it Item) (bool, error) {
	var err error
	if it.Kind == KindClassicLoadBalancer {
		var out *elb.DescribeLoadBalancersOutput
		out, err = c.clients.ELB.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{LoadBalancerNames: []string{it.ID}})
		if err == nil {
			return len(out.LoadBalancerDescriptions) > 0, nil
		}
	} else {
		var out *elbv2.DescribeLoadBalancersOutput
		out, err = c.clients.ELBv2.DescribeLoadBalancers(ctx, &elbv2.DescribeLoadBalancersInput{LoadBalancerArns: []string{it.ID}})
		if err == nil {
			return len(out.LoadBalancers) > 0, nil
		}
	}
	if ignoreGone(err) == nil {
		return false, nil
	}
	return false, fmt.Errorf("describing %s %s: %w", it.Kind, it.ID, err)
}
