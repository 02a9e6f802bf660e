package workload

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestCorpus reads public manifests as their projects publish them (testdata/corpus/<name>/, each with its LICENSE
// and a SOURCE naming the repository, commit and paths) and checks the pods kubectl would create. The counts are
// taken from the manifests by hand, not from the reader: a workload's spec.replicas (1 when unset), a Job's
// parallelism (1 when unset), one pod per bare Pod, and a DaemonSet once.
func TestCorpus(t *testing.T) {
	for _, tc := range []struct {
		name           string
		wantPods       map[string]int
		wantDaemonSets int
		wantBudgets    int
		wantIgnored    map[string]int
		wantNote       string
	}{
		{
			// Eleven Deployments without spec.replicas and loadgenerator with replicas: 1; the file opens with a
			// license comment before the first "---".
			name: "online-boutique",
			wantPods: map[string]int{
				"Deployment default/adservice": 1, "Deployment default/cartservice": 1, "Deployment default/checkoutservice": 1,
				"Deployment default/currencyservice": 1, "Deployment default/emailservice": 1, "Deployment default/frontend": 1,
				"Deployment default/loadgenerator": 1, "Deployment default/paymentservice": 1,
				"Deployment default/productcatalogservice": 1, "Deployment default/recommendationservice": 1,
				"Deployment default/redis-cart": 1, "Deployment default/shippingservice": 1,
			},
			wantIgnored: map[string]int{"Service": 12, "ServiceAccount": 11},
		},
		{
			// Fourteen Deployments, each with replicas: 1, in the sock-shop namespace the file also creates.
			name: "sock-shop",
			wantPods: map[string]int{
				"Deployment sock-shop/carts": 1, "Deployment sock-shop/carts-db": 1, "Deployment sock-shop/catalogue": 1,
				"Deployment sock-shop/catalogue-db": 1, "Deployment sock-shop/front-end": 1, "Deployment sock-shop/orders": 1,
				"Deployment sock-shop/orders-db": 1, "Deployment sock-shop/payment": 1, "Deployment sock-shop/queue-master": 1,
				"Deployment sock-shop/rabbitmq": 1, "Deployment sock-shop/session-db": 1, "Deployment sock-shop/shipping": 1,
				"Deployment sock-shop/user": 1, "Deployment sock-shop/user-db": 1,
			},
			wantIgnored: map[string]int{"Namespace": 1, "Service": 14},
		},
		{
			// helm template output (one "# Source:" comment per document, a leading "---"): eight Deployments and
			// three StatefulSets, each with replicas: 1.
			name: "retail-store-helm",
			wantPods: map[string]int{
				"Deployment default/assets": 1, "Deployment default/carts": 1, "Deployment default/carts-dynamodb": 1,
				"Deployment default/catalog": 1, "Deployment default/checkout": 1, "Deployment default/checkout-redis": 1,
				"Deployment default/orders": 1, "Deployment default/ui": 1,
				"StatefulSet default/catalog-mysql": 1, "StatefulSet default/orders-postgresql": 1, "StatefulSet default/orders-rabbitmq": 1,
			},
			wantIgnored: map[string]int{"ConfigMap": 6, "Secret": 3, "Service": 11, "ServiceAccount": 6},
			// The carts ConfigMap sets one key twice; kubectl keeps the last.
			wantNote: `deploy.yaml: document 9: yaml: unmarshal errors: line 10: key "CARTS_DYNAMODB_CREATETABLE" already set in map`,
		},
		{
			// guestbook's ReplicationController replicas: 3, redis-replica's replicas: 2, the redis-master
			// Deployment's replicas: 1.
			name: "guestbook-go",
			wantPods: map[string]int{
				"ReplicationController default/guestbook": 3, "ReplicationController default/redis-replica": 2,
				"Deployment default/redis-master": 1,
			},
			wantIgnored: map[string]int{"Service": 3},
		},
		{
			// The Deployment's replicas: 1 against the HorizontalPodAutoscaler's minReplicas: 1, no status: 1 pod.
			name:        "vllm-hpa",
			wantPods:    map[string]int{"Deployment default/vllm-gemma-deployment": 1},
			wantIgnored: map[string]int{"Service": 1},
			wantNote:    "the larger of its spec.replicas (1) and the minReplicas (1) of HorizontalPodAutoscaler default/gemma-server-hpa",
		},
		{
			// A bare Pod.
			name:        "mysql-pod",
			wantPods:    map[string]int{"Pod default/mysql": 1},
			wantIgnored: map[string]int{"Service": 1},
		},
		{
			// rollout-bluegreen's replicas: 2; rollout-ref-deployment's Rollout runs replicas: 5 of the template of
			// its spec.workloadRef Deployment, which itself has replicas: 0.
			name: "argo-rollouts",
			wantPods: map[string]int{
				"Rollout default/rollout-bluegreen": 2, "Rollout default/rollout-ref-deployment": 5,
			},
			wantIgnored: map[string]int{"Service": 2},
			wantNote:    "Rollout default/rollout-ref-deployment (argoproj.io/v1alpha1) runs spec.replicas pods of the template of Deployment default/rollout-ref-deployment",
		},
		{
			// A CronJob whose job template sets no parallelism: one pod while a run goes on.
			name:        "descheduler-cronjob",
			wantPods:    map[string]int{"CronJob kube-system/descheduler-cronjob": 1},
			wantIgnored: map[string]int{"ClusterRole": 1, "ClusterRoleBinding": 1, "ConfigMap": 1, "Role": 1, "RoleBinding": 1, "ServiceAccount": 1},
			wantNote:    `CronJob kube-system/descheduler-cronjob runs on schedule "*/2 * * * *"`,
		},
		{
			// blackbox-exporter, kube-state-metrics and prometheus-operator replicas: 1, prometheus-adapter
			// replicas: 2; node-exporter is a DaemonSet; the Alertmanager and Prometheus custom resources make their
			// pods through the operator, which the reader does not simulate; three PodDisruptionBudgets.
			name: "kube-prometheus",
			wantPods: map[string]int{
				"Deployment monitoring/blackbox-exporter": 1, "Deployment monitoring/kube-state-metrics": 1,
				"Deployment monitoring/prometheus-adapter": 2, "Deployment monitoring/prometheus-operator": 1,
			},
			wantDaemonSets: 1,
			wantBudgets:    3,
			wantIgnored:    map[string]int{"Alertmanager": 1, "Prometheus": 1, "Service": 1},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join("testdata", "corpus", tc.name)
			for _, f := range []string{"LICENSE", "SOURCE"} {
				b, err := os.ReadFile(filepath.Join(dir, f))
				require.NoError(t, err, "expected every corpus entry to carry its %s", f)
				require.NotEmpty(t, strings.TrimSpace(string(b)), "expected %s/%s to have content", dir, f)
			}
			manifests, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
			require.NoError(t, err)
			require.NotEmpty(t, manifests)
			w, err := ReadFiles(manifests...)
			require.NoError(t, err)
			require.Equal(t, tc.wantPods, podsBy(w))
			require.Len(t, w.DaemonSetPods, tc.wantDaemonSets)
			require.Len(t, w.PodDisruptionBudgets, tc.wantBudgets)
			require.Equal(t, tc.wantIgnored, ignoredKinds(w), "ignored: %v", w.Ignored)
			if tc.wantNote != "" {
				require.True(t, containsNote(w.Notes, tc.wantNote), "expected a note containing %q, got %v", tc.wantNote, w.Notes)
			}
		})
	}
}
