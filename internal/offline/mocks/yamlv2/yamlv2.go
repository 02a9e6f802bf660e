// Package yamlv2 registers, in an offline render, the children of pulumi-kubernetes' yaml/v2 ConfigFile with the
// provider's own code, and reads the objects of a Helm release's manifest the same way. It links the provider's
// yaml/v2 and client code, an engine: the deep render and the tests use it; the program and the default render do not.
package yamlv2

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

	"github.com/karpenter-savings/karpenter-savings/internal/offline/mocks"
	"github.com/karpenter-savings/karpenter-savings/internal/program/pulumik8s"
	"github.com/karpenter-savings/karpenter-savings/internal/program/samplemanifest"
)

// ProviderCode names the pulumi-kubernetes code that registers a ConfigFile's children here: the provider module at
// the one commit the module proxy serves (on the v4.25.0 line; the SDK the program uses is v4.32.0). Between the two,
// Parse, Normalize and Register differ only for kinds whose scope cannot be resolved offline (v4.32.0 warns and
// leaves them without a namespace, this commit fails), which the sample app does not use.
const ProviderCode = "github.com/pulumi/pulumi-kubernetes/provider/v4@v4.0.0-20260115033456-f47bc2d6f199"

// Option makes a mocks run construct yaml/v2 ConfigFiles with the provider's code, from the local copies of the
// manifests they read (internal/program/samplemanifest); a ConfigFile whose file has no copy is named in the render's notes.
func Option() mocks.Option {
	copies := samplemanifest.Copies()
	return mocks.WithConstructor(pulumik8s.ConfigFileType, func(project, stack string, rec *mocks.Recording, cf mocks.Resource) ([]mocks.Resource, error) {
		file, _ := cf.Inputs["file"].(string)
		manifest, ok := copies[file]
		if !ok {
			rec.Notes = append(rec.Notes, fmt.Sprintf("%s %s: no local copy of %s, so the objects it applies are not shown", pulumik8s.ConfigFileType, cf.Name, file))
			return nil, nil
		}
		return constructConfigFile(project, stack, rec, cf, manifest, rec.ProviderNamespace(cf.Provider))
	})
}

// constructConfigFile registers the children of a yaml/v2 ConfigFile the way pulumi-kubernetes' provider does when
// the engine asks it to construct one (provider/pkg/provider/yaml/v2 ConfigFileProvider.Construct): it runs the
// provider's own Parse, Normalize and Register, in a Pulumi program of its own under a mock monitor, as the provider
// runs it against the engine's monitor. Parse reads the local copy of the file rather than fetching its URL;
// Normalize gets the provider's default namespace and the disconnected client set the provider makes when the
// cluster is unreachable, as on a first preview. The engine applies the transforms of the ConfigFile and of its
// ancestors to each child before registering it (Recording.Transform); so does the mock monitor here.
func constructConfigFile(project, stack string, rec *mocks.Recording, cf mocks.Resource, manifest []byte, namespace string) ([]mocks.Resource, error) {
	prefix, ok := cf.Inputs["resourcePrefix"].(string)
	if !ok {
		prefix = cf.Name
	}
	skipAwait, _ := cf.Inputs["skipAwait"].(bool)
	monitor := &constructMonitor{component: cf, recording: rec, urns: map[string]string{}}
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		comp := &configFileState{}
		if err := ctx.RegisterComponentResource(pulumik8s.ConfigFileType, cf.Name, comp); err != nil {
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
		return nil, fmt.Errorf("%s %s (%s): %w", pulumik8s.ConfigFileType, cf.Name, ProviderCode, err)
	}
	if monitor.err != nil {
		return nil, fmt.Errorf("%s %s: %w", pulumik8s.ConfigFileType, cf.Name, monitor.err)
	}
	// The provider registers children concurrently; sort them as Run sorts the rest of the render.
	slices.SortFunc(monitor.children, func(a, b mocks.Resource) int {
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
	component mocks.Resource
	recording *mocks.Recording

	mu       sync.Mutex
	urns     map[string]string // URN in the provider's program -> URN in the stack
	children []mocks.Resource
	err      error
}

func (m *constructMonitor) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	rpc := args.RegisterRPC
	if args.TypeToken == pulumik8s.ConfigFileType && rpc.GetParent() != "" && resource.URN(rpc.GetParent()).QualifiedType() == resource.RootStackType {
		m.urns[mocks.ChildURN(rpc.GetParent(), args.TypeToken, args.Name)] = m.component.URN
		return args.Name, args.Inputs, nil
	}
	urn := mocks.ChildURN(m.component.URN, args.TypeToken, args.Name)
	m.urns[mocks.ChildURN(rpc.GetParent(), args.TypeToken, args.Name)] = urn
	var deps []string
	for _, d := range rpc.GetDependencies() {
		deps = append(deps, m.urns[d])
	}
	child, err := m.recording.Transform(mocks.Resource{
		URN:          urn,
		Type:         args.TypeToken,
		Name:         args.Name,
		Parent:       m.component.URN,
		Provider:     m.component.Provider,
		Custom:       args.Custom,
		Inputs:       mocks.Plain(args.Inputs),
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

// Children are the objects of a multi-document manifest that a Helm release installs, as children of parent: each
// namespaced object without a namespace in namespace (Helm's client installs it into the release's namespace), named
// "<parent name>:<namespace>/<name>" ("<parent name>:<name>" when cluster-scoped), typed
// "kubernetes:<group>/<version>:<Kind>", managed by parent's provider and marked Emulated. The manifest is read and
// the namespace applied by pulumi-kubernetes' own Parse and Normalize, which require kind, apiVersion and
// metadata.name and take a kind's scope from the provider's table or the manifest's CRDs; a kind it cannot answer
// offline is an error rather than a guess.
func Children(parent mocks.Resource, manifest []byte, namespace string) ([]mocks.Resource, error) {
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
	children := make([]mocks.Resource, 0, len(objs))
	for _, obj := range objs {
		name := obj.GetName()
		if ns := obj.GetNamespace(); ns != "" {
			name = ns + "/" + name
		}
		name = parent.Name + ":" + name
		token := "kubernetes:" + typeModule(obj.GetAPIVersion()) + ":" + obj.GetKind()
		children = append(children, mocks.Resource{
			URN:      mocks.ChildURN(parent.URN, token, name),
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
