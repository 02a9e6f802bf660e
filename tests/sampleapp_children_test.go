package tests

import (
	"testing"

	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/clients"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/karpenter-savings/karpenter-savings/components/sampleapp"
	"github.com/karpenter-savings/karpenter-savings/internal/offline/mocks"
	"github.com/karpenter-savings/karpenter-savings/internal/offline/mocks/yamlv2"
	"github.com/karpenter-savings/karpenter-savings/internal/program/config"
	"github.com/karpenter-savings/karpenter-savings/internal/program/pulumik8s"
)

// The sample-app component's tests that need the ConfigFile's children, which pulumi-kubernetes' yaml/v2 code
// registers (internal/offline/mocks/yamlv2): they live here, in the one test binary that links that code with the
// stack, rather than in components/sampleapp, whose other tests then link no engine.

// runSampleApp declares a stand-in for the node pools and the component under the offline mocks, with the
// ConfigFile's children registered by pulumi-kubernetes' yaml/v2 code, and returns the recording.
func runSampleApp(t *testing.T, args sampleapp.Args) *mocks.Recording {
	t.Helper()
	rec, err := mocks.RunFunc(config.Project, "test", func(ctx *pulumi.Context) error {
		pools, err := kubernetes.NewProvider(ctx, "pools", &kubernetes.ProviderArgs{})
		if err != nil {
			return err
		}
		args.Kubeconfig = pulumi.String(mocks.Kubeconfig("test", mocks.DefaultRegion))
		args.DependsOn = []pulumi.Resource{pools}
		_, err = sampleapp.New(ctx, "app", &args)
		return err
	}, yamlv2.Option())
	require.NoError(t, err)
	return rec
}

// yaml/v2 gives a namespaced object without a namespace its provider's default namespace before any transform
// runs, so the component's own provider must carry the application's namespace.
func TestManifestAppliedThroughAProviderInTheAppNamespace(t *testing.T) {
	rec := runSampleApp(t, sampleapp.Args{ManifestURL: sampleapp.ReleaseManifestURL})
	provider, ok := rec.Named(mocks.TypeKubernetesProvider, "app-k8s")
	require.True(t, ok, "expected the component's own Kubernetes provider")
	require.Equal(t, sampleapp.DefaultNamespace, provider.Inputs["namespace"], "provider default namespace")
	for _, token := range []string{pulumik8s.ConfigFileType, mocks.TypeNamespace, mocks.TypeService} {
		for _, r := range rec.ByType(token) {
			require.Equalf(t, provider.URN, r.Provider, "%s %s must use the app's provider", token, r.Name)
		}
	}
}

func TestEveryNamespacedObjectLandsInTheAppNamespace(t *testing.T) {
	rec := runSampleApp(t, sampleapp.Args{ManifestURL: sampleapp.ReleaseManifestURL})
	file := rec.ByType(pulumik8s.ConfigFileType)[0]
	var children int
	for _, r := range rec.Resources {
		if r.Parent != file.URN {
			continue
		}
		children++
		kind := r.Inputs["kind"].(string)
		obj := unstructured.Unstructured{Object: r.Inputs}
		namespaced, err := clients.IsNamespacedKind(obj.GroupVersionKind(), &clients.DynamicClientSet{})
		require.NoError(t, err, "the sample app holds only kinds pulumi-kubernetes knows offline")
		require.Truef(t, namespaced, "the sample app holds only namespaced kinds; got %s", kind)
		meta := r.Inputs["metadata"].(map[string]any)
		require.Equalf(t, sampleapp.DefaultNamespace, meta["namespace"], "%s %s lands in %v", kind, meta["name"], meta["namespace"])
		require.Equalf(t, "app-manifest:retail-store/"+meta["name"].(string), r.Name, "yaml/v2 names children <prefix>:<namespace>/<name>")
	}
	require.Equal(t, 33, children, "objects of the v1.3.0 manifest: 7 Deployments, 3 StatefulSets, 10 Services, 5 ConfigMaps, 5 ServiceAccounts, 3 Secrets")
	_, ok := rec.Named(mocks.TypeService, "app-manifest:retail-store/ui")
	require.True(t, ok, "the ui Service the component reads back is in the manifest, in the app's namespace")
}

func TestEveryContainerOfTheManifestGetsRequests(t *testing.T) {
	rec := runSampleApp(t, sampleapp.Args{ManifestURL: sampleapp.ReleaseManifestURL, DefaultCPURequest: "300m", DefaultMemoryRequest: "384Mi"})
	requests := map[string]any{}
	for _, token := range []string{mocks.TypeDeployment, mocks.TypeStatefulSet} {
		for _, r := range rec.ByType(token) {
			for _, c := range containersOf(r.Inputs) {
				resources, _ := c["resources"].(map[string]any)
				req, _ := resources["requests"].(map[string]any)
				require.NotEmptyf(t, req["cpu"], "%s %s container %s has a CPU request", token, r.Name, c["name"])
				require.NotEmptyf(t, req["memory"], "%s %s container %s has a memory request", token, r.Name, c["name"])
				requests[r.Name+"/"+c["name"].(string)] = req
			}
		}
	}
	require.Len(t, requests, 10, "7 Deployments and 3 StatefulSets, one container each")
	// The release sets none for its databases, queue and cache: the component's defaults apply.
	for _, c := range []string{"catalog-mysql/mysql", "orders-postgresql/postgresql", "orders-rabbitmq/rabbitmq", "carts-dynamodb/dynamodb", "checkout-redis/redis"} {
		require.Equal(t, map[string]any{"cpu": "300m", "memory": "384Mi"}, requests["app-manifest:retail-store/"+c], c)
	}
	// The services' own requests stay as the release sets them.
	require.Equal(t, map[string]any{"cpu": "256m", "memory": "256Mi"}, requests["app-manifest:retail-store/catalog/catalog"])
}

// containersOf returns the containers of a workload object's pod template.
func containersOf(obj map[string]any) []map[string]any {
	spec, _ := obj["spec"].(map[string]any)
	template, _ := spec["template"].(map[string]any)
	podSpec, _ := template["spec"].(map[string]any)
	var out []map[string]any
	for _, list := range []string{"containers", "initContainers"} {
		items, _ := podSpec[list].([]any)
		for _, c := range items {
			out = append(out, c.(map[string]any))
		}
	}
	return out
}
