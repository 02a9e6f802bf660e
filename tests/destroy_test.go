package tests

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/karpenter-savings/karpenter-savings/internal/offline/deep"
	"github.com/karpenter-savings/karpenter-savings/internal/offline/engine"
	"github.com/karpenter-savings/karpenter-savings/internal/offline/mocks"
	"github.com/karpenter-savings/karpenter-savings/internal/program/pulumik8s"
)

// urn returns the URN of the one resource of a type and name: names alone are not unique (a subnet, its route table
// and its association share one).
func urn(t *testing.T, rec *mocks.Recording, token, name string) string {
	t.Helper()
	return one(t, rec, token, name).URN
}

// egressPath are the URNs of everything the private subnets reach EC2 and the internet through in the dev stack
// (single NAT gateway in the first zone): without any of them, Karpenter's controller cannot call EC2.
func egressPath(t *testing.T, rec *mocks.Recording) []string {
	t.Helper()
	n := "cluster-with-karpenter-network"
	var urns []string
	for _, r := range []struct{ token, name string }{
		{mocks.TypeInternetGateway, n + "-igw"},
		{mocks.TypeRouteTable, n + "-public"},
		{mocks.TypeRouteTableAssociation, n + "-public-us-east-1a"},
		{mocks.TypeRouteTableAssociation, n + "-public-us-east-1c"},
		{mocks.TypeEip, n + "-nat-us-east-1a"},
		{mocks.TypeNatGateway, n + "-nat-us-east-1a"},
		{mocks.TypeSubnet, n + "-public-us-east-1a"},
		{mocks.TypeRouteTable, n + "-private-us-east-1a"},
		{mocks.TypeRouteTable, n + "-private-us-east-1c"},
		{mocks.TypeRouteTableAssociation, n + "-private-us-east-1a"},
		{mocks.TypeRouteTableAssociation, n + "-private-us-east-1c"},
		{mocks.TypeSubnet, n + "-private-us-east-1a"},
		{mocks.TypeSubnet, n + "-private-us-east-1c"},
		{mocks.TypeVpc, n + "-vpc"},
	} {
		urns = append(urns, urn(t, rec, r.token, r.name))
	}
	return urns
}

// `pulumi destroy` deletes a resource before anything it depends on. Karpenter launches EC2 instances Pulumi does
// not know; they are only terminated if the NodePools and EC2NodeClasses are deleted while the controller, its
// IAM, its queue, the node group it runs on, the cluster, and the network path by which it reaches EC2 still exist.
// Without the egress resources among their dependencies, destroy would remove the route tables, NAT gateways and
// internet gateway first, and Karpenter could not reach EC2 to terminate its instances.
func TestDestroyDeletesNodePoolsWhileKarpenterStillRuns(t *testing.T) {
	rec := renderDev(t)
	k := "cluster-with-karpenter-karpenter"
	mustOutlive := append(egressPath(t, rec),
		urn(t, rec, pulumik8s.ReleaseType, k+"-release"),
		urn(t, rec, pulumik8s.ReleaseType, k+"-crd-release"),
		urn(t, rec, mocks.TypeRole, k+"-controller-role"),
		urn(t, rec, mocks.TypeRolePolicyAttachment, k+"-controller-node-lifecycle-attachment"),
		urn(t, rec, mocks.TypePodIdentityAssociation, k+"-pod-identity"),
		urn(t, rec, mocks.TypeQueue, k+"-interruption-queue"),
		urn(t, rec, mocks.TypeRole, k+"-node-role"),
		urn(t, rec, mocks.TypeAccessEntry, k+"-node-access-entry"),
		urn(t, rec, mocks.TypeServiceLinkedRole, k+"-spot-service-linked-role"),
		urn(t, rec, mocks.TypeNodeGroup, "cluster-with-karpenter-critical-addons-only"),
		urn(t, rec, mocks.TypeAddon, "cluster-with-karpenter-eks-pod-identity-agent"),
		urn(t, rec, mocks.TypeAddon, "cluster-with-karpenter-vpc-cni"),
		urn(t, rec, mocks.TypeAddon, "cluster-with-karpenter-coredns"),
		urn(t, rec, deep.EKSClusterType, "cluster-with-karpenter-eks"),
		urn(t, rec, mocks.TypeKubernetesProvider, "cluster-with-karpenter-k8s"),
	)
	objects := append(rec.ByType(mocks.TypeNodePool), rec.ByType(mocks.TypeEC2NodeClass)...)
	require.Len(t, objects, 5, "three NodePools and two EC2NodeClasses")
	for _, obj := range objects {
		outlive := rec.Outlives(obj.URN)
		for _, want := range mustOutlive {
			require.Truef(t, outlive[want], "%s must be deleted before %s", obj.URN, want)
		}
	}

	// And Pulumi's engine, running `pulumi destroy` on the state of an offline `pulumi up`, deletes them in that order.
	snap, _, err := engine.Up(engineStack(devConfig(t)), nil)
	require.NoError(t, err)
	steps, err := engine.Destroy(engineStack(devConfig(t)), snap)
	require.NoError(t, err)
	for _, obj := range objects {
		deleted := engine.Index(steps, "delete", obj.URN)
		require.GreaterOrEqualf(t, deleted, 0, "destroy deletes %s", obj.URN)
		for _, want := range mustOutlive {
			require.Lessf(t, deleted, engine.Index(steps, "delete", want), "%s is deleted before %s", obj.URN, want)
		}
	}
}

// The ui Service's load balancer has network interfaces with public addresses in the public subnets: the internet
// gateway and the public routes cannot go while it exists, so the sample app (and with it the Service) goes first.
func TestDestroyRemovesTheSampleAppBeforeThePoolsAndThePublicRoutes(t *testing.T) {
	rec := renderDev(t)
	ui := urn(t, rec, mocks.TypeService, "cluster-with-karpenter-sampleapp-manifest:retail-store/ui")
	outlive := rec.Outlives(ui)
	for _, pool := range rec.ByType(mocks.TypeNodePool) {
		require.Truef(t, outlive[pool.URN], "the ui Service must be deleted before %s", pool.URN)
	}
	for _, want := range egressPath(t, rec) {
		require.Truef(t, outlive[want], "the ui Service must be deleted before %s", want)
	}
}

func TestKarpenterControllerWaitsForItsNodeGroupAndPodIdentity(t *testing.T) {
	rec := renderDev(t)
	k := "cluster-with-karpenter-karpenter"
	release := urn(t, rec, pulumik8s.ReleaseType, k+"-release")
	outlive := rec.Outlives(release)
	for _, want := range []string{
		urn(t, rec, mocks.TypeNodeGroup, "cluster-with-karpenter-critical-addons-only"),
		urn(t, rec, mocks.TypeAddon, "cluster-with-karpenter-eks-pod-identity-agent"),
		urn(t, rec, mocks.TypePodIdentityAssociation, k+"-pod-identity"),
		urn(t, rec, pulumik8s.ReleaseType, k+"-crd-release"),
		urn(t, rec, mocks.TypeServiceLinkedRole, k+"-spot-service-linked-role"),
	} {
		require.Truef(t, outlive[want], "the Karpenter release depends on %s", want)
	}
	for _, pool := range rec.ByType(mocks.TypeNodePool) {
		require.Falsef(t, outlive[pool.URN], "the release must not depend on %s: that would invert the destroy order", pool.URN)
	}
}

// Outlives must follow URNs, not names: the private subnet, its route table and its association share a name, and a
// name-based walk would count the subnet's dependency as one on the route table.
func TestOutlivesDistinguishesResourcesThatShareAName(t *testing.T) {
	rec := renderDev(t)
	n := "cluster-with-karpenter-network-private-us-east-1a"
	subnet := urn(t, rec, mocks.TypeSubnet, n)
	outlive := rec.Outlives(subnet)
	require.False(t, outlive[urn(t, rec, mocks.TypeRouteTable, n)], "a subnet does not depend on its route table")
	require.False(t, outlive[urn(t, rec, mocks.TypeRouteTableAssociation, n)], "nor on its association")
	require.True(t, outlive[urn(t, rec, mocks.TypeVpc, "cluster-with-karpenter-network-vpc")], "it depends on its VPC")
}
