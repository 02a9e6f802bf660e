package engine

import (
	"context"
	"testing"

	"github.com/pulumi/pulumi/pkg/v3/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/stretchr/testify/require"

	"github.com/karpenter-savings/karpenter-savings/internal/offline/mocks"
)

func obj(m map[string]any) resource.PropertyMap { return resource.NewPropertyMapFromMap(m) }

// The replace rules the hand planner missed (issue 31): per-kind force-new fields, pulumi-kubernetes' delete-first
// for an object replaced under its own name, the EKS cluster's explicit name, and unknown force-new values.
func TestDiffFollowsTheProvidersReplaceRules(t *testing.T) {
	named := func(kind string, extra map[string]any) map[string]any {
		m := map[string]any{"apiVersion": "v1", "kind": kind, "metadata": map[string]any{"name": "x", "namespace": "a"}}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	for _, tc := range []struct {
		name        string
		token       string
		olds, news  resource.PropertyMap
		replaces    []resource.PropertyKey
		deleteFirst bool
	}{
		{"ConfigMap data replaces, delete-first under its name", mocks.TypeConfigMap,
			obj(named("ConfigMap", map[string]any{"data": map[string]any{"k": "1"}})), obj(named("ConfigMap", map[string]any{"data": map[string]any{"k": "2"}})),
			[]resource.PropertyKey{"data"}, true},
		{"a Deployment's selector replaces", mocks.TypeDeployment,
			obj(named("Deployment", map[string]any{"spec": map[string]any{"selector": map[string]any{"matchLabels": map[string]any{"a": "1"}}}})),
			obj(named("Deployment", map[string]any{"spec": map[string]any{"selector": map[string]any{"matchLabels": map[string]any{"a": "2"}}}})),
			[]resource.PropertyKey{"spec"}, true},
		{"a Deployment's replicas update", mocks.TypeDeployment,
			obj(named("Deployment", map[string]any{"spec": map[string]any{"replicas": 1}})), obj(named("Deployment", map[string]any{"spec": map[string]any{"replicas": 2}})),
			nil, false},
		{"a new namespace replaces create-first", mocks.TypeNodePool,
			obj(named("NodePool", nil)), obj(map[string]any{"kind": "NodePool", "metadata": map[string]any{"name": "x", "namespace": "b"}}),
			[]resource.PropertyKey{"metadata"}, false},
		{"the EKS cluster's name replaces it delete-first", mocks.TypeAWSEKSCluster,
			obj(map[string]any{"name": "a", "version": "1.33"}), obj(map[string]any{"name": "b", "version": "1.33"}),
			[]resource.PropertyKey{"name"}, true},
		{"the EKS cluster's version updates it", mocks.TypeAWSEKSCluster,
			obj(map[string]any{"name": "a", "version": "1.33"}), obj(map[string]any{"name": "a", "version": "1.34"}),
			nil, false},
		{"an unknown force-new value replaces", mocks.TypeNodeGroup,
			obj(map[string]any{"nodeRoleArn": "arn:1"}), resource.PropertyMap{"nodeRoleArn": resource.MakeComputed(resource.NewStringProperty(""))},
			[]resource.PropertyKey{"nodeRoleArn"}, false},
		// Corrected after a review of the tables against terraform-provider-aws's schemas (2026-12-08).
		{"a node group's launch template version updates it", mocks.TypeNodeGroup,
			obj(map[string]any{"launchTemplate": map[string]any{"id": "lt-1", "version": "1"}}),
			obj(map[string]any{"launchTemplate": map[string]any{"id": "lt-1", "version": "2"}}),
			nil, false},
		{"a node group's launch template id replaces it", mocks.TypeNodeGroup,
			obj(map[string]any{"launchTemplate": map[string]any{"id": "lt-1", "version": "1"}}),
			obj(map[string]any{"launchTemplate": map[string]any{"id": "lt-2", "version": "1"}}),
			[]resource.PropertyKey{"launchTemplate"}, false},
		{"a cost allocation tag's key updates it", "aws:costexplorer/costAllocationTag:CostAllocationTag",
			obj(map[string]any{"tagKey": "a", "status": "Active"}), obj(map[string]any{"tagKey": "b", "status": "Active"}),
			nil, false},
		{"the EKS cluster's IP family replaces it delete-first", mocks.TypeAWSEKSCluster,
			obj(map[string]any{"name": "a", "kubernetesNetworkConfig": map[string]any{"ipFamily": "ipv4"}}),
			obj(map[string]any{"name": "a", "kubernetesNetworkConfig": map[string]any{"ipFamily": "ipv6"}}),
			[]resource.PropertyKey{"kubernetesNetworkConfig"}, true},
		{"a Helm release's namespace replaces, never delete-first by the provider", "kubernetes:helm.sh/v3:Release",
			obj(map[string]any{"name": "k", "namespace": "a"}), obj(map[string]any{"name": "k", "namespace": "b"}),
			[]resource.PropertyKey{"namespace"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &provider{pkg: tokens.Package("x")}
			res, err := p.diff(context.Background(), plugin.DiffRequest{
				Type: tokens.Type(tc.token), OldInputs: resource.FromResourcePropertyMap(tc.olds), NewInputs: resource.FromResourcePropertyMap(tc.news),
			})
			require.NoError(t, err)
			require.Equal(t, plugin.DiffSome, res.Changes)
			require.Equal(t, tc.replaces, res.ReplaceKeys)
			require.Equal(t, tc.deleteFirst, res.DeleteBeforeReplace)
		})
	}
}

// A type without rules whose inputs change is an error that says where to add them, not a guess.
func TestDiffRefusesATypeWithoutRules(t *testing.T) {
	p := &provider{pkg: "aws"}
	_, err := p.diff(context.Background(), plugin.DiffRequest{
		URN: "urn:pulumi:dev::p::aws:lambda/function:Function::f", Type: "aws:lambda/function:Function",
		OldInputs: resource.FromResourcePropertyMap(obj(map[string]any{"a": "1"})), NewInputs: resource.FromResourcePropertyMap(obj(map[string]any{"a": "2"})),
	})
	require.ErrorContains(t, err, "internal/offline/engine/rules.go")
}

// pulumi-kubernetes' DiffConfig: an unknown kubeconfig, or one whose active cluster changed, replaces the provider;
// another change (a user's credentials) updates it; an unreadable secret of a real export cannot be told apart.
func TestKubernetesDiffConfig(t *testing.T) {
	kc := func(cluster, region string) resource.PropertyValue {
		return resource.NewStringProperty(mocks.Kubeconfig(cluster, region))
	}
	other := resource.NewStringProperty(`{"clusters":[{"name":"kubernetes","cluster":{"server":"https://other"}}],"contexts":[{"name":"aws","context":{"cluster":"kubernetes"}}],"current-context":"aws"}`)
	for _, tc := range []struct {
		name     string
		old, new resource.PropertyValue
		replace  bool
	}{
		{"unknown at preview", kc("c", "us-east-1"), resource.MakeComputed(resource.NewStringProperty("")), true},
		{"another cluster", kc("c", "us-east-1"), other, true},
		{"same cluster, other credentials", kc("c", "us-east-1"), kc("d", "us-east-1"), false},
		{"unreadable secret", resource.MakeSecret(resource.NewStringProperty(Unreadable)), other, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &provider{pkg: "kubernetes"}
			res, err := p.diffConfig(context.Background(), plugin.DiffConfigRequest{
				OldInputs: resource.FromResourcePropertyMap(resource.PropertyMap{"kubeconfig": tc.old}),
				NewInputs: resource.FromResourcePropertyMap(resource.PropertyMap{"kubeconfig": tc.new}),
			})
			require.NoError(t, err)
			require.Equal(t, plugin.DiffSome, res.Changes)
			require.Equal(t, tc.replace, len(res.ReplaceKeys) > 0, "%v", res.ReplaceKeys)
		})
	}
}
