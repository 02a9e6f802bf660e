package karpenter_test

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"

	"github.com/karpenter-savings/karpenter-savings/components/karpenter"
)

// providerModule holds the charts at the same version as the Karpenter Go modules in go.mod.
const providerModule = "github.com/aws/karpenter-provider-aws"

// chartDir finds a chart of the pinned provider module in the module cache, so rendering needs no network.
func chartDir(t *testing.T, chart string) string {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", providerModule).Output()
	require.NoError(t, err, "locate %s in the module cache", providerModule)
	dir := strings.TrimSpace(string(out))
	require.NotEmpty(t, dir, "%s is not downloaded; run go mod download %s", providerModule, providerModule)
	return filepath.Join(dir, "charts", chart)
}

// render renders a chart offline, as Helm would install it as release name in kube-system.
func render(t *testing.T, chart, name string, values map[string]any) map[string]string {
	t.Helper()
	chrt, err := loader.Load(chartDir(t, chart))
	require.NoError(t, err, "load chart %s", chart)
	vals, err := chartutil.ToRenderValues(chrt, values, chartutil.ReleaseOptions{
		Name:      name,
		Namespace: karpenter.DefaultNamespace,
		Revision:  1,
		IsInstall: true,
	}, chartutil.DefaultCapabilities)
	require.NoError(t, err, "values for chart %s", chart)
	manifests, err := engine.Render(chrt, vals)
	require.NoError(t, err, "render chart %s", chart)
	return manifests
}

// manifest decodes the rendered template file into obj.
func manifest(t *testing.T, manifests map[string]string, file string, obj any) {
	t.Helper()
	text, ok := manifests[file]
	require.True(t, ok, "rendered chart has no %s", file)
	require.NoError(t, yaml.UnmarshalStrict([]byte(text), obj), "decode %s:\n%s", file, text)
}

func envValue(c corev1.Container, name string) (string, bool) {
	for _, e := range c.Env {
		if e.Name == name {
			return e.Value, true
		}
	}
	return "", false
}

func TestChartRendersWithTheComponentsValues(t *testing.T) {
	values := karpenter.HelmValues(karpenter.ReleaseValues{
		ClusterName:          clusterName,
		InterruptionQueue:    "interruption-queue-name",
		ServiceAccount:       karpenter.DefaultServiceAccount,
		ControllerCPU:        karpenter.DefaultControllerCPU,
		ControllerMemory:     karpenter.DefaultControllerMemory,
		Replicas:             karpenter.DefaultReplicas,
		CriticalNodeSelector: map[string]string{criticalNodeGroupKey: criticalNodeGroupName},
	})
	// The provider receives the values as JSON; render what it would render.
	asJSON, ok := asData(t, values).(map[string]any)
	require.True(t, ok, "values as JSON: want an object")
	manifests := render(t, "karpenter", karpenter.ReleaseName, asJSON)

	var deploy appsv1.Deployment
	manifest(t, manifests, "karpenter/templates/deployment.yaml", &deploy)
	pod := deploy.Spec.Template.Spec
	require.Len(t, pod.Containers, 1, "controller containers")
	controller := pod.Containers[0]

	t.Run("replicas", func(t *testing.T) {
		require.NotNil(t, deploy.Spec.Replicas, "replicas")
		require.Equal(t, int32(2), *deploy.Spec.Replicas, "replicas")
	})
	t.Run("service account", func(t *testing.T) {
		require.Equal(t, "karpenter", pod.ServiceAccountName, "pod service account")
	})
	t.Run("tolerates the critical addons taint", func(t *testing.T) {
		require.Contains(t, pod.Tolerations, corev1.Toleration{Key: "CriticalAddonsOnly", Operator: corev1.TolerationOpExists},
			"tolerations: %+v", pod.Tolerations)
	})
	t.Run("runs only on critical nodes, never on Karpenter's", func(t *testing.T) {
		require.NotNil(t, pod.Affinity, "affinity")
		require.NotNil(t, pod.Affinity.NodeAffinity, "node affinity")
		required := pod.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution
		require.NotNil(t, required, "required node affinity")
		want := []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{
			{Key: criticalNodeGroupKey, Operator: corev1.NodeSelectorOpIn, Values: []string{criticalNodeGroupName}},
			{Key: "karpenter.sh/nodepool", Operator: corev1.NodeSelectorOpDoesNotExist},
		}}}
		require.Equal(t, want, required.NodeSelectorTerms, "node selector terms")
	})
	t.Run("keeps the chart's pod anti-affinity", func(t *testing.T) {
		require.NotNil(t, pod.Affinity.PodAntiAffinity, "pod anti-affinity")
		terms := pod.Affinity.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution
		require.Len(t, terms, 1, "pod anti-affinity terms")
		require.Equal(t, "kubernetes.io/hostname", terms[0].TopologyKey, "anti-affinity topology key")
	})
	t.Run("requests equal limits", func(t *testing.T) {
		for kind, list := range map[string]corev1.ResourceList{
			"requests": controller.Resources.Requests,
			"limits":   controller.Resources.Limits,
		} {
			require.Equal(t, "1", list.Cpu().String(), "%s cpu", kind)
			require.Equal(t, "1Gi", list.Memory().String(), "%s memory", kind)
		}
	})
	for _, env := range []struct{ name, want string }{
		{"CLUSTER_NAME", clusterName},
		{"INTERRUPTION_QUEUE", "interruption-queue-name"},
	} {
		t.Run("env "+env.name, func(t *testing.T) {
			got, ok := envValue(controller, env.name)
			require.True(t, ok, "controller env has no %s", env.name)
			require.Equal(t, env.want, got, "%s", env.name)
		})
	}
	t.Run("pod disruption budget", func(t *testing.T) {
		var pdb policyv1.PodDisruptionBudget
		manifest(t, manifests, "karpenter/templates/poddisruptionbudget.yaml", &pdb)
		require.NotNil(t, pdb.Spec.MaxUnavailable, "maxUnavailable")
		require.Equal(t, 1, pdb.Spec.MaxUnavailable.IntValue(), "maxUnavailable")
	})
}

// TestCRDChartRendersTheCRDsAsTemplates backs the upgrade choice in docs/architecture.md: Helm upgrades what the CRD
// chart renders from templates/, whereas it only ever installs a chart's crds/ directory. With the component's
// values every CRD carries Helm's keep policy, so an uninstall of the release leaves the CRDs (and the NodePools).
func TestCRDChartRendersTheCRDsAsTemplates(t *testing.T) {
	manifests := render(t, "karpenter-crd", karpenter.CRDReleaseName, karpenter.CRDHelmValues())
	var names []string
	for file, text := range manifests {
		if !strings.HasPrefix(file, "karpenter-crd/templates/") || strings.TrimSpace(text) == "" {
			continue
		}
		var crd apiextensionsv1.CustomResourceDefinition
		require.NoError(t, yaml.Unmarshal([]byte(text), &crd), "decode %s", file)
		require.Equal(t, "CustomResourceDefinition", crd.Kind, "%s kind", file)
		require.Equal(t, "keep", crd.Annotations["helm.sh/resource-policy"], "%s: Helm's resource policy", file)
		names = append(names, crd.Name)
	}
	for _, want := range []string{"nodepools.karpenter.sh", "nodeclaims.karpenter.sh", "ec2nodeclasses.karpenter.k8s.aws"} {
		require.Contains(t, names, want, "CRD chart templates: expected %s among %v", want, names)
	}
}
