// Package instancetypes turns catalog specs and prices into the cloudprovider.InstanceTypes Karpenter's scheduler
// packs onto, built by Karpenter's AWS provider itself: its resolver computes capacity, kube-reserved, eviction
// threshold, VM memory overhead, ENI-limited max pods and every requirement label, and its offering provider
// (InjectOfferings) attaches the on-demand and spot offerings per zone.
package instancetypes

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"math"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	awsv1 "github.com/aws/karpenter-provider-aws/pkg/apis/v1"
	awscache "github.com/aws/karpenter-provider-aws/pkg/cache"
	awsoptions "github.com/aws/karpenter-provider-aws/pkg/operator/options"
	"github.com/aws/karpenter-provider-aws/pkg/providers/instancetype"
	"github.com/aws/karpenter-provider-aws/pkg/providers/instancetype/offering"
	"github.com/aws/karpenter-provider-aws/pkg/providers/placementgroup"
	"github.com/patrickmn/go-cache"
	"k8s.io/apimachinery/pkg/util/sets"
	"sigs.k8s.io/karpenter/pkg/cloudprovider"
	coreoptions "sigs.k8s.io/karpenter/pkg/operator/options"

	"github.com/karpenter-savings/karpenter-savings/internal/catalog"
)

// VMMemoryOverheadPercent is Karpenter's default --vm-memory-overhead-percent: the share of memory the hypervisor
// keeps, which Karpenter subtracts before it knows a node's real capacity.
const VMMemoryOverheadPercent = 0.075

// Builder builds the instance types of one region, as Karpenter would see them through a given EC2NodeClass.
type Builder struct {
	region string
	zones  []string
	infos  []ec2types.InstanceTypeInfo
	prices *snapshotPricing

	mu    sync.Mutex
	cache map[string][]*cloudprovider.InstanceType // by Karpenter's own resolver cache key
}

// New prepares the instance types cat prices in region, offered in zones (the zones of the node classes' subnets).
func New(cat *catalog.Catalog, region string, zones []string) (*Builder, error) {
	if len(zones) == 0 {
		return nil, fmt.Errorf("instancetypes: no zones for region %s", region)
	}
	for _, z := range zones {
		if !strings.HasPrefix(z, region) {
			return nil, fmt.Errorf("instancetypes: zone %q is not in region %s", z, region)
		}
	}
	specs, err := cat.Offered(region)
	if err != nil {
		return nil, fmt.Errorf("instancetypes: %w", err)
	}
	b := &Builder{
		region: region,
		zones:  zones,
		prices: &snapshotPricing{prices: map[ec2types.InstanceType]catalog.Price{}},
		cache:  map[string][]*cloudprovider.InstanceType{},
	}
	for _, s := range specs {
		price, _ := cat.Price(region, s.Name)
		b.infos = append(b.infos, Info(s, price))
		b.prices.prices[ec2types.InstanceType(s.Name)] = price
	}
	return b, nil
}

// Region is the region the builder prices.
func (b *Builder) Region() string { return b.region }

// Zones are the zones every instance type is offered in.
func (b *Builder) Zones() []string { return b.zones }

// For returns every instance type of the region with its offerings, as seen through nodeClass. Callers must not
// modify the returned instance types; they are shared between calls with an equivalent node class.
func (b *Builder) For(ctx context.Context, nodeClass *awsv1.EC2NodeClass) []*cloudprovider.InstanceType {
	ctx = WithDefaultOptions(ctx)
	nc := nodeClass.DeepCopy()
	// The dataset has no account-specific zone IDs, so each zone stands in as its own ID; only the zone name reaches
	// the scheduler's topology and the report.
	nc.Status.Subnets = nil
	for _, z := range b.zones {
		nc.Status.Subnets = append(nc.Status.Subnets, awsv1.Subnet{ID: "subnet-" + z, Zone: z, ZoneID: z})
	}
	resolver := instancetype.NewDefaultResolver(b.region)
	key := nodeClass.Name + "/" + resolver.CacheKey(nc)

	b.mu.Lock()
	defer b.mu.Unlock()
	if its, ok := b.cache[key]; ok {
		return its
	}
	// The capacity reservation provider is never asked: the ReservedCapacity gate is off in offeringContext.
	offerings := offering.NewDefaultProvider(b.prices, nil, noPlacementGroup{}, awscache.NewUnavailableOfferings(),
		cache.New(cache.NoExpiration, cache.NoExpiration), noZonalShift{}, nil)
	resolved := make([]*cloudprovider.InstanceType, 0, len(b.infos))
	infos := make(map[ec2types.InstanceType]ec2types.InstanceTypeInfo, len(b.infos))
	for _, info := range b.infos {
		resolved = append(resolved, resolver.Resolve(ctx, info, b.zones, nc))
		infos[info.InstanceType] = info
	}
	its := offerings.InjectOfferings(offeringContext(ctx), resolved, infos, nc, sets.New(b.zones...))
	for _, it := range its {
		// The resolver ranges over a set of zones, so its offerings come in a different order on every run; whatever
		// takes the first of equally cheap offerings (Karpenter's Offerings.Cheapest, the lower bound) would too.
		slices.SortFunc(it.Offerings, compareOfferings)
	}
	b.cache[key] = its
	return its
}

// offeringContext gives the offering provider Karpenter's core options with every feature gate off. It reads two:
// ReservedCapacity (offerings of the node class's capacity reservations, which an estimate has none of) and
// NodeOverlay (prices of NodeOverlays in the cluster, which it has none of). Fixing them here keeps the offerings the
// same whatever options the caller's context carries, as the cache shared between callers needs.
func offeringContext(ctx context.Context) context.Context {
	return coreoptions.ToContext(ctx, &coreoptions.Options{})
}

// compareOfferings orders offerings by zone, then capacity type.
func compareOfferings(a, b *cloudprovider.Offering) int {
	return cmp.Or(cmp.Compare(a.Zone(), b.Zone()), cmp.Compare(a.CapacityType(), b.CapacityType()))
}

// WithDefaultOptions adds Karpenter's AWS operator defaults to ctx unless options are already there; the
// resolver reads the VM memory overhead and reserved ENIs from them.
func WithDefaultOptions(ctx context.Context) context.Context {
	if awsoptions.FromContext(ctx) != nil {
		return ctx
	}
	return awsoptions.ToContext(ctx, &awsoptions.Options{VMMemoryOverheadPercent: VMMemoryOverheadPercent})
}

// Info builds the EC2 DescribeInstanceTypes answer for one spec. The network limits and hypervisor come from
// Karpenter's own VPC limits table when it lists the type, so max pods match what Karpenter computes in a cluster.
func Info(s catalog.Spec, price catalog.Price) ec2types.InstanceTypeInfo {
	usage := []ec2types.UsageClassType{ec2types.UsageClassTypeOnDemand}
	if price.Spot > 0 {
		usage = append(usage, ec2types.UsageClassTypeSpot)
	}
	info := ec2types.InstanceTypeInfo{
		InstanceType:                 ec2types.InstanceType(s.Name),
		BareMetal:                    aws.Bool(strings.HasSuffix(s.Name, ".metal") || strings.Contains(s.Name, ".metal-")),
		SupportedUsageClasses:        usage,
		SupportedVirtualizationTypes: []ec2types.VirtualizationType{ec2types.VirtualizationTypeHvm},
		VCpuInfo:                     &ec2types.VCpuInfo{DefaultVCpus: aws.Int32(s.VCPU)},
		MemoryInfo:                   &ec2types.MemoryInfo{SizeInMiB: aws.Int64(s.MemoryMiB)},
		ProcessorInfo: &ec2types.ProcessorInfo{
			SupportedArchitectures: []ec2types.ArchitectureType{ec2types.ArchitectureType(s.Arch)},
		},
		NetworkInfo: &ec2types.NetworkInfo{
			DefaultNetworkCardIndex:      aws.Int32(0),
			MaximumNetworkInterfaces:     aws.Int32(s.MaxENIs),
			Ipv4AddressesPerInterface:    aws.Int32(s.IPv4PerENI),
			EncryptionInTransitSupported: aws.Bool(false),
			NetworkCards:                 []ec2types.NetworkCardInfo{{NetworkCardIndex: aws.Int32(0), MaximumNetworkInterfaces: aws.Int32(s.MaxENIs)}},
		},
	}
	if s.CPUManufacturer != "" {
		info.ProcessorInfo.Manufacturer = aws.String(s.CPUManufacturer)
	}
	if s.ClockGHz > 0 {
		info.ProcessorInfo.SustainedClockSpeedInGhz = aws.Float64(s.ClockGHz)
	}
	if limits, ok := instancetype.Limits[s.Name]; ok {
		info.Hypervisor = ec2types.InstanceTypeHypervisor(limits.Hypervisor)
		info.NetworkInfo.DefaultNetworkCardIndex = aws.Int32(narrow(limits.DefaultNetworkCardIndex))
		info.NetworkInfo.MaximumNetworkInterfaces = aws.Int32(narrow(limits.Interface))
		info.NetworkInfo.Ipv4AddressesPerInterface = aws.Int32(narrow(limits.IPv4PerInterface))
		info.NetworkInfo.NetworkCards = nil
		for _, c := range limits.NetworkCards {
			info.NetworkInfo.NetworkCards = append(info.NetworkInfo.NetworkCards, ec2types.NetworkCardInfo{
				NetworkCardIndex:         aws.Int32(narrow(c.NetworkCardIndex)),
				MaximumNetworkInterfaces: aws.Int32(narrow(c.MaximumNetworkInterfaces)),
			})
		}
	}
	if s.EBSMbps > 0 {
		info.EbsInfo = &ec2types.EbsInfo{
			EbsOptimizedSupport: ec2types.EbsOptimizedSupportDefault,
			EbsOptimizedInfo:    &ec2types.EbsOptimizedInfo{MaximumBandwidthInMbps: aws.Int32(s.EBSMbps)},
		}
	}
	if s.LocalNVMeGB > 0 {
		info.InstanceStorageInfo = &ec2types.InstanceStorageInfo{
			NvmeSupport:   ec2types.EphemeralNvmeSupportRequired,
			TotalSizeInGB: aws.Int64(s.LocalNVMeGB),
		}
	}
	if s.GPUCount > 0 {
		info.GpuInfo = &ec2types.GpuInfo{Gpus: []ec2types.GpuDeviceInfo{{
			Name:         aws.String(s.GPUName),
			Manufacturer: aws.String(s.GPUManufacturer),
			Count:        aws.Int32(s.GPUCount),
			MemoryInfo:   &ec2types.GpuDeviceMemoryInfo{SizeInMiB: aws.Int32(s.GPUMemoryMiB)},
		}}}
	}
	if s.NeuronDevices > 0 {
		info.NeuronInfo = &ec2types.NeuronInfo{NeuronDevices: []ec2types.NeuronDeviceInfo{{
			Name:     aws.String(s.NeuronName),
			Count:    aws.Int32(s.NeuronDevices),
			CoreInfo: &ec2types.NeuronDeviceCoreInfo{Count: aws.Int32(neuronCores(s.NeuronName))},
		}}}
	}
	return info
}

// narrow converts the counts of Karpenter's VPC limits table (ENIs, addresses, card indexes: all small) to EC2's
// int32 fields; a value out of range would be a corrupt table, and reads as 0, which Karpenter treats as no pods.
func narrow[T int | int64](v T) int32 {
	if v < 0 || v > math.MaxInt32 {
		return 0
	}
	return int32(v)
}

// neuronCores is the NeuronCore count per device: four on first-generation Inferentia, two on Inferentia2 and
// Trainium.
func neuronCores(name string) int32 {
	if name == "inferentia" {
		return 4
	}
	return 2
}

// snapshotPricing is Karpenter's pricing.Provider answered from the catalog snapshot of one region.
type snapshotPricing struct {
	prices map[ec2types.InstanceType]catalog.Price
}

func (p *snapshotPricing) LivenessProbe(*http.Request) error { return nil }

// InstanceTypes lists the priced instance types by name, so that a caller ranging over them sees one order.
func (p *snapshotPricing) InstanceTypes() []ec2types.InstanceType {
	return slices.Sorted(maps.Keys(p.prices))
}

func (p *snapshotPricing) OnDemandPrice(t ec2types.InstanceType) (float64, bool) {
	price, ok := p.prices[t]
	return price.OnDemand, ok && price.OnDemand > 0
}

// SpotPrice ignores the zone: the snapshot keeps one spot price per region.
func (p *snapshotPricing) SpotPrice(t ec2types.InstanceType, _ string) (float64, bool) {
	price, ok := p.prices[t]
	return price.Spot, ok && price.Spot > 0
}

func (p *snapshotPricing) UpdateOnDemandPricing(context.Context) error { return nil }

func (p *snapshotPricing) UpdateSpotPricing(context.Context) error { return nil }

// noZonalShift is an ARC zonal-shift provider with no shifted zones: an estimate assumes every zone is healthy.
type noZonalShift struct{}

func (noZonalShift) IsZonalShifted(context.Context, string) bool { return false }

func (noZonalShift) UpdateZonalShifts(context.Context) error { return nil }

func (noZonalShift) ShiftedZones() sets.Set[string] { return sets.New[string]() }

// noPlacementGroup is a placement group provider that finds none: an estimate launches outside placement groups.
type noPlacementGroup struct{}

func (noPlacementGroup) Get(context.Context, placementgroup.NodeClass) (*placementgroup.PlacementGroup, error) {
	return nil, nil
}
