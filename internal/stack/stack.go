// Package stack is the one Pulumi program: main.go, cmd/render and the tests all run Run.
package stack

import (
	"errors"
	"fmt"
	"time"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	pulumiconfig "github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/karpenter-savings/karpenter-savings/components/cluster"
	"github.com/karpenter-savings/karpenter-savings/components/network"
	"github.com/karpenter-savings/karpenter-savings/internal/config"
)

// Run is the Pulumi program main.go passes to pulumi.Run: Program, with its outputs exported.
func Run(ctx *pulumi.Context) error {
	outputs, err := Program(ctx)
	if err != nil {
		return err
	}
	for name, out := range outputs {
		ctx.Export(name, out)
	}
	return nil
}

// Program loads and validates the configuration, then declares every component in dependency order and returns
// the stack outputs. A configuration error returns before any resource is declared.
func Program(ctx *pulumi.Context) (map[string]pulumi.Output, error) {
	cfg, err := config.Load(func(key string) (string, error) {
		v, err := pulumiconfig.Try(ctx, key)
		if errors.Is(err, pulumiconfig.ErrMissingVar) {
			return "", config.ErrMissing
		}
		return v, err
	})
	if err != nil {
		return nil, fmt.Errorf("invalid stack configuration:\n%w", err)
	}
	for _, w := range cfg.Warnings(time.Now()) {
		if err := ctx.Log.Warn(w, nil); err != nil {
			return nil, err
		}
	}
	return declare(ctx, cfg)
}

// declare builds the stack from a validated configuration.
func declare(ctx *pulumi.Context, cfg *config.Config) (map[string]pulumi.Output, error) {
	partition, err := aws.GetPartition(ctx, &aws.GetPartitionArgs{})
	if err != nil {
		return nil, fmt.Errorf("looking up the AWS partition: %w", err)
	}

	net, err := network.New(ctx, cfg.ClusterName+"-network", &network.Args{
		CIDR:              cfg.VpcCidr,
		AvailabilityZones: cfg.AvailabilityZones,
		NATPerZone:        cfg.NatGateways == config.NatPerAZ,
		ClusterName:       cfg.ClusterName,
		DiscoveryTagKey:   cfg.DiscoveryTagKey(),
		Tags:              cfg.Tags,
	})
	if err != nil {
		return nil, err
	}

	eks, err := cluster.New(ctx, cfg.ClusterName, &cluster.Args{
		Name:              cfg.ClusterName,
		Version:           cfg.KubernetesVersion,
		Partition:         partition.Partition,
		VpcID:             net.VpcID,
		PublicSubnetIDs:   net.PublicSubnetIDs,
		PrivateSubnetIDs:  net.PrivateSubnetIDs,
		DiscoveryTagKey:   cfg.DiscoveryTagKey(),
		PublicAccessCidrs: cfg.EndpointPublicAccessCidrs,
		NodeGroup: cluster.NodeGroupArgs{
			InstanceTypes: cfg.NodeGroup.InstanceTypes,
			CapacityType:  cfg.NodeGroup.CapacityType,
			MinSize:       cfg.NodeGroup.MinSize,
			MaxSize:       cfg.NodeGroup.MaxSize,
			DesiredSize:   cfg.NodeGroup.DesiredSize,
		},
		Tags: cfg.Tags,
	})
	if err != nil {
		return nil, err
	}

	return map[string]pulumi.Output{
		"clusterName":      eks.Name,
		"clusterEndpoint":  eks.Endpoint,
		"kubeconfig":       eks.Kubeconfig,
		"vpcId":            net.VpcID,
		"publicSubnetIds":  net.PublicSubnetIDs,
		"privateSubnetIds": net.PrivateSubnetIDs,
		"nodeGroupName":    eks.NodeGroupName,
	}, nil
}
