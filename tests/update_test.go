package tests

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/karpenter-savings/karpenter-savings/internal/offline/engine"
	"github.com/karpenter-savings/karpenter-savings/internal/offline/mocks"
	"github.com/karpenter-savings/karpenter-savings/internal/program/config"
	"github.com/karpenter-savings/karpenter-savings/internal/program/project"
	"github.com/karpenter-savings/karpenter-savings/internal/program/pulumik8s"
)

// Day 2: Helm's ownership check over the steps Pulumi's engine plans (internal/offline/engine, whose own tests say
// what each change replaces and in which order). Each test deploys the dev stack offline, plans the next `pulumi up`
// after one configuration change, renders what the Helm releases install before and after, and walks the engine's
// steps in order: Helm must never meet an object another release owns.

const controller = "cluster-with-karpenter-karpenter-release"

// engineStack is the dev stack with values, for Pulumi's engine.
func engineStack(values project.Config) engine.Stack {
	return engine.Stack{Project: config.Project, Name: "dev", Config: maps.Clone(values)}
}

// planned deploys base, plans the up to changed, and returns the engine's steps with the deep renders of both.
func planned(t *testing.T, base, changed project.Config) (steps []engine.Step, before, after *mocks.Recording) {
	t.Helper()
	snap, _, err := engine.Up(engineStack(base), nil)
	require.NoError(t, err)
	next := engineStack(changed)
	next.Account = engine.AccountOf(snap)
	steps, err = engine.Preview(next, snap)
	require.NoError(t, err)
	return steps, deepRender(t, base), deepRender(t, changed)
}

func TestHelmMeetsNoObjectOfAnotherReleaseOnAnyChange(t *testing.T) {
	for _, tc := range []struct {
		name string
		// base is the deployed stack's change to dev, change the next up's.
		base, change map[string]string
		// releaseOps are the engine's ops on the controller release, in order.
		releaseOps []string
	}{
		{"namespace move", nil, map[string]string{config.KeyKarpenterNamespace: "karpenter"}, []string{"delete-replaced", "replace", "create-replacement"}},
		{"Karpenter upgrade", map[string]string{config.KeyKarpenterVersion: "1.14.0"}, nil, []string{"update"}},
		{"node group replacement", nil, map[string]string{config.KeyNodeGroupInstanceTypes: `["c7g.large","c6g.large"]`}, []string{"same"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			steps, before, after := planned(t, with(devConfig(t), tc.base), with(devConfig(t), tc.change))
			var releaseOps []string
			for _, s := range steps {
				if strings.HasSuffix(s.URN, "::"+controller) {
					releaseOps = append(releaseOps, s.Op)
				}
			}
			require.Equal(t, tc.releaseOps, releaseOps)
			require.Empty(t, ownershipConflicts(steps, before, after))
		})
	}
}

// The check finds what Helm refuses: had the engine installed the moved release before uninstalling the old one (its
// create-before-delete default, without the deleteBeforeReplace option), the new release would meet the old one's
// ClusterRoles.
func TestOwnershipCheckCatchesAnInstallBeforeTheUninstall(t *testing.T) {
	steps, before, after := planned(t, devConfig(t), with(devConfig(t), map[string]string{config.KeyKarpenterNamespace: "karpenter"}))
	var created, deleted int
	for i, s := range steps {
		switch {
		case strings.HasSuffix(s.URN, "::"+controller) && s.Op == "create-replacement":
			created = i
		case strings.HasSuffix(s.URN, "::"+controller) && s.Op == "delete-replaced":
			deleted = i
		}
	}
	swapped := slices.Clone(steps)
	swapped[created], swapped[deleted] = swapped[deleted], swapped[created]
	conflicts := ownershipConflicts(swapped, before, after)
	require.NotEmpty(t, conflicts)
	require.Contains(t, strings.Join(conflicts, "\n"), "ClusterRole//"+"karpenter")
}

// ownershipConflicts walks the engine's steps and returns every object a release would install while a live instance
// of another release owns it. Helm refuses such an install ("invalid ownership metadata", helm v3.20,
// pkg/action/validate.go, checkOwnership). An uninstall removes the release's objects, except those with the keep
// resource policy, which stay with their old owner (pkg/action/uninstall.go, filterManifestsToKeep).
func ownershipConflicts(steps []engine.Step, before, after *mocks.Recording) []string {
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
	for _, s := range steps {
		if s.Type != pulumik8s.ReleaseType {
			continue
		}
		switch s.Op {
		case "delete", "delete-replaced":
			keys, o := objects(before, s.URN)
			for k, kept := range keys {
				if !kept && owned[k] == o {
					delete(owned, k)
				}
			}
		case "create", "create-replacement", "update":
			keys, o := objects(after, s.URN)
			for _, k := range slices.Sorted(maps.Keys(keys)) {
				if prev, ok := owned[k]; ok && prev != o {
					conflicts = append(conflicts, fmt.Sprintf("%s %s: %s is owned by release %s/%s", s.Op, s.URN, k, prev.namespace, prev.name))
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
