package savings

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	karpv1 "sigs.k8s.io/karpenter/pkg/apis/v1"

	"github.com/karpenter-savings/karpenter-savings/internal/savings/workload"
)

// scaledKinds are the controllers kube-controller-manager's disruption controller reads the replicas of
// (pkg/controller/disruption, finders: ReplicationController, Deployment through its ReplicaSet, ReplicaSet,
// StatefulSet). The estimate's pods name a Deployment as their controller directly; the count is the same.
var scaledKinds = []string{"Deployment", "StatefulSet", "ReplicaSet", "ReplicationController"}

// unscaledKinds are the controllers that serve no scale subresource: the disruption controller fails to count the
// expected pods of a PDB that selects theirs, and sets its disruptionsAllowed to 0 (its failSafe).
var unscaledKinds = []string{"Job", "CronJob", "DaemonSet"}

// disruptionBudgets returns the workload's PodDisruptionBudgets as Karpenter's disruption code reads them (through
// the kube client, sigs.k8s.io/karpenter pkg/utils/pdb NewLimits): each with the status kube-controller-manager's
// disruption controller (pkg/controller/disruption, trySync) writes once every pod of the workload runs and is
// ready, which is what a cluster at its steady state shows between two disruptions. The status is computed over the
// whole workload, whatever shard a pass holds: Karpenter asks of it only whether disruptionsAllowed is 0 (a node
// with a pod under such a budget is no candidate), and a shard of 1/k of the pods would give another answer for an
// absolute minAvailable. It also returns notes on each budget that keeps nodes and on what the model cannot follow.
func disruptionBudgets(pdbs []*policyv1.PodDisruptionBudget, pods, daemonSetPods []*corev1.Pod) ([]*policyv1.PodDisruptionBudget, []string, error) {
	// A controller's replicas are its pods in the workload: one per replica (workload.Parse).
	replicas := map[workload.Owner]int{}
	for _, p := range pods {
		replicas[workload.OwnerOf(p)]++
	}
	var out []*policyv1.PodDisruptionBudget
	var notes []string
	var errs []error
	// A namespace holds one object of a name: of budgets given more than once (a manifest read twice), the last
	// is the one, as `kubectl apply` of them all would leave it; two would put their pods under two budgets, which
	// Karpenter reads as a pod it may not evict.
	byKey := map[string]*policyv1.PodDisruptionBudget{}
	given := map[string]int{}
	var keys []string
	for _, in := range pdbs {
		pdb := in.DeepCopy()
		if pdb.Namespace == "" {
			pdb.Namespace = metav1.NamespaceDefault
		}
		key := pdb.Namespace + "/" + pdb.Name
		if given[key] == 0 {
			keys = append(keys, key)
		}
		given[key]++
		byKey[key] = pdb
	}
	for _, key := range keys {
		pdb := byKey[key]
		if given[key] > 1 {
			notes = append(notes, fmt.Sprintf("PodDisruptionBudget %s is given %d times; the last one is used, as kubectl apply would leave it.", key, given[key]))
		}
		selector, err := workload.BudgetSelector(pdb)
		if err != nil {
			errs = append(errs, fmt.Errorf("PodDisruptionBudget %s: %w", key, err))
			continue
		}
		var matching []*corev1.Pod
		for _, p := range pods {
			if p.Namespace == pdb.Namespace && selector.Matches(labels.Set(p.Labels)) {
				matching = append(matching, p)
			}
		}
		var daemonSets []string
		for _, p := range daemonSetPods {
			if p.Namespace == pdb.Namespace && selector.Matches(labels.Set(p.Labels)) {
				daemonSets = append(daemonSets, p.Namespace+"/"+p.Name)
			}
		}
		pdb.Status, err = budgetStatus(pdb, matching, replicas)
		switch {
		case len(daemonSets) > 0 && needsScale(pdb) && err == nil:
			// The controller counts the DaemonSet's replicas too, and a DaemonSet serves no scale subresource: the
			// whole budget allows no disruption, for the other pods it selects as well.
			pdb.Status = policyv1.PodDisruptionBudgetStatus{CurrentHealthy: int32Of(len(matching))}
			err = fmt.Errorf("it counts the replicas of DaemonSet %s, which has no scale subresource", daemonSets[0])
		case len(daemonSets) > 0 && !needsScale(pdb):
			notes = append(notes, fmt.Sprintf("PodDisruptionBudget %s selects the pods of DaemonSet %s, which the steady state does not "+
				"place on its nodes: the budget is applied to the other pods it selects only; in a cluster, if it allows no disruption, "+
				"Karpenter keeps every node that runs the DaemonSet.", key, strings.Join(daemonSets, ", ")))
		}
		if err != nil {
			notes = append(notes, fmt.Sprintf("PodDisruptionBudget %s allows no disruption: %v, and kube-controller-manager then sets "+
				"disruptionsAllowed to 0; the steady state keeps every node that runs one of its pods, as Karpenter does.", key, err))
		} else if len(matching) == 0 {
			notes = append(notes, fmt.Sprintf("PodDisruptionBudget %s selects no pod of the workload.", key))
		} else if pdb.Status.ExpectedPods == 0 {
			why := "none has a controller whose replicas it counts"
			if pdb.Spec.MinAvailable == nil && pdb.Spec.MaxUnavailable == nil {
				why = "neither minAvailable nor maxUnavailable is set"
			}
			notes = append(notes, fmt.Sprintf("PodDisruptionBudget %s allows no disruption: kube-controller-manager expects none of its %d pods: %s; "+
				"the steady state keeps every node that runs one of them, as Karpenter does.", key, len(matching), why))
		} else if pdb.Status.DisruptionsAllowed == 0 {
			notes = append(notes, fmt.Sprintf("PodDisruptionBudget %s allows no disruption (%d pods, %d must stay healthy): the steady state keeps "+
				"every node that runs one of its pods, as Karpenter does.", key, pdb.Status.CurrentHealthy, pdb.Status.DesiredHealthy))
		}
		if assumed := assumedScale(matching); len(assumed) > 0 && needsScale(pdb) {
			notes = append(notes, fmt.Sprintf("PodDisruptionBudget %s counts the replicas of %s through their scale subresource, assumed served "+
				"(Argo Rollouts and OpenKruise serve it); without it, kube-controller-manager would allow no disruption.", key, strings.Join(assumed, ", ")))
		}
		out = append(out, pdb)
	}
	return out, notes, errors.Join(errs...)
}

// budgetStatus is what the disruption controller writes for pdb over the pods it selects, all running and ready
// (pkg/controller/disruption: getExpectedPodCount, countHealthyPods, updatePdbStatus). An error is the controller's
// own failure to count the expected pods, for which it writes disruptionsAllowed 0; the status returned then says so.
func budgetStatus(pdb *policyv1.PodDisruptionBudget, matching []*corev1.Pod, replicas map[workload.Owner]int) (policyv1.PodDisruptionBudgetStatus, error) {
	healthy := len(matching)
	var expected, desired int
	switch {
	case pdb.Spec.MaxUnavailable != nil:
		n, err := expectedScale(matching, replicas)
		if err != nil {
			return policyv1.PodDisruptionBudgetStatus{CurrentHealthy: int32Of(healthy)}, err
		}
		maxUnavailable, err := intstr.GetScaledValueFromIntOrPercent(pdb.Spec.MaxUnavailable, n, true)
		if err != nil {
			return policyv1.PodDisruptionBudgetStatus{CurrentHealthy: int32Of(healthy)}, err
		}
		expected, desired = n, max(n-maxUnavailable, 0)
	case pdb.Spec.MinAvailable != nil && pdb.Spec.MinAvailable.Type == intstr.Int:
		expected, desired = healthy, int(pdb.Spec.MinAvailable.IntVal)
	case pdb.Spec.MinAvailable != nil:
		n, err := expectedScale(matching, replicas)
		if err != nil {
			return policyv1.PodDisruptionBudgetStatus{CurrentHealthy: int32Of(healthy)}, err
		}
		minAvailable, err := intstr.GetScaledValueFromIntOrPercent(pdb.Spec.MinAvailable, n, true)
		if err != nil {
			return policyv1.PodDisruptionBudgetStatus{CurrentHealthy: int32Of(healthy)}, err
		}
		expected, desired = n, minAvailable
	}
	// With neither field set, the controller expects no pod, and allows no disruption.
	allowed := healthy - desired
	if expected <= 0 || allowed <= 0 {
		allowed = 0
	}
	return policyv1.PodDisruptionBudgetStatus{
		CurrentHealthy: int32Of(healthy), DesiredHealthy: int32Of(desired), ExpectedPods: int32Of(expected), DisruptionsAllowed: int32Of(allowed),
	}, nil
}

// int32Of is n as the status's int32 fields hold it; a workload's pod counts stay far below their limit, which
// clamps them.
func int32Of(n int) int32 {
	return int32(min(max(n, math.MinInt32), math.MaxInt32)) //nolint:gosec // G115: clamped to int32's range on this line
}

// expectedScale sums the replicas of the controllers of the matching pods, as getExpectedScale does: a pod without
// a controller is left out (the controller warns, "UnmanagedPods"), a controller without a scale is an error.
func expectedScale(matching []*corev1.Pod, replicas map[workload.Owner]int) (int, error) {
	counted := map[workload.Owner]bool{}
	n := 0
	for _, p := range matching {
		ref := metav1.GetControllerOf(p)
		if ref == nil {
			continue
		}
		if slices.Contains(unscaledKinds, ref.Kind) {
			return 0, fmt.Errorf("it counts the replicas of %s %s/%s, which has no scale subresource", ref.Kind, p.Namespace, ref.Name)
		}
		o := workload.OwnerOf(p)
		if !counted[o] {
			counted[o] = true
			n += replicas[o]
		}
	}
	return n, nil
}

// needsScale says whether the controller counts pdb's expected pods from the replicas of their controllers.
func needsScale(pdb *policyv1.PodDisruptionBudget) bool {
	return pdb.Spec.MaxUnavailable != nil || (pdb.Spec.MinAvailable != nil && pdb.Spec.MinAvailable.Type == intstr.String)
}

// assumedScale names the controllers of the matching pods whose kind is neither a built-in scaled one nor one known
// to have no scale: custom resources, whose scale subresource the estimate cannot see.
func assumedScale(matching []*corev1.Pod) []string {
	var out []string
	for _, p := range matching {
		ref := metav1.GetControllerOf(p)
		if ref == nil || slices.Contains(scaledKinds, ref.Kind) || slices.Contains(unscaledKinds, ref.Kind) {
			continue
		}
		if name := ref.Kind + " " + p.Namespace + "/" + ref.Name; !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out
}

// doNotDisruptNotes says which workloads have pods that carry karpenter.sh/do-not-disrupt, with each value and what
// Karpenter's disruption code (sigs.k8s.io/karpenter pkg/utils/pod, IsDoNotDisruptActive) makes of it: "true" keeps
// their nodes; a duration ("30m") protects a pod only that long after it starts, and has passed at the steady state
// (see podsStarted); any other value Karpenter ignores.
func doNotDisruptNotes(pods, daemonSetPods []*corev1.Pod) []string {
	type annotated struct {
		owner workload.Owner
		value string
	}
	counts := map[annotated]int{}
	var keys []annotated
	for _, p := range pods {
		v, ok := p.Annotations[karpv1.DoNotDisruptAnnotationKey]
		if !ok {
			continue
		}
		k := annotated{workload.OwnerOf(p), v}
		if counts[k] == 0 {
			keys = append(keys, k)
		}
		counts[k]++
	}
	slices.SortFunc(keys, func(a, b annotated) int {
		return cmp.Or(compareOwners(a.owner, b.owner), cmp.Compare(a.value, b.value))
	})
	var notes []string
	for _, k := range keys {
		o := k.owner
		what := "the steady state keeps every node that runs one, as Karpenter does"
		if d, err := time.ParseDuration(k.value); k.value != "true" && (err != nil || d <= 0) {
			what = "Karpenter reads only \"true\" or a positive duration, and ignores it; so does the estimate"
		} else if k.value != "true" {
			what = "a duration, which protects a pod only that long after it starts, and has passed at the steady state"
		}
		notes = append(notes, fmt.Sprintf("%s %s/%s: %d pod(s) carry %s: %q; %s.", o.Kind, o.Namespace, o.Name, counts[k], karpv1.DoNotDisruptAnnotationKey, k.value, what))
	}
	for _, p := range daemonSetPods {
		if _, ok := p.Annotations[karpv1.DoNotDisruptAnnotationKey]; ok {
			notes = append(notes, fmt.Sprintf("DaemonSet %s/%s carries %s, which the steady state does not follow: it does not place DaemonSet pods "+
				"on its nodes; in a cluster, Karpenter keeps every node that runs one.", p.Namespace, p.Name, karpv1.DoNotDisruptAnnotationKey))
		}
	}
	return notes
}
