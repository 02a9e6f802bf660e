// Package poolspec owns the Karpenter NodePools and EC2NodeClasses the stack declares, so that the Pulumi component
// and the savings tool read one definition. The objects are typed in Karpenter's JSON shape (types.go) rather than as
// Karpenter's Go types, which would link the controller into the program; karpenterapi turns them into those types.
package poolspec

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"
)

// Pool and EC2NodeClass names.
const (
	// Default is the lab's amd64 pool and the EC2NodeClass shared by the amd64 and Graviton pools.
	Default = "default"
	// Graviton is the arm64 pool that Karpenter prefers by weight.
	Graviton = "graviton"
	// GPU is the NVIDIA pool, and its EC2NodeClass, that stays at zero nodes until a GPU pod asks.
	GPU = "gpu"
)

// DefaultTerminationGracePeriod bounds how long a draining node waits for its pods when PoolSpec sets no period;
// the lab's value.
const DefaultTerminationGracePeriod = 24 * time.Hour

// Disruption settings every pool shares; the values are the lab's.
const (
	expireAfter      = "336h"
	consolidateAfter = "30s"
	disruptionBudget = "50%"
)

// Node labels: workloads select the pools by intent, as in the lab.
const (
	intentLabel = "intent"
	intentApps  = "apps"
	intentGPU   = "gpu"
)

// maxPods is Kubernetes' recommended per-node pod limit, and what EKS's max-pods calculator gives for prefix
// delegation on instances under 30 vCPUs.
const maxPods = 110

// Root volume of every node class.
const (
	rootDevice = "/dev/xvda"
	// rootVolumeSize matches the AL2023 AMI's own root volume.
	rootVolumeSize = "20Gi"
	// gpuRootVolumeSize leaves room for CUDA images, which routinely exceed 10 GB.
	gpuRootVolumeSize = "100Gi"
)

// GPUResource is the extended resource the NVIDIA device plugin advertises; it is the GPU pool's taint key and limit.
const GPUResource = "nvidia.com/gpu"

// Tag keys Build sets on every launched node, as the lab did; Options.Tags may not override them.
const (
	// TagName is "<cluster>-karpenter-<class>", so the EC2 console tells the cluster and node class apart.
	TagName = "Name"
	// TagNodeType is "karpenter-<class>", separating Karpenter's nodes from the managed node group's in billing.
	TagNodeType = "NodeType"
	// TagIntentLabel mirrors the pools' intent label: "apps", or "gpu" on the GPU class.
	TagIntentLabel = "IntentLabel"
)

// PoolSpec holds the per-pool settings the stack configuration chooses.
type PoolSpec struct {
	Enabled       bool
	Weight        int32    // 0 = no weight
	CapacityTypes []string // non-empty subset of "spot", "on-demand"
	CPULimit      string   // Kubernetes quantity, e.g. "16"
	MemoryLimit   string   // e.g. "32Gi"
	GPULimit      string   // nvidia.com/gpu limit, gpu pool only; "" = none
	// TerminationGracePeriod bounds how long a draining node waits for its pods before Karpenter deletes them, and so
	// how long the pool's delete can wait on its nodes; 0 = DefaultTerminationGracePeriod.
	TerminationGracePeriod time.Duration
}

// GracePeriod is the pool's terminationGracePeriod, its default filled in.
func (s PoolSpec) GracePeriod() time.Duration {
	if s.TerminationGracePeriod <= 0 {
		return DefaultTerminationGracePeriod
	}
	return s.TerminationGracePeriod
}

// Options is everything Build needs; the stack maps its configuration to it.
type Options struct {
	ClusterName     string
	NodeRoleName    string            // "KarpenterNodeRole-<cluster>"
	DiscoveryTagKey string            // "karpenter.sh/discovery/<cluster>" (lab) or "karpenter.sh/discovery"; value is always the cluster name
	AMIAlias        string            // e.g. "al2023@v20251120"
	GPUAMIID        string            // AL2023 NVIDIA AMI id resolved from SSM, e.g. "ami-0abc..."
	Tags            map[string]string // extra EC2 tags on launched nodes
	Default         PoolSpec
	Graviton        PoolSpec
	GPU             PoolSpec
}

// Set is the EC2NodeClasses and NodePools of the enabled pools, in apply order.
type Set struct {
	NodeClasses []*EC2NodeClass
	NodePools   []*NodePool
}

var (
	amiIDPattern = regexp.MustCompile(`^ami-[0-9a-z]+$`)
	// AliasFamilies are the alias families Karpenter accepts (its awsv1.AMIFamily* constants; karpenterapi's test
	// checks the list); Karpenter's EC2NodeClass.AMIFamily calls log.Fatalf on any other, so a bad alias must never
	// reach a Set.
	AliasFamilies = []string{"AL2", AMIFamilyAL2023, "Bottlerocket", "Windows2019", "Windows2022", "Windows2025"}
	capacityTypes = []string{CapacityTypeSpot, CapacityTypeOnDemand}
)

// Build validates o and returns the objects of the enabled pools: classes default then gpu, pools default, graviton,
// gpu. It also refuses a node class with an empty selector term (selectorTermErrors), naming the class and the term
// next to the Options field that caused it.
func Build(o Options) (*Set, error) {
	classes := o.nodeClasses()
	errs := []error{o.validate()}
	for _, nc := range classes {
		errs = append(errs, nc.selectorTermErrors()...)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	set := &Set{NodeClasses: classes}
	if o.Default.Enabled {
		set.NodePools = append(set.NodePools, defaultPool(o.Default))
	}
	if o.Graviton.Enabled {
		set.NodePools = append(set.NodePools, gravitonPool(o.Graviton))
	}
	if o.GPU.Enabled {
		set.NodePools = append(set.NodePools, gpuPool(o.GPU))
	}
	return set, nil
}

// Objects returns every object as the JSON-ready map a client applies: classes first, since pools reference them.
func (s *Set) Objects() ([]map[string]any, error) {
	objs := make([]map[string]any, 0, len(s.NodeClasses)+len(s.NodePools))
	for _, nc := range s.NodeClasses {
		obj, err := toMap(nc)
		if err != nil {
			return nil, fmt.Errorf("EC2NodeClass %q: %w", nc.Name, err)
		}
		objs = append(objs, obj)
	}
	for _, np := range s.NodePools {
		obj, err := toMap(np)
		if err != nil {
			return nil, fmt.Errorf("NodePool %q: %w", np.Name, err)
		}
		objs = append(objs, obj)
	}
	return objs, nil
}

func toMap(obj any) (map[string]any, error) {
	raw, err := json.Marshal(obj)
	if err != nil {
		return nil, fmt.Errorf("marshal: %w", err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("unmarshal: %w", err)
	}
	return m, nil
}

// nodeClasses builds the classes of the enabled pools. Unlike the pools, they build from any Options, so Build can
// check their selector terms even when o is invalid.
func (o Options) nodeClasses() []*EC2NodeClass {
	var classes []*EC2NodeClass
	if o.Default.Enabled || o.Graviton.Enabled {
		classes = append(classes, o.nodeClass(Default, intentApps, AMISelectorTerm{Alias: o.AMIAlias}, nil, rootVolumeSize))
	}
	if o.GPU.Enabled {
		classes = append(classes, o.nodeClass(GPU, intentGPU, AMISelectorTerm{ID: o.GPUAMIID}, new(AMIFamilyAL2023),
			gpuRootVolumeSize))
	}
	return classes
}

func (o Options) nodeClass(name, intent string, ami AMISelectorTerm, family *string, volumeSize string) *EC2NodeClass {
	discovery := map[string]string{o.DiscoveryTagKey: o.ClusterName}
	tags := map[string]string{
		TagName:        o.ClusterName + "-karpenter-" + name,
		TagNodeType:    "karpenter-" + name,
		TagIntentLabel: intent,
	}
	maps.Copy(tags, o.Tags)
	return &EC2NodeClass{
		TypeMeta:   TypeMeta{APIVersion: AWSGroup + "/v1", Kind: KindEC2NodeClass},
		ObjectMeta: ObjectMeta{Name: name},
		Spec: EC2NodeClassSpec{
			SubnetSelectorTerms:        []SelectorTerm{{Tags: discovery}},
			SecurityGroupSelectorTerms: []SelectorTerm{{Tags: discovery}},
			AMISelectorTerms:           []AMISelectorTerm{ami},
			AMIFamily:                  family,
			Role:                       o.NodeRoleName,
			Tags:                       tags,
			// The vpc-cni add-on hands out /28 prefixes (ENABLE_PREFIX_DELEGATION), so a node's pod count is no longer
			// bounded by its ENIs' IPs; without this Karpenter keeps the ENI-limited count (29 on an m6i.large).
			Kubelet: &KubeletConfiguration{MaxPods: new(int32(maxPods))},
			// IMDSv2 only, and a hop limit of 1 so pods cannot borrow the node role; pods use Pod Identity.
			MetadataOptions: &MetadataOptions{
				HTTPEndpoint:            new("enabled"),
				HTTPProtocolIPv6:        new("disabled"),
				HTTPPutResponseHopLimit: new(int64(1)),
				HTTPTokens:              new("required"),
			},
			BlockDeviceMappings: []*BlockDeviceMapping{{
				DeviceName: new(rootDevice),
				EBS: &BlockDevice{
					VolumeSize:          new(resource.MustParse(volumeSize)),
					VolumeType:          new("gp3"),
					Encrypted:           new(true),
					DeleteOnTermination: new(true),
				},
			}},
		},
	}
}

// newPool returns a pool with the settings every pool shares; callers add requirements, taints and labels.
func newPool(name, class string, spec PoolSpec, policy string, requirements ...Requirement) *NodePool {
	limits := map[string]resource.Quantity{
		"cpu":    resource.MustParse(spec.CPULimit),
		"memory": resource.MustParse(spec.MemoryLimit),
	}
	if spec.GPULimit != "" {
		limits[GPUResource] = resource.MustParse(spec.GPULimit)
	}
	var weight *int32
	if spec.Weight != 0 {
		weight = new(spec.Weight)
	}
	return &NodePool{
		TypeMeta:   TypeMeta{APIVersion: Group + "/v1", Kind: KindNodePool},
		ObjectMeta: ObjectMeta{Name: name},
		Spec: NodePoolSpec{
			Template: NodeClaimTemplate{
				Spec: NodeClaimTemplateSpec{
					Requirements: requirements,
					NodeClassRef: &NodeClassReference{
						Group: AWSGroup,
						Kind:  KindEC2NodeClass,
						Name:  class,
					},
					ExpireAfter: expireAfter,
					// Karpenter encodes it as a metav1.Duration: Go's time.Duration.String().
					TerminationGracePeriod: spec.GracePeriod().String(),
				},
			},
			Disruption: Disruption{
				ConsolidationPolicy: policy,
				ConsolidateAfter:    consolidateAfter,
				Budgets:             []Budget{{Nodes: disruptionBudget}},
			},
			Limits: limits,
			Weight: weight,
		},
	}
}

func defaultPool(spec PoolSpec) *NodePool {
	np := newPool(Default, Default, spec, ConsolidationPolicyWhenEmptyOrUnderutilized,
		in(LabelArch, ArchAmd64),
		in(LabelOS, "linux"),
		in(LabelCapacityType, spec.CapacityTypes...),
		notIn(LabelInstanceSize, "nano", "micro", "small"),
		gt(LabelInstanceGeneration, "2"),
	)
	np.Spec.Template.Labels = map[string]string{intentLabel: intentApps}
	return np
}

// gravitonPool allows every current c/m/r Graviton (generation 6 and up is Graviton2 or later: c6g/c6gd/c6gn,
// c7g/c7gd/c7gn, c8g, m6g/m6gd, m7g/m7gd, m8g, r6g/r6gd, r7g/r7gd, r8g in sizes medium and up) so that spot has
// dozens of instance types to choose from. Only Nitro-virtualized types qualify: bare metal (sizes "metal",
// "metal-24xl", "metal-48xl", which a size NotIn cannot list exhaustively) has no hypervisor, and one such node dwarfs
// the pool's limits.
func gravitonPool(spec PoolSpec) *NodePool {
	np := newPool(Graviton, Default, spec, ConsolidationPolicyWhenEmptyOrUnderutilized,
		in(LabelArch, ArchArm64),
		in(LabelOS, "linux"),
		in(LabelCapacityType, spec.CapacityTypes...),
		in(LabelInstanceCategory, "c", "m", "r"),
		gt(LabelInstanceGeneration, "5"),
		notIn(LabelInstanceSize, "nano", "micro", "small"),
		in(LabelInstanceHypervisor, "nitro"),
	)
	np.Spec.Template.Labels = map[string]string{intentLabel: intentApps}
	return np
}

// gpuPool takes only g-category NVIDIA instances: amd64 because the NVIDIA AMI is x86_64 (g5g is arm64), and
// g rather than p because p-class instances cost an order of magnitude more. It consolidates only when empty so
// a running GPU job is never moved to save money, and returns to zero nodes 30 s after the last GPU pod leaves.
func gpuPool(spec PoolSpec) *NodePool {
	np := newPool(GPU, GPU, spec, ConsolidationPolicyWhenEmpty,
		in(LabelArch, ArchAmd64),
		in(LabelOS, "linux"),
		in(LabelCapacityType, spec.CapacityTypes...),
		in(LabelInstanceGPUManufacturer, "nvidia"),
		in(LabelInstanceCategory, "g"),
		gt(LabelInstanceGeneration, "3"),
	)
	np.Spec.Template.Labels = map[string]string{intentLabel: intentGPU}
	np.Spec.Template.Spec.Taints = []Taint{{Key: GPUResource, Value: "true", Effect: TaintEffectNoSchedule}}
	return np
}

// in copies values because callers pass PoolSpec.CapacityTypes, which the caller still owns.
func in(key string, values ...string) Requirement {
	return Requirement{Key: key, Operator: OperatorIn, Values: slices.Clone(values)}
}

func notIn(key string, values ...string) Requirement {
	return Requirement{Key: key, Operator: OperatorNotIn, Values: values}
}

func gt(key, value string) Requirement {
	return Requirement{Key: key, Operator: OperatorGt, Values: []string{value}}
}

// validate reports every problem at once, each naming the Options field and its value.
func (o Options) validate() error {
	var errs []error
	bad := func(field string, value any, why string) {
		errs = append(errs, fmt.Errorf("nodepool: Options.%s = %q: %s", field, fmt.Sprint(value), why))
	}
	if o.ClusterName == "" {
		bad("ClusterName", o.ClusterName, "required")
	}
	if o.NodeRoleName == "" {
		bad("NodeRoleName", o.NodeRoleName, "required")
	}
	if o.DiscoveryTagKey == "" {
		bad("DiscoveryTagKey", o.DiscoveryTagKey, "required")
	}
	if !o.Default.Enabled && !o.Graviton.Enabled && !o.GPU.Enabled {
		errs = append(errs, errors.New("nodepool: Options.Default, Options.Graviton and Options.GPU are all disabled: enable at least one pool"))
	}
	if o.Default.Enabled || o.Graviton.Enabled {
		if family, version, ok := strings.Cut(o.AMIAlias, "@"); !ok || version == "" ||
			!slices.ContainsFunc(AliasFamilies, func(f string) bool { return strings.ToLower(f) == family }) {
			bad("AMIAlias", o.AMIAlias, "want <family>@<version> with family one of al2, al2023, bottlerocket, windows2019, windows2022, windows2025")
		}
	}
	if o.GPU.Enabled && !amiIDPattern.MatchString(o.GPUAMIID) {
		bad("GPUAMIID", o.GPUAMIID, "want an AMI id like ami-0123456789abcdef0 when the GPU pool is enabled")
	}
	for _, k := range slices.Sorted(maps.Keys(o.Tags)) {
		switch k {
		case "":
			bad(`Tags[""]`, o.Tags[k], "empty tag key")
		case TagName, TagNodeType, TagIntentLabel:
			bad("Tags["+k+"]", o.Tags[k], "key is set by nodepool and cannot be overridden")
		}
	}
	errs = append(errs, o.Default.validate("Default", false)...)
	errs = append(errs, o.Graviton.validate("Graviton", false)...)
	errs = append(errs, o.GPU.validate("GPU", true)...)
	// The Graviton pool is the cheaper one; Karpenter only tries it first if its weight is higher.
	if o.Default.Enabled && o.Graviton.Enabled && o.Graviton.Weight <= o.Default.Weight {
		bad("Graviton.Weight", o.Graviton.Weight, fmt.Sprintf("must be greater than Default.Weight (%d) so Graviton is preferred", o.Default.Weight))
	}
	return errors.Join(errs...)
}

func (p PoolSpec) validate(pool string, gpu bool) []error {
	if !p.Enabled {
		return nil
	}
	var errs []error
	bad := func(field string, value any, why string) {
		errs = append(errs, fmt.Errorf("nodepool: Options.%s.%s = %q: %s", pool, field, fmt.Sprint(value), why))
	}
	if p.Weight < 0 || p.Weight > 100 {
		bad("Weight", p.Weight, "want 0 (no weight) to 100")
	}
	if len(p.CapacityTypes) == 0 {
		bad("CapacityTypes", p.CapacityTypes, "want a non-empty subset of spot, on-demand")
	}
	for i, ct := range p.CapacityTypes {
		switch {
		case !slices.Contains(capacityTypes, ct):
			bad(fmt.Sprintf("CapacityTypes[%d]", i), ct, "want spot or on-demand")
		case slices.Index(p.CapacityTypes, ct) != i:
			bad(fmt.Sprintf("CapacityTypes[%d]", i), ct, "duplicate")
		}
	}
	checkQuantity := func(field, value string) {
		q, err := resource.ParseQuantity(value)
		switch {
		case value == "":
			bad(field, value, "required")
		case err != nil:
			bad(field, value, "not a Kubernetes quantity: "+err.Error())
		case q.Sign() <= 0:
			bad(field, value, "must be positive")
		}
	}
	checkQuantity("CPULimit", p.CPULimit)
	checkQuantity("MemoryLimit", p.MemoryLimit)
	if p.GPULimit != "" {
		if gpu {
			checkQuantity("GPULimit", p.GPULimit)
		} else {
			bad("GPULimit", p.GPULimit, "only the GPU pool takes a GPU limit")
		}
	}
	return errs
}
