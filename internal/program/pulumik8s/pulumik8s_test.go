package pulumik8s_test

import (
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"

	"github.com/karpenter-savings/karpenter-savings/internal/program/pulumik8s"
)

// recorder is a mock that keeps every registration and answers with its inputs.
type recorder struct {
	mu         sync.Mutex
	registered map[string]pulumi.MockResourceArgs
}

func (r *recorder) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.registered[args.Name] = args
	return args.Name + "-id", args.Inputs, nil
}

func (*recorder) Call(pulumi.MockCallArgs) (resource.PropertyMap, error) {
	return resource.PropertyMap{}, nil
}

// run runs program under mocks and returns what it registered, by name.
func run(t *testing.T, program pulumi.RunFunc) map[string]pulumi.MockResourceArgs {
	t.Helper()
	rec := &recorder{registered: map[string]pulumi.MockResourceArgs{}}
	require.NoError(t, pulumi.RunErr(program, pulumi.WithMocks("project", "stack", rec)))
	return rec.registered
}

// fullReleaseArgs sets every field of ReleaseArgs but Compat.
func fullReleaseArgs() *pulumik8s.ReleaseArgs {
	return &pulumik8s.ReleaseArgs{
		Name:           pulumi.String("plugin"),
		Chart:          pulumi.String("nvidia-device-plugin"),
		Version:        pulumi.String("0.17.1"),
		Namespace:      pulumi.String("kube-system"),
		RepositoryOpts: &pulumik8s.RepositoryOptsArgs{Repo: pulumi.String("https://nvidia.github.io/k8s-device-plugin")},
		Values:         pulumi.Map{"replicas": pulumi.Int(2), "nested": pulumi.Map{"on": pulumi.Bool(true)}},
		SkipCrds:       pulumi.Bool(true),
	}
}

// Every input reaches the engine under its schema name, with its value as the generated SDK marshals it, plus the
// compat "true" helm/v3's constructor always adds.
func TestReleaseInputs(t *testing.T) {
	t.Parallel()
	reg := run(t, func(ctx *pulumi.Context) error {
		_, err := pulumik8s.NewRelease(ctx, "r", fullReleaseArgs())
		return err
	})
	require.Equal(t, map[string]any{
		"name":           "plugin",
		"chart":          "nvidia-device-plugin",
		"version":        "0.17.1",
		"namespace":      "kube-system",
		"repositoryOpts": map[string]any{"repo": "https://nvidia.github.io/k8s-device-plugin"},
		"values":         map[string]any{"replicas": float64(2), "nested": map[string]any{"on": true}},
		"skipCrds":       true,
		"compat":         "true",
	}, reg["r"].Inputs.Mappable(), "release inputs: want (first), sent (second)")
}

// Unset inputs are not sent at all, as with the generated Args.
func TestReleaseOmitsUnsetInputs(t *testing.T) {
	t.Parallel()
	reg := run(t, func(ctx *pulumi.Context) error {
		_, err := pulumik8s.NewRelease(ctx, "r", &pulumik8s.ReleaseArgs{Chart: pulumi.String("oci://example/chart")})
		return err
	})
	require.Equal(t, map[string]any{"chart": "oci://example/chart", "compat": "true"}, reg["r"].Inputs.Mappable())
}

// NewRelease sends compat "true" whatever the caller set, and leaves the caller's args as they were.
func TestReleaseCompatIsAlwaysTrue(t *testing.T) {
	t.Parallel()
	args := &pulumik8s.ReleaseArgs{Chart: pulumi.String("c"), Compat: pulumi.String("false")}
	reg := run(t, func(ctx *pulumi.Context) error {
		_, err := pulumik8s.NewRelease(ctx, "r", args)
		return err
	})
	require.Equal(t, "true", reg["r"].Inputs["compat"].StringValue(), "compat sent")
	require.Equal(t, pulumi.String("false"), args.Compat, "the caller's args are not modified")
}

// The register request carries what the generated constructors' carries: the type token, custom or remote, the
// plugin version option, no download URL, and none of the options the schema could have asked for.
func TestRegisterRequests(t *testing.T) {
	t.Parallel()
	reg := run(t, func(ctx *pulumi.Context) error {
		if _, err := pulumik8s.NewRelease(ctx, "r", fullReleaseArgs()); err != nil {
			return err
		}
		_, err := pulumik8s.NewConfigFile(ctx, "f", &pulumik8s.ConfigFileArgs{File: pulumi.String("https://example.com/app.yaml")})
		return err
	})
	tests := []struct {
		name, token    string
		custom, remote bool
	}{
		{"r", pulumik8s.ReleaseType, true, false},
		{"f", pulumik8s.ConfigFileType, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.token, func(t *testing.T) {
			rpc := reg[tt.name].RegisterRPC
			require.NotNil(t, rpc, "register request of %s", tt.name)
			require.Equal(t, tt.token, rpc.GetType(), "type token")
			require.Equal(t, tt.custom, rpc.GetCustom(), "custom")
			require.Equal(t, tt.remote, rpc.GetRemote(), "remote")
			require.Equal(t, pulumik8s.PluginVersion, rpc.GetVersion(), "plugin version")
			require.Empty(t, rpc.GetPluginDownloadURL(), "plugin download URL")
			require.Empty(t, rpc.GetAdditionalSecretOutputs(), "additional secret outputs")
			require.Empty(t, rpc.GetAliases(), "aliases")
			require.Empty(t, rpc.GetReplaceOnChanges(), "replace on changes")
			require.Truef(t, strings.HasSuffix(rpc.GetSourcePosition().GetUri(), "/pulumik8s_test.go"),
				"source position: want the constructor's caller, got %s", rpc.GetSourcePosition().GetUri())
		})
	}
	require.Equal(t, map[string]any{"file": "https://example.com/app.yaml"}, reg["f"].Inputs.Mappable(), "config file inputs")
}

// The plugin version goes before the caller's options, as PkgResourceDefaultOpts puts it: a caller's Version wins.
func TestCallerOptionsComeAfterTheDefaults(t *testing.T) {
	t.Parallel()
	reg := run(t, func(ctx *pulumi.Context) error {
		_, err := pulumik8s.NewRelease(ctx, "r", fullReleaseArgs(), pulumi.Version("9.9.9"))
		return err
	})
	require.Equal(t, "9.9.9", reg["r"].RegisterRPC.GetVersion())
}

func TestReleaseVersionOutput(t *testing.T) {
	t.Parallel()
	var got *string
	run(t, func(ctx *pulumi.Context) error {
		r, err := pulumik8s.NewRelease(ctx, "r", fullReleaseArgs())
		if err != nil {
			return err
		}
		r.Version.ApplyT(func(v *string) *string { got = v; return v })
		return nil
	})
	require.NotNil(t, got, "version output resolved")
	require.Equal(t, "0.17.1", *got, "version output")
}

func TestRequiredArgs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		declare func(ctx *pulumi.Context) error
		want    string
	}{
		{"release without args", func(ctx *pulumi.Context) error {
			_, err := pulumik8s.NewRelease(ctx, "r", nil)
			return err
		}, "ReleaseArgs are required"},
		{"release without chart", func(ctx *pulumi.Context) error {
			_, err := pulumik8s.NewRelease(ctx, "r", &pulumik8s.ReleaseArgs{Name: pulumi.String("n")})
			return err
		}, "ReleaseArgs.Chart is required"},
		{"config file without args", func(ctx *pulumi.Context) error {
			_, err := pulumik8s.NewConfigFile(ctx, "f", nil)
			return err
		}, "ConfigFileArgs are required"},
		{"config file without file", func(ctx *pulumi.Context) error {
			_, err := pulumik8s.NewConfigFile(ctx, "f", &pulumik8s.ConfigFileArgs{})
			return err
		}, "ConfigFileArgs.File is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := &recorder{registered: map[string]pulumi.MockResourceArgs{}}
			err := pulumi.RunErr(tt.declare, pulumi.WithMocks("project", "stack", rec))
			require.ErrorContains(t, err, tt.want)
			require.Empty(t, rec.registered, "nothing registered")
		})
	}
}

// The reason for this package: the program must not link the SDK's helm/v3 or yaml/v2, which import every generated
// API-group package of pulumi-kubernetes.
func TestProgramDoesNotImportHelmV3OrYAMLV2(t *testing.T) {
	t.Parallel()
	const program = "github.com/karpenter-savings/karpenter-savings"
	out, err := exec.Command("go", "list", "-deps", program).Output()
	require.NoError(t, err, "go list -deps %s", program)
	for _, pkg := range []string{
		"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v3",
		"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/yaml/v2",
	} {
		require.NotContainsf(t, strings.Fields(string(out)), pkg, "the program imports %s; declare through pulumik8s", pkg)
	}
}
