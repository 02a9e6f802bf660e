package live

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	sdk "github.com/aws/karpenter-provider-aws/pkg/aws"
	"github.com/aws/karpenter-provider-aws/pkg/providers/pricing"
	karpv1 "sigs.k8s.io/karpenter/pkg/apis/v1"

	"github.com/karpenter-savings/karpenter-savings/internal/catalog"
	"github.com/karpenter-savings/karpenter-savings/internal/savings"
)

// AWSPricer prices nodes with current AWS prices, fetched by Karpenter's own pricing provider: on-demand from the
// Price List API (GetProducts), spot from EC2 DescribeSpotPriceHistory, per zone.
type AWSPricer struct {
	provider *pricing.DefaultProvider
	region   string
	fetched  time.Time
}

// NewAWSPricer fetches the region's prices through the given clients; an error means the APIs did not answer
// (no credentials, no permission, no network), and the caller should fall back to the snapshot.
func NewAWSPricer(ctx context.Context, pricingAPI sdk.PricingAPI, ec2API sdk.EC2API, region string, now time.Time) (*AWSPricer, error) {
	p := pricing.NewDefaultProvider(pricingAPI, ec2API, region, false)
	if err := p.UpdateOnDemandPricing(ctx); err != nil {
		return nil, fmt.Errorf("on-demand prices from the AWS Price List API: %w", err)
	}
	if err := p.UpdateSpotPricing(ctx); err != nil {
		return nil, fmt.Errorf("spot prices from EC2 DescribeSpotPriceHistory: %w", err)
	}
	return &AWSPricer{provider: p, region: region, fetched: now}, nil
}

// NewAWSClients builds the two API clients from an AWS configuration, with the Price List endpoint Karpenter uses
// for the region.
func NewAWSClients(cfg aws.Config) (sdk.PricingAPI, sdk.EC2API) {
	return pricing.NewAPI(cfg), ec2.NewFromConfig(cfg)
}

// Price returns the current price; reserved capacity is priced on-demand, an upper bound on what it costs.
func (p *AWSPricer) Price(_ context.Context, instanceType, capacityType, zone string) (float64, error) {
	t := ec2types.InstanceType(instanceType)
	if capacityType == karpv1.CapacityTypeSpot {
		if price, ok := p.provider.SpotPrice(t, zone); ok {
			return price, nil
		}
		return 0, fmt.Errorf("no current spot price for %s in %s", instanceType, zone)
	}
	if price, ok := p.provider.OnDemandPrice(t); ok {
		return price, nil
	}
	return 0, fmt.Errorf("no current on-demand price for %s in %s", instanceType, p.region)
}

// Prices names the AWS APIs and the day the prices were fetched.
func (p *AWSPricer) Prices() savings.Prices {
	return savings.Prices{
		Source: "AWS Price List API (GetProducts) and EC2 DescribeSpotPriceHistory, via Karpenter's pricing provider",
		Date:   p.fetched.UTC().Format(time.DateOnly),
		Region: p.region,
		Basis:  savings.Basis,
	}
}

// CatalogPrice answers, per instance type, the current on-demand price and the mean of its spot prices over zones,
// in the shape catalog.WithPrices takes, so that an estimate can schedule with current prices.
func (p *AWSPricer) CatalogPrice(zones []string) func(name string) (catalog.Price, bool) {
	return func(name string) (catalog.Price, bool) {
		t := ec2types.InstanceType(name)
		od, ok := p.provider.OnDemandPrice(t)
		if !ok {
			return catalog.Price{}, false
		}
		var sum float64
		var n int
		for _, z := range zones {
			if s, ok := p.provider.SpotPrice(t, z); ok {
				sum += s
				n++
			}
		}
		price := catalog.Price{OnDemand: od}
		if n > 0 {
			price.Spot = sum / float64(n)
		}
		return price, true
	}
}
