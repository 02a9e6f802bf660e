// Package nodepools is the Pulumi component that declares Karpenter's EC2NodeClasses and NodePools from a
// nodepool.Set, after checking every object the way the cluster's API server will.
package nodepools

import (
	"errors"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/karpenter-savings/karpenter-savings/internal/crdvalidate"
	"github.com/karpenter-savings/karpenter-savings/internal/nodepool"
)

// Args configures NodePools.
type Args struct {
	// Set is the node classes and pools to declare, from nodepool.Build. Required.
	Set *nodepool.Set
	// Provider is the Kubernetes provider of the cluster. Required.
	Provider pulumi.ProviderResource
	// DependsOn should hold the Karpenter Helm releases: the CRDs must exist before the objects, and on destroy the
	// pools must go while the controller still runs, so its finalizers drain and terminate the nodes. Required in
	// practice; optional to the type.
	DependsOn []pulumi.Resource
}

// NodePools is the component.
type NodePools struct {
	pulumi.ResourceState

	// Names are the NodePool names, resolved once the pools exist.
	Names pulumi.StringArrayOutput
	// Resources are every declared EC2NodeClass and NodePool, for workloads to depend on.
	Resources []pulumi.Resource
}

// object is one validated object and what it is declared with.
type object struct {
	kind, name, nodeClass string // nodeClass: the EC2NodeClass a NodePool references
	value                 map[string]any
}

// New validates every object of args.Set and, only if all pass, declares them: classes first, each pool depending
// on the class it references.
func New(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*NodePools, error) {
	objs, err := validate(args)
	if err != nil {
		return nil, err
	}
	c := &NodePools{}
	if err := ctx.RegisterComponentResource("karpenter-savings:index:NodePools", name, c, opts...); err != nil {
		return nil, fmt.Errorf("nodepools: register %q: %w", name, err)
	}
	classes := map[string]pulumi.Resource{}
	var names []pulumi.StringInput
	for _, o := range objs {
		childOpts := []pulumi.ResourceOption{pulumi.Parent(c), pulumi.Provider(args.Provider), pulumi.DependsOn(args.DependsOn)}
		if o.kind == "NodePool" {
			childOpts = append(childOpts, pulumi.DependsOn([]pulumi.Resource{classes[o.nodeClass]}))
		}
		spec, _ := o.value["spec"].(map[string]any)
		cr, err := apiextensions.NewCustomResource(ctx, fmt.Sprintf("%s-%s-%s", name, strings.ToLower(o.kind), o.name), &apiextensions.CustomResourceArgs{
			ApiVersion:  pulumi.String(o.value["apiVersion"].(string)),
			Kind:        pulumi.String(o.kind),
			Metadata:    &metav1.ObjectMetaArgs{Name: pulumi.String(o.name)},
			OtherFields: kubernetes.UntypedArgs{"spec": spec},
		}, childOpts...)
		if err != nil {
			return nil, fmt.Errorf("nodepools: declare %s %q: %w", o.kind, o.name, err)
		}
		c.Resources = append(c.Resources, cr)
		if o.kind == "NodePool" {
			names = append(names, cr.Metadata.Name().Elem())
		} else {
			classes[o.name] = cr
		}
	}
	c.Names = pulumi.StringArray(names).ToStringArrayOutput()
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{"names": c.Names}); err != nil {
		return nil, fmt.Errorf("nodepools: register outputs of %q: %w", name, err)
	}
	return c, nil
}

// validate checks the arguments and runs every object through crdvalidate; it reports every invalid object at once.
func validate(args *Args) ([]object, error) {
	switch {
	case args == nil:
		return nil, errors.New("nodepools: args are required")
	case args.Set == nil:
		return nil, errors.New("nodepools: Args.Set is required")
	case args.Provider == nil:
		return nil, errors.New("nodepools: Args.Provider is required")
	}
	return validateSet(args.Set)
}

// Validate runs every object of set through the API server's validation path, so that a program can reject a bad
// pool configuration before it declares any resource.
func Validate(set *nodepool.Set) error {
	_, err := validateSet(set)
	return err
}

func validateSet(set *nodepool.Set) ([]object, error) {
	values, err := set.Objects()
	if err != nil {
		return nil, fmt.Errorf("nodepools: %w", err)
	}
	validator, err := crdvalidate.New()
	if err != nil {
		return nil, fmt.Errorf("nodepools: %w", err)
	}
	var errs []error
	objs := make([]object, 0, len(values))
	classes := map[string]bool{}
	for _, v := range values {
		o := object{name: dig(v, "metadata", "name"), value: v}
		o.kind, _ = v["kind"].(string)
		if o.kind != "NodePool" {
			classes[o.name] = true
		}
		if _, err := validator.Validate(v); err != nil {
			errs = append(errs, err)
			continue
		}
		if o.kind == "NodePool" {
			o.nodeClass = dig(v, "spec", "template", "spec", "nodeClassRef", "name")
			if !classes[o.nodeClass] {
				errs = append(errs, fmt.Errorf("NodePool %q references EC2NodeClass %q, which the Set does not declare before it", o.name, o.nodeClass))
			}
		}
		objs = append(objs, o)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("nodepools: invalid objects: %w", errors.Join(errs...))
	}
	return objs, nil
}

// dig returns the string at path in obj, or "" when any step is missing.
func dig(obj map[string]any, path ...string) string {
	for _, p := range path[:len(path)-1] {
		obj, _ = obj[p].(map[string]any)
	}
	s, _ := obj[path[len(path)-1]].(string)
	return s
}
