package tests

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/karpenter-savings/karpenter-savings/internal/mockcloud"
)

// dependsOn returns every resource name reachable from name through recorded dependencies: what Pulumi must keep
// until name is deleted.
func dependsOn(rec *mockcloud.Recording, name string) map[string]bool {
	edges := map[string][]string{}
	for _, r := range rec.Resources {
		edges[r.Name] = append(edges[r.Name], r.Dependencies...)
	}
	seen := map[string]bool{}
	var walk func(string)
	walk = func(n string) {
		for _, d := range edges[n] {
			if !seen[d] {
				seen[d] = true
				walk(d)
			}
		}
	}
	walk(name)
	return seen
}

// `pulumi destroy` deletes a resource before anything it depends on. Karpenter launches EC2 instances Pulumi does
// not know; they are only terminated if the NodePools and EC2NodeClasses are deleted while the controller, its
// IAM, its queue, the node group it runs on, the cluster and the network still exist.
func TestDestroyDeletesNodePoolsWhileKarpenterStillRuns(t *testing.T) {
	rec := renderDev(t)
	mustOutlive := []string{
		"cluster-with-karpenter-karpenter-release",
		"cluster-with-karpenter-karpenter-crd-release",
		"cluster-with-karpenter-karpenter-controller-role",
		"cluster-with-karpenter-karpenter-controller-node-lifecycle-attachment",
		"cluster-with-karpenter-karpenter-pod-identity",
		"cluster-with-karpenter-karpenter-interruption-queue",
		"cluster-with-karpenter-karpenter-node-role",
		"cluster-with-karpenter-karpenter-node-access-entry",
		"cluster-with-karpenter-critical-addons-only",
		"cluster-with-karpenter-eks-pod-identity-agent",
		"cluster-with-karpenter-eks",
		"cluster-with-karpenter-network-private-us-east-1a",
		"cluster-with-karpenter-network-nat-us-east-1a",
	}
	objects := append(rec.ByType("kubernetes:karpenter.sh/v1:NodePool"), rec.ByType("kubernetes:karpenter.k8s.aws/v1:EC2NodeClass")...)
	require.Len(t, objects, 5, "three NodePools and two EC2NodeClasses")
	for _, obj := range objects {
		deps := dependsOn(rec, obj.Name)
		for _, want := range mustOutlive {
			require.Truef(t, deps[want], "%s must depend on %s so that destroy removes it first", obj.Name, want)
		}
	}
}

func TestDestroyRemovesTheSampleAppBeforeThePools(t *testing.T) {
	rec := renderDev(t)
	app := one(t, rec, "kubernetes:yaml/v2:ConfigFile", "cluster-with-karpenter-sampleapp-manifest")
	deps := dependsOn(rec, app.Name)
	for _, pool := range rec.ByType("kubernetes:karpenter.sh/v1:NodePool") {
		require.Truef(t, deps[pool.Name], "the sample app depends on %s", pool.Name)
	}
}

func TestKarpenterControllerWaitsForItsNodeGroupAndPodIdentity(t *testing.T) {
	rec := renderDev(t)
	deps := dependsOn(rec, "cluster-with-karpenter-karpenter-release")
	for _, want := range []string{
		"cluster-with-karpenter-critical-addons-only",
		"cluster-with-karpenter-eks-pod-identity-agent",
		"cluster-with-karpenter-karpenter-pod-identity",
		"cluster-with-karpenter-karpenter-crd-release",
	} {
		require.Truef(t, deps[want], "the Karpenter release depends on %s", want)
	}
	for _, pool := range rec.ByType("kubernetes:karpenter.sh/v1:NodePool") {
		require.Falsef(t, deps[pool.Name], "the release must not depend on %s: that would invert the destroy order", pool.Name)
	}
}
