// Package mockcloud runs the stack's Pulumi program offline, under Pulumi's mock engine, and records every
// resource it declares with fully resolved inputs. cmd/render prints the recording; the tests assert on it.
//
// The mock answers like AWS and the providers would: invokes (partition, caller identity, SSM AMI parameters, the
// EKS cluster lookup) return realistic values, and resources echo their inputs plus the computed fields the program
// reads (ids, ARNs, names, kubeconfig).
package mockcloud

import (
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
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

// Resource is one declared resource as the engine would receive it.
type Resource struct {
	Type         string         `json:"type"`
	Name         string         `json:"name"`
	Parent       string         `json:"parent,omitempty"`
	Custom       bool           `json:"custom"`
	Inputs       map[string]any `json:"inputs"`
	Dependencies []string       `json:"dependsOn,omitempty"`
	// Read marks a resource the program reads (a Get function) rather than declares.
	Read bool `json:"read,omitempty"`
}

// Recording is what a run declared, in declaration order, and the stack outputs.
type Recording struct {
	mu        sync.Mutex
	Resources []Resource     `json:"resources"`
	Outputs   map[string]any `json:"outputs"`
	// Invokes are the data-source calls the program made (SSM parameters, account, cluster lookup).
	Invokes []Invoke `json:"invokes,omitempty"`
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

// Mocks implements pulumi.MockResourceMonitor and records into Recording.
type Mocks struct {
	Region    string
	Recording *Recording
}

// New returns mocks for region that record into a fresh Recording.
func New(region string) *Mocks {
	return &Mocks{Region: region, Recording: &Recording{Outputs: map[string]any{}}}
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
	var parent string
	var deps []string
	switch {
	case args.RegisterRPC != nil:
		parent, deps = args.RegisterRPC.GetParent(), args.RegisterRPC.GetDependencies()
	case args.ReadRPC != nil:
		parent, deps = args.ReadRPC.GetParent(), args.ReadRPC.GetDependencies()
		rec.Read = true
	}
	rec.Parent = NameOf(parent)
	for _, dep := range deps {
		rec.Dependencies = append(rec.Dependencies, NameOf(dep))
	}
	slices.Sort(rec.Dependencies)
	rec.Dependencies = slices.Compact(rec.Dependencies)
	m.Recording.mu.Lock()
	m.Recording.Resources = append(m.Recording.Resources, rec)
	m.Recording.mu.Unlock()

	outputs := args.Inputs.Copy()
	set := func(k string, v any) {
		if _, ok := outputs[resource.PropertyKey(k)]; !ok {
			outputs[resource.PropertyKey(k)] = resource.NewPropertyValue(v)
		}
	}
	service, kind := serviceOf(args.TypeToken)
	switch args.TypeToken {
	case "eks:index:Cluster":
		name := args.Inputs["name"].StringValue()
		kubeconfig := Kubeconfig(name, m.Region)
		outputs["kubeconfigJson"] = resource.NewStringProperty(kubeconfig)
		outputs["kubeconfig"] = resource.NewStringProperty(kubeconfig)
		outputs["core"] = resource.NewObjectProperty(resource.PropertyMap{
			"endpoint": resource.NewStringProperty(ClusterEndpoint),
			"vpcId":    args.Inputs["vpcId"],
		})
	case "aws:eks/nodeGroup:NodeGroup":
		set("arn", fmt.Sprintf("arn:%s:eks:%s:%s:nodegroup/%s", Partition, m.Region, AccountID, id))
	case "aws:iam/role:Role", "aws:iam/policy:Policy":
		name := args.Name
		if v, ok := args.Inputs["name"]; ok && v.IsString() {
			name = v.StringValue()
		}
		set("name", name)
		set("arn", fmt.Sprintf("arn:%s:iam::%s:%s/%s", Partition, AccountID, kind, name))
	case "aws:kms/key:Key":
		set("keyId", id)
		set("arn", fmt.Sprintf("arn:%s:kms:%s:%s:key/%s", Partition, m.Region, AccountID, id))
	case "aws:sqs/queue:Queue":
		name := args.Name
		if v, ok := args.Inputs["name"]; ok && v.IsString() {
			name = v.StringValue()
		}
		set("name", name)
		set("arn", fmt.Sprintf("arn:%s:sqs:%s:%s:%s", Partition, m.Region, AccountID, name))
		set("url", fmt.Sprintf("https://sqs.%s.amazonaws.com/%s/%s", m.Region, AccountID, name))
	case "kubernetes:core/v1:Service":
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
			"accountId": AccountID, "arn": fmt.Sprintf("arn:%s:iam::%s:user/platform", Partition, AccountID),
			"userId": "AIDAEXAMPLEUSERID", "id": AccountID,
		}), nil
	case "aws:index/getRegion:getRegion":
		return resource.NewPropertyMapFromMap(map[string]any{
			"name": m.Region, "region": m.Region, "id": m.Region, "endpoint": "ec2." + m.Region + ".amazonaws.com",
			"description": m.Region,
		}), nil
	case "aws:index/getAvailabilityZones:getAvailabilityZones":
		zones := []any{m.Region + "a", m.Region + "b", m.Region + "c"}
		return resource.NewPropertyMapFromMap(map[string]any{"names": zones, "zoneIds": zones, "id": m.Region}), nil
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
	case "aws:eks/getCluster:getCluster":
		name := args.Args["name"].StringValue()
		return resource.NewPropertyMapFromMap(map[string]any{
			"name":     name,
			"id":       name,
			"endpoint": ClusterEndpoint,
			"arn":      fmt.Sprintf("arn:%s:eks:%s:%s:cluster/%s", Partition, m.Region, AccountID, name),
			"vpcConfig": map[string]any{
				"clusterSecurityGroupId": ClusterSecurityGroup,
			},
		}), nil
	}
	return nil, fmt.Errorf("mockcloud: no mock for invoke %s", args.Token)
}

// idPrefixes are the prefixes AWS gives the ids of the EC2 resources the stack declares.
var idPrefixes = map[string]string{
	"aws:ec2/vpc:Vpc":                                     "vpc-",
	"aws:ec2/subnet:Subnet":                               "subnet-",
	"aws:ec2/internetGateway:InternetGateway":             "igw-",
	"aws:ec2/natGateway:NatGateway":                       "nat-",
	"aws:ec2/eip:Eip":                                     "eipalloc-",
	"aws:ec2/routeTable:RouteTable":                       "rtb-",
	"aws:ec2/routeTableAssociation:RouteTableAssociation": "rtbassoc-",
	"aws:ec2/securityGroup:SecurityGroup":                 "sg-",
	"aws:kms/key:Key":                                     "",
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
	return "", fmt.Errorf("mockcloud: SSM parameter %s is not mocked", name)
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

// NameOf returns the logical name at the end of a URN.
func NameOf(urn string) string {
	if urn == "" {
		return ""
	}
	if i := strings.LastIndex(urn, "::"); i >= 0 {
		return urn[i+2:]
	}
	return urn
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
