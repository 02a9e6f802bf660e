//go:build deep

package tests

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/karpenter-savings/karpenter-savings/internal/offline/mocks"
	"github.com/karpenter-savings/karpenter-savings/internal/offline/policy"
	"github.com/karpenter-savings/karpenter-savings/internal/program/config"
	"github.com/karpenter-savings/karpenter-savings/internal/program/project"
)

// The deep render of dev holds the objects of the two Karpenter charts, every object of the sample app in its
// namespace and pulumi-eks's children, and breaks no rule, the deep ones included.
func TestDeepRenderOfDevPassesEveryRule(t *testing.T) {
	rec, component := eksDev(t)
	cfg, _, err := project.LoadConfig("..", "dev")
	require.NoError(t, err)

	var helm, app, eks int
	for _, r := range rec.Resources {
		switch {
		case r.Emulated:
			helm++
		case strings.HasPrefix(r.Name, "cluster-with-karpenter-sampleapp-manifest:"):
			app++
			require.Equal(t, "retail-store", r.Inputs["metadata"].(map[string]any)["namespace"], r.Name)
		case strings.HasPrefix(r.URN, under(component)):
			eks++
		}
	}
	require.Equal(t, 18, helm, "objects of the karpenter-crd and karpenter charts")
	require.Equal(t, 33, app, "objects of the sample app's manifest")
	require.GreaterOrEqual(t, eks, 12, "pulumi-eks's children")

	got := policy.Check(rec, policy.OptionsFor(cfg))
	lines := make([]string, 0, len(got))
	for _, v := range got {
		lines = append(lines, v.String())
	}
	require.Emptyf(t, got, "the deep render of dev breaks %d rule(s):\n%s", len(got), strings.Join(lines, "\n"))
}

// Names made inside pulumi-eks count against AWS's limits too: with the longest cluster name the configuration
// allows, every resource of the deep render, pulumi-eks's children included, keeps within its name limit and every
// other rule. pulumi-eks's own instance role, <cluster>-eks-instanceRole-role plus 8 characters, broke IAM's 64 for
// every cluster name from 35 characters until the stack stopped it being created.
func TestDeepRenderWithTheLongestClusterNamePassesEveryRule(t *testing.T) {
	name := longestClusterName()
	values := with(devConfig(t), map[string]string{config.KeyClusterName: name})
	rec, component := eksRender(t, values)
	cfg, err := config.Load(values.Lookup)
	require.NoError(t, err)

	var eksNamed int
	for _, r := range rec.Resources {
		if _, ok := policy.NameLimits[r.Type]; ok && strings.HasPrefix(r.URN, under(component)) {
			eksNamed++
		}
	}
	require.GreaterOrEqual(t, eksNamed, 2, "pulumi-eks's security groups are among the names checked")
	got := policy.Check(rec, policy.OptionsFor(cfg))
	lines := make([]string, 0, len(got))
	for _, v := range got {
		lines = append(lines, v.String())
	}
	require.Emptyf(t, got, "with the %d-character cluster name %s, the deep render breaks %d rule(s):\n%s",
		len(name), name, len(got), strings.Join(lines, "\n"))
}

// mutate replaces the one resource of rec named name.
func mutate(t *testing.T, rec *mocks.Recording, token, name string, edit func(r *mocks.Resource)) {
	t.Helper()
	for i := range rec.Resources {
		if rec.Resources[i].Type == token && rec.Resources[i].Name == name {
			edit(&rec.Resources[i])
			return
		}
	}
	t.Fatalf("no %s %s in the render", token, name)
}

func TestDeepRulesCatchAChartContainerWithoutRequests(t *testing.T) {
	rec, _ := eksDev(t)
	const controller = "cluster-with-karpenter-karpenter-release:kube-system/karpenter"
	mutate(t, rec, mocks.TypeDeployment, controller, func(r *mocks.Resource) {
		containers := r.Inputs["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)["containers"].([]any)
		delete(containers[0].(map[string]any), "resources")
	})
	got := policy.ContainerRequests(rec)
	require.Len(t, got, 1)
	require.Equal(t, "kubernetes:apps/v1:Deployment "+controller, got[0].Resource)
	require.Contains(t, got[0].Message, "has no cpu or memory request")
}

func TestDeepRulesCatchASampleAppObjectInDefault(t *testing.T) {
	rec, _ := eksDev(t)
	const ui = "cluster-with-karpenter-sampleapp-manifest:retail-store/ui"
	mutate(t, rec, mocks.TypeDeployment, ui, func(r *mocks.Resource) {
		delete(r.Inputs["metadata"].(map[string]any), "namespace")
	})
	// Without its provider's namespace, yaml/v2 would have put it in "default".
	mutate(t, rec, mocks.TypeKubernetesProvider, "cluster-with-karpenter-sampleapp-k8s", func(r *mocks.Resource) {
		delete(r.Inputs, "namespace")
	})
	got := policy.NotInDefault(rec)
	require.NotEmpty(t, got)
	require.Equal(t, policy.RuleNotInDefault, got[0].Rule)
	var names []string
	for _, v := range got {
		names = append(names, v.Resource)
	}
	require.Contains(t, names, "kubernetes:apps/v1:Deployment "+ui)
}
