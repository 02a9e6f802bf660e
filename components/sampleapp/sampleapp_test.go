package sampleapp_test

import (
	"context"
	"sync"
	"testing"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"

	"github.com/karpenter-savings/karpenter-savings/components/sampleapp"
	"github.com/karpenter-savings/karpenter-savings/internal/mockcloud"
)

const (
	configFileType = "kubernetes:yaml/v2:ConfigFile"
	serviceType    = "kubernetes:core/v1:Service"
	namespaceType  = "kubernetes:core/v1:Namespace"
)

// recorder adds to mockcloud's recording the number of transforms of every resource and the id and dependencies
// of every read.
type recorder struct {
	*mockcloud.Mocks
	mu         sync.Mutex
	transforms map[string]int
	ids        map[string]string
	readDeps   map[string][]string
}

func (r *recorder) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	r.mu.Lock()
	r.transforms[args.Name] = len(args.Transforms)
	r.ids[args.Name] = args.ID
	if args.ReadRPC != nil {
		for _, dep := range args.ReadRPC.GetDependencies() {
			r.readDeps[args.Name] = append(r.readDeps[args.Name], mockcloud.NameOf(dep))
		}
	}
	r.mu.Unlock()
	return r.Mocks.NewResource(args)
}

type result struct {
	mocks              *recorder
	address, namespace string
}

// run declares a provider, a stand-in for the node pools and the component; dryRun makes it a preview.
func run(t *testing.T, args sampleapp.Args, dryRun bool) (result, error) {
	t.Helper()
	res := result{mocks: &recorder{Mocks: mockcloud.New("us-east-1"), transforms: map[string]int{}, ids: map[string]string{},
		readDeps: map[string][]string{}}}
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		provider, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{})
		if err != nil {
			return err
		}
		pools, err := kubernetes.NewProvider(ctx, "pools", &kubernetes.ProviderArgs{})
		if err != nil {
			return err
		}
		args.Provider = provider
		args.DependsOn = []pulumi.Resource{pools}
		app, err := sampleapp.New(ctx, "app", &args)
		if err != nil {
			return err
		}
		app.UIServiceAddress.ApplyT(func(a string) string { res.address = a; return a })
		app.Namespace.ApplyT(func(n string) string { res.namespace = n; return n })
		return nil
	}, pulumi.WithMocks("karpenter-savings", "test", res.mocks), func(info *pulumi.RunInfo) { info.DryRun = dryRun })
	return res, err
}

func TestManifestFromPinnedRelease(t *testing.T) {
	res, err := run(t, sampleapp.Args{ManifestURL: sampleapp.ReleaseManifestURL}, false)
	require.NoError(t, err)
	files := res.mocks.Recording.ByType(configFileType)
	require.Len(t, files, 1, "expected one ConfigFile")
	require.Equal(t, sampleapp.ReleaseManifestURL, files[0].Inputs["file"], "ConfigFile file")
	require.Equal(t, "app", files[0].Parent, "ConfigFile parent")
	require.Equal(t, []string{"app-namespace", "pools"}, files[0].Dependencies,
		"expected the ConfigFile to depend on its namespace and the node pools")
	require.Equal(t, 1, res.mocks.transforms["app-manifest"], "expected the namespace transform on the ConfigFile")
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
	_, ok := res.mocks.Recording.Named(serviceType, "app-ui")
	require.True(t, ok, "expected the ui Service to be read")
	require.Equal(t, []string{"app-manifest"}, res.mocks.readDeps["app-ui"], "expected the read to wait for the manifest")
	require.Equal(t, mockcloud.UIServiceHostname, res.address, "UIServiceAddress")
}

func TestPreviewDoesNotReadTheService(t *testing.T) {
	res, err := run(t, sampleapp.Args{ManifestURL: sampleapp.ReleaseManifestURL}, true)
	require.NoError(t, err)
	require.Empty(t, res.mocks.Recording.ByType(serviceType), "expected no Service read during preview")
	require.Empty(t, res.address, "expected UIServiceAddress to stay unknown during preview")
}

func TestRejectsArgs(t *testing.T) {
	cases := []struct {
		name, url, want string
	}{
		{"no url", "", "Args.ManifestURL is required"},
		{"plain http", "http://example.com/kubernetes.yaml", `Args.ManifestURL = "http://example.com/kubernetes.yaml": want an https URL`},
		{"latest release", "https://github.com/aws-containers/retail-store-sample-app/releases/latest/download/kubernetes.yaml",
			`"latest" moves; pin a release`},
		{"main branch", "https://raw.githubusercontent.com/aws-containers/retail-store-sample-app/main/dist/kubernetes.yaml",
			`"main" moves; pin a release`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := run(t, sampleapp.Args{ManifestURL: tc.url}, false)
			require.ErrorContains(t, err, tc.want)
			require.Empty(t, res.mocks.Recording.ByType(configFileType), "expected nothing declared")
		})
	}
}

func TestInNamespace(t *testing.T) {
	transform := sampleapp.InNamespace("retail-store")
	cases := []struct {
		name          string
		args          pulumi.ResourceTransformArgs
		wantNamespace pulumi.Input // nil: expect no change
	}{
		{
			name: "namespaced object without namespace",
			args: pulumi.ResourceTransformArgs{Custom: true, Type: serviceType,
				Props: pulumi.Map{"metadata": pulumi.Map{"name": pulumi.String("ui")}, "spec": pulumi.Map{}}},
			wantNamespace: pulumi.String("retail-store"),
		},
		{
			name: "object with its own namespace",
			args: pulumi.ResourceTransformArgs{Custom: true, Type: "kubernetes:apps/v1:Deployment",
				Props: pulumi.Map{"metadata": pulumi.Map{"name": pulumi.String("ui"), "namespace": pulumi.String("other")}}},
		},
		{
			name: "cluster-scoped object",
			args: pulumi.ResourceTransformArgs{Custom: true, Type: "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
				Props: pulumi.Map{"metadata": pulumi.Map{"name": pulumi.String("reader")}}},
		},
		{
			name: "the ConfigFile component itself",
			args: pulumi.ResourceTransformArgs{Custom: false, Type: configFileType, Props: pulumi.Map{}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := transform(context.Background(), &tc.args)
			if tc.wantNamespace == nil {
				require.Nil(t, got, "expected no transformation")
				return
			}
			require.NotNil(t, got, "expected a transformation")
			meta := got.Props["metadata"].(pulumi.Map)
			require.Equal(t, tc.wantNamespace, meta["namespace"], "namespace")
			require.Equal(t, pulumi.String("ui"), meta["name"], "expected the name kept")
			require.Equal(t, pulumi.Map{}, got.Props["spec"], "expected the other properties kept")
			_, touched := tc.args.Props["metadata"].(pulumi.Map)["namespace"]
			require.False(t, touched, "expected the original properties left alone")
		})
	}
}
