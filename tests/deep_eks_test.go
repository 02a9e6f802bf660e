//go:build deep

// These tests run pulumi-eks' own component code through tools/eks-harness: they need Node.js and
// `npm ci --ignore-scripts --prefix tools/eks-harness` (make deep runs both).
package tests

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/karpenter-savings/karpenter-savings/internal/offline/deep"
	"github.com/karpenter-savings/karpenter-savings/internal/offline/mocks"
	"github.com/karpenter-savings/karpenter-savings/internal/program/config"
	"github.com/karpenter-savings/karpenter-savings/internal/program/project"
)

const harnessDir = "../tools/eks-harness"

// eksDev renders the dev stack with what Helm and pulumi-eks add, and returns the recorded eks:index:Cluster.
func eksDev(t *testing.T) (*mocks.Recording, mocks.Resource) {
	t.Helper()
	_, values, err := project.LoadConfig("..", "dev")
	require.NoError(t, err)
	return eksRender(t, values)
}

// eksRender renders the stack with values, with what Helm and pulumi-eks add.
func eksRender(t *testing.T, values project.Config) (*mocks.Recording, mocks.Resource) {
	t.Helper()
	rec := deepRender(t, values)
	clusters := rec.ByType(deep.EKSClusterType)
	require.Len(t, clusters, 1)
	require.NoError(t, deep.ExpandEKS(rec, values["aws:region"], harnessDir))
	return rec, clusters[0]
}

// under is the URN prefix of everything registered below the component.
func under(component mocks.Resource) string {
	return strings.TrimSuffix(component.URN, "::"+component.Name) + "$"
}

func TestEKSClusterChildrenComeFromPulumiEKS(t *testing.T) {
	rec, component := eksDev(t)
	name := component.Name

	eks, ok := rec.Named(mocks.TypeAWSEKSCluster, name+"-eksCluster")
	require.True(t, ok, "pulumi-eks registers the EKS cluster itself")
	require.Equal(t, under(component)+"aws:eks/cluster:Cluster::"+name+"-eksCluster", eks.URN)
	require.Equal(t, component.URN, eks.Parent)
	require.True(t, eks.Custom)
	require.False(t, eks.Emulated, "registered by pulumi-eks' own code, not emulated")

	in := eks.Inputs
	require.Equal(t, component.Inputs["name"], in["name"])
	require.Equal(t, component.Inputs["version"], in["version"])
	require.Equal(t, component.Inputs["enabledClusterLogTypes"], in["enabledClusterLogTypes"])
	require.Equal(t, map[string]any{
		"provider":  map[string]any{"keyArn": component.Inputs["encryptionConfigKeyArn"]},
		"resources": []any{"secrets"},
	}, in["encryptionConfig"])
	require.Equal(t, map[string]any{
		"authenticationMode":                      component.Inputs["authenticationMode"],
		"bootstrapClusterCreatorAdminPermissions": true,
	}, in["accessConfig"])
	vpc := in["vpcConfig"].(map[string]any)
	subnets := append(slices.Clone(component.Inputs["publicSubnetIds"].([]any)), component.Inputs["privateSubnetIds"].([]any)...)
	require.Equal(t, subnets, vpc["subnetIds"], "public then private subnets, as pulumi-eks joins them")
	require.Equal(t, component.Inputs["endpointPrivateAccess"], vpc["endpointPrivateAccess"])
	require.Equal(t, component.Inputs["endpointPublicAccess"], vpc["endpointPublicAccess"])
	require.Len(t, vpc["securityGroupIds"], 1)
	tags := in["tags"].(map[string]any)
	for k, v := range component.Inputs["clusterTags"].(map[string]any) {
		require.Equal(t, v, tags[k], "cluster tag %s", k)
	}

	// The service role is the Go program's: a reference, rehydrated from its URN, so not registered again.
	roleURN := strings.TrimSuffix(strings.TrimPrefix(component.Inputs["serviceRole"].(string), "[resource "), "]")
	role, ok := rec.ByURN(roleURN)
	require.True(t, ok)
	require.NotEmpty(t, role.PhysicalName)
	require.Equal(t, fmt.Sprintf("arn:%s:iam::%s:role/%s", mocks.Partition, mocks.AccountID, role.PhysicalName), in["roleArn"])
	require.Contains(t, eks.Dependencies, roleURN, "the cluster waits for the program's role")
	for _, r := range rec.ByType(mocks.TypeRole) {
		require.False(t, r.URN != roleURN && r.Name == role.Name, "the referenced role is not registered again (%s)", r.URN)
	}

	clusterSG, ok := rec.Named(mocks.TypeSecurityGroup, name+"-eksClusterSecurityGroup")
	require.True(t, ok)
	nodeSG, ok := rec.Named(mocks.TypeSecurityGroup, name+"-nodeSecurityGroup")
	require.True(t, ok)
	for _, sg := range []mocks.Resource{clusterSG, nodeSG} {
		require.Equal(t, component.URN, sg.Parent)
		require.Equal(t, component.Inputs["vpcId"], sg.Inputs["vpcId"])
		require.Equal(t, true, sg.Inputs["revokeRulesOnDelete"])
	}
	require.Contains(t, eks.Dependencies, clusterSG.URN)
	require.Equal(t, "owned", nodeSG.Inputs["tags"].(map[string]any)["kubernetes.io/cluster/"+component.Inputs["name"].(string)])

	rule := func(suffix string) mocks.Resource {
		r, ok := rec.Named(mocks.TypeSecurityGroupRule, name+"-"+suffix)
		require.True(t, ok, suffix)
		require.Equal(t, component.URN, r.Parent)
		return r
	}
	egress := rule("eksClusterInternetEgressRule")
	require.Equal(t, "egress", egress.Inputs["type"])
	require.Equal(t, []any{"0.0.0.0/0"}, egress.Inputs["cidrBlocks"])
	require.Equal(t, "-1", egress.Inputs["protocol"])
	require.Equal(t, []string{clusterSG.URN}, egress.Dependencies)
	apiFromNodes := rule("eksClusterIngressRule")
	require.Equal(t, "ingress", apiFromNodes.Inputs["type"])
	require.EqualValues(t, 443, apiFromNodes.Inputs["fromPort"])
	require.EqualValues(t, 443, apiFromNodes.Inputs["toPort"])
	require.ElementsMatch(t, []string{clusterSG.URN, nodeSG.URN}, apiFromNodes.Dependencies)
	nodeToNode := rule("eksNodeIngressRule")
	require.Equal(t, true, nodeToNode.Inputs["self"])
	require.Equal(t, []string{nodeSG.URN}, nodeToNode.Dependencies)
	for _, suffix := range []string{"eksNodeClusterIngressRule", "eksExtApiServerClusterIngressRule"} {
		require.ElementsMatch(t, []string{clusterSG.URN, nodeSG.URN}, rule(suffix).Dependencies, suffix)
	}
	require.Equal(t, []any{"0.0.0.0/0"}, rule("eksNodeInternetEgressRule").Inputs["cidrBlocks"])

	// authenticationMode API_AND_CONFIG_MAP: the aws-auth ConfigMap through pulumi-eks' own provider, mapping no
	// role. The stack passes an empty instanceRoles, so pulumi-eks creates no instance role (its auto-named
	// <cluster>-eks-instanceRole-role broke IAM's 64 characters for long cluster names) and no access entry for one:
	// EKS makes the managed node group's entry, components/karpenter makes the Karpenter nodes'.
	awsAuth, ok := rec.Named(mocks.TypeConfigMap, name+"-nodeAccess")
	require.True(t, ok)
	require.Equal(t, "aws-auth", awsAuth.Inputs["metadata"].(map[string]any)["name"])
	require.Equal(t, "[]\n", awsAuth.Inputs["data"].(map[string]any)["mapRoles"])
	k8s, ok := rec.ByURN(awsAuth.Provider)
	require.True(t, ok, "the ConfigMap's provider is one pulumi-eks registers")
	require.Equal(t, mocks.TypeKubernetesProvider, k8s.Type)
	require.Equal(t, component.URN, k8s.Parent)
	_, ok = rec.Named(mocks.TypeAccessEntry, name+"-defaultNodeGroupInstanceRole")
	require.False(t, ok, "no access entry for an instance role pulumi-eks no longer creates")
	for _, r := range rec.Resources {
		require.Falsef(t, strings.HasPrefix(r.URN, under(component)) && strings.Contains(r.Name, "instanceRole"),
			"pulumi-eks creates no instance role, yet the render has %s", r.URN)
	}
}

func TestEKSChildrenSitUnderTheRecordedComponent(t *testing.T) {
	// An admin principal adds pulumi-eks's access entry and its policy association.
	rec, component := eksRender(t, with(devConfig(t), map[string]string{
		config.KeyClusterAdminPrincipals: `["arn:aws:iam::123456789012:role/platform-admin"]`,
	}))
	harnessRoot := fmt.Sprintf("urn:pulumi:dev::%s::%s", "karpenter-savings", deep.EKSClusterType)
	at := slices.IndexFunc(rec.Resources, func(r mocks.Resource) bool { return r.URN == component.URN })
	require.GreaterOrEqual(t, at, 0)

	var children []mocks.Resource
	for i, r := range rec.Resources {
		for _, u := range append([]string{r.URN, r.Parent, r.Provider}, r.Dependencies...) {
			require.False(t, strings.HasPrefix(u, harnessRoot), "%s: %s is left as the harness rooted it", r.URN, u)
		}
		inputs, err := json.Marshal(r.Inputs)
		require.NoError(t, err)
		require.NotContains(t, string(inputs), "[resource "+harnessRoot, "%s: a reference in its inputs is left as the harness rooted it", r.URN)
		if strings.HasPrefix(r.URN, under(component)) {
			require.Equal(t, at+1+len(children), i, "%s: children follow their component", r.URN)
			children = append(children, r)
		}
	}
	require.GreaterOrEqual(t, len(children), 12, "pulumi-eks registers no instance role, its attachments nor its access entry")
	for _, c := range children {
		require.False(t, c.Emulated)
		require.True(t, c.Parent == component.URN || strings.HasPrefix(c.Parent, under(component)), "%s: parent %s", c.URN, c.Parent)
		parent, ok := rec.ByURN(c.Parent)
		require.True(t, ok, "%s: parent %s is recorded", c.URN, c.Parent)
		require.True(t, strings.HasPrefix(c.URN, strings.TrimSuffix(parent.URN, "::"+parent.Name)+"$"), "%s: its type chain extends its parent's", c.URN)
		if c.Provider != "" {
			_, ok := rec.ByURN(c.Provider)
			require.True(t, ok, "%s: provider %s is recorded", c.URN, c.Provider)
		}
		for _, d := range c.Dependencies {
			_, ok := rec.ByURN(d)
			require.True(t, ok, "%s: dependency %s is recorded", c.URN, d)
		}
	}

	var types []string
	for _, c := range children {
		types = append(types, c.Type)
	}
	require.Subset(t, types, []string{
		mocks.TypeKubernetesProvider, mocks.TypeAWSEKSCluster, mocks.TypeSecurityGroup,
		mocks.TypeConfigMap, mocks.TypeAccessEntry, mocks.TypeAccessPolicyAssociation,
	})
}

func TestEKSHarnessNotesWhatPulumiEKSNeeds(t *testing.T) {
	rec, _ := eksDev(t)
	has := func(prefix string) {
		t.Helper()
		require.True(t, slices.ContainsFunc(rec.Notes, func(n string) bool { return strings.HasPrefix(n, prefix) }), "a note starting %q in %q", prefix, rec.Notes)
	}
	has("pulumi-eks 2.8.1: runs `kubectl version --client=true --output=json` every time a Cluster is constructed")
	has("pulumi-eks 2.8.1: runs `aws --version` every time a Cluster is constructed")
	has("pulumi-eks 2.8.1: started these processes while the component was constructed: `aws --version`, `kubectl version --client=true --output=json`")
	has("pulumi-eks 2.8.1: during `pulumi up` (not preview)")
	has("pulumi-eks 2.8.1: its Kubernetes provider")
}

func TestReparentURN(t *testing.T) {
	harness := "urn:pulumi:dev::karpenter-savings::eks:index:Cluster::c-eks"
	recorded := "urn:pulumi:prod::other::karpenter-savings:index:Cluster$eks:index:Cluster::c-eks"
	for in, want := range map[string]string{
		harness: recorded,
		"urn:pulumi:dev::karpenter-savings::eks:index:Cluster$aws:eks/cluster:Cluster::c-eks-eksCluster":                        "urn:pulumi:prod::other::karpenter-savings:index:Cluster$eks:index:Cluster$aws:eks/cluster:Cluster::c-eks-eksCluster",
		"urn:pulumi:dev::karpenter-savings::eks:index:Cluster$eks:index:ServiceRole$aws:iam/role:Role::c-eks-instanceRole-role": "urn:pulumi:prod::other::karpenter-savings:index:Cluster$eks:index:Cluster$eks:index:ServiceRole$aws:iam/role:Role::c-eks-instanceRole-role",
		// The program's own resources, referred to from the inputs, stay where they are.
		"urn:pulumi:prod::other::karpenter-savings:index:Cluster$aws:iam/role:Role::c-cluster-role": "urn:pulumi:prod::other::karpenter-savings:index:Cluster$aws:iam/role:Role::c-cluster-role",
		// A type that only starts like the component's is not below it.
		"urn:pulumi:dev::karpenter-savings::eks:index:ClusterCreationRoleProvider::x": "urn:pulumi:dev::karpenter-savings::eks:index:ClusterCreationRoleProvider::x",
		"": "",
	} {
		require.Equal(t, want, deep.ReparentURN(in, harness, recorded), in)
	}
}

// pulumi-eks creates each admin's aws:eks/accessEntry from the component's accessEntries: the entry carries the
// stack's fixed tag, by which the preview and preflight know it, beside the configured tags the transform adds.
func TestAdminAccessEntryCarriesTheFixedTagAndTheStacksTags(t *testing.T) {
	rec, component := eksRender(t, with(devConfig(t), map[string]string{
		config.KeyClusterAdminPrincipals: `["arn:aws:iam::123456789012:role/platform-admin"]`,
		config.KeyTags:                   `{"team":"platform"}`,
	}))
	name := component.Name + "-admin-123456789012-role-platform-admin"
	entry, ok := rec.ByURN(under(component) + mocks.TypeAccessEntry + "::" + name)
	require.True(t, ok, "pulumi-eks registers the admin's access entry under the component")
	require.Equal(t, "arn:aws:iam::123456789012:role/platform-admin", entry.Inputs["principalArn"])
	require.Equal(t, map[string]any{config.AccessEntryTag: "cluster-with-karpenter", "team": "platform"}, entry.Inputs["tags"])
}
