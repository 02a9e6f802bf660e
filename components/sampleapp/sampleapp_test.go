package sampleapp_test

import (
	"testing"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"

	"github.com/karpenter-savings/karpenter-savings/components/sampleapp"
	"github.com/karpenter-savings/karpenter-savings/internal/offline/mocks"
	"github.com/karpenter-savings/karpenter-savings/internal/offline/mocks/mockstest"
	"github.com/karpenter-savings/karpenter-savings/internal/program/pulumik8s"
)

type result struct {
	rec                *mocks.Recording
	address, namespace string
}

// run declares a stand-in for the node pools and the component; dryRun makes it a preview.
func run(t *testing.T, args sampleapp.Args, dryRun bool) (result, error) {
	t.Helper()
	var opts []mocks.Option
	if dryRun {
		opts = append(opts, mocks.WithDryRun())
	}
	rec, err := mocks.Run("karpenter-savings", "test", map[string]string{"aws:region": mocks.DefaultRegion},
		func(ctx *pulumi.Context) (map[string]pulumi.Output, error) {
			pools, err := kubernetes.NewProvider(ctx, "pools", &kubernetes.ProviderArgs{})
			if err != nil {
				return nil, err
			}
			args.Kubeconfig = pulumi.String(mocks.Kubeconfig("test", mocks.DefaultRegion))
			args.DependsOn = []pulumi.Resource{pools}
			app, err := sampleapp.New(ctx, "app", &args)
			if err != nil {
				return nil, err
			}
			return map[string]pulumi.Output{"address": app.UIServiceAddress, "namespace": app.Namespace}, nil
		}, opts...)
	res := result{rec: rec}
	res.address, _ = rec.Outputs["address"].(string)
	res.namespace, _ = rec.Outputs["namespace"].(string)
	return res, err
}

// urnOf returns the URN of the one recorded resource of a type and name.
func urnOf(t *testing.T, rec *mocks.Recording, token, name string) string {
	t.Helper()
	return mockstest.One(t, rec, token, name).URN
}

func TestManifestFromPinnedRelease(t *testing.T) {
	res, err := run(t, sampleapp.Args{ManifestURL: sampleapp.ReleaseManifestURL}, false)
	require.NoError(t, err)
	rec := res.rec
	files := rec.ByType(pulumik8s.ConfigFileType)
	require.Len(t, files, 1, "expected one ConfigFile")
	require.Equal(t, sampleapp.ReleaseManifestURL, files[0].Inputs["file"], "ConfigFile file")
	require.Equal(t, urnOf(t, rec, mocks.TypeSampleAppComponent, "app"), files[0].Parent, "ConfigFile parent")
	require.ElementsMatch(t, []string{urnOf(t, rec, mocks.TypeNamespace, "app-namespace"), urnOf(t, rec, mocks.TypeKubernetesProvider, "pools")},
		files[0].Dependencies, "expected the ConfigFile to depend on its namespace and the node pools")
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
			ns, ok := res.rec.Named(mocks.TypeNamespace, "app-namespace")
			require.True(t, ok, "expected a Namespace")
			require.Equal(t, map[string]any{"name": tc.want}, ns.Inputs["metadata"], "Namespace metadata")
			require.Equal(t, tc.want, res.namespace, "Namespace output")
			ui, err := res.rec.One(mocks.TypeService, "app-ui")
			require.NoError(t, err)
			require.Equal(t, tc.want+"/ui", ui.ReadID, "expected the ui Service read in the namespace")
		})
	}
}

func TestUIServiceAddress(t *testing.T) {
	res, err := run(t, sampleapp.Args{ManifestURL: sampleapp.ReleaseManifestURL}, false)
	require.NoError(t, err)
	r, ok := res.rec.Named(mocks.TypeService, "app-ui")
	require.True(t, ok && r.Read, "expected the ui Service to be read")
	read, _ := res.rec.Named(mocks.TypeService, "app-ui")
	require.Equal(t, []string{urnOf(t, res.rec, pulumik8s.ConfigFileType, "app-manifest")}, read.Dependencies, "expected the read to wait for the manifest")
	require.Equal(t, mocks.UIServiceHostname, res.address, "UIServiceAddress")
}

func TestPreviewDoesNotReadTheService(t *testing.T) {
	res, err := run(t, sampleapp.Args{ManifestURL: sampleapp.ReleaseManifestURL}, true)
	require.NoError(t, err)
	_, read := res.rec.Named(mocks.TypeService, "app-ui")
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
			require.Empty(t, res.rec.ByType(pulumik8s.ConfigFileType), "expected nothing declared")
		})
	}
}

func TestDefaultRequestsLeavesLimitsAndOtherKindsAlone(t *testing.T) {
	transform := sampleapp.DefaultRequests("250m", "512Mi")
	container := pulumi.Map{"name": pulumi.String("app"), "resources": pulumi.Map{"limits": pulumi.Map{"memory": pulumi.String("128Mi")}}}
	props := pulumi.Map{
		"kind": pulumi.String("Deployment"),
		"spec": pulumi.Map{"template": pulumi.Map{"spec": pulumi.Map{"containers": pulumi.Array{container}}}},
	}
	out := transform(t.Context(), &pulumi.ResourceTransformArgs{Type: mocks.TypeDeployment, Props: props})
	require.NotNil(t, out)
	resources := container["resources"].(pulumi.Map)
	require.Equal(t, pulumi.Map{"cpu": pulumi.String("250m")}, resources["requests"], "a memory limit alone gives the request (Kubernetes copies it); only CPU is added")

	require.Nil(t, transform(t.Context(), &pulumi.ResourceTransformArgs{Props: pulumi.Map{"kind": pulumi.String("ConfigMap")}}), "objects without a pod spec pass unchanged")
	done := pulumi.Map{"name": pulumi.String("app"), "resources": pulumi.Map{"requests": pulumi.Map{"cpu": pulumi.String("1"), "memory": pulumi.String("1Gi")}}}
	props = pulumi.Map{"kind": pulumi.String("StatefulSet"), "spec": pulumi.Map{"template": pulumi.Map{"spec": pulumi.Map{"containers": pulumi.Array{done}}}}}
	require.Nil(t, transform(t.Context(), &pulumi.ResourceTransformArgs{Props: props}), "containers with requests pass unchanged")
}
