package tests

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/karpenter-savings/karpenter-savings/internal/offline/deep"
	"github.com/karpenter-savings/karpenter-savings/internal/offline/mocks"
	"github.com/karpenter-savings/karpenter-savings/internal/offline/mocks/yamlv2"
	"github.com/karpenter-savings/karpenter-savings/internal/program/config"
	"github.com/karpenter-savings/karpenter-savings/internal/program/project"
	"github.com/karpenter-savings/karpenter-savings/internal/program/pulumik8s"
	"github.com/karpenter-savings/karpenter-savings/internal/program/stack"
)

func deepDev(t *testing.T) *mocks.Recording {
	t.Helper()
	_, values, err := project.LoadConfig("..", "dev")
	require.NoError(t, err)
	return deepRender(t, values)
}

// deepRender renders the stack with values and adds what the Karpenter releases install, as Helm renders it.
func deepRender(t *testing.T, values project.Config) *mocks.Recording {
	t.Helper()
	rec, err := mocks.Run(config.Project, "dev", values, stack.Program, yamlv2.Option())
	require.NoError(t, err)
	charts, err := deep.ModuleCharts("..")
	require.NoError(t, err)
	require.NoError(t, deep.Expand(rec, values[config.Project+":"+config.KeyKubernetesVersion], charts))
	return rec
}

func TestKarpenterChartsAreRenderedUnderTheirReleases(t *testing.T) {
	rec := deepDev(t)
	crdRelease, ok := rec.Named(pulumik8s.ReleaseType, "cluster-with-karpenter-karpenter-crd-release")
	require.True(t, ok)
	var crds []string
	for _, r := range rec.ByType(mocks.TypeCRD) {
		require.Equal(t, crdRelease.URN, r.Parent, "the CRDs are the CRD release's")
		require.True(t, r.Emulated)
		meta := r.Inputs["metadata"].(map[string]any)
		require.Equal(t, "keep", meta["annotations"].(map[string]any)["helm.sh/resource-policy"], "%s is kept on uninstall", meta["name"])
		crds = append(crds, meta["name"].(string))
	}
	require.Subset(t, crds, []string{"nodepools.karpenter.sh", "nodeclaims.karpenter.sh", "ec2nodeclasses.karpenter.k8s.aws"})

	deployment, ok := rec.Named(mocks.TypeDeployment, "cluster-with-karpenter-karpenter-release:kube-system/karpenter")
	require.True(t, ok, "the controller Deployment, in the release's namespace")
	spec := deployment.Inputs["spec"].(map[string]any)
	require.EqualValues(t, 2, spec["replicas"])
	containers := spec["template"].(map[string]any)["spec"].(map[string]any)["containers"].([]any)
	controller := containers[0].(map[string]any)
	require.Equal(t, map[string]any{"cpu": "1", "memory": "1Gi"}, controller["resources"].(map[string]any)["requests"],
		"the values the stack passes reach the rendered Deployment")
	release, _ := rec.Named(pulumik8s.ReleaseType, "cluster-with-karpenter-karpenter-release")
	require.Equal(t, release.URN, deployment.Parent)
	require.Equal(t, release.Provider, deployment.Provider, "the release's provider")
}

func TestChartsNotAvailableOfflineAreNamed(t *testing.T) {
	rec := deepDev(t)
	require.Contains(t, rec.Notes, "kubernetes:helm.sh/v3:Release cluster-with-karpenter-nvidia-device-plugin-release: chart nvidia-device-plugin 0.17.1 is not available offline, so the objects it installs are not shown")
}
