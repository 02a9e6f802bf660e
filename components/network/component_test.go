package network_test

import (
	"testing"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"

	"github.com/karpenter-savings/karpenter-savings/components/network"
	"github.com/karpenter-savings/karpenter-savings/internal/offline/mocks"
	"github.com/karpenter-savings/karpenter-savings/internal/offline/mocks/mockstest"
)

const (
	clusterName  = "cluster-with-karpenter"
	name         = clusterName + "-network"
	discoveryKey = "karpenter.sh/discovery/" + clusterName
)

// validArgs are the arguments the dev stack passes.
func validArgs() *network.Args {
	return &network.Args{
		CIDR:              "10.42.0.0/20",
		AvailabilityZones: []string{"us-east-1a", "us-east-1c"},
		ClusterName:       clusterName,
		DiscoveryTagKey:   discoveryKey,
		Tags:              map[string]string{"project": "karpenter-savings"},
	}
}

// deploy runs network.New under the mocks with validArgs that edit may change, plus a stand-in for what must outlive
// the egress path (Karpenter's objects, in the stack), and records the component's outputs.
func deploy(t *testing.T, edit func(*network.Args)) (*mocks.Recording, error) {
	t.Helper()
	args := validArgs()
	if edit != nil {
		edit(args)
	}
	return mocks.Run("karpenter-savings", "dev", map[string]string{"aws:region": mocks.DefaultRegion},
		func(ctx *pulumi.Context) (map[string]pulumi.Output, error) {
			n, err := network.New(ctx, name, args)
			if err != nil {
				return nil, err
			}
			if _, err := kubernetes.NewProvider(ctx, "needs-egress", &kubernetes.ProviderArgs{}, pulumi.DependsOn(n.Egress)); err != nil {
				return nil, err
			}
			return map[string]pulumi.Output{
				"vpcId":            n.VpcID,
				"publicSubnetIds":  n.PublicSubnetIDs,
				"privateSubnetIds": n.PrivateSubnetIDs,
			}, nil
		})
}

func deployOK(t *testing.T, edit func(*network.Args)) *mocks.Recording {
	t.Helper()
	rec, err := deploy(t, edit)
	require.NoError(t, err)
	return rec
}

func TestNewRejectsInvalidArgs(t *testing.T) {
	cases := []struct {
		name string
		edit func(*network.Args)
		want string
	}{
		{"one zone", func(a *network.Args) { a.AvailabilityZones = a.AvailabilityZones[:1] }, "network: Args.AvailabilityZones: 1 given, at least 2 are required"},
		{"no cluster name", func(a *network.Args) { a.ClusterName = "" }, "network: Args.ClusterName is required"},
		{"no discovery tag", func(a *network.Args) { a.DiscoveryTagKey = "" }, "network: Args.DiscoveryTagKey is required"},
		{"cidr too small", func(a *network.Args) { a.CIDR = "192.168.0.0/26" }, "network: Args.CIDR: vpc cidr \"192.168.0.0/26\" is too small for 2 zones"},
		{"IPv6 cidr", func(a *network.Args) { a.CIDR = "fd00::/56" }, "network: Args.CIDR: vpc cidr \"fd00::/56\" is not an IPv4 prefix"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec, err := deploy(t, tc.edit)
			require.ErrorContains(t, err, tc.want)
			require.Empty(t, rec.Resources, "invalid args declare nothing")
		})
	}
	_, err := mocks.RunFunc("karpenter-savings", "dev", func(ctx *pulumi.Context) error {
		_, err := network.New(ctx, name, nil)
		return err
	})
	require.ErrorContains(t, err, "network: args are required")
}

func TestVPCHasTheLabsCIDRAndDNS(t *testing.T) {
	rec := deployOK(t, nil)
	vpcs := rec.ByType(mocks.TypeVpc)
	require.Len(t, vpcs, 1)
	require.Equal(t, "10.42.0.0/20", vpcs[0].Inputs["cidrBlock"])
	require.Equal(t, true, vpcs[0].Inputs["enableDnsHostnames"])
	require.Equal(t, true, vpcs[0].Inputs["enableDnsSupport"])
	require.Equal(t, map[string]any{"Name": name + "-vpc", "project": "karpenter-savings"}, vpcs[0].Inputs["tags"])
}

func TestSubnetsSplitTheVPCAcrossTheLabsZones(t *testing.T) {
	rec := deployOK(t, nil)
	want := []struct {
		name, cidr, zone, roleTag string
		discovery                 bool
	}{
		{name + "-private-us-east-1a", "10.42.0.0/22", "us-east-1a", "kubernetes.io/role/internal-elb", true},
		{name + "-private-us-east-1c", "10.42.4.0/22", "us-east-1c", "kubernetes.io/role/internal-elb", true},
		{name + "-public-us-east-1a", "10.42.8.0/24", "us-east-1a", "kubernetes.io/role/elb", false},
		{name + "-public-us-east-1c", "10.42.9.0/24", "us-east-1c", "kubernetes.io/role/elb", false},
	}
	require.Len(t, rec.ByType(mocks.TypeSubnet), len(want))
	for _, w := range want {
		t.Run(w.name, func(t *testing.T) {
			s := mockstest.One(t, rec, mocks.TypeSubnet, w.name)
			require.Equal(t, w.cidr, s.Inputs["cidrBlock"])
			require.Equal(t, w.zone, s.Inputs["availabilityZone"])
			tags := s.Inputs["tags"].(map[string]any)
			require.Equal(t, "1", tags[w.roleTag])
			require.Equal(t, "shared", tags["kubernetes.io/cluster/"+clusterName])
			require.Equal(t, "karpenter-savings", tags["project"], "stack tags on every subnet")
			if w.discovery {
				require.Equal(t, clusterName, tags[discoveryKey], "Karpenter finds private subnets by the discovery tag")
			} else {
				require.NotContains(t, tags, discoveryKey, "Karpenter must not put nodes in public subnets")
				require.Equal(t, false, s.Inputs["mapPublicIpOnLaunch"], "no public addresses on launch")
			}
		})
	}
}

func TestOneNATGatewayByDefaultAndOnePerZoneWhenAsked(t *testing.T) {
	rec := deployOK(t, nil)
	require.Len(t, rec.ByType(mocks.TypeNatGateway), 1)
	require.Equal(t,
		mockstest.One(t, rec, mocks.TypeRouteTable, name+"-private-us-east-1a").Inputs["routes"],
		mockstest.One(t, rec, mocks.TypeRouteTable, name+"-private-us-east-1c").Inputs["routes"],
		"one gateway: both zones route through it")

	rec = deployOK(t, func(a *network.Args) { a.NATPerZone = true })
	nats := rec.ByType(mocks.TypeNatGateway)
	require.Len(t, nats, 2)
	for _, zone := range []string{"us-east-1a", "us-east-1c"} {
		rt := mockstest.One(t, rec, mocks.TypeRouteTable, name+"-private-"+zone)
		routes := rt.Inputs["routes"].([]any)
		require.Len(t, routes, 1)
		require.Contains(t, routes[0].(map[string]any)["natGatewayId"], "nat-", "zone %s routes through a NAT gateway", zone)
		nat := mockstest.One(t, rec, mocks.TypeNatGateway, name+"-nat-"+zone)
		require.Equal(t, mockstest.One(t, rec, mocks.TypeSubnet, name+"-public-"+zone).URN, nat.PropertyDependencies["subnetId"][0],
			"the zone's gateway sits in the zone's public subnet")
	}
	require.NotEqual(t,
		mockstest.One(t, rec, mocks.TypeRouteTable, name+"-private-us-east-1a").Inputs["routes"],
		mockstest.One(t, rec, mocks.TypeRouteTable, name+"-private-us-east-1c").Inputs["routes"],
		"per-az: each zone uses its own NAT gateway")
}

// A NAT gateway without the internet gateway has no way out; it waits for it.
func TestNATGatewayWaitsForTheInternetGateway(t *testing.T) {
	rec := deployOK(t, nil)
	nat := mockstest.One(t, rec, mocks.TypeNatGateway, name+"-nat-us-east-1a")
	require.Contains(t, nat.Dependencies, mockstest.One(t, rec, mocks.TypeInternetGateway, name+"-igw").URN)
}

// Whatever depends on Egress outlives every resource of the path from the private subnets to the internet.
func TestEgressIsThePathOut(t *testing.T) {
	rec := deployOK(t, nil)
	var want []string
	for _, r := range []struct{ token, name string }{
		{mocks.TypeInternetGateway, name + "-igw"},
		{mocks.TypeRouteTable, name + "-public"},
		{mocks.TypeRouteTableAssociation, name + "-public-us-east-1a"},
		{mocks.TypeRouteTableAssociation, name + "-public-us-east-1c"},
		{mocks.TypeEip, name + "-nat-us-east-1a"},
		{mocks.TypeNatGateway, name + "-nat-us-east-1a"},
		{mocks.TypeRouteTable, name + "-private-us-east-1a"},
		{mocks.TypeRouteTable, name + "-private-us-east-1c"},
		{mocks.TypeRouteTableAssociation, name + "-private-us-east-1a"},
		{mocks.TypeRouteTableAssociation, name + "-private-us-east-1c"},
	} {
		want = append(want, mockstest.One(t, rec, r.token, r.name).URN)
	}
	require.ElementsMatch(t, want, mockstest.One(t, rec, mocks.TypeKubernetesProvider, "needs-egress").Dependencies)
}

func TestOutputs(t *testing.T) {
	rec := deployOK(t, nil)
	require.Equal(t, "vpc-", rec.Outputs["vpcId"].(string)[:4])
	for _, kind := range []string{"private", "public"} {
		ids, ok := rec.Outputs[kind+"SubnetIds"].([]any)
		require.True(t, ok, "%sSubnetIds: want a list", kind)
		require.Len(t, ids, 2, "one %s subnet per zone", kind)
		for _, id := range ids {
			require.Regexp(t, `^subnet-[0-9a-f]{17}$`, id)
		}
	}
}

// Every child is parented to the component and named after it.
func TestChildrenAreParentedAndPrefixed(t *testing.T) {
	rec := deployOK(t, nil)
	component := mockstest.One(t, rec, mocks.TypeNetworkComponent, name)
	for _, r := range rec.Resources {
		if r.URN == component.URN || r.Type == mocks.TypeKubernetesProvider {
			continue
		}
		require.Equalf(t, component.URN, r.Parent, "%s is a child of the component", r.URN)
		require.Regexpf(t, "^"+name+"-", r.Name, "%s is named after the component", r.URN)
	}
}
