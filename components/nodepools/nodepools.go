// Package nodepools is the Pulumi component that declares Karpenter's EC2NodeClasses and NodePools from a
// poolspec.Set.
//
// It checks the Set's structure (every pool's class declared before it), not the objects against Karpenter's CRDs:
// that check runs the API server's validation code (internal/offline/crdvalidate), an engine the program does not link.
// config.Load is the gate that refuses a bad pool configuration, naming its key; the tests (FuzzLoad among them) and
// `render --check` run every object the configuration can produce through the CRDs' OpenAPI and CEL rules.
package nodepools

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/karpenter-savings/karpenter-savings/internal/program/poolspec"
)

// DrainMargin is added to a pool's terminationGracePeriod to give the delete timeout of its NodePool and
// EC2NodeClass. Once the period has elapsed, Karpenter deletes the pods still on a node, stops waiting for its volumes
// and calls EC2 TerminateInstances, then requeues every 5 s until EC2 reports the instance gone
// (sigs.k8s.io/karpenter v1.14.3, pkg/controllers/node/termination/controller.go, awaitVolumeDetachment and
// awaitInstanceTermination). EC2's shutting-down state usually lasts a minute or two; the rest covers a controller
// restart and leader election during the drain, and the garbage collector's deletion of the NodeClaims, which starts
// the period, after the NodePool's.
const DrainMargin = 15 * time.Minute

// DeleteTimeout is how long `pulumi up` or `pulumi destroy` waits for the delete of a pool whose nodes drain for at
// most gracePeriod. pulumi-kubernetes deletes with foreground propagation by default (v4.32.0,
// provider/pkg/metadata/overrides.go, DeletionPropagation), and Karpenter's NodeClaims name their NodePool as owner
// with blockOwnerDeletion (sigs.k8s.io/karpenter v1.14.3, pkg/controllers/provisioning/scheduling/nodeclaimtemplate.go),
// so the NodePool is gone only once its NodeClaims are, and each NodeClaim's termination finalizer holds it until
// its node is drained and its instance terminated. Without a custom timeout, pulumi-kubernetes gives up after 10
// minutes (v4.32.0, provider/pkg/await/await.go, Deletion: "timeout := 10 * time.Minute" unless
// metadata.TimeoutDuration finds customTimeouts or the pulumi.com/timeoutSeconds annotation): the update fails with
// the nodes still draining. An EC2NodeClass's own finalizer waits for the NodeClaims that use it, so it gets the
// longest period of the pools that reference it.
func DeleteTimeout(gracePeriod time.Duration) time.Duration { return gracePeriod + DrainMargin }

// Args configures NodePools.
type Args struct {
	// Set is the node classes and pools to declare, from poolspec.Build. Required.
	Set *poolspec.Set
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
	// gracePeriod is a NodePool's terminationGracePeriod, or for an EC2NodeClass the longest of its pools'.
	gracePeriod time.Duration
}

// New checks args and, only if they pass, declares the Set's objects: classes first, each pool depending on the class
// it references.
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
		childOpts := []pulumi.ResourceOption{pulumi.Parent(c), pulumi.Provider(args.Provider), pulumi.DependsOn(args.DependsOn),
			// The engine records the timeout in the state and uses the recorded one when the object is deleted
			// (pulumi v3.274.1, pkg/resource/deploy/step.go, DeleteStep.Apply: s.old.CustomTimeouts.Delete), so a
			// pool disabled later, or destroyed, waits for the drain its last `pulumi up` declared.
			pulumi.Timeouts(&pulumi.CustomTimeouts{Delete: DeleteTimeout(o.gracePeriod).String()})}
		if o.kind == poolspec.KindNodePool {
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
		if o.kind == poolspec.KindNodePool {
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

// validate checks the arguments and the Set's structure; it reports every problem at once.
func validate(args *Args) ([]object, error) {
	switch {
	case args == nil:
		return nil, errors.New("nodepools: args are required")
	case args.Set == nil:
		return nil, errors.New("nodepools: Args.Set is required")
	case args.Provider == nil:
		return nil, errors.New("nodepools: Args.Provider is required")
	}
	values, err := args.Set.Objects()
	if err != nil {
		return nil, fmt.Errorf("nodepools: Args.Set: %w", err)
	}
	var errs []error
	objs := make([]object, 0, len(values))
	classes := map[string]int{} // index in objs
	for _, v := range values {
		o := object{name: dig(v, "metadata", "name"), value: v}
		o.kind, _ = v["kind"].(string)
		if o.kind != poolspec.KindNodePool {
			classes[o.name] = len(objs)
			objs = append(objs, o)
			continue
		}
		o.nodeClass = dig(v, "spec", "template", "spec", "nodeClassRef", "name")
		class, ok := classes[o.nodeClass]
		if !ok {
			errs = append(errs, fmt.Errorf("nodepools: Args.Set: NodePool %q references EC2NodeClass %q, which the Set does not declare before it", o.name, o.nodeClass))
		}
		// Without a period Karpenter waits for pods forever, and no delete timeout would be long enough.
		period := dig(v, "spec", "template", "spec", "terminationGracePeriod")
		d, err := time.ParseDuration(period)
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("nodepools: Args.Set: NodePool %q has terminationGracePeriod %q: a positive duration is required, or its delete could wait forever", o.name, period))
		}
		o.gracePeriod = d
		if ok {
			objs[class].gracePeriod = max(objs[class].gracePeriod, d)
		}
		objs = append(objs, o)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
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
