// Package pricetable lays Karpenter's own generated on-demand price tables over the catalog snapshot: Karpenter's AWS
// provider ships the Price List API's on-demand prices, generated when the release was cut, and starts from them
// before it reaches the API. The package lives on the savings side so that the Pulumi program, which reads the catalog
// to validate its configuration, does not link Karpenter's provider.
package pricetable

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/karpenter-provider-aws/pkg/providers/pricing"

	"github.com/karpenter-savings/karpenter-savings/internal/catalog"
)

// Module and Version name the Karpenter AWS provider whose tables are read; go.mod pins the same version, and a test
// checks that they agree.
const (
	Module  = "github.com/aws/karpenter-provider-aws"
	Version = "v1.14.3"
)

// SourceID is what a report's nodes priced from these tables name as their price source.
const SourceID = "karpenter"

// Table is one of Karpenter's generated on-demand price tables: the file that holds it and the date its header says
// it was generated on (the generator writes the date in a comment only, so it is copied here and checked by a test).
type Table struct {
	File   string
	Date   string // YYYY-MM-DD
	prices map[string]map[ec2types.InstanceType]float64
}

// Tables are the generated tables for the partitions the snapshot prices: the commercial one (us-east-1 only) and
// GovCloud's. The China table is left out: the snapshot has no China region to lay it over.
var Tables = []Table{
	{File: "pkg/providers/pricing/zz_generated.pricing_aws.go", Date: "2026-07-06", prices: pricing.InitialOnDemandPricesAWS},
	{File: "pkg/providers/pricing/zz_generated.pricing_aws_us_gov.go", Date: "2026-06-15", prices: pricing.InitialOnDemandPricesUSGov},
}

// Regions are the regions the tables price, sorted.
func Regions() []string {
	var out []string
	for _, t := range Tables {
		out = append(out, slices.Collect(maps.Keys(t.prices))...)
	}
	slices.Sort(out)
	return out
}

// Overlay returns cat with the on-demand prices of region taken from Karpenter's table wherever it has the type, and
// a note on what it did: how many types it priced, and the types of the table the snapshot has no spec for, which an
// estimate cannot offer. A region no table covers keeps the snapshot's prices, with a note that says so: Karpenter
// itself starts from us-east-1's table there, which would price another region wrongly.
func Overlay(cat *catalog.Catalog, region string) (*catalog.Catalog, string, error) {
	for _, t := range Tables {
		prices, ok := t.prices[region]
		if !ok {
			continue
		}
		src := Source(t)
		laid, n, err := cat.WithOnDemand(region, src, func(name string) (float64, bool) {
			p, ok := prices[ec2types.InstanceType(name)]
			return p, ok
		})
		if err != nil {
			return nil, "", fmt.Errorf("pricetable: %w", err)
		}
		var unknown []string
		for it := range prices {
			if _, ok := cat.Spec(string(it)); !ok {
				unknown = append(unknown, string(it))
			}
		}
		note := fmt.Sprintf("On-demand prices: %d instance types of %s are priced from %s of %s", n, region, src.Source, src.Date)
		if len(unknown) > 0 {
			slices.Sort(unknown)
			note += fmt.Sprintf("; it prices %d more types (e.g. %s) that the %s snapshot has no spec for, which the estimate does not offer",
				len(unknown), strings.Join(unknown[:min(3, len(unknown))], ", "), cat.Date())
		}
		return laid, note + ".", nil
	}
	return cat, fmt.Sprintf("On-demand prices of %s are the %s snapshot's: Karpenter %s's generated tables price only %s (elsewhere Karpenter "+
		"starts from us-east-1's prices until it reaches the Price List API).", region, cat.Date(), Version, strings.Join(Regions(), ", ")), nil
}

// Source names one table as a catalog price source.
func Source(t Table) catalog.PriceSource {
	return catalog.PriceSource{ID: SourceID, Source: fmt.Sprintf("Karpenter %s's generated on-demand prices (%s@%s/%s)", Version, Module, Version, t.File), Date: t.Date}
}
