package workload

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
)

// podsBy counts w's pods by the workload OwnerOf names.
func podsBy(w *Workload) map[string]int {
	out := map[string]int{}
	for _, p := range w.Pods {
		o := OwnerOf(p)
		out[o.Kind+" "+o.Namespace+"/"+o.Name]++
	}
	return out
}

// ignoredKinds counts w.Ignored by kind.
func ignoredKinds(w *Workload) map[string]int {
	out := map[string]int{}
	for _, i := range w.Ignored {
		out[i.Kind]++
	}
	return out
}

func TestParseSkipsEmptyAndCommentOnlyDocuments(t *testing.T) {
	// Online Boutique's release manifest opens this way: a license comment, then "---".
	in := "# Copyright 2025 Google LLC\n#\n# Licensed under the Apache License, Version 2.0\n\n---\n" +
		deployment("web", "replicas: 2") + "---\n---\n# Source: chart/templates/empty.yaml\n---\n\n"
	w := parse(t, in)
	require.Len(t, w.Pods, 2, "expected the comment-only and empty documents skipped and the Deployment read")
	require.Empty(t, w.Ignored, "expected nothing ignored: skipped documents hold no object")
}

func TestParseReadsDuplicateKeysAsKubectlDoesWithANote(t *testing.T) {
	w := parse(t, strings.Replace(deployment("web", "replicas: 2"), "replicas: 2", "replicas: 2\n  replicas: 3", 1))
	require.Len(t, w.Pods, 3, "expected the last value read, as kubectl reads it")
	require.True(t, containsNote(w.Notes, `test.yaml: document 1: yaml: unmarshal errors: line 7: key "replicas" already set in map; the last value of each is read`),
		"expected a note naming the document and the key, got %v", w.Notes)
}

func TestParseReadsEveryKindThatPlacesPods(t *testing.T) {
	for _, tc := range []struct {
		name     string
		yaml     string
		wantPods map[string]int
		wantNote string
	}{
		{
			name:     "a bare pod is its own owner",
			yaml:     "apiVersion: v1\nkind: Pod\nmetadata: {name: lonely, namespace: tools}\nspec:\n  containers: [{name: c, resources: {requests: {cpu: 100m}}}]\n",
			wantPods: map[string]int{"Pod tools/lonely": 1},
		},
		{
			name:     "a ReplicaSet without an owner in the input counts its replicas",
			yaml:     strings.Replace(deployment("rs", "replicas: 2"), "kind: Deployment", "kind: ReplicaSet", 1),
			wantPods: map[string]int{"ReplicaSet default/rs": 2},
		},
		{
			name: "a ReplicationController counts its replicas",
			yaml: `apiVersion: v1
kind: ReplicationController
metadata: {name: legacy}
spec:
  replicas: 3
  template:
    metadata: {labels: {app: legacy}}
    spec:
      containers: [{name: c, resources: {requests: {cpu: 100m}}}]
`,
			wantPods: map[string]int{"ReplicationController default/legacy": 3},
		},
		{
			name:     "a CronJob counts its job template's pods, noted as periodic",
			yaml:     cronJob("parallelism: 2", "false"),
			wantPods: map[string]int{"CronJob default/nightly": 2},
			wantNote: `CronJob default/nightly runs on schedule "0 3 * * *"`,
		},
		{
			name:     "a suspended CronJob runs no pods, noted",
			yaml:     cronJob("parallelism: 2", "true"),
			wantPods: map[string]int{},
			wantNote: "CronJob default/nightly is suspended",
		},
		{
			name: "an Argo Rollout is read as a replicated workload, noted",
			yaml: `apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: canary}
spec:
  replicas: 5
  strategy: {canary: {steps: [{setWeight: 20}, {pause: {}}]}}
  selector: {matchLabels: {app: canary}}
  template:
    metadata: {labels: {app: canary}}
    spec:
      containers: [{name: c, resources: {requests: {cpu: 100m}}}]
`,
			wantPods: map[string]int{"Rollout default/canary": 5},
			wantNote: "Rollout default/canary (argoproj.io/v1alpha1) is read as a replicated workload",
		},
		{
			name: "an OpenKruise CloneSet is read as a replicated workload",
			yaml: `apiVersion: apps.kruise.io/v1alpha1
kind: CloneSet
metadata: {name: clone, namespace: kruise}
spec:
  replicas: 2
  updateStrategy: {type: InPlaceIfPossible}
  template:
    spec:
      containers: [{name: c, resources: {requests: {cpu: 100m}}}]
`,
			wantPods: map[string]int{"CloneSet kruise/clone": 2},
			wantNote: "CloneSet kruise/clone (apps.kruise.io/v1alpha1)",
		},
		{
			name:     "a Job of another API group is not a batch Job",
			yaml:     "apiVersion: batch.volcano.sh/v1alpha1\nkind: Job\nmetadata: {name: vc}\nspec:\n  tasks: [{replicas: 4}]\n",
			wantPods: map[string]int{},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := parse(t, tc.yaml)
			require.Equal(t, tc.wantPods, podsBy(w))
			if tc.wantNote != "" {
				require.True(t, containsNote(w.Notes, tc.wantNote), "expected a note containing %q, got %v", tc.wantNote, w.Notes)
			}
		})
	}
}

func TestParseListsWhatPlacesNoPod(t *testing.T) {
	w := parse(t, `apiVersion: v1
kind: Service
metadata: {name: web}
spec: {ports: [{port: 80}]}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: conf, namespace: shop}
data: {a: b}
---
apiVersion: monitoring.coreos.com/v1
kind: Prometheus
metadata: {name: k8s, namespace: monitoring}
spec: {replicas: 2}
---
apiVersion: serving.knative.dev/v1
kind: Service
metadata: {name: hello}
spec:
  template:
    spec:
      containers: [{image: hello}]
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: elsewhere}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: not-here}
  minReplicas: 2
  maxReplicas: 4
`)
	require.Empty(t, w.Pods)
	byName := map[string]Ignored{}
	for _, i := range w.Ignored {
		byName[i.Kind+" "+i.Name] = i
	}
	require.Len(t, byName, 5, "expected every object listed, got %v", w.Ignored)
	require.Equal(t, "shop", byName["ConfigMap conf"].Namespace)
	require.Contains(t, byName["Service web"].Why, "places no pod")
	require.Contains(t, byName["Prometheus k8s"].Why, "a custom resource without spec.template and spec.replicas")
	require.Contains(t, byName["Service hello"].Why, "no spec.replicas")
	require.Contains(t, byName["HorizontalPodAutoscaler elsewhere"].Why, "target Deployment default/not-here is not in the input")
}

func TestParseCountsOwnedObjectsOnce(t *testing.T) {
	for _, tc := range []struct {
		name        string
		yaml        string
		wantPods    map[string]int
		wantIgnored map[string]int
	}{
		{
			// kubectl get deploy,pod -o yaml lists the Deployment and its pods, but not the ReplicaSet between them.
			name:        "a pod of a Deployment's ReplicaSet, the ReplicaSet not listed",
			yaml:        deployment("web", "replicas: 2") + "---\n" + ownedPod("web-5d8f7c6b9-x2x9q", "ReplicaSet", "web-5d8f7c6b9", "pod-template-hash: 5d8f7c6b9"),
			wantPods:    map[string]int{"Deployment default/web": 2},
			wantIgnored: map[string]int{"Pod": 1},
		},
		{
			name: "a Deployment, its current and old ReplicaSets and a pod",
			yaml: deployment("web", "replicas: 2") + "---\n" + ownedReplicaSet("web-5d8f7c6b9", 2) + "---\n" + ownedReplicaSet("web-6b7c8d9f4", 0) +
				"---\n" + ownedPod("web-5d8f7c6b9-x2x9q", "ReplicaSet", "web-5d8f7c6b9", "pod-template-hash: 5d8f7c6b9"),
			wantPods:    map[string]int{"Deployment default/web": 2},
			wantIgnored: map[string]int{"ReplicaSet": 2, "Pod": 1},
		},
		{
			name:     "a ReplicaSet whose Deployment is not in the input counts its own pods",
			yaml:     ownedReplicaSet("web-5d8f7c6b9", 2),
			wantPods: map[string]int{"ReplicaSet default/web-5d8f7c6b9": 2},
		},
		{
			name:     "a pod whose Deployment is not in the input is named after the Deployment",
			yaml:     ownedPod("api-5d8f7c6b9-x2x9q", "ReplicaSet", "api-5d8f7c6b9", "pod-template-hash: 5d8f7c6b9"),
			wantPods: map[string]int{"Deployment default/api": 1},
		},
		{
			name:        "a pod of a Job of a CronJob, the Job not listed",
			yaml:        cronJob("", "false") + "---\n" + ownedPod("nightly-29418540-abcde", "Job", "nightly-29418540", "job-name: nightly-29418540"),
			wantPods:    map[string]int{"CronJob default/nightly": 1},
			wantIgnored: map[string]int{"Pod": 1},
		},
		{
			name:        "a DaemonSet's pod",
			yaml:        daemonSet("agent") + "---\n" + ownedPod("agent-7xk2p", "DaemonSet", "agent", "app: agent"),
			wantPods:    map[string]int{},
			wantIgnored: map[string]int{"Pod": 1},
		},
		{
			name:        "a static pod's mirror comes with its node",
			yaml:        ownedPod("etcd-node-1", "Node", "node-1", "tier: control-plane"),
			wantPods:    map[string]int{},
			wantIgnored: map[string]int{"Pod": 1},
		},
		{
			name:        "a finished pod holds no resources",
			yaml:        "apiVersion: v1\nkind: Pod\nmetadata: {name: done, resourceVersion: \"1\"}\nspec:\n  containers: [{name: c}]\nstatus: {phase: Succeeded}\n",
			wantPods:    map[string]int{},
			wantIgnored: map[string]int{"Pod": 1},
		},
		{
			// Its replacement is already a pod of its own: counted again, a rollout's old pods would add up.
			name:        "a terminating pod is on its way out",
			yaml:        "apiVersion: v1\nkind: Pod\nmetadata: {name: old, resourceVersion: \"1\", deletionTimestamp: \"2026-01-01T00:00:00Z\", deletionGracePeriodSeconds: 30}\nspec:\n  containers: [{name: c}]\nstatus: {phase: Running}\n",
			wantPods:    map[string]int{},
			wantIgnored: map[string]int{"Pod": 1},
		},
		{
			// A StatefulSet makes its replacement under the same name once it is gone, and Karpenter reschedules it.
			name: "a terminating pod of a StatefulSet is counted",
			yaml: strings.Replace(ownedPod("db-0", "StatefulSet", "db", "app: db"), "  name: db-0\n",
				"  name: db-0\n  deletionTimestamp: \"2026-01-01T00:00:00Z\"\n", 1),
			wantPods: map[string]int{"StatefulSet default/db": 1},
		},
		{
			// helm template prints a chart's hooks: the test pod helm create writes (the retail store's charts have
			// one each), a migration Job run before an upgrade. Neither runs at the steady state.
			name: "Helm hooks run at helm test and around upgrades, not at the steady state",
			yaml: "---\n# Source: carts/templates/tests/test-connection.yaml\napiVersion: v1\nkind: Pod\nmetadata:\n  name: \"carts-test-connection\"\n" +
				"  annotations:\n    \"helm.sh/hook\": test-success\nspec:\n  containers:\n    - name: wget\n      image: busybox\n  restartPolicy: Never\n" +
				"---\n# Source: carts/templates/migrate.yaml\n" + strings.Replace(job("parallelism: 1"), "metadata: {name: batch}",
				"metadata: {name: migrate, annotations: {helm.sh/hook: pre-upgrade, helm.sh/hook-delete-policy: hook-succeeded}}", 1),
			wantPods:    map[string]int{},
			wantIgnored: map[string]int{"Pod": 1, "Job": 1},
		},
		{
			name:        "a finished Job runs no pods",
			yaml:        live(job("parallelism: 2")) + "status:\n  conditions: [{type: Complete, status: \"True\"}]\n  succeeded: 2\n",
			wantPods:    map[string]int{},
			wantIgnored: map[string]int{"Job": 1},
		},
		{
			// Of completions 5, 4 have succeeded: one pod runs, not parallelism's 3.
			name:     "a running Job runs no more pods than the completions left",
			yaml:     live(job("parallelism: 3\n  completions: 5")) + "status: {succeeded: 4, active: 1}\n",
			wantPods: map[string]int{"Job default/batch": 1},
		},
		{
			// Without completions, the controller starts no pod once one has succeeded: what runs is status.active.
			name:     "a work-queue Job runs its active pods once one has succeeded",
			yaml:     live(job("parallelism: 4")) + "status: {succeeded: 1, active: 2}\n",
			wantPods: map[string]int{"Job default/batch": 2},
		},
		{
			name:     "a suspended Job runs no pods",
			yaml:     job("parallelism: 2\n  suspend: true"),
			wantPods: map[string]int{},
		},
		{
			name: "an Argo Rollout whose workloadRef is not in the input",
			yaml: "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: r}\nspec:\n  replicas: 3\n" +
				"  workloadRef: {apiVersion: apps/v1, kind: Deployment, name: elsewhere}\n",
			wantPods:    map[string]int{},
			wantIgnored: map[string]int{"Rollout": 1},
		},
		{
			name: "an autoscaler on a DaemonSet has no replicas to set",
			yaml: daemonSet("agent") + "---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: h}\n" +
				"spec: {scaleTargetRef: {kind: DaemonSet, name: agent}, maxReplicas: 3}\n",
			wantPods:    map[string]int{},
			wantIgnored: map[string]int{"HorizontalPodAutoscaler": 1},
		},
		{
			// The operator's StatefulSet is counted: its owner is in the input but places no pod the reader knows of.
			name: "a StatefulSet owned by a custom resource that places no pod",
			yaml: "apiVersion: monitoring.coreos.com/v1\nkind: Prometheus\nmetadata: {name: k8s}\nspec: {replicas: 2}\n---\n" +
				strings.Replace(strings.Replace(deployment("prometheus-k8s", "replicas: 2"), "kind: Deployment", "kind: StatefulSet", 1),
					"  name: prometheus-k8s\n", "  name: prometheus-k8s\n  ownerReferences: [{apiVersion: monitoring.coreos.com/v1, kind: Prometheus, name: k8s, uid: u, controller: true}]\n", 1),
			wantPods:    map[string]int{"StatefulSet default/prometheus-k8s": 2},
			wantIgnored: map[string]int{"Prometheus": 1},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := parse(t, tc.yaml)
			require.Equal(t, tc.wantPods, podsBy(w))
			if tc.wantIgnored == nil {
				tc.wantIgnored = map[string]int{}
			}
			require.Equal(t, tc.wantIgnored, ignoredKinds(w), "ignored: %v", w.Ignored)
		})
	}
}

func TestParseAppliesHorizontalPodAutoscalers(t *testing.T) {
	hpa := func(apiVersion, min, status string) string {
		return fmt.Sprintf(`apiVersion: %s
kind: HorizontalPodAutoscaler
metadata: {name: web, resourceVersion: "1"}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  %s
  maxReplicas: 10
%s`, apiVersion, min, status)
	}
	for _, tc := range []struct {
		name     string
		replicas string
		hpa      string
		want     int
		wantNote string
	}{
		{"status.currentReplicas wins", "replicas: 2", hpa("autoscaling/v2", "minReplicas: 3", "status: {currentReplicas: 7, desiredReplicas: 7}\n"), 7, "the status.currentReplicas of HorizontalPodAutoscaler default/web"},
		{"currentReplicas wins even under minReplicas", "replicas: 2", hpa("autoscaling/v2", "minReplicas: 3", "status: {currentReplicas: 1}\n"), 1, "status.currentReplicas"},
		{"minReplicas over spec.replicas", "replicas: 2", hpa("autoscaling/v2", "minReplicas: 3", ""), 3, "the larger of its spec.replicas (2) and the minReplicas (3)"},
		{"spec.replicas over minReplicas", "replicas: 5", hpa("autoscaling/v2", "minReplicas: 3", ""), 5, "the larger of its spec.replicas (5) and the minReplicas (3)"},
		{"minReplicas defaults to 1, spec.replicas to 1", "", hpa("autoscaling/v2", "", ""), 1, "minReplicas (1)"},
		{"autoscaling/v1", "replicas: 2", hpa("autoscaling/v1", "minReplicas: 4", "status: {currentReplicas: 6, desiredReplicas: 6}\n"), 6, "status.currentReplicas"},
		{"autoscaling/v1 without status", "replicas: 2", hpa("autoscaling/v1", "minReplicas: 4", ""), 4, "minReplicas (4)"},
		// The autoscaler does not scale a target at 0 (ScalingDisabled); its autoscaling/v2 status then omits
		// currentReplicas, which is 0.
		{"a target at spec.replicas 0 is not scaled", "replicas: 0", hpa("autoscaling/v2", "minReplicas: 3", ""), 0, "its spec.replicas is 0, at which HorizontalPodAutoscaler default/web does not scale it (ScalingDisabled)"},
		{"a live target at 0", "replicas: 0", hpa("autoscaling/v2", "minReplicas: 3",
			"status:\n  desiredReplicas: 0\n  conditions: [{type: ScalingActive, status: \"False\", reason: ScalingDisabled}]\n"), 0, "ScalingDisabled"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := parse(t, deployment("web", tc.replicas)+"---\n"+tc.hpa)
			want := map[string]int{"Deployment default/web": tc.want}
			if tc.want == 0 {
				want = map[string]int{}
			}
			require.Equal(t, want, podsBy(w))
			require.True(t, containsNote(w.Notes, tc.wantNote), "expected a note containing %q, got %v", tc.wantNote, w.Notes)
			require.Empty(t, w.Ignored, "expected the autoscaler applied, not ignored")
		})
	}
	t.Run("across files", func(t *testing.T) {
		dir := t.TempDir()
		writeFile(t, dir+"/deploy.yaml", deployment("web", "replicas: 1"))
		writeFile(t, dir+"/hpa.yaml", hpa("autoscaling/v2", "minReplicas: 3", ""))
		w, err := ReadFiles(dir+"/deploy.yaml", dir+"/hpa.yaml")
		require.NoError(t, err)
		require.Equal(t, map[string]int{"Deployment default/web": 3}, podsBy(w), "expected the autoscaler of one file to scale the Deployment of another")
	})
}

func TestParseKeepsBudgetsAndAnnotations(t *testing.T) {
	w := parse(t, `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  template:
    metadata:
      labels: {app: web}
      annotations: {karpenter.sh/do-not-disrupt: "true"}
    spec:
      containers: [{name: c}]
---
apiVersion: v1
kind: Pod
metadata: {name: bare, annotations: {karpenter.sh/do-not-disrupt: "true"}}
spec:
  containers: [{name: c}]
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}, annotations: {team: obs}}
    spec:
      containers: [{name: c}]
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web}
spec:
  maxUnavailable: 0
  selector: {matchLabels: {app: web}}
`)
	require.Len(t, w.Pods, 3)
	for _, p := range w.Pods {
		require.Equal(t, "true", p.Annotations["karpenter.sh/do-not-disrupt"], "expected pod %s to keep the do-not-disrupt annotation", p.Name)
	}
	require.Equal(t, "obs", w.DaemonSetPods[0].Annotations["team"], "expected the DaemonSet pod to keep its template's annotations")
	require.Len(t, w.PodDisruptionBudgets, 1)
	require.Equal(t, "web", w.PodDisruptionBudgets[0].Name)
	require.Equal(t, "default", w.PodDisruptionBudgets[0].Namespace, "expected the budget in its pods' namespace, as kubectl apply puts both")
	require.Equal(t, int32(0), w.PodDisruptionBudgets[0].Spec.MaxUnavailable.IntVal)
	require.Empty(t, w.Ignored, "expected the PDB kept, not ignored")
}

func TestParseNewKindErrorsNameTheObject(t *testing.T) {
	for _, tc := range []struct {
		name string
		yaml string
		want []string
	}{
		{"a removed HPA version", "apiVersion: autoscaling/v2beta2\nkind: HorizontalPodAutoscaler\nmetadata: {name: h}\nspec: {}\n",
			[]string{"HorizontalPodAutoscaler default/h", `"autoscaling/v2beta2"`, "allowed: autoscaling/v2, autoscaling/v1"}},
		{"an extensions Deployment", strings.Replace(deployment("web", ""), "apps/v1", "extensions/v1beta1", 1),
			[]string{"Deployment default/web", `"extensions/v1beta1"`, "allowed: apps/v1"}},
		{"a removed PDB version", "apiVersion: policy/v1beta1\nkind: PodDisruptionBudget\nmetadata: {name: b}\nspec: {}\n",
			[]string{"PodDisruptionBudget default/b", "allowed: policy/v1"}},
		{"a custom kind's negative replicas", "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: r}\nspec:\n  replicas: -1\n  template: {spec: {containers: [{name: c}]}}\n",
			[]string{"Rollout default/r", "spec.replicas -1", "want 0 or more"}},
		{"a custom kind's template with an unknown field", "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: r}\nspec:\n  replicas: 1\n  template: {spec: {containerz: []}}\n",
			[]string{"Rollout default/r", "spec.template", `unknown field "spec.containerz" (allowed: the fields that kubectl explain podtemplate.template --api-version=v1 --recursive lists)`}},
		{"a bad quantity names its path and value", strings.Replace(deployment("web", ""), "cpu: 100m", "cpu: lots", 1),
			[]string{"Deployment default/web", `spec.template.spec.containers[0].resources.requests.cpu: "lots" is not a quantity`}},
		{"a value of the wrong type names the value and the type allowed", strings.Replace(deployment("web", "replicas: 2"), "replicas: 2", `replicas: "two, \"or three\""`, 1),
			[]string{"Deployment default/web", `spec.replicas: "two, \"or three\"" is not allowed (allowed: an integer)`}},
		{"a number where an integer goes", strings.Replace(deployment("web", "replicas: 2"), "replicas: 2", "replicas: 2.5", 1),
			[]string{"Deployment default/web", "spec.replicas: number 2.5 is not allowed (allowed: an integer)"}},
		{"an object where a list goes", strings.Replace(deployment("web", ""), "containers:\n      - name: app", "containers:\n        name: app", 1),
			[]string{"Deployment default/web", "spec.template.spec.containers: object is not allowed (allowed: a list)"}},
		{"a generated name", strings.Replace(job("parallelism: 1"), "metadata: {name: batch}", "metadata: {generateName: migrate-}", 1),
			[]string{"document 1: Job: metadata.name is required", `metadata.generateName "migrate-" names an object only for kubectl create`}},
		{"an item of a List", "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Service, metadata: {name: s}}\n- {apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containerz: []}}\n",
			[]string{"document 1, item 2 of the List", "Pod default/p", `unknown field "spec.containerz"`}},
		{"the same workload twice", deployment("web", "") + "---\n" + deployment("web", ""),
			[]string{"document 2", "Deployment default/web is already at test.yaml: document 1"}},
		{"two autoscalers on one target", deployment("web", "") +
			"---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: a}\nspec: {scaleTargetRef: {kind: Deployment, name: web}, maxReplicas: 3}\n" +
			"---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: b}\nspec: {scaleTargetRef: {kind: Deployment, name: web}, maxReplicas: 3}\n",
			[]string{"HorizontalPodAutoscaler default/b and HorizontalPodAutoscaler default/a", "both scale Deployment default/web"}},
		{"an autoscaler without a target", "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: h}\nspec: {maxReplicas: 3}\n",
			[]string{"HorizontalPodAutoscaler default/h", "spec.scaleTargetRef", "kind and name are required"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tc.yaml), "test.yaml")
			require.Error(t, err)
			for _, want := range append(tc.want, "test.yaml") {
				require.Contains(t, err.Error(), want)
			}
		})
	}
}

func TestOwnerOfNamesTheNewKinds(t *testing.T) {
	w := parse(t, cronJob("", "false")+"---\n"+`apiVersion: v1
kind: ReplicationController
metadata: {name: legacy, namespace: old}
spec:
  replicas: 1
  template:
    spec:
      containers: [{name: c}]
`)
	require.Len(t, w.Pods, 2)
	got := map[Owner]string{}
	for _, p := range w.Pods {
		got[OwnerOf(p)] = p.OwnerReferences[0].APIVersion
	}
	require.Equal(t, map[Owner]string{
		{Kind: "CronJob", Namespace: "default", Name: "nightly"}:          "batch/v1",
		{Kind: "ReplicationController", Namespace: "old", Name: "legacy"}: "v1",
	}, got)
}

func TestKubectlGetList(t *testing.T) {
	w, err := ReadFiles("testdata/kubectl-get-list.yaml")
	require.NoError(t, err)
	// web: 3, the HorizontalPodAutoscaler's status.currentReplicas, not max(spec.replicas 3, minReplicas 4); its
	// ReplicaSets and their three pods are not counted again. db: 2 from the StatefulSet, not again from its pods.
	// report: the CronJob's job template runs one pod; its finished Job and that Job's pod add none.
	require.Equal(t, map[string]int{
		"Deployment shop/web": 3,
		"StatefulSet shop/db": 2,
		"CronJob shop/report": 1,
	}, podsBy(w))
	require.Len(t, w.DaemonSetPods, 1, "expected kube-proxy once, not again from its two pods")
	require.Equal(t, map[string]int{"ReplicaSet": 2, "Job": 1, "Pod": 8}, ignoredKinds(w), "ignored: %v", w.Ignored)
	require.Len(t, w.PodDisruptionBudgets, 1)
	require.True(t, containsNote(w.Notes, "Deployment shop/web: 3 replicas, the status.currentReplicas of HorizontalPodAutoscaler shop/web"),
		"expected a note saying the replicas come from status.currentReplicas, got %v", w.Notes)
	for _, p := range w.Pods {
		require.Empty(t, p.Spec.NodeName, "expected pending pods, not pods bound to the live cluster's nodes")
		if OwnerOf(p).Name == "web" {
			require.Equal(t, "true", p.Annotations["karpenter.sh/do-not-disrupt"])
		}
	}
}

func TestRequiredNodeAffinityTermsAreORed(t *testing.T) {
	in := func(key string, values ...string) corev1.NodeSelectorRequirement {
		return corev1.NodeSelectorRequirement{Key: key, Operator: corev1.NodeSelectorOpIn, Values: values}
	}
	arm64 := in(corev1.LabelArchStable, "arm64")
	amd64 := in(corev1.LabelArchStable, "amd64")
	m6i := in("karpenter.k8s.aws/instance-family", "m6i")
	m6g := in("karpenter.k8s.aws/instance-family", "m6g")
	for _, tc := range []struct {
		name      string
		terms     []corev1.NodeSelectorTerm
		want      []corev1.NodeSelectorTerm // nil: no required node affinity left
		wantNotes []string
	}{
		{
			name:      "arm64 OR instance-family m6i is left unnarrowed, not narrowed to arm64",
			terms:     []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{arm64}}, {MatchExpressions: []corev1.NodeSelectorRequirement{m6i}}},
			want:      nil,
			wantNotes: []string{"required node affinity ignored as a whole: its term 2", "node affinity on karpenter.k8s.aws/instance-family ignored"},
		},
		{
			name:      "a term with only matchFields matches any node once they are dropped",
			terms:     []corev1.NodeSelectorTerm{{MatchFields: []corev1.NodeSelectorRequirement{in("metadata.name", "node-1")}}, {MatchExpressions: []corev1.NodeSelectorRequirement{amd64}}},
			want:      nil,
			wantNotes: []string{"its term 1", "node affinity on metadata.name ignored"},
		},
		{
			name: "dropping an ANDed expression widens each term, and the OR stays",
			terms: []corev1.NodeSelectorTerm{
				{MatchExpressions: []corev1.NodeSelectorRequirement{arm64, m6g}},
				{MatchExpressions: []corev1.NodeSelectorRequirement{amd64, m6i}},
			},
			want:      []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{arm64}}, {MatchExpressions: []corev1.NodeSelectorRequirement{amd64}}},
			wantNotes: []string{"node affinity on karpenter.k8s.aws/instance-family ignored"},
		},
		{
			name:  "terms on estimated keys are kept as they are",
			terms: []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{arm64}}, {MatchExpressions: []corev1.NodeSelectorRequirement{amd64}}},
			want:  []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{arm64}}, {MatchExpressions: []corev1.NodeSelectorRequirement{amd64}}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec := podSpec(corev1.ResourceRequirements{})
			spec.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{
				RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{NodeSelectorTerms: tc.terms},
			}}
			got, notes, err := Normalize("Deployment default/web", spec)
			require.NoError(t, err)
			var gotTerms []corev1.NodeSelectorTerm
			if na := got.Affinity.NodeAffinity; na != nil && na.RequiredDuringSchedulingIgnoredDuringExecution != nil {
				gotTerms = na.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms
			}
			require.Equal(t, tc.want, gotTerms)
			require.Len(t, notes, len(tc.wantNotes), "notes: %v", notes)
			for _, want := range tc.wantNotes {
				require.True(t, containsNote(notes, want), "expected a note containing %q, got %v", want, notes)
			}
		})
	}
}

func containsNote(notes []string, want string) bool {
	for _, n := range notes {
		if strings.Contains(n, want) {
			return true
		}
	}
	return false
}

// cronJob is the CronJob "nightly" with the given job spec lines and spec.suspend.
func cronJob(jobSpec, suspend string) string {
	return fmt.Sprintf(`apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly}
spec:
  schedule: "0 3 * * *"
  suspend: %s
  jobTemplate:
    spec:
      %s
      template:
        spec:
          restartPolicy: OnFailure
          containers: [{name: work, resources: {requests: {cpu: 100m}}}]
`, suspend, jobSpec)
}

// ownedPod is a live pod (kubectl get -o yaml) of the given controller, on a node.
func ownedPod(name, ownerKind, ownerName, label string) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata:
  name: %s
  resourceVersion: "1"
  labels: {%s}
  ownerReferences: [{apiVersion: apps/v1, kind: %s, name: %s, uid: 0b6c2f1e, controller: true}]
spec:
  nodeName: node-1
  containers: [{name: app, resources: {requests: {cpu: 100m}}}]
status: {phase: Running}
`, name, label, ownerKind, ownerName)
}

func ownedReplicaSet(name string, replicas int) string {
	hash := name[strings.LastIndexByte(name, '-')+1:]
	return fmt.Sprintf(`apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: %s
  labels: {app: web, pod-template-hash: %s}
  ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: web, uid: 0b6c2f1e, controller: true}]
spec:
  replicas: %d
  selector: {matchLabels: {app: web, pod-template-hash: %s}}
  template:
    metadata: {labels: {app: web, pod-template-hash: %s}}
    spec:
      containers: [{name: app, resources: {requests: {cpu: 100m}}}]
status: {replicas: %d, readyReplicas: %d}
`, name, hash, replicas, hash, hash, replicas, replicas)
}

func daemonSet(name string) string {
	return fmt.Sprintf(`apiVersion: apps/v1
kind: DaemonSet
metadata: {name: %s}
spec:
  selector: {matchLabels: {app: %s}}
  template:
    metadata: {labels: {app: %s}}
    spec:
      containers: [{name: a, resources: {requests: {cpu: 100m}}}]
`, name, name, name)
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
}

// jq '.items[]' prints a List's items as a stream of JSON objects without separators; kubectl reads each as a
// document. The YAML reader alone reads the first object and drops the others without a word.
func TestParseReadsAStreamOfJSONObjects(t *testing.T) {
	pod := func(name string) string {
		return fmt.Sprintf("{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"Pod\",\n  \"metadata\": {\"name\": %q},\n"+
			"  \"spec\": {\"containers\": [{\"name\": \"c\", \"resources\": {\"requests\": {\"cpu\": \"100m\"}}}]}\n}\n", name)
	}
	w := parse(t, pod("a")+pod("b")+pod("c"))
	require.Equal(t, map[string]int{"Pod default/a": 1, "Pod default/b": 1, "Pod default/c": 1}, podsBy(w))

	t.Run("one JSON object, then YAML documents, is read as YAML, as kubectl reads it", func(t *testing.T) {
		w := parse(t, pod("a")+"---\n"+deployment("web", "replicas: 2"))
		require.Equal(t, map[string]int{"Pod default/a": 1, "Deployment default/web": 2}, podsBy(w))
	})
	t.Run("what follows two JSON objects must be JSON", func(t *testing.T) {
		_, err := Parse(strings.NewReader(pod("a")+pod("b")+"---\n"+deployment("web", "replicas: 2")), "pods.json")
		require.ErrorContains(t, err, "workload: pods.json: document 3: not JSON after 2 JSON objects (allowed: a stream of JSON objects, or YAML documents separated by ---)")
	})
}

// kubectl reads any object with items as a list: kind List (kubectl get -o yaml), or a typed list such as the
// API server's PodList (kubectl get --raw /api/v1/pods), whose items carry no kind or apiVersion.
func TestParseReadsTypedLists(t *testing.T) {
	const podList = `{"apiVersion": "v1", "kind": "PodList", "metadata": {"resourceVersion": "123"}, "items": [
  {"metadata": {"name": "a", "namespace": "shop"}, "spec": {"containers": [{"name": "c"}]}, "status": {"phase": "Running"}},
  {"metadata": {"name": "b", "namespace": "shop"}, "spec": {"containers": [{"name": "c"}]}, "status": {"phase": "Pending"}}]}`
	w := parse(t, podList)
	require.Equal(t, map[string]int{"Pod shop/a": 1, "Pod shop/b": 1}, podsBy(w))
	require.Empty(t, w.Ignored, "expected the PodList read as its pods, not ignored as an object")

	t.Run("an item that names its kind keeps it", func(t *testing.T) {
		w := parse(t, "apiVersion: apps/v1\nkind: DeploymentList\nitems:\n- "+strings.ReplaceAll(strings.TrimSpace(deployment("web", "replicas: 2")), "\n", "\n  ")+"\n")
		require.Equal(t, map[string]int{"Deployment default/web": 2}, podsBy(w))
	})
	t.Run("items that are not a list", func(t *testing.T) {
		_, err := Parse(strings.NewReader("apiVersion: v1\nkind: PodList\nitems: {name: a}\n"), "pods.yaml")
		require.ErrorContains(t, err, "pods.yaml: document 1: kind PodList: items: json: cannot unmarshal object")
		require.ErrorContains(t, err, "(allowed: a list of objects)")
	})
	t.Run("an item that is not an object names the item", func(t *testing.T) {
		_, err := Parse(strings.NewReader("apiVersion: v1\nkind: PodList\nitems: [a]\n"), "pods.yaml")
		require.ErrorContains(t, err, "pods.yaml: document 1, item 1 of the PodList: not a Kubernetes object")
	})
}

// kubectl get pods -A lists a DaemonSet's pod on every node. Without the DaemonSet in the input, its pods are read as
// the DaemonSet once, not as one pod to place per node of the cluster the export came from.
func TestParseReadsTheDaemonSetOfItsPods(t *testing.T) {
	dsPod := func(node string) string {
		return fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata:
  name: aws-node-%s
  namespace: kube-system
  labels: {k8s-app: aws-node, controller-revision-hash: 5d8f7c6b9, pod-template-generation: "3"}
  annotations: {karpenter.sh/do-not-disrupt: "true"}
  ownerReferences: [{apiVersion: apps/v1, kind: DaemonSet, name: aws-node, uid: 0b6c2f1e, controller: true, blockOwnerDeletion: true}]
spec:
  nodeName: node-%s
  nodeSelector: {kubernetes.io/os: linux}
  affinity:
    nodeAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        nodeSelectorTerms:
        - matchFields: [{key: metadata.name, operator: In, values: [node-%s]}]
  containers: [{name: aws-node, resources: {requests: {cpu: 25m}}}]
status: {phase: Running}
`, node, node, node)
	}
	w := parse(t, dsPod("a")+"---\n"+dsPod("b")+"---\n"+dsPod("c")+"---\n"+deployment("web", "replicas: 2"))
	require.Equal(t, map[string]int{"Deployment default/web": 2}, podsBy(w), "expected the DaemonSet's pods not placed as pods")
	require.Len(t, w.DaemonSetPods, 1, "expected the DaemonSet once")
	ds := w.DaemonSetPods[0]
	require.Equal(t, "kube-system", ds.Namespace)
	require.Equal(t, "aws-node", ds.Name, "expected the DaemonSet's pod named after it, as the DaemonSets of the input are")
	require.Empty(t, ds.Spec.NodeName)
	require.Nil(t, ds.Spec.Affinity.NodeAffinity, "expected the node-name affinity of the export's node dropped, or the pod fits no node of the estimate")
	require.Equal(t, map[string]string{"kubernetes.io/os": "linux"}, ds.Spec.NodeSelector)
	require.Equal(t, "true", ds.Annotations["karpenter.sh/do-not-disrupt"])
	require.Equal(t, map[string]int{"Pod": 2}, ignoredKinds(w), "ignored: %v", w.Ignored)
	require.True(t, containsNote(w.Notes, "DaemonSet kube-system/aws-node is not in the input: read from its pod aws-node-a (3 of its pods are in the input) as one pod on every node; "+
		"the DaemonSet's own required node affinity, which its controller replaces in each pod by the pod's node name, is not known"), "notes: %v", w.Notes)
}

// A live object (kubectl get -o yaml) came through an API server, which accepted its fields: one this reader's schema
// lacks is a newer Kubernetes's, read past with a note. In a manifest, the same field is an error, likely a typo.
func TestParseReadsPastNewFieldsOfLiveObjects(t *testing.T) {
	live := strings.Replace(deployment("web", "replicas: 2\n  futureField: {enabled: true}"), "  name: web\n", "  name: web\n  resourceVersion: \"88412\"\n  uid: 2f1c8a9e\n", 1)
	w := parse(t, live)
	require.Equal(t, map[string]int{"Deployment default/web": 2}, podsBy(w))
	require.True(t, containsNote(w.Notes, `test.yaml: document 1: Deployment default/web: unknown field "spec.futureField"; left unread: the object is live (metadata.resourceVersion 88412)`),
		"notes: %v", w.Notes)

	rollout := "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: r, resourceVersion: \"7\"}\nspec:\n  replicas: 3\n" +
		"  template: {spec: {futureField: 1, containers: [{name: c}]}}\n"
	w = parse(t, rollout)
	require.Equal(t, map[string]int{"Rollout default/r": 3}, podsBy(w))
	require.True(t, containsNote(w.Notes, `Rollout default/r: spec.template: unknown field "spec.futureField"; left unread`), "notes: %v", w.Notes)

	_, err := Parse(strings.NewReader(deployment("web", "replicas: 2\n  futureField: {enabled: true}")), "test.yaml")
	require.ErrorContains(t, err, `Deployment default/web: unknown field "spec.futureField"`, "expected a manifest's unknown field to stay an error")
}

// A budget the API server would refuse is an error that names its document, as the other objects' errors do.
func TestParseChecksBudgets(t *testing.T) {
	pdb := func(spec string) string {
		return "apiVersion: v1\nkind: Service\nmetadata: {name: s}\n---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: b}\nspec: " + spec + "\n"
	}
	for _, tc := range []struct{ name, spec, want string }{
		{"both fields", "{minAvailable: 1, maxUnavailable: 1}", "spec.minAvailable 1 and spec.maxUnavailable 1 are both set; at most one is allowed"},
		{"a count without its percent sign", `{maxUnavailable: "50"}`, `spec.maxUnavailable "50": must be a non-negative integer or a percentage from 0% to 100%`},
		{"a bad selector", "{minAvailable: 1, selector: {matchExpressions: [{key: app, operator: Near}]}}", "spec.selector:"},
		// strconv reads "+50" as 50; the API server's percentages are digits and "%" only.
		{"a signed percentage", `{minAvailable: "+50%"}`, `spec.minAvailable "+50%": must be a non-negative integer or a percentage from 0% to 100%`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(pdb(tc.spec)), "pdb.yaml")
			require.ErrorContains(t, err, "workload: pdb.yaml: document 2: PodDisruptionBudget default/b: "+tc.want)
		})
	}
}

// A cluster's export lists every pod of a workload whose controller it leaves out; each notes what the estimate does
// not read of it once for the workload, not once per pod.
func TestParseNotesEachPodlessWorkloadOnce(t *testing.T) {
	var in []string
	for _, name := range []string{"web-5d8f7c6b9-a", "web-5d8f7c6b9-b", "web-5d8f7c6b9-c"} {
		in = append(in, strings.Replace(ownedPod(name, "ReplicaSet", "web-5d8f7c6b9", "pod-template-hash: 5d8f7c6b9"), "  nodeName: node-1\n",
			"  nodeName: node-1\n  nodeSelector: {eks.amazonaws.com/nodegroup: ng}\n", 1))
	}
	w := parse(t, strings.Join(in, "---\n"))
	require.Equal(t, map[string]int{"Deployment default/web": 3}, podsBy(w))
	require.Equal(t, []string{"Deployment default/web: nodeSelector eks.amazonaws.com/nodegroup=ng ignored; only [kubernetes.io/arch kubernetes.io/os] are estimated"}, w.Notes)
}

// Preferred node affinity keeps the expressions on the estimated keys with the term's weight; a preference left with
// none is dropped, and every dropped key, matchFields' too, is noted.
func TestPreferredNodeAffinityKeepsTheEstimatedKeys(t *testing.T) {
	in := func(key string, values ...string) corev1.NodeSelectorRequirement {
		return corev1.NodeSelectorRequirement{Key: key, Operator: corev1.NodeSelectorOpIn, Values: values}
	}
	spec := podSpec(corev1.ResourceRequirements{})
	spec.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{PreferredDuringSchedulingIgnoredDuringExecution: []corev1.PreferredSchedulingTerm{
		{Weight: 50, Preference: corev1.NodeSelectorTerm{MatchExpressions: []corev1.NodeSelectorRequirement{
			in(corev1.LabelArchStable, "arm64"), in("karpenter.k8s.aws/instance-family", "m7g")}}},
		{Weight: 10, Preference: corev1.NodeSelectorTerm{MatchExpressions: []corev1.NodeSelectorRequirement{in("karpenter.sh/capacity-type", "spot")}}},
		{Weight: 5, Preference: corev1.NodeSelectorTerm{MatchFields: []corev1.NodeSelectorRequirement{in("metadata.name", "node-1")}}},
	}}}
	got, notes, err := Normalize("Deployment default/web", spec)
	require.NoError(t, err)
	require.Equal(t, []corev1.PreferredSchedulingTerm{{Weight: 50, Preference: corev1.NodeSelectorTerm{
		MatchExpressions: []corev1.NodeSelectorRequirement{in(corev1.LabelArchStable, "arm64")}}}},
		got.Affinity.NodeAffinity.PreferredDuringSchedulingIgnoredDuringExecution)
	require.Nil(t, got.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution)
	for _, k := range []string{"karpenter.k8s.aws/instance-family", "karpenter.sh/capacity-type", "metadata.name"} {
		require.True(t, containsNote(notes, "node affinity on "+k+" ignored"), "expected a note on %s, got %v", k, notes)
	}
}

// live makes a manifest a live object, as kubectl get -o yaml prints it: the API server gives it a resourceVersion.
func live(manifest string) string {
	return strings.Replace(manifest, "metadata: {name: batch}", "metadata: {name: batch, resourceVersion: \"1\"}", 1)
}

// A manifest's status is not what a cluster shows: the API server resets it on create. An autoscaling/v1
// HorizontalPodAutoscaler from kubectl autoscale --dry-run=client -o yaml carries currentReplicas 0 (v1 has no
// omitempty), and a manifest's finished Job or Pod status would hide pods that kubectl apply starts.
func TestParseReadsTheStatusOfLiveObjectsOnly(t *testing.T) {
	const dryRunHPA = `apiVersion: autoscaling/v1
kind: HorizontalPodAutoscaler
metadata:
  creationTimestamp: null
  name: web
spec:
  maxReplicas: 10
  minReplicas: 2
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  targetCPUUtilizationPercentage: 80
status:
  currentReplicas: 0
  desiredReplicas: 0
`
	w := parse(t, deployment("web", "replicas: 1")+"---\n"+dryRunHPA+"---\n"+job("parallelism: 2")+"status:\n  conditions: [{type: Complete, status: \"True\"}]\n")
	require.Equal(t, map[string]int{"Deployment default/web": 2, "Job default/batch": 2}, podsBy(w))
	require.True(t, containsNote(w.Notes, "test.yaml: document 2: HorizontalPodAutoscaler default/web: status left unread: the object has no metadata.resourceVersion"), "notes: %v", w.Notes)
	require.True(t, containsNote(w.Notes, "test.yaml: document 3: Job default/batch: status left unread"), "notes: %v", w.Notes)
}
