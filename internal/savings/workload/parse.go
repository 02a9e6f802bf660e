package workload

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	k8syaml "k8s.io/apimachinery/pkg/util/yaml"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// ReadFiles parses every file and merges the results. Owners, HorizontalPodAutoscalers and their targets are matched
// across all the files, as kubectl apply -f would put them in one cluster.
func ReadFiles(paths ...string) (*Workload, error) {
	var objs []object
	var notes []string
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return nil, fmt.Errorf("workload: %w", err)
		}
		part, partNotes, err := read(f, p)
		closeErr := f.Close()
		if err != nil {
			return nil, err
		}
		if closeErr != nil {
			return nil, fmt.Errorf("workload: close %s: %w", p, closeErr)
		}
		objs, notes = append(objs, part...), append(notes, partNotes...)
	}
	return build(objs, notes)
}

// Parse reads multi-document YAML (or JSON) from r as kubectl does; source names r in errors and notes.
//
// Empty and comment-only documents are skipped, and a List's items are read as documents (kubectl get -o yaml).
// Deployments, StatefulSets, ReplicaSets, ReplicationControllers, Jobs, CronJobs, DaemonSets and bare Pods place
// pods, as does any other kind with spec.template and spec.replicas (Argo Rollouts, OpenKruise CloneSets);
// HorizontalPodAutoscalers set their target's replica count; PodDisruptionBudgets are kept. An object whose
// controller is in the input is counted through that controller only. Every other object is listed in Ignored with
// the reason. An object the reader decodes that does not decode strictly is an error naming the document.
func Parse(r io.Reader, source string) (*Workload, error) {
	objs, notes, err := read(r, source)
	if err != nil {
		return nil, err
	}
	return build(objs, notes)
}

// served are the apiVersions of the kinds the reader decodes that a current API server (Kubernetes 1.29 and later)
// serves. The typed decode reads these versions' schemas; an older version (extensions/v1beta1, apps/v1beta2,
// batch/v1beta1, policy/v1beta1, autoscaling/v2beta2...) is refused by the API server too, so it is an error rather
// than a guess.
var served = map[string][]string{
	"Pod":                     {"v1"},
	"ReplicationController":   {"v1"},
	"Deployment":              {"apps/v1"},
	"StatefulSet":             {"apps/v1"},
	"DaemonSet":               {"apps/v1"},
	"ReplicaSet":              {"apps/v1"},
	"Job":                     {"batch/v1"},
	"CronJob":                 {"batch/v1"},
	"PodDisruptionBudget":     {"policy/v1"},
	"HorizontalPodAutoscaler": {"autoscaling/v2", "autoscaling/v1"},
}

// apiVersionOf is the apiVersion a controller reference to kind carries; "" for kinds outside served.
func apiVersionOf(kind string) string {
	if v := served[kind]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// object is one document, or one item of a List, as JSON.
type object struct {
	where string // source, document and List item, for errors
	typ   metav1.TypeMeta
	raw   []byte
}

// read splits r into objects, skipping empty and comment-only documents and unfolding Lists, and notes what it read
// leniently.
func read(r io.Reader, source string) (objs []object, notes []string, err error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, nil, fmt.Errorf("workload: %s: %w", source, err)
	}
	docs, err := jsonStream(data)
	if err != nil {
		return nil, nil, fmt.Errorf("workload: %s: %w", source, err)
	}
	if docs == nil {
		reader := k8syaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
		for {
			raw, err := reader.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, nil, fmt.Errorf("workload: %s: document %d: %w", source, len(docs)+1, err)
			}
			docs = append(docs, raw)
		}
	}
	for i, raw := range docs {
		where := fmt.Sprintf("%s: document %d", source, i+1)
		j, err := yaml.YAMLToJSONStrict(raw)
		if err != nil {
			// A duplicated key: kubectl's own decoding keeps the last value, and published manifests have them
			// (the retail store's ConfigMaps), so the document is read that way, with a note.
			var lenientErr error
			if j, lenientErr = yaml.YAMLToJSON(raw); lenientErr != nil {
				return nil, nil, fmt.Errorf("workload: %s: not YAML: %w", where, lenientErr)
			}
			notes = append(notes, fmt.Sprintf("%s: %s; the last value of each is read, as kubectl does", where, strings.Join(strings.Fields(err.Error()), " ")))
		}
		if t := bytes.TrimSpace(j); len(t) == 0 || string(t) == "null" {
			continue // empty, or only comments (a license header, helm template's "# Source:" of an empty file)
		}
		if objs, err = appendObject(objs, where, j); err != nil {
			return nil, nil, fmt.Errorf("workload: %w", err)
		}
	}
	return objs, notes, nil
}

// jsonStream splits data into its objects when it is a stream of JSON objects ({...}{...}, as jq '.items[]'
// prints them), which kubectl reads one document each (k8s.io/apimachinery's YAMLOrJSONDecoder); the YAML reader
// would read the first object only, without a word. It returns nil when data is not such a stream, for the YAML
// reader: YAML, or one JSON object followed by YAML documents, which kubectl reads as YAML too. After two JSON
// objects or more, what does not decode is an error, as it is for kubectl.
func jsonStream(data []byte) ([][]byte, error) {
	t := bytes.TrimLeft(data, " \t\r\n")
	if len(t) == 0 || t[0] != '{' {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(t))
	var docs [][]byte
	for {
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			if len(docs) > 1 {
				return nil, fmt.Errorf("document %d: not JSON after %d JSON objects (allowed: a stream of JSON objects, or YAML documents separated by ---): %w",
					len(docs)+1, len(docs), err)
			}
			return nil, nil
		}
		docs = append(docs, raw)
	}
}

// appendObject appends the object j, or the items of a list, to objs. A list is what kubectl's decoder takes for one
// (k8s.io/apimachinery unstructured, decodeToList): any object with an items field, kind List (kubectl get -o yaml)
// or a typed list such as PodList (the API server's own answer, kubectl get --raw), whose items carry no kind and
// apiVersion of their own and are given the list's.
func appendObject(objs []object, where string, j []byte) ([]object, error) {
	var typ metav1.TypeMeta
	if err := json.Unmarshal(j, &typ); err != nil {
		return nil, fmt.Errorf("%s: not a Kubernetes object: %w", where, err)
	}
	var list struct {
		Items json.RawMessage `json:"items"`
	}
	if err := json.Unmarshal(j, &list); err != nil {
		return nil, fmt.Errorf("%s: not a Kubernetes object: %w", where, err)
	}
	if list.Items == nil {
		if typ.Kind == "" {
			return nil, fmt.Errorf("%s: not a Kubernetes object: no kind", where)
		}
		return append(objs, object{where: where, typ: typ, raw: j}), nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(list.Items, &items); err != nil {
		return nil, fmt.Errorf("%s: kind %s: items: %w (allowed: a list of objects)", where, typ.Kind, err)
	}
	listKind := cmp.Or(typ.Kind, "List")
	for i, item := range items {
		itemWhere := fmt.Sprintf("%s, item %d of the %s", where, i+1, listKind)
		item, err := withListType(item, typ)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", itemWhere, err)
		}
		if objs, err = appendObject(objs, itemWhere, item); err != nil {
			return nil, err
		}
	}
	return objs, nil
}

// withListType gives an item without kind and apiVersion those of its typed list (PodList's items are Pods), as
// kubectl does.
func withListType(item []byte, list metav1.TypeMeta) ([]byte, error) {
	itemKind, ok := strings.CutSuffix(list.Kind, "List")
	if !ok || itemKind == "" {
		return item, nil
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(item, &fields); err != nil {
		return nil, fmt.Errorf("not a Kubernetes object: %w", err)
	}
	if fields["kind"] != nil || fields["apiVersion"] != nil {
		return item, nil
	}
	var err error
	if fields["kind"], err = json.Marshal(itemKind); err != nil {
		return nil, err
	}
	if fields["apiVersion"], err = json.Marshal(list.APIVersion); err != nil {
		return nil, err
	}
	return json.Marshal(fields)
}

// role is what an object does for the estimate.
type role int

const (
	roleNone         role = iota // places no pod
	roleReplicas                 // count pods of a template
	roleDaemonSet                // one pod on every node
	roleBarePod                  // itself
	roleAutoscaler               // sets its target's count
	roleBudget                   // a PodDisruptionBudget
	roleDaemonSetPod             // a pod that stands for its DaemonSet, which is not in the input
)

// key names an object in the input.
type key struct{ kind, namespace, name string }

func (k key) String() string {
	if k.namespace == "" {
		return k.kind + " " + k.name
	}
	return k.kind + " " + k.namespace + "/" + k.name
}

// entry is a decoded object.
type entry struct {
	obj  object
	key  key
	meta metav1.ObjectMeta
	role role

	tmpl      corev1.PodTemplateSpec
	count     int  // pods of tmpl
	scalable  bool // count is spec.replicas, which a HorizontalPodAutoscaler may set
	specCount int  // count as spec.replicas says, before an autoscaler
	notes     []string
	// readNotes say what was read leniently of the object, whatever its role.
	readNotes []string

	ds     *appsv1.DaemonSet
	pod    *corev1.Pod
	pdb    *policyv1.PodDisruptionBudget
	target key // of an autoscaler
	// daemonSet is the DaemonSet, not in the input, that a pod stands for (roleDaemonSetPod).
	daemonSet key
	// templateFrom is the workload whose template a custom kind runs (an Argo Rollout's spec.workloadRef).
	templateFrom key
	hpa          autoscaler
	why          string // why the object is ignored; set for roleNone and for objects counted elsewhere
}

// autoscaler is what the reader takes from a HorizontalPodAutoscaler of any served version.
type autoscaler struct {
	minReplicas, maxReplicas int
	currentReplicas          *int32
}

func build(objs []object, readNotes []string) (*Workload, error) {
	entries := make([]*entry, 0, len(objs))
	byKey := map[key]*entry{}
	for _, o := range objs {
		e, err := decodeEntry(o)
		if err != nil {
			return nil, fmt.Errorf("workload: %s: %w", o.where, err)
		}
		if prev, ok := byKey[e.key]; ok && e.role != roleNone {
			return nil, fmt.Errorf("workload: %s: %s is already at %s; kubectl apply would keep only the last", o.where, e.key, prev.obj.where)
		}
		byKey[e.key] = e
		entries = append(entries, e)
	}
	for _, e := range entries {
		if e.templateFrom == (key{}) {
			continue
		}
		src, ok := byKey[e.templateFrom]
		if !ok || src.role != roleReplicas {
			e.role, e.why = roleNone, fmt.Sprintf("its spec.workloadRef %s is not a workload of the input", e.templateFrom)
			continue
		}
		e.tmpl = src.tmpl
		e.notes = append(e.notes, fmt.Sprintf("%s (%s) runs spec.replicas pods of the template of %s (spec.workloadRef)", e.key, e.obj.typ.APIVersion, src.key))
	}
	if err := scale(entries, byKey); err != nil {
		return nil, err
	}
	for _, e := range entries {
		if e.role == roleReplicas || e.role == roleBarePod || e.role == roleDaemonSet {
			if why := countedBy(e, byKey); why != "" {
				e.why = why
			}
			if hook, ok := e.meta.Annotations[helmHookAnnotation]; ok && e.why == "" {
				e.why = fmt.Sprintf("a Helm hook (%s: %s): Helm runs it at helm test or around an install, upgrade, rollback or delete, "+
					"not as part of the release's steady state (helm template prints hooks unless --skip-tests and --no-hooks)", helmHookAnnotation, hook)
			}
		}
	}
	podsOf := daemonSetsOfPods(entries)
	w := &Workload{Notes: readNotes}
	for _, e := range entries {
		w.Notes = append(w.Notes, e.readNotes...)
		if e.why != "" {
			w.Ignored = append(w.Ignored, Ignored{Kind: e.key.kind, Namespace: e.meta.Namespace, Name: e.key.name, Why: e.why})
			continue
		}
		var err error
		switch e.role {
		case roleReplicas:
			w.Notes = append(w.Notes, e.notes...)
			err = w.addReplicas(e)
		case roleDaemonSet:
			err = w.addDaemonSet(e.ds)
		case roleBarePod:
			err = w.addPod(e)
		case roleDaemonSetPod:
			err = w.addDaemonSetOfPod(e, podsOf[e.daemonSet])
		case roleBudget:
			w.PodDisruptionBudgets = append(w.PodDisruptionBudgets, e.pdb)
		}
		if err != nil {
			return nil, fmt.Errorf("workload: %s: %w", e.obj.where, err)
		}
	}
	w.Notes = once(w.Notes)
	return w, nil
}

// once keeps the first of equal notes: the pods of a workload whose controller is not in the input each note the
// same things of it.
func once(notes []string) []string {
	seen := map[string]bool{}
	out := notes[:0]
	for _, n := range notes {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}

// decodeEntry decodes o by its kind.
func decodeEntry(o object) (*entry, error) {
	var partial metav1.PartialObjectMetadata
	if err := json.Unmarshal(o.raw, &partial); err != nil {
		return nil, fmt.Errorf("%s: metadata: %w", o.typ.Kind, err)
	}
	e := &entry{obj: o, meta: partial.ObjectMeta}
	e.key = key{kind: o.typ.Kind, namespace: partial.Namespace, name: partial.Name}
	gv, err := schema.ParseGroupVersion(o.typ.APIVersion)
	if err != nil {
		return nil, fmt.Errorf("%s: apiVersion %q: %w", e.key, o.typ.APIVersion, err)
	}
	versions, known := served[o.typ.Kind]
	if known {
		servedGV, _ := schema.ParseGroupVersion(versions[0])
		// extensions/v1beta1 held Deployments, DaemonSets and ReplicaSets until Kubernetes 1.16.
		extensions := gv.Group == "extensions" && servedGV.Group == appsv1.GroupName && o.typ.Kind != "StatefulSet"
		known = gv.Group == servedGV.Group || extensions
	}
	if known {
		e.key.namespace = namespace(partial.ObjectMeta)
	}
	if known && !slices.Contains(versions, o.typ.APIVersion) {
		return nil, fmt.Errorf("%s: apiVersion %q is not served by current Kubernetes; allowed: %s", e.key, o.typ.APIVersion, strings.Join(versions, ", "))
	}
	if !known {
		return e, decodeOther(e)
	}
	if partial.Name == "" {
		return nil, nameRequired(o.typ.Kind, partial.ObjectMeta)
	}
	if err := decodeKnown(e); err != nil {
		return nil, fmt.Errorf("%s: %w", e.key, withSchema(err, o.typ.APIVersion, o.typ.Kind, ""))
	}
	return e, nil
}

func decodeKnown(e *entry) error {
	switch e.key.kind {
	case "Deployment":
		var d appsv1.Deployment
		if err := e.strict(&d); err != nil {
			return err
		}
		return e.replicated(d.Spec.Template, d.Spec.Replicas)
	case "StatefulSet":
		var s appsv1.StatefulSet
		if err := e.strict(&s); err != nil {
			return err
		}
		return e.replicated(s.Spec.Template, s.Spec.Replicas)
	case "ReplicaSet":
		var s appsv1.ReplicaSet
		if err := e.strict(&s); err != nil {
			return err
		}
		return e.replicated(s.Spec.Template, s.Spec.Replicas)
	case "ReplicationController":
		var c corev1.ReplicationController
		if err := e.strict(&c); err != nil {
			return err
		}
		if c.Spec.Template == nil {
			return errors.New("spec.template is required")
		}
		return e.replicated(*c.Spec.Template, c.Spec.Replicas)
	case "Job":
		var j batchv1.Job
		if err := e.strict(&j); err != nil {
			return err
		}
		var status batchv1.JobStatus
		if err := e.status(&status); err != nil {
			return err
		}
		for _, c := range status.Conditions {
			if (c.Type == batchv1.JobComplete || c.Type == batchv1.JobFailed) && c.Status == corev1.ConditionTrue {
				e.why = fmt.Sprintf("finished (status condition %s): runs no pods", c.Type)
			}
		}
		if err := e.job(j.Spec, ""); err != nil {
			return err
		}
		e.progress(j.Spec, status)
		return nil
	case "CronJob":
		var c batchv1.CronJob
		if err := e.strict(&c); err != nil {
			return err
		}
		note := fmt.Sprintf("%s runs on schedule %q: its job's pods are counted as if a run were always going on", e.key, c.Spec.Schedule)
		if c.Spec.Suspend != nil && *c.Spec.Suspend {
			note = fmt.Sprintf("%s is suspended (spec.suspend): it starts no jobs, so none of its pods are counted", e.key)
		}
		if err := e.job(c.Spec.JobTemplate.Spec, note); err != nil {
			return err
		}
		if c.Spec.Suspend != nil && *c.Spec.Suspend {
			e.count = 0
		}
		return nil
	case "DaemonSet":
		var d appsv1.DaemonSet
		if err := e.strict(&d); err != nil {
			return err
		}
		e.role, e.ds = roleDaemonSet, &d
		return nil
	case "Pod":
		var p corev1.Pod
		if err := e.strict(&p); err != nil {
			return err
		}
		if err := e.status(&p.Status); err != nil {
			return err
		}
		e.role, e.pod = roleBarePod, &p
		if p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
			e.why = fmt.Sprintf("phase %s: holds no resources", p.Status.Phase)
		}
		// Karpenter reschedules a terminating pod only when a StatefulSet owns it, which makes its replacement under
		// the same name once it is gone (sigs.k8s.io/karpenter pkg/utils/pod, IsReschedulable); any other
		// controller has made its replacement already, a pod of its own in the same export. Only a live pod is
		// terminating: the API server clears a manifest's deletionTimestamp on create.
		if p.DeletionTimestamp != nil && p.ResourceVersion != "" && !ownedBy(p.OwnerReferences, "StatefulSet") {
			e.why = fmt.Sprintf("terminating since %s (metadata.deletionTimestamp): on its way out; a replacement its controller makes is a pod of its own",
				p.DeletionTimestamp.UTC().Format(time.RFC3339))
		}
		return nil
	case "PodDisruptionBudget":
		var b policyv1.PodDisruptionBudget
		if err := e.strict(&b); err != nil {
			return err
		}
		// Its pods are in "default" when their manifests name no namespace, and so is the budget.
		b.Namespace = e.key.namespace
		if _, err := BudgetSelector(&b); err != nil {
			return err
		}
		e.role, e.pdb = roleBudget, &b
		return nil
	case "HorizontalPodAutoscaler":
		return e.autoscaler()
	}
	return fmt.Errorf("kind %s has no decoder", e.key.kind)
}

// ownedBy says whether one of refs is of kind.
func ownedBy(refs []metav1.OwnerReference, kind string) bool {
	return slices.ContainsFunc(refs, func(r metav1.OwnerReference) bool { return r.Kind == kind })
}

// nameRequired is the error for an object of kind without a name: kubectl apply, whose cluster the estimate
// models, refuses it; kubectl create would make a name of metadata.generateName and a random suffix, once per run.
func nameRequired(kind string, meta metav1.ObjectMeta) error {
	if meta.GenerateName != "" {
		return fmt.Errorf("%s: metadata.name is required (metadata.generateName %q names an object only for kubectl create, "+
			"a new one on each run; kubectl apply refuses it)", kind, meta.GenerateName)
	}
	return fmt.Errorf("%s: metadata.name is required", kind)
}

// strict decodes e's object as strict does, except that a live object may hold fields the reader's schema lacks
// (see unlessLive).
func (e *entry) strict(into any) error {
	return e.unlessLive(strict(e.obj.raw, into), "")
}

// unlessLive returns err, except for unknown fields of a live object (one an API server wrote: kubectl get -o yaml
// gives it metadata.resourceVersion): that server accepted them, from a Kubernetes newer than the reader's
// k8s.io/api, so they are left unread with a note, rather than an error no edit of the user's could avoid. path
// names the part of the object err is about.
func (e *entry) unlessLive(err error, path string) error {
	var fe fieldsError
	if !errors.As(err, &fe) || e.meta.ResourceVersion == "" {
		return err
	}
	e.readNotes = append(e.readNotes, fmt.Sprintf("%s: %s: %s%v; left unread: the object is live (metadata.resourceVersion %s), so the API server "+
		"that wrote it accepted them, from a Kubernetes newer than the reader's schema", e.obj.where, e.key, path, fe.error, e.meta.ResourceVersion))
	return nil
}

// strict decodes the object as the API server does: field names are case-sensitive, and an unknown or duplicated
// field is an error. status is left out: a live object's status is written by the cluster, not by the user, and may
// hold fields newer than this reader.
func strict(raw []byte, into any) error {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return err
	}
	delete(fields, "status")
	b, err := json.Marshal(fields)
	if err != nil {
		return err
	}
	return strictJSON(b, into)
}

// strictJSON is strict without leaving out status.
func strictJSON(b []byte, into any) error {
	strictErrs, err := kjson.UnmarshalStrict(b, into)
	if errors.Is(err, resource.ErrFormatWrong) {
		return quantityError(b, err)
	}
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		return typeError(b, typeErr)
	}
	if err != nil {
		return err
	}
	if len(strictErrs) > 0 {
		return fieldsError{errors.Join(strictErrs...)}
	}
	return nil
}

// fieldsError is an unknown or duplicated field, which the caller completes with the schema that allows the others.
type fieldsError struct{ error }

func (e fieldsError) Unwrap() error { return e.error }

// withSchema names the schema whose fields err's object may use, when err is a fieldsError.
func withSchema(err error, apiVersion, kind, path string) error {
	var fe fieldsError
	if !errors.As(err, &fe) {
		return err
	}
	return fmt.Errorf("%w (allowed: the fields that kubectl explain %s%s --api-version=%s --recursive lists)",
		err, strings.ToLower(kind), path, apiVersion)
}

// status reads what it can of a live object's status into status (see lenientStatus). A manifest's status is left
// out, with a note when it says anything: the API server resets the status of an object it creates (each kind's
// PrepareForCreate) and kubectl apply never writes one, so it is not what a cluster would show. An autoscaling/v1
// HorizontalPodAutoscaler printed by kubectl autoscale --dry-run=client -o yaml (kubectl 1.35 writes autoscaling/v2,
// and v1 where the server lacks v2; older releases wrote v1) carries a status of currentReplicas 0, as v1 has no
// omitempty: read as what runs, it would leave the target without a pod.
func (e *entry) status(status any) error {
	if e.meta.ResourceVersion != "" {
		return lenientStatus(e.obj.raw, status)
	}
	var obj struct {
		Status map[string]json.RawMessage `json:"status"`
	}
	if json.Unmarshal(e.obj.raw, &obj) == nil && len(obj.Status) > 0 {
		e.readNotes = append(e.readNotes, fmt.Sprintf("%s: %s: status left unread: the object has no metadata.resourceVersion, so it is a manifest, "+
			"not a live object, and the API server resets a created object's status", e.obj.where, e.key))
	}
	return nil
}

// lenientStatus reads what it can of the object's status into status.
func lenientStatus(raw []byte, status any) error {
	var obj struct {
		Status json.RawMessage `json:"status"`
	}
	if err := json.Unmarshal(raw, &obj); err != nil || len(obj.Status) == 0 {
		return err
	}
	if err := json.Unmarshal(obj.Status, status); err != nil {
		return fmt.Errorf("status: %w", err)
	}
	return nil
}

func (e *entry) replicated(tmpl corev1.PodTemplateSpec, replicas *int32) error {
	n := 1
	if replicas != nil {
		n = int(*replicas)
	}
	if n < 0 {
		return fmt.Errorf("spec.replicas %d: want 0 or more", n)
	}
	e.role, e.tmpl, e.count, e.specCount, e.scalable = roleReplicas, tmpl, n, n, true
	return nil
}

// job counts the pods of a Job that run at once: parallelism (default 1), never more than completions.
func (e *entry) job(spec batchv1.JobSpec, note string) error {
	n := 1
	if spec.Parallelism != nil {
		n = int(*spec.Parallelism)
	}
	if n < 0 {
		return fmt.Errorf("parallelism %d: want 0 or more", n)
	}
	if spec.Completions != nil && int(*spec.Completions) < n {
		n = int(*spec.Completions)
	}
	if spec.Suspend != nil && *spec.Suspend {
		note = fmt.Sprintf("%s is suspended (spec.suspend): none of its pods are counted", e.key)
		n = 0
	}
	e.role, e.tmpl, e.count = roleReplicas, spec.Template, n
	if note != "" {
		e.notes = append(e.notes, note)
	}
	return nil
}

// progress lowers a live Job's count to the pods its controller still runs once some have succeeded
// (k8s.io/kubernetes pkg/controller/job, manageJob): no more than the completions left; without completions, no new
// pod once one has succeeded, so what runs is status.active.
func (e *entry) progress(spec batchv1.JobSpec, status batchv1.JobStatus) {
	if status.Succeeded <= 0 || e.count == 0 || e.why != "" {
		return
	}
	if spec.Completions != nil {
		if left := max(int(*spec.Completions)-int(status.Succeeded), 0); left < e.count {
			e.notes = append(e.notes, fmt.Sprintf("%s: %d pods, the completions (%d) its status.succeeded (%d) leaves; parallelism %d",
				e.key, left, *spec.Completions, status.Succeeded, e.count))
			e.count = left
		}
		return
	}
	if active := int(status.Active); active < e.count {
		e.notes = append(e.notes, fmt.Sprintf("%s: %d pods, its status.active: a Job without completions starts no pod once one has succeeded (status.succeeded %d); parallelism %d",
			e.key, active, status.Succeeded, e.count))
		e.count = active
	}
}

func (e *entry) autoscaler() error {
	var target autoscalingv2.CrossVersionObjectReference
	switch e.obj.typ.APIVersion {
	case "autoscaling/v2":
		var h autoscalingv2.HorizontalPodAutoscaler
		if err := e.strict(&h); err != nil {
			return err
		}
		target, e.hpa = h.Spec.ScaleTargetRef, autoscaler{minReplicas: replicasOr1(h.Spec.MinReplicas), maxReplicas: int(h.Spec.MaxReplicas)}
	default:
		var h autoscalingv1.HorizontalPodAutoscaler
		if err := e.strict(&h); err != nil {
			return err
		}
		r := h.Spec.ScaleTargetRef
		target = autoscalingv2.CrossVersionObjectReference{APIVersion: r.APIVersion, Kind: r.Kind, Name: r.Name}
		e.hpa = autoscaler{minReplicas: replicasOr1(h.Spec.MinReplicas), maxReplicas: int(h.Spec.MaxReplicas)}
	}
	if target.Kind == "" || target.Name == "" {
		return fmt.Errorf("spec.scaleTargetRef %s/%s: kind and name are required", target.Kind, target.Name)
	}
	// Both versions spell status.currentReplicas alike; a pointer tells a missing field from a target scaled to 0.
	var status struct {
		CurrentReplicas *int32 `json:"currentReplicas"`
	}
	if err := e.status(&status); err != nil {
		return err
	}
	e.hpa.currentReplicas = status.CurrentReplicas
	e.role, e.target = roleAutoscaler, key{kind: target.Kind, namespace: e.key.namespace, name: target.Name}
	return nil
}

func replicasOr1(r *int32) int {
	if r == nil {
		return 1
	}
	return int(*r)
}

// decodeOther reads a kind the reader has no type for: with spec.template and spec.replicas it is a replicated
// workload (Argo Rollouts, OpenKruise CloneSets, OpenShift DeploymentConfigs), else it places no pod.
func decodeOther(e *entry) error {
	e.key.namespace = e.meta.Namespace
	var shape struct {
		Spec struct {
			Replicas    *int32          `json:"replicas"`
			Template    json.RawMessage `json:"template"`
			WorkloadRef *struct {
				Kind string `json:"kind"`
				Name string `json:"name"`
			} `json:"workloadRef"`
		} `json:"spec"`
	}
	// The spec of a kind the reader does not know may be anything; only the two fields are read.
	if err := json.Unmarshal(e.obj.raw, &shape); err != nil {
		shape.Spec.Template = nil
	}
	hasTemplate := len(shape.Spec.Template) > 0 && string(shape.Spec.Template) != "null"
	switch {
	case hasTemplate && shape.Spec.Replicas != nil:
	case shape.Spec.WorkloadRef != nil && shape.Spec.Replicas != nil && e.meta.Name != "":
		// An Argo Rollout may take its pod template from a Deployment (spec.workloadRef) it scales to zero.
		e.key.namespace = namespace(e.meta)
		if err := e.replicated(corev1.PodTemplateSpec{}, shape.Spec.Replicas); err != nil {
			return fmt.Errorf("%s: %w", e.key, err)
		}
		e.templateFrom = key{kind: shape.Spec.WorkloadRef.Kind, namespace: e.key.namespace, name: shape.Spec.WorkloadRef.Name}
		return nil
	case hasTemplate:
		e.why = "has spec.template but no spec.replicas, so the reader cannot tell how many pods it makes"
		return nil
	case builtIn(e.obj.typ.APIVersion):
		e.why = "places no pod"
		return nil
	default:
		e.why = "a custom resource without spec.template and spec.replicas: pods an operator makes from it are not counted"
		return nil
	}
	if e.meta.Name == "" {
		return nameRequired(e.key.kind, e.meta)
	}
	e.key.namespace = namespace(e.meta)
	var tmpl corev1.PodTemplateSpec
	if err := e.unlessLive(strictJSON(shape.Spec.Template, &tmpl), "spec.template: "); err != nil {
		return fmt.Errorf("%s: spec.template: %w", e.key, withSchema(err, "v1", "PodTemplate", ".template"))
	}
	if err := e.replicated(tmpl, shape.Spec.Replicas); err != nil {
		return fmt.Errorf("%s: %w", e.key, err)
	}
	e.notes = append(e.notes, fmt.Sprintf("%s (%s) is read as a replicated workload: spec.replicas pods of spec.template", e.key, e.obj.typ.APIVersion))
	return nil
}

// helmHookAnnotation marks a Helm chart's hooks, which helm template prints among the release's objects: a chart's
// test pods (helm create writes one), and pre-install or post-upgrade Jobs such as database migrations.
const helmHookAnnotation = "helm.sh/hook"

// daemonSetsOfPods reads the pods of a DaemonSet that is not in the input (kubectl get pods -A lists a DaemonSet's
// pod on every node) as that DaemonSet once: its first pod stands for it, and the others are ignored, as the pods of
// a DaemonSet of the input are. Counted one by one, they would be as many pods to place as the cluster has nodes. It
// returns how many pods each such DaemonSet has in the input.
func daemonSetsOfPods(entries []*entry) map[key]int {
	first := map[key]*entry{}
	count := map[key]int{}
	for _, e := range entries {
		if e.role != roleBarePod || e.why != "" {
			continue
		}
		c := metav1.GetControllerOf(&e.meta)
		if c == nil || c.Kind != "DaemonSet" {
			continue
		}
		k := key{kind: c.Kind, namespace: e.key.namespace, name: c.Name}
		count[k]++
		if f, ok := first[k]; ok {
			e.why = fmt.Sprintf("a pod of %s, which is not in the input: the DaemonSet is read once, from its pod %s", k, f.key.name)
			continue
		}
		first[k] = e
		e.role, e.daemonSet = roleDaemonSetPod, k
	}
	return count
}

// scale applies every HorizontalPodAutoscaler to its target in the input, or lists it in Ignored.
func scale(entries []*entry, byKey map[key]*entry) error {
	scaledBy := map[key]*entry{}
	for _, h := range entries {
		if h.role != roleAutoscaler {
			continue
		}
		t, ok := byKey[h.target]
		switch {
		case !ok:
			h.why = fmt.Sprintf("its target %s is not in the input", h.target)
			continue
		case !t.scalable:
			h.why = fmt.Sprintf("its target %s has no spec.replicas to scale", h.target)
			continue
		}
		if prev, ok := scaledBy[h.target]; ok {
			return fmt.Errorf("workload: %s: %s and %s (at %s) both scale %s; a cluster's autoscalers would fight over it",
				h.obj.where, h.key, prev.key, prev.obj.where, h.target)
		}
		scaledBy[h.target] = h
		if c := h.hpa.currentReplicas; c != nil {
			t.count = int(*c)
			t.notes = append(t.notes, fmt.Sprintf("%s: %d replicas, the status.currentReplicas of %s (spec.replicas %d, minReplicas %d, maxReplicas %d)",
				t.key, t.count, h.key, t.specCount, h.hpa.minReplicas, h.hpa.maxReplicas))
			continue
		}
		if t.specCount == 0 && h.hpa.minReplicas != 0 {
			// kube-controller-manager's autoscaler leaves a target at spec.replicas 0 alone (pkg/controller/podautoscaler,
			// reconcileAutoscaler: "scaling is disabled since the replica count of the target is zero"). An
			// autoscaling/v2 status omits currentReplicas when it is 0, so a live export reads the same way.
			t.count = 0
			t.notes = append(t.notes, fmt.Sprintf("%s: 0 replicas: its spec.replicas is 0, at which %s does not scale it (ScalingDisabled); minReplicas %d applies once spec.replicas is above 0",
				t.key, h.key, h.hpa.minReplicas))
			continue
		}
		t.count = max(t.specCount, h.hpa.minReplicas)
		t.notes = append(t.notes, fmt.Sprintf("%s: %d replicas, the larger of its spec.replicas (%d) and the minReplicas (%d) of %s, which has no status.currentReplicas; the autoscaler may run up to %d",
			t.key, t.count, t.specCount, h.hpa.minReplicas, h.key, h.hpa.maxReplicas))
	}
	return nil
}

// countedBy says why e's pods are counted by another object of the input, or "" when they are e's to count: its
// controller is in the input and places pods (a Deployment's ReplicaSets, the pods of any workload), or was in it
// under the name a Deployment gives its ReplicaSets or a CronJob its Jobs (kubectl get deploy,pod lists no
// ReplicaSet). A static pod's mirror is counted by nobody: it comes with its node.
func countedBy(e *entry, byKey map[key]*entry) string {
	c := metav1.GetControllerOf(&e.meta)
	if c == nil {
		return ""
	}
	if c.Kind == "Node" {
		return fmt.Sprintf("mirror of a static pod of node %s: static pods come with their node, not from the scheduler", c.Name)
	}
	if o, ok := byKey[key{kind: c.Kind, namespace: e.key.namespace, name: c.Name}]; ok && placesPods(o) {
		return fmt.Sprintf("its controller %s is in the input and counts its pods", o.key)
	}
	if o := impliedOwner(e, *c, byKey); o != nil {
		return fmt.Sprintf("its controller %s %s belongs to %s, which is in the input and counts its pods", c.Kind, c.Name, o.key)
	}
	return ""
}

func placesPods(e *entry) bool {
	return e.role == roleReplicas || e.role == roleDaemonSet
}

// podTemplateHashLabels are the labels by which a Deployment (or an Argo Rollout) names its ReplicaSets
// "<owner>-<hash>".
var podTemplateHashLabels = []string{appsv1.DefaultDeploymentUniqueLabelKey, "rollouts-pod-template-hash"}

// impliedOwner finds the input's workload that owns e's controller c when c itself is not in the input.
func impliedOwner(e *entry, c metav1.OwnerReference, byKey map[key]*entry) *entry {
	var owner string
	switch c.Kind {
	case "ReplicaSet":
		for _, l := range podTemplateHashLabels {
			if hash := e.meta.Labels[l]; hash != "" {
				if name, ok := strings.CutSuffix(c.Name, "-"+hash); ok {
					owner = name
				}
			}
		}
	case "Job":
		// A CronJob names its Jobs "<cronjob>-<scheduled time in minutes>".
		if i := strings.LastIndexByte(c.Name, '-'); i > 0 {
			if _, err := strconv.ParseUint(c.Name[i+1:], 10, 64); err == nil {
				if o, ok := byKey[key{kind: "CronJob", namespace: e.key.namespace, name: c.Name[:i]}]; ok {
					return o
				}
			}
		}
		return nil
	}
	if owner == "" {
		return nil
	}
	for _, kind := range []string{"Deployment", "Rollout"} {
		if o, ok := byKey[key{kind: kind, namespace: e.key.namespace, name: owner}]; ok && placesPods(o) {
			return o
		}
	}
	return nil
}

// typeError names the field, the value and the type allowed of a value of the wrong type: the decoder's own error
// names the Go type ("of type int32") and a string value's type only.
func typeError(b []byte, err *json.UnmarshalTypeError) error {
	value := err.Value
	if value == "string" {
		if s, ok := stringEndingAt(b, int(err.Offset)); ok {
			value = strconv.Quote(s)
		}
	}
	return fmt.Errorf("%s: %s is not allowed (allowed: %s)", err.Field, value, jsonType(err.Type))
}

// stringEndingAt reads the JSON string that ends at offset end of b, where the decoder stops after a string of the
// wrong type.
func stringEndingAt(b []byte, end int) (string, bool) {
	if end < 2 || end > len(b) || b[end-1] != '"' {
		return "", false
	}
	for start := end - 2; start >= 0; start-- {
		if b[start] != '"' {
			continue
		}
		escapes := 0
		for i := start - 1; i >= 0 && b[i] == '\\'; i-- {
			escapes++
		}
		if escapes%2 == 1 {
			continue
		}
		var s string
		if json.Unmarshal(b[start:end], &s) != nil {
			return "", false
		}
		return s, true
	}
	return "", false
}

// jsonType says what JSON a field of Go type t takes.
func jsonType(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "true or false"
	case reflect.String:
		return "a string"
	case reflect.Slice, reflect.Array:
		return "a list"
	default:
		return "an object"
	}
}

// quantityError names the first quantity of raw that does not parse, with its path: the API machinery's own error
// names neither.
func quantityError(raw []byte, err error) error {
	var doc any
	if json.Unmarshal(raw, &doc) != nil {
		return err
	}
	if path, value, ok := badQuantity(doc, ""); ok {
		return fmt.Errorf("%s: %s is not a quantity (allowed: a number with an optional suffix such as 100m, 1.5, 512Mi, 2G): %w", path, value, err)
	}
	return err
}

func badQuantity(v any, path string) (string, string, bool) {
	switch v := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			p := strings.TrimPrefix(path+"."+k, ".")
			if q, ok := v[k].(map[string]any); ok && slices.Contains([]string{"requests", "limits", "overhead"}, k) {
				for _, name := range slices.Sorted(maps.Keys(q)) {
					s := fmt.Sprint(q[name])
					if str, ok := q[name].(string); ok {
						s = str
					}
					if _, err := resource.ParseQuantity(s); err != nil {
						return p + "." + name, strconv.Quote(s), true
					}
				}
				continue
			}
			if p, s, ok := badQuantity(v[k], p); ok {
				return p, s, true
			}
		}
	case []any:
		for i, x := range v {
			if p, s, ok := badQuantity(x, fmt.Sprintf("%s[%d]", path, i)); ok {
				return p, s, true
			}
		}
	}
	return "", "", false
}

// builtIn says whether apiVersion is one of Kubernetes' own groups (core, apps, rbac.authorization.k8s.io...), whose
// kinds other than those the reader decodes place no pod, unlike a custom resource an operator may act on.
func builtIn(apiVersion string) bool {
	gv, err := schema.ParseGroupVersion(apiVersion)
	return err == nil && (!strings.Contains(gv.Group, ".") || strings.HasSuffix(gv.Group, ".k8s.io"))
}
