// Package network declares the VPC the cluster runs in: public and private subnets in every configured zone,
// NAT, routes, and the tags EKS load balancers and Karpenter's subnet selectors look for.
package network

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Args configures a Network.
type Args struct {
	// CIDR is the VPC's IPv4 block. Required.
	CIDR string
	// AvailabilityZones get one public and one private subnet each. Required; at least 2.
	AvailabilityZones []string
	// NATPerZone puts a NAT gateway in every zone instead of one shared gateway. Optional; default false.
	NATPerZone bool
	// ClusterName is tagged on the subnets for EKS (kubernetes.io/cluster/<name>). Required.
	ClusterName string
	// DiscoveryTagKey is set to ClusterName on the private subnets so Karpenter's subnetSelectorTerms find them.
	// Required.
	DiscoveryTagKey string
	// Tags go on every resource. Optional.
	Tags map[string]string
}

// Network is the VPC component.
type Network struct {
	pulumi.ResourceState

	// VpcID is the VPC's id.
	VpcID pulumi.StringOutput
	// PublicSubnetIDs are the public subnets, one per zone, in zone order.
	PublicSubnetIDs pulumi.StringArrayOutput
	// PrivateSubnetIDs are the private subnets, one per zone, in zone order; nodes run here.
	PrivateSubnetIDs pulumi.StringArrayOutput
	// Egress are the resources the private subnets reach the internet and the AWS APIs through: internet gateway,
	// public route table and associations, NAT gateways and their addresses, private route tables and associations.
	// Nothing else depends on them, so `pulumi destroy` would delete them first; whatever needs the AWS APIs
	// from a node (Karpenter terminating its instances, a load balancer's ENIs releasing) must depend on them.
	Egress []pulumi.Resource
}

// Subnets is the address plan: the private subnets take the first half of the VPC, the public ones small blocks
// of the second half, so that nodes (and prefix-delegated pod IPs) get most of the space.
type Subnets struct {
	Private []netip.Prefix
	Public  []netip.Prefix
}

// Plan splits cidr among zones; it fails when the blocks would be smaller than AWS's /28 minimum.
func Plan(cidr string, zones int) (Subnets, error) {
	vpc, err := netip.ParsePrefix(cidr)
	if err != nil || !vpc.Addr().Is4() {
		return Subnets{}, fmt.Errorf("vpc cidr %q is not an IPv4 prefix", cidr)
	}
	if zones < 1 {
		return Subnets{}, errors.New("at least one zone is required")
	}
	zoneBits := 0
	for 1<<zoneBits < zones {
		zoneBits++
	}
	privateBits := vpc.Bits() + 1 + zoneBits
	publicBits := privateBits + 2
	if publicBits > 28 {
		return Subnets{}, fmt.Errorf("vpc cidr %q is too small for %d zones: public subnets would be /%d, smaller than /28", cidr, zones, publicBits)
	}
	base := vpc.Masked().Addr().As4()
	start := binary.BigEndian.Uint32(base[:])
	half := uint32(1) << (32 - vpc.Bits() - 1)
	block := func(offset uint32, bits int) netip.Prefix {
		var addr [4]byte
		binary.BigEndian.PutUint32(addr[:], start+offset)
		return netip.PrefixFrom(netip.AddrFrom4(addr), bits)
	}
	var s Subnets
	for i := range zones {
		s.Private = append(s.Private, block(uint32(i)<<(32-privateBits), privateBits))
		s.Public = append(s.Public, block(half+uint32(i)<<(32-publicBits), publicBits))
	}
	return s, nil
}

// New declares the VPC and everything in it.
func New(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*Network, error) {
	plan, err := args.validate()
	if err != nil {
		return nil, err
	}

	n := &Network{}
	if err := ctx.RegisterComponentResource("karpenter-savings:index:Network", name, n, opts...); err != nil {
		return nil, fmt.Errorf("network: register %q: %w", name, err)
	}
	parent := pulumi.Parent(n)
	tags := func(extra map[string]string) pulumi.StringMap {
		m := pulumi.StringMap{}
		for k, v := range args.Tags {
			m[k] = pulumi.String(v)
		}
		for k, v := range extra {
			m[k] = pulumi.String(v)
		}
		return m
	}
	clusterTag := "kubernetes.io/cluster/" + args.ClusterName

	vpc, err := ec2.NewVpc(ctx, name+"-vpc", &ec2.VpcArgs{
		CidrBlock:          pulumi.String(args.CIDR),
		EnableDnsHostnames: pulumi.Bool(true),
		EnableDnsSupport:   pulumi.Bool(true),
		Tags:               tags(map[string]string{"Name": name + "-vpc"}),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("network: VPC %s: %w", name+"-vpc", err)
	}
	igw, err := ec2.NewInternetGateway(ctx, name+"-igw", &ec2.InternetGatewayArgs{
		VpcId: vpc.ID(),
		Tags:  tags(map[string]string{"Name": name + "-igw"}),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("network: internet gateway %s: %w", name+"-igw", err)
	}
	n.Egress = append(n.Egress, igw)
	publicRT, err := ec2.NewRouteTable(ctx, name+"-public", &ec2.RouteTableArgs{
		VpcId:  vpc.ID(),
		Routes: ec2.RouteTableRouteArray{ec2.RouteTableRouteArgs{CidrBlock: pulumi.String("0.0.0.0/0"), GatewayId: igw.ID()}},
		Tags:   tags(map[string]string{"Name": name + "-public"}),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("network: public route table %s: %w", name+"-public", err)
	}
	n.Egress = append(n.Egress, publicRT)

	var publicIDs, privateIDs pulumi.StringArray
	var nats []*ec2.NatGateway
	for i, zone := range args.AvailabilityZones {
		publicName := fmt.Sprintf("%s-public-%s", name, zone)
		public, err := ec2.NewSubnet(ctx, publicName, &ec2.SubnetArgs{
			VpcId:               vpc.ID(),
			CidrBlock:           pulumi.String(plan.Public[i].String()),
			AvailabilityZone:    pulumi.String(zone),
			MapPublicIpOnLaunch: pulumi.Bool(false),
			Tags: tags(map[string]string{
				"Name":                   publicName,
				"kubernetes.io/role/elb": "1",
				clusterTag:               "shared",
			}),
		}, parent)
		if err != nil {
			return nil, fmt.Errorf("network: public subnet %s: %w", publicName, err)
		}
		publicAssoc, err := ec2.NewRouteTableAssociation(ctx, publicName, &ec2.RouteTableAssociationArgs{
			SubnetId:     public.ID(),
			RouteTableId: publicRT.ID(),
		}, parent)
		if err != nil {
			return nil, fmt.Errorf("network: route table association %s: %w", publicName, err)
		}
		n.Egress = append(n.Egress, publicAssoc)
		publicIDs = append(publicIDs, public.ID().ToStringOutput())

		if i == 0 || args.NATPerZone {
			natName := fmt.Sprintf("%s-nat-%s", name, zone)
			eip, err := ec2.NewEip(ctx, natName, &ec2.EipArgs{
				Domain: pulumi.String("vpc"),
				Tags:   tags(map[string]string{"Name": natName}),
			}, parent)
			if err != nil {
				return nil, fmt.Errorf("network: NAT gateway elastic IP %s: %w", natName, err)
			}
			nat, err := ec2.NewNatGateway(ctx, natName, &ec2.NatGatewayArgs{
				AllocationId: eip.ID(),
				SubnetId:     public.ID(),
				Tags:         tags(map[string]string{"Name": natName}),
			}, parent, pulumi.DependsOn([]pulumi.Resource{igw}))
			if err != nil {
				return nil, fmt.Errorf("network: NAT gateway %s: %w", natName, err)
			}
			nats = append(nats, nat)
			n.Egress = append(n.Egress, eip, nat)
		}
	}

	for i, zone := range args.AvailabilityZones {
		privateName := fmt.Sprintf("%s-private-%s", name, zone)
		privateTags := map[string]string{
			"Name":                            privateName,
			"kubernetes.io/role/internal-elb": "1",
			clusterTag:                        "shared",
			args.DiscoveryTagKey:              args.ClusterName,
		}
		private, err := ec2.NewSubnet(ctx, privateName, &ec2.SubnetArgs{
			VpcId:            vpc.ID(),
			CidrBlock:        pulumi.String(plan.Private[i].String()),
			AvailabilityZone: pulumi.String(zone),
			Tags:             tags(privateTags),
		}, parent)
		if err != nil {
			return nil, fmt.Errorf("network: private subnet %s: %w", privateName, err)
		}
		nat := nats[0]
		if args.NATPerZone {
			nat = nats[i]
		}
		rt, err := ec2.NewRouteTable(ctx, privateName, &ec2.RouteTableArgs{
			VpcId:  vpc.ID(),
			Routes: ec2.RouteTableRouteArray{ec2.RouteTableRouteArgs{CidrBlock: pulumi.String("0.0.0.0/0"), NatGatewayId: nat.ID()}},
			Tags:   tags(map[string]string{"Name": privateName}),
		}, parent)
		if err != nil {
			return nil, fmt.Errorf("network: private route table %s: %w", privateName, err)
		}
		privateAssoc, err := ec2.NewRouteTableAssociation(ctx, privateName, &ec2.RouteTableAssociationArgs{
			SubnetId:     private.ID(),
			RouteTableId: rt.ID(),
		}, parent)
		if err != nil {
			return nil, fmt.Errorf("network: route table association %s: %w", privateName, err)
		}
		n.Egress = append(n.Egress, rt, privateAssoc)
		privateIDs = append(privateIDs, private.ID().ToStringOutput())
	}

	n.VpcID = vpc.ID().ToStringOutput()
	n.PublicSubnetIDs = publicIDs.ToStringArrayOutput()
	n.PrivateSubnetIDs = privateIDs.ToStringArrayOutput()
	if err := ctx.RegisterResourceOutputs(n, pulumi.Map{
		"vpcId":            n.VpcID,
		"publicSubnetIds":  n.PublicSubnetIDs,
		"privateSubnetIds": n.PrivateSubnetIDs,
	}); err != nil {
		return nil, fmt.Errorf("network: register outputs of %q: %w", name, err)
	}
	return n, nil
}

// validate checks args, reporting every problem at once, and returns the address plan.
func (a *Args) validate() (Subnets, error) {
	if a == nil {
		return Subnets{}, errors.New("network: args are required")
	}
	var errs []error
	if len(a.AvailabilityZones) < 2 {
		errs = append(errs, fmt.Errorf("network: Args.AvailabilityZones: %d given, at least 2 are required", len(a.AvailabilityZones)))
	}
	if a.ClusterName == "" {
		errs = append(errs, errors.New("network: Args.ClusterName is required"))
	}
	if a.DiscoveryTagKey == "" {
		errs = append(errs, errors.New("network: Args.DiscoveryTagKey is required"))
	}
	plan, err := Plan(a.CIDR, max(len(a.AvailabilityZones), 1))
	if err != nil {
		errs = append(errs, fmt.Errorf("network: Args.CIDR: %w", err))
	}
	return plan, errors.Join(errs...)
}
