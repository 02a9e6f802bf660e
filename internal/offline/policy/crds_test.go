package policy

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/karpenter-savings/karpenter-savings/internal/offline/mocks"
	"github.com/karpenter-savings/karpenter-savings/internal/program/poolspec"
	"github.com/karpenter-savings/karpenter-savings/internal/program/poolspec/poolspectest"
)

// labObjects records the fixture's node classes and pools as the node pools component declares them; edit changes
// the objects first.
func labObjects(t *testing.T, edit func(objs []map[string]any)) *mocks.Recording {
	t.Helper()
	set, err := poolspec.Build(poolspectest.Options())
	require.NoError(t, err)
	objs, err := set.Objects()
	require.NoError(t, err)
	if edit != nil {
		edit(objs)
	}
	rec := recording()
	for _, obj := range objs {
		kind := obj["kind"].(string)
		token := nodePoolType
		if kind == poolspec.KindEC2NodeClass {
			token = ec2NodeClassType
		}
		rec.Resources = append(rec.Resources, resource(token, kind+"/"+obj["metadata"].(map[string]any)["name"].(string), obj))
	}
	return rec
}

func TestKarpenterCRDs(t *testing.T) {
	runCases(t, RuleKarpenterCRDs, KarpenterCRDs, []ruleCase{
		{"the builder's objects pass", labObjects(t, nil), nil},
		{"a pool the CEL rules reject", labObjects(t, func(objs []map[string]any) {
			for _, o := range objs {
				if o["kind"] == poolspec.KindNodePool {
					o["spec"].(map[string]any)["disruption"].(map[string]any)["consolidateAfter"] = "30x"
					return
				}
			}
		}), []string{`spec.disruption.consolidateAfter: Invalid value: "30x"`}},
		{"a class with an instance profile and a role", labObjects(t, func(objs []map[string]any) {
			objs[0]["spec"].(map[string]any)["instanceProfile"] = "KarpenterNodeInstanceProfile"
		}), []string{"must specify exactly one of ['role', 'instanceProfile']"}},
		{"nothing else is checked", recording(resource("kubernetes:core/v1:ConfigMap", "c", map[string]any{"data": map[string]any{}})), nil},
	})
}
