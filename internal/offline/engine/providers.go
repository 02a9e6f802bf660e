package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/blang/semver"
	"github.com/pulumi/pulumi/pkg/v3/resource/deploy/deploytest"
	"github.com/pulumi/pulumi/pkg/v3/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/karpenter-savings/karpenter-savings/internal/offline/mocks"
	"github.com/karpenter-savings/karpenter-savings/internal/program/karpenteriam"
)

// Plugin versions: exactly what the pinned SDKs ask for, else the engine looks for another plugin.
var pluginVersions = map[tokens.Package]string{
	"aws":        "6.83.4",
	"eks":        "2.8.1",
	"kubernetes": "4.32.0",
}

// loaders returns the in-process providers, all answering from m.
func loaders(m *mocks.Mocks) []*deploytest.ProviderLoader {
	var out []*deploytest.ProviderLoader
	for _, pkg := range []tokens.Package{"aws", "eks", "kubernetes"} {
		out = append(out, deploytest.NewProviderLoader(pkg, semver.MustParse(pluginVersions[pkg]), func() (plugin.Provider, error) {
			p := &provider{m: m, pkg: pkg}
			return &deploytest.Provider{
				Package:     pkg,
				Version:     semver.MustParse(pluginVersions[pkg]),
				DiffConfigF: p.diffConfig,
				DiffF:       p.diff,
				CreateF:     p.create,
				UpdateF:     p.update,
				ReadF:       p.read,
				InvokeF:     p.invoke,
				ConstructF:  p.construct,
			}, nil
		}))
	}
	return out
}

// provider answers one package's calls from the offline mocks.
type provider struct {
	m   *mocks.Mocks
	pkg tokens.Package
}

// create answers as the mocks do. At preview a real provider cannot know what it computes: every output that is not
// an input is unknown then.
func (p *provider) create(_ context.Context, req plugin.CreateRequest) (plugin.CreateResponse, error) {
	inputs := resource.ToResourcePropertyMap(req.Properties)
	id, outs, err := p.m.NewResource(pulumi.MockResourceArgs{TypeToken: string(req.Type), Name: req.Name, Inputs: inputs, Custom: true})
	if err != nil {
		return plugin.CreateResponse{}, err
	}
	if svc, ok := inputs["awsServiceName"]; string(req.Type) == mocks.TypeServiceLinkedRole && ok && svc.IsString() && svc.StringValue() == "spot.amazonaws.com" {
		// terraform-provider-aws, internal/service/iam/service_linked_role.go, resourceServiceLinkedRoleCreate: the
		// role's id is its ARN, which is also what the program imports it by once it exists.
		id = karpenteriam.Scope{Partition: mocks.Partition, AccountID: mocks.AccountID}.SpotServiceLinkedRoleARN()
		outs["arn"] = resource.NewStringProperty(id)
	}
	if req.Preview {
		id = ""
		for k := range outs {
			if _, ok := inputs[k]; !ok {
				outs[k] = resource.MakeComputed(resource.NewStringProperty(""))
			}
		}
	}
	return plugin.CreateResponse{ID: resource.ID(id), Properties: resource.FromResourcePropertyMap(outs), Status: resource.StatusOK}, nil
}

// update keeps what the provider computed and takes the new inputs.
func (p *provider) update(_ context.Context, req plugin.UpdateRequest) (plugin.UpdateResponse, error) {
	outs := resource.ToResourcePropertyMap(req.OldOutputs).Copy()
	for k, v := range resource.ToResourcePropertyMap(req.NewInputs) {
		outs[k] = v
	}
	return plugin.UpdateResponse{Properties: resource.FromResourcePropertyMap(outs), Status: resource.StatusOK}, nil
}

// read answers a Get (the program reads the sample app's Service during an update) from the mocks.
func (p *provider) read(_ context.Context, req plugin.ReadRequest) (plugin.ReadResponse, error) {
	_, outs, err := p.m.NewResource(pulumi.MockResourceArgs{
		TypeToken: string(req.Type), Name: req.Name, ID: string(req.ID), Inputs: resource.ToResourcePropertyMap(req.Inputs), Custom: true,
	})
	if err != nil {
		return plugin.ReadResponse{}, err
	}
	state := resource.FromResourcePropertyMap(outs)
	inputs := req.Inputs
	return plugin.ReadResponse{ReadResult: plugin.ReadResult{ID: req.ID, Inputs: &inputs, Outputs: &state}, Status: resource.StatusOK}, nil
}

func (p *provider) invoke(_ context.Context, req plugin.InvokeRequest) (plugin.InvokeResponse, error) {
	outs, err := p.m.Call(pulumi.MockCallArgs{Token: string(req.Tok), Args: resource.ToResourcePropertyMap(req.Args)})
	if err != nil {
		return plugin.InvokeResponse{}, err
	}
	return plugin.InvokeResponse{Properties: resource.FromResourcePropertyMap(outs)}, nil
}

// diff is the provider's Diff from the replace rules (rules.go). A changed force-new path, or one unknown at preview,
// replaces (the bridge and pulumi-kubernetes both plan a replacement for an unknown force-new value); any other change
// updates in place; a type without rules whose inputs change is an error.
func (p *provider) diff(_ context.Context, req plugin.DiffRequest) (plugin.DiffResult, error) {
	olds, news := resource.ToResourcePropertyMap(req.OldInputs), resource.ToResourcePropertyMap(req.NewInputs)
	d := olds.Diff(news, ignoreInternal)
	if d == nil || !d.AnyChanges() {
		return plugin.DiffResult{Changes: plugin.DiffNone}, nil
	}
	paths, known := forceNew(string(req.Type))
	changed := d.ChangedKeys()
	if !known {
		return plugin.DiffResult{}, fmt.Errorf("engine: %s changes %v, and the replace rules of %s are not known here: add them "+
			"to internal/offline/engine/rules.go from the provider's source", req.URN, changed, req.Type)
	}
	var replaces []resource.PropertyKey
	for _, path := range paths {
		if !equal(at(olds, path), at(news, path)) {
			replaces = append(replaces, resource.PropertyKey(strings.SplitN(path, ".", 2)[0]))
		}
	}
	replaces = slices.Compact(slices.Sorted(slices.Values(replaces)))
	res := plugin.DiffResult{Changes: plugin.DiffSome, ChangedKeys: changed, ReplaceKeys: replaces}
	if len(replaces) > 0 {
		res.DeleteBeforeReplace = deleteBeforeReplace(string(req.Type), olds, news)
	}
	return res, nil
}

// ignoreInternal leaves out the engine's own bookkeeping keys.
func ignoreInternal(k resource.PropertyKey) bool { return strings.HasPrefix(string(k), "__") }

// diffConfig is the Kubernetes provider's DiffConfig (pulumi-kubernetes v4.32.0, provider/pkg/provider/provider.go,
// (*kubeProvider).DiffConfig): an unknown kubeconfig, context or cluster replaces the provider ("we can't tell for sure
// if a computed value has changed, so we make the conservative choice"), and so does a kubeconfig whose active cluster
// changed; other changes update it. The engine then replaces every resource on a replaced provider.
func (p *provider) diffConfig(_ context.Context, req plugin.DiffConfigRequest) (plugin.DiffConfigResponse, error) {
	olds, news := resource.ToResourcePropertyMap(req.OldInputs), resource.ToResourcePropertyMap(req.NewInputs)
	d := olds.Diff(news, ignoreInternal)
	if d == nil || !d.AnyChanges() {
		return plugin.DiffResult{Changes: plugin.DiffNone}, nil
	}
	if p.pkg != "kubernetes" {
		return plugin.DiffResult{Changes: plugin.DiffSome, ChangedKeys: d.ChangedKeys()}, nil
	}
	for _, key := range []resource.PropertyKey{"kubeconfig", "context", "cluster"} {
		if news[key].ContainsUnknowns() {
			return plugin.DiffResult{Changes: plugin.DiffSome, ChangedKeys: []resource.PropertyKey{key}, ReplaceKeys: []resource.PropertyKey{key}}, nil
		}
	}
	res := plugin.DiffResult{Changes: plugin.DiffSome, ChangedKeys: d.ChangedKeys()}
	// A secret of a real `pulumi stack export` reads as Unreadable offline: whether its cluster changed cannot be
	// told, and the plan says update rather than invent a replacement.
	if activeCluster(olds) != activeCluster(news) && slices.Contains(res.ChangedKeys, "kubeconfig") && activeCluster(olds) != Unreadable {
		res.ReplaceKeys = []resource.PropertyKey{"kubeconfig"}
	}
	return res, nil
}

// activeCluster is the server and certificate of a kubeconfig's current context (getActiveClusterFromConfig).
func activeCluster(config resource.PropertyMap) string {
	v := config["kubeconfig"]
	if v.IsSecret() {
		v = v.SecretValue().Element
	}
	if !v.IsString() {
		return ""
	}
	var kc struct {
		CurrentContext string `json:"current-context"`
		Contexts       []struct {
			Name    string `json:"name"`
			Context struct {
				Cluster string `json:"cluster"`
			} `json:"context"`
		} `json:"contexts"`
		Clusters []struct {
			Name    string         `json:"name"`
			Cluster map[string]any `json:"cluster"`
		} `json:"clusters"`
	}
	if err := json.Unmarshal([]byte(v.StringValue()), &kc); err != nil {
		return v.StringValue()
	}
	name := kc.CurrentContext
	for _, c := range kc.Contexts {
		if c.Name == kc.CurrentContext {
			name = c.Context.Cluster
		}
	}
	for _, c := range kc.Clusters {
		if c.Name == name {
			b, _ := json.Marshal(c.Cluster)
			return string(b)
		}
	}
	return v.StringValue()
}

// construct answers the remote components: pulumi-eks' Cluster registers the EKS control plane
// (aws:eks/cluster:Cluster, named <name>-eksCluster as pulumi-eks v2.8.1's nodejs/eks/cluster.ts createCore names it)
// and the admins' access entries, so that the engine diffs them, and its kubeconfig is unknown at preview when the control plane is being created or
// replaced; a yaml/v2 ConfigFile registers itself only.
func (p *provider) construct(_ context.Context, req plugin.ConstructRequest, monitor *deploytest.ResourceMonitor) (plugin.ConstructResponse, error) {
	inputs := resource.ToResourcePropertyMap(req.Inputs)
	comp, err := monitor.RegisterResource(req.Type, req.Name, false, deploytest.ResourceOptions{
		Parent: req.Parent, Dependencies: req.Options.Dependencies, Providers: req.Options.Providers,
	})
	if err != nil {
		return plugin.ConstructResponse{}, err
	}
	_, outs, err := p.m.NewResource(pulumi.MockResourceArgs{TypeToken: string(req.Type), Name: req.Name, Inputs: inputs})
	if err != nil {
		return plugin.ConstructResponse{}, err
	}
	if req.Type == mocks.TypeEKSCluster {
		known, err := p.controlPlane(req, inputs, comp.URN, monitor)
		if err != nil {
			return plugin.ConstructResponse{}, err
		}
		if !known {
			for _, k := range []resource.PropertyKey{"kubeconfig", "kubeconfigJson", "core"} {
				outs[k] = resource.MakeComputed(resource.NewStringProperty(""))
			}
		}
	}
	if err := monitor.RegisterResourceOutputs(comp.URN, outs); err != nil {
		return plugin.ConstructResponse{}, err
	}
	return plugin.ConstructResponse{URN: comp.URN, Outputs: property.Map(resource.FromResourcePropertyMap(outs))}, nil
}

// controlPlane registers pulumi-eks' aws:eks/cluster:Cluster with the inputs the engine diffs (createCore's
// eksClusterArgs: name, version, roleArn, vpcConfig, accessConfig, encryptionConfig) and reports whether its outputs
// are known.
func (p *provider) controlPlane(req plugin.ConstructRequest, inputs resource.PropertyMap, parent resource.URN, monitor *deploytest.ResourceMonitor) (bool, error) {
	subnets := []resource.PropertyValue{}
	for _, key := range []resource.PropertyKey{"publicSubnetIds", "privateSubnetIds"} {
		if v, ok := inputs[key]; ok && v.IsArray() {
			subnets = append(subnets, v.ArrayValue()...)
		}
	}
	roleArn := resource.NewNullProperty()
	if role, ok := inputs["serviceRole"]; ok {
		if role.IsResourceReference() {
			roleArn = resource.NewStringProperty(string(role.ResourceReferenceValue().URN))
		} else {
			roleArn = role
		}
	}
	child := resource.PropertyMap{
		"name":    inputs["name"],
		"version": inputs["version"],
		"roleArn": roleArn,
		"vpcConfig": resource.NewObjectProperty(resource.PropertyMap{
			"subnetIds":             resource.NewArrayProperty(subnets),
			"endpointPrivateAccess": inputs["endpointPrivateAccess"],
			"endpointPublicAccess":  inputs["endpointPublicAccess"],
			"publicAccessCidrs":     inputs["publicAccessCidrs"],
		}),
		"accessConfig": resource.NewObjectProperty(resource.PropertyMap{"authenticationMode": inputs["authenticationMode"]}),
		"encryptionConfig": resource.NewObjectProperty(resource.PropertyMap{
			"provider": resource.NewObjectProperty(resource.PropertyMap{"keyArn": inputs["encryptionConfigKeyArn"]}),
		}),
	}
	var deps []resource.URN
	for _, urns := range req.Options.PropertyDependencies {
		deps = append(deps, urns...)
	}
	res, err := monitor.RegisterResource(mocks.TypeAWSEKSCluster, req.Name+"-eksCluster", true, deploytest.ResourceOptions{
		Parent: parent, Inputs: child, Dependencies: slices.Compact(slices.Sorted(slices.Values(deps))),
		// pulumi-eks' code asks for the aws plugin it was built with; the engine then shares the program's default
		// aws provider.
		Version: pluginVersions["aws"],
	})
	if err != nil {
		return false, err
	}
	if err := p.accessEntries(req.Name, inputs, parent, res.URN, monitor); err != nil {
		return false, err
	}
	arn, ok := res.Outputs["arn"]
	return ok && !arn.ContainsUnknowns(), nil
}

// accessEntries registers the access entries and policy associations pulumi-eks makes of its accessEntries input,
// named as v2.8.1's nodejs/eks/authenticationMode.ts, createAccessEntries, names them: <component>-<key> and
// <component>-<key>-<association>, with the control plane's name.
func (p *provider) accessEntries(component string, inputs resource.PropertyMap, parent, controlPlane resource.URN, monitor *deploytest.ResourceMonitor) error {
	entries, ok := inputs["accessEntries"]
	if !ok || !entries.IsObject() {
		return nil
	}
	for _, key := range entries.ObjectValue().StableKeys() {
		e := entries.ObjectValue()[key]
		if !e.IsObject() {
			continue
		}
		entry := e.ObjectValue()
		args := resource.PropertyMap{"clusterName": inputs["name"], "principalArn": entry["principalArn"]}
		for _, k := range []resource.PropertyKey{"type", "kubernetesGroups", "tags"} {
			if v, ok := entry[k]; ok {
				args[k] = v
			}
		}
		if v, ok := entry["username"]; ok {
			args["userName"] = v
		}
		res, err := monitor.RegisterResource(mocks.TypeAccessEntry, component+"-"+string(key), true, deploytest.ResourceOptions{
			Parent: parent, Inputs: args, Dependencies: []resource.URN{controlPlane}, Version: pluginVersions["aws"],
		})
		if err != nil {
			return err
		}
		policies, ok := entry["accessPolicies"]
		if !ok || !policies.IsObject() {
			continue
		}
		for _, name := range policies.ObjectValue().StableKeys() {
			a := policies.ObjectValue()[name]
			if !a.IsObject() {
				continue
			}
			assoc := resource.PropertyMap{
				"clusterName": inputs["name"], "principalArn": entry["principalArn"],
				"policyArn": a.ObjectValue()["policyArn"], "accessScope": a.ObjectValue()["accessScope"],
			}
			if _, err := monitor.RegisterResource(mocks.TypeAccessPolicyAssociation, component+"-"+string(key)+"-"+string(name), true, deploytest.ResourceOptions{
				Parent: parent, Inputs: assoc, Dependencies: []resource.URN{controlPlane, res.URN}, Version: pluginVersions["aws"],
			}); err != nil {
				return err
			}
		}
	}
	return nil
}
