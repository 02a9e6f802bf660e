package mockcloud

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/clients"
	yamlprovider "github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/provider/yaml/v2"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// ConfigFileType is the token of pulumi-kubernetes' yaml/v2 ConfigFile, a remote component.
const ConfigFileType = "kubernetes:yaml/v2:ConfigFile"

// DefaultNamespace is where Kubernetes puts a namespaced object when neither the object nor the provider's
// configuration (or kubeconfig context) names a namespace.
const DefaultNamespace = "default"

// ProviderCode names the pulumi-kubernetes code that registers a ConfigFile's children here: the provider module at
// the one commit the module proxy serves (on the v4.25.0 line; the SDK the program uses is v4.32.0). Between the two,
// Parse, Normalize and Register differ only for kinds whose scope cannot be resolved offline (v4.32.0 warns and
// leaves them without a namespace, this commit fails), which the sample app does not use.
const ProviderCode = "github.com/pulumi/pulumi-kubernetes/provider/v4@v4.0.0-20260115033456-f47bc2d6f199"

// constructConfigFile registers the children of a yaml/v2 ConfigFile the way pulumi-kubernetes' provider does when
// the engine asks it to construct one (provider/pkg/provider/yaml/v2 ConfigFileProvider.Construct): it runs the
// provider's own Parse, Normalize and Register, in a Pulumi program of its own under a mock monitor, as the provider
// runs it against the engine's monitor. Parse reads the local copy of the file rather than fetching its URL;
// Normalize gets the provider's default namespace and the disconnected client set the provider makes when the
// cluster is unreachable, as on a first preview. The engine applies the transforms of the ConfigFile and of its
// ancestors to each child before registering it (Recording.Transform); so does the mock monitor here.
func constructConfigFile(project, stack string, rec *Recording, cf Resource, manifest []byte, namespace string) ([]Resource, error) {
	prefix, ok := cf.Inputs["resourcePrefix"].(string)
	if !ok {
		prefix = cf.Name
	}
	skipAwait, _ := cf.Inputs["skipAwait"].(bool)
	monitor := &constructMonitor{component: cf, recording: rec, urns: map[string]string{}}
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		comp := &configFileState{}
		if err := ctx.RegisterComponentResource(ConfigFileType, cf.Name, comp); err != nil {
			return err
		}
		objs, err := yamlprovider.Parse(ctx.Context(), yamlprovider.ParseOptions{YAML: string(manifest)})
		if err != nil {
			return err
		}
		clientSet, err := clients.NewDynamicClientSet(nil)
		if err != nil {
			return err
		}
		objs, err = yamlprovider.Normalize(objs, namespace, clientSet)
		if err != nil {
			return err
		}
		_, err = yamlprovider.Register(ctx, yamlprovider.RegisterOptions{
			Objects:         objs,
			ResourcePrefix:  prefix,
			SkipAwait:       skipAwait,
			ResourceOptions: []pulumi.ResourceOption{pulumi.Parent(comp)},
		})
		return err
	}, pulumi.WithMocks(project, stack, monitor))
	if err != nil {
		return nil, fmt.Errorf("%s %s (%s): %w", ConfigFileType, cf.Name, ProviderCode, err)
	}
	if monitor.err != nil {
		return nil, fmt.Errorf("%s %s: %w", ConfigFileType, cf.Name, monitor.err)
	}
	// The provider registers children concurrently; sort them as Run sorts the rest of the render.
	slices.SortFunc(monitor.children, func(a, b Resource) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Type, b.Type))
	})
	return monitor.children, nil
}

type configFileState struct {
	pulumi.ResourceState
}

// constructMonitor records what the provider registers under the ConfigFile. The provider's program registers the
// component at its own root; the monitor records each child under the ConfigFile's URN in the program's tree, and
// with the ConfigFile's provider, which a child inherits from its parent.
type constructMonitor struct {
	component Resource
	recording *Recording

	mu       sync.Mutex
	urns     map[string]string // URN in the provider's program -> URN in the stack
	children []Resource
	err      error
}

func (m *constructMonitor) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	rpc := args.RegisterRPC
	if args.TypeToken == ConfigFileType && rpc.GetParent() != "" && resource.URN(rpc.GetParent()).QualifiedType() == resource.RootStackType {
		m.urns[childURN(rpc.GetParent(), args.TypeToken, args.Name)] = m.component.URN
		return args.Name, args.Inputs, nil
	}
	urn := childURN(m.component.URN, args.TypeToken, args.Name)
	m.urns[childURN(rpc.GetParent(), args.TypeToken, args.Name)] = urn
	var deps []string
	for _, d := range rpc.GetDependencies() {
		deps = append(deps, m.urns[d])
	}
	child, err := m.recording.Transform(Resource{
		URN:          urn,
		Type:         args.TypeToken,
		Name:         args.Name,
		Parent:       m.component.URN,
		Provider:     m.component.Provider,
		Custom:       args.Custom,
		Inputs:       Plain(args.Inputs),
		Dependencies: deps,
	})
	if err != nil {
		m.err = errors.Join(m.err, err)
	}
	m.children = append(m.children, child)
	return args.Name, args.Inputs, nil
}

func (m *constructMonitor) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	return nil, fmt.Errorf("yaml/v2 construct: unexpected invoke %s", args.Token)
}

// applyTransform calls a resource transform as the Go SDK's callback server does (sdk/go/pulumi/context.go,
// registerTransform): the properties arrive as a pulumi.Map of pulumi.String, Float64, Bool, Array and Map values.
// Only the properties of the result are used; options a transform returns are not applied here.
func applyTransform(t pulumi.ResourceTransform, token, name string, custom bool, props resource.PropertyMap) (resource.PropertyMap, error) {
	res := t(context.Background(), &pulumi.ResourceTransformArgs{Custom: custom, Type: token, Name: name, Props: toInputMap(props)})
	if res == nil {
		return props, nil
	}
	v, err := fromInput(res.Props)
	if err != nil {
		return nil, fmt.Errorf("transform of %s %s: %w", token, name, err)
	}
	m, _ := v.(map[string]any)
	return resource.NewPropertyMapFromMap(m), nil
}

// toInputMap is the Go SDK's unmarshalPropertyMap for the values a manifest holds.
func toInputMap(props resource.PropertyMap) pulumi.Map {
	var conv func(v resource.PropertyValue) pulumi.Input
	conv = func(v resource.PropertyValue) pulumi.Input {
		switch {
		case v.IsSecret():
			return conv(v.SecretValue().Element)
		case v.IsBool():
			return pulumi.Bool(v.BoolValue())
		case v.IsNumber():
			return pulumi.Float64(v.NumberValue())
		case v.IsString():
			return pulumi.String(v.StringValue())
		case v.IsArray():
			a := make(pulumi.Array, 0, len(v.ArrayValue()))
			for _, e := range v.ArrayValue() {
				a = append(a, conv(e))
			}
			return a
		case v.IsObject():
			return toInputMap(v.ObjectValue())
		}
		return nil
	}
	out := pulumi.Map{}
	for k, v := range props {
		out[string(k)] = conv(v)
	}
	return out
}

// fromInput turns what a transform returns back into plain values.
func fromInput(v any) (any, error) {
	switch v := v.(type) {
	case nil:
		return nil, nil
	case pulumi.String:
		return string(v), nil
	case pulumi.Float64:
		return float64(v), nil
	case pulumi.Int:
		return float64(v), nil
	case pulumi.Bool:
		return bool(v), nil
	case string, float64, bool:
		return v, nil
	case int:
		return float64(v), nil
	case pulumi.StringMap:
		out := map[string]any{}
		for k, e := range v {
			s, err := fromInput(e)
			if err != nil {
				return nil, err
			}
			out[k] = s
		}
		return out, nil
	case pulumi.Map:
		return fromMap(v)
	case map[string]any:
		return fromMap(v)
	case pulumi.Array:
		return fromSlice(v)
	case []any:
		return fromSlice(v)
	}
	return nil, fmt.Errorf("a transform returned %T, which the offline render cannot read", v)
}

func fromMap[V any](m map[string]V) (any, error) {
	out := make(map[string]any, len(m))
	for k, e := range m {
		v, err := fromInput(e)
		if err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, nil
}

func fromSlice[V any](s []V) (any, error) {
	out := make([]any, 0, len(s))
	for _, e := range s {
		v, err := fromInput(e)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// Children are the objects of a multi-document manifest that a Helm release installs, as children of parent: each
// namespaced object without a namespace in namespace (Helm's client installs it into the release's namespace), named
// "<parent name>:<namespace>/<name>" ("<parent name>:<name>" when cluster-scoped), typed
// "kubernetes:<group>/<version>:<Kind>", managed by parent's provider and marked Emulated. The manifest is read and
// the namespace applied by pulumi-kubernetes' own Parse and Normalize, which require kind, apiVersion and
// metadata.name and take a kind's scope from the provider's table or the manifest's CRDs; a kind it cannot answer
// offline is an error rather than a guess.
func Children(parent Resource, manifest []byte, namespace string) ([]Resource, error) {
	objs, err := yamlprovider.Parse(context.Background(), yamlprovider.ParseOptions{YAML: string(manifest)})
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", parent.Type, parent.Name, err)
	}
	clientSet, err := clients.NewDynamicClientSet(nil)
	if err != nil {
		return nil, err
	}
	objs, err = yamlprovider.Normalize(objs, namespace, clientSet)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", parent.Type, parent.Name, err)
	}
	children := make([]Resource, 0, len(objs))
	for _, obj := range objs {
		name := obj.GetName()
		if ns := obj.GetNamespace(); ns != "" {
			name = ns + "/" + name
		}
		name = parent.Name + ":" + name
		token := "kubernetes:" + typeModule(obj.GetAPIVersion()) + ":" + obj.GetKind()
		children = append(children, Resource{
			URN:      childURN(parent.URN, token, name),
			Type:     token,
			Name:     name,
			Parent:   parent.URN,
			Provider: parent.Provider,
			Custom:   true,
			Inputs:   obj.Object,
			Emulated: true,
		})
	}
	return children, nil
}

// typeModule turns an apiVersion into the module part of a Pulumi type token: "v1" is "core/v1".
func typeModule(apiVersion string) string {
	if !strings.Contains(apiVersion, "/") {
		return "core/" + apiVersion
	}
	return apiVersion
}
