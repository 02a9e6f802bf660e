package tests

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/karpenter-savings/karpenter-savings/components/sampleapp"
	"github.com/karpenter-savings/karpenter-savings/internal/offline/mocks"
	"github.com/karpenter-savings/karpenter-savings/internal/program/pulumik8s"
)

// The pieces the components build separately must agree once wired: names the controller, Helm and the node
// classes share.
func TestKarpenterWiringAgreesAcrossComponents(t *testing.T) {
	rec := renderDev(t)

	queue := one(t, rec, mocks.TypeQueue, "cluster-with-karpenter-karpenter-interruption-queue")
	release := one(t, rec, pulumik8s.ReleaseType, "cluster-with-karpenter-karpenter-release")
	settings := release.Inputs["values"].(map[string]any)["settings"].(map[string]any)
	require.Equal(t, queue.Inputs["name"], settings["interruptionQueue"], "Helm gets the queue's name, not its ARN")
	require.Equal(t, clusterName, settings["clusterName"])
	require.Equal(t, "1.14.4", release.Inputs["version"])
	require.Equal(t, "kube-system", release.Inputs["namespace"])

	nodeRole := one(t, rec, mocks.TypeRole, "cluster-with-karpenter-karpenter-node-role")
	require.Equal(t, "KarpenterNodeRole-"+clusterName, nodeRole.Inputs["name"])
	for _, class := range rec.ByType(mocks.TypeEC2NodeClass) {
		spec := class.Inputs["spec"].(map[string]any)
		require.Equal(t, nodeRole.Inputs["name"], spec["role"], "%s launches nodes with the node role", class.Name)
		require.Equal(t, []any{map[string]any{"tags": map[string]any{discoveryKey: clusterName}}}, spec["subnetSelectorTerms"])
		require.Equal(t, []any{map[string]any{"tags": map[string]any{discoveryKey: clusterName}}}, spec["securityGroupSelectorTerms"],
			"the same tag the cluster security group carries")
	}

	access := one(t, rec, mocks.TypeAccessEntry, "cluster-with-karpenter-karpenter-node-access-entry")
	require.Equal(t, "EC2_LINUX", access.Inputs["type"])
	require.Equal(t, clusterName, access.Inputs["clusterName"])
}

func TestNodeClassesUseTheAMIsSSMPublishes(t *testing.T) {
	rec := renderDev(t)
	def := one(t, rec, mocks.TypeEC2NodeClass, "cluster-with-karpenter-nodepools-ec2nodeclass-default")
	require.Equal(t, []any{map[string]any{"alias": "al2023@v20251120"}}, def.Inputs["spec"].(map[string]any)["amiSelectorTerms"],
		"the alias is the release SSM recommends (mocked %s)", mocks.AL2023ReleaseVersion)
	gpu := one(t, rec, mocks.TypeEC2NodeClass, "cluster-with-karpenter-nodepools-ec2nodeclass-gpu")
	require.Equal(t, []any{map[string]any{"id": mocks.NvidiaAMIID}}, gpu.Inputs["spec"].(map[string]any)["amiSelectorTerms"])
}

// Both node classes must run one AMI release: the NVIDIA AMI is read from that release's own parameter.
func TestGPUAMIIsTheSameReleaseAsTheAlias(t *testing.T) {
	require.ElementsMatch(t, []any{
		"/aws/service/eks/optimized-ami/1.35/amazon-linux-2023/x86_64/standard/recommended/release_version",
		"/aws/service/eks/optimized-ami/1.35/amazon-linux-2023/x86_64/nvidia/amazon-eks-node-al2023-x86_64-nvidia-1.35-v20251120/image_id",
	}, ssmParameters(renderDev(t)))
}

// ssmParameters are the names of the SSM parameters the program read.
func ssmParameters(rec *mocks.Recording) []any {
	var names []any
	for _, inv := range rec.Invokes {
		if inv.Token == "aws:ssm/getParameter:getParameter" {
			names = append(names, inv.Args["name"])
		}
	}
	return names
}

func TestPinnedAMIVersionSkipsTheRecommendedParameter(t *testing.T) {
	rec, err := render(t, with(devConfig(t), map[string]string{"nodeAmiVersion": "v20250901"}))
	require.NoError(t, err)
	def := one(t, rec, mocks.TypeEC2NodeClass, "cluster-with-karpenter-nodepools-ec2nodeclass-default")
	require.Equal(t, []any{map[string]any{"alias": "al2023@v20250901"}}, def.Inputs["spec"].(map[string]any)["amiSelectorTerms"])
	require.Equal(t, []any{
		"/aws/service/eks/optimized-ami/1.35/amazon-linux-2023/x86_64/nvidia/amazon-eks-node-al2023-x86_64-nvidia-1.35-v20250901/image_id",
	}, ssmParameters(rec), "a pinned release reads only its own NVIDIA AMI")
}

func TestKarpenterOutputs(t *testing.T) {
	out := renderDev(t).Outputs
	require.Equal(t, "arn:aws:iam::123456789012:role/KarpenterNodeRole-cluster-with-karpenter", out["karpenterNodeRoleArn"])
	require.Regexp(t, `^arn:aws:iam::123456789012:role/.+`, out["karpenterControllerRoleArn"])
	require.Equal(t, clusterName, out["karpenterQueueName"])
	require.Equal(t, "1.14.4", out["karpenterVersion"])
	require.Equal(t, []any{"default", "graviton", "gpu"}, out["nodePools"])
	require.Equal(t, mocks.UIServiceHostname, out["sampleAppUiAddress"])
}

func TestDisabledPoolsAndAppAreNotDeclared(t *testing.T) {
	rec, err := render(t, with(devConfig(t), map[string]string{
		"sampleAppEnabled": "false",
		"nodePools": `{"default":{"enabled":true,"weight":10,"capacityTypes":["spot"],"cpu":"16","memory":"32Gi"},` +
			`"graviton":{"enabled":false},"gpu":{"enabled":false}}`,
	}))
	require.NoError(t, err)
	require.Len(t, rec.ByType(mocks.TypeNodePool), 1)
	require.Len(t, rec.ByType(mocks.TypeEC2NodeClass), 1)
	require.Empty(t, rec.ByType(pulumik8s.ConfigFileType))
	require.Empty(t, rec.ByType(mocks.TypeDevicePluginComponent), "no GPU pool, no device plugin")
	require.NotContains(t, rec.Outputs, "sampleAppUiAddress")
}

// A pool with maxMonthlyUSD gets the limits derived from it (internal/program/poolbudget); the GPU limit stays its own.
func TestPoolBudgetBecomesTheNodePoolLimits(t *testing.T) {
	rec, err := render(t, with(devConfig(t), map[string]string{"nodePools": pools(t, map[string]string{
		"graviton": `{"enabled":true,"weight":50,"capacityTypes":["spot","on-demand"],"maxMonthlyUSD":500}`,
		"gpu":      `{"enabled":true,"weight":100,"capacityTypes":["on-demand","spot"],"gpu":"2","maxMonthlyUSD":2000}`,
	})}))
	require.NoError(t, err)
	limits := func(name string) any {
		return one(t, rec, mocks.TypeNodePool, clusterName+"-nodepools-nodepool-"+name).Inputs["spec"].(map[string]any)["limits"]
	}
	require.Equal(t, map[string]any{"cpu": "9321m", "memory": "20141Mi"}, limits("graviton"), "500/730 dollars an hour at us-east-1's graviton rates")
	gpu := limits("gpu").(map[string]any)
	require.Equal(t, "2", gpu["nvidia.com/gpu"])
	require.NotEqual(t, "16", gpu["cpu"], "the budget, not the default, sets the gpu pool's cpu limit")
	require.Equal(t, map[string]any{"cpu": "16", "memory": "32Gi"}, limits("default"), "a pool without a budget keeps its limits")
}

// A tag Karpenter's EC2NodeClass CRD restricts must fail at the tags key, before any resource is declared.
func TestRestrictedTagFailsAtTheTagsKeyBeforeAnyResource(t *testing.T) {
	for _, key := range []string{"karpenter.sh/nodepool", "kubernetes.io/cluster/other", "eks:eks-cluster-name"} {
		rec, err := render(t, with(devConfig(t), map[string]string{"tags": `{"team":"platform","` + key + `":"mine"}`}))
		require.Error(t, err, key)
		require.ErrorContains(t, err, "karpenter-savings:tags: tag key "+strconv.Quote(key)+" is restricted")
		require.ErrorContains(t, err, "tag contains a restricted tag matching", "the CRD rule's own words")
		require.Empty(t, rec.Resources)
	}
}

// GPU nodes advertise nvidia.com/gpu only through NVIDIA's device plugin; without it a GPU pod would wait forever
// on the node Karpenter launched for it. components/deviceplugin tests the release itself; this checks the wiring.
func TestGPUPoolComesWithTheNvidiaDevicePlugin(t *testing.T) {
	rec := renderDev(t)
	release := one(t, rec, pulumik8s.ReleaseType, "cluster-with-karpenter-nvidia-device-plugin-release")
	require.Equal(t, "nvidia-device-plugin", release.Inputs["chart"])
	require.Equal(t, "0.17.1", release.Inputs["version"], "the version is the configuration's")
	require.Equal(t, urn(t, rec, mocks.TypeKubernetesProvider, "cluster-with-karpenter-k8s"), release.Provider, "installed in the cluster")
	require.Contains(t, release.Dependencies, urn(t, rec, mocks.TypeNodeGroup, "cluster-with-karpenter-critical-addons-only"),
		"installed once the cluster has nodes")
}

// The sample app's pinned release has one home, Pulumi.yaml; the component's exported constant must not drift from it.
func TestSampleAppDefaultIsTheComponentsPinnedRelease(t *testing.T) {
	require.Equal(t, sampleapp.ReleaseManifestURL, devConfig(t)["karpenter-savings:sampleAppManifestUrl"])
}

// A pool's terminationGracePeriod is its NodePool's, and the NodePool's and its EC2NodeClass's deletes wait that long
// plus the drain margin: disabling the pool, or a destroy, waits for Karpenter to drain and terminate its nodes
// rather than failing after pulumi-kubernetes' 10 minutes with the nodes still draining.
func TestPoolDeletesWaitForTheirGracePeriod(t *testing.T) {
	rec, err := render(t, with(devConfig(t), map[string]string{"nodePools": pools(t, map[string]string{
		"graviton": `{"enabled":true,"weight":50,"capacityTypes":["spot","on-demand"],"cpu":"32","memory":"64Gi","terminationGracePeriod":"48h"}`,
		"default":  `{"enabled":true,"weight":10,"capacityTypes":["spot"],"cpu":"16","memory":"32Gi"}`,
	})}))
	require.NoError(t, err)
	pool := func(name string) mocks.Resource {
		return one(t, rec, mocks.TypeNodePool, clusterName+"-nodepools-nodepool-"+name)
	}
	class := func(name string) mocks.Resource {
		return one(t, rec, mocks.TypeEC2NodeClass, clusterName+"-nodepools-ec2nodeclass-"+name)
	}
	period := func(r mocks.Resource) any {
		return r.Inputs["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)["terminationGracePeriod"]
	}
	require.Equal(t, "48h0m0s", period(pool("graviton")))
	require.Equal(t, "48h15m0s", pool("graviton").DeleteTimeout)
	require.Equal(t, "24h0m0s", period(pool("default")), "a pool that leaves it out gets Pulumi.yaml's documented 24h")
	require.Equal(t, "24h15m0s", pool("default").DeleteTimeout)
	require.Equal(t, "24h15m0s", pool("gpu").DeleteTimeout, "the dev stack's default")
	require.Equal(t, "48h15m0s", class("default").DeleteTimeout, "the class the graviton and default pools share waits for the longer drain")
	require.Equal(t, "24h15m0s", class("gpu").DeleteTimeout)
}
