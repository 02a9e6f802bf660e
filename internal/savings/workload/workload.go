// Package workload reads Kubernetes manifests as kubectl does (plain files, helm template output, kubectl get -o yaml
// Lists) and turns them into the pending pods Karpenter's scheduler would see: one pod per replica, requests defaulted
// from limits the way the API server does, and only the scheduling constraints an estimate can honour.
package workload

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	karpv1 "sigs.k8s.io/karpenter/pkg/apis/v1"
	"sigs.k8s.io/karpenter/pkg/utils/daemonset"
)

// GPUResource is the extended resource NVIDIA's device plugin advertises.
const GPUResource corev1.ResourceName = "nvidia.com/gpu"

// NodeKeys are the node labels a workload may select on and still be estimated: the same pods must be placeable on
// a plain managed node group and on Karpenter's pools, so selectors on pool-specific labels are dropped (and noted).
var NodeKeys = []string{corev1.LabelArchStable, corev1.LabelOSStable}

// Workload is the pods a set of manifests asks for.
type Workload struct {
	// Pods holds one pending pod per replica of every workload, and the bare pods no workload of the input owns.
	Pods []*corev1.Pod
	// DaemonSetPods holds one pod per DaemonSet; the scheduler adds it to every node it fits.
	DaemonSetPods []*corev1.Pod
	// PodDisruptionBudgets are the manifests' PDBs; the steady state's disruption honours them as Karpenter does.
	PodDisruptionBudgets []*policyv1.PodDisruptionBudget
	// Ignored lists every object of the input that places no pod, and why.
	Ignored []Ignored
	// Notes says what was ignored, e.g. a nodeSelector on a label only one pool has.
	Notes []string
}

// Ignored is an object of the input that places no pod, and why.
type Ignored struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	Why       string `json:"why"`
}

// Append adds o's pods, budgets, ignored objects and notes to w.
func (w *Workload) Append(o *Workload) {
	w.Pods = append(w.Pods, o.Pods...)
	w.DaemonSetPods = append(w.DaemonSetPods, o.DaemonSetPods...)
	w.PodDisruptionBudgets = append(w.PodDisruptionBudgets, o.PodDisruptionBudgets...)
	w.Ignored = append(w.Ignored, o.Ignored...)
	w.Notes = append(w.Notes, o.Notes...)
}

// addReplicas adds e.count pending pods of e's template, owned by e.
func (w *Workload) addReplicas(e *entry) error {
	spec, notes, err := Normalize(e.key.String(), e.tmpl.Spec)
	if err != nil {
		return err
	}
	w.Notes = append(w.Notes, notes...)
	owner := ControllerRef(e.key.kind, e.key.name)
	if owner.APIVersion == "" {
		owner.APIVersion = e.obj.typ.APIVersion
	}
	for i := range e.count {
		w.Pods = append(w.Pods, &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{
				Name:            fmt.Sprintf("%s-%d", e.key.name, i),
				Namespace:       e.key.namespace,
				Labels:          e.tmpl.Labels,
				Annotations:     e.tmpl.Annotations,
				OwnerReferences: []metav1.OwnerReference{owner},
			},
			Spec:   *spec.DeepCopy(),
			Status: corev1.PodStatus{Phase: corev1.PodPending},
		})
	}
	return nil
}

// addPod adds a bare pod as a pending pod. A controller outside the input stays its owner, named as the workload
// behind it where its name tells (a Deployment's ReplicaSet), so the report names the workload.
func (w *Workload) addPod(e *entry) error {
	p := e.pod
	// The notes name the workload behind the pod, so that the pods of one workload, alike, note a thing once (see
	// build), not once per pod of a cluster's export.
	ref := e.key.String()
	var owners []metav1.OwnerReference
	if c := metav1.GetControllerOf(p); c != nil {
		o := RefOf(p, *c)
		owners = []metav1.OwnerReference{o}
		ref = key{kind: o.Kind, namespace: e.key.namespace, name: o.Name}.String()
	}
	spec, notes, err := Normalize(ref, p.Spec)
	if err != nil {
		return fmt.Errorf("%s: %w", e.key, err)
	}
	w.Notes = append(w.Notes, notes...)
	w.Pods = append(w.Pods, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name:            p.Name,
			Namespace:       e.key.namespace,
			Labels:          p.Labels,
			Annotations:     p.Annotations,
			OwnerReferences: owners,
		},
		Spec:   *spec,
		Status: corev1.PodStatus{Phase: corev1.PodPending},
	})
	return nil
}

func (w *Workload) addDaemonSet(d *appsv1.DaemonSet) error {
	ref := ref("DaemonSet", d.ObjectMeta)
	spec, notes, err := Normalize(ref, d.Spec.Template.Spec)
	if err != nil {
		return err
	}
	w.Notes = append(w.Notes, notes...)
	d = d.DeepCopy()
	d.Namespace = namespace(d.ObjectMeta)
	d.Spec.Template.Spec = *spec
	// Karpenter builds its DaemonSet pods this way, merging limits into requests.
	pod := daemonset.PodForDaemonSet(d)
	pod.Labels = d.Spec.Template.Labels
	pod.Annotations = d.Spec.Template.Annotations
	w.DaemonSetPods = append(w.DaemonSetPods, pod)
	return nil
}

// addDaemonSetOfPod adds the DaemonSet of the pod e, which is not in the input, as its pod shows it: its template
// is the pod without the required node affinity the DaemonSet controller gives each of its pods, which names the
// pod's node (k8s.io/kubernetes pkg/controller/daemon/util, ReplaceDaemonSetPodNodeNameNodeAffinity) and replaces
// the DaemonSet's own, so that affinity is unknown and the pod is taken to run on every node, with a note.
func (w *Workload) addDaemonSetOfPod(e *entry, pods int) error {
	spec := e.pod.Spec.DeepCopy()
	spec.NodeName = ""
	note := fmt.Sprintf("%s is not in the input: read from its pod %s (%d of its pods are in the input) as one pod on every node", e.daemonSet, e.key.name, pods)
	if nodeNameAffinity(spec) {
		spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution = nil
		note += "; the DaemonSet's own required node affinity, which its controller replaces in each pod by the pod's node name, is not known"
	}
	w.Notes = append(w.Notes, note)
	return w.addDaemonSet(&appsv1.DaemonSet{
		ObjectMeta: metav1.ObjectMeta{Name: e.daemonSet.name, Namespace: e.daemonSet.namespace},
		Spec: appsv1.DaemonSetSpec{Template: corev1.PodTemplateSpec{
			ObjectMeta: metav1.ObjectMeta{Labels: e.pod.Labels, Annotations: e.pod.Annotations},
			Spec:       *spec,
		}},
	})
}

// nodeNameAffinity says whether spec's required node affinity is the one the DaemonSet controller writes: one term
// that selects a node by metadata.name.
func nodeNameAffinity(spec *corev1.PodSpec) bool {
	if spec.Affinity == nil || spec.Affinity.NodeAffinity == nil || spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution == nil {
		return false
	}
	terms := spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms
	return len(terms) == 1 && len(terms[0].MatchExpressions) == 0 && len(terms[0].MatchFields) == 1 &&
		terms[0].MatchFields[0].Key == metav1.ObjectNameField
}

// Owner is the workload a pod belongs to.
type Owner struct {
	Kind      string
	Namespace string
	Name      string
}

// OwnerOf reads the workload a pod belongs to from its controller reference; a pod without one is its own owner,
// of kind Pod.
func OwnerOf(p *corev1.Pod) Owner {
	if c := metav1.GetControllerOf(p); c != nil {
		return Owner{Kind: c.Kind, Namespace: p.Namespace, Name: c.Name}
	}
	return Owner{Kind: "Pod", Namespace: p.Namespace, Name: p.Name}
}

// ControllerRef is the controller reference a pod of the named workload carries. Karpenter's scheduler does not read
// it; the estimate uses it to say which workload each node runs. The apiVersion is the served one of the kinds the
// reader decodes, and empty for other kinds.
func ControllerRef(kind, name string) metav1.OwnerReference {
	return metav1.OwnerReference{APIVersion: apiVersionOf(kind), Kind: kind, Name: name, Controller: new(true)}
}

// RefOf names the workload behind pod p's controller o: a Deployment's (or an Argo Rollout's) ReplicaSet is named
// after it and the pod-template-hash label, so the workload is named without reading ReplicaSets. Other controllers
// are named as they are. `savings live` names the pods it reads off a cluster by it too.
func RefOf(p *corev1.Pod, o metav1.OwnerReference) metav1.OwnerReference {
	if o.Kind != "ReplicaSet" {
		return o
	}
	for l, kind := range map[string]string{appsv1.DefaultDeploymentUniqueLabelKey: "Deployment", "rollouts-pod-template-hash": "Rollout"} {
		if hash := p.Labels[l]; hash != "" {
			if name, ok := strings.CutSuffix(o.Name, "-"+hash); ok {
				ref := ControllerRef(kind, name)
				if kind == "Rollout" {
					ref.APIVersion = "argoproj.io/v1alpha1"
				}
				return ref
			}
		}
	}
	return o
}

func ref(kind string, meta metav1.ObjectMeta) string {
	return kind + " " + namespace(meta) + "/" + meta.Name
}

func namespace(meta metav1.ObjectMeta) string {
	if meta.Namespace == "" {
		return metav1.NamespaceDefault
	}
	return meta.Namespace
}

// Normalize returns the part of spec that scheduling reads, as the API server would admit it, and notes on what
// it dropped; ref names the owner in notes and errors. It is shared with `savings live`, which re-schedules the
// pods it finds on a cluster.
//
//   - Requests default to limits where unset, as the API server does; GPU limits thus become GPU requests.
//   - A pod that asks for nvidia.com/gpu tolerates the nvidia.com/gpu taint, as EKS's ExtendedResourceToleration
//     admission plugin (enabled since EKS 1.19) adds.
//   - nodeSelector and node affinity keep only NodeKeys; pod (anti-)affinity, topology spread, tolerations, host
//     ports and pod overhead are kept; volumes are dropped (an estimate has no PersistentVolumes to bind).
func Normalize(ref string, spec corev1.PodSpec) (*corev1.PodSpec, []string, error) {
	if len(spec.Containers) == 0 {
		return nil, nil, fmt.Errorf("%s: pod template has no containers", ref)
	}
	var notes []string
	out := &corev1.PodSpec{
		Containers:                containers(spec.Containers),
		InitContainers:            containers(spec.InitContainers),
		Overhead:                  spec.Overhead,
		Resources:                 spec.Resources,
		Tolerations:               slices.Clone(spec.Tolerations),
		TopologySpreadConstraints: spec.TopologySpreadConstraints,
	}
	if len(spec.Volumes) > 0 {
		for _, v := range spec.Volumes {
			if v.PersistentVolumeClaim != nil || v.Ephemeral != nil {
				notes = append(notes, fmt.Sprintf("%s: volume %q ignored; zonal volume binding is not simulated", ref, v.Name))
			}
		}
	}
	writtenAs := map[string]string{}
	for _, written := range slices.Sorted(maps.Keys(spec.NodeSelector)) {
		k, v := stableKey(written), spec.NodeSelector[written]
		if !slices.Contains(NodeKeys, k) {
			notes = append(notes, fmt.Sprintf("%s: nodeSelector %s=%s ignored; only %v are estimated", ref, written, v, NodeKeys))
			continue
		}
		if was, ok := out.NodeSelector[k]; ok && was != v {
			return nil, nil, fmt.Errorf("%s: nodeSelector %s=%s contradicts %s=%s, the same node label %s: the pod matches no node",
				ref, written, v, writtenAs[k], was, k)
		}
		writtenAs[k] = written
		if out.NodeSelector == nil {
			out.NodeSelector = map[string]string{}
		}
		out.NodeSelector[k] = v
	}
	if a := spec.Affinity; a != nil {
		out.Affinity = &corev1.Affinity{PodAffinity: a.PodAffinity, PodAntiAffinity: a.PodAntiAffinity}
		if na := a.NodeAffinity; na != nil {
			var dropped []string
			var emptied int
			out.Affinity.NodeAffinity, emptied = nodeAffinity(na, &dropped)
			for _, k := range dropped {
				notes = append(notes, fmt.Sprintf("%s: node affinity on %s ignored; only %v are estimated", ref, k, NodeKeys))
			}
			if emptied > 0 {
				notes = append(notes, fmt.Sprintf("%s: required node affinity ignored as a whole: its term %d keeps no expression on %v, "+
					"and the terms are ORed, so the pod may run on any node rather than on the other terms' nodes only", ref, emptied, NodeKeys))
			}
		}
	}
	if requestsGPU(out) && !toleratesGPU(out.Tolerations) {
		out.Tolerations = append(out.Tolerations, corev1.Toleration{
			Key: string(GPUResource), Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule,
		})
	}
	sort.Strings(notes)
	return out, notes, nil
}

// stableKey is the stable label a deprecated beta label stands for (beta.kubernetes.io/arch is kubernetes.io/arch),
// as Karpenter's scheduler translates pod requirements (karpv1.NormalizedLabels), or key itself.
func stableKey(key string) string {
	if stable, ok := karpv1.NormalizedLabels[key]; ok {
		return stable
	}
	return key
}

func containers(in []corev1.Container) []corev1.Container {
	if in == nil {
		return nil
	}
	out := make([]corev1.Container, len(in))
	for i, c := range in {
		out[i] = corev1.Container{
			Name:          c.Name,
			Image:         c.Image,
			Resources:     *c.Resources.DeepCopy(),
			RestartPolicy: c.RestartPolicy, // "Always" marks a sidecar, whose requests add up with the app's
		}
		for _, p := range c.Ports {
			if p.HostPort != 0 {
				out[i].Ports = append(out[i].Ports, p)
			}
		}
		if out[i].Resources.Requests == nil && len(out[i].Resources.Limits) > 0 {
			out[i].Resources.Requests = corev1.ResourceList{}
		}
		for name, q := range out[i].Resources.Limits {
			if _, ok := out[i].Resources.Requests[name]; !ok {
				out[i].Resources.Requests[name] = q
			}
		}
	}
	return out
}

// nodeAffinity keeps the terms' expressions on NodeKeys and appends the keys it dropped to dropped. A term's
// expressions are ANDed, so dropping one widens the term. The required terms are ORed, so a term that loses every
// expression would match every node: the requirement as a whole then matches every node and is dropped, with
// emptied naming the term, rather than narrowed to the other terms ("arm64 OR m6i" must not become "arm64").
func nodeAffinity(na *corev1.NodeAffinity, dropped *[]string) (out *corev1.NodeAffinity, emptied int) {
	drop := func(k string) {
		if !slices.Contains(*dropped, k) {
			*dropped = append(*dropped, k)
		}
	}
	keep := func(exprs []corev1.NodeSelectorRequirement) []corev1.NodeSelectorRequirement {
		var kept []corev1.NodeSelectorRequirement
		for _, e := range exprs {
			e.Key = stableKey(e.Key)
			if slices.Contains(NodeKeys, e.Key) {
				kept = append(kept, e)
			} else {
				drop(e.Key)
			}
		}
		return kept
	}
	out = &corev1.NodeAffinity{}
	if req := na.RequiredDuringSchedulingIgnoredDuringExecution; req != nil {
		var terms []corev1.NodeSelectorTerm
		for i, t := range req.NodeSelectorTerms {
			for _, f := range t.MatchFields {
				drop(f.Key)
			}
			exprs := keep(t.MatchExpressions)
			switch {
			case len(exprs) > 0:
				terms = append(terms, corev1.NodeSelectorTerm{MatchExpressions: exprs})
			case len(t.MatchExpressions) > 0 || len(t.MatchFields) > 0:
				if emptied == 0 {
					emptied = i + 1
				}
			}
			// A term that was empty to begin with matches no node: leaving it out of the OR changes nothing.
		}
		if len(terms) > 0 && emptied == 0 {
			out.RequiredDuringSchedulingIgnoredDuringExecution = &corev1.NodeSelector{NodeSelectorTerms: terms}
		}
	}
	for _, p := range na.PreferredDuringSchedulingIgnoredDuringExecution {
		for _, f := range p.Preference.MatchFields {
			drop(f.Key)
		}
		// A preference's expressions are ANDed too: dropping one widens it, and one left with none prefers nothing.
		if exprs := keep(p.Preference.MatchExpressions); len(exprs) > 0 {
			out.PreferredDuringSchedulingIgnoredDuringExecution = append(out.PreferredDuringSchedulingIgnoredDuringExecution,
				corev1.PreferredSchedulingTerm{Weight: p.Weight, Preference: corev1.NodeSelectorTerm{MatchExpressions: exprs}})
		}
	}
	if out.RequiredDuringSchedulingIgnoredDuringExecution == nil && out.PreferredDuringSchedulingIgnoredDuringExecution == nil {
		return nil, emptied
	}
	return out, emptied
}

func requestsGPU(spec *corev1.PodSpec) bool {
	for _, cs := range [][]corev1.Container{spec.Containers, spec.InitContainers} {
		for _, c := range cs {
			if q, ok := c.Resources.Requests[GPUResource]; ok && !q.IsZero() {
				return true
			}
		}
	}
	return false
}

func toleratesGPU(tolerations []corev1.Toleration) bool {
	for _, t := range tolerations {
		if t.Effect != "" && t.Effect != corev1.TaintEffectNoSchedule {
			continue
		}
		switch {
		case t.Key == "" && t.Operator == corev1.TolerationOpExists,
			t.Key == string(GPUResource) && t.Operator == corev1.TolerationOpExists,
			t.Key == string(GPUResource) && t.Operator != corev1.TolerationOpExists && t.Value == "true":
			return true
		}
	}
	return false
}
