package policy

import (
	"strings"

	"github.com/distribution/reference"
	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/clients"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/karpenter-savings/karpenter-savings/internal/offline/mocks"
	"github.com/karpenter-savings/karpenter-savings/internal/program/podspec"
)

// container is one container of a Kubernetes workload in the render.
type container struct {
	owner mocks.Resource
	name  string
	spec  map[string]any
}

// containers lists every container and init container of every Kubernetes workload object in rec: those the
// program declares, those yaml/v2 registers, and those a Helm release installs (cmd/render --deep).
func containers(rec *mocks.Recording) []container {
	var out []container
	for _, r := range rec.Resources {
		if !strings.HasPrefix(r.Type, "kubernetes:") || !r.Custom {
			continue
		}
		path, ok := podspec.Paths[r.Type[strings.LastIndex(r.Type, ":")+1:]]
		if !ok {
			continue
		}
		for _, list := range podspec.ContainerLists {
			items, _ := lookup(r.Inputs, append(path, list)...).([]any)
			for _, item := range items {
				spec, _ := item.(map[string]any)
				name, _ := spec["name"].(string)
				out = append(out, container{owner: r, name: list + "/" + name, spec: spec})
			}
		}
	}
	return out
}

// ContainerRequests requires a CPU and a memory request on every container: Karpenter launches nodes for the sum of
// the pending pods' requests, so a container without them is packed as if it used nothing. A limit without a request
// counts, since Kubernetes copies the limit into the request.
func ContainerRequests(rec *mocks.Recording) []Violation {
	var out []Violation
	for _, c := range containers(rec) {
		var missing []string
		for _, res := range []string{"cpu", "memory"} {
			if lookup(c.spec, "resources", "requests", res) == nil && lookup(c.spec, "resources", "limits", res) == nil {
				missing = append(missing, res)
			}
		}
		if len(missing) > 0 {
			out = append(out, violation(RuleContainerRequests, c.owner, "container %s has no %s request; Karpenter sizes nodes by requests", c.name, strings.Join(missing, " or ")))
		}
	}
	return out
}

// PinnedImages requires every container image to name a tag or a digest other than "latest": an image without one
// is "latest", and a node that pulls it later may run different code than the one the change was reviewed with.
func PinnedImages(rec *mocks.Recording) []Violation {
	var out []Violation
	for _, c := range containers(rec) {
		image, _ := c.spec["image"].(string)
		ref, err := reference.ParseNormalizedNamed(image)
		switch {
		case err != nil:
			out = append(out, violation(RulePinnedImages, c.owner, "container %s image %q is not an image reference: %v", c.name, image, err))
		case isDigested(ref):
		case isTagged(ref) && ref.(reference.Tagged).Tag() != "latest":
		default:
			out = append(out, violation(RulePinnedImages, c.owner, "container %s image %q is not pinned: name a release tag or a digest, never latest", c.name, image))
		}
	}
	return out
}

func isDigested(ref reference.Named) bool { _, ok := ref.(reference.Digested); return ok }
func isTagged(ref reference.Named) bool   { _, ok := ref.(reference.Tagged); return ok }

// NotInDefault forbids namespaced Kubernetes objects in the "default" namespace, whether named there or put there
// because neither the object nor its provider names a namespace: workloads belong in a namespace of their own,
// where RBAC, quotas and `kubectl delete namespace` can reach them. Scope comes from pulumi-kubernetes' own
// table (clients.IsNamespacedKind); kinds it cannot answer offline are skipped.
func NotInDefault(rec *mocks.Recording) []Violation {
	disconnected, err := clients.NewDynamicClientSet(nil)
	if err != nil {
		return []Violation{{Rule: RuleNotInDefault, Message: err.Error()}}
	}
	var out []Violation
	for _, r := range rec.Resources {
		if !strings.HasPrefix(r.Type, "kubernetes:") || !r.Custom || strings.HasPrefix(r.Type, "kubernetes:helm.sh/") {
			continue
		}
		obj := unstructured.Unstructured{Object: r.Inputs}
		if obj.GetKind() == "" {
			continue
		}
		namespaced, err := clients.IsNamespacedKind(obj.GroupVersionKind(), disconnected)
		if err != nil || !namespaced {
			continue
		}
		namespace := obj.GetNamespace()
		if namespace == "" {
			namespace = rec.ProviderNamespace(r.Provider)
		}
		if namespace == mocks.DefaultNamespace {
			out = append(out, violation(RuleNotInDefault, r, "%s %s lands in the default namespace; give it, or its provider, a namespace of its own", obj.GetKind(), obj.GetName()))
		}
	}
	return out
}
