package tests

import (
	"maps"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/karpenter-savings/karpenter-savings/internal/offline/deep"
	"github.com/karpenter-savings/karpenter-savings/internal/offline/mocks"
)

const (
	clusterName  = "cluster-with-karpenter"
	discoveryKey = "karpenter.sh/discovery/" + clusterName
)

// The configuration reaches the network: CIDR, zones, cluster name and NAT mode. components/network tests what the
// component makes of them (address plan, tags, routes).
func TestNetworkGetsTheLabsConfig(t *testing.T) {
	rec := renderDev(t)
	require.Equal(t, "10.42.0.0/20", one(t, rec, mocks.TypeVpc, "cluster-with-karpenter-network-vpc").Inputs["cidrBlock"])
	zones := map[string]bool{}
	for _, s := range rec.ByType(mocks.TypeSubnet) {
		zones[s.Inputs["availabilityZone"].(string)] = true
	}
	require.Equal(t, map[string]bool{"us-east-1a": true, "us-east-1c": true}, zones)
	s := one(t, rec, mocks.TypeSubnet, "cluster-with-karpenter-network-private-us-east-1a")
	require.Equal(t, clusterName, s.Inputs["tags"].(map[string]any)[discoveryKey], "Karpenter finds private subnets by the discovery tag")
	require.Equal(t, "karpenter-savings", s.Inputs["tags"].(map[string]any)["project"], "stack tags on every subnet")
	require.Len(t, rec.ByType(mocks.TypeNatGateway), 1)

	rec, err := render(t, with(devConfig(t), map[string]string{"natGateways": "per-az"}))
	require.NoError(t, err)
	require.Len(t, rec.ByType(mocks.TypeNatGateway), 2)
}

func TestSharedDiscoveryTagUsesKarpentersDocumentedKey(t *testing.T) {
	rec, err := render(t, with(devConfig(t), map[string]string{"discoveryTag": "shared"}))
	require.NoError(t, err)
	s := one(t, rec, mocks.TypeSubnet, "cluster-with-karpenter-network-private-us-east-1a")
	require.Equal(t, clusterName, s.Inputs["tags"].(map[string]any)["karpenter.sh/discovery"])
	tag := one(t, rec, mocks.TypeTag, "cluster-with-karpenter-sg-discovery")
	require.Equal(t, "karpenter.sh/discovery", tag.Inputs["key"])
}

// The configuration and the network reach the cluster; components/cluster tests what the component makes of them.
func TestEKSClusterComponent(t *testing.T) {
	rec := renderDev(t)
	c := one(t, rec, deep.EKSClusterType, "cluster-with-karpenter-eks")
	in := c.Inputs
	require.Equal(t, clusterName, in["name"])
	require.Equal(t, "1.35", in["version"])
	require.Equal(t, map[string]any{discoveryKey: clusterName}, in["clusterTags"])
	require.Len(t, in["privateSubnetIds"], 2)
	require.Len(t, in["publicSubnetIds"], 2)
	require.NotContains(t, in, "publicAccessCidrs", "no CIDRs configured: EKS's default")
}

func TestPublicEndpointCidrsArePassedWhenSet(t *testing.T) {
	rec, err := render(t, with(devConfig(t), map[string]string{"endpointPublicAccessCidrs": `["203.0.113.0/24"]`}))
	require.NoError(t, err)
	c := one(t, rec, deep.EKSClusterType, "cluster-with-karpenter-eks")
	require.Equal(t, []any{"203.0.113.0/24"}, c.Inputs["publicAccessCidrs"])
}

func TestFoundationOutputs(t *testing.T) {
	rec := renderDev(t)
	out := rec.Outputs
	require.Equal(t, clusterName, out["clusterName"])
	require.Equal(t, mocks.ClusterEndpoint, out["clusterEndpoint"])
	require.Equal(t, "[secret]", out["kubeconfig"], "the kubeconfig is exported as a secret")
	require.Regexp(t, `^vpc-[0-9a-f]{17}$`, out["vpcId"])
	require.Len(t, out["privateSubnetIds"], 2)
	require.Len(t, out["publicSubnetIds"], 2)
	require.Regexp(t, `^critical-addons-[0-9]{18}[0-9a-f]{8}$`, out["nodeGroupName"], "the prefix and AWS's 26 characters")
}

// The component's own tests (components/cluster) cover the node group; this checks that the configuration reaches
// it.
func TestCriticalAddonsNodeGroupIsSizedByConfig(t *testing.T) {
	in := one(t, renderDev(t), mocks.TypeNodeGroup, "cluster-with-karpenter-critical-addons-only").Inputs
	require.Equal(t, "SPOT", in["capacityType"])
	require.Equal(t, []any{"t4g.medium", "c7g.large", "c6g.large"}, in["instanceTypes"])
	require.Equal(t, map[string]any{"minSize": 2.0, "maxSize": 3.0, "desiredSize": 2.0}, in["scalingConfig"])
	require.Len(t, in["subnetIds"], 2)
}

// The component's own tests (components/cluster) cover the access entries; this checks that the configured principals
// reach them.
func TestAdminPrincipalsReachTheCluster(t *testing.T) {
	require.NotContains(t, one(t, renderDev(t), deep.EKSClusterType, "cluster-with-karpenter-eks").Inputs, "accessEntries",
		"none configured: only the cluster creator is an admin")

	rec, err := render(t, with(devConfig(t), map[string]string{
		"clusterAdminPrincipalArns": `["arn:aws:iam::123456789012:role/platform-admin","arn:aws:iam::123456789012:role/github-deploy"]`,
	}))
	require.NoError(t, err)
	entries := one(t, rec, deep.EKSClusterType, "cluster-with-karpenter-eks").Inputs["accessEntries"].(map[string]any)
	require.ElementsMatch(t, []string{"admin-123456789012-role-platform-admin", "admin-123456789012-role-github-deploy"}, slices.Collect(maps.Keys(entries)))
}
