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

	"github.com/karpenter-savings/karpenter-savings/internal/nodepool"
	"github.com/karpenter-savings/karpenter-savings/internal/nodepool/karpenterapi"
	"github.com/karpenter-savings/karpenter-savings/internal/nodepool/nodepooltest"
)

// sets are node pool options that between them reach every branch of nodepool.Build: every pool, weights, one and
// two capacity types, GPU limits, tags.
func sets(t *testing.T) map[string]*nodepool.Set {
	t.Helper()
	gpuOnly := nodepooltest.Options()
	gpuOnly.Default.Enabled, gpuOnly.Graviton.Enabled = false, false
	noWeight := nodepooltest.Options()
	noWeight.Graviton.Weight, noWeight.Default.Weight = 0, 0
	noWeight.Graviton.Enabled = false
	noWeight.GPU.GPULimit = ""
	noWeight.Tags = map[string]string{"team": "platform"}
	out := map[string]*nodepool.Set{}
	for name, o := range map[string]nodepool.Options{"fixture": nodepooltest.Options(), "gpu only": gpuOnly, "no weight": noWeight} {
		set, err := nodepool.Build(o)
		require.NoErrorf(t, err, "nodepool.Build(%s)", name)
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
		{nodepool.LabelArch, corev1.LabelArchStable},
		{nodepool.LabelOS, corev1.LabelOSStable},
		{nodepool.LabelCapacityType, karpv1.CapacityTypeLabelKey},
		{nodepool.LabelNodePool, karpv1.NodePoolLabelKey},
		{nodepool.LabelInstanceCategory, awsv1.LabelInstanceCategory},
		{nodepool.LabelInstanceGeneration, awsv1.LabelInstanceGeneration},
		{nodepool.LabelInstanceSize, awsv1.LabelInstanceSize},
		{nodepool.LabelInstanceHypervisor, awsv1.LabelInstanceHypervisor},
		{nodepool.LabelInstanceGPUManufacturer, awsv1.LabelInstanceGPUManufacturer},
		{nodepool.ArchAmd64, karpv1.ArchitectureAmd64},
		{nodepool.ArchArm64, karpv1.ArchitectureArm64},
		{nodepool.CapacityTypeSpot, karpv1.CapacityTypeSpot},
		{nodepool.CapacityTypeOnDemand, karpv1.CapacityTypeOnDemand},
		{nodepool.AMIFamilyAL2023, awsv1.AMIFamilyAL2023},
		{nodepool.OperatorIn, string(corev1.NodeSelectorOpIn)},
		{nodepool.OperatorNotIn, string(corev1.NodeSelectorOpNotIn)},
		{nodepool.OperatorGt, string(corev1.NodeSelectorOpGt)},
		{nodepool.TaintEffectNoSchedule, string(corev1.TaintEffectNoSchedule)},
		{nodepool.ConsolidationPolicyWhenEmpty, string(karpv1.ConsolidationPolicyWhenEmpty)},
		{nodepool.ConsolidationPolicyWhenEmptyOrUnderutilized, string(karpv1.ConsolidationPolicyWhenEmptyOrUnderutilized)},
		{nodepool.Group, karpapis.Group},
		{nodepool.AWSGroup, awsapis.Group},
	} {
		require.Equalf(t, c.theirs, c.ours, "expected nodepool's constant to be %q", c.theirs)
	}
	require.Equal(t, []string{awsv1.AMIFamilyAL2, awsv1.AMIFamilyAL2023, awsv1.AMIFamilyBottlerocket,
		awsv1.AMIFamilyWindows2019, awsv1.AMIFamilyWindows2022, awsv1.AMIFamilyWindows2025}, nodepool.AliasFamilies,
		"expected the alias families Karpenter's EC2NodeClass accepts")
}
