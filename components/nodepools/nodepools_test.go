package nodepools_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"

	"github.com/karpenter-savings/karpenter-savings/components/nodepools"
	"github.com/karpenter-savings/karpenter-savings/internal/offline/mocks"
	"github.com/karpenter-savings/karpenter-savings/internal/program/poolspec"
	"github.com/karpenter-savings/karpenter-savings/internal/program/poolspec/poolspectest"
	"github.com/karpenter-savings/karpenter-savings/internal/program/pulumik8s"
)

const (
	nodePoolType     = "kubernetes:karpenter.sh/v1:NodePool"
	ec2NodeClassType = "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"
)

// recorder adds the provider reference of every resource to the mocks' recording.
type recorder struct {
	*mocks.Mocks
	mu        sync.Mutex
	providers map[string]string
}

func (r *recorder) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	r.mu.Lock()
	r.providers[args.Name] = args.Provider
	r.mu.Unlock()
	return r.Mocks.NewResource(args)
}

func labSet(t *testing.T) *poolspec.Set {
	t.Helper()
	set, err := poolspec.Build(poolspectest.Options())
	require.NoError(t, err, "poolspec.Build")
	return set
}

// run declares a Kubernetes provider, a stand-in Karpenter release and the component under mocks.
func run(t *testing.T, set *poolspec.Set) (*recorder, []string, error) {
	t.Helper()
	rec := &recorder{Mocks: mocks.New("us-east-1"), providers: map[string]string{}}
	var names []string
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		provider, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{})
		if err != nil {
			return err
		}
		release, err := pulumik8s.NewRelease(ctx, "karpenter", &pulumik8s.ReleaseArgs{
			Chart: pulumi.String("oci://public.ecr.aws/karpenter/karpenter"), Version: pulumi.String("1.14.3"),
		}, pulumi.Provider(provider))
		if err != nil {
			return err
		}
		pools, err := nodepools.New(ctx, "pools", &nodepools.Args{Set: set, Provider: provider, DependsOn: []pulumi.Resource{release}})
		if err != nil {
			return err
		}
		pools.Names.ApplyT(func(n []string) []string { names = n; return n })
		return nil
	}, pulumi.WithMocks("karpenter-savings", "test", rec))
	return rec, names, err
}

func TestDeclaresTheSetsObjects(t *testing.T) {
	set := labSet(t)
	rec, _, err := run(t, set)
	require.NoError(t, err)
	want, err := set.Objects()
	require.NoError(t, err)
	var got []map[string]any
	for _, typ := range []string{ec2NodeClassType, nodePoolType} {
		for _, res := range rec.Recording.ByType(typ) {
			got = append(got, res.Inputs)
		}
	}
	require.ElementsMatch(t, want, got, "expected the recorded inputs to be the Set's objects")
}

func TestNamesOutput(t *testing.T) {
	_, names, err := run(t, labSet(t))
	require.NoError(t, err)
	require.Equal(t, []string{poolspec.Default, poolspec.Graviton, poolspec.GPU}, names, "Names output")
}

func TestChildrenWiring(t *testing.T) {
	rec, _, err := run(t, labSet(t))
	require.NoError(t, err)
	urn := func(typ, name string) string {
		res, ok := rec.Recording.Named(typ, name)
		require.True(t, ok, "expected %s %s to be declared", typ, name)
		return res.URN
	}
	release := urn("kubernetes:helm.sh/v3:Release", "karpenter")
	defaultClass, gpuClass := urn(ec2NodeClassType, "pools-ec2nodeclass-default"), urn(ec2NodeClassType, "pools-ec2nodeclass-gpu")
	cases := []struct {
		typ, name string
		wantDeps  []string
	}{
		{ec2NodeClassType, "pools-ec2nodeclass-default", []string{release}},
		{ec2NodeClassType, "pools-ec2nodeclass-gpu", []string{release}},
		{nodePoolType, "pools-nodepool-default", []string{release, defaultClass}},
		{nodePoolType, "pools-nodepool-graviton", []string{release, defaultClass}},
		{nodePoolType, "pools-nodepool-gpu", []string{release, gpuClass}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, ok := rec.Recording.Named(tc.typ, tc.name)
			require.True(t, ok, "expected %s %s to be declared", tc.typ, tc.name)
			require.Equal(t, urn("karpenter-savings:index:NodePools", "pools"), res.Parent, "parent")
			require.ElementsMatch(t, tc.wantDeps, res.Dependencies, "dependencies")
			require.True(t, strings.Contains(rec.providers[tc.name], "::k8s::"),
				"expected the k8s provider, got %q", rec.providers[tc.name])
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
			for _, res := range rec.Recording.Resources {
				declared = append(declared, res.Type)
			}
			require.ElementsMatch(t, []string{"pulumi:providers:kubernetes", "kubernetes:helm.sh/v3:Release"}, declared,
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
			err := pulumi.RunErr(func(ctx *pulumi.Context) error {
				provider, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{})
				if err != nil {
					return err
				}
				_, err = nodepools.New(ctx, "pools", tc.args(provider))
				return err
			}, pulumi.WithMocks("karpenter-savings", "test", mocks.New("us-east-1")))
			require.ErrorContains(t, err, tc.want)
		})
	}
}
