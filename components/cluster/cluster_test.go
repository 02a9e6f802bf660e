package cluster_test

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"

	"github.com/karpenter-savings/karpenter-savings/components/cluster"
	"github.com/karpenter-savings/karpenter-savings/internal/offline/mocks"
	"github.com/karpenter-savings/karpenter-savings/internal/offline/mocks/mockstest"
)

const (
	clusterName  = "cluster-with-karpenter"
	discoveryKey = "karpenter.sh/discovery/" + clusterName
)

// validArgs are the arguments the dev stack passes, with stand-ins for the network's ids.
func validArgs() *cluster.Args {
	return &cluster.Args{
		Name:             clusterName,
		Version:          "1.35",
		Partition:        mocks.Partition,
		VpcID:            pulumi.String("vpc-0123456789abcdef0"),
		PublicSubnetIDs:  pulumi.ToStringArray([]string{"subnet-public-a", "subnet-public-c"}),
		PrivateSubnetIDs: pulumi.ToStringArray([]string{"subnet-private-a", "subnet-private-c"}),
		DiscoveryTagKey:  discoveryKey,
		NodeGroup: cluster.NodeGroupArgs{
			InstanceTypes: []string{"t4g.medium", "c7g.large", "c6g.large"},
			CapacityType:  "SPOT",
			MinSize:       2,
			MaxSize:       3,
			DesiredSize:   2,
		},
		Tags: map[string]string{"project": "karpenter-savings"},
	}
}

// deploy runs cluster.New under the mocks with validArgs that edit may change, and records the component's outputs.
func deploy(t *testing.T, edit func(*cluster.Args)) (*mocks.Recording, error) {
	t.Helper()
	args := validArgs()
	if edit != nil {
		edit(args)
	}
	return mocks.Run("karpenter-savings", "dev", map[string]string{"aws:region": mocks.DefaultRegion},
		func(ctx *pulumi.Context) (map[string]pulumi.Output, error) {
			c, err := cluster.New(ctx, clusterName, args)
			if err != nil {
				return nil, err
			}
			return map[string]pulumi.Output{
				"name":            c.Name,
				"endpoint":        c.Endpoint,
				"kubeconfig":      c.Kubeconfig,
				"securityGroupId": c.SecurityGroupID,
				"nodeGroupName":   c.NodeGroupName,
			}, nil
		})
}

// deployOK is deploy, which must succeed.
func deployOK(t *testing.T, edit func(*cluster.Args)) *mocks.Recording {
	t.Helper()
	rec, err := deploy(t, edit)
	require.NoError(t, err)
	return rec
}

// parseJSON decodes a JSON string input (IAM documents, add-on configuration) so tests compare data, not strings.
func parseJSON(t *testing.T, v any) any {
	t.Helper()
	s, ok := v.(string)
	require.Truef(t, ok, "expected a JSON string, got %T", v)
	var out any
	require.NoError(t, json.Unmarshal([]byte(s), &out))
	return out
}

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

func TestNewRejectsNilArgs(t *testing.T) {
	_, err := mocks.RunFunc("karpenter-savings", "dev", func(ctx *pulumi.Context) error {
		_, err := cluster.New(ctx, clusterName, nil)
		return err
	})
	require.ErrorContains(t, err, "cluster: args are required")
}

func TestNewRejectsInvalidArgs(t *testing.T) {
	cases := []struct {
		name string
		edit func(*cluster.Args)
		want string
	}{
		{"no name", func(a *cluster.Args) { a.Name = "" }, "cluster: Args.Name is required"},
		{"no version", func(a *cluster.Args) { a.Version = "" }, "cluster: Args.Version is required"},
		{"no partition", func(a *cluster.Args) { a.Partition = "" }, "cluster: Args.Partition is required"},
		{"no VPC", func(a *cluster.Args) { a.VpcID = nil }, "cluster: Args.VpcID is required"},
		{"no public subnets", func(a *cluster.Args) { a.PublicSubnetIDs = nil }, "cluster: Args.PublicSubnetIDs is required"},
		{"no private subnets", func(a *cluster.Args) { a.PrivateSubnetIDs = nil }, "cluster: Args.PrivateSubnetIDs is required"},
		{"no discovery tag", func(a *cluster.Args) { a.DiscoveryTagKey = "" }, "cluster: Args.DiscoveryTagKey is required"},
		{"no instance types", func(a *cluster.Args) { a.NodeGroup.InstanceTypes = nil }, "cluster: Args.NodeGroup.InstanceTypes is required"},
		{"no nodes", func(a *cluster.Args) { a.NodeGroup.MinSize = 0 }, "1 <= min <= desired <= max, got 0/2/3"},
		{"desired below min", func(a *cluster.Args) { a.NodeGroup.DesiredSize = 1 }, "1 <= min <= desired <= max, got 2/1/3"},
		{"desired above max", func(a *cluster.Args) { a.NodeGroup.DesiredSize = 4 }, "1 <= min <= desired <= max, got 2/4/3"},
		{"admin that is no IAM ARN", func(a *cluster.Args) { a.AdminPrincipalArns = []string{"platform-admin"} }, "cluster: Args.AdminPrincipalArns: "},
		{"admin listed twice", func(a *cluster.Args) {
			a.AdminPrincipalArns = []string{"arn:aws:iam::123456789012:role/platform-admin", "arn:aws:iam::123456789012:role/ops/platform-admin"}
		}, `cluster: Args.AdminPrincipalArns: "arn:aws:iam::123456789012:role/ops/platform-admin" names an identity listed before`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec, err := deploy(t, tc.edit)
			require.ErrorContains(t, err, tc.want)
			if !strings.HasPrefix(tc.want, "cluster: Args.AdminPrincipalArns") {
				require.Empty(t, rec.Resources, "invalid args declare nothing")
			}
			require.Empty(t, rec.ByType(mocks.TypeEKSCluster), "invalid args declare no cluster")
		})
	}
}

// Every problem is reported at once, as the configuration does.
func TestNewReportsEveryInvalidArgAtOnce(t *testing.T) {
	_, err := deploy(t, func(a *cluster.Args) { a.Name, a.Version, a.NodeGroup.InstanceTypes = "", "", nil })
	for _, want := range []string{"cluster: Args.Name is required", "cluster: Args.Version is required", "cluster: Args.NodeGroup.InstanceTypes is required"} {
		require.ErrorContains(t, err, want)
	}
}

func TestEKSClusterComponent(t *testing.T) {
	rec := deployOK(t, nil)
	c := mockstest.One(t, rec, mocks.TypeEKSCluster, "cluster-with-karpenter-eks")
	require.Equal(t, mockstest.One(t, rec, mocks.TypeClusterComponent, clusterName).URN, c.Parent)
	in := c.Inputs
	require.Equal(t, clusterName, in["name"])
	require.Equal(t, "1.35", in["version"])
	require.Equal(t, "vpc-0123456789abcdef0", in["vpcId"])
	require.Equal(t, "API_AND_CONFIG_MAP", in["authenticationMode"])
	require.Equal(t, true, in["skipDefaultNodeGroup"])
	require.Equal(t, true, in["useDefaultVpcCni"])
	require.Equal(t, false, in["createOidcProvider"], "Pod Identity replaces IRSA")
	require.Equal(t, true, in["endpointPrivateAccess"])
	require.Equal(t, true, in["endpointPublicAccess"])
	require.ElementsMatch(t, []any{"api", "audit", "authenticator", "controllerManager", "scheduler"}, in["enabledClusterLogTypes"])
	require.Equal(t, map[string]any{discoveryKey: clusterName}, in["clusterTags"])
	require.Equal(t, map[string]any{"project": "karpenter-savings"}, in["tags"])
	require.Equal(t, []any{"subnet-private-a", "subnet-private-c"}, in["privateSubnetIds"])
	require.Equal(t, []any{"subnet-public-a", "subnet-public-c"}, in["publicSubnetIds"])
	require.NotContains(t, in, "publicAccessCidrs", "no CIDRs configured: EKS's default")
}

// An empty list, not an absent one: pulumi-eks then creates no instance role, whose auto-name breaks IAM's limit for
// long cluster names.
func TestEKSClusterGetsNoInstanceRole(t *testing.T) {
	in := mockstest.One(t, deployOK(t, nil), mocks.TypeEKSCluster, "cluster-with-karpenter-eks").Inputs
	require.Contains(t, in, "instanceRoles")
	require.Equal(t, []any{}, in["instanceRoles"])
}

func TestPublicEndpointCidrsArePassedWhenSet(t *testing.T) {
	rec := deployOK(t, func(a *cluster.Args) { a.PublicAccessCidrs = []string{"203.0.113.0/24"} })
	require.Equal(t, []any{"203.0.113.0/24"}, mockstest.One(t, rec, mocks.TypeEKSCluster, "cluster-with-karpenter-eks").Inputs["publicAccessCidrs"])
}

func TestClusterSecurityGroupCarriesTheDiscoveryTag(t *testing.T) {
	rec := deployOK(t, nil)
	tag := mockstest.One(t, rec, mocks.TypeTag, "cluster-with-karpenter-sg-discovery")
	require.Equal(t, mocks.ClusterSecurityGroup, tag.Inputs["resourceId"], "the EKS-created cluster security group, from the cluster lookup")
	require.Equal(t, discoveryKey, tag.Inputs["key"])
	require.Equal(t, clusterName, tag.Inputs["value"])
}

func TestAddOns(t *testing.T) {
	rec := deployOK(t, nil)
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
		if name != "vpc-cni" {
			require.NotContains(t, a.Inputs, "configurationValues", "%s keeps EKS's default configuration", name)
		}
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
	require.Contains(t, got["coredns"].Dependencies, mockstest.One(t, rec, mocks.TypeNodeGroup, "cluster-with-karpenter-critical-addons-only").URN,
		"CoreDNS waits for nodes to run on")
}

// The node group's nodes need networking and pod identity before they can run anything.
func TestNodeGroupWaitsForTheNodeAddOns(t *testing.T) {
	rec := deployOK(t, nil)
	ng := mockstest.One(t, rec, mocks.TypeNodeGroup, "cluster-with-karpenter-critical-addons-only")
	for _, addon := range []string{"vpc-cni", "kube-proxy", "eks-pod-identity-agent"} {
		require.Contains(t, ng.Dependencies, mockstest.One(t, rec, mocks.TypeAddon, "cluster-with-karpenter-"+addon).URN, "the node group waits for %s", addon)
	}
	require.NotContains(t, ng.Dependencies, mockstest.One(t, rec, mocks.TypeAddon, "cluster-with-karpenter-coredns").URN,
		"CoreDNS waits for the node group, not the other way round")
}

func TestCriticalAddonsNodeGroup(t *testing.T) {
	rec := deployOK(t, nil)
	ng := mockstest.One(t, rec, mocks.TypeNodeGroup, "cluster-with-karpenter-critical-addons-only")
	in := ng.Inputs
	require.Nil(t, in["nodeGroupName"], "a fixed name would make a replacement delete-before-create")
	require.Equal(t, "critical-addons-", in["nodeGroupNamePrefix"])
	require.Equal(t, map[string]any{"karpenter-savings/node-group": "critical-addons"}, in["labels"],
		"the controller's node selector, which survives a replacement of the group")
	require.Equal(t, "AL2023_ARM_64_STANDARD", in["amiType"])
	require.Equal(t, "1.35", in["version"])
	require.Equal(t, "SPOT", in["capacityType"])
	require.Equal(t, []any{"t4g.medium", "c7g.large", "c6g.large"}, in["instanceTypes"])
	require.Equal(t, map[string]any{"minSize": 2.0, "maxSize": 3.0, "desiredSize": 2.0}, in["scalingConfig"])
	require.Equal(t, map[string]any{"maxUnavailable": 1.0}, in["updateConfig"])
	require.Equal(t, []any{map[string]any{"key": "CriticalAddonsOnly", "value": "true", "effect": "NO_SCHEDULE"}}, in["taints"])
	require.Equal(t, []any{"subnet-private-a", "subnet-private-c"}, in["subnetIds"], "nodes go in the private subnets")

	require.ElementsMatch(t, []any{
		"arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
		"arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
		"arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
		"arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
	}, attachedPolicies(rec, "cluster-with-karpenter-node-group"))
	role := mockstest.One(t, rec, mocks.TypeRole, "cluster-with-karpenter-node-group")
	require.Equal(t, "arn:aws:iam::123456789012:role/"+role.PhysicalName, in["nodeRoleArn"])
	for _, policy := range cluster.NodeGroupPolicies {
		require.Contains(t, ng.Dependencies, mockstest.One(t, rec, mocks.TypeRolePolicyAttachment, "cluster-with-karpenter-node-group-"+policy).URN,
			"nodes join once their role can act")
	}
}

// Security groups for pods (the lab's ENABLE_POD_ENI) need the VPC resource controller on the cluster role.
func TestClusterRoleCanManagePodENIs(t *testing.T) {
	rec := deployOK(t, nil)
	c := mockstest.One(t, rec, mocks.TypeEKSCluster, "cluster-with-karpenter-eks")
	require.Contains(t, c.Inputs["serviceRole"], "cluster-with-karpenter-cluster-role")
	role := mockstest.One(t, rec, mocks.TypeRole, "cluster-with-karpenter-cluster-role")
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
	require.Subset(t, c.Dependencies, []string{
		mockstest.One(t, rec, mocks.TypeRolePolicyAttachment, "cluster-with-karpenter-cluster-role-AmazonEKSClusterPolicy").URN,
		mockstest.One(t, rec, mocks.TypeRolePolicyAttachment, "cluster-with-karpenter-cluster-role-AmazonEKSVPCResourceController").URN,
	}, "the control plane is created once its role can act")
}

func TestSecretsAreEncryptedWithARotatedKMSKey(t *testing.T) {
	rec := deployOK(t, nil)
	key := mockstest.One(t, rec, mocks.TypeKey, "cluster-with-karpenter-secrets-key")
	require.Equal(t, true, key.Inputs["enableKeyRotation"])
	require.Equal(t, float64(cluster.SecretsKeyDeletionWindowDays), key.Inputs["deletionWindowInDays"], "the longest window KMS allows")
	require.Equal(t, map[string]any{"project": "karpenter-savings"}, key.Inputs["tags"])
	alias := mockstest.One(t, rec, mocks.TypeAlias, "cluster-with-karpenter-secrets-key-alias")
	require.Equal(t, "alias/cluster-with-karpenter-eks-secrets", alias.Inputs["name"])
	require.Equal(t, cluster.SecretsKeyAlias(clusterName), alias.Inputs["name"])
	require.NotEmpty(t, alias.Inputs["targetKeyId"])
	c := mockstest.One(t, rec, mocks.TypeEKSCluster, "cluster-with-karpenter-eks")
	require.Regexp(t, `^arn:aws:kms:us-east-1:123456789012:key/`+alias.Inputs["targetKeyId"].(string)+`$`, c.Inputs["encryptionConfigKeyArn"])
}

func TestAdminPrincipalsGetClusterAdminAccessEntries(t *testing.T) {
	require.NotContains(t, mockstest.One(t, deployOK(t, nil), mocks.TypeEKSCluster, "cluster-with-karpenter-eks").Inputs, "accessEntries",
		"none configured: only the cluster creator is an admin")

	rec := deployOK(t, func(a *cluster.Args) {
		a.AdminPrincipalArns = []string{"arn:aws:iam::123456789012:role/platform-admin", "arn:aws:iam::123456789012:role/github-deploy"}
		a.AdminAccessEntryTags = map[string]string{"karpenter-savings/access-entry": "cluster-with-karpenter"}
	})
	entry := func(arn string) map[string]any {
		return map[string]any{
			"principalArn": arn,
			"tags":         map[string]any{"karpenter-savings/access-entry": "cluster-with-karpenter"},
			"accessPolicies": map[string]any{"cluster-admin": map[string]any{
				"policyArn":   "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
				"accessScope": map[string]any{"type": "cluster"},
			}},
		}
	}
	require.Equal(t, map[string]any{
		"admin-123456789012-role-platform-admin": entry("arn:aws:iam::123456789012:role/platform-admin"),
		"admin-123456789012-role-github-deploy":  entry("arn:aws:iam::123456789012:role/github-deploy"),
	}, mockstest.One(t, rec, mocks.TypeEKSCluster, "cluster-with-karpenter-eks").Inputs["accessEntries"])
}

// pulumi-eks names each access entry's resources after its key: a key by list position would make removing the
// first principal replace the second one's entry (and EKS would answer 409 while the old entry still exists).
func TestRemovingAnAdminLeavesTheOtherEntriesAlone(t *testing.T) {
	entries := func(arns ...string) map[string]any {
		rec := deployOK(t, func(a *cluster.Args) { a.AdminPrincipalArns = arns })
		return mockstest.One(t, rec, mocks.TypeEKSCluster, "cluster-with-karpenter-eks").Inputs["accessEntries"].(map[string]any)
	}
	before := entries("arn:aws:iam::123456789012:role/platform-admin", "arn:aws:iam::123456789012:role/github-deploy")
	after := entries("arn:aws:iam::123456789012:role/github-deploy")
	require.Len(t, after, 1)
	for key, entry := range after {
		require.Equalf(t, before[key], entry, "the remaining principal's entry %q must keep its key and value", key)
	}
}

func TestKubernetesProviderUsesTheClustersKubeconfig(t *testing.T) {
	rec := deployOK(t, nil)
	p := mockstest.One(t, rec, mocks.TypeKubernetesProvider, "cluster-with-karpenter-k8s")
	require.Equal(t, mockstest.One(t, rec, mocks.TypeClusterComponent, clusterName).URN, p.Parent)
	require.Equal(t, true, p.Inputs["enableServerSideApply"])
	require.Equal(t, mocks.Kubeconfig(clusterName, mocks.DefaultRegion), p.Inputs["kubeconfig"])
}

func TestOutputs(t *testing.T) {
	out := deployOK(t, nil).Outputs
	require.Equal(t, clusterName, out["name"])
	require.Equal(t, mocks.ClusterEndpoint, out["endpoint"])
	require.Equal(t, "[secret]", out["kubeconfig"], "the kubeconfig is a secret")
	require.Equal(t, mocks.ClusterSecurityGroup, out["securityGroupId"])
	require.Regexp(t, `^critical-addons-[0-9]{18}[0-9a-f]{8}$`, out["nodeGroupName"], "the prefix and AWS's 26 characters")
}

// Every child is parented to the component and named after it, so two clusters in one stack do not collide.
func TestChildrenAreParentedAndPrefixed(t *testing.T) {
	rec := deployOK(t, nil)
	component := mockstest.One(t, rec, mocks.TypeClusterComponent, clusterName)
	for _, r := range rec.Resources {
		if r.URN == component.URN {
			continue
		}
		require.Equalf(t, component.URN, r.Parent, "%s is a child of the component", r.URN)
		require.Truef(t, strings.HasPrefix(r.Name, clusterName+"-"), "%s is named after the component", r.URN)
	}
}

// Every add-on carries the version the table pins for the cluster's Kubernetes version, so a version bump changes it.
func TestAddOnsArePinnedToTheClustersKubernetesVersion(t *testing.T) {
	rec := deployOK(t, nil)
	want, err := cluster.AddonVersions("1.35")
	require.NoError(t, err)
	require.ElementsMatch(t, cluster.Addons, slices.Collect(maps.Keys(want)), "the table pins every add-on the cluster declares")
	for _, name := range cluster.Addons {
		a := mockstest.One(t, rec, mocks.TypeAddon, "cluster-with-karpenter-"+name)
		require.Equal(t, want[name], a.Inputs["addonVersion"], "%s's version for Kubernetes 1.35", name)
		require.Regexp(t, `^v\d+\.\d+\.\d+-eksbuild\.\d+$`, a.Inputs["addonVersion"], "%s: EKS's version format", name)
	}
}

// A Kubernetes version the table has no row for is refused before anything is declared, with the versions it knows.
func TestAKubernetesVersionWithoutAddOnVersionsIsRefused(t *testing.T) {
	rec, err := deploy(t, func(a *cluster.Args) { a.Version = "1.33" })
	require.ErrorContains(t, err, `cluster: Args.Version: no EKS add-on versions are pinned for Kubernetes "1.33"; the table (components/cluster/addons.go) knows 1.34, 1.35, 1.36`)
	require.Empty(t, rec.Resources)
}

// A one-minor bump changes every add-on's version, so the engine updates each of them; the table holds a whole row
// for every minor it knows.
func TestABumpChangesEveryAddOnsVersion(t *testing.T) {
	minors := cluster.AddonVersionMinors()
	require.GreaterOrEqual(t, len(minors), 2, "a bump needs two rows")
	for i := 1; i < len(minors); i++ {
		from, to := deployOK(t, func(a *cluster.Args) { a.Version = minors[i-1] }), deployOK(t, func(a *cluster.Args) { a.Version = minors[i] })
		for _, name := range cluster.Addons {
			before := mockstest.One(t, from, mocks.TypeAddon, "cluster-with-karpenter-"+name).Inputs["addonVersion"]
			after := mockstest.One(t, to, mocks.TypeAddon, "cluster-with-karpenter-"+name).Inputs["addonVersion"]
			require.NotEmpty(t, after, "%s has a version for %s", name, minors[i])
			if name != cluster.AddonPodIdentityAgent { // the agent's builds are not tied to a Kubernetes minor
				require.NotEqual(t, before, after, "%s changes from %s to %s", name, minors[i-1], minors[i])
			}
		}
		require.Equal(t, minors[i], mockstest.One(t, to, mocks.TypeNodeGroup, "cluster-with-karpenter-critical-addons-only").Inputs["version"])
	}
}

// A kubernetesVersion bump updates the control plane, then vpc-cni, kube-proxy and the pod identity agent, then the
// node group, then CoreDNS: the engine updates a resource only after the resources it depends on, and these are the
// edges, by URN.
func TestVersionBumpOrderIsControlPlaneThenAddOnsThenNodeGroup(t *testing.T) {
	rec := deployOK(t, nil)
	controlPlane := mockstest.One(t, rec, mocks.TypeEKSCluster, "cluster-with-karpenter-eks").URN
	nodeGroup := mockstest.One(t, rec, mocks.TypeNodeGroup, "cluster-with-karpenter-critical-addons-only")
	addon := func(name string) mocks.Resource {
		return mockstest.One(t, rec, mocks.TypeAddon, "cluster-with-karpenter-"+name)
	}
	for _, name := range cluster.Addons {
		require.Contains(t, addon(name).Dependencies, controlPlane, "%s waits for the control plane", name)
		require.Contains(t, addon(name).PropertyDependencies["clusterName"], controlPlane, "%s's clusterName comes from the control plane", name)
	}
	require.Contains(t, nodeGroup.Dependencies, controlPlane, "the node group waits for the control plane")
	for _, name := range []string{cluster.AddonVpcCni, cluster.AddonKubeProxy, cluster.AddonPodIdentityAgent} {
		require.Contains(t, nodeGroup.Dependencies, addon(name).URN, "the node group waits for %s", name)
		require.NotContains(t, addon(name).Dependencies, nodeGroup.URN, "%s goes before the node group", name)
	}
	require.Contains(t, addon(cluster.AddonCoreDNS).Dependencies, nodeGroup.URN, "CoreDNS goes after the node group")
}
