package live

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	awspricing "github.com/aws/aws-sdk-go-v2/service/pricing"
	sdk "github.com/aws/karpenter-provider-aws/pkg/aws"
	"github.com/aws/karpenter-provider-aws/pkg/providers/pricing"
	karpv1 "sigs.k8s.io/karpenter/pkg/apis/v1"

	"github.com/karpenter-savings/karpenter-savings/internal/catalog"
	"github.com/karpenter-savings/karpenter-savings/internal/savings"
	"github.com/karpenter-savings/karpenter-savings/internal/savings/pricetable"
)

// AWSPricer prices nodes with current AWS prices, fetched by Karpenter's own pricing provider: on-demand from the
// Price List API (GetProducts), spot from EC2 DescribeSpotPriceHistory, per zone.
type AWSPricer struct {
	provider *pricing.DefaultProvider
	region   string
	fetched  time.Time
	// listed are the types the Price List priced; the provider keeps the price it ships with for the others.
	listed map[ec2types.InstanceType]bool
}

// NewAWSPricer fetches the region's prices through the given clients; an error means the APIs did not answer
// (no credentials, no permission, no network), and the caller should fall back to the snapshot.
func NewAWSPricer(ctx context.Context, pricingAPI sdk.PricingAPI, ec2API sdk.EC2API, region string, now time.Time) (*AWSPricer, error) {
	listing := &listingPricing{PricingAPI: pricingAPI, listed: map[ec2types.InstanceType]bool{}}
	p := pricing.NewDefaultProvider(listing, ec2API, region, false)
	if err := p.UpdateOnDemandPricing(ctx); err != nil {
		return nil, fmt.Errorf("on-demand prices from the AWS Price List API: %w", err)
	}
	if err := p.UpdateSpotPricing(ctx); err != nil {
		return nil, fmt.Errorf("spot prices from EC2 DescribeSpotPriceHistory: %w", err)
	}
	return &AWSPricer{provider: p, region: region, fetched: now, listed: listing.listed}, nil
}

// listingPricing notes which instance types the Price List's answers price, so that a report can tell the prices
// Karpenter's provider fetched from those it ships with. It reads an entry as the provider does: a product's
// instanceType with an on-demand USD price above zero.
type listingPricing struct {
	sdk.PricingAPI
	listed map[ec2types.InstanceType]bool
}

func (l *listingPricing) GetProducts(ctx context.Context, in *awspricing.GetProductsInput, opts ...func(*awspricing.Options)) (*awspricing.GetProductsOutput, error) {
	out, err := l.PricingAPI.GetProducts(ctx, in, opts...)
	if err != nil {
		return out, err
	}
	for _, entry := range out.PriceList {
		var item struct {
			Product struct{ Attributes struct{ InstanceType string } }
			Terms   struct {
				OnDemand map[string]struct {
					PriceDimensions map[string]struct{ PricePerUnit map[string]string }
				}
			}
		}
		if json.Unmarshal([]byte(entry), &item) != nil || item.Product.Attributes.InstanceType == "" {
			continue
		}
		for _, term := range item.Terms.OnDemand {
			for _, d := range term.PriceDimensions {
				if v, err := strconv.ParseFloat(d.PricePerUnit["USD"], 64); err == nil && v > 0 {
					l.listed[ec2types.InstanceType(item.Product.Attributes.InstanceType)] = true
				}
			}
		}
	}
	return out, nil
}

// Catalog re-prices cat's region with the current prices, for zones; each type's on-demand price names its source:
// the Price List's, or, for a type the Price List did not list, the table Karpenter's provider ships with and keeps
// it from (pricetable.Shipped), as a cluster's Karpenter would price it.
func (p *AWSPricer) Catalog(cat *catalog.Catalog, zones []string) (*catalog.Catalog, error) {
	named := p.Prices()
	current, err := cat.WithPrices(p.region, named.Source, named.Date, p.CatalogPrice(zones))
	if err != nil {
		return nil, err
	}
	shipped := func(name string) (float64, bool) {
		t := ec2types.InstanceType(name)
		if p.listed[t] {
			return 0, false
		}
		return p.provider.OnDemandPrice(t)
	}
	specs, err := current.Offered(p.region)
	if err != nil {
		return nil, err
	}
	if !slices.ContainsFunc(specs, func(s catalog.Spec) bool { _, ok := shipped(s.Name); return ok }) {
		return current, nil
	}
	laid, _, err := current.WithOnDemand(p.region, pricetable.Source(pricetable.Shipped(p.region)), shipped)
	return laid, err
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
