package main

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancing"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/stretchr/testify/require"

	"github.com/karpenter-savings/karpenter-savings/internal/ops/cleanup"
)

// emptyEC2 is an account where all that is left of the cluster is one available interface in its VPC. The embedded
// nil interface panics on any call the test does not expect.
type emptyEC2 struct {
	cleanup.EC2API
	deleted []string
}

func (*emptyEC2) DescribeInstances(context.Context, *ec2.DescribeInstancesInput, ...func(*ec2.Options)) (*ec2.DescribeInstancesOutput, error) {
	return &ec2.DescribeInstancesOutput{}, nil
}

func (*emptyEC2) DescribeLaunchTemplates(context.Context, *ec2.DescribeLaunchTemplatesInput, ...func(*ec2.Options)) (*ec2.DescribeLaunchTemplatesOutput, error) {
	return &ec2.DescribeLaunchTemplatesOutput{}, nil
}

func (*emptyEC2) DescribeSubnets(context.Context, *ec2.DescribeSubnetsInput, ...func(*ec2.Options)) (*ec2.DescribeSubnetsOutput, error) {
	return &ec2.DescribeSubnetsOutput{Subnets: []ec2types.Subnet{{VpcId: aws.String("vpc-demo")}}}, nil
}

func (e *emptyEC2) DescribeNetworkInterfaces(context.Context, *ec2.DescribeNetworkInterfacesInput, ...func(*ec2.Options)) (*ec2.DescribeNetworkInterfacesOutput, error) {
	if len(e.deleted) > 0 {
		return &ec2.DescribeNetworkInterfacesOutput{}, nil
	}
	return &ec2.DescribeNetworkInterfacesOutput{NetworkInterfaces: []ec2types.NetworkInterface{
		{NetworkInterfaceId: aws.String("eni-1"), VpcId: aws.String("vpc-demo"), Status: ec2types.NetworkInterfaceStatusAvailable},
	}}, nil
}

func (e *emptyEC2) DeleteNetworkInterface(_ context.Context, in *ec2.DeleteNetworkInterfaceInput, _ ...func(*ec2.Options)) (*ec2.DeleteNetworkInterfaceOutput, error) {
	e.deleted = append(e.deleted, aws.ToString(in.NetworkInterfaceId))
	return &ec2.DeleteNetworkInterfaceOutput{}, nil
}

func (*emptyEC2) DescribeSecurityGroups(context.Context, *ec2.DescribeSecurityGroupsInput, ...func(*ec2.Options)) (*ec2.DescribeSecurityGroupsOutput, error) {
	return &ec2.DescribeSecurityGroupsOutput{}, nil
}

type emptyIAM struct{ cleanup.IAMAPI }

func (emptyIAM) ListInstanceProfiles(context.Context, *iam.ListInstanceProfilesInput, ...func(*iam.Options)) (*iam.ListInstanceProfilesOutput, error) {
	return &iam.ListInstanceProfilesOutput{}, nil
}

type emptyELBv2 struct{ cleanup.ELBv2API }

func (emptyELBv2) DescribeLoadBalancers(context.Context, *elbv2.DescribeLoadBalancersInput, ...func(*elbv2.Options)) (*elbv2.DescribeLoadBalancersOutput, error) {
	return &elbv2.DescribeLoadBalancersOutput{}, nil
}

type emptyELB struct{ cleanup.ELBAPI }

func (emptyELB) DescribeLoadBalancers(context.Context, *elb.DescribeLoadBalancersInput, ...func(*elb.Options)) (*elb.DescribeLoadBalancersOutput, error) {
	return &elb.DescribeLoadBalancersOutput{}, nil
}

func TestRun(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		connectErr error
		code       int
		region     string // the region the clients were asked for
		deleted    []string
		stdout     string
		stderr     string
	}{
		{
			name: "dry run by default",
			args: []string{"--cluster", "demo"},
			stdout: "AWS account 111122223333 as arn:aws:iam::111122223333:user/ops, region us-east-1.\n" +
				"Dry run for cluster demo in us-east-1: nothing is deleted without --yes.\n" +
				"  1. network-interface eni-1: available in vpc-demo (\"\")\n",
		},
		{
			name:    "--yes deletes",
			args:    []string{"--cluster", "demo", "--region", "eu-west-1", "--yes"},
			region:  "eu-west-1",
			deleted: []string{"eni-1"},
			stdout:  "deleted 1; nothing left for cluster demo in eu-west-1\n",
		},
		{
			name:   "--cluster is required",
			args:   []string{"--yes"},
			code:   2,
			stderr: "error: --cluster is required\n",
		},
		{
			name:   "no positional arguments",
			args:   []string{"--cluster", "demo", "extra"},
			code:   2,
			stderr: `error: unexpected arguments ["extra"]`,
		},
		{
			name:       "no credentials",
			args:       []string{"--cluster", "demo"},
			connectErr: errors.New("no AWS credentials: get identity: get credentials: failed to refresh cached credentials"),
			code:       1,
			stderr:     "error: no AWS credentials: get identity: get credentials: failed to refresh cached credentials\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ec2API := &emptyEC2{}
			var asked string
			connectTo := func(_ context.Context, region string) (target, error) {
				asked = region
				if tt.connectErr != nil {
					return target{}, tt.connectErr
				}
				if region == "" {
					region = "us-east-1"
				}
				return target{
					clients: cleanup.Clients{EC2: ec2API, IAM: emptyIAM{}, ELBv2: emptyELBv2{}, ELB: emptyELB{}},
					region:  region,
					caller:  "account 111122223333 as arn:aws:iam::111122223333:user/ops",
				}, nil
			}
			var stdout, stderr bytes.Buffer
			code := runWith(context.Background(), tt.args, &stdout, &stderr, connectTo)

			require.Equal(t, tt.code, code, "stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
			require.Equal(t, tt.region, asked)
			require.Equal(t, tt.deleted, ec2API.deleted)
			require.Contains(t, stdout.String(), tt.stdout)
			require.Contains(t, stderr.String(), tt.stderr)
		})
	}
}
