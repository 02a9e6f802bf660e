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
	Version = "v1.14.4"
)

// Table is one of Karpenter's generated on-demand price tables: the file that holds it and the date its header says
// it was generated on (the generator writes the date in a comment only, so it is copied here and checked by a test).
type Table struct {
	// ID is what a report's nodes priced from the table name as their price source.
	ID     string
	File   string
	Date   string // YYYY-MM-DD
	prices map[string]map[ec2types.InstanceType]float64
}

// Tables are the generated tables for the partitions the snapshot prices: the commercial one (us-east-1 only, the
// first) and GovCloud's. The China table is left out: the snapshot has no China region to lay it over.
var Tables = []Table{
	{ID: "karpenter", File: "pkg/providers/pricing/zz_generated.pricing_aws.go", Date: "2026-07-06", prices: pricing.InitialOnDemandPricesAWS},
	{ID: "karpenter-us-gov", File: "pkg/providers/pricing/zz_generated.pricing_aws_us_gov.go", Date: "2026-06-15", prices: pricing.InitialOnDemandPricesUSGov},
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

// Overlay returns cat with the on-demand prices of region taken from Karpenter's table wherever it has the type. A
// region no table covers keeps the snapshot's prices (Note says so): Karpenter itself starts from us-east-1's table
// there, which would price another region wrongly.
func Overlay(cat *catalog.Catalog, region string) (*catalog.Catalog, error) {
	t, ok := tableOf(region)
	if !ok {
		return cat, nil
	}
	laid, _, err := cat.WithOnDemand(region, Source(t), func(name string) (float64, bool) {
		p, ok := t.prices[region][ec2types.InstanceType(name)]
		return p, ok
	})
	if err != nil {
		return nil, fmt.Errorf("pricetable: %w", err)
	}
	return laid, nil
}

// Shipped is the table Karpenter's pricing provider starts from in region, and keeps a type's price from when the
// Price List does not list it: the region's own, else the commercial table, which prices us-east-1 only.
func Shipped(region string) Table {
	if t, ok := tableOf(region); ok {
		return t
	}
	return Tables[0]
}

// Note says what Karpenter's tables did for cat's on-demand prices in region: how many types they priced and which
// of their types the snapshot has no spec for (an estimate cannot offer those), or that no table covers the region.
// It returns "" when no table priced anything and the region's on-demand prices are not the snapshot's.
func Note(cat *catalog.Catalog, region string) string {
	t, covered := tableOf(region)
	if !covered {
		t = Tables[0]
	}
	used, snapshotOnDemand := 0, false
	for _, u := range cat.PriceSources(region) {
		switch {
		case u.CapacityType == catalog.OnDemand && u.ID == t.ID:
			used = u.InstanceTypes
		case u.CapacityType == catalog.OnDemand && u.ID == catalog.SnapshotSourceID:
			snapshotOnDemand = true
		}
	}
	switch {
	case used > 0 && !covered:
		return fmt.Sprintf("On-demand prices: %d instance types that the Price List did not list for %s keep the price Karpenter %s ships "+
			"for us-east-1 (generated on %s), as Karpenter's pricing provider itself does.", used, region, Version, t.Date)
	case used > 0:
		note := fmt.Sprintf("On-demand prices: %d instance types of %s are priced from %s, generated on %s", used, region, Source(t).Source, t.Date)
		var unknown []string
		for it := range t.prices[region] {
			if _, ok := cat.Spec(string(it)); !ok {
				unknown = append(unknown, string(it))
			}
		}
		if len(unknown) > 0 {
			slices.Sort(unknown)
			note += fmt.Sprintf("; the table prices %d more types (e.g. %s) that the %s snapshot has no spec for, which the estimate does not offer",
				len(unknown), strings.Join(unknown[:min(3, len(unknown))], ", "), cat.Date())
		}
		return note + "."
	case !covered && snapshotOnDemand:
		return fmt.Sprintf("On-demand prices of %s are the %s snapshot's: Karpenter %s's generated tables price only %s (elsewhere Karpenter "+
			"starts from us-east-1's prices until it reaches the Price List API).", region, cat.Date(), Version, strings.Join(Regions(), ", "))
	}
	return ""
}

// tableOf returns the table that prices region.
func tableOf(region string) (Table, bool) {
	for _, t := range Tables {
		if _, ok := t.prices[region]; ok {
			return t, true
		}
	}
	return Table{}, false
}

// Source names one table as a catalog price source.
func Source(t Table) catalog.PriceSource {
	return catalog.PriceSource{ID: t.ID, Source: fmt.Sprintf("Karpenter %s's generated on-demand prices (%s@%s/%s)", Version, Module, Version, t.File), Date: t.Date}
}
