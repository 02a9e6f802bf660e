package workload

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/karpenter/pkg/utils/resources"
)

func parse(t *testing.T, yaml string) *Workload {
	t.Helper()
	w, err := Parse(strings.NewReader(yaml), "test.yaml")
	require.NoError(t, err)
	return w
}

func TestParseCountsOnePodPerReplica(t *testing.T) {
	for _, tc := range []struct {
		name     string
		yaml     string
		wantPods int
	}{
		{"deployment replicas", deployment("web", "replicas: 3"), 3},
		{"deployment without replicas runs one", deployment("web", ""), 1},
		{"deployment scaled to zero", deployment("web", "replicas: 0"), 0},
		{"statefulset replicas", strings.Replace(deployment("db", "replicas: 2"), "kind: Deployment", "kind: StatefulSet", 1), 2},
		{"job runs parallelism pods at once", job("parallelism: 4\n  completions: 10"), 4},
		{"job never runs more than its completions", job("parallelism: 4\n  completions: 2"), 2},
		{"job without parallelism runs one", job(""), 1},
		{"other kinds are skipped", "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {ports: [{port: 80}]}\n", 0},
		{"documents add up", deployment("a", "replicas: 2") + "---\n" + deployment("b", "replicas: 3"), 5},
		{"a List's items are read", "apiVersion: v1\nkind: List\nitems:\n- " + strings.ReplaceAll(deployment("a", "replicas: 2"), "\n", "\n  "), 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := parse(t, tc.yaml)
			require.Len(t, w.Pods, tc.wantPods, "expected %d pods, got %d", tc.wantPods, len(w.Pods))
			for _, p := range w.Pods {
				require.Equal(t, corev1.PodPending, p.Status.Phase, "expected pending pods for the scheduler")
			}
		})
	}
}

func TestParseDaemonSetGivesOnePodTemplate(t *testing.T) {
	w := parse(t, `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: obs}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      containers:
      - name: a
        resources: {limits: {cpu: 100m, memory: 128Mi}}
`)
	require.Empty(t, w.Pods, "expected DaemonSets to add no pending pods")
	require.Len(t, w.DaemonSetPods, 1, "expected one pod per DaemonSet")
	p := w.DaemonSetPods[0]
	require.Equal(t, "obs", p.Namespace)
	require.Equal(t, "100m", p.Spec.Containers[0].Resources.Requests.Cpu().String(), "expected limits merged into requests")
}

func TestNormalize(t *testing.T) {
	gpu := resource.MustParse("1")
	for _, tc := range []struct {
		name  string
		spec  corev1.PodSpec
		check func(t *testing.T, got *corev1.PodSpec, notes []string)
	}{
		{
			name: "requests default to limits",
			spec: podSpec(corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2"), corev1.ResourceMemory: resource.MustParse("1Gi")}}),
			check: func(t *testing.T, got *corev1.PodSpec, _ []string) {
				require.Equal(t, "2", got.Containers[0].Resources.Requests.Cpu().String())
				require.Equal(t, "1Gi", got.Containers[0].Resources.Requests.Memory().String())
			},
		},
		{
			name: "explicit requests win over limits",
			spec: podSpec(corev1.ResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("512Mi")},
				Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("1Gi")},
			}),
			check: func(t *testing.T, got *corev1.PodSpec, _ []string) {
				require.Equal(t, "512Mi", got.Containers[0].Resources.Requests.Memory().String())
			},
		},
		{
			name: "a GPU limit becomes a request and tolerates the GPU taint",
			spec: podSpec(corev1.ResourceRequirements{Limits: corev1.ResourceList{GPUResource: gpu}}),
			check: func(t *testing.T, got *corev1.PodSpec, _ []string) {
				q := got.Containers[0].Resources.Requests[GPUResource]
				require.Equal(t, int64(1), q.Value(), "expected a GPU request of 1")
				require.Contains(t, got.Tolerations, corev1.Toleration{Key: string(GPUResource), Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule})
			},
		},
		{
			name: "a pod already tolerating the GPU taint gets no second toleration",
			spec: func() corev1.PodSpec {
				s := podSpec(corev1.ResourceRequirements{Limits: corev1.ResourceList{GPUResource: gpu}})
				s.Tolerations = []corev1.Toleration{{Key: string(GPUResource), Operator: corev1.TolerationOpEqual, Value: "true", Effect: corev1.TaintEffectNoSchedule}}
				return s
			}(),
			check: func(t *testing.T, got *corev1.PodSpec, _ []string) {
				require.Len(t, got.Tolerations, 1, "expected the pod's own toleration only, got %v", got.Tolerations)
			},
		},
		{
			name: "nodeSelector keeps the architecture and drops pool labels with a note",
			spec: func() corev1.PodSpec {
				s := podSpec(corev1.ResourceRequirements{})
				s.NodeSelector = map[string]string{corev1.LabelArchStable: "amd64", "intent": "apps"}
				return s
			}(),
			check: func(t *testing.T, got *corev1.PodSpec, notes []string) {
				require.Equal(t, map[string]string{corev1.LabelArchStable: "amd64"}, got.NodeSelector)
				require.Len(t, notes, 1, "expected one note, got %v", notes)
				require.Contains(t, notes[0], "intent=apps")
			},
		},
		{
			// Sock Shop's manifests select beta.kubernetes.io/os=linux; Karpenter's scheduler reads it as kubernetes.io/os.
			name: "deprecated beta labels count as the stable ones, in nodeSelector and node affinity",
			spec: func() corev1.PodSpec {
				s := podSpec(corev1.ResourceRequirements{})
				s.NodeSelector = map[string]string{"beta.kubernetes.io/os": "linux"}
				s.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{
					RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{
						MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "beta.kubernetes.io/arch", Operator: corev1.NodeSelectorOpIn, Values: []string{"amd64"}}},
					}}},
				}}
				return s
			}(),
			check: func(t *testing.T, got *corev1.PodSpec, notes []string) {
				require.Equal(t, map[string]string{corev1.LabelOSStable: "linux"}, got.NodeSelector)
				require.Equal(t, []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{
					{Key: corev1.LabelArchStable, Operator: corev1.NodeSelectorOpIn, Values: []string{"amd64"}},
				}}}, got.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms)
				require.Empty(t, notes, "expected nothing ignored")
			},
		},
		{
			name: "node affinity keeps architecture terms and drops the rest",
			spec: func() corev1.PodSpec {
				s := podSpec(corev1.ResourceRequirements{})
				s.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{
					RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{
						MatchExpressions: []corev1.NodeSelectorRequirement{
							{Key: corev1.LabelArchStable, Operator: corev1.NodeSelectorOpIn, Values: []string{"arm64"}},
							{Key: "karpenter.sh/nodepool", Operator: corev1.NodeSelectorOpDoesNotExist},
						},
					}}},
				}}
				return s
			}(),
			check: func(t *testing.T, got *corev1.PodSpec, notes []string) {
				terms := got.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms
				require.Equal(t, []corev1.NodeSelectorRequirement{{Key: corev1.LabelArchStable, Operator: corev1.NodeSelectorOpIn, Values: []string{"arm64"}}}, terms[0].MatchExpressions)
				require.Len(t, notes, 1, "expected one note, got %v", notes)
				require.Contains(t, notes[0], "karpenter.sh/nodepool")
			},
		},
		{
			name: "a required term left empty leaves the pod unnarrowed rather than matching nothing",
			spec: func() corev1.PodSpec {
				s := podSpec(corev1.ResourceRequirements{})
				s.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{
					RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{
						MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "intent", Operator: corev1.NodeSelectorOpIn, Values: []string{"apps"}}},
					}}},
				}}
				return s
			}(),
			check: func(t *testing.T, got *corev1.PodSpec, _ []string) {
				require.Nil(t, got.Affinity.NodeAffinity, "expected no node affinity left")
			},
		},
		{
			name: "init containers count as Kubernetes counts them",
			spec: func() corev1.PodSpec {
				s := podSpec(corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1")}})
				s.InitContainers = []corev1.Container{{Name: "init", Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("3")}}}}
				return s
			}(),
			check: func(t *testing.T, got *corev1.PodSpec, _ []string) {
				req := resources.Ceiling(&corev1.Pod{Spec: *got}).Requests
				require.Equal(t, "3", req.Cpu().String(), "expected the larger of the init container and the app containers")
			},
		},
		{
			name: "persistent volumes are dropped with a note",
			spec: func() corev1.PodSpec {
				s := podSpec(corev1.ResourceRequirements{})
				s.Volumes = []corev1.Volume{{Name: "data", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "data"}}}}
				return s
			}(),
			check: func(t *testing.T, got *corev1.PodSpec, notes []string) {
				require.Empty(t, got.Volumes)
				require.Len(t, notes, 1, "expected one note, got %v", notes)
				require.Contains(t, notes[0], `volume "data"`)
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, notes, err := Normalize("Deployment default/web", tc.spec)
			require.NoError(t, err)
			tc.check(t, got, notes)
		})
	}
}

func TestParseErrorsNameTheDocument(t *testing.T) {
	for _, tc := range []struct {
		name string
		yaml string
		want string
	}{
		{"not YAML", "kind: [Deployment\n", "document 1"},
		{"no kind", "apiVersion: v1\nmetadata: {name: x}\n", "no kind"},
		{"unknown field", strings.Replace(deployment("web", "replicas: 2"), "replicas: 2", "replicaz: 2", 1), `Deployment default/web: unknown field "spec.replicaz" (allowed: the fields that kubectl explain deployment --api-version=apps/v1 --recursive lists)`},
		{"bad quantity", strings.Replace(deployment("web", ""), "cpu: 100m", "cpu: lots", 1), "quantities must match"},
		{"no containers", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n    spec:\n      containers: []\n", "has no containers"},
		{"wrong apiVersion", strings.Replace(deployment("web", ""), "apps/v1", "apps/v1beta1", 1), `Deployment default/web: apiVersion "apps/v1beta1" is not served by current Kubernetes; allowed: apps/v1`},
		{"no name", strings.Replace(deployment("web", ""), "name: web", "labels: {}", 1), "metadata.name is required"},
		{"second document", deployment("ok", "") + "---\n" + "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: bad}\nspec: {replicas: many}\n", "document 2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tc.yaml), "test.yaml")
			require.Error(t, err, "expected an error for %s", tc.name)
			require.Contains(t, err.Error(), tc.want)
			require.Contains(t, err.Error(), "test.yaml", "expected the error to name the file")
		})
	}
}

func TestReadFilesNamesAMissingFile(t *testing.T) {
	_, err := ReadFiles("testdata/does-not-exist.yaml")
	require.ErrorContains(t, err, "does-not-exist.yaml")
}

func deployment(name, replicas string) string {
	return fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: %s
spec:
  %s
  template:
    metadata: {labels: {app: %s}}
    spec:
      containers:
      - name: app
        resources:
          requests: {cpu: 100m, memory: 128Mi}
`, name, replicas, name)
}

func job(spec string) string {
	return fmt.Sprintf(`apiVersion: batch/v1
kind: Job
metadata: {name: batch}
spec:
  %s
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: work
        resources: {requests: {cpu: 100m}}
`, spec)
}

func podSpec(r corev1.ResourceRequirements) corev1.PodSpec {
	return corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Resources: r}}}
}

func TestPodsNameTheirWorkload(t *testing.T) {
	w, err := Parse(strings.NewReader(`apiVersion: batch/v1
kind: Job
metadata: {name: encode, namespace: media}
spec:
  parallelism: 2
  template:
    spec:
      containers: [{name: c}]
`), "test.yaml")
	require.NoError(t, err)
	require.Len(t, w.Pods, 2)
	for _, p := range w.Pods {
		require.Equal(t, Owner{Kind: "Job", Namespace: "media", Name: "encode"}, OwnerOf(p))
	}
	bare := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "lonely"}}
	require.Equal(t, Owner{Kind: "Pod", Namespace: "default", Name: "lonely"}, OwnerOf(bare), "expected a pod without a controller to be its own owner")
}

// A pod that selects one architecture under the beta label and another under the stable one matches no node.
func TestNormalizeRefusesContradictoryAliases(t *testing.T) {
	s := podSpec(corev1.ResourceRequirements{})
	s.NodeSelector = map[string]string{"beta.kubernetes.io/arch": "arm64", corev1.LabelArchStable: "amd64"}
	_, _, err := Normalize("Deployment default/web", s)
	require.ErrorContains(t, err, "Deployment default/web: nodeSelector kubernetes.io/arch=amd64 contradicts beta.kubernetes.io/arch=arm64, the same node label kubernetes.io/arch: the pod matches no node")
}
