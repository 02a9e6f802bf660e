package tests

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/karpenter-savings/karpenter-savings/internal/offline/deep"
	"github.com/karpenter-savings/karpenter-savings/internal/offline/mocks"
)

const (
	clusterName  = "cluster-with-karpenter"
	discoveryKey = "karpenter.sh/discovery/" + clusterName
)

func TestVPCHasTheLabsCIDRAndDNS(t *testing.T) {
	rec := renderDev(t)
	vpcs := rec.ByType(mocks.TypeVpc)
	require.Len(t, vpcs, 1)
	require.Equal(t, "10.42.0.0/20", vpcs[0].Inputs["cidrBlock"])
	require.Equal(t, true, vpcs[0].Inputs["enableDnsHostnames"])
	require.Equal(t, true, vpcs[0].Inputs["enableDnsSupport"])
}

func TestSubnetsSplitTheVPCAcrossTheLabsZones(t *testing.T) {
	rec := renderDev(t)
	want := []struct {
		name, cidr, zone, roleTag string
		discovery                 bool
	}{
		{"cluster-with-karpenter-network-private-us-east-1a", "10.42.0.0/22", "us-east-1a", "kubernetes.io/role/internal-elb", true},
		{"cluster-with-karpenter-network-private-us-east-1c", "10.42.4.0/22", "us-east-1c", "kubernetes.io/role/internal-elb", true},
		{"cluster-with-karpenter-network-public-us-east-1a", "10.42.8.0/24", "us-east-1a", "kubernetes.io/role/elb", false},
		{"cluster-with-karpenter-network-public-us-east-1c", "10.42.9.0/24", "us-east-1c", "kubernetes.io/role/elb", false},
	}
	require.Len(t, rec.ByType(mocks.TypeSubnet), len(want))
	for _, w := range want {
		t.Run(w.name, func(t *testing.T) {
			s := one(t, rec, mocks.TypeSubnet, w.name)
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
			}
		})
	}
}

func TestOneNATGatewayByDefaultAndOnePerZoneWhenAsked(t *testing.T) {
	rec := renderDev(t)
	require.Len(t, rec.ByType(mocks.TypeNatGateway), 1)

	rec, err := render(t, with(devConfig(t), map[string]string{"natGateways": "per-az"}))
	require.NoError(t, err)
	nats := rec.ByType(mocks.TypeNatGateway)
	require.Len(t, nats, 2)
	for _, zone := range []string{"us-east-1a", "us-east-1c"} {
		rt := one(t, rec, mocks.TypeRouteTable, "cluster-with-karpenter-network-private-"+zone)
		routes := rt.Inputs["routes"].([]any)
		require.Len(t, routes, 1)
		require.Contains(t, routes[0].(map[string]any)["natGatewayId"], "nat-", "zone %s routes through a NAT gateway", zone)
	}
	require.NotEqual(t,
		one(t, rec, mocks.TypeRouteTable, "cluster-with-karpenter-network-private-us-east-1a").Inputs["routes"],
		one(t, rec, mocks.TypeRouteTable, "cluster-with-karpenter-network-private-us-east-1c").Inputs["routes"],
		"per-az: each zone uses its own NAT gateway")
}

func TestSharedDiscoveryTagUsesKarpentersDocumentedKey(t *testing.T) {
	rec, err := render(t, with(devConfig(t), map[string]string{"discoveryTag": "shared"}))
	require.NoError(t, err)
	s := one(t, rec, mocks.TypeSubnet, "cluster-with-karpenter-network-private-us-east-1a")
	require.Equal(t, clusterName, s.Inputs["tags"].(map[string]any)["karpenter.sh/discovery"])
	tag := one(t, rec, mocks.TypeTag, "cluster-with-karpenter-sg-discovery")
	require.Equal(t, "karpenter.sh/discovery", tag.Inputs["key"])
}

func TestEKSClusterComponent(t *testing.T) {
	rec := renderDev(t)
	c := one(t, rec, deep.EKSClusterType, "cluster-with-karpenter-eks")
	in := c.Inputs
	require.Equal(t, clusterName, in["name"])
	require.Equal(t, "1.35", in["version"])
	require.Equal(t, "API_AND_CONFIG_MAP", in["authenticationMode"])
	require.Equal(t, true, in["skipDefaultNodeGroup"])
	require.Equal(t, true, in["useDefaultVpcCni"])
	require.Equal(t, false, in["createOidcProvider"], "Pod Identity replaces IRSA")
	require.ElementsMatch(t, []any{"api", "audit", "authenticator", "controllerManager", "scheduler"}, in["enabledClusterLogTypes"])
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

func TestClusterSecurityGroupCarriesTheDiscoveryTag(t *testing.T) {
	rec := renderDev(t)
	tag := one(t, rec, mocks.TypeTag, "cluster-with-karpenter-sg-discovery")
	require.Equal(t, mocks.ClusterSecurityGroup, tag.Inputs["resourceId"], "the EKS-created cluster security group, from the cluster lookup")
	require.Equal(t, discoveryKey, tag.Inputs["key"])
	require.Equal(t, clusterName, tag.Inputs["value"])
}

func TestAddOns(t *testing.T) {
	rec := renderDev(t)
	addons := rec.ByType(mocks.TypeAddon)
	got := map[string]mocks.Resource{}
	for _, a := range addons {
		got[a.Inputs["addonName"].(string)] = a
	}
	require.Len(t, got, 4)
	for _, name := range []string{"vpc-cni", "coredns", "kube-proxy", "eks-pod-identity-agent"} {
		a, ok := got[name]
		require.Truef(t, ok, "add-on %s declared", name)
		require.Equal(t, clusterName, a.Inputs["clusterName"])
		require.Equal(t, "OVERWRITE", a.Inputs["resolveConflictsOnCreate"], name)
		require.Equal(t, "OVERWRITE", a.Inputs["resolveConflictsOnUpdate"], name)
	}
	// The lab's vpc-cni configuration, compared as data.
	require.Equal(t, map[string]any{
		"env": map[string]any{
			"ENABLE_PREFIX_DELEGATION":          "true",
			"ENABLE_POD_ENI":                    "true",
			"POD_SECURITY_GROUP_ENFORCING_MODE": "standard",
		},
		"enableNetworkPolicy": "true",
		"nodeAgent":           map[string]any{"enablePolicyEventLogs": "true"},
	}, parseJSON(t, got["vpc-cni"].Inputs["configurationValues"]))
	require.Contains(t, got["coredns"].Dependencies, urn(t, rec, mocks.TypeNodeGroup, "cluster-with-karpenter-critical-addons-only"),
		"CoreDNS waits for nodes to run on")
}

func TestCriticalAddonsNodeGroup(t *testing.T) {
	rec := renderDev(t)
	ng := one(t, rec, mocks.TypeNodeGroup, "cluster-with-karpenter-critical-addons-only")
	in := ng.Inputs
	require.Nil(t, in["nodeGroupName"], "a fixed name would make a replacement delete-before-create")
	require.Equal(t, "critical-addons-", in["nodeGroupNamePrefix"])
	require.Equal(t, map[string]any{"karpenter-savings/node-group": "critical-addons"}, in["labels"],
		"the controller's node selector, which survives a replacement of the group")
	require.Equal(t, "AL2023_ARM_64_STANDARD", in["amiType"])
	require.Equal(t, "SPOT", in["capacityType"])
	require.Equal(t, []any{"t4g.medium", "c7g.large", "c6g.large"}, in["instanceTypes"])
	require.Equal(t, map[string]any{"minSize": 2.0, "maxSize": 3.0, "desiredSize": 2.0}, in["scalingConfig"])
	require.Equal(t, []any{map[string]any{"key": "CriticalAddonsOnly", "value": "true", "effect": "NO_SCHEDULE"}}, in["taints"])
	require.Len(t, in["subnetIds"], 2)

	require.ElementsMatch(t, []any{
		"arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
		"arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
		"arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
		"arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
	}, attachedPolicies(rec, "cluster-with-karpenter-node-group"))
}

// attachedPolicies lists the policy ARNs attached to the role with the given logical name.
// attachedPolicies are the policy ARNs attached to the role of the given logical name, by the role's physical name.
func attachedPolicies(rec *mocks.Recording, role string) []any {
	r, _ := rec.Named(mocks.TypeRole, role)
	var policies []any
	for _, a := range rec.ByType(mocks.TypeRolePolicyAttachment) {
		if r.PhysicalName != "" && a.Inputs["role"] == r.PhysicalName {
			policies = append(policies, a.Inputs["policyArn"])
		}
	}
	return policies
}

// Security groups for pods (the lab's ENABLE_POD_ENI) need the VPC resource controller on the cluster role.
func TestClusterRoleCanManagePodENIs(t *testing.T) {
	rec := renderDev(t)
	c := one(t, rec, deep.EKSClusterType, "cluster-with-karpenter-eks")
	require.Contains(t, c.Inputs["serviceRole"], "cluster-with-karpenter-cluster-role")
	role := one(t, rec, mocks.TypeRole, "cluster-with-karpenter-cluster-role")
	require.Equal(t, map[string]any{
		"Version": "2012-10-17",
		"Statement": []any{map[string]any{
			"Effect": "Allow", "Principal": map[string]any{"Service": "eks.amazonaws.com"}, "Action": "sts:AssumeRole",
		}},
	}, parseJSON(t, role.Inputs["assumeRolePolicy"]))
	require.ElementsMatch(t, []any{
		"arn:aws:iam::aws:policy/AmazonEKSClusterPolicy",
		"arn:aws:iam::aws:policy/AmazonEKSVPCResourceController",
	}, attachedPolicies(rec, "cluster-with-karpenter-cluster-role"))
	attachment := mocks.TypeRolePolicyAttachment
	require.Subset(t, c.Dependencies, []string{
		urn(t, rec, attachment, "cluster-with-karpenter-cluster-role-AmazonEKSClusterPolicy"),
		urn(t, rec, attachment, "cluster-with-karpenter-cluster-role-AmazonEKSVPCResourceController"),
	}, "the control plane is created once its role can act")
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

func TestSecretsAreEncryptedWithARotatedKMSKey(t *testing.T) {
	rec := renderDev(t)
	key := one(t, rec, mocks.TypeKey, "cluster-with-karpenter-secrets-key")
	require.Equal(t, true, key.Inputs["enableKeyRotation"])
	alias := one(t, rec, mocks.TypeAlias, "cluster-with-karpenter-secrets-key-alias")
	require.Equal(t, "alias/cluster-with-karpenter-eks-secrets", alias.Inputs["name"])
	require.NotEmpty(t, alias.Inputs["targetKeyId"])
	c := one(t, rec, deep.EKSClusterType, "cluster-with-karpenter-eks")
	require.Regexp(t, `^arn:aws:kms:us-east-1:123456789012:key/`+alias.Inputs["targetKeyId"].(string)+`$`, c.Inputs["encryptionConfigKeyArn"])
}

func TestAdminPrincipalsGetClusterAdminAccessEntries(t *testing.T) {
	require.NotContains(t, one(t, renderDev(t), deep.EKSClusterType, "cluster-with-karpenter-eks").Inputs, "accessEntries",
		"none configured: only the cluster creator is an admin")

	rec, err := render(t, with(devConfig(t), map[string]string{
		"clusterAdminPrincipalArns": `["arn:aws:iam::123456789012:role/platform-admin","arn:aws:iam::123456789012:role/github-deploy"]`,
	}))
	require.NoError(t, err)
	entry := func(arn string) map[string]any {
		return map[string]any{
			"principalArn": arn,
			"accessPolicies": map[string]any{"cluster-admin": map[string]any{
				"policyArn":   "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
				"accessScope": map[string]any{"type": "cluster"},
			}},
		}
	}
	require.Equal(t, map[string]any{
		"admin-123456789012-role-platform-admin": entry("arn:aws:iam::123456789012:role/platform-admin"),
		"admin-123456789012-role-github-deploy":  entry("arn:aws:iam::123456789012:role/github-deploy"),
	}, one(t, rec, deep.EKSClusterType, "cluster-with-karpenter-eks").Inputs["accessEntries"])
}

// pulumi-eks names each access entry's resources after its key: a key by list position would make removing the
// first principal replace the second one's entry (and EKS would answer 409 while the old entry still exists).
func TestRemovingAnAdminLeavesTheOtherEntriesAlone(t *testing.T) {
	entries := func(arns string) map[string]any {
		rec, err := render(t, with(devConfig(t), map[string]string{"clusterAdminPrincipalArns": arns}))
		require.NoError(t, err)
		return one(t, rec, deep.EKSClusterType, "cluster-with-karpenter-eks").Inputs["accessEntries"].(map[string]any)
	}
	before := entries(`["arn:aws:iam::123456789012:role/platform-admin","arn:aws:iam::123456789012:role/github-deploy"]`)
	after := entries(`["arn:aws:iam::123456789012:role/github-deploy"]`)
	require.Len(t, after, 1)
	for key, entry := range after {
		require.Equalf(t, before[key], entry, "the remaining principal's entry %q must keep its key and value", key)
	}
}
