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
	"github.com/stretchr/testify/require"
	karpv1 "sigs.k8s.io/karpenter/pkg/apis/v1"
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
