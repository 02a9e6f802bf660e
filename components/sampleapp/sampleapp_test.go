package sampleapp_test

import (
	"sync"
	"testing"

	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/clients"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/karpenter-savings/karpenter-savings/components/sampleapp"
	"github.com/karpenter-savings/karpenter-savings/internal/mockcloud"
	"github.com/karpenter-savings/karpenter-savings/internal/mockcloud/yamlv2"
)

const (
	configFileType = "kubernetes:yaml/v2:ConfigFile"
	serviceType    = "kubernetes:core/v1:Service"
	namespaceType  = "kubernetes:core/v1:Namespace"
	providerType   = "pulumi:providers:kubernetes"
	componentType  = "karpenter-savings:index:SampleApp"
)

// recorder adds to mockcloud's recording the id of every read.
type recorder struct {
	*mockcloud.Mocks
	mu  sync.Mutex
	ids map[string]string
}

func (r *recorder) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	r.mu.Lock()
	r.ids[args.Name] = args.ID
	r.mu.Unlock()
	return r.Mocks.NewResource(args)
}

type result struct {
	mocks              *recorder
	address, namespace string
}

// run declares a stand-in for the node pools and the component; dryRun makes it a preview.
func run(t *testing.T, args sampleapp.Args, dryRun bool) (result, error) {
	t.Helper()
	res := result{mocks: &recorder{Mocks: mockcloud.New("us-east-1"), ids: map[string]string{}}}
	yamlv2.Option()(res.mocks.Mocks)
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		pools, err := kubernetes.NewProvider(ctx, "pools", &kubernetes.ProviderArgs{})
		if err != nil {
			return err
		}
		args.Kubeconfig = pulumi.String(mockcloud.Kubeconfig("test", "us-east-1"))
		args.DependsOn = []pulumi.Resource{pools}
		app, err := sampleapp.New(ctx, "app", &args)
		if err != nil {
			return err
		}
		app.UIServiceAddress.ApplyT(func(a string) string { res.address = a; return a })
		app.Namespace.ApplyT(func(n string) string { res.namespace = n; return n })
		return nil
	}, pulumi.WithMocks("karpenter-savings", "test", res.mocks), func(info *pulumi.RunInfo) { info.DryRun = dryRun })
	if err != nil {
		return res, err
	}
	return res, res.mocks.Construct("karpenter-savings", "test")
}

// urnOf returns the URN of the one recorded resource of a type and name.
func urnOf(t *testing.T, rec *mockcloud.Recording, token, name string) string {
	t.Helper()
	r, ok := rec.Named(token, name)
	require.Truef(t, ok, "expected a %s named %s", token, name)
	return r.URN
}

func TestManifestFromPinnedRelease(t *testing.T) {
	res, err := run(t, sampleapp.Args{ManifestURL: sampleapp.ReleaseManifestURL}, false)
	require.NoError(t, err)
	rec := res.mocks.Recording
	files := rec.ByType(configFileType)
	require.Len(t, files, 1, "expected one ConfigFile")
	require.Equal(t, sampleapp.ReleaseManifestURL, files[0].Inputs["file"], "ConfigFile file")
	require.Equal(t, urnOf(t, rec, componentType, "app"), files[0].Parent, "ConfigFile parent")
	require.ElementsMatch(t, []string{urnOf(t, rec, namespaceType, "app-namespace"), urnOf(t, rec, providerType, "pools")},
		files[0].Dependencies, "expected the ConfigFile to depend on its namespace and the node pools")
}

// yaml/v2 gives a namespaced object without a namespace its provider's default namespace before any transform
// runs, so the component's own provider must carry the application's namespace.
func TestManifestAppliedThroughAProviderInTheAppNamespace(t *testing.T) {
	res, err := run(t, sampleapp.Args{ManifestURL: sampleapp.ReleaseManifestURL}, false)
	require.NoError(t, err)
	rec := res.mocks.Recording
	provider, ok := rec.Named(providerType, "app-k8s")
	require.True(t, ok, "expected the component's own Kubernetes provider")
	require.Equal(t, sampleapp.DefaultNamespace, provider.Inputs["namespace"], "provider default namespace")
	for _, token := range []string{configFileType, namespaceType, serviceType} {
		for _, r := range rec.ByType(token) {
			require.Equalf(t, provider.URN, r.Provider, "%s %s must use the app's provider", token, r.Name)
		}
	}
}

func TestEveryNamespacedObjectLandsInTheAppNamespace(t *testing.T) {
	res, err := run(t, sampleapp.Args{ManifestURL: sampleapp.ReleaseManifestURL}, false)
	require.NoError(t, err)
	rec := res.mocks.Recording
	file := rec.ByType(configFileType)[0]
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
	_, ok := rec.Named(serviceType, "app-manifest:retail-store/ui")
	require.True(t, ok, "the ui Service the component reads back is in the manifest, in the app's namespace")
}

func TestNamespace(t *testing.T) {
	cases := []struct{ name, arg, want string }{
		{"default", "", sampleapp.DefaultNamespace},
		{"given", "shop", "shop"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := run(t, sampleapp.Args{ManifestURL: sampleapp.ReleaseManifestURL, Namespace: tc.arg}, false)
			require.NoError(t, err)
			ns, ok := res.mocks.Recording.Named(namespaceType, "app-namespace")
			require.True(t, ok, "expected a Namespace")
			require.Equal(t, map[string]any{"name": tc.want}, ns.Inputs["metadata"], "Namespace metadata")
			require.Equal(t, tc.want, res.namespace, "Namespace output")
			require.Equal(t, tc.want+"/ui", res.mocks.ids["app-ui"], "expected the ui Service read in the namespace")
		})
	}
}

func TestUIServiceAddress(t *testing.T) {
	res, err := run(t, sampleapp.Args{ManifestURL: sampleapp.ReleaseManifestURL}, false)
	require.NoError(t, err)
	r, ok := res.mocks.Recording.Named(serviceType, "app-ui")
	require.True(t, ok && r.Read, "expected the ui Service to be read")
	read, _ := res.mocks.Recording.Named(serviceType, "app-ui")
	require.Equal(t, []string{urnOf(t, res.mocks.Recording, configFileType, "app-manifest")}, read.Dependencies, "expected the read to wait for the manifest")
	require.Equal(t, mockcloud.UIServiceHostname, res.address, "UIServiceAddress")
}

func TestPreviewDoesNotReadTheService(t *testing.T) {
	res, err := run(t, sampleapp.Args{ManifestURL: sampleapp.ReleaseManifestURL}, true)
	require.NoError(t, err)
	_, read := res.mocks.Recording.Named(serviceType, "app-ui")
	require.False(t, read, "expected no Service read during preview")
	require.Empty(t, res.address, "expected UIServiceAddress to stay unknown during preview")
}

func TestRejectsArgs(t *testing.T) {
	cases := []struct {
		name, url, want string
	}{
		{"no url", "", "Args.ManifestURL is required"},
		{"plain http", "http://example.com/kubernetes.yaml", `Args.ManifestURL: "http://example.com/kubernetes.yaml" is not an https URL`},
		{"latest release", "https://github.com/aws-containers/retail-store-sample-app/releases/latest/download/kubernetes.yaml",
			`follows "latest", which moves; pin a release`},
		{"main branch", "https://raw.githubusercontent.com/aws-containers/retail-store-sample-app/main/dist/kubernetes.yaml",
			`follows "main", which moves; pin a release`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := run(t, sampleapp.Args{ManifestURL: tc.url}, false)
			require.ErrorContains(t, err, tc.want)
			require.Empty(t, res.mocks.Recording.ByType(configFileType), "expected nothing declared")
		})
	}
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

func TestEveryContainerOfTheManifestGetsRequests(t *testing.T) {
	res, err := run(t, sampleapp.Args{ManifestURL: sampleapp.ReleaseManifestURL, DefaultCPURequest: "300m", DefaultMemoryRequest: "384Mi"}, false)
	require.NoError(t, err)
	rec := res.mocks.Recording
	requests := map[string]any{}
	for _, token := range []string{"kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet"} {
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

func TestDefaultRequestsLeavesLimitsAndOtherKindsAlone(t *testing.T) {
	transform := sampleapp.DefaultRequests("250m", "512Mi")
	container := pulumi.Map{"name": pulumi.String("app"), "resources": pulumi.Map{"limits": pulumi.Map{"memory": pulumi.String("128Mi")}}}
	props := pulumi.Map{
		"kind": pulumi.String("Deployment"),
		"spec": pulumi.Map{"template": pulumi.Map{"spec": pulumi.Map{"containers": pulumi.Array{container}}}},
	}
	out := transform(t.Context(), &pulumi.ResourceTransformArgs{Type: "kubernetes:apps/v1:Deployment", Props: props})
	require.NotNil(t, out)
	resources := container["resources"].(pulumi.Map)
	require.Equal(t, pulumi.Map{"cpu": pulumi.String("250m")}, resources["requests"], "a memory limit alone gives the request (Kubernetes copies it); only CPU is added")

	require.Nil(t, transform(t.Context(), &pulumi.ResourceTransformArgs{Props: pulumi.Map{"kind": pulumi.String("ConfigMap")}}), "objects without a pod spec pass unchanged")
	done := pulumi.Map{"name": pulumi.String("app"), "resources": pulumi.Map{"requests": pulumi.Map{"cpu": pulumi.String("1"), "memory": pulumi.String("1Gi")}}}
	props = pulumi.Map{"kind": pulumi.String("StatefulSet"), "spec": pulumi.Map{"template": pulumi.Map{"spec": pulumi.Map{"containers": pulumi.Array{done}}}}}
	require.Nil(t, transform(t.Context(), &pulumi.ResourceTransformArgs{Props: props}), "containers with requests pass unchanged")
}
