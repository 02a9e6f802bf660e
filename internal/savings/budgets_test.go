package savings

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	karpv1 "sigs.k8s.io/karpenter/pkg/apis/v1"

	"github.com/karpenter-savings/karpenter-savings/internal/catalog"
	"github.com/karpenter-savings/karpenter-savings/internal/savings/workload"
)

// ownedPods are n pods of the default namespace labelled app=web, controlled by kind/web, or bare for kind "".
func ownedPods(kind string, n int) []*corev1.Pod {
	const app = "web"
	var out []*corev1.Pod
	for i := range n {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s-%d", app, i), Namespace: metav1.NamespaceDefault,
			Labels: map[string]string{"app": app}}}
		if kind != "" {
			p.OwnerReferences = []metav1.OwnerReference{workload.ControllerRef(kind, app)}
		}
		out = append(out, p)
	}
	return out
}

// The status is what kube-controller-manager's disruption controller writes (pkg/controller/disruption,
// getExpectedPodCount and updatePdbStatus) with every selected pod running and ready.
func TestBudgetStatus(t *testing.T) {
	for _, tc := range []struct {
		name                       string
		pdb                        *policyv1.PodDisruptionBudget
		pods                       []*corev1.Pod
		expected, desired, allowed int32
		note                       string // a note the budget must get; "" for none
	}{
		{name: "minAvailable 2 of 3", pdb: newPDB("w", "2", "", "web"), pods: ownedPods("Deployment", 3),
			expected: 3, desired: 2, allowed: 1},
		{name: "minAvailable of every pod", pdb: newPDB("w", "3", "", "web"), pods: ownedPods("Deployment", 3),
			expected: 3, desired: 3, allowed: 0, note: "allows no disruption (3 pods, 3 must stay healthy)"},
		{name: "minAvailable above the pods", pdb: newPDB("w", "5", "", "web"), pods: ownedPods("Deployment", 3),
			expected: 3, desired: 5, allowed: 0, note: "allows no disruption"},
		// 50% of 3, rounded up, is 2.
		{name: "minAvailable 50% rounds up", pdb: newPDB("w", "50%", "", "web"), pods: ownedPods("Deployment", 3),
			expected: 3, desired: 2, allowed: 1},
		// 34% of 3, rounded up, is 2 unavailable: 1 must stay.
		{name: "maxUnavailable 34% rounds up", pdb: newPDB("w", "", "34%", "web"), pods: ownedPods("StatefulSet", 3),
			expected: 3, desired: 1, allowed: 2},
		{name: "maxUnavailable above the pods", pdb: newPDB("w", "", "5", "web"), pods: ownedPods("Deployment", 3),
			expected: 3, desired: 0, allowed: 3},
		{name: "maxUnavailable 0", pdb: newPDB("w", "", "0", "web"), pods: ownedPods("Deployment", 2),
			expected: 2, desired: 2, allowed: 0, note: "allows no disruption"},
		// A Job serves no scale subresource: the controller fails to count and writes 0 (its failSafe).
		{name: "maxUnavailable over Job pods", pdb: newPDB("w", "", "1", "web"), pods: ownedPods("Job", 3),
			expected: 0, desired: 0, allowed: 0, note: "counts the replicas of Job default/web, which has no scale subresource"},
		// An integer minAvailable needs no scale.
		{name: "minAvailable over Job pods", pdb: newPDB("w", "1", "", "web"), pods: ownedPods("Job", 3),
			expected: 3, desired: 1, allowed: 2},
		// Pods without a controller are left out of the expected count, but counted healthy.
		{name: "maxUnavailable over bare pods", pdb: newPDB("w", "", "1", "web"), pods: ownedPods("", 3),
			expected: 0, desired: 0, allowed: 0, note: "expects none of its 3 pods: none has a controller whose replicas it counts"},
		{name: "minAvailable over bare pods", pdb: newPDB("w", "1", "", "web"), pods: ownedPods("", 3),
			expected: 3, desired: 1, allowed: 2},
		{name: "neither field set", pdb: newPDB("w", "", "", "web"), pods: ownedPods("Deployment", 3),
			expected: 0, desired: 0, allowed: 0, note: "expects none of its 3 pods: neither minAvailable nor maxUnavailable is set"},
		{name: "no pod selected", pdb: newPDB("w", "1", "", "api"), pods: ownedPods("Deployment", 3),
			expected: 0, desired: 1, allowed: 0, note: "selects no pod of the workload"},
		{name: "a custom controller's scale is assumed", pdb: newPDB("w", "", "1", "web"), pods: ownedPods("Rollout", 4),
			expected: 4, desired: 3, allowed: 1, note: "counts the replicas of Rollout default/web through their scale subresource, assumed served"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, notes, err := disruptionBudgets([]*policyv1.PodDisruptionBudget{tc.pdb}, tc.pods, nil)
			require.NoError(t, err)
			require.Len(t, out, 1)
			s := out[0].Status
			require.Equal(t, []int32{tc.expected, tc.desired, tc.allowed}, []int32{s.ExpectedPods, s.DesiredHealthy, s.DisruptionsAllowed},
				"expected pods, desired healthy, disruptions allowed")
			if tc.note == "" {
				require.Empty(t, notes)
				return
			}
			require.Len(t, notes, 1)
			require.Contains(t, notes[0], tc.note)
		})
	}
}

// The status counts the pods of the whole workload, whatever namespace the budget's pods share with others.
func TestBudgetSelectsItsNamespaceOnly(t *testing.T) {
	other := ownedPods("Deployment", 2)
	for _, p := range other {
		p.Namespace = "other"
	}
	b := newPDB("w", "1", "", "web")
	b.Namespace = ""
	out, _, err := disruptionBudgets([]*policyv1.PodDisruptionBudget{b}, append(ownedPods("Deployment", 1), other...), nil)
	require.NoError(t, err)
	require.Equal(t, metav1.NamespaceDefault, out[0].Namespace, "expected an unset namespace to default, as kubectl does")
	require.Equal(t, int32(1), out[0].Status.CurrentHealthy, "expected only the default namespace's pod counted")
	require.Equal(t, int32(0), out[0].Status.DisruptionsAllowed)
}

func TestBudgetErrorsNameTheBudget(t *testing.T) {
	both := newPDB("both", "1", "1", "web")
	for _, tc := range []struct {
		name string
		pdbs []*policyv1.PodDisruptionBudget
		want string
	}{
		{name: "both fields", pdbs: []*policyv1.PodDisruptionBudget{both},
			want: "PodDisruptionBudget default/both: spec.minAvailable 1 and spec.maxUnavailable 1 are both set; at most one is allowed"},
		{name: "a percentage above 100", pdbs: []*policyv1.PodDisruptionBudget{newPDB("pct", "150%", "", "web")},
			want: `PodDisruptionBudget default/pct: spec.minAvailable "150%": must be a non-negative integer or a percentage from 0% to 100%`},
		{name: "a negative count", pdbs: []*policyv1.PodDisruptionBudget{newPDB("neg", "", "-1", "web")},
			want: "PodDisruptionBudget default/neg: spec.maxUnavailable -1: must be a non-negative integer"},
		{name: "a bad selector", pdbs: []*policyv1.PodDisruptionBudget{func() *policyv1.PodDisruptionBudget {
			b := newPDB("sel", "1", "", "web")
			b.Spec.Selector.MatchExpressions[0].Operator = "Near"
			return b
		}()}, want: "PodDisruptionBudget default/sel: spec.selector:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := disruptionBudgets(tc.pdbs, ownedPods("Deployment", 2), nil)
			require.ErrorContains(t, err, tc.want)
		})
	}
}

// A budget given twice (a manifest read twice) is one object, the last one, as kubectl apply leaves it; two would
// put the pods under two budgets, which Karpenter reads as pods it may not evict.
func TestBudgetGivenTwiceIsOne(t *testing.T) {
	out, notes, err := disruptionBudgets([]*policyv1.PodDisruptionBudget{newPDB("twice", "3", "", "web"), newPDB("twice", "1", "", "web")},
		ownedPods("Deployment", 3), nil)
	require.NoError(t, err)
	require.Len(t, out, 1)
	require.Equal(t, int32(2), out[0].Status.DisruptionsAllowed, "expected the last budget, minAvailable 1 of 3")
	require.Equal(t, []string{"PodDisruptionBudget default/twice is given 2 times; the last one is used, as kubectl apply would leave it."}, notes)
}

// Every do-not-disrupt value is said, with what Karpenter makes of it.
func TestDoNotDisruptNotes(t *testing.T) {
	pods := ownedPods("Deployment", 3)
	for i, v := range []string{"true", "30m", "yes"} {
		pods[i].Annotations = map[string]string{karpv1.DoNotDisruptAnnotationKey: v}
	}
	require.Equal(t, []string{
		`Deployment default/web: 1 pod(s) carry karpenter.sh/do-not-disrupt: "30m"; a duration, which protects a pod only that long after it starts, and has passed at the steady state.`,
		`Deployment default/web: 1 pod(s) carry karpenter.sh/do-not-disrupt: "true"; the steady state keeps every node that runs one, as Karpenter does.`,
		`Deployment default/web: 1 pod(s) carry karpenter.sh/do-not-disrupt: "yes"; Karpenter reads only "true" or a positive duration, and ignores it; so does the estimate.`,
	}, doNotDisruptNotes(pods, nil))
}

// What the steady state cannot follow is said: DaemonSet pods are not on its nodes.
func TestBudgetAndAnnotationOfDaemonSetsAreNoted(t *testing.T) {
	ds := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "agent", Namespace: metav1.NamespaceDefault, Labels: map[string]string{"app": "agent"},
		Annotations: map[string]string{karpv1.DoNotDisruptAnnotationKey: "true"}}}
	_, notes, err := disruptionBudgets([]*policyv1.PodDisruptionBudget{newPDB("a", "1", "", "agent")}, ownedPods("Deployment", 1), []*corev1.Pod{ds})
	require.NoError(t, err)
	require.Contains(t, strings.Join(notes, "\n"), "PodDisruptionBudget default/a selects the pods of DaemonSet default/agent, which the steady state does not place")
	notes = doNotDisruptNotes(nil, []*corev1.Pod{ds})
	require.Len(t, notes, 1)
	require.Contains(t, notes[0], "DaemonSet default/agent carries karpenter.sh/do-not-disrupt, which the steady state does not follow")
}

// A budget that counts replicas (maxUnavailable, or a percentage) and selects a DaemonSet's pods allows no
// disruption at all: kube-controller-manager finds no scale for the DaemonSet and writes 0 (its failSafe), for the
// budget's other pods too, although the steady state does not place the DaemonSet's pods.
func TestBudgetOverADaemonSetThatCountsReplicasAllowsNoDisruption(t *testing.T) {
	ds := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "agent", Namespace: metav1.NamespaceDefault, Labels: map[string]string{"tier": "shop"}}}
	pods := ownedPods("Deployment", 3)
	for _, p := range pods {
		p.Labels["tier"] = "shop"
	}
	for _, tc := range []struct {
		name                         string
		minAvailable, maxUnavailable string
		allowed                      int32
		note                         string
	}{
		{name: "maxUnavailable", maxUnavailable: "1", allowed: 0,
			note: "PodDisruptionBudget default/shop allows no disruption: it counts the replicas of DaemonSet default/agent, which has no scale subresource"},
		{name: "a minAvailable percentage", minAvailable: "50%", allowed: 0,
			note: "PodDisruptionBudget default/shop allows no disruption: it counts the replicas of DaemonSet default/agent, which has no scale subresource"},
		// An integer minAvailable counts pods, not replicas: the controller needs no scale.
		{name: "an integer minAvailable", minAvailable: "1", allowed: 2,
			note: "PodDisruptionBudget default/shop selects the pods of DaemonSet default/agent, which the steady state does not place"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newPDB("shop", tc.minAvailable, tc.maxUnavailable)
			b.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"tier": "shop"}}
			out, notes, err := disruptionBudgets([]*policyv1.PodDisruptionBudget{b}, pods, []*corev1.Pod{ds})
			require.NoError(t, err)
			require.Equal(t, tc.allowed, out[0].Status.DisruptionsAllowed)
			require.Len(t, notes, 1, "notes: %v", notes)
			require.Contains(t, notes[0], tc.note)
		})
	}
}

// The report says which workloads' pods carry do-not-disrupt and which budgets allow no disruption; the estimate
// reads both from the workload.
func TestEstimateNotesBudgetsAndDoNotDisrupt(t *testing.T) {
	w := mustParse(t, deployment("web", 2, "500m", "1Gi", "")+deployment("batch", 2, "500m", "1Gi", ""))
	for _, p := range w.Pods {
		if workload.OwnerOf(p).Name == "batch" {
			p.Annotations = map[string]string{karpv1.DoNotDisruptAnnotationKey: "true"}
		}
	}
	w.PodDisruptionBudgets = []*policyv1.PodDisruptionBudget{newPDB("web", "2", "", "web")}
	r, err := Estimate(context.Background(), smallCatalog(t), w, options(t))
	require.NoError(t, err)
	notes := strings.Join(r.Notes, "\n")
	require.Contains(t, notes, "PodDisruptionBudget default/web allows no disruption (2 pods, 2 must stay healthy)")
	require.Contains(t, notes, `Deployment default/batch: 2 pod(s) carry karpenter.sh/do-not-disrupt: "true"; the steady state keeps`)
	require.NotContains(t, notes, "Deployment default/web: ", "expected no do-not-disrupt note for web")
	// Every node runs a pod of web or batch, and Karpenter's own check says so of each.
	steady := mustScenario(t, r, Multiarch).Steady().Nodes
	require.NotEmpty(t, steady)
	for _, n := range steady {
		require.NotEmpty(t, n.DisruptionBlocked, "expected Karpenter to keep %s, which runs %v", n.InstanceType, n.Workloads)
	}
	var table strings.Builder
	require.NoError(t, WriteTable(&table, r))
	require.Contains(t, table.String(), fmt.Sprintf("%4d of these nodes Karpenter may not disrupt: ", len(steady)))
}

// A workload packed in shards is consolidated pass by pass, and every pass reads the budgets with their status over
// the whole workload. On the benchmark's mix in on-demand pools, consolidation replaces nodes; a budget that allows
// no disruption, or do-not-disrupt on every pod, keeps every pass's nodes as placed, while a budget that allows one
// disruption of the 120 pods changes nothing, as in a cluster (over a shard's 60 pods, minAvailable 119 would allow
// none).
func TestShardedPassesReadTheWholeWorkloadsBudgets(t *testing.T) {
	cat, err := catalog.Load()
	require.NoError(t, err)
	ctx := context.Background()
	w := benchWorkload(120)
	e, err := newEstimator(ctx, cat, w, options(t))
	require.NoError(t, err)
	p := pools{nodePools: restricted(e.stack.NodePools, karpv1.CapacityTypeLabelKey, karpv1.CapacityTypeOnDemand), classes: e.classes, memo: e.memo}
	const shardPods = 60
	require.Greater(t, len(shards(e.pods, shardPods, groupKey)), 1, "expected the workload cut into shards")
	everyPod := func(minAvailable, maxUnavailable string) []*policyv1.PodDisruptionBudget {
		b := newPDB("shop", minAvailable, maxUnavailable)
		b.Namespace, b.Spec.Selector = "shop", &metav1.LabelSelector{}
		budgets, _, err := disruptionBudgets([]*policyv1.PodDisruptionBudget{b}, e.pods, w.DaemonSetPods)
		require.NoError(t, err)
		return budgets
	}
	annotated := make([]*corev1.Pod, len(e.pods))
	for i, pod := range e.pods {
		annotated[i] = pod.DeepCopy()
		annotated[i].Annotations = map[string]string{karpv1.DoNotDisruptAnnotationKey: "true"}
	}
	cost := func(nodes []Node) float64 { return NewScenario("", nodes, "").HourlyUSD }

	first, free, err := solve(ctx, e.builder, p, e.pods, w.DaemonSetPods, nil, shardPods, true)
	require.NoError(t, err)
	require.Less(t, cost(free), cost(first), "expected consolidation to save without budgets, or the test shows nothing")
	for _, tc := range []struct {
		name    string
		pods    []*corev1.Pod
		budgets []*policyv1.PodDisruptionBudget
		want    []Node
	}{
		{name: "a budget that allows no disruption", pods: e.pods, budgets: everyPod("", "0"), want: first},
		{name: "do-not-disrupt on every pod", pods: annotated, want: first},
		{name: "a budget that allows one disruption of the whole workload", pods: e.pods, budgets: everyPod("119", ""), want: free},
	} {
		t.Run(tc.name, func(t *testing.T) {
			placed, settled, err := solve(ctx, e.builder, p, tc.pods, w.DaemonSetPods, tc.budgets, shardPods, true)
			require.NoError(t, err)
			require.Equal(t, cost(first), cost(placed), "expected the same first scale-up")
			require.Equal(t, cost(tc.want), cost(settled), "expected this steady state")
		})
	}
}

// The same from a manifest, as a user gives it: the reader keeps the pod template's annotations and the
// PodDisruptionBudget document, and each reaches Karpenter's own checks through Estimate on its own (a node that runs
// a web pod is held by the budget alone, one that runs a batch pod by the annotation alone); without them, the same
// pods' nodes are not held. Each case holds one of the two only, so that neither hides the other's absence.
func TestManifestBudgetsAndAnnotationsReachTheSteadyState(t *testing.T) {
	const annotated = `apiVersion: apps/v1
kind: Deployment
metadata: {name: batch}
spec:
  replicas: 2
  template:
    metadata:
      labels: {app: batch}
      annotations: {karpenter.sh/do-not-disrupt: "true"}
    spec:
      containers:
      - name: app
        resources: {requests: {cpu: 500m, memory: 1Gi}}
---
`
	const budget = `apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web}
spec:
  minAvailable: 2
  selector: {matchLabels: {app: web}}
---
`
	runs := func(n Node, name string) bool {
		for _, w := range n.Workloads {
			if w.Name == name {
				return true
			}
		}
		return false
	}
	for _, tc := range []struct {
		name, manifests, held, why, note string
	}{
		{name: "a budget alone", manifests: deployment("web", 2, "500m", "1Gi", "") + budget, held: "web",
			why: "pdb prevents pod evictions (PodDisruptionBudget=[default/web])", note: "PodDisruptionBudget default/web allows no disruption (2 pods, 2 must stay healthy)"},
		{name: "an annotation alone", manifests: annotated, held: "batch",
			why: `pod has "karpenter.sh/do-not-disrupt" annotation`, note: `Deployment default/batch: 2 pod(s) carry karpenter.sh/do-not-disrupt: "true"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := estimate(t, smallCatalog(t), tc.manifests, options(t))
			require.Contains(t, strings.Join(r.Notes, "\n"), tc.note)
			steady := mustScenario(t, r, Multiarch).Steady().Nodes
			require.NotEmpty(t, steady)
			for _, n := range steady {
				require.True(t, runs(n, tc.held), "expected every node to run a %s pod, or the case shows nothing: %v", tc.held, n.Workloads)
				require.Contains(t, n.DisruptionBlocked, tc.why, "expected Karpenter to keep %s, which runs %v", n.InstanceType, n.Workloads)
			}
		})
	}

	plain := estimate(t, smallCatalog(t), deployment("web", 2, "500m", "1Gi", "")+deployment("batch", 2, "500m", "1Gi", ""), options(t))
	for _, n := range mustScenario(t, plain, Multiarch).Steady().Nodes {
		require.Empty(t, n.DisruptionBlocked, "expected no node held without the annotation and the budget")
	}
}
