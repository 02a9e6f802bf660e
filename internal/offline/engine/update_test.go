package engine_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/pkg/v3/resource/deploy"
	"github.com/stretchr/testify/require"

	"github.com/karpenter-savings/karpenter-savings/internal/offline/engine"
	"github.com/karpenter-savings/karpenter-savings/internal/offline/mocks"
	"github.com/karpenter-savings/karpenter-savings/internal/program/config"
	"github.com/karpenter-savings/karpenter-savings/internal/program/pulumik8s"
)

// Day 2 under Pulumi's engine: each test deploys the dev stack (an offline `pulumi up`), changes one key, and plans
// the next `pulumi up` (a preview) from the state the first left. The engine decides replace modes, dependent
// replacements, order and deletes; the tests assert relative order only, as the engine runs independent steps in
// parallel.

const (
	nodeGroup  = "cluster-with-karpenter-critical-addons-only"
	controller = "cluster-with-karpenter-karpenter-release"
	crdRelease = "cluster-with-karpenter-karpenter-crd-release"
)

// plan deploys the dev stack and previews the next up with overrides.
func plan(t *testing.T, overrides map[string]string) []engine.Step {
	t.Helper()
	return previewFrom(t, dev(t, overrides), deployed(t))
}

// previewFrom plans the next up of s from base, the account holding what base records.
func previewFrom(t *testing.T, s engine.Stack, base *deploy.Snapshot) []engine.Step {
	t.Helper()
	s.Account = engine.AccountOf(base)
	steps, err := engine.Preview(s, base)
	require.NoError(t, err)
	return steps
}

// urnOf returns the URN of the one step's resource of type token and name.
func urnOf(t *testing.T, steps []engine.Step, token, name string) string {
	t.Helper()
	var urns []string
	for _, s := range steps {
		if s.Type == token && strings.HasSuffix(s.URN, "::"+name) && !slices.Contains(urns, s.URN) {
			urns = append(urns, s.URN)
		}
	}
	require.Lenf(t, urns, 1, "one %s named %s", token, name)
	return urns[0]
}

// ops returns the ops the plan takes on urn, in order.
func ops(steps []engine.Step, urn string) []string {
	var out []string
	for _, s := range steps {
		if s.URN == urn {
			out = append(out, s.Op)
		}
	}
	return out
}

// changedNames lists "<op> <type> <name>" for every step that changes something.
func changedNames(steps []engine.Step) []string {
	var out []string
	for _, s := range engine.Changed(steps) {
		out = append(out, fmt.Sprintf("%s %s %s", s.Op, s.Type, s.URN[strings.LastIndex(s.URN, "::")+2:]))
	}
	return out
}

func poolsWith(t *testing.T, replace map[string]string) string {
	t.Helper()
	var obj map[string]json.RawMessage
	require.NoError(t, json.Unmarshal([]byte(dev(t, nil).Config[config.Project+":"+config.KeyNodePools]), &obj))
	maps.Copy(obj, func() map[string]json.RawMessage {
		out := map[string]json.RawMessage{}
		for k, v := range replace {
			out[k] = json.RawMessage(v)
		}
		return out
	}())
	b, err := json.Marshal(obj)
	require.NoError(t, err)
	return string(b)
}

// A pool change updates that NodePool in place: a replacement would delete it, and Karpenter would drain every node
// it launched.
func TestAPoolChangeUpdatesOnlyThatNodePool(t *testing.T) {
	steps := plan(t, map[string]string{config.KeyNodePools: poolsWith(t, map[string]string{
		"default": `{"enabled": true, "weight": 10, "capacityTypes": ["spot"], "cpu": "24", "memory": "48Gi"}`,
	})})
	require.Equal(t, []string{"update " + mocks.TypeNodePool + " cluster-with-karpenter-nodepools-nodepool-default"}, changedNames(steps))
}

// The node group's name is a prefix: a change of instance types or capacity type replaces it create-before-delete,
// so the new group exists before the old one goes, and nothing else changes.
func TestANodeGroupTypeChangeCreatesTheNewGroupFirst(t *testing.T) {
	for _, change := range []map[string]string{
		{config.KeyNodeGroupInstanceTypes: `["c7g.large","c6g.large"]`},
		{config.KeyNodeGroupCapacityType: "ON_DEMAND"},
	} {
		t.Run(fmt.Sprint(change), func(t *testing.T) {
			steps := plan(t, change)
			ng := urnOf(t, steps, mocks.TypeNodeGroup, nodeGroup)
			require.Equal(t, []string{"create-replacement", "replace", "delete-replaced"}, ops(steps, ng))
			for _, s := range engine.Changed(steps) {
				require.Equalf(t, ng, s.URN, "only the node group changes, not %s %s", s.Op, s.URN)
			}
		})
	}
}

// Moving Karpenter to another namespace: the engine creates the Namespace, replaces the Pod Identity association
// create-before-delete and the controller release delete-first (its deleteBeforeReplace option), and keeps the
// NodePools and EC2NodeClasses, which depend on the release through dependsOn only (calculateDependentReplacements
// follows property dependencies and providers, not dependsOn): Karpenter's nodes stay up.
func TestANamespaceChangeReplacesOnlyTheControllerAndKeepsThePools(t *testing.T) {
	steps := plan(t, map[string]string{config.KeyKarpenterNamespace: "karpenter"})
	release := urnOf(t, steps, pulumik8s.ReleaseType, controller)
	pia := urnOf(t, steps, mocks.TypePodIdentityAssociation, "cluster-with-karpenter-karpenter-pod-identity")
	ns := urnOf(t, steps, mocks.TypeNamespace, "cluster-with-karpenter-karpenter-namespace")
	require.Equal(t, []string{"delete-replaced", "replace", "create-replacement"}, ops(steps, release), "the old controller goes first")
	require.Equal(t, []string{"create-replacement", "replace", "delete-replaced"}, ops(steps, pia))
	require.Equal(t, []string{"create"}, ops(steps, ns))
	require.Less(t, engine.Index(steps, "create", ns), engine.Index(steps, "create-replacement", release), "the namespace exists before the release")
	for _, s := range engine.Changed(steps) {
		require.Containsf(t, []string{release, pia, ns}, s.URN, "only the controller, its association and the namespace change, not %s %s", s.Op, s.URN)
	}
	for _, s := range steps {
		if s.Type == mocks.TypeNodePool || s.Type == mocks.TypeEC2NodeClass {
			require.Equalf(t, "same", s.Op, "%s survives the move", s.URN)
		}
	}
	for _, s := range engine.Changed(steps) {
		if s.URN == release && s.Op == "delete-replaced" {
			require.Contains(t, s.Karpenter, "controller down")
		}
	}
}

// A Karpenter version bump updates both releases in place, the CRDs first: the controller release depends on the
// CRD release, and the engine updates a resource only after its dependencies.
func TestAKarpenterVersionBumpUpgradesTheCRDsFirst(t *testing.T) {
	old := dev(t, map[string]string{config.KeyKarpenterVersion: "1.14.0"})
	snap, _, err := engine.Up(old, nil)
	require.NoError(t, err)
	steps := previewFrom(t, dev(t, nil), snap)
	crds, ctl := urnOf(t, steps, pulumik8s.ReleaseType, crdRelease), urnOf(t, steps, pulumik8s.ReleaseType, controller)
	require.ElementsMatch(t, []string{
		"update " + pulumik8s.ReleaseType + " " + controller,
		"update " + pulumik8s.ReleaseType + " " + crdRelease,
	}, changedNames(steps))
	require.Less(t, engine.Index(steps, "update", crds), engine.Index(steps, "update", ctl))
}

// Admins' access entries are keyed by identity (components/cluster): removing one admin deletes only that one's
// entry and policy association, and the other's stay. pulumi-eks registers them, under its Cluster.
func TestRemovingAnAdminDeletesOnlyItsAccessEntry(t *testing.T) {
	const alice, bob = "arn:aws:iam::123456789012:role/alice", "arn:aws:iam::123456789012:role/bob"
	snap, _, err := engine.Up(dev(t, map[string]string{config.KeyClusterAdminPrincipals: `["` + alice + `","` + bob + `"]`}), nil)
	require.NoError(t, err)
	steps := previewFrom(t, dev(t, map[string]string{config.KeyClusterAdminPrincipals: `["` + bob + `"]`}), snap)
	const eks = "cluster-with-karpenter-eks"
	require.ElementsMatch(t, []string{
		"delete " + mocks.TypeAccessEntry + " " + eks + "-admin-123456789012-role-alice",
		"delete " + mocks.TypeAccessPolicyAssociation + " " + eks + "-admin-123456789012-role-alice-cluster-admin",
	}, changedNames(steps))
	require.Equal(t, []string{"same"}, ops(steps, urnOf(t, steps, mocks.TypeAccessEntry, eks+"-admin-123456789012-role-bob")))
	association := urnOf(t, steps, mocks.TypeAccessPolicyAssociation, eks+"-admin-123456789012-role-alice-cluster-admin")
	entry := urnOf(t, steps, mocks.TypeAccessEntry, eks+"-admin-123456789012-role-alice")
	require.Less(t, engine.Index(steps, "delete", association), engine.Index(steps, "delete", entry), "the association goes before its entry")
}

// A change the program refuses (here a Kubernetes downgrade against the running cluster the state records) comes
// back as the program's own error, once, without the engine display's colour markup.
func TestARefusedChangeIsSaidOnce(t *testing.T) {
	base := deployed(t)
	s := dev(t, map[string]string{"kubernetesVersion": "1.34"})
	s.Account = engine.AccountOf(base)
	_, err := engine.Preview(s, base)
	require.Error(t, err)
	msg := err.Error()
	t.Log(msg)
	const refusal = `karpenter-savings:kubernetesVersion: "1.34" is older than 1.35`
	require.Equal(t, 1, strings.Count(msg, refusal), "expected the refusal said once")
	require.NotContains(t, msg, "<{%", "expected no colour markup")
}
