package engine_test

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/pkg/v3/resource/deploy"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/stretchr/testify/require"

	"github.com/karpenter-savings/karpenter-savings/internal/offline/engine"
	"github.com/karpenter-savings/karpenter-savings/internal/offline/mocks"
	"github.com/karpenter-savings/karpenter-savings/internal/program/config"
	"github.com/karpenter-savings/karpenter-savings/internal/program/pulumik8s"
)

// Ask 7 of issue 31: Karpenter is never uninstalled before its pools. A NodePool or EC2NodeClass deleted while no
// controller runs waits on its NodeClaims' finalizers until pulumi-kubernetes' timeout, and the instances stay.

// poolsGoFirst fails unless every delete of a NodePool or EC2NodeClass comes before the delete of the controller
// release that serves it, and returns how many pool deletes it saw.
func poolsGoFirst(t *testing.T, steps []engine.Step) int {
	t.Helper()
	released := -1
	for i, s := range steps {
		if s.Type == pulumik8s.ReleaseType && strings.HasSuffix(s.URN, "::"+controller) && isDelete(s.Op) {
			released = i
			break
		}
	}
	pools := 0
	for i, s := range steps {
		if (s.Type == mocks.TypeNodePool || s.Type == mocks.TypeEC2NodeClass) && isDelete(s.Op) {
			pools++
			require.Truef(t, released < 0 || i < released, "%s %s comes after the controller's uninstall (step %d): %v", s.Op, s.URN, released, steps)
		}
	}
	return pools
}

func isDelete(op string) bool {
	return op == string(deploy.OpDelete) || op == string(deploy.OpDeleteReplaced)
}

// elsewhere returns base with the Kubernetes providers' kubeconfig pointing at another cluster, as a state saved
// before the cluster was rebuilt, or exported from another stack, has it.
func elsewhere(base *deploy.Snapshot) *deploy.Snapshot {
	move := func(v resource.PropertyValue) resource.PropertyValue {
		switch {
		case v.IsString():
			return resource.NewStringProperty(strings.ReplaceAll(v.StringValue(), mocks.ClusterEndpoint, "https://ANOTHER.gr7.us-east-1.eks.amazonaws.com"))
		case v.IsSecret():
			return resource.MakeSecret(resource.NewStringProperty(strings.ReplaceAll(v.SecretValue().Element.StringValue(), mocks.ClusterEndpoint, "https://ANOTHER.gr7.us-east-1.eks.amazonaws.com")))
		}
		return v
	}
	for _, r := range base.Resources {
		if string(r.Type) == mocks.TypeKubernetesProvider {
			r.Inputs["kubeconfig"], r.Outputs["kubeconfig"] = move(r.Inputs["kubeconfig"]), move(r.Outputs["kubeconfig"])
		}
	}
	return base
}

// When pulumi-kubernetes replaces the cluster's provider (DiffConfig: the kubeconfig's active cluster changed), the
// engine replaces every object on it. The provider is delete-before-replace (components/cluster), so the old
// NodePools and EC2NodeClasses go first, while the old controller still runs, then the controller, then the CRDs.
// Without it the controller release, itself delete-before-replace, was uninstalled first and the old pools last.
func TestAProviderReplacementDeletesThePoolsBeforeTheController(t *testing.T) {
	steps := previewFrom(t, dev(t, nil), elsewhere(deployed(t)))
	provider := urnOf(t, steps, mocks.TypeKubernetesProvider, "cluster-with-karpenter-k8s")
	require.Equal(t, []string{"delete-replaced", "replace", "create-replacement"}, ops(steps, provider), "the provider is replaced delete-first")
	app := urnOf(t, steps, mocks.TypeKubernetesProvider, "cluster-with-karpenter-sampleapp-k8s")
	require.Equal(t, []string{"delete-replaced", "replace", "create-replacement"}, ops(steps, app), "and so is the sample app's")
	require.Equal(t, 5, poolsGoFirst(t, steps), "three NodePools and two EC2NodeClasses are replaced")
	release := urnOf(t, steps, pulumik8s.ReleaseType, controller)
	crds := urnOf(t, steps, pulumik8s.ReleaseType, crdRelease)
	require.Less(t, engine.Index(steps, "delete-replaced", release), engine.Index(steps, "delete-replaced", crds), "the CRDs outlive the controller")
	require.Less(t, engine.Index(steps, "delete-replaced", crds), engine.Index(steps, "delete-replaced", provider))
	require.Less(t, engine.Index(steps, "delete-replaced", provider), engine.Index(steps, "create-replacement", release))
	require.Contains(t, steps[engine.Index(steps, "delete-replaced", provider)].Karpenter, "NodePools before the controller")
	require.Contains(t, steps[engine.Index(steps, "delete-replaced", release)].Karpenter, "controller down")
	pool := urnOf(t, steps, mocks.TypeNodePool, "cluster-with-karpenter-nodepools-nodepool-default")
	require.Contains(t, steps[engine.Index(steps, "delete-replaced", pool)].Karpenter, "pool drained")
}

// A namespace move replaces the controller and deletes no pool.
func TestANamespaceMoveDeletesNoPool(t *testing.T) {
	steps := plan(t, map[string]string{config.KeyKarpenterNamespace: "karpenter"})
	require.Zero(t, poolsGoFirst(t, steps))
}

// Disabling a pool deletes it while the controller, untouched, runs.
func TestDisablingAPoolDeletesItWithTheControllerRunning(t *testing.T) {
	steps := plan(t, map[string]string{config.KeyNodePools: poolsWith(t, map[string]string{"gpu": `{"enabled": false}`})})
	require.Equal(t, 2, poolsGoFirst(t, steps), "the gpu NodePool and its EC2NodeClass go: %v", changedNames(steps))
	require.Equal(t, []string{"same"}, ops(steps, urnOf(t, steps, pulumik8s.ReleaseType, controller)))
}

// `pulumi destroy` deletes the NodePools and EC2NodeClasses before the controller release, the CRDs after it.
func TestDestroyDeletesThePoolsBeforeTheController(t *testing.T) {
	steps, err := engine.Destroy(dev(t, nil), deployed(t))
	require.NoError(t, err)
	require.Equal(t, 5, poolsGoFirst(t, steps))
	release := urnOf(t, steps, pulumik8s.ReleaseType, controller)
	crds := urnOf(t, steps, pulumik8s.ReleaseType, crdRelease)
	nodeGroupURN := urnOf(t, steps, mocks.TypeNodeGroup, nodeGroup)
	require.Less(t, engine.Index(steps, "delete", release), engine.Index(steps, "delete", crds))
	require.Less(t, engine.Index(steps, "delete", release), engine.Index(steps, "delete", nodeGroupURN), "the controller's nodes outlive it")
}
