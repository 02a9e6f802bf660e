package poolspec

import "k8s.io/apimachinery/pkg/api/resource"

// The types below are the JSON shape of the fields the stack sets on Karpenter's NodePool (karpenter.sh/v1) and
// EC2NodeClass (karpenter.k8s.aws/v1): field names, nesting and encodings are Karpenter's, so Set.Objects sends what
// Karpenter's own Go types would. They stand in for those types because importing them links the controller (and
// with it client-go and controller-runtime) into every program that only declares the objects. The karpenterapi
// package's test decodes every object strictly into Karpenter's types and encodes it back, so a field Karpenter does
// not have, a renamed one or a different encoding fails there instead of drifting.

// API groups and kinds of the objects.
const (
	// Group is Karpenter's core API group (NodePool).
	Group = "karpenter.sh"
	// AWSGroup is Karpenter's AWS API group (EC2NodeClass).
	AWSGroup = "karpenter.k8s.aws"
	// KindNodePool and KindEC2NodeClass are the kinds Set holds.
	KindNodePool     = "NodePool"
	KindEC2NodeClass = "EC2NodeClass"
)

// Well-known label keys the pools' requirements use: Kubernetes' (k8s.io/api/core/v1), Karpenter's
// (sigs.k8s.io/karpenter/pkg/apis/v1) and Karpenter AWS's (karpenter-provider-aws/pkg/apis/v1). The karpenterapi
// test checks each against the constant of the package it comes from.
const (
	LabelArch                    = "kubernetes.io/arch"
	LabelOS                      = "kubernetes.io/os"
	LabelCapacityType            = "karpenter.sh/capacity-type"
	LabelNodePool                = "karpenter.sh/nodepool"
	LabelInstanceCategory        = "karpenter.k8s.aws/instance-category"
	LabelInstanceGeneration      = "karpenter.k8s.aws/instance-generation"
	LabelInstanceSize            = "karpenter.k8s.aws/instance-size"
	LabelInstanceHypervisor      = "karpenter.k8s.aws/instance-hypervisor"
	LabelInstanceGPUManufacturer = "karpenter.k8s.aws/instance-gpu-manufacturer"
)

// Values of those labels and of the NodePool fields the builder sets.
const (
	ArchAmd64             = "amd64"
	ArchArm64             = "arm64"
	CapacityTypeSpot      = "spot"
	CapacityTypeOnDemand  = "on-demand"
	AMIFamilyAL2023       = "AL2023"
	OperatorIn            = "In"
	OperatorNotIn         = "NotIn"
	OperatorGt            = "Gt"
	TaintEffectNoSchedule = "NoSchedule"

	ConsolidationPolicyWhenEmpty                = "WhenEmpty"
	ConsolidationPolicyWhenEmptyOrUnderutilized = "WhenEmptyOrUnderutilized"
)

// TypeMeta is an object's apiVersion and kind.
type TypeMeta struct {
	APIVersion string `json:"apiVersion,omitempty"`
	Kind       string `json:"kind,omitempty"`
}

// ObjectMeta is the part of an object's metadata the builder sets.
type ObjectMeta struct {
	Name   string            `json:"name,omitempty"`
	Labels map[string]string `json:"labels,omitempty"`
}

// NodePool is a karpenter.sh/v1 NodePool.
type NodePool struct {
	TypeMeta
	ObjectMeta `json:"metadata"`
	Spec       NodePoolSpec `json:"spec"`
}

// NodePoolSpec is NodePool.spec.
type NodePoolSpec struct { //nolint:revive // named after Karpenter's NodePoolSpec, whose JSON shape it is
	Template   NodeClaimTemplate            `json:"template"`
	Disruption Disruption                   `json:"disruption"`
	Limits     map[string]resource.Quantity `json:"limits,omitempty"`
	Weight     *int32                       `json:"weight,omitempty"`
}

// NodeClaimTemplate is NodePool.spec.template.
type NodeClaimTemplate struct {
	ObjectMeta `json:"metadata"`
	Spec       NodeClaimTemplateSpec `json:"spec"`
}

// NodeClaimTemplateSpec is NodePool.spec.template.spec. The durations are strings in Karpenter's encoding:
// terminationGracePeriod as Go prints a time.Duration ("24h0m0s"), expireAfter as written ("336h").
type NodeClaimTemplateSpec struct {
	Taints                 []Taint             `json:"taints,omitempty"`
	Requirements           []Requirement       `json:"requirements"`
	NodeClassRef           *NodeClassReference `json:"nodeClassRef"`
	TerminationGracePeriod string              `json:"terminationGracePeriod,omitempty"`
	ExpireAfter            string              `json:"expireAfter,omitempty"`
}

// Taint is a node taint.
type Taint struct {
	Key    string `json:"key"`
	Value  string `json:"value,omitempty"`
	Effect string `json:"effect"`
}

// Requirement is a node selector requirement.
type Requirement struct {
	Key      string   `json:"key"`
	Operator string   `json:"operator,omitempty"`
	Values   []string `json:"values,omitempty"`
}

// NodeClassReference names the EC2NodeClass of a pool.
type NodeClassReference struct {
	Kind  string `json:"kind"`
	Name  string `json:"name"`
	Group string `json:"group"`
}

// Disruption is NodePool.spec.disruption.
type Disruption struct {
	ConsolidateAfter    string   `json:"consolidateAfter"`
	ConsolidationPolicy string   `json:"consolidationPolicy,omitempty"`
	Budgets             []Budget `json:"budgets,omitempty"`
}

// Budget is one disruption budget.
type Budget struct {
	Nodes string `json:"nodes"`
}

// EC2NodeClass is a karpenter.k8s.aws/v1 EC2NodeClass.
type EC2NodeClass struct {
	TypeMeta
	ObjectMeta `json:"metadata"`
	Spec       EC2NodeClassSpec `json:"spec"`
}

// EC2NodeClassSpec is EC2NodeClass.spec.
type EC2NodeClassSpec struct {
	SubnetSelectorTerms        []SelectorTerm        `json:"subnetSelectorTerms"`
	SecurityGroupSelectorTerms []SelectorTerm        `json:"securityGroupSelectorTerms"`
	AMISelectorTerms           []AMISelectorTerm     `json:"amiSelectorTerms"`
	AMIFamily                  *string               `json:"amiFamily,omitempty"`
	Role                       string                `json:"role,omitempty"`
	Tags                       map[string]string     `json:"tags,omitempty"`
	Kubelet                    *KubeletConfiguration `json:"kubelet,omitempty"`
	BlockDeviceMappings        []*BlockDeviceMapping `json:"blockDeviceMappings,omitempty"`
	MetadataOptions            *MetadataOptions      `json:"metadataOptions,omitempty"`
}

// SelectorTerm selects subnets or security groups by tags.
type SelectorTerm struct {
	Tags map[string]string `json:"tags,omitempty"`
}

// AMISelectorTerm selects the AMI by alias or id.
type AMISelectorTerm struct {
	Alias string `json:"alias,omitempty"`
	ID    string `json:"id,omitempty"`
}

// KubeletConfiguration is the part of the kubelet settings the builder sets.
type KubeletConfiguration struct {
	MaxPods *int32 `json:"maxPods,omitempty"`
}

// MetadataOptions are the instances' IMDS settings.
type MetadataOptions struct {
	HTTPEndpoint            *string `json:"httpEndpoint,omitempty"`
	HTTPProtocolIPv6        *string `json:"httpProtocolIPv6,omitempty"`
	HTTPPutResponseHopLimit *int64  `json:"httpPutResponseHopLimit,omitempty"`
	HTTPTokens              *string `json:"httpTokens,omitempty"`
}

// BlockDeviceMapping is one volume of the instances.
type BlockDeviceMapping struct {
	DeviceName *string      `json:"deviceName,omitempty"`
	EBS        *BlockDevice `json:"ebs,omitempty"`
}

// BlockDevice is an EBS volume.
type BlockDevice struct {
	DeleteOnTermination *bool              `json:"deleteOnTermination,omitempty"`
	Encrypted           *bool              `json:"encrypted,omitempty"`
	VolumeSize          *resource.Quantity `json:"volumeSize,omitempty"`
	VolumeType          *string            `json:"volumeType,omitempty"`
}
