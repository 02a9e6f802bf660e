package config

import (
	"errors"
	"fmt"
	"net/netip"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/karpenter-savings/karpenter-savings/internal/program/karpenteriam"
	"github.com/karpenter-savings/karpenter-savings/internal/program/poolspec"
	"github.com/karpenter-savings/karpenter-savings/internal/program/principal"
	"github.com/karpenter-savings/karpenter-savings/internal/program/samplemanifest"
)

// SupportedKarpenterMinor is the Karpenter minor version this stack's IAM policies, CRD validation and Go
// modules are built from; another minor could need different permissions or accept different objects.
const SupportedKarpenterMinor = "1.14"

// MaxPublicAccessCidrs is EKS's limit on the CIDR blocks of the public API endpoint.
const MaxPublicAccessCidrs = 40

// MaxClusterNameLength keeps `KarpenterControllerRole-<cluster>`, the longest name derived from it, within IAM's
// 64-character role-name limit (EKS itself allows 100).
const MaxClusterNameLength = karpenteriam.MaxClusterName

var (
	regionPattern       = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]+$`)
	zonePattern         = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]+[a-z]$`)
	clusterNamePattern  = regexp.MustCompile(`^[0-9A-Za-z][A-Za-z0-9_-]*$`)
	k8sVersionPattern   = regexp.MustCompile(`^1\.([0-9]+)$`)
	instanceTypePattern = regexp.MustCompile(`^[a-z][a-z0-9-]*\.[a-z0-9-]+$`)
	semverPattern       = regexp.MustCompile(`^([0-9]+)\.([0-9]+)\.([0-9]+)$`)
	amiVersionPattern   = regexp.MustCompile(`^v[0-9]{8}$`)
)

// Validate checks every field as of today; see ValidateAt.
func (c *Config) Validate() error { return c.ValidateAt(time.Now()) }

// ValidateAt checks every field and returns all problems at once, each naming its key, the value and what is
// allowed. now decides which Kubernetes versions EKS still creates.
func (c *Config) ValidateAt(now time.Time) error {
	var errs problems
	add := errs.add

	if !regionPattern.MatchString(c.Region) {
		add(RegionKey, "%q is not an AWS region (e.g. us-east-1); set it with `pulumi config set aws:region us-east-1`", c.Region)
	}
	switch {
	case c.ClusterName == "":
		add(KeyClusterName, "must not be empty")
	case len(c.ClusterName) > MaxClusterNameLength:
		add(KeyClusterName, "%q is %d characters; at most %d are allowed so that KarpenterControllerRole-<clusterName> fits IAM's 64-character limit", c.ClusterName, len(c.ClusterName), MaxClusterNameLength)
	case !clusterNamePattern.MatchString(c.ClusterName):
		add(KeyClusterName, "%q is not a valid EKS cluster name: it must start with a letter or digit and contain only letters, digits, '-' and '_'", c.ClusterName)
	}
	if w, ok := kubernetesVersions[c.KubernetesVersion]; !ok {
		add(KeyKubernetesVersion, "%q is not supported: allowed are %s (the versions EKS still creates that Karpenter %s supports)", c.KubernetesVersion, strings.Join(SupportedKubernetesVersions(now), ", "), SupportedKarpenterMinor)
	} else if !now.Before(w.ExtendedEnd) {
		add(KeyKubernetesVersion, "%q left EKS extended support on %s: EKS no longer creates it (and upgrades existing clusters itself); allowed today are %s",
			c.KubernetesVersion, w.ExtendedEnd.Format(time.DateOnly), strings.Join(SupportedKubernetesVersions(now), ", "))
	}
	errs = append(errs, c.validateNetwork()...)
	errs = append(errs, c.validateNodeGroup()...)
	errs = append(errs, validateTags(c.Tags)...)
	errs = append(errs, c.validateKarpenter()...)
	errs = append(errs, c.NodePools.validate(c.Region)...)
	if c.NodeAMIVersion != NodeAMIRecommended && !amiVersionPattern.MatchString(c.NodeAMIVersion) {
		add(KeyNodeAMIVersion, "%q is not allowed: use %q (resolve the newest AL2023 release from SSM) or a release tag like v20251120", c.NodeAMIVersion, NodeAMIRecommended)
	}
	if c.NodePools.GPU.Enabled && !semverPattern.MatchString(c.NvidiaDevicePluginVersion) {
		add(KeyNvidiaDevicePluginVersion, "%q is not a chart version like 0.17.1 (the GPU pool is enabled, and its nodes only advertise nvidia.com/gpu with the plugin)", c.NvidiaDevicePluginVersion)
	}
	if len(c.SavingsWorkloads) == 0 {
		add(KeySavingsWorkloads, "must list at least one manifest (e.g. [\"examples/retail-store.yaml\"]): `savings diff` prices every change on them")
	}
	for _, w := range c.SavingsWorkloads {
		if w == "" || filepath.IsAbs(w) || !filepath.IsLocal(w) || (!strings.HasSuffix(w, ".yaml") && !strings.HasSuffix(w, ".yml")) {
			add(KeySavingsWorkloads, "%q is not allowed: list .yaml manifests by their path inside the project directory (e.g. examples/retail-store.yaml)", w)
		}
	}
	if c.SampleApp.Enabled {
		if err := samplemanifest.CheckPinned(c.SampleApp.ManifestURL); err != nil {
			add(KeySampleAppManifestURL, "%v", err)
		}
		if msg := cpuProblem(c.SampleApp.CPURequest, &maxControllerCPU); msg != "" {
			add(KeySampleAppCPURequest, "%s", msg)
		}
		if msg := memoryProblem(c.SampleApp.MemoryRequest); msg != "" {
			add(KeySampleAppMemoryRequest, "%s", msg)
		}
	}
	return errors.Join(errs...)
}

func (c *Config) validateNetwork() []error {
	var errs problems
	add := errs.add
	prefix, err := netip.ParsePrefix(c.VpcCidr)
	switch {
	case err != nil || !prefix.Addr().Is4():
		add(KeyVpcCidr, "%q is not an IPv4 CIDR block (e.g. 10.42.0.0/20)", c.VpcCidr)
	case prefix.Masked() != prefix:
		add(KeyVpcCidr, "%q has host bits set; did you mean %s?", c.VpcCidr, prefix.Masked())
	case prefix.Bits() < 16 || prefix.Bits() > 24:
		add(KeyVpcCidr, "%q has a /%d prefix; allowed are /16 to /24 (AWS allows /16–/28, and two subnets per zone need room)", c.VpcCidr, prefix.Bits())
	case !prefix.Addr().IsPrivate():
		add(KeyVpcCidr, "%q is not a private (RFC 1918) range", c.VpcCidr)
	}
	zones := c.AvailabilityZones
	switch {
	case len(zones) < 2:
		add(KeyAvailabilityZones, "%q lists %d zone(s); at least 2 are required (EKS needs subnets in two zones)", zones, len(zones))
	case len(zones) > 6:
		add(KeyAvailabilityZones, "%q lists %d zones; at most 6 are allowed", zones, len(zones))
	}
	seen := map[string]bool{}
	for _, z := range zones {
		switch {
		case !zonePattern.MatchString(z) || !strings.HasPrefix(z, c.Region):
			add(KeyAvailabilityZones, "%q is not a zone of region %q (e.g. %sa)", z, c.Region, c.Region)
		case seen[z]:
			add(KeyAvailabilityZones, "%q is listed twice", z)
		}
		seen[z] = true
	}
	if err == nil && prefix.Bits()+subnetBits(len(zones))+2 > 28 {
		add(KeyVpcCidr, "%q is too small for %d zones: public subnets would be smaller than /28", c.VpcCidr, len(zones))
	}
	if c.NatGateways != NatSingle && c.NatGateways != NatPerAZ {
		add(KeyNatGateways, "%q is not allowed: use %q (one NAT gateway, cheapest) or %q (one per zone, zone-resilient)", c.NatGateways, NatSingle, NatPerAZ)
	}
	if c.DiscoveryTag != DiscoveryPerCluster && c.DiscoveryTag != DiscoveryShared {
		add(KeyDiscoveryTag, "%q is not allowed: use %q (karpenter.sh/discovery/<cluster>, the lab's key) or %q (karpenter.sh/discovery)", c.DiscoveryTag, DiscoveryPerCluster, DiscoveryShared)
	}
	if n := len(c.EndpointPublicAccessCidrs); n > MaxPublicAccessCidrs {
		add(KeyEndpointPublicAccessCidrs, "lists %d CIDR blocks; EKS accepts at most %d", n, MaxPublicAccessCidrs)
	}
	for _, cidr := range c.EndpointPublicAccessCidrs {
		p, err := netip.ParsePrefix(cidr)
		switch {
		case err != nil || p.Masked() != p:
			add(KeyEndpointPublicAccessCidrs, "%q is not a CIDR block (e.g. 203.0.113.0/24)", cidr)
		case p.Bits() == 0:
			add(KeyEndpointPublicAccessCidrs, "%q opens the API endpoint to the whole internet; list your networks, or leave the list empty for EKS's default", cidr)
		}
	}
	var admins []principal.Principal
	for _, arn := range c.ClusterAdminPrincipalArns {
		p, err := principal.ParseIAM(arn)
		if err != nil {
			add(KeyClusterAdminPrincipals, "%v", err)
			continue
		}
		for _, q := range admins {
			if p.Same(q) {
				// One identity gets one access entry; EKS answers a second with 409 "already in use".
				add(KeyClusterAdminPrincipals, "%q is listed twice (IAM %s %s of account %s); list each identity once", arn, p.Kind, p.Name, p.Account)
				break
			}
		}
		admins = append(admins, p)
	}
	return errs
}

func (c *Config) validateNodeGroup() []error {
	var errs problems
	add := errs.add
	ng := c.NodeGroup
	if len(ng.InstanceTypes) == 0 {
		add(KeyNodeGroupInstanceTypes, "must list at least one instance type (e.g. [\"t4g.medium\"])")
	}
	var named []string
	for _, t := range ng.InstanceTypes {
		if !instanceTypePattern.MatchString(t) {
			add(KeyNodeGroupInstanceTypes, "%q is not an EC2 instance type (e.g. t4g.medium)", t)
			continue
		}
		named = append(named, t)
	}
	errs = append(errs, c.fitNodeGroup(named)...)
	if ng.CapacityType != "SPOT" && ng.CapacityType != "ON_DEMAND" {
		add(KeyNodeGroupCapacityType, "%q is not allowed: use SPOT or ON_DEMAND", ng.CapacityType)
	}
	if ng.MinSize < 1 {
		add(KeyNodeGroupMinSize, "%d is not allowed: at least 1 node must run the Karpenter controller", ng.MinSize)
	}
	if ng.MaxSize < 1 || ng.MaxSize > 100 {
		add(KeyNodeGroupMaxSize, "%d is not allowed: use 1 to 100", ng.MaxSize)
	}
	if ng.MinSize > ng.MaxSize {
		add(KeyNodeGroupMinSize, "%d is greater than %s %d", ng.MinSize, qualify(KeyNodeGroupMaxSize), ng.MaxSize)
	}
	if ng.DesiredSize < ng.MinSize || ng.DesiredSize > ng.MaxSize {
		add(KeyNodeGroupDesiredSize, "%d is not between %s %d and %s %d", ng.DesiredSize, qualify(KeyNodeGroupMinSize), ng.MinSize, qualify(KeyNodeGroupMaxSize), ng.MaxSize)
	}
	return errs
}

// MaxTagsPerResource is AWS's limit on the tags of one resource (EC2, IAM, SQS, EKS, KMS alike).
const MaxTagsPerResource = 50

// StackAddedTags are the most tags one resource carries beside the configured ones: an instance Karpenter launches
// gets the node class's Name, NodeType and IntentLabel, and Karpenter's own karpenter.sh/nodepool,
// karpenter.sh/nodeclaim, karpenter.k8s.aws/ec2nodeclass, kubernetes.io/cluster/<name> and eks:eks-cluster-name
// (karpenter-provider-aws v1.14, pkg/utils/utils.go and the node claim tagging); a subnet carries four.
const StackAddedTags = 8

// iamTagText is the character set of IAM tag keys and values, the strictest of the services the stack tags.
var iamTagText = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)

func validateTags(tags map[string]string) []error {
	var errs []error
	if n := len(tags); n > MaxTagsPerResource-StackAddedTags {
		errs = append(errs, fmt.Errorf("%s: %d tags are configured; at most %d are allowed, because AWS allows %d tags on a resource and the stack and Karpenter add up to %d of their own to an instance",
			qualify(KeyTags), n, MaxTagsPerResource-StackAddedTags, MaxTagsPerResource, StackAddedTags))
	}
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v := tags[k]
		switch {
		case k == "" || utf8.RuneCountInString(k) > 128:
			errs = append(errs, fmt.Errorf("%s: tag key %q must have 1 to 128 characters", qualify(KeyTags), k))
		case !iamTagText.MatchString(k):
			errs = append(errs, fmt.Errorf("%s: tag key %q has a character IAM refuses in tags: use letters, digits, spaces and _ . : / = + - @", qualify(KeyTags), k))
		case strings.HasPrefix(strings.ToLower(k), "aws:"):
			errs = append(errs, fmt.Errorf("%s: tag key %q uses the reserved aws: prefix", qualify(KeyTags), k))
		case karpenterRestrictedTag(k) != "":
			errs = append(errs, fmt.Errorf("%s: tag key %q is restricted: Karpenter owns it, and its EC2NodeClass CRD rejects it (tag contains a restricted tag matching %s)", qualify(KeyTags), k, karpenterRestrictedTag(k)))
		case k == poolspec.TagName || k == poolspec.TagNodeType || k == poolspec.TagIntentLabel:
			errs = append(errs, fmt.Errorf("%s: tag key %q is reserved: the stack sets it on each Karpenter node class", qualify(KeyTags), k))
		case k == AccessEntryTag:
			errs = append(errs, fmt.Errorf("%s: tag key %q is reserved: the stack puts it on the access entries it creates, valued with the cluster's name, and knows its own entries by it", qualify(KeyTags), k))
		case k == CostTagNodeGroupCluster:
			errs = append(errs, fmt.Errorf("%s: tag key %q is reserved: EKS puts it on the managed node group's instances, and `savings billed` tells the node group's hours by it, so on Karpenter's instances it would count them as the node group's too", qualify(KeyTags), k))
		case utf8.RuneCountInString(v) > 256:
			errs = append(errs, fmt.Errorf("%s: value of tag %q is %d characters; at most 256 are allowed", qualify(KeyTags), k, utf8.RuneCountInString(v)))
		case !iamTagText.MatchString(v):
			errs = append(errs, fmt.Errorf("%s: value %q of tag %q has a character IAM refuses in tags: use letters, digits, spaces and _ . : / = + - @", qualify(KeyTags), v, k))
		}
	}
	return errs
}

// karpenterRestrictedTags are the tag keys (or key prefixes, ending in "/") the EC2NodeClass CRD of Karpenter 1.14
// rejects in spec.tags; the stack puts the configured tags there, so they are rejected here, at the key.
var karpenterRestrictedTags = []string{
	CostTagCluster, "kubernetes.io/cluster/", CostTagNodePool, "karpenter.sh/nodeclaim",
	"karpenter.k8s.aws/ec2nodeclass",
}

func karpenterRestrictedTag(key string) string {
	for _, r := range karpenterRestrictedTags {
		if key == r || (strings.HasSuffix(r, "/") && strings.HasPrefix(key, r)) {
			return r
		}
	}
	return ""
}

func (c *Config) validateKarpenter() []error {
	var errs problems
	add := errs.add
	k := c.Karpenter
	if m := semverPattern.FindStringSubmatch(k.Version); m == nil {
		add(KeyKarpenterVersion, "%q is not a release version like 1.14.4", k.Version)
	} else if m[1]+"."+m[2] != SupportedKarpenterMinor {
		add(KeyKarpenterVersion, "%q is not allowed: this stack's IAM policies and CRD validation are built from Karpenter %s, so only %s.x releases are", k.Version, SupportedKarpenterMinor, SupportedKarpenterMinor)
	}
	if msgs := validation.IsDNS1123Label(k.Namespace); len(msgs) > 0 {
		add(KeyKarpenterNamespace, "%q is not a Kubernetes namespace name: %s", k.Namespace, strings.Join(msgs, "; "))
	}
	if k.Replicas < 1 || k.Replicas > 5 {
		add(KeyKarpenterReplicas, "%d is not allowed: use 1 to 5 (2 keeps a leader-elected standby)", k.Replicas)
	}
	if msg := cpuProblem(k.ControllerCPU, &maxControllerCPU); msg != "" {
		add(KeyKarpenterControllerCPU, "%s", msg)
	}
	if msg := memoryProblem(k.ControllerMemory); msg != "" {
		add(KeyKarpenterControllerMemory, "%s", msg)
	}
	// The chart spreads the replicas one per node (required pod anti-affinity on the hostname), and only the
	// node group's nodes may run them: more replicas than nodes stay pending, and Helm's wait fails the update.
	if k.Replicas > c.NodeGroup.DesiredSize && c.NodeGroup.DesiredSize >= 1 {
		add(KeyKarpenterReplicas, "%d is more than %s %d: the chart places one replica per node and only that group's nodes run the controller, so %d would stay pending; use at most %d or grow the group",
			k.Replicas, qualify(KeyNodeGroupDesiredSize), c.NodeGroup.DesiredSize, k.Replicas-c.NodeGroup.DesiredSize, c.NodeGroup.DesiredSize)
	}
	return errs
}

func (p NodePools) validate(region string) []error {
	var errs []error
	for _, named := range []struct {
		name string
		pool Pool
	}{{"default", p.Default}, {"graviton", p.Graviton}, {"gpu", p.GPU}} {
		if !named.pool.Enabled {
			continue
		}
		key := qualify(KeyNodePools) + "." + named.name
		add := func(field, format string, args ...any) {
			errs = append(errs, fmt.Errorf("%s.%s: %s", key, field, fmt.Sprintf(format, args...)))
		}
		pool := named.pool
		if pool.Weight < 0 || pool.Weight > 100 {
			add("weight", "%d is not allowed: Karpenter accepts 0 (none) to 100", pool.Weight)
		}
		if len(pool.CapacityTypes) == 0 {
			add("capacityTypes", "must list spot, on-demand or both")
		}
		for i, ct := range pool.CapacityTypes {
			switch {
			case ct != "spot" && ct != "on-demand":
				add("capacityTypes", "%q is not allowed: use spot or on-demand", ct)
			case slices.Index(pool.CapacityTypes, ct) != i:
				add("capacityTypes", "%q is listed twice", ct)
			}
		}
		switch {
		case pool.budgetSet() && (pool.CPU != "" || pool.Memory != ""):
			// Pulumi replaces the nodePools default whole, so the default's cpu and memory are in the object only
			// when the stack file copied them: they must go when the pool takes a budget.
			add("maxMonthlyUSD", "%s is set together with cpu %q and memory %q: the pool's limits come either from its budget or from cpu and memory; remove cpu and memory from %s",
				truncate(string(pool.MaxMonthlyUSD)), pool.CPU, pool.Memory, key)
		case pool.budgetSet():
			if _, err := poolLimits(region, named.name, pool); err != nil && validCapacityTypes(pool.CapacityTypes) {
				add("maxMonthlyUSD", "%v", err)
			}
		case pool.CPU == "" && pool.Memory == "":
			errs = append(errs, fmt.Errorf("%s: sets no limits: set cpu and memory (e.g. \"16\" and \"32Gi\"), or maxMonthlyUSD to derive them from a budget", key))
		default:
			if msg := cpuProblem(pool.CPU, nil); msg != "" {
				add("cpu", "%s", msg)
			}
			if msg := memoryProblem(pool.Memory); msg != "" {
				add("memory", "%s", msg)
			}
		}
		if msg := gracePeriodProblem(pool.TerminationGracePeriod); msg != "" {
			add("terminationGracePeriod", "%s", msg)
		}
		if pool.GPU != "" {
			if named.name != "gpu" {
				add("gpu", "%q is not allowed: only the gpu pool's nodes have GPUs to limit", pool.GPU)
			} else if msg := gpuProblem(pool.GPU); msg != "" {
				add("gpu", "%s", msg)
			}
		}
	}
	if p.GPU.Enabled {
		for _, general := range []struct {
			name string
			pool Pool
		}{{"default", p.Default}, {"graviton", p.Graviton}} {
			if general.pool.Enabled && p.GPU.Weight <= general.pool.Weight {
				errs = append(errs, fmt.Errorf("%s.gpu.weight: %d must be greater than %s.weight %d: Karpenter tries pools by weight, and a general pool would launch GPU pods on GPU instances it also allows",
					qualify(KeyNodePools), p.GPU.Weight, general.name, general.pool.Weight))
			}
		}
	}
	if !p.Default.Enabled && !p.Graviton.Enabled {
		errs = append(errs, fmt.Errorf("%s: enable at least one of default or graviton: without them no ordinary pod can be scheduled", qualify(KeyNodePools)))
	}
	// Karpenter tries pools by descending weight; the multi-arch saving depends on Graviton coming first.
	if p.Default.Enabled && p.Graviton.Enabled && p.Graviton.Weight <= p.Default.Weight {
		errs = append(errs, fmt.Errorf("%s.graviton.weight: %d is not greater than the default pool's weight %d: Karpenter must try the cheaper Graviton pool first", qualify(KeyNodePools), p.Graviton.Weight, p.Default.Weight))
	}
	return errs
}

// validCapacityTypes reports whether capacityTypes is a set config accepts; otherwise the capacityTypes error is
// the one to fix first, and a budget cannot be priced.
func validCapacityTypes(capacityTypes []string) bool {
	for i, ct := range capacityTypes {
		if (ct != "spot" && ct != "on-demand") || slices.Index(capacityTypes, ct) != i {
			return false
		}
	}
	return len(capacityTypes) > 0
}

// problems collects validation errors, each prefixed with the fully qualified key it is about.
type problems []error

func (p *problems) add(key, format string, args ...any) {
	*p = append(*p, fmt.Errorf("%s: %s", qualify(key), fmt.Sprintf(format, args...)))
}

// subnetBits is how many extra prefix bits give every zone its own private subnet in half of the VPC.
func subnetBits(zones int) int {
	bits := 0
	for 1<<bits < zones {
		bits++
	}
	return bits + 1
}

func qualify(key string) string {
	if strings.Contains(key, ":") {
		return key
	}
	return Project + ":" + key
}

// SupportedKubernetesVersions lists, in ascending order, the Kubernetes versions Karpenter supports that EKS still
// creates at now (before the end of their extended support).
func SupportedKubernetesVersions(now time.Time) []string {
	out := make([]string, 0, len(kubernetesVersions))
	for v, w := range kubernetesVersions {
		if now.Before(w.ExtendedEnd) {
			out = append(out, v)
		}
	}
	slices.SortFunc(out, func(a, b string) int { return minor(a) - minor(b) })
	return out
}

func minor(v string) int {
	m := k8sVersionPattern.FindStringSubmatch(v)
	if m == nil {
		return -1
	}
	n, _ := strconv.Atoi(m[1])
	return n
}
