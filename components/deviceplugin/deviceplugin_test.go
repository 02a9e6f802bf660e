package deviceplugin_test

import (
	"testing"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"

	"github.com/karpenter-savings/karpenter-savings/components/deviceplugin"
	"github.com/karpenter-savings/karpenter-savings/internal/offline/mocks"
	"github.com/karpenter-savings/karpenter-savings/internal/program/pulumik8s"
)

// deploy declares a Kubernetes provider, a stand-in for the nodes the plugin waits for, and the component with
// version 0.17.1; edit may change its arguments.
func deploy(t *testing.T, edit func(*deviceplugin.Args)) (*mocks.Recording, error) {
	t.Helper()
	return mocks.RunFunc("karpenter-savings", "dev", func(ctx *pulumi.Context) error {
		provider, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{})
		if err != nil {
			return err
		}
		nodes, err := kubernetes.NewProvider(ctx, "nodes", &kubernetes.ProviderArgs{})
		if err != nil {
			return err
		}
		args := &deviceplugin.Args{Version: "0.17.1", Provider: provider, DependsOn: []pulumi.Resource{nodes}}
		if edit != nil {
			edit(args)
		}
		_, err = deviceplugin.New(ctx, "gpu", args)
		return err
	})
}

// release is the component's one Helm release.
func release(t *testing.T, edit func(*deviceplugin.Args)) (*mocks.Recording, mocks.Resource) {
	t.Helper()
	rec, err := deploy(t, edit)
	require.NoError(t, err)
	r, err := rec.One(pulumik8s.ReleaseType, "gpu-release")
	require.NoError(t, err)
	return rec, r
}

func TestNewRejectsInvalidArgs(t *testing.T) {
	cases := []struct {
		name string
		edit func(*deviceplugin.Args)
		want string
	}{
		{"no version", func(a *deviceplugin.Args) { a.Version = "" }, "deviceplugin: Args.Version is required"},
		{"no provider", func(a *deviceplugin.Args) { a.Provider = nil }, "deviceplugin: Args.Provider is required"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec, err := deploy(t, tc.edit)
			require.ErrorContains(t, err, tc.want)
			require.Empty(t, rec.ByType(mocks.TypeDevicePluginComponent), "invalid args declare nothing")
			require.Empty(t, rec.ByType(pulumik8s.ReleaseType), "invalid args declare nothing")
		})
	}
}

func TestNewRejectsNilArgs(t *testing.T) {
	_, err := mocks.RunFunc("karpenter-savings", "dev", func(ctx *pulumi.Context) error {
		_, err := deviceplugin.New(ctx, "gpu", nil)
		return err
	})
	require.ErrorContains(t, err, "deviceplugin: args are required")
}

func TestReleaseInstallsNvidiasChart(t *testing.T) {
	rec, r := release(t, nil)
	require.Equal(t, "nvidia-device-plugin", r.Inputs["name"])
	require.Equal(t, "nvidia-device-plugin", r.Inputs["chart"])
	require.Equal(t, "0.17.1", r.Inputs["version"])
	require.Equal(t, map[string]any{"repo": "https://nvidia.github.io/k8s-device-plugin"}, r.Inputs["repositoryOpts"])
	require.Equal(t, "kube-system", r.Inputs["namespace"], "default namespace")

	k8s, err := rec.One(mocks.TypeKubernetesProvider, "k8s")
	require.NoError(t, err)
	nodes, err := rec.One(mocks.TypeKubernetesProvider, "nodes")
	require.NoError(t, err)
	component, err := rec.One(mocks.TypeDevicePluginComponent, "gpu")
	require.NoError(t, err)
	require.Equal(t, k8s.URN, r.Provider, "the release uses the cluster's provider")
	require.Equal(t, component.URN, r.Parent)
	require.Contains(t, r.Dependencies, nodes.URN, "the release waits for what Args.DependsOn names")
}

func TestNamespaceOverridesTheDefault(t *testing.T) {
	_, r := release(t, func(a *deviceplugin.Args) { a.Namespace = "gpu-operator" })
	require.Equal(t, "gpu-operator", r.Inputs["namespace"])
}

// GPU nodes advertise nvidia.com/gpu only through NVIDIA's device plugin; without it a GPU pod would wait forever
// on the node Karpenter launched for it.
func TestValuesPlaceThePluginOnNvidiaNodes(t *testing.T) {
	_, r := release(t, nil)
	values := r.Inputs["values"].(map[string]any)
	require.Equal(t, []any{map[string]any{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}}, values["tolerations"],
		"it must run on nodes carrying the GPU pool's taint")
	terms := values["affinity"].(map[string]any)["nodeAffinity"].(map[string]any)["requiredDuringSchedulingIgnoredDuringExecution"].(map[string]any)["nodeSelectorTerms"]
	require.Equal(t, []any{map[string]any{"matchExpressions": []any{map[string]any{
		"key": "karpenter.k8s.aws/instance-gpu-manufacturer", "operator": "In", "values": []any{"nvidia"},
	}}}}, terms)
	require.Equal(t, deviceplugin.Values(), values, "the release gets Values, whole")
}
