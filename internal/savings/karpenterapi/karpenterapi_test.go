package karpenterapi_test

import (
	"encoding/json"
	"testing"

	awsapis "github.com/aws/karpenter-provider-aws/pkg/apis"
	awsv1 "github.com/aws/karpenter-provider-aws/pkg/apis/v1"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	karpapis "sigs.k8s.io/karpenter/pkg/apis"
	karpv1 "sigs.k8s.io/karpenter/pkg/apis/v1"

	"github.com/karpenter-savings/karpenter-savings/internal/program/poolspec"
	"github.com/karpenter-savings/karpenter-savings/internal/program/poolspec/poolspectest"
	"github.com/karpenter-savings/karpenter-savings/internal/savings/karpenterapi"
)

// sets are node pool options that between them reach every branch of poolspec.Build: every pool, weights, one and
// two capacity types, GPU limits, tags.
func sets(t *testing.T) map[string]*poolspec.Set {
	t.Helper()
	gpuOnly := poolspectest.Options()
	gpuOnly.Default.Enabled, gpuOnly.Graviton.Enabled = false, false
	noWeight := poolspectest.Options()
	noWeight.Graviton.Weight, noWeight.Default.Weight = 0, 0
	noWeight.Graviton.Enabled = false
	noWeight.GPU.GPULimit = ""
	noWeight.Tags = map[string]string{"team": "platform"}
	out := map[string]*poolspec.Set{}
	for name, o := range map[string]poolspec.Options{"fixture": poolspectest.Options(), "gpu only": gpuOnly, "no weight": noWeight} {
		set, err := poolspec.Build(o)
		require.NoErrorf(t, err, "poolspec.Build(%s)", name)
		out[name] = set
	}
	return out
}

// canonical is how Karpenter's types encode an object, as data: without status and the null fields (such as
// metadata.creationTimestamp) the API server drops.
func canonical(t *testing.T, obj any) map[string]any {
	t.Helper()
	raw, err := json.Marshal(obj)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(raw, &m))
	delete(m, "status")
	dropNulls(m)
	return m
}

func dropNulls(v any) {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			if e == nil {
				delete(t, k)
				continue
			}
			dropNulls(e)
		}
	case []any:
		for _, e := range t {
			dropNulls(e)
		}
	}
}

// Every object nodepool sends must be what Karpenter's own types send for it: each field exists in Karpenter's type
// (strict decoding), and encoding it back gives the same data, so names, nesting and encodings (durations,
// quantities) are Karpenter's.
func TestObjectsAreKarpentersEncoding(t *testing.T) {
	for name, set := range sets(t) {
		t.Run(name, func(t *testing.T) {
			objs, err := set.Objects()
			require.NoError(t, err)
			typed, err := karpenterapi.Convert(set)
			require.NoError(t, err, "expected every field nodepool sets to exist in Karpenter's types")
			var want []map[string]any
			for _, nc := range typed.NodeClasses {
				want = append(want, canonical(t, nc))
			}
			for _, np := range typed.NodePools {
				want = append(want, canonical(t, np))
			}
			require.Equal(t, want, objs, "expected nodepool's objects to encode exactly as Karpenter's types encode them")
		})
	}
}

// The constants nodepool spells out are the ones of the packages they come from.
func TestConstantsAreKarpenters(t *testing.T) {
	for _, c := range []struct{ ours, theirs string }{
		{poolspec.LabelArch, corev1.LabelArchStable},
		{poolspec.LabelOS, corev1.LabelOSStable},
		{poolspec.LabelCapacityType, karpv1.CapacityTypeLabelKey},
		{poolspec.LabelNodePool, karpv1.NodePoolLabelKey},
		{poolspec.LabelInstanceCategory, awsv1.LabelInstanceCategory},
		{poolspec.LabelInstanceGeneration, awsv1.LabelInstanceGeneration},
		{poolspec.LabelInstanceSize, awsv1.LabelInstanceSize},
		{poolspec.LabelInstanceHypervisor, awsv1.LabelInstanceHypervisor},
		{poolspec.LabelInstanceGPUManufacturer, awsv1.LabelInstanceGPUManufacturer},
		{poolspec.ArchAmd64, karpv1.ArchitectureAmd64},
		{poolspec.ArchArm64, karpv1.ArchitectureArm64},
		{poolspec.CapacityTypeSpot, karpv1.CapacityTypeSpot},
		{poolspec.CapacityTypeOnDemand, karpv1.CapacityTypeOnDemand},
		{poolspec.AMIFamilyAL2023, awsv1.AMIFamilyAL2023},
		{poolspec.OperatorIn, string(corev1.NodeSelectorOpIn)},
		{poolspec.OperatorNotIn, string(corev1.NodeSelectorOpNotIn)},
		{poolspec.OperatorGt, string(corev1.NodeSelectorOpGt)},
		{poolspec.TaintEffectNoSchedule, string(corev1.TaintEffectNoSchedule)},
		{poolspec.ConsolidationPolicyWhenEmpty, string(karpv1.ConsolidationPolicyWhenEmpty)},
		{poolspec.ConsolidationPolicyWhenEmptyOrUnderutilized, string(karpv1.ConsolidationPolicyWhenEmptyOrUnderutilized)},
		{poolspec.Group, karpapis.Group},
		{poolspec.AWSGroup, awsapis.Group},
	} {
		require.Equalf(t, c.theirs, c.ours, "expected nodepool's constant to be %q", c.theirs)
	}
	require.Equal(t, []string{awsv1.AMIFamilyAL2, awsv1.AMIFamilyAL2023, awsv1.AMIFamilyBottlerocket,
		awsv1.AMIFamilyWindows2019, awsv1.AMIFamilyWindows2022, awsv1.AMIFamilyWindows2025}, poolspec.AliasFamilies,
		"expected the alias families Karpenter's EC2NodeClass accepts")
}
