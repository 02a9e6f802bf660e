// Package pulumik8s declares the two pulumi-kubernetes resources the stack uses, a helm.sh/v3 Release and a yaml/v2
// ConfigFile, through the Pulumi SDK's generic registration. The SDK's own helm/v3 and yaml/v2 packages each import
// every generated API-group package of pulumi-kubernetes, most of a cold build's compile time; this package sends
// the engine the same registration as their constructors at PluginVersion (its tests check the Args, outputs and
// options against pulumi-kubernetes' schema and that SDK's source).
package pulumik8s

import (
	"errors"
	"reflect"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// PluginVersion is the pulumi-kubernetes SDK version (go.mod) whose constructors this package stands in for.
const PluginVersion = "4.32.0"

// Type tokens of the two resources.
const (
	ReleaseType    = "kubernetes:helm.sh/v3:Release"
	ConfigFileType = "kubernetes:yaml/v2:ConfigFile"
)

// compat is the value helm/v3's NewRelease always gives the Release's "compat" input (a const in the schema).
const compat = "true"

// defaultOpts are the options the SDK's constructors put before the caller's (utilities.PkgResourceDefaultOpts).
func defaultOpts(opts []pulumi.ResourceOption) []pulumi.ResourceOption {
	// The SDK pins the provider plugin to its own version; it sets no plugin download URL.
	return append([]pulumi.ResourceOption{pulumi.Version(PluginVersion)}, opts...)
}

// ReleaseArgs are the inputs of a Release the stack sets; the provider's defaults apply to the others.
type ReleaseArgs struct {
	// Name of the Helm release. Optional; default the resource name with a random suffix (the provider's).
	Name pulumi.StringPtrInput `pulumi:"name"`
	// Chart is the chart's name, path or OCI reference. Required.
	Chart pulumi.StringInput `pulumi:"chart"`
	// Version is the chart version. Optional; default the latest.
	Version pulumi.StringPtrInput `pulumi:"version"`
	// Namespace the release is installed into. Optional; default the provider's namespace.
	Namespace pulumi.StringPtrInput `pulumi:"namespace"`
	// RepositoryOpts says where the chart's repository is. Optional; default none (Chart is a path or OCI reference).
	RepositoryOpts *RepositoryOptsArgs `pulumi:"repositoryOpts"`
	// Values are the chart values. Optional; default the chart's.
	Values pulumi.MapInput `pulumi:"values"`
	// SkipCrds leaves out the chart's crds/ directory. Optional; default false.
	SkipCrds pulumi.BoolPtrInput `pulumi:"skipCrds"`
	// Compat is the schema's const "true": helm/v3's NewRelease always sends it, so every release's state holds it.
	// NewRelease sets it whatever is given here; leave it nil.
	Compat pulumi.StringPtrInput `pulumi:"compat"`
}

// RepositoryOptsArgs are the fields of a Release's repositoryOpts the stack sets.
type RepositoryOptsArgs struct {
	// Repo is the chart repository's URL. Required.
	Repo pulumi.StringPtrInput `pulumi:"repo"`
}

// releaseInputs is ReleaseArgs as the pulumi.Input RegisterResource takes: the SDK names each property after the
// `pulumi` tag of the field and marshals each input as its own element type, as it does the generated Args.
type releaseInputs ReleaseArgs

// ElementType makes releaseInputs a pulumi.Input.
func (releaseInputs) ElementType() reflect.Type { return reflect.TypeFor[releaseInputs]() }

// Release is a Helm release the provider installs and upgrades with Helm's Go SDK.
type Release struct {
	pulumi.CustomResourceState

	// Version is the installed chart version.
	Version pulumi.StringPtrOutput `pulumi:"version"`
}

// NewRelease declares a kubernetes:helm.sh/v3:Release as helm/v3's NewRelease at PluginVersion does.
func NewRelease(ctx *pulumi.Context, name string, args *ReleaseArgs, opts ...pulumi.ResourceOption) (*Release, error) {
	if args == nil {
		return nil, errors.New("pulumik8s: ReleaseArgs are required")
	}
	if args.Chart == nil {
		return nil, errors.New("pulumik8s: ReleaseArgs.Chart is required")
	}
	// The SDK writes compat into the caller's args; a copy sends the same value without touching the caller's.
	in := releaseInputs(*args)
	in.Compat = pulumi.StringPtr(compat)
	var r Release
	// Registered here, not in a helper: the SDK takes the source position (and stack trace) it sends from the caller
	// of RegisterResource's caller, which is then NewRelease's caller, as with the generated constructor.
	if err := ctx.RegisterResource(ReleaseType, name, in, &r, defaultOpts(opts)...); err != nil {
		return nil, err
	}
	return &r, nil
}

// ConfigFileArgs are the inputs of a ConfigFile the stack sets.
type ConfigFileArgs struct {
	// File is the path or URL of a Kubernetes manifest. Required.
	File pulumi.StringInput `pulumi:"file"`
}

// configFileInputs is ConfigFileArgs as the pulumi.Input RegisterRemoteComponentResource takes (see releaseInputs).
type configFileInputs ConfigFileArgs

// ElementType makes configFileInputs a pulumi.Input.
func (configFileInputs) ElementType() reflect.Type { return reflect.TypeFor[configFileInputs]() }

// ConfigFile is the remote component the provider constructs from a manifest, one child per object. Its
// "resources" output is not declared: nothing reads it, and unmarshaling it would rehydrate every child.
type ConfigFile struct {
	pulumi.ResourceState
}

// NewConfigFile declares a kubernetes:yaml/v2:ConfigFile as yaml/v2's NewConfigFile at PluginVersion does.
func NewConfigFile(ctx *pulumi.Context, name string, args *ConfigFileArgs, opts ...pulumi.ResourceOption) (*ConfigFile, error) {
	if args == nil {
		return nil, errors.New("pulumik8s: ConfigFileArgs are required")
	}
	if args.File == nil {
		return nil, errors.New("pulumik8s: ConfigFileArgs.File is required")
	}
	var c ConfigFile
	// Registered here, not in a helper, for the source position (see NewRelease).
	if err := ctx.RegisterRemoteComponentResource(ConfigFileType, name, configFileInputs(*args), &c, defaultOpts(opts)...); err != nil {
		return nil, err
	}
	return &c, nil
}
