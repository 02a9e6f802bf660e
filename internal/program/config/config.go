// Package config owns the stack configuration: one struct, read once from Pulumi config, validated once.
//
// Pulumi.yaml's `config:` block is the single home of every key's type, default and description; the engine
// (and cmd/render, through internal/program/project) hands the program the merged values. This package parses them,
// and Validate reports every problem at once, naming the key, the value and what is allowed.
package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Project is the Pulumi project name; every key below lives in its namespace.
const Project = "karpenter-savings"

// RegionKey is the AWS provider's region key, read from the same config.
const RegionKey = "aws:region"

// Keys of the project namespace, exactly as Pulumi.yaml declares them.
const (
	KeyClusterName                = "clusterName"
	KeyKubernetesVersion          = "kubernetesVersion"
	KeyVpcCidr                    = "vpcCidr"
	KeyAvailabilityZones          = "availabilityZones"
	KeyNatGateways                = "natGateways"
	KeyDiscoveryTag               = "discoveryTag"
	KeyEndpointPublicAccessCidrs  = "endpointPublicAccessCidrs"
	KeyClusterAdminPrincipals     = "clusterAdminPrincipalArns"
	KeyNodeGroupInstanceTypes     = "nodeGroupInstanceTypes"
	KeyNodeGroupCapacityType      = "nodeGroupCapacityType"
	KeyNodeGroupMinSize           = "nodeGroupMinSize"
	KeyNodeGroupMaxSize           = "nodeGroupMaxSize"
	KeyNodeGroupDesiredSize       = "nodeGroupDesiredSize"
	KeyTags                       = "tags"
	KeyKarpenterVersion           = "karpenterVersion"
	KeyKarpenterNamespace         = "karpenterNamespace"
	KeyKarpenterReplicas          = "karpenterReplicas"
	KeyKarpenterControllerCPU     = "karpenterControllerCpu"
	KeyKarpenterControllerMemory  = "karpenterControllerMemory"
	KeyNodeAMIVersion             = "nodeAmiVersion"
	KeyNodePools                  = "nodePools"
	KeyNvidiaDevicePluginVersion  = "nvidiaDevicePluginVersion"
	KeySampleAppEnabled           = "sampleAppEnabled"
	KeySampleAppManifestURL       = "sampleAppManifestUrl"
	KeySampleAppCPURequest        = "sampleAppDefaultCpuRequest"
	KeySampleAppMemoryRequest     = "sampleAppDefaultMemoryRequest"
	KeySavingsWorkloads           = "savingsWorkloads"
	KeyActivateCostAllocationTags = "activateCostAllocationTags"
)

// Keys lists every project key, in Pulumi.yaml order; a loader reads exactly these.
var Keys = []string{
	KeyClusterName, KeyKubernetesVersion, KeyVpcCidr, KeyAvailabilityZones, KeyNatGateways, KeyDiscoveryTag,
	KeyEndpointPublicAccessCidrs, KeyClusterAdminPrincipals, KeyNodeGroupInstanceTypes, KeyNodeGroupCapacityType, KeyNodeGroupMinSize,
	KeyNodeGroupMaxSize, KeyNodeGroupDesiredSize, KeyTags, KeyKarpenterVersion, KeyKarpenterNamespace,
	KeyKarpenterReplicas, KeyKarpenterControllerCPU, KeyKarpenterControllerMemory, KeyNodeAMIVersion,
	KeyNodePools, KeyNvidiaDevicePluginVersion, KeySampleAppEnabled, KeySampleAppManifestURL,
	KeySampleAppCPURequest, KeySampleAppMemoryRequest, KeySavingsWorkloads, KeyActivateCostAllocationTags,
}

// The cost allocation tags activateCostAllocationTags activates: keys Karpenter puts on every instance it launches
// (karpenter-provider-aws v1.14.4, pkg/controllers/nodeclaim/tagging), by which `savings billed` groups the bill, and
// the key EKS puts on the managed node group's instances, by which it finds the node group's share. They are
// internal/ops/costtags' NodePoolKey, ClusterKey and NodeGroupClusterKey, spelled here because the program links no
// AWS SDK (a test in tests/ keeps them equal).
const (
	CostTagNodePool         = "karpenter.sh/nodepool"
	CostTagCluster          = "eks:eks-cluster-name"
	CostTagNodeGroupCluster = "eks:cluster-name"
)

// CostAllocationTags are the cost allocation tag keys.
var CostAllocationTags = []string{CostTagNodePool, CostTagCluster, CostTagNodeGroupCluster}

// NAT gateway modes.
const (
	NatSingle = "single"
	NatPerAZ  = "per-az"
)

// Discovery tag styles: the lab's per-cluster key, or Karpenter's documented shared key.
const (
	DiscoveryPerCluster = "per-cluster"
	DiscoveryShared     = "shared"
)

// NodeAMIRecommended resolves the AL2023 release from SSM's `recommended` parameter at preview time.
const NodeAMIRecommended = "recommended"

// Config is the whole stack configuration, parsed and validated.
type Config struct {
	Region                    string
	ClusterName               string
	KubernetesVersion         string
	VpcCidr                   string
	AvailabilityZones         []string
	NatGateways               string
	DiscoveryTag              string
	EndpointPublicAccessCidrs []string
	ClusterAdminPrincipalArns []string
	NodeGroup                 NodeGroup
	Tags                      map[string]string
	Karpenter                 Karpenter
	NodeAMIVersion            string
	NodePools                 NodePools
	NvidiaDevicePluginVersion string
	SampleApp                 SampleApp
	// SavingsWorkloads are the manifests `savings diff` prices a change on, relative to the project directory.
	SavingsWorkloads []string
	// ActivateCostAllocationTags makes the stack activate CostAllocationTags in Cost Explorer.
	ActivateCostAllocationTags bool
}

// NodeGroup sizes the critical-add-ons managed node group.
type NodeGroup struct {
	InstanceTypes []string
	CapacityType  string
	MinSize       int
	MaxSize       int
	DesiredSize   int
}

// Karpenter configures the controller release.
type Karpenter struct {
	Version          string
	Namespace        string
	Replicas         int
	ControllerCPU    string
	ControllerMemory string
}

// NodePools holds the three pools' settings, as the `nodePools` object in config.
type NodePools struct {
	Default  Pool `json:"default"`
	Graviton Pool `json:"graviton"`
	GPU      Pool `json:"gpu"`
}

// Pool is one NodePool's tunables. Its cpu and memory limits are either set (CPU and Memory) or derived from
// MaxMonthlyUSD, never both.
type Pool struct {
	Enabled       bool     `json:"enabled"`
	Weight        int32    `json:"weight"`
	CapacityTypes []string `json:"capacityTypes"`
	CPU           string   `json:"cpu,omitempty"`
	Memory        string   `json:"memory,omitempty"`
	GPU           string   `json:"gpu,omitempty"`
	// MaxMonthlyUSD is the pool's budget in dollars per month, kept as the JSON value so that Validate, not the
	// decoder, refuses a string or a hostile number at its key; NodePoolOptions derives the limits from it.
	MaxMonthlyUSD json.RawMessage `json:"maxMonthlyUSD,omitempty"`
	// TerminationGracePeriod is the NodePool's spec.template.spec.terminationGracePeriod, as Karpenter writes it
	// ("24h", "90m"): how long a draining node waits for its pods before Karpenter deletes them. Absent, it is
	// DefaultTerminationGracePeriod, as Pulumi.yaml's description says.
	TerminationGracePeriod string `json:"terminationGracePeriod,omitempty"`
}

// DefaultTerminationGracePeriod is a pool's terminationGracePeriod when its nodePools entry leaves it out: the lab's.
const DefaultTerminationGracePeriod = 24 * time.Hour

// MaxTerminationGracePeriod bounds a pool's terminationGracePeriod: a week, past which a node kept draining is a
// stuck node, and `pulumi up` or `pulumi destroy` would wait that long on the pool's delete.
const MaxTerminationGracePeriod = 7 * 24 * time.Hour

// terminationGracePeriodPattern is the pattern Karpenter's NodePool CRD gives the field (sigs.k8s.io/karpenter
// v1.14.3, pkg/apis/crds/karpenter.sh_nodepools.yaml, spec.template.spec.terminationGracePeriod).
var terminationGracePeriodPattern = regexp.MustCompile(`^([0-9]+(s|m|h))+$`)

// GracePeriod returns the pool's terminationGracePeriod; Validate has refused one that does not parse.
func (p Pool) GracePeriod() time.Duration {
	if p.TerminationGracePeriod == "" {
		return DefaultTerminationGracePeriod
	}
	d, err := time.ParseDuration(p.TerminationGracePeriod)
	if err != nil {
		return DefaultTerminationGracePeriod
	}
	return d
}

// gracePeriodProblem says what is wrong with a terminationGracePeriod value, or "".
func gracePeriodProblem(v string) string {
	if v == "" {
		return ""
	}
	d, err := time.ParseDuration(v)
	if err != nil || !terminationGracePeriodPattern.MatchString(v) {
		return fmt.Sprintf("%q is not a duration Karpenter accepts: whole hours, minutes and seconds such as 24h, 90m or 1h30m", v)
	}
	if d <= 0 || d > MaxTerminationGracePeriod {
		return fmt.Sprintf("%q is not allowed: from 1s to %s (a week); a node draining longer is stuck, and pulumi up and destroy wait that long for the pool's delete", v, "168h")
	}
	return ""
}

// SampleApp configures the retail store sample application.
type SampleApp struct {
	Enabled     bool
	ManifestURL string
	// CPURequest and MemoryRequest go to every container the manifest leaves without a request or limit.
	CPURequest, MemoryRequest string
}

// Lookup returns the raw value of a fully qualified key ("project:key" or "aws:region"). A key that is not set
// returns an error for which errors.Is(err, ErrMissing) holds.
type Lookup func(key string) (string, error)

// ErrMissing marks a key that has no value at all.
var ErrMissing = errors.New("not set")

// Values is a stack's merged configuration: fully qualified keys ("project:key", "aws:region") to the string the
// engine passes to the program (objects and arrays as JSON).
type Values map[string]string

// Lookup reads v in the shape Load reads, reporting unset keys with ErrMissing.
func (v Values) Lookup(key string) (string, error) {
	s, ok := v[key]
	if !ok {
		return "", ErrMissing
	}
	return s, nil
}

// Load reads every key through lookup, then validates the result. The returned error joins every problem.
func Load(lookup Lookup) (*Config, error) {
	r := reader{lookup: lookup}
	c := &Config{
		Region:                    r.str(RegionKey),
		ClusterName:               r.str(Project + ":" + KeyClusterName),
		KubernetesVersion:         r.str(Project + ":" + KeyKubernetesVersion),
		VpcCidr:                   r.str(Project + ":" + KeyVpcCidr),
		AvailabilityZones:         r.strings(Project + ":" + KeyAvailabilityZones),
		NatGateways:               r.str(Project + ":" + KeyNatGateways),
		DiscoveryTag:              r.str(Project + ":" + KeyDiscoveryTag),
		EndpointPublicAccessCidrs: r.strings(Project + ":" + KeyEndpointPublicAccessCidrs),
		ClusterAdminPrincipalArns: r.strings(Project + ":" + KeyClusterAdminPrincipals),
		NodeGroup: NodeGroup{
			InstanceTypes: r.strings(Project + ":" + KeyNodeGroupInstanceTypes),
			CapacityType:  r.str(Project + ":" + KeyNodeGroupCapacityType),
			MinSize:       r.int(Project + ":" + KeyNodeGroupMinSize),
			MaxSize:       r.int(Project + ":" + KeyNodeGroupMaxSize),
			DesiredSize:   r.int(Project + ":" + KeyNodeGroupDesiredSize),
		},
		Tags: r.stringMap(Project + ":" + KeyTags),
		Karpenter: Karpenter{
			Version:          r.str(Project + ":" + KeyKarpenterVersion),
			Namespace:        r.str(Project + ":" + KeyKarpenterNamespace),
			Replicas:         r.int(Project + ":" + KeyKarpenterReplicas),
			ControllerCPU:    r.str(Project + ":" + KeyKarpenterControllerCPU),
			ControllerMemory: r.str(Project + ":" + KeyKarpenterControllerMemory),
		},
		NodeAMIVersion:            r.str(Project + ":" + KeyNodeAMIVersion),
		NvidiaDevicePluginVersion: r.str(Project + ":" + KeyNvidiaDevicePluginVersion),
		SampleApp: SampleApp{
			Enabled:       r.bool(Project + ":" + KeySampleAppEnabled),
			ManifestURL:   r.str(Project + ":" + KeySampleAppManifestURL),
			CPURequest:    r.str(Project + ":" + KeySampleAppCPURequest),
			MemoryRequest: r.str(Project + ":" + KeySampleAppMemoryRequest),
		},
		SavingsWorkloads:           r.strings(Project + ":" + KeySavingsWorkloads),
		ActivateCostAllocationTags: r.bool(Project + ":" + KeyActivateCostAllocationTags),
	}
	r.object(Project+":"+KeyNodePools, &c.NodePools)
	r.complete(Project+":"+KeyNodePools, []string{"default", "graviton", "gpu"}, "enabled")
	if len(r.errs) > 0 {
		return nil, errors.Join(r.errs...)
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// reader collects parse errors so that Load reports all of them at once.
type reader struct {
	lookup Lookup
	errs   []error
}

func (r *reader) raw(key string) (string, bool) {
	v, err := r.lookup(key)
	if err != nil {
		if errors.Is(err, ErrMissing) {
			r.errs = append(r.errs, fmt.Errorf("%s: %w (Pulumi.yaml declares its default; set it with `pulumi config set %s`)", key, ErrMissing, shortKey(key)))
		} else {
			r.errs = append(r.errs, fmt.Errorf("%s: %w", key, err))
		}
		return "", false
	}
	return v, true
}

func (r *reader) str(key string) string {
	v, _ := r.raw(key)
	return v
}

func (r *reader) int(key string) int {
	v, ok := r.raw(key)
	if !ok {
		return 0
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		r.errs = append(r.errs, fmt.Errorf("%s: %q is not an integer", key, v))
	}
	return n
}

func (r *reader) bool(key string) bool {
	v, ok := r.raw(key)
	if !ok {
		return false
	}
	b, err := strconv.ParseBool(strings.TrimSpace(v))
	if err != nil {
		r.errs = append(r.errs, fmt.Errorf("%s: %q is not a boolean (true or false)", key, v))
	}
	return b
}

func (r *reader) strings(key string) []string {
	var out []string
	r.object(key, &out)
	return out
}

func (r *reader) stringMap(key string) map[string]string {
	out := map[string]string{}
	r.object(key, &out)
	return out
}

// object decodes a JSON value strictly, so that a misspelt field is an error rather than a silent default.
func (r *reader) object(key string, into any) {
	v, ok := r.raw(key)
	if !ok {
		return
	}
	dec := json.NewDecoder(strings.NewReader(v))
	dec.DisallowUnknownFields()
	if err := dec.Decode(into); err != nil {
		r.errs = append(r.errs, fmt.Errorf("%s: %q is not valid: %w", key, truncate(v), err))
		return
	}
	if dec.More() {
		r.errs = append(r.errs, fmt.Errorf("%s: %q has trailing data after the JSON value", key, truncate(v)))
	}
}

// complete requires an object key to list every member, each with the fields in required. Pulumi replaces an
// object default wholesale (`pulumi config set --path` writes only the path it is given), so a member or a field
// left out would otherwise decode to its zero value: a pool silently disabled.
func (r *reader) complete(key string, members []string, required ...string) {
	v, err := r.lookup(key)
	if err != nil {
		return // raw() already reported it
	}
	var obj map[string]map[string]json.RawMessage
	if json.Unmarshal([]byte(v), &obj) != nil {
		return // object() already reported it
	}
	for _, m := range members {
		fields, ok := obj[m]
		if !ok {
			r.errs = append(r.errs, fmt.Errorf("%s.%s: missing; %s must list %s in full (copy the default from Pulumi.yaml into the stack file and edit it there)",
				key, m, key, strings.Join(members, ", ")))
			continue
		}
		for _, f := range required {
			if _, ok := fields[f]; !ok {
				r.errs = append(r.errs, fmt.Errorf("%s.%s.%s: must be set (true or false); a pool is never enabled or disabled by omission", key, m, f))
			}
		}
	}
}

func shortKey(key string) string {
	if rest, ok := strings.CutPrefix(key, Project+":"); ok {
		return rest
	}
	return key
}

func truncate(s string) string {
	const max = 120
	if len(s) > max {
		return s[:max] + "…"
	}
	return s
}
