// Package workload reads ordinary Kubernetes manifests (Deployments, StatefulSets, Jobs and DaemonSets) and turns
// them into the pending pods Karpenter's scheduler would see: one pod per replica, requests defaulted from limits
// the way the API server does, and only the scheduling constraints an estimate can honour.
package workload

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8syaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/karpenter/pkg/utils/daemonset"
	"sigs.k8s.io/yaml"
)

// GPUResource is the extended resource NVIDIA's device plugin advertises.
const GPUResource corev1.ResourceName = "nvidia.com/gpu"

// NodeKeys are the node labels a workload may select on and still be estimated: the same pods must be placeable on
// a plain managed node group and on Karpenter's pools, so selectors on pool-specific labels are dropped (and noted).
var NodeKeys = []string{corev1.LabelArchStable, corev1.LabelOSStable}

// Workload is the pods a set of manifests asks for.
type Workload struct {
	// Pods holds one pending pod per replica of every Deployment, StatefulSet and Job.
	Pods []*corev1.Pod
	// DaemonSetPods holds one pod per DaemonSet; the scheduler adds it to every node it fits.
	DaemonSetPods []*corev1.Pod
	// Notes says what was ignored, e.g. a nodeSelector on a label only one pool has.
	Notes []string
}

// ReadFiles parses every file and merges the results.
func ReadFiles(paths ...string) (*Workload, error) {
	w := &Workload{}
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return nil, fmt.Errorf("workload: %w", err)
		}
		part, err := Parse(f, p)
		closeErr := f.Close()
		if err != nil {
			return nil, err
		}
		if closeErr != nil {
			return nil, fmt.Errorf("workload: close %s: %w", p, closeErr)
		}
		w.Append(part)
	}
	return w, nil
}

// Append adds o's pods and notes to w.
func (w *Workload) Append(o *Workload) {
	w.Pods = append(w.Pods, o.Pods...)
	w.DaemonSetPods = append(w.DaemonSetPods, o.DaemonSetPods...)
	w.Notes = append(w.Notes, o.Notes...)
}

// Parse reads multi-document YAML (or JSON) from r; source names r in errors. Kinds other than the four workload
// kinds (Services, ConfigMaps, Namespaces...) are skipped; a workload kind that does not decode strictly, or has no
// containers, is an error naming the document.
func Parse(r io.Reader, source string) (*Workload, error) {
	w := &Workload{}
	reader := k8syaml.NewYAMLReader(bufio.NewReader(r))
	for doc := 1; ; doc++ {
		raw, err := reader.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("workload: %s: document %d: %w", source, doc, err)
		}
		if len(bytes.TrimSpace(raw)) == 0 {
			continue
		}
		if err := w.add(raw); err != nil {
			return nil, fmt.Errorf("workload: %s: document %d: %w", source, doc, err)
		}
	}
	return w, nil
}

func (w *Workload) add(raw []byte) error {
	var meta metav1.TypeMeta
	if err := yaml.Unmarshal(raw, &meta); err != nil {
		return fmt.Errorf("not a Kubernetes object: %w", err)
	}
	if meta.Kind == "" {
		return errors.New("not a Kubernetes object: no kind")
	}
	switch meta.Kind {
	case "List":
		var list struct {
			Items []rawItem `json:"items"`
		}
		if err := yaml.Unmarshal(raw, &list); err != nil {
			return fmt.Errorf("kind List: %w", err)
		}
		for i, item := range list.Items {
			if err := w.add(item); err != nil {
				return fmt.Errorf("item %d of the List: %w", i, err)
			}
		}
		return nil
	case "Deployment":
		var d appsv1.Deployment
		if err := decode(raw, meta, "apps/v1", &d); err != nil {
			return err
		}
		return w.addReplicas("Deployment", d.ObjectMeta, d.Spec.Template, replicas(d.Spec.Replicas))
	case "StatefulSet":
		var s appsv1.StatefulSet
		if err := decode(raw, meta, "apps/v1", &s); err != nil {
			return err
		}
		return w.addReplicas("StatefulSet", s.ObjectMeta, s.Spec.Template, replicas(s.Spec.Replicas))
	case "Job":
		var j batchv1.Job
		if err := decode(raw, meta, "batch/v1", &j); err != nil {
			return err
		}
		return w.addReplicas("Job", j.ObjectMeta, j.Spec.Template, jobPods(j.Spec))
	case "DaemonSet":
		var d appsv1.DaemonSet
		if err := decode(raw, meta, "apps/v1", &d); err != nil {
			return err
		}
		return w.addDaemonSet(&d)
	}
	return nil
}

// rawItem is one List item kept as JSON for a second, typed decode; sigs.k8s.io/yaml turns YAML into JSON first.
type rawItem []byte

// UnmarshalJSON keeps the item's bytes.
func (j *rawItem) UnmarshalJSON(b []byte) error {
	*j = append((*j)[:0], b...)
	return nil
}

func decode(raw []byte, meta metav1.TypeMeta, apiVersion string, into any) error {
	if meta.APIVersion != apiVersion {
		return fmt.Errorf("%s: apiVersion %q, want %q", meta.Kind, meta.APIVersion, apiVersion)
	}
	if err := yaml.UnmarshalStrict(raw, into); err != nil {
		return fmt.Errorf("%s: %w", meta.Kind, err)
	}
	return nil
}

func replicas(r *int32) int {
	if r == nil {
		return 1
	}
	return int(*r)
}

// jobPods is how many pods of a Job run at once: parallelism (default 1), never more than completions.
func jobPods(spec batchv1.JobSpec) int {
	n := replicas(spec.Parallelism)
	if spec.Completions != nil && int(*spec.Completions) < n {
		n = int(*spec.Completions)
	}
	return n
}

func (w *Workload) addReplicas(kind string, meta metav1.ObjectMeta, tmpl corev1.PodTemplateSpec, n int) error {
	ref := ref(kind, meta)
	if meta.Name == "" {
		return fmt.Errorf("%s: metadata.name is required", kind)
	}
	if n < 0 {
		return fmt.Errorf("%s: negative replica count %d", ref, n)
	}
	spec, notes, err := Normalize(ref, tmpl.Spec)
	if err != nil {
		return err
	}
	w.Notes = append(w.Notes, notes...)
	for i := range n {
		name := fmt.Sprintf("%s-%d", meta.Name, i)
		w.Pods = append(w.Pods, &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{
				Name:            name,
				Namespace:       namespace(meta),
				Labels:          tmpl.Labels,
				OwnerReferences: []metav1.OwnerReference{ControllerRef(kind, meta.Name)},
			},
			Spec:   *spec.DeepCopy(),
			Status: corev1.PodStatus{Phase: corev1.PodPending},
		})
	}
	return nil
}

func (w *Workload) addDaemonSet(d *appsv1.DaemonSet) error {
	ref := ref("DaemonSet", d.ObjectMeta)
	if d.Name == "" {
		return errors.New("DaemonSet: metadata.name is required")
	}
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
	w.DaemonSetPods = append(w.DaemonSetPods, pod)
	return nil
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
// it; the estimate uses it to say which workload each node runs.
func ControllerRef(kind, name string) metav1.OwnerReference {
	apiVersion := "apps/v1"
	if kind == "Job" {
		apiVersion = "batch/v1"
	}
	return metav1.OwnerReference{APIVersion: apiVersion, Kind: kind, Name: name, Controller: new(true)}
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
	for k, v := range spec.NodeSelector {
		if !slices.Contains(NodeKeys, k) {
			notes = append(notes, fmt.Sprintf("%s: nodeSelector %s=%s ignored; only %v are estimated", ref, k, v, NodeKeys))
			continue
		}
		if out.NodeSelector == nil {
			out.NodeSelector = map[string]string{}
		}
		out.NodeSelector[k] = v
	}
	if a := spec.Affinity; a != nil {
		out.Affinity = &corev1.Affinity{PodAffinity: a.PodAffinity, PodAntiAffinity: a.PodAntiAffinity}
		if na := a.NodeAffinity; na != nil {
			var dropped []string
			out.Affinity.NodeAffinity = nodeAffinity(na, &dropped)
			for _, k := range dropped {
				notes = append(notes, fmt.Sprintf("%s: node affinity on %s ignored; only %v are estimated", ref, k, NodeKeys))
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

// nodeAffinity keeps the terms' expressions on NodeKeys and appends the keys it dropped to dropped. A required term
// left empty is removed: an empty term would match no node, while the original term matched some.
func nodeAffinity(na *corev1.NodeAffinity, dropped *[]string) *corev1.NodeAffinity {
	keep := func(exprs []corev1.NodeSelectorRequirement) []corev1.NodeSelectorRequirement {
		var kept []corev1.NodeSelectorRequirement
		for _, e := range exprs {
			if slices.Contains(NodeKeys, e.Key) {
				kept = append(kept, e)
			} else if !slices.Contains(*dropped, e.Key) {
				*dropped = append(*dropped, e.Key)
			}
		}
		return kept
	}
	out := &corev1.NodeAffinity{}
	if req := na.RequiredDuringSchedulingIgnoredDuringExecution; req != nil {
		var terms []corev1.NodeSelectorTerm
		for _, t := range req.NodeSelectorTerms {
			if exprs := keep(t.MatchExpressions); len(exprs) > 0 {
				terms = append(terms, corev1.NodeSelectorTerm{MatchExpressions: exprs})
			}
			for _, f := range t.MatchFields {
				if !slices.Contains(*dropped, f.Key) {
					*dropped = append(*dropped, f.Key)
				}
			}
		}
		if len(terms) > 0 {
			out.RequiredDuringSchedulingIgnoredDuringExecution = &corev1.NodeSelector{NodeSelectorTerms: terms}
		}
	}
	for _, p := range na.PreferredDuringSchedulingIgnoredDuringExecution {
		if exprs := keep(p.Preference.MatchExpressions); len(exprs) > 0 {
			out.PreferredDuringSchedulingIgnoredDuringExecution = append(out.PreferredDuringSchedulingIgnoredDuringExecution,
				corev1.PreferredSchedulingTerm{Weight: p.Weight, Preference: corev1.NodeSelectorTerm{MatchExpressions: exprs}})
		}
	}
	if out.RequiredDuringSchedulingIgnoredDuringExecution == nil && out.PreferredDuringSchedulingIgnoredDuringExecution == nil {
		return nil
	}
	return out
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
