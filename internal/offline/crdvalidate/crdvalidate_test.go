package crdvalidate_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/karpenter-savings/karpenter-savings/internal/offline/crdvalidate"
	"github.com/karpenter-savings/karpenter-savings/internal/program/poolspec"
	"github.com/karpenter-savings/karpenter-savings/internal/program/poolspec/poolspectest"
)

const cluster = poolspectest.Cluster

func labObjects(t *testing.T) map[string]map[string]any {
	t.Helper()
	o := poolspectest.Options()
	o.Tags = map[string]string{"project": "karpenter-savings"}
	set, err := poolspec.Build(o)
	require.NoError(t, err, "poolspec.Build")
	objs, err := set.Objects()
	require.NoError(t, err, "Objects")
	byName := map[string]map[string]any{}
	for _, obj := range objs {
		byName[obj["kind"].(string)+"/"+obj["metadata"].(map[string]any)["name"].(string)] = obj
	}
	return byName
}

func newValidator(t *testing.T) *crdvalidate.Validator {
	t.Helper()
	v, err := crdvalidate.New()
	require.NoError(t, err, "New")
	return v
}

// deepCopy copies obj through JSON so a case can edit it freely.
func deepCopy(t *testing.T, obj map[string]any) map[string]any {
	t.Helper()
	raw, err := json.Marshal(obj)
	require.NoError(t, err)
	var out map[string]any
	require.NoError(t, json.Unmarshal(raw, &out))
	return out
}

func field(obj map[string]any, path ...string) map[string]any {
	for _, p := range path {
		obj = obj[p].(map[string]any)
	}
	return obj
}

func TestBuiltObjectsPass(t *testing.T) {
	v := newValidator(t)
	for name, obj := range labObjects(t) {
		t.Run(name, func(t *testing.T) {
			defaulted, err := v.Validate(obj)
			require.NoError(t, err, "expected %s to pass the API server's validation", name)
			// Every field the CRD would default is already explicit, so the server stores exactly what we send.
			require.Equal(t, obj, defaulted, "expected no server-side defaults to change %s", name)
		})
	}
}

func TestDefaultsApplied(t *testing.T) {
	v := newValidator(t)
	np := deepCopy(t, labObjects(t)["NodePool/default"])
	delete(field(np, "spec", "disruption"), "budgets")
	defaulted, err := v.Validate(np)
	require.NoError(t, err)
	require.Equal(t, []any{map[string]any{"nodes": "10%"}}, field(defaulted, "spec", "disruption")["budgets"],
		"expected the CRD's default disruption budget")
}

func TestValidateDoesNotModifyInput(t *testing.T) {
	v := newValidator(t)
	np := deepCopy(t, labObjects(t)["NodePool/default"])
	delete(field(np, "spec", "disruption"), "budgets")
	want := deepCopy(t, np)
	_, err := v.Validate(np)
	require.NoError(t, err)
	require.Equal(t, want, np, "expected Validate to leave its argument alone")
}

func TestRejected(t *testing.T) {
	cases := []struct {
		name   string
		object string
		mutate func(obj map[string]any)
		want   []string
	}{
		{
			name:   "consolidateAfter not a duration",
			object: "NodePool/default",
			mutate: func(obj map[string]any) { field(obj, "spec", "disruption")["consolidateAfter"] = "30x" },
			want: []string{`NodePool.karpenter.sh "default" is invalid`,
				`spec.disruption.consolidateAfter: Invalid value: "30x"`, `should match '^(([0-9]+(s|m|h))+|Never)$'`},
		},
		{
			name:   "Gt with two values",
			object: "NodePool/default",
			mutate: func(obj map[string]any) {
				field(obj, "spec", "template", "spec")["requirements"] = []any{map[string]any{
					"key": "karpenter.k8s.aws/instance-generation", "operator": "Gt", "values": []any{"2", "3"}}}
			},
			want: []string{`NodePool.karpenter.sh "default" is invalid`, "spec.template.spec.requirements: Invalid value",
				"requirements operator 'Gt', 'Lt', 'Gte', or 'Lte' must have a single positive integer value"},
		},
		{
			name:   "requirement on kubernetes.io/hostname",
			object: "NodePool/graviton",
			mutate: func(obj map[string]any) {
				field(obj, "spec", "template", "spec")["requirements"] = []any{map[string]any{
					"key": "kubernetes.io/hostname", "operator": "In", "values": []any{"node-1"}}}
			},
			want: []string{`NodePool.karpenter.sh "graviton" is invalid`,
				`spec.template.spec.requirements[0].key: Invalid value: "kubernetes.io/hostname"`,
				`label "kubernetes.io/hostname" is restricted`},
		},
		{
			name:   "label karpenter.sh/nodepool",
			object: "NodePool/default",
			mutate: func(obj map[string]any) {
				field(obj, "spec", "template", "metadata", "labels")["karpenter.sh/nodepool"] = "other"
			},
			want: []string{"spec.template.metadata.labels: Invalid value", `label "karpenter.sh/nodepool" is restricted`},
		},
		{
			name:   "unknown field",
			object: "NodePool/gpu",
			mutate: func(obj map[string]any) { field(obj, "spec")["consolidation"] = map[string]any{"enabled": true} },
			want: []string{`NodePool in version "v1" cannot be handled as a NodePool`,
				`strict decoding error: unknown field "spec.consolidation"`},
		},
		{
			name:   "name not a DNS subdomain",
			object: "NodePool/default",
			mutate: func(obj map[string]any) { field(obj, "metadata")["name"] = "Default_Pool" },
			want:   []string{`metadata.name: Invalid value: "Default_Pool": a lowercase RFC 1123 subdomain`},
		},
		{
			name:   "role and instanceProfile",
			object: "EC2NodeClass/default",
			mutate: func(obj map[string]any) { field(obj, "spec")["instanceProfile"] = "KarpenterNodeInstanceProfile" },
			want: []string{`EC2NodeClass.karpenter.k8s.aws "default" is invalid`,
				"spec: Invalid value: must specify exactly one of ['role', 'instanceProfile']"},
		},
		{
			name:   "hop limit above 64",
			object: "EC2NodeClass/gpu",
			mutate: func(obj map[string]any) { field(obj, "spec", "metadataOptions")["httpPutResponseHopLimit"] = 65 },
			want: []string{`EC2NodeClass.karpenter.k8s.aws "gpu" is invalid`,
				"spec.metadataOptions.httpPutResponseHopLimit: Invalid value: 65", "should be less than or equal to 64"},
		},
		{
			name:   "hop limit zero",
			object: "EC2NodeClass/default",
			mutate: func(obj map[string]any) { field(obj, "spec", "metadataOptions")["httpPutResponseHopLimit"] = 0 },
			want: []string{"spec.metadataOptions.httpPutResponseHopLimit: Invalid value: 0",
				"should be greater than or equal to 1"},
		},
		{
			name:   "restricted cluster tag",
			object: "EC2NodeClass/default",
			mutate: func(obj map[string]any) { field(obj, "spec", "tags")["kubernetes.io/cluster/"+cluster] = "owned" },
			want:   []string{"spec.tags: Invalid value", "tag contains a restricted tag matching kubernetes.io/cluster/"},
		},
		{
			name:   "wrong apiVersion",
			object: "EC2NodeClass/default",
			mutate: func(obj map[string]any) { obj["apiVersion"] = "karpenter.k8s.aws/v1beta1" },
			want:   []string{"crdvalidate: no CRD serves karpenter.k8s.aws/v1beta1, Kind=EC2NodeClass"},
		},
	}
	v := newValidator(t)
	objs := labObjects(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			obj := deepCopy(t, objs[tc.object])
			tc.mutate(obj)
			defaulted, err := v.Validate(obj)
			require.Error(t, err, "expected %s to be rejected", tc.object)
			require.Nil(t, defaulted, "expected no object on error")
			for _, want := range tc.want {
				require.ErrorContains(t, err, want)
			}
		})
	}
}
