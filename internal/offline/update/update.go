// Package update plans, from two offline renders of the stack (before and after a configuration change), the steps
// `pulumi up` takes on a deployed stack: which resources are updated in place, which are replaced and in which
// order (create-before-delete or delete-before-create), which dependents a delete-before-replace takes with it, and
// what is deleted. Mocks cannot diff; the rules here are the engine's and the providers' own, each cited by
// version, path and symbol, and a change to a type whose replacement rules are not known is an error, not a guess.
package update

import (
	"cmp"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/karpenter-savings/karpenter-savings/internal/offline/mocks"
)

// Op is what the update does to one resource.
type Op string

// The operations, as `pulumi preview` names them.
const (
	Same    Op = "same"
	Create  Op = "create"
	Update  Op = "update"
	Delete  Op = "delete"
	Replace Op = "replace"
)

// Step is the plan for one resource, by URN.
type Step struct {
	URN string
	Op  Op
	// Keys are the changed inputs (Update) or the changed inputs that force the replacement (Replace).
	Keys []string
	// DeleteBeforeReplace is how a Replace runs: the old resource is deleted before the new one is created.
	DeleteBeforeReplace bool
	// ReplacedBy is, for a resource replaced only because a delete-before-replace of ReplacedBy deletes it first, that
	// resource's URN.
	ReplacedBy string
}

// Event is one action of the update on one resource: its old or its new instance.
type Event struct {
	Action Op // Create, Update or Delete
	URN    string
	// Old marks the instance from before the update (a delete, or the old half of a replacement).
	Old bool
}

func (e Event) String() string {
	state := "new"
	if e.Old {
		state = "old"
	}
	return fmt.Sprintf("%s %s (%s)", e.Action, e.URN, state)
}

// Plan is the update from one render to another.
type Plan struct {
	Steps map[string]Step
	// Events are one order the engine may run the steps in: each resource's step after its dependencies', deletes
	// last in reverse dependency order. The engine runs independent steps in parallel, so only what dependencies and
	// the replace modes order is meaningful: Index compares two events.
	Events []Event
}

// Index returns the position of an event in Events, or -1.
func (p *Plan) Index(action Op, urn string, old bool) int {
	return slices.Index(p.Events, Event{Action: action, URN: urn, Old: old})
}

// Changed returns the steps that are not Same, sorted by URN.
func (p *Plan) Changed() []Step {
	var out []Step
	for _, s := range p.Steps {
		if s.Op != Same {
			out = append(out, s)
		}
	}
	slices.SortFunc(out, func(a, b Step) int { return cmp.Compare(a.URN, b.URN) })
	return out
}

// replaceRules are, by type token, the input paths whose change makes the provider's Diff report a replacement.
// A type missing here whose inputs change makes New fail: add it from the provider's source.
var replaceRules = map[string][]string{
	// pulumi-kubernetes v4.32.0, provider/pkg/provider/helm_release.go, (*helmReleaseProvider).Diff: forceNewFields.
	"kubernetes:helm.sh/v3:Release": {"name", "namespace"},
	// hashicorp/terraform-provider-aws (as bridged by pulumi-aws v6.83.4), internal/service/eks/node_group.go,
	// resourceNodeGroup: the ForceNew arguments.
	"aws:eks/nodeGroup:NodeGroup": {"amiType", "capacityType", "clusterName", "diskSize", "instanceTypes", "launchTemplate",
		"nodeGroupName", "nodeGroupNamePrefix", "nodeRoleArn", "remoteAccess", "subnetIds"},
	// internal/service/eks/pod_identity_association.go, resourcePodIdentityAssociation: RequiresReplace plan modifiers.
	"aws:eks/podIdentityAssociation:PodIdentityAssociation": {"clusterName", "namespace", "serviceAccount"},
}

// kubernetesReplaceRules apply to every Kubernetes object (pulumi-kubernetes v4.32.0, provider/pkg/provider/provider.go,
// (*kubeProvider).Diff: a new name or namespace is a new object; the type token carries group, version and kind).
var kubernetesReplaceRules = []string{"metadata.name", "metadata.namespace"}

// autoNamedBy are, by type token, the input the bridge auto-names. Terraform bridge, pkg/tfbridge/schema.go,
// nameRequiresDeleteBeforeReplace: a replacement of a resource whose auto-nameable input the program set itself is
// delete-before-create, as the new resource cannot take a name the old one still holds (pulumi-aws
// provider/resources.go: aws_eks_node_group's node_group_name is AutoName).
var autoNamedBy = map[string]string{
	"aws:eks/nodeGroup:NodeGroup":         "nodeGroupName",
	"aws:iam/role:Role":                   "name",
	"aws:iam/policy:Policy":               "name",
	"aws:sqs/queue:Queue":                 "name",
	"aws:cloudwatch/eventRule:EventRule":  "name",
	"aws:ec2/securityGroup:SecurityGroup": "name",
}

// New plans the update from before to after. Helm's objects (Emulated) are not Pulumi resources and get no step:
// Helm installs and deletes them with their release.
func New(before, after *mocks.Recording) (*Plan, error) {
	old := index(before)
	cur := index(after)
	p := &Plan{Steps: map[string]Step{}}
	for urn, r := range cur {
		prev, ok := old[urn]
		if !ok {
			p.Steps[urn] = Step{URN: urn, Op: Create}
			continue
		}
		step, err := diff(prev, r)
		if err != nil {
			return nil, err
		}
		p.Steps[urn] = step
	}
	for urn := range old {
		if _, ok := cur[urn]; !ok {
			p.Steps[urn] = Step{URN: urn, Op: Delete}
		}
	}
	p.dependentReplacements(cur)
	p.Events = p.order(before, after)
	return p, nil
}

// index returns the Pulumi resources of a render by URN, Helm's objects and read resources left out.
func index(rec *mocks.Recording) map[string]mocks.Resource {
	out := map[string]mocks.Resource{}
	for _, r := range rec.Resources {
		if !r.Emulated && !r.Read {
			out[r.URN] = r
		}
	}
	return out
}

// diff is the provider's Diff of one resource, and the engine's choice of replace mode (pulumi v3.274.1,
// pkg/resource/deploy/step_generator.go, continueStepsFromDiff: the provider's DeleteBeforeReplace unless the
// deleteBeforeReplace resource option says otherwise; pulumi-kubernetes never asks for it).
func diff(prev, r mocks.Resource) (Step, error) {
	step := Step{URN: r.URN, Op: Same}
	changed := changedKeys(prev.Inputs, r.Inputs)
	if len(changed) == 0 || !r.Custom {
		return step, nil
	}
	rules, known := replaceKeys(r)
	var forcing []string
	for _, path := range rules {
		if !reflect.DeepEqual(at(prev.Inputs, path), at(r.Inputs, path)) {
			forcing = append(forcing, path)
		}
	}
	if len(forcing) == 0 {
		if !known {
			return step, fmt.Errorf("update: %s changes %v, and its type's replace rules are unknown here: add them from the provider's source", r.URN, changed)
		}
		step.Op, step.Keys = Update, changed
		return step, nil
	}
	step.Op, step.Keys = Replace, forcing
	step.DeleteBeforeReplace = r.DeleteBeforeReplace || explicitlyNamed(r)
	return step, nil
}

// replaceKeys returns the input paths whose change replaces r: its provider's rules and its replaceOnChanges option;
// known is false when the provider's rules for its type are not in this package.
func replaceKeys(r mocks.Resource) (paths []string, known bool) {
	rules, known := replaceRules[r.Type]
	if strings.HasPrefix(r.Type, "kubernetes:") && r.Type != "kubernetes:helm.sh/v3:Release" {
		rules, known = kubernetesReplaceRules, true
	}
	return append(slices.Clone(rules), r.ReplaceOnChanges...), known
}

// explicitlyNamed reports whether the program set the input the bridge would auto-name.
func explicitlyNamed(r mocks.Resource) bool {
	key, ok := autoNamedBy[r.Type]
	if !ok {
		return false
	}
	v, set := r.Inputs[key]
	return set && v != nil
}

// changedKeys returns the top-level inputs that differ, sorted.
func changedKeys(a, b map[string]any) []string {
	var out []string
	for k, v := range b {
		if !reflect.DeepEqual(a[k], v) {
			out = append(out, k)
		}
	}
	for k := range a {
		if _, ok := b[k]; !ok {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// at reads a dotted input path; nil when a step is missing.
func at(inputs map[string]any, path string) any {
	var v any = inputs
	for _, key := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[key]
	}
	return v
}

// dependentReplacements marks what a delete-before-replace deletes first (pulumi v3.274.1,
// pkg/resource/deploy/step_generator.go, calculateDependentReplacements): a custom resource whose provider is being
// replaced, or one with an input whose property dependencies include a replaced resource, when that input is one
// its provider replaces on (the engine diffs with such inputs unknown). A dependent through dependsOn alone, a
// child through its parent alone, and a component are not replaced.
func (p *Plan) dependentReplacements(cur map[string]mocks.Resource) {
	urns := make([]string, 0, len(cur))
	for urn := range cur {
		urns = append(urns, urn)
	}
	slices.Sort(urns)
	for changed := true; changed; {
		changed = false
		for _, urn := range urns {
			r := cur[urn]
			if !r.Custom || p.Steps[urn].Op != Same && p.Steps[urn].Op != Update {
				continue
			}
			if by := p.replacedBy(r); by != "" {
				p.Steps[urn] = Step{URN: urn, Op: Replace, DeleteBeforeReplace: true, ReplacedBy: by}
				changed = true
			}
		}
	}
}

// replacedBy returns the delete-before-replace resource that forces r's replacement, or "".
func (p *Plan) replacedBy(r mocks.Resource) string {
	dbr := func(urn string) bool { s := p.Steps[urn]; return s.Op == Replace && s.DeleteBeforeReplace }
	if r.Provider != "" && dbr(r.Provider) {
		return r.Provider
	}
	rules, _ := replaceKeys(r)
	for key, deps := range r.PropertyDependencies {
		for _, dep := range deps {
			if !dbr(dep) {
				continue
			}
			for _, path := range rules {
				if path == key || strings.HasPrefix(path, key+".") {
					return dep
				}
			}
		}
	}
	return ""
}

// order serializes the plan: resources in dependency order of the new render, each with its step (a
// delete-before-replace deletes the dependents it replaces, in reverse dependency order, then the old resource,
// then creates the new one); then the deletes the engine defers to the end of the update (removed resources, and
// the old halves of create-before-delete replacements), in reverse dependency order of the old render.
func (p *Plan) order(before, after *mocks.Recording) []Event {
	var events []Event
	deleted := map[string]bool{}
	oldOrder := topological(before)
	for _, urn := range topological(after) {
		s := p.Steps[urn]
		switch {
		case s.Op == Create:
			events = append(events, Event{Action: Create, URN: urn})
		case s.Op == Update:
			events = append(events, Event{Action: Update, URN: urn})
		case s.Op == Replace && s.DeleteBeforeReplace:
			if !deleted[urn] {
				for _, dep := range slices.Backward(oldOrder) {
					if d := p.Steps[dep]; d.Op == Replace && d.ReplacedBy == urn && !deleted[dep] {
						events = append(events, Event{Action: Delete, URN: dep, Old: true})
						deleted[dep] = true
					}
				}
				events = append(events, Event{Action: Delete, URN: urn, Old: true})
				deleted[urn] = true
			}
			events = append(events, Event{Action: Create, URN: urn})
		case s.Op == Replace:
			events = append(events, Event{Action: Create, URN: urn})
		}
	}
	for _, urn := range slices.Backward(oldOrder) {
		s := p.Steps[urn]
		if s.Op == Delete || s.Op == Replace && !deleted[urn] {
			events = append(events, Event{Action: Delete, URN: urn, Old: true})
		}
	}
	return events
}

// topological returns the Pulumi resources of rec with each after its dependencies, parent and provider (ties by
// URN, so the order is reproducible).
func topological(rec *mocks.Recording) []string {
	res := index(rec)
	urns := make([]string, 0, len(res))
	for urn := range res {
		urns = append(urns, urn)
	}
	slices.Sort(urns)
	var out []string
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(string)
	visit = func(urn string) {
		r, ok := res[urn]
		if !ok || state[urn] != 0 {
			return
		}
		state[urn] = 1
		deps := slices.Clone(r.Dependencies)
		deps = append(deps, r.Parent, r.Provider)
		slices.Sort(deps)
		for _, d := range deps {
			visit(d)
		}
		state[urn] = 2
		out = append(out, urn)
	}
	for _, urn := range urns {
		visit(urn)
	}
	return out
}
