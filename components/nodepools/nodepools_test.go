package nodepools_test

import (
	"testing"
	"time"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"

	"github.com/karpenter-savings/karpenter-savings/components/nodepools"
	"github.com/karpenter-savings/karpenter-savings/internal/offline/mocks"
	"github.com/karpenter-savings/karpenter-savings/internal/offline/mocks/mockstest"
	"github.com/karpenter-savings/karpenter-savings/internal/program/poolspec"
	"github.com/karpenter-savings/karpenter-savings/internal/program/poolspec/poolspectest"
	"github.com/karpenter-savings/karpenter-savings/internal/program/pulumik8s"
)

func labSet(t *testing.T) *poolspec.Set {
	t.Helper()
	set, err := poolspec.Build(poolspectest.Options())
	require.NoError(t, err, "poolspec.Build")
	return set
}

// run declares a Kubernetes provider, a stand-in Karpenter release and the component under mocks, and returns the
// recording and the component's Names output.
func run(t *testing.T, set *poolspec.Set) (*mocks.Recording, []any, error) {
	t.Helper()
	rec, err := mocks.Run("karpenter-savings", "test", map[string]string{"aws:region": mocks.DefaultRegion},
		func(ctx *pulumi.Context) (map[string]pulumi.Output, error) {
			provider, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{})
			if err != nil {
				return nil, err
			}
			release, err := pulumik8s.NewRelease(ctx, "karpenter", &pulumik8s.ReleaseArgs{
				Chart: pulumi.String("oci://public.ecr.aws/karpenter/karpenter"), Version: pulumi.String("1.14.4"),
			}, pulumi.Provider(provider))
			if err != nil {
				return nil, err
			}
			pools, err := nodepools.New(ctx, "pools", &nodepools.Args{Set: set, Provider: provider, DependsOn: []pulumi.Resource{release}})
			if err != nil {
				return nil, err
			}
			return map[string]pulumi.Output{"names": pools.Names}, nil
		})
	names, _ := rec.Outputs["names"].([]any)
	return rec, names, err
}

// urn is the URN of the one recorded resource of token named name.
func urn(t *testing.T, rec *mocks.Recording, token, name string) string {
	t.Helper()
	return mockstest.One(t, rec, token, name).URN
}

func TestDeclaresTheSetsObjects(t *testing.T) {
	set := labSet(t)
	rec, _, err := run(t, set)
	require.NoError(t, err)
	want, err := set.Objects()
	require.NoError(t, err)
	var got []map[string]any
	for _, typ := range []string{mocks.TypeEC2NodeClass, mocks.TypeNodePool} {
		for _, res := range rec.ByType(typ) {
			got = append(got, res.Inputs)
		}
	}
	require.ElementsMatch(t, want, got, "expected the recorded inputs to be the Set's objects")
}

func TestNamesOutput(t *testing.T) {
	_, names, err := run(t, labSet(t))
	require.NoError(t, err)
	require.Equal(t, []any{poolspec.Default, poolspec.Graviton, poolspec.GPU}, names, "Names output")
}

func TestChildrenWiring(t *testing.T) {
	rec, _, err := run(t, labSet(t))
	require.NoError(t, err)
	release := urn(t, rec, pulumik8s.ReleaseType, "karpenter")
	provider := urn(t, rec, mocks.TypeKubernetesProvider, "k8s")
	defaultClass, gpuClass := urn(t, rec, mocks.TypeEC2NodeClass, "pools-ec2nodeclass-default"), urn(t, rec, mocks.TypeEC2NodeClass, "pools-ec2nodeclass-gpu")
	cases := []struct {
		typ, name string
		wantDeps  []string
	}{
		{mocks.TypeEC2NodeClass, "pools-ec2nodeclass-default", []string{release}},
		{mocks.TypeEC2NodeClass, "pools-ec2nodeclass-gpu", []string{release}},
		{mocks.TypeNodePool, "pools-nodepool-default", []string{release, defaultClass}},
		{mocks.TypeNodePool, "pools-nodepool-graviton", []string{release, defaultClass}},
		{mocks.TypeNodePool, "pools-nodepool-gpu", []string{release, gpuClass}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, ok := rec.Named(tc.typ, tc.name)
			require.True(t, ok, "expected %s %s to be declared", tc.typ, tc.name)
			require.Equal(t, urn(t, rec, mocks.TypeNodePoolsComponent, "pools"), res.Parent, "parent")
			require.ElementsMatch(t, tc.wantDeps, res.Dependencies, "dependencies")
			require.Equal(t, provider, res.Provider, "expected the k8s provider")
		})
	}
}

func TestInvalidSetDeclaresNothing(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*poolspec.Set)
		want   []string
	}{
		{
			name:   "pool references a missing class",
			mutate: func(s *poolspec.Set) { s.NodePools[1].Spec.Template.Spec.NodeClassRef.Name = "arm" },
			want:   []string{`NodePool "graviton" references EC2NodeClass "arm", which the Set does not declare`},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			set := labSet(t)
			tc.mutate(set)
			rec, _, err := run(t, set)
			require.Error(t, err)
			for _, want := range tc.want {
				require.ErrorContains(t, err, want)
			}
			var declared []string
			for _, res := range rec.Resources {
				declared = append(declared, res.Type)
			}
			require.ElementsMatch(t, []string{mocks.TypeKubernetesProvider, pulumik8s.ReleaseType}, declared,
				"expected no component and no Karpenter objects")
		})
	}
}

func TestRequiredArgs(t *testing.T) {
	cases := []struct {
		name string
		args func(provider pulumi.ProviderResource) *nodepools.Args
		want string
	}{
		{"nil args", func(pulumi.ProviderResource) *nodepools.Args { return nil }, "nodepools: args are required"},
		{"no set", func(p pulumi.ProviderResource) *nodepools.Args { return &nodepools.Args{Provider: p} }, "Args.Set is required"},
		{"no provider", func(pulumi.ProviderResource) *nodepools.Args { return &nodepools.Args{Set: &poolspec.Set{}} },
			"Args.Provider is required"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := mocks.RunFunc("karpenter-savings", "test", func(ctx *pulumi.Context) error {
				provider, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{})
				if err != nil {
					return err
				}
				_, err = nodepools.New(ctx, "pools", tc.args(provider))
				return err
			})
			require.ErrorContains(t, err, tc.want)
		})
	}
}

// Each NodePool's delete waits for its nodes' drain (its terminationGracePeriod) plus DrainMargin, not
// pulumi-kubernetes' 10 minutes; each EC2NodeClass's for the longest drain of the pools that use it.
func TestDeletesWaitForTheDrain(t *testing.T) {
	opts := poolspectest.Options()
	opts.Default.TerminationGracePeriod = 2 * time.Hour
	opts.Graviton.TerminationGracePeriod = 30 * time.Minute
	// The GPU pool keeps the default period.
	set, err := poolspec.Build(opts)
	require.NoError(t, err)
	rec, _, err := run(t, set)
	require.NoError(t, err)
	for _, tc := range []struct {
		typ, name, want string
	}{
		{mocks.TypeNodePool, "pools-nodepool-default", "2h15m0s"},
		{mocks.TypeNodePool, "pools-nodepool-graviton", "45m0s"},
		{mocks.TypeNodePool, "pools-nodepool-gpu", "24h15m0s"},
		{mocks.TypeEC2NodeClass, "pools-ec2nodeclass-default", "2h15m0s"}, // the longer of default's and graviton's
		{mocks.TypeEC2NodeClass, "pools-ec2nodeclass-gpu", "24h15m0s"},
	} {
		res := mockstest.One(t, rec, tc.typ, tc.name)
		require.Equal(t, tc.want, res.DeleteTimeout, "%s's delete timeout (by URN %s)", tc.name, res.URN)
	}
	require.Equal(t, "2h0m0s", mockstest.One(t, rec, mocks.TypeNodePool, "pools-nodepool-default").Inputs["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)["terminationGracePeriod"],
		"the NodePool carries the period its timeout is built from")
}

// A NodePool without a terminationGracePeriod drains for as long as its pods take: no timeout covers that.
func TestAPoolWithoutAGracePeriodIsRefused(t *testing.T) {
	set := labSet(t)
	set.NodePools[0].Spec.Template.Spec.TerminationGracePeriod = ""
	rec, _, err := run(t, set)
	require.ErrorContains(t, err, `NodePool "default" has terminationGracePeriod "": a positive duration is required`)
	require.Empty(t, rec.ByType(mocks.TypeNodePool))
}
