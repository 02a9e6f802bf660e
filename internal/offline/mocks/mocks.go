// Package mocks runs the stack's Pulumi program offline, under Pulumi's mock engine, and records every
// resource it declares with fully resolved inputs. cmd/render prints the recording; the tests assert on it.
//
// The mock answers like AWS and the providers would: invokes (partition, caller identity, SSM AMI parameters, the
// EKS cluster and access-entry lookups) return realistic values, and resources echo their inputs plus the computed
// fields the program reads (ids, ARNs, names, kubeconfig).
package mocks

import (
	"cmp"
	"fmt"
	"hash/fnv"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/karpenter-savings/karpenter-savings/internal/program/karpenteriam"
	"github.com/karpenter-savings/karpenter-savings/internal/program/pulumik8s"
)

// Fixed identity of the mocked AWS account.
const (
	AccountID             = "123456789012"
	Partition             = "aws"
	ClusterSecurityGroup  = "sg-0c1a2b3c4d5e6f708"
	AL2023ReleaseVersion  = "1.35.0-20251120"
	NvidiaAMIID           = "ami-0f1e2d3c4b5a69788"
	UIServiceHostname     = "k8s-retailst-ui-0123456789-0123456789abcdef.elb.us-east-1.amazonaws.com"
	ClusterEndpoint       = "https://0123456789ABCDEF0123456789ABCDEF.gr7.us-east-1.eks.amazonaws.com"
	clusterCertificateB64 = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUMvakNDQWVhZ0F3SUJBZ0lCQURBTkJna3Foa2lHOXcwQkFRc0ZBREFWTVJNd0VRWURWUVFERXdwcmRXSmwKLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo="
)

// Resource is one declared resource as the engine would receive it. Parent, Provider and Dependencies are URNs:
// logical names are not unique across types (a subnet, its route table and its association share one).
type Resource struct {
	URN    string `json:"urn"`
	Type   string `json:"type"`
	Name   string `json:"name"`
	Parent string `json:"parent,omitempty"`
	// Provider is the URN of the resource's explicit provider, if it has one.
	Provider string         `json:"provider,omitempty"`
	Custom   bool           `json:"custom"`
	Inputs   map[string]any `json:"inputs"`
	// Dependencies are the URNs the engine records for the resource: its explicit dependsOn (a component expanded
	// to its children, as the SDK does) and the resources its inputs came from.
	Dependencies []string `json:"dependsOn,omitempty"`
	// PropertyDependencies are, per input, the URNs its value came from: the engine replaces a dependent of a
	// delete-before-replace resource only when such an input forces it to.
	PropertyDependencies map[string][]string `json:"propertyDependencies,omitempty"`
	// DeleteBeforeReplace is the resource option: a replacement deletes the old resource before creating the new one.
	DeleteBeforeReplace bool `json:"deleteBeforeReplace,omitempty"`
	// ReplaceOnChanges are the resource option's input paths whose change forces a replacement.
	ReplaceOnChanges []string `json:"replaceOnChanges,omitempty"`
	// IgnoreChanges are the resource option's input paths whose changes the engine leaves out of its diff.
	IgnoreChanges []string `json:"ignoreChanges,omitempty"`
	// RetainOnDelete is the resource option: `pulumi destroy` removes the resource from the state, not from the cloud.
	RetainOnDelete bool `json:"retainOnDelete,omitempty"`
	// DeleteTimeout is the customTimeouts resource option's delete timeout, as the program wrote it ("24h15m0s"); the
	// engine records it in the state and passes it to the provider's Delete.
	DeleteTimeout string `json:"deleteTimeout,omitempty"`
	// ImportID is the import resource option: the id of an existing cloud resource the engine adopts instead of
	// creating one.
	ImportID string `json:"importId,omitempty"`
	// PhysicalName is the name the cloud sees: the explicit name input, or the logical name plus the 8 characters
	// Pulumi's auto-naming appends. Empty for types without a name.
	PhysicalName string `json:"physicalName,omitempty"`
	// Read marks a resource the program reads (a Get function) rather than declares.
	Read bool `json:"read,omitempty"`
	// ReadID is the id a read resource is looked up by.
	ReadID string `json:"readId,omitempty"`
	// Emulated marks an object a Helm release installs, rendered offline (internal/offline/deep); Helm, not the Pulumi
	// engine, creates and deletes it.
	Emulated bool `json:"emulated,omitempty"`
}

// Recording is what a run declared, in declaration order, and the stack outputs.
type Recording struct {
	mu        sync.Mutex
	Resources []Resource     `json:"resources"`
	Outputs   map[string]any `json:"outputs"`
	// Invokes are the data-source calls the program made (SSM parameters, account, cluster lookup).
	Invokes []Invoke `json:"invokes,omitempty"`
	// Notes say what the render could not show.
	Notes []string `json:"notes,omitempty"`

	transforms map[string][]pulumi.ResourceTransform // by URN: the transforms the program registered
}

// Transform runs on child, a resource a remote component's own code registers, what the engine runs on it: the
// transforms registered on its parent and on each ancestor, nearest first (pkg/resource/deploy/source_eval.go). Only
// the properties are used.
func (r *Recording) Transform(child Resource) (Resource, error) {
	var transforms []pulumi.ResourceTransform
	for urn := child.Parent; urn != ""; {
		transforms = append(transforms, r.transforms[urn]...)
		parent, _ := r.ByURN(urn)
		urn = parent.Parent
	}
	if len(transforms) == 0 {
		return child, nil
	}
	props := resource.NewPropertyMapFromMap(child.Inputs)
	for _, t := range transforms {
		out, err := applyTransform(t, child.Type, child.Name, child.Custom, props)
		if err != nil {
			return child, err
		}
		props = out
	}
	child.Inputs = Plain(props)
	return child, nil
}

// Invoke is one data-source call and its arguments.
type Invoke struct {
	Token string         `json:"token"`
	Args  map[string]any `json:"args"`
}

// ByType returns the recorded resources of one type token, e.g. "aws:ec2/vpc:Vpc".
func (r *Recording) ByType(token string) []Resource {
	var out []Resource
	for _, res := range r.Resources {
		if res.Type == token {
			out = append(out, res)
		}
	}
	return out
}

// Named returns the resource with the given type and name.
func (r *Recording) Named(token, name string) (Resource, bool) {
	for _, res := range r.Resources {
		if res.Type == token && res.Name == name {
			return res, true
		}
	}
	return Resource{}, false
}

// One returns the resource with the given type and name, or an error that lists the names declared with that type.
func (r *Recording) One(token, name string) (Resource, error) {
	if res, ok := r.Named(token, name); ok {
		return res, nil
	}
	var names []string
	for _, res := range r.ByType(token) {
		names = append(names, res.Name)
	}
	return Resource{}, fmt.Errorf("no %s named %q; declared: %q", token, name, names)
}

// ByURN returns the resource with the given URN.
func (r *Recording) ByURN(urn string) (Resource, bool) {
	for _, res := range r.Resources {
		if res.URN == urn {
			return res, true
		}
	}
	return Resource{}, false
}

// ProviderNamespace is the default namespace of the Kubernetes provider with URN provider: its namespace setting,
// else "default" (the mocked kubeconfig's context names none). pulumi-kubernetes puts a namespaced object that
// names no namespace there.
func (r *Recording) ProviderNamespace(provider string) string {
	if p, ok := r.ByURN(provider); ok && provider != "" {
		if ns, _ := p.Inputs["namespace"].(string); ns != "" {
			return ns
		}
	}
	return DefaultNamespace
}

// Descendants returns the URNs of every resource below urn in the parent tree, nearest first.
func (r *Recording) Descendants(urn string) []string {
	children := map[string][]string{}
	for _, res := range r.Resources {
		if res.Parent != "" {
			children[res.Parent] = append(children[res.Parent], res.URN)
		}
	}
	return descendants(children, urn)
}

// descendants walks a parent -> children map breadth first from root.
func descendants(children map[string][]string, root string) []string {
	var out []string
	queue := []string{root}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		out = append(out, children[n]...)
		queue = append(queue, children[n]...)
	}
	return out
}

// Outlives returns the URNs of every resource that `pulumi destroy` deletes only after the resource urn: what it
// depends on, its provider and its ancestors, transitively. The engine deletes a resource before its dependencies,
// its provider and its parent; and a dependency on a component is a dependency on the component's children too
// (pkg/resource/graph/dependency_graph.go, DependenciesOf: "for remote components, the dependencies will not include
// the transitive set of children directly, but will include the parent component"). The engine counts the children
// registered before the dependent resource; the render is sorted by name, so here every child counts except urn
// itself and its own descendants, which is the same set for a dependency on a component that has finished
// constructing (a remote component's outputs resolve after its children register).
func (r *Recording) Outlives(urn string) map[string]bool {
	edges := map[string][]string{}
	children := map[string][]string{}
	custom := map[string]bool{}
	for _, res := range r.Resources {
		next := slices.Clone(res.Dependencies)
		if res.Parent != "" {
			next = append(next, res.Parent)
			children[res.Parent] = append(children[res.Parent], res.URN)
		}
		if res.Provider != "" {
			next = append(next, res.Provider)
		}
		edges[res.URN] = next
		custom[res.URN] = res.Custom
	}
	own := map[string]bool{urn: true}
	for _, d := range descendants(children, urn) {
		own[d] = true
	}
	seen := map[string]bool{}
	stack := []string{urn}
	visit := func(d string) {
		if !seen[d] && !own[d] {
			seen[d] = true
			stack = append(stack, d)
		}
	}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		res, _ := r.ByURN(n)
		for _, d := range edges[n] {
			visit(d)
			if d != res.Parent && !custom[d] {
				for _, c := range descendants(children, d) {
					visit(c)
				}
			}
		}
	}
	return seen
}

// Mocks implements pulumi.MockResourceMonitor and records into Recording.
type Mocks struct {
	Region    string
	Recording *Recording
	// Account is what exists in the mocked account before the program runs; the zero value is an empty account,
	// as on a first `pulumi up`.
	Account Account
	// constructors register remote components' children, by type token (WithConstructor).
	constructors map[string]Constructor
	// dryRun runs the program as a preview (WithDryRun).
	dryRun bool
}

// Account is the state of the mocked account that the program looks up.
type Account struct {
	Clusters       []string // EKS clusters, by name
	SpotRoleExists bool     // the EC2 Spot service-linked role exists
	// AccessEntries are the access entries of the clusters above: principal ARN to the entry's tags (nil for the
	// untagged entry EKS makes for a cluster's creator). The lookup of any other principal fails as the provider's does.
	AccessEntries map[string]map[string]string
	// AccessEntryErr, when set, fails every access-entry lookup, as a denied or throttled call would.
	AccessEntryErr error
	// Karpenter, when its Region is set, is the Karpenter IAM an earlier deploy of ClusterName left in the account,
	// scoped to Region: the controller role and its policies, which IAM holds for every region.
	Karpenter KarpenterIAM
	// ClusterVersion and ClusterVpcCidr are what EKS and EC2 answer for the running clusters above: their Kubernetes
	// version and their VPC's CIDR. Empty, they are the dev stack's (DevKubernetesVersion, DevVpcCidr).
	ClusterVersion, ClusterVpcCidr string
	// CallerArn is the identity running the program, as sts:GetCallerIdentity returns it; empty is CallerArn().
	CallerArn string
	// Roles and Users are the account's IAM roles and users beside the Spot service-linked role, by ARN with path,
	// as aws:iam/getRoles and aws:iam/getUsers list them.
	Roles, Users []string
}

// KarpenterIAM is the fixed-name Karpenter IAM of a deployed stack.
type KarpenterIAM struct {
	ClusterName, Region string
	// NoPolicy leaves the controller role without its policies, as an interrupted first deploy can.
	NoPolicy bool
}

// The dev stack's Kubernetes version and VPC CIDR (Pulumi.yaml and Pulumi.dev.yaml): what a cluster the dev stack
// deployed runs with.
const (
	DevKubernetesVersion = "1.35"
	DevVpcCidr           = "10.42.0.0/20"
	// ClusterVpcID is the VPC the mocked running cluster is in.
	ClusterVpcID = "vpc-0a1b2c3d4e5f60718"
)

// DefaultCallerArn is the identity the mocks run the program as unless Account.CallerArn says otherwise.
var DefaultCallerArn = fmt.Sprintf("arn:%s:iam::%s:user/platform", Partition, AccountID)

// caller returns the identity running the program.
func (a Account) caller() string {
	if a.CallerArn != "" {
		return a.CallerArn
	}
	return DefaultCallerArn
}

// listIAM answers aws:iam/getRoles and aws:iam/getUsers over arns as the data sources do (terraform-provider-aws,
// internal/service/iam/roles_data_source.go and users_data_source.go): IAM lists what is under pathPrefix ("/" when
// unset), then names not matching nameRegex are dropped.
func listIAM(args resource.PropertyMap, arns []string) (map[string]any, error) {
	prefix := "/"
	if v, ok := args["pathPrefix"]; ok && v.IsString() && v.StringValue() != "" {
		prefix = v.StringValue()
	}
	var re *regexp.Regexp
	if v, ok := args["nameRegex"]; ok && v.IsString() && v.StringValue() != "" {
		var err error
		if re, err = regexp.Compile(v.StringValue()); err != nil {
			return nil, fmt.Errorf("nameRegex %q: %w", v.StringValue(), err)
		}
	}
	names, out := []any{}, []any{}
	for _, arn := range arns {
		m := iamARN.FindStringSubmatch(arn)
		if m == nil {
			return nil, fmt.Errorf("mocks: %q is not an IAM role or user ARN", arn)
		}
		path, name := m[1], m[2]
		if !strings.HasPrefix(path, prefix) || (re != nil && !re.MatchString(name)) {
			continue
		}
		names, out = append(names, name), append(out, arn)
	}
	return map[string]any{"names": names, "arns": out}, nil
}

// iamARN splits an IAM role or user ARN into its path and name.
var iamARN = regexp.MustCompile(`^arn:[^:]+:iam::[0-9]{12}:(?:role|user)(/(?:[^/]+/)*)([^/]+)$`)

// AccessEntryNotFound is the error a Go program sees when it looks up, with aws:eks/getAccessEntry:getAccessEntry,
// a principal that has no access entry on the cluster: the data source's not-found diagnostic
// (terraform-provider-aws v5.100.0, internal/service/eks/access_entry_datasource.go, dataSourceAccessEntryRead), as
// the bridge and the engine wrap it (the blank line multierror ends it with is left out).
func AccessEntryNotFound(cluster, principalARN string) error {
	return fmt.Errorf("rpc error: code = Unknown desc = invocation of aws:eks/getAccessEntry:getAccessEntry returned an error: "+
		"invoking aws:eks/getAccessEntry:getAccessEntry: 1 error occurred:\n\t* reading EKS Access Entry (%s:%s): couldn't find resource",
		cluster, principalARN)
}

// New returns mocks for region that record into a fresh Recording.
func New(region string) *Mocks {
	return &Mocks{Region: region, Recording: &Recording{Outputs: map[string]any{}}, constructors: map[string]Constructor{}}
}

// NewResource records a resource and returns its inputs plus computed outputs.
func (m *Mocks) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	id := physicalID(args.TypeToken, args.Name)
	if args.ID != "" {
		id = args.ID
	}
	rec := Resource{
		Type:   args.TypeToken,
		Name:   args.Name,
		Custom: args.Custom,
		Inputs: Plain(args.Inputs),
	}
	// A declared resource arrives as a RegisterResource call, a read one (Get*) as a ReadResource call.
	var parent, provider string
	var deps []string
	switch {
	case args.RegisterRPC != nil:
		rpc := args.RegisterRPC
		parent, deps, provider = rpc.GetParent(), rpc.GetDependencies(), rpc.GetProvider()
		rec.DeleteBeforeReplace = rpc.GetDeleteBeforeReplace()
		rec.ReplaceOnChanges = rpc.GetReplaceOnChanges()
		rec.IgnoreChanges = rpc.GetIgnoreChanges()
		rec.RetainOnDelete = rpc.GetRetainOnDelete()
		rec.DeleteTimeout = rpc.GetCustomTimeouts().GetDelete()
		rec.ImportID = rpc.GetImportId()
		for key, pd := range rpc.GetPropertyDependencies() {
			if urns := pd.GetUrns(); len(urns) > 0 {
				if rec.PropertyDependencies == nil {
					rec.PropertyDependencies = map[string][]string{}
				}
				rec.PropertyDependencies[key] = slices.Compact(slices.Sorted(slices.Values(urns)))
			}
		}
	case args.ReadRPC != nil:
		parent, deps, provider = args.ReadRPC.GetParent(), args.ReadRPC.GetDependencies(), args.ReadRPC.GetProvider()
		rec.Read, rec.ReadID = true, args.ReadRPC.GetId()
	}
	rec.URN = ChildURN(parent, args.TypeToken, args.Name)
	if p := resource.URN(parent); p.IsValid() && p.QualifiedType() != resource.RootStackType {
		rec.Parent = parent
	}
	rec.Provider = providerURN(provider)
	rec.Dependencies = slices.Compact(slices.Sorted(slices.Values(deps)))

	outputs := args.Inputs.Copy()
	if prop, ok := autoNamed[args.TypeToken]; ok {
		rec.PhysicalName = physicalName(args.Inputs, prop, args.Name, rec.URN)
		outputs[resource.PropertyKey(prop)] = resource.NewStringProperty(rec.PhysicalName)
	}
	if err := m.record(rec, args.Transforms); err != nil {
		return "", nil, err
	}

	set := func(k string, v any) {
		if _, ok := outputs[resource.PropertyKey(k)]; !ok {
			outputs[resource.PropertyKey(k)] = resource.NewPropertyValue(v)
		}
	}
	service, kind := serviceOf(args.TypeToken)
	switch args.TypeToken {
	case TypeEKSCluster:
		name := args.Inputs["name"].StringValue()
		kubeconfig := Kubeconfig(name, m.Region)
		outputs["kubeconfigJson"] = resource.NewStringProperty(kubeconfig)
		outputs["kubeconfig"] = resource.NewStringProperty(kubeconfig)
		outputs["core"] = resource.NewObjectProperty(resource.PropertyMap{
			"endpoint": resource.NewStringProperty(ClusterEndpoint),
			"vpcId":    args.Inputs["vpcId"],
		})
	case TypeNodeGroup:
		set("arn", fmt.Sprintf("arn:%s:eks:%s:%s:nodegroup/%s", Partition, m.Region, AccountID, id))
	case TypeRole, TypePolicy:
		set("arn", fmt.Sprintf("arn:%s:iam::%s:%s/%s", Partition, AccountID, kind, rec.PhysicalName))
	case TypeKey:
		set("keyId", id)
		set("arn", fmt.Sprintf("arn:%s:kms:%s:%s:key/%s", Partition, m.Region, AccountID, id))
	case TypeQueue:
		name := rec.PhysicalName
		set("arn", fmt.Sprintf("arn:%s:sqs:%s:%s:%s", Partition, m.Region, AccountID, name))
		set("url", fmt.Sprintf("https://sqs.%s.amazonaws.com/%s/%s", m.Region, AccountID, name))
	case TypeService:
		outputs["status"] = resource.NewObjectProperty(resource.PropertyMap{
			"loadBalancer": resource.NewObjectProperty(resource.PropertyMap{
				"ingress": resource.NewArrayProperty([]resource.PropertyValue{
					resource.NewObjectProperty(resource.PropertyMap{"hostname": resource.NewStringProperty(UIServiceHostname)}),
				}),
			}),
		})
	default:
		if strings.HasPrefix(args.TypeToken, "aws:") && args.Custom {
			set("arn", fmt.Sprintf("arn:%s:%s:%s:%s:%s/%s", Partition, service, m.Region, AccountID, kind, id))
		}
	}
	return id, outputs, nil
}

// record appends rec to the recording.
func (m *Mocks) record(rec Resource, transforms []pulumi.ResourceTransform) error {
	m.Recording.mu.Lock()
	defer m.Recording.mu.Unlock()
	m.Recording.Resources = append(m.Recording.Resources, rec)
	if len(transforms) > 0 {
		if m.Recording.transforms == nil {
			m.Recording.transforms = map[string][]pulumi.ResourceTransform{}
		}
		m.Recording.transforms[rec.URN] = transforms
	}
	return nil
}

// Constructor registers the children a remote component's own provider code registers when the engine constructs
// component, and returns them; rec is the render so far.
type Constructor func(project, stack string, rec *Recording, component Resource) ([]Resource, error)

// Construct registers, for each remote component that has a constructor (WithConstructor), the children its code
// registers, right after the component: the engine records a remote component's children while it constructs the
// component. A ConfigFile without one stays a box with its inputs, as in `pulumi preview` before it constructs it.
func (m *Mocks) Construct(project, stack string) error {
	var out []Resource
	for _, rec := range m.Recording.Resources {
		out = append(out, rec)
		construct, ok := m.constructors[rec.Type]
		if !ok {
			if rec.Type == pulumik8s.ConfigFileType {
				m.Recording.Notes = append(m.Recording.Notes, fmt.Sprintf("%s %s: a remote component; the objects it applies are shown with --deep", rec.Type, rec.Name))
			}
			continue
		}
		children, err := construct(project, stack, m.Recording, rec)
		if err != nil {
			return err
		}
		out = append(out, children...)
	}
	m.Recording.Resources = out
	return nil
}

// autoNamed maps each type the stack declares that Pulumi auto-names to the input that holds its name.
var autoNamed = map[string]string{
	TypeRole:              "name",
	TypePolicy:            "name",
	TypeQueue:             "name",
	TypeEventRule:         "name",
	TypeSecurityGroup:     "name",
	TypeNodeGroup:         "nodeGroupName",
	pulumik8s.ReleaseType: "name",
}

// physicalName is the name input prop when the program sets it, else the provider's name from the input
// prop+"Prefix" when the program sets that, else what Pulumi's auto-naming makes of the logical name: a dash and 7
// random hex characters (here derived from the URN, so renders are reproducible).
func physicalName(inputs resource.PropertyMap, prop, logical, urn string) string {
	if v, ok := inputs[resource.PropertyKey(prop)]; ok && v.IsString() {
		return v.StringValue()
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(urn))
	if v, ok := inputs[resource.PropertyKey(prop+"Prefix")]; ok && v.IsString() {
		// The provider's own name from a prefix: Terraform's id.PrefixedUniqueId appends 26 characters, a UTC
		// timestamp to the ten-thousandth of a second and an 8-digit hex counter (terraform-plugin-sdk helper/id).
		return fmt.Sprintf("%s%s%08x", v.StringValue(), "202601010000000000", h.Sum32())
	}
	return fmt.Sprintf("%s-%07x", logical, h.Sum32()&0xfffffff)
}

// ChildURN is the URN the engine gives a resource of type token named name under parent: the parent's qualified
// type is part of it, as in the mock monitor and the real engine.
func ChildURN(parent, token, name string) string {
	p := resource.URN(parent)
	if !p.IsValid() {
		return string(resource.NewURN("", "", "", tokens.Type(token), name))
	}
	parentType := tokens.Type("")
	if p.QualifiedType() != resource.RootStackType {
		parentType = p.QualifiedType()
	}
	return string(resource.NewURN(p.Stack(), p.Project(), parentType, tokens.Type(token), name))
}

// providerURN strips the id from a provider reference ("<urn>::<id>").
func providerURN(ref string) string {
	if i := strings.LastIndex(ref, "::"); i >= 0 && strings.HasPrefix(ref, "urn:") {
		return ref[:i]
	}
	return ref
}

// Call answers invokes with the values AWS would return for the mocked account.
func (m *Mocks) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	m.Recording.mu.Lock()
	m.Recording.Invokes = append(m.Recording.Invokes, Invoke{Token: args.Token, Args: Plain(args.Args)})
	m.Recording.mu.Unlock()
	switch args.Token {
	case "aws:index/getPartition:getPartition":
		return resource.NewPropertyMapFromMap(map[string]any{
			"partition": Partition, "dnsSuffix": "amazonaws.com", "reverseDnsPrefix": "com.amazonaws", "id": Partition,
		}), nil
	case "aws:index/getCallerIdentity:getCallerIdentity":
		return resource.NewPropertyMapFromMap(map[string]any{
			"accountId": AccountID, "arn": m.Account.caller(),
			"userId": "AIDAEXAMPLEUSERID", "id": AccountID,
		}), nil
	case "aws:index/getRegion:getRegion":
		return resource.NewPropertyMapFromMap(map[string]any{
			"name": m.Region, "region": m.Region, "id": m.Region, "endpoint": "ec2." + m.Region + ".amazonaws.com",
			"description": m.Region,
		}), nil
	case "aws:index/getAvailabilityZones:getAvailabilityZones":
		names, ids := Zones(m.Region)
		return resource.NewPropertyMapFromMap(map[string]any{"names": toAny(names), "zoneIds": toAny(ids), "id": m.Region}), nil
	case "aws:ssm/getParameter:getParameter":
		name := args.Args["name"].StringValue()
		value, err := ssmParameter(name)
		if err != nil {
			return nil, err
		}
		return resource.NewPropertyMapFromMap(map[string]any{
			"name": name, "value": value, "insecureValue": value, "type": "String", "version": 1, "id": name,
			"arn": fmt.Sprintf("arn:%s:ssm:%s::parameter%s", Partition, m.Region, name),
		}), nil
	case "aws:eks/getClusters:getClusters":
		return resource.NewPropertyMapFromMap(map[string]any{"names": toAny(m.Account.Clusters), "id": m.Region}), nil
	case "aws:iam/getRoles:getRoles":
		roles := slices.Clone(m.Account.Roles)
		if m.Account.SpotRoleExists {
			roles = append(roles, karpenteriam.Scope{Partition: Partition, AccountID: AccountID}.SpotServiceLinkedRoleARN())
		}
		if k := m.Account.Karpenter; k.Region != "" {
			// The controller role an earlier deploy left, at the root path.
			scope := karpenteriam.Scope{Partition: Partition, AccountID: AccountID, ClusterName: k.ClusterName}
			roles = append(roles, fmt.Sprintf("arn:%s:iam::%s:role/%s", Partition, AccountID, scope.ControllerRoleName()))
		}
		out, err := listIAM(args.Args, roles)
		if err != nil {
			return nil, err
		}
		out["id"] = m.Region
		return resource.NewPropertyMapFromMap(out), nil
	case "aws:iam/getUsers:getUsers":
		out, err := listIAM(args.Args, m.Account.Users)
		if err != nil {
			return nil, err
		}
		out["id"] = m.Region
		return resource.NewPropertyMapFromMap(out), nil
	case "aws:eks/getAccessEntry:getAccessEntry":
		cluster, arn := args.Args["clusterName"].StringValue(), args.Args["principalArn"].StringValue()
		tags, ok := m.Account.AccessEntries[arn]
		switch {
		case m.Account.AccessEntryErr != nil:
			return nil, m.Account.AccessEntryErr
		case !ok || !slices.Contains(m.Account.Clusters, cluster):
			return nil, AccessEntryNotFound(cluster, arn)
		}
		tagValues := map[string]any{}
		for k, v := range tags {
			tagValues[k] = v
		}
		h := fnv.New64a()
		_, _ = h.Write([]byte(arn))
		return resource.NewPropertyMapFromMap(map[string]any{
			"id":               cluster + ":" + arn,
			"clusterName":      cluster,
			"principalArn":     arn,
			"accessEntryArn":   fmt.Sprintf("arn:%s:eks:%s:%s:access-entry/%s/%016x", Partition, m.Region, AccountID, cluster, h.Sum64()),
			"type":             "STANDARD",
			"userName":         arn,
			"kubernetesGroups": []any{},
			"tags":             tagValues,
			"tagsAll":          tagValues,
		}), nil
	case "aws:iam/getPolicy:getPolicy":
		arn := args.Args["arn"].StringValue()
		k := m.Account.Karpenter
		scope := karpenteriam.Scope{Partition: Partition, Region: k.Region, AccountID: AccountID, ClusterName: k.ClusterName}
		for _, p := range karpenteriam.ControllerPolicies(scope) {
			if k.Region == "" || k.NoPolicy || scope.PolicyARN(p.Name) != arn {
				continue
			}
			doc, err := p.Document.JSON()
			if err != nil {
				return nil, err
			}
			return resource.NewPropertyMapFromMap(map[string]any{
				"arn": arn, "id": arn, "name": p.Name, "path": "/", "policy": doc, "policyId": "ANPAEXAMPLE" + p.ID,
			}), nil
		}
		// A policy IAM does not hold fails the lookup; the program does not read the error's text.
		return nil, fmt.Errorf("reading IAM Policy (%s): couldn't find resource", arn)
	case "aws:eks/getCluster:getCluster":
		name := args.Args["name"].StringValue()
		return resource.NewPropertyMapFromMap(map[string]any{
			"name":     name,
			"id":       name,
			"endpoint": ClusterEndpoint,
			"arn":      fmt.Sprintf("arn:%s:eks:%s:%s:cluster/%s", Partition, m.Region, AccountID, name),
			"version":  cmp.Or(m.Account.ClusterVersion, DevKubernetesVersion),
			"vpcConfig": map[string]any{
				"clusterSecurityGroupId": ClusterSecurityGroup,
				"vpcId":                  ClusterVpcID,
			},
		}), nil
	case "aws:ec2/getVpc:getVpc":
		id := args.Args["id"].StringValue()
		if id != ClusterVpcID {
			return nil, fmt.Errorf("mocks: no VPC %s in the mocked account", id)
		}
		return resource.NewPropertyMapFromMap(map[string]any{
			"id": id, "cidrBlock": cmp.Or(m.Account.ClusterVpcCidr, DevVpcCidr), "default": false, "state": "available",
			"arn": fmt.Sprintf("arn:%s:ec2:%s:%s:vpc/%s", Partition, m.Region, AccountID, id),
		}), nil
	}
	return nil, fmt.Errorf("mocks: no mock for invoke %s", args.Token)
}

// zoneLetters are the availability zones regions offer (ec2:DescribeAvailabilityZones, standard zones); regions not
// listed have a, b and c.
var zoneLetters = map[string]string{
	"us-east-1": "abcdef", "us-east-2": "abc", "us-west-1": "ac", "us-west-2": "abcd", "ca-central-1": "abd",
	"eu-west-1": "abc", "eu-central-1": "abc", "ap-northeast-1": "acd", "ap-northeast-2": "abcd", "sa-east-1": "abc",
}

// Zones are the region's availability zone names and ids as the mocked account sees them.
func Zones(region string) (names, ids []string) {
	letters, ok := zoneLetters[region]
	if !ok {
		letters = "abc"
	}
	short := regionShort(region)
	for i, l := range letters {
		names = append(names, region+string(l))
		ids = append(ids, fmt.Sprintf("%s-az%d", short, i+1))
	}
	return names, ids
}

// regionShort is the prefix of a region's zone ids, e.g. "use1" for us-east-1.
func regionShort(region string) string {
	parts := strings.Split(region, "-")
	if len(parts) != 3 {
		return region
	}
	return parts[0] + string(parts[1][0]) + parts[2]
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// idPrefixes are the prefixes AWS gives the ids of the EC2 resources the stack declares.
var idPrefixes = map[string]string{
	TypeVpc:                   "vpc-",
	TypeSubnet:                "subnet-",
	TypeInternetGateway:       "igw-",
	TypeNatGateway:            "nat-",
	TypeEip:                   "eipalloc-",
	TypeRouteTable:            "rtb-",
	TypeRouteTableAssociation: "rtbassoc-",
	TypeSecurityGroup:         "sg-",
	TypeKey:                   "",
}

// physicalID makes a stable, AWS-shaped id from the logical name, so renders are reproducible.
func physicalID(token, name string) string {
	prefix, ok := idPrefixes[token]
	if !ok {
		return name + "-id"
	}
	h := fnv.New64a()
	_, _ = h.Write([]byte(token + "::" + name))
	return fmt.Sprintf("%s%017x", prefix, h.Sum64())[:len(prefix)+17]
}

// ssmParameter answers the public EKS AMI parameters the stack reads.
func ssmParameter(name string) (string, error) {
	switch {
	case strings.HasSuffix(name, "/recommended/release_version"):
		return AL2023ReleaseVersion, nil
	case strings.Contains(name, "/nvidia/") && strings.HasSuffix(name, "/image_id"):
		return NvidiaAMIID, nil
	case strings.HasSuffix(name, "/recommended/image_id"):
		return "ami-0123456789abcdef0", nil
	}
	return "", fmt.Errorf("mocks: SSM parameter %s is not mocked", name)
}

// serviceOf splits "aws:ec2/vpc:Vpc" into ("ec2", "vpc").
func serviceOf(token string) (service, kind string) {
	parts := strings.Split(token, ":")
	if len(parts) != 3 {
		return "", ""
	}
	service, kind, _ = strings.Cut(parts[1], "/")
	return service, kind
}

// Kubeconfig is the kubeconfig pulumi-eks would return, with a token from `aws eks get-token`.
func Kubeconfig(cluster, region string) string {
	return fmt.Sprintf(`{"apiVersion":"v1","kind":"Config","clusters":[{"name":"kubernetes","cluster":{"server":%q,"certificate-authority-data":%q}}],`+
		`"contexts":[{"name":"aws","context":{"cluster":"kubernetes","user":"aws"}}],"current-context":"aws",`+
		`"users":[{"name":"aws","user":{"exec":{"apiVersion":"client.authentication.k8s.io/v1beta1","command":"aws",`+
		`"args":["eks","get-token","--cluster-name",%q,"--region",%q,"--output","json"]}}}]}`,
		ClusterEndpoint, clusterCertificateB64, cluster, region)
}

// Plain converts a property map into JSON-ready Go values: secrets become "[secret]", unknowns "[unknown]".
func Plain(m resource.PropertyMap) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[string(k)] = plainValue(v)
	}
	return out
}

func plainValue(v resource.PropertyValue) any {
	switch {
	case v.IsNull():
		return nil
	case v.IsSecret():
		return "[secret]"
	case v.IsComputed(), v.IsOutput() && !v.OutputValue().Known:
		return "[unknown]"
	case v.IsOutput():
		return plainValue(v.OutputValue().Element)
	case v.IsObject():
		return Plain(v.ObjectValue())
	case v.IsArray():
		arr := v.ArrayValue()
		out := make([]any, len(arr))
		for i, e := range arr {
			out[i] = plainValue(e)
		}
		return out
	case v.IsResourceReference():
		ref := v.ResourceReferenceValue()
		return "[resource " + string(ref.URN) + "]"
	case v.IsAsset(), v.IsArchive():
		return "[asset]"
	default:
		return v.V
	}
}
