package poolspec_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	karpv1 "sigs.k8s.io/karpenter/pkg/apis/v1"
	"sigs.k8s.io/karpenter/pkg/scheduling"

	"github.com/karpenter-savings/karpenter-savings/internal/catalog"
	"github.com/karpenter-savings/karpenter-savings/internal/program/poolspec"
	"github.com/karpenter-savings/karpenter-savings/internal/program/poolspec/poolspectest"
	"github.com/karpenter-savings/karpenter-savings/internal/savings/instancetypes"
	"github.com/karpenter-savings/karpenter-savings/internal/savings/karpenterapi"
)

// qualifying lists the instance types (with an available offering) that a pool's requirements admit, as
// Karpenter's AWS provider builds them from the price snapshot for us-east-1.
func qualifying(t *testing.T, pool string) []string {
	t.Helper()
	built, err := poolspec.Build(poolspectest.Options())
	require.NoError(t, err)
	set, err := karpenterapi.Convert(built)
	require.NoError(t, err)
	cat, err := catalog.Load()
	require.NoError(t, err)
	b, err := instancetypes.New(cat, "us-east-1", []string{"us-east-1a", "us-east-1c"})
	require.NoError(t, err)

	var np *karpv1.NodePool
	for _, p := range set.NodePools {
		if p.Name == pool {
			np = p
		}
	}
	require.NotNil(t, np, "pool %s built", pool)
	class := set.NodeClasses[0]
	for _, c := range set.NodeClasses {
		if c.Name == np.Spec.Template.Spec.NodeClassRef.Name {
			class = c
		}
	}
	reqs := scheduling.NewNodeSelectorRequirementsWithMinValues(np.Spec.Template.Spec.Requirements...)
	var names []string
	for _, it := range b.For(context.Background(), class) {
		if reqs.IsCompatible(it.Requirements, scheduling.AllowUndefinedWellKnownLabels) &&
			len(it.Offerings.Available().Compatible(reqs)) > 0 {
			names = append(names, it.Name)
		}
	}
	slices.Sort(names)
	return names
}

// Spot needs many instance types: price-capacity-optimized allocation and spot-to-spot consolidation only work when
// Karpenter can choose among at least 15 types.
func TestGravitonPoolQualifiesEnoughInstanceTypes(t *testing.T) {
	names := qualifying(t, poolspec.Graviton)
	require.GreaterOrEqual(t, len(names), 15, "qualifying types: %v", names)
	for _, n := range names {
		family, size, _ := strings.Cut(n, ".")
		require.Regexp(t, `^[cmr][0-9]+g[a-z]*$`, family, "%s is a Graviton c/m/r type", n)
		require.NotContains(t, size, "metal", "%s: bare metal is excluded", n)
	}
}

func TestDefaultPoolQualifiesOnlyAmd64(t *testing.T) {
	names := qualifying(t, poolspec.Default)
	require.GreaterOrEqual(t, len(names), 15)
	for _, n := range names {
		family, size, _ := strings.Cut(n, ".")
		require.NotRegexp(t, `^[a-z]+[0-9]+g`, family, "%s must not be a Graviton type", n)
		require.NotContains(t, []string{"nano", "micro", "small"}, size, n)
	}
}

func TestGPUPoolQualifiesOnlyNvidiaGTypes(t *testing.T) {
	names := qualifying(t, poolspec.GPU)
	require.NotEmpty(t, names)
	for _, n := range names {
		require.Regexp(t, `^g[0-9]+[a-z]*\.`, n, "%s is an NVIDIA g instance", n)
		require.NotRegexp(t, `^g[0-9]+g`, n, "%s: arm64 GPU types cannot run the x86_64 NVIDIA AMI", n)
	}
}
