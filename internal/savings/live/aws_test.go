package live

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/pricing"
	sdk "github.com/aws/karpenter-provider-aws/pkg/aws"
	karppricing "github.com/aws/karpenter-provider-aws/pkg/providers/pricing"
	"github.com/stretchr/testify/require"
	karpv1 "sigs.k8s.io/karpenter/pkg/apis/v1"

	"github.com/karpenter-savings/karpenter-savings/internal/catalog"
	"github.com/karpenter-savings/karpenter-savings/internal/savings/pricetable"
)

// fakePricing answers GetProducts with one Price List entry, as the Price List API formats it.
type fakePricing struct{ err error }

func (f fakePricing) GetProducts(context.Context, *pricing.GetProductsInput, ...func(*pricing.Options)) (*pricing.GetProductsOutput, error) {
	if f.err != nil {
		return nil, f.err
	}
	return &pricing.GetProductsOutput{PriceList: []string{`{
		"product": {"attributes": {"instanceType": "m6i.large"}},
		"terms": {"OnDemand": {"T1": {"priceDimensions": {"D1": {"pricePerUnit": {"USD": "0.0960000000"}}}}}}
	}`}}, nil
}

// fakeEC2 answers DescribeSpotPriceHistory; the pricer calls nothing else.
type fakeEC2 struct {
	sdk.EC2API
}

func (fakeEC2) DescribeSpotPriceHistory(context.Context, *ec2.DescribeSpotPriceHistoryInput, ...func(*ec2.Options)) (*ec2.DescribeSpotPriceHistoryOutput, error) {
	now := time.Now()
	return &ec2.DescribeSpotPriceHistoryOutput{SpotPriceHistory: []ec2types.SpotPrice{
		{InstanceType: "m6i.large", AvailabilityZone: aws.String("us-east-1a"), SpotPrice: aws.String("0.031"), Timestamp: &now},
		{InstanceType: "m6i.large", AvailabilityZone: aws.String("us-east-1c"), SpotPrice: aws.String("0.037"), Timestamp: &now},
	}}, nil
}

func TestAWSPricerUsesCurrentPricesPerZone(t *testing.T) {
	fetched := time.Date(2030, 3, 4, 5, 6, 7, 0, time.UTC)
	p, err := NewAWSPricer(context.Background(), fakePricing{}, fakeEC2{}, "us-east-1", fetched)
	require.NoError(t, err)
	for _, tc := range []struct {
		capacityType, zone string
		want               float64
	}{
		{karpv1.CapacityTypeOnDemand, "us-east-1a", 0.096},
		{karpv1.CapacityTypeSpot, "us-east-1a", 0.031},
		{karpv1.CapacityTypeSpot, "us-east-1c", 0.037},
	} {
		got, err := p.Price(context.Background(), "m6i.large", tc.capacityType, tc.zone)
		require.NoError(t, err)
		require.InDelta(t, tc.want, got, 1e-9, "%s in %s", tc.capacityType, tc.zone)
	}
	_, err = p.Price(context.Background(), "m6i.large", karpv1.CapacityTypeSpot, "us-east-1f")
	require.ErrorContains(t, err, "us-east-1f", "expected no spot price for a zone the history does not list")
	prices := p.Prices()
	require.Equal(t, "2030-03-04", prices.Date, "expected the fetch date")
	require.Contains(t, prices.Source, "DescribeSpotPriceHistory")
}

func TestAWSPricerReportsAnAPIFailure(t *testing.T) {
	_, err := NewAWSPricer(context.Background(), fakePricing{err: errors.New("AccessDenied")}, fakeEC2{}, "us-east-1", time.Now())
	require.ErrorContains(t, err, "AccessDenied")
	require.ErrorContains(t, err, "Price List API")
}

// An estimate with --prices auto schedules on a catalog re-priced from the AWS APIs: on-demand from the Price List,
// spot as the mean over the stack's zones ((0.031 + 0.037) / 2 = 0.034). A type the APIs did not list keeps the
// price Karpenter's pricing provider ships with, as Karpenter itself would use it.
func TestAWSPricerRepricesTheCatalog(t *testing.T) {
	p, err := NewAWSPricer(context.Background(), fakePricing{}, fakeEC2{}, "us-east-1", time.Date(2030, 3, 4, 0, 0, 0, 0, time.UTC))
	require.NoError(t, err)
	price := p.CatalogPrice([]string{"us-east-1a", "us-east-1c"})
	got, ok := price("m6i.large")
	require.True(t, ok)
	require.InDelta(t, 0.096, got.OnDemand, 1e-9)
	require.InDelta(t, 0.034, got.Spot, 1e-9)
	shipped, ok := price("m7g.large")
	require.True(t, ok && shipped.OnDemand > 0, "Karpenter's own price for a type the fake Price List omits")
	require.Zero(t, shipped.Spot, "no spot history listed it")
	_, ok = price("x9z.large")
	require.False(t, ok, "no price anywhere for a type that does not exist")

	cat, err := catalog.Load()
	require.NoError(t, err)
	named := p.Prices()
	current, err := cat.WithPrices("us-east-1", named.Source, named.Date, price)
	require.NoError(t, err)
	require.Equal(t, "2030-03-04", current.Date())
	require.Contains(t, current.Source(), "DescribeSpotPriceHistory")
	got, ok = current.Price("us-east-1", "m6i.large")
	require.True(t, ok)
	require.InDelta(t, 0.034, got.Spot, 1e-9)
	repriced, ok := current.Price("us-east-1", "m7g.large")
	require.True(t, ok)
	require.InDelta(t, shipped.OnDemand, repriced.OnDemand, 1e-9)
	snapshot, ok := cat.Price("us-east-1", "m7g.large")
	require.True(t, ok && snapshot.Spot > 0, "the snapshot itself is left as it was")
	other, ok := current.Price("eu-west-1", "m6i.large")
	require.True(t, ok && other.OnDemand > 0, "other regions keep their snapshot prices")
}

// With --prices auto, a type the Price List listed is priced and named as current on both capacity types; one it did
// not list keeps the on-demand price Karpenter's provider ships with, and names Karpenter's table and its date.
func TestAWSPricerCatalogNamesEachPricesSource(t *testing.T) {
	cat, err := catalog.Load()
	require.NoError(t, err)
	for _, region := range []string{"us-east-1", "eu-west-1"} {
		t.Run(region, func(t *testing.T) {
			p, err := NewAWSPricer(context.Background(), fakePricing{}, fakeEC2{}, region, time.Date(2030, 3, 4, 0, 0, 0, 0, time.UTC))
			require.NoError(t, err)
			current, err := p.Catalog(cat, []string{region + "a"})
			require.NoError(t, err)
			types := []string{catalog.OnDemand}
			if region == "us-east-1" { // the fake spot history lists us-east-1's zones only
				types = append(types, catalog.Spot)
			}
			for _, ct := range types {
				src, ok := current.PriceSource(region, "m6i.large", ct)
				require.True(t, ok, "expected a %s source for m6i.large", ct)
				require.Equal(t, catalog.CurrentSourceID, src.ID, "expected m6i.large's %s price named as current", ct)
				require.Equal(t, "2030-03-04", src.Date)
			}
			src, ok := current.PriceSource(region, "m7g.large", catalog.OnDemand)
			require.True(t, ok)
			shipped := pricetable.Shipped(region)
			require.Equal(t, shipped.ID, src.ID, "expected m7g.large, which the Price List did not list, to name Karpenter's table")
			require.Equal(t, shipped.Date, src.Date)
			want, ok := karppricing.NewDefaultProvider(nil, nil, region, false).OnDemandPrice("m7g.large")
			require.True(t, ok)
			got, _ := current.Price(region, "m7g.large")
			require.Equal(t, want, got.OnDemand, "expected the price Karpenter's provider starts from")
		})
	}
}
