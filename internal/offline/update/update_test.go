package update

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/karpenter-savings/karpenter-savings/internal/offline/mocks"
)

const (
	releaseType   = "kubernetes:helm.sh/v3:Release"
	nodePoolType  = "kubernetes:karpenter.sh/v1:NodePool"
	nodeGroupType = "aws:eks/nodeGroup:NodeGroup"
)

func res(token, name string, inputs map[string]any, edit ...func(*mocks.Resource)) mocks.Resource {
	r := mocks.Resource{URN: "urn:pulumi:dev::p::" + token + "::" + name, Type: token, Name: name, Custom: true, Inputs: inputs}
	for _, e := range edit {
		e(&r)
	}
	return r
}

func dependsOn(urns ...string) func(*mocks.Resource) {
	return func(r *mocks.Resource) { r.Dependencies = append(r.Dependencies, urns...) }
}

func deleteBeforeReplace(r *mocks.Resource) { r.DeleteBeforeReplace = true }

func rec(rs ...mocks.Resource) *mocks.Recording { return &mocks.Recording{Resources: rs} }

func plan(t *testing.T, before, after *mocks.Recording) *Plan {
	t.Helper()
	p, err := New(before, after)
	require.NoError(t, err)
	return p
}

func TestAChangedInputThatDoesNotForceReplacementIsAnUpdate(t *testing.T) {
	before := rec(res(releaseType, "r", map[string]any{"name": "karpenter", "namespace": "a", "version": "1.0.0"}))
	after := rec(res(releaseType, "r", map[string]any{"name": "karpenter", "namespace": "a", "version": "1.1.0"}))
	p := plan(t, before, after)
	require.Equal(t, []Step{{URN: after.Resources[0].URN, Op: Update, Keys: []string{"version"}}}, p.Changed())
}

func TestAReplacementIsCreateBeforeDeleteByDefault(t *testing.T) {
	before := rec(res(releaseType, "r", map[string]any{"name": "karpenter", "namespace": "a"}))
	after := rec(res(releaseType, "r", map[string]any{"name": "karpenter", "namespace": "b"}))
	p := plan(t, before, after)
	urn := after.Resources[0].URN
	require.Equal(t, []Step{{URN: urn, Op: Replace, Keys: []string{"namespace"}}}, p.Changed())
	require.Equal(t, []Event{{Action: Create, URN: urn}, {Action: Delete, URN: urn, Old: true}}, p.Events)
}

func TestTheDeleteBeforeReplaceOptionDeletesFirst(t *testing.T) {
	before := rec(res(releaseType, "r", map[string]any{"name": "karpenter", "namespace": "a"}))
	after := rec(res(releaseType, "r", map[string]any{"name": "karpenter", "namespace": "b"}, deleteBeforeReplace))
	p := plan(t, before, after)
	urn := after.Resources[0].URN
	require.Equal(t, []Event{{Action: Delete, URN: urn, Old: true}, {Action: Create, URN: urn}}, p.Events)
}

// The bridge replaces a resource whose auto-nameable input the program set delete-before-create; a prefix leaves
// the provider free to pick a new name, so the new group exists before the old one goes.
func TestAnExplicitNameMakesTheBridgeDeleteFirst(t *testing.T) {
	for _, tc := range []struct {
		name   string
		inputs map[string]any
		dbr    bool
	}{
		{"fixed name", map[string]any{"nodeGroupName": "critical"}, true},
		{"name prefix", map[string]any{"nodeGroupNamePrefix": "critical-"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := func(types ...any) map[string]any {
				out := map[string]any{"instanceTypes": types}
				for k, v := range tc.inputs {
					out[k] = v
				}
				return out
			}
			p := plan(t, rec(res(nodeGroupType, "ng", in("t4g.medium"))), rec(res(nodeGroupType, "ng", in("c7g.large"))))
			step := p.Changed()[0]
			require.Equal(t, Replace, step.Op)
			require.Equal(t, []string{"instanceTypes"}, step.Keys)
			require.Equal(t, tc.dbr, step.DeleteBeforeReplace)
		})
	}
}

// calculateDependentReplacements: a dependent through dependsOn alone survives a delete-before-replace; one whose
// replace-forcing input came from the replaced resource is deleted first and re-created; so is one whose provider
// is replaced.
func TestADeleteBeforeReplaceTakesOnlyTheDependentsItMustReplace(t *testing.T) {
	release := func(ns string) mocks.Resource {
		return res(releaseType, "controller", map[string]any{"name": "karpenter", "namespace": ns}, deleteBeforeReplace)
	}
	before, after := release("a"), release("b")
	pool := res(nodePoolType, "pool", map[string]any{"metadata": map[string]any{"name": "default"}}, dependsOn(after.URN))
	byName := res(releaseType, "addon", map[string]any{"name": "addon", "namespace": "a"}, dependsOn(after.URN),
		func(r *mocks.Resource) { r.PropertyDependencies = map[string][]string{"namespace": {after.URN}} })
	byValue := res(releaseType, "other", map[string]any{"name": "other", "namespace": "x", "values": map[string]any{}},
		func(r *mocks.Resource) { r.PropertyDependencies = map[string][]string{"values": {after.URN}} })
	p := plan(t, rec(before, pool, byName, byValue), rec(after, pool, byName, byValue))

	require.Equal(t, Same, p.Steps[pool.URN].Op, "dependsOn alone: the NodePool stays")
	require.Equal(t, Same, p.Steps[byValue.URN].Op, "values do not force a release's replacement")
	require.Equal(t, Step{URN: byName.URN, Op: Replace, DeleteBeforeReplace: true, ReplacedBy: after.URN}, p.Steps[byName.URN])
	require.Equal(t, []Event{
		{Action: Delete, URN: byName.URN, Old: true},
		{Action: Delete, URN: after.URN, Old: true},
		{Action: Create, URN: after.URN},
		{Action: Create, URN: byName.URN},
	}, p.Events)
}

func TestDeletesRunLastInReverseDependencyOrder(t *testing.T) {
	crds := res(releaseType, "crds", map[string]any{"name": "karpenter-crd", "namespace": "kube-system"})
	controller := res(releaseType, "controller", map[string]any{"name": "karpenter", "namespace": "kube-system"}, dependsOn(crds.URN))
	pool := res(nodePoolType, "pool", map[string]any{}, dependsOn(controller.URN))
	kept := res(nodeGroupType, "ng", map[string]any{"nodeGroupNamePrefix": "a-"})
	p := plan(t, rec(crds, controller, pool, kept), rec(kept))
	require.Equal(t, []Event{
		{Action: Delete, URN: pool.URN, Old: true},
		{Action: Delete, URN: controller.URN, Old: true},
		{Action: Delete, URN: crds.URN, Old: true},
	}, p.Events)
}

func TestAChangeToATypeWithUnknownReplaceRulesIsAnError(t *testing.T) {
	_, err := New(rec(res("aws:ec2/vpc:Vpc", "vpc", map[string]any{"cidrBlock": "10.0.0.0/16"})),
		rec(res("aws:ec2/vpc:Vpc", "vpc", map[string]any{"cidrBlock": "10.1.0.0/16"})))
	require.ErrorContains(t, err, "urn:pulumi:dev::p::aws:ec2/vpc:Vpc::vpc changes [cidrBlock], and its type's replace rules are unknown here")
}

func TestAComponentAndAnUnchangedResourceAreSame(t *testing.T) {
	component := res("karpenter-savings:index:Karpenter", "k", map[string]any{"a": 1}, func(r *mocks.Resource) { r.Custom = false })
	changed := component
	changed.Inputs = map[string]any{"a": 2}
	vpc := res("aws:ec2/vpc:Vpc", "vpc", map[string]any{"cidrBlock": "10.0.0.0/16"})
	p := plan(t, rec(component, vpc), rec(changed, vpc))
	require.Empty(t, p.Changed())
	require.Empty(t, p.Events)
}
