package tests

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/karpenter-savings/karpenter-savings/internal/offline/mocks"
	"github.com/karpenter-savings/karpenter-savings/internal/offline/update"
	"github.com/karpenter-savings/karpenter-savings/internal/program/config"
	"github.com/karpenter-savings/karpenter-savings/internal/program/project"
	"github.com/karpenter-savings/karpenter-savings/internal/program/pulumik8s"
)

// Day 2: each test renders the dev stack before and after one configuration change, with what the Karpenter charts
// install, and plans the update a deployed stack would take (internal/offline/update): what is replaced and how,
// in which order, and whether Helm meets an object another release owns.

const (
	nodeGroupName = "cluster-with-karpenter-critical-addons-only"
	controller    = "cluster-with-karpenter-karpenter-release"
	crdRelease    = "cluster-with-karpenter-karpenter-crd-release"
)

// change renders dev and dev with overrides, and plans the update between them.
func change(t *testing.T, overrides map[string]string) (plan *update.Plan, before, after *mocks.Recording) {
	t.Helper()
	return changeFrom(t, devConfig(t), overrides)
}

func changeFrom(t *testing.T, base project.Config, overrides map[string]string) (plan *update.Plan, before, after *mocks.Recording) {
	t.Helper()
	before = deepRender(t, base)
	after = deepRender(t, with(base, overrides))
	plan, err := update.New(before, after)
	require.NoError(t, err)
	require.Empty(t, ownershipConflicts(plan, before, after), "Helm meets no object another release owns")
	return plan, before, after
}

// changed lists the plan's changes as "<op> <type> <name>", with the replace mode.
func changed(t *testing.T, plan *update.Plan, after *mocks.Recording) []string {
	t.Helper()
	var out []string
	for _, s := range plan.Changed() {
		r, ok := after.ByURN(s.URN)
		if !ok {
			out = append(out, fmt.Sprintf("%s %s", s.Op, s.URN))
			continue
		}
		line := fmt.Sprintf("%s %s %s", s.Op, r.Type, r.Name)
		if s.Op == update.Replace && s.DeleteBeforeReplace {
			line += " (delete first)"
		}
		out = append(out, line)
	}
	return out
}

func urnOf(t *testing.T, rec *mocks.Recording, token, name string) string {
	t.Helper()
	return one(t, rec, token, name).URN
}

// A pool change updates that NodePool in place: a replacement would delete it, and Karpenter would drain every node
// it launched.
func TestAPoolChangeUpdatesOnlyThatNodePool(t *testing.T) {
	plan, _, after := change(t, map[string]string{config.KeyNodePools: pools(t, map[string]string{
		"default": `{"enabled": true, "weight": 10, "capacityTypes": ["spot"], "cpu": "24", "memory": "48Gi"}`,
	})})
	require.Equal(t, []string{"update " + mocks.TypeNodePool + " cluster-with-karpenter-nodepools-nodepool-default"}, changed(t, plan, after))
}

// The node group's name is a prefix: a change of instance types replaces it create-before-delete, so the new group
// exists before the old one goes, and the controller's node selector, a label of the stack's, does not change.
// A fixed name would make the bridge replace it delete-before-create, with the controller down for the swap.
func TestANodeGroupTypeChangeCreatesTheNewGroupFirst(t *testing.T) {
	for _, key := range []map[string]string{
		{config.KeyNodeGroupInstanceTypes: `["c7g.large","c6g.large"]`},
		{config.KeyNodeGroupCapacityType: "ON_DEMAND"},
	} {
		t.Run(fmt.Sprint(key), func(t *testing.T) {
			plan, _, after := change(t, key)
			require.Equal(t, []string{"replace aws:eks/nodeGroup:NodeGroup " + nodeGroupName}, changed(t, plan, after),
				"only the group changes: the controller's release is untouched")
			ng := urnOf(t, after, mocks.TypeNodeGroup, nodeGroupName)
			created, deleted := plan.Index(update.Create, ng, false), plan.Index(update.Delete, ng, true)
			require.True(t, created >= 0 && deleted > created, "the new group is created before the old one is deleted: %v", plan.Events)
		})
	}
}

// Moving Karpenter to another namespace replaces the controller release delete-before-create, while the CRD release,
// in kube-system, stays; the NodePools depend on the release through dependsOn only, so the engine keeps them and
// Karpenter's nodes stay up. No object is ever owned by two releases (checked in change).
func TestANamespaceChangeReplacesOnlyTheControllerAndKeepsThePools(t *testing.T) {
	plan, before, after := change(t, map[string]string{config.KeyKarpenterNamespace: "karpenter"})
	require.ElementsMatch(t, []string{
		"create kubernetes:core/v1:Namespace cluster-with-karpenter-karpenter-namespace",
		"replace aws:eks/podIdentityAssociation:PodIdentityAssociation cluster-with-karpenter-karpenter-pod-identity",
		"replace " + pulumik8s.ReleaseType + " " + controller + " (delete first)",
	}, changed(t, plan, after))
	for _, token := range []string{mocks.TypeNodePool, mocks.TypeEC2NodeClass} {
		for _, r := range before.ByType(token) {
			require.Equalf(t, update.Same, plan.Steps[r.URN].Op, "%s survives the move", r.URN)
		}
	}
	release := urnOf(t, after, pulumik8s.ReleaseType, controller)
	ns := urnOf(t, after, mocks.TypeNamespace, "cluster-with-karpenter-karpenter-namespace")
	deleted, created := plan.Index(update.Delete, release, true), plan.Index(update.Create, release, false)
	require.True(t, deleted >= 0 && created > deleted, "the old controller goes before the new one: %v", plan.Events)
	require.Less(t, plan.Index(update.Create, ns, false), created, "the namespace exists before the release")
}

// A Karpenter version bump updates both releases in place, the CRDs first: the controller release depends on the
// CRD release, and the engine updates a resource only after its dependencies.
func TestAKarpenterVersionBumpUpgradesTheCRDsFirst(t *testing.T) {
	base := with(devConfig(t), map[string]string{config.KeyKarpenterVersion: "1.14.0"})
	before, err := render(t, base)
	require.NoError(t, err)
	after := renderDev(t)
	plan, err := update.New(before, after)
	require.NoError(t, err)
	require.ElementsMatch(t, []string{
		"update " + pulumik8s.ReleaseType + " " + controller,
		"update " + pulumik8s.ReleaseType + " " + crdRelease,
	}, changed(t, plan, after))
	crds, ctl := urnOf(t, after, pulumik8s.ReleaseType, crdRelease), urnOf(t, after, pulumik8s.ReleaseType, controller)
	require.Contains(t, one(t, after, pulumik8s.ReleaseType, controller).Dependencies, crds)
	require.Less(t, plan.Index(update.Update, crds, false), plan.Index(update.Update, ctl, false))
}

// ownershipConflicts walks the plan's events and returns every object a release would install while a live
// instance of another release owns it. Helm refuses such an install ("invalid ownership metadata", helm v3.20,
// pkg/action/validate.go, checkOwnership). An uninstall removes the release's objects, except those with the keep
// resource policy, which stay with their old owner (pkg/action/uninstall.go, filterManifestsToKeep).
func ownershipConflicts(plan *update.Plan, before, after *mocks.Recording) []string {
	type owner struct{ name, namespace string }
	objects := func(rec *mocks.Recording, release string) (map[string]bool, owner) {
		r, _ := rec.ByURN(release)
		name, _ := r.Inputs["name"].(string)
		ns, _ := r.Inputs["namespace"].(string)
		keys := map[string]bool{}
		for _, o := range rec.Resources {
			if o.Emulated && o.Parent == release {
				keys[objectKey(o)] = keep(o)
			}
		}
		return keys, owner{name, ns}
	}
	owned := map[string]owner{} // object key -> owner, for what exists in the cluster
	for _, r := range before.ByType(pulumik8s.ReleaseType) {
		keys, o := objects(before, r.URN)
		for k := range keys {
			owned[k] = o
		}
	}
	var conflicts []string
	for _, e := range plan.Events {
		rec := after
		if e.Old {
			rec = before
		}
		if r, ok := rec.ByURN(e.URN); !ok || r.Type != pulumik8s.ReleaseType {
			continue
		}
		keys, o := objects(rec, e.URN)
		switch e.Action {
		case update.Delete:
			for k, kept := range keys {
				if !kept && owned[k] == o {
					delete(owned, k)
				}
			}
		case update.Create, update.Update:
			for _, k := range slices.Sorted(maps.Keys(keys)) {
				if prev, ok := owned[k]; ok && prev != o {
					conflicts = append(conflicts, fmt.Sprintf("%s: %s is owned by release %s/%s", e, k, prev.namespace, prev.name))
				}
				owned[k] = o
			}
		}
	}
	return conflicts
}

// objectKey is what Kubernetes identifies an object by: kind, namespace (empty when cluster-scoped) and name.
func objectKey(o mocks.Resource) string {
	meta, _ := o.Inputs["metadata"].(map[string]any)
	ns, _ := meta["namespace"].(string)
	name, _ := meta["name"].(string)
	return strings.Join([]string{fmt.Sprint(o.Inputs["kind"]), ns, name}, "/")
}

// keep reports the helm.sh/resource-policy: keep annotation.
func keep(o mocks.Resource) bool {
	meta, _ := o.Inputs["metadata"].(map[string]any)
	annotations, _ := meta["annotations"].(map[string]any)
	return annotations["helm.sh/resource-policy"] == "keep"
}
