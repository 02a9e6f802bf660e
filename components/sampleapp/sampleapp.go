// Package sampleapp is the Pulumi component that deploys AWS's retail store sample application, the lab's workload,
// from the Kubernetes manifest of a pinned release.
//
// The manifest's pods carry no tolerations, so they cannot run on the critical-addons-only node group (tainted
// CriticalAddonsOnly=true:NoSchedule) or on the GPU pool (tainted nvidia.com/gpu); every pod lands on a node
// Karpenter launches from the default or Graviton pool. Its images are multi-arch, so Karpenter is free to choose
// arm64. The ui Service is of type LoadBalancer, which the cluster turns into an AWS load balancer.
package sampleapp

import (
	"errors"
	"fmt"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/karpenter-savings/karpenter-savings/internal/program/pulumik8s"
	"github.com/karpenter-savings/karpenter-savings/internal/program/samplemanifest"
)

// ReleaseManifestURL is the Kubernetes manifest of the retail store's v1.3.0 release (2025-09-16), rendered by the
// project with its ui Service as a LoadBalancer.
const ReleaseManifestURL = samplemanifest.ReleaseURL

// DefaultNamespace is where the application runs unless Args.Namespace says otherwise.
const DefaultNamespace = "retail-store"

// UIService is the manifest's storefront Service.
const UIService = "ui"

// Args configures SampleApp.
type Args struct {
	// ManifestURL is the https URL of a released kubernetes.yaml, e.g. ReleaseManifestURL; never a moving branch or
	// "latest". Required.
	ManifestURL string
	// Kubeconfig reaches the cluster. Required. The component makes its own Kubernetes provider from it, with the
	// application's namespace as the provider's default namespace (see New).
	Kubeconfig pulumi.StringInput
	// DependsOn should hold the node pools' resources, so the pods have somewhere to run and, on destroy, the app
	// goes before the pools drain their nodes. Optional.
	DependsOn []pulumi.Resource
	// Namespace is created and holds every namespaced object of the manifest, which sets none itself. Optional;
	// default "retail-store".
	Namespace string
	// DefaultCPURequest and DefaultMemoryRequest are given to every container the manifest leaves without a CPU
	// or memory request (and without a limit, from which Kubernetes would take the request): the release's
	// databases and queues set none, and Karpenter sizes nodes by requests, so a pod without them is packed as if
	// it used nothing. Optional; defaults DefaultCPURequest and DefaultMemoryRequest.
	DefaultCPURequest, DefaultMemoryRequest string
}

// Requests the component gives containers that set none (Args.DefaultCPURequest, Args.DefaultMemoryRequest).
const (
	DefaultCPURequest    = "250m"
	DefaultMemoryRequest = "512Mi"
)

// SampleApp is the component.
type SampleApp struct {
	pulumi.ResourceState

	// Namespace is the application's namespace.
	Namespace pulumi.StringOutput
	// UIServiceAddress is the DNS name of the ui Service's load balancer; the store is at http://<address>.
	UIServiceAddress pulumi.StringOutput
}

// New creates the namespace, applies the manifest into it, and reads back the ui Service's load balancer address.
func New(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*SampleApp, error) {
	if err := validate(args); err != nil {
		return nil, err
	}
	namespace := args.Namespace
	if namespace == "" {
		namespace = DefaultNamespace
	}
	c := &SampleApp{}
	if err := ctx.RegisterComponentResource("karpenter-savings:index:SampleApp", name, c, opts...); err != nil {
		return nil, fmt.Errorf("sampleapp: register %q: %w", name, err)
	}
	parent := pulumi.Parent(c)

	// yaml/v2 puts every namespaced object without a namespace into its provider's default namespace before any
	// transform sees it (pulumi-kubernetes provider/pkg/provider/yaml/v2, Normalize), and has no namespace option
	// of its own: a provider whose default namespace is the application's is the one way to place the manifest.
	k8s, err := kubernetes.NewProvider(ctx, name+"-k8s", &kubernetes.ProviderArgs{
		Kubeconfig:            args.Kubeconfig,
		Namespace:             pulumi.String(namespace),
		EnableServerSideApply: pulumi.Bool(true),
		// Delete-before-replace, as the cluster's provider (components/cluster): the app goes from the old cluster
		// before it is created again, never an object created under a name its old copy still holds.
	}, parent, pulumi.DeleteBeforeReplace(true))
	if err != nil {
		return nil, fmt.Errorf("sampleapp: provider: %w", err)
	}
	provider := pulumi.Provider(k8s)

	ns, err := corev1.NewNamespace(ctx, name+"-namespace", &corev1.NamespaceArgs{
		Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String(namespace)},
	}, parent, provider, pulumi.DependsOn(args.DependsOn))
	if err != nil {
		return nil, fmt.Errorf("sampleapp: namespace %q: %w", namespace, err)
	}
	cpu, memory := args.DefaultCPURequest, args.DefaultMemoryRequest
	if cpu == "" {
		cpu = DefaultCPURequest
	}
	if memory == "" {
		memory = DefaultMemoryRequest
	}
	// The engine runs a remote component's transforms on each child it registers, so this reaches every object
	// yaml/v2 reads from the manifest.
	manifest, err := pulumik8s.NewConfigFile(ctx, name+"-manifest", &pulumik8s.ConfigFileArgs{
		File: pulumi.String(args.ManifestURL),
	}, parent, provider, pulumi.DependsOn(append([]pulumi.Resource{ns}, args.DependsOn...)),
		pulumi.Transforms([]pulumi.ResourceTransform{DefaultRequests(cpu, memory)}))
	if err != nil {
		return nil, fmt.Errorf("sampleapp: manifest %s: %w", args.ManifestURL, err)
	}

	c.Namespace = ns.Metadata.Name().Elem()
	c.UIServiceAddress, err = uiAddress(ctx, name, namespace, manifest, parent, provider)
	if err != nil {
		return nil, fmt.Errorf("sampleapp: %w", err)
	}
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{
		"namespace":        c.Namespace,
		"uiServiceAddress": c.UIServiceAddress,
	}); err != nil {
		return nil, fmt.Errorf("sampleapp: register outputs of %q: %w", name, err)
	}
	return c, nil
}

// uiAddress reads the ui Service once the manifest, which waits for the load balancer, is applied. A preview
// cannot read it: on the first deployment the Service does not exist yet and the read would fail the preview, so
// the address stays unknown there, as any not-yet-created output does.
func uiAddress(ctx *pulumi.Context, name, namespace string, manifest *pulumik8s.ConfigFile, opts ...pulumi.ResourceOption) (pulumi.StringOutput, error) {
	if ctx.DryRun() {
		return pulumi.UnsafeUnknownOutput([]pulumi.Resource{manifest}).ApplyT(func(any) string { return "" }).(pulumi.StringOutput), nil
	}
	svc, err := corev1.GetService(ctx, name+"-ui", pulumi.ID(namespace+"/"+UIService), nil,
		append(opts, pulumi.DependsOn([]pulumi.Resource{manifest}))...)
	if err != nil {
		return pulumi.StringOutput{}, fmt.Errorf("read Service %s/%s: %w", namespace, UIService, err)
	}
	return svc.Status.LoadBalancer().Ingress().Index(pulumi.Int(0)).Hostname().Elem(), nil
}

func validate(args *Args) error {
	if args == nil {
		return errors.New("sampleapp: args are required")
	}
	var errs []error
	if args.ManifestURL == "" {
		errs = append(errs, errors.New("sampleapp: Args.ManifestURL is required"))
	} else if err := samplemanifest.CheckPinned(args.ManifestURL); err != nil {
		errs = append(errs, fmt.Errorf("sampleapp: Args.ManifestURL: %w", err))
	}
	if args.Kubeconfig == nil {
		errs = append(errs, errors.New("sampleapp: Args.Kubeconfig is required"))
	}
	return errors.Join(errs...)
}
