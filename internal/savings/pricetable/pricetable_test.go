package pricetable

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"testing"

	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/karpenter-provider-aws/pkg/providers/pricing"
	"github.com/stretchr/testify/require"

	"github.com/karpenter-savings/karpenter-savings/internal/catalog"
)

// The tables' dates are copied from the generated files' headers; a Karpenter upgrade that regenerates them must
// change the dates too, or every report would date its prices wrongly.
func TestTablesCarryTheDatesOfTheirGeneratedHeaders(t *testing.T) {
	info, ok := debug.ReadBuildInfo()
	require.True(t, ok, "expected build info in the test binary")
	var linked string
	for _, d := range info.Deps {
		if d.Path == Module {
			linked = d.Version
		}
	}
	require.Equal(t, Version, linked, "expected Version to be the linked %s (update Version and the tables' dates)", Module)

	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", Module).Output()
	require.NoError(t, err, "expected go list to find the module in the module cache")
	dir := string(regexp.MustCompile(`\s+$`).ReplaceAll(out, nil))
	header := regexp.MustCompile(`(?m)^// generated at (\d{4}-\d{2}-\d{2})T`)
	for _, tb := range Tables {
		src, err := os.ReadFile(filepath.Join(dir, tb.File))
		require.NoError(t, err)
		m := header.FindSubmatch(src)
		require.NotNil(t, m, "expected a '// generated at' header in %s", tb.File)
		require.Equal(t, string(m[1]), tb.Date, "expected the date of %s's header", tb.File)
	}
}

// Where Karpenter's table has a type, its on-demand price is the one Karpenter's own pricing provider starts from,
// read here through that provider rather than copied; the spot price stays the snapshot's.
func TestOverlayPricesOnDemandAsKarpentersProviderDoes(t *testing.T) {
	cat, err := catalog.Load()
	require.NoError(t, err)
	for _, region := range []string{"us-east-1", "us-gov-west-1"} {
		t.Run(region, func(t *testing.T) {
			laid, err := Overlay(cat, region)
			require.NoError(t, err)
			note := Note(laid, region)
			provider := pricing.NewDefaultProvider(nil, nil, region, false)
			specs, err := laid.Offered(region)
			require.NoError(t, err)
			fromTable, differs := 0, 0
			for _, s := range specs {
				got, _ := laid.Price(region, s.Name)
				snap, _ := cat.Price(region, s.Name)
				require.Equal(t, snap.Spot, got.Spot, "expected %s's spot price to stay the snapshot's", s.Name)
				src, ok := laid.PriceSource(region, s.Name, catalog.OnDemand)
				require.True(t, ok)
				want, inTable := provider.OnDemandPrice(ec2types.InstanceType(s.Name))
				if !inTable {
					require.Equal(t, snap.OnDemand, got.OnDemand, "expected %s, not in Karpenter's table, to keep the snapshot's price", s.Name)
					require.Equal(t, catalog.SnapshotSourceID, src.ID)
					continue
				}
				fromTable++
				require.Equal(t, want, got.OnDemand, "expected %s's on-demand price from Karpenter's table", s.Name)
				require.Equal(t, Shipped(region).ID, src.ID, "expected %s's on-demand price to name Karpenter's table", s.Name)
				if want != snap.OnDemand {
					differs++
				}
			}
			require.Positive(t, fromTable, "expected Karpenter's table to price types of %s", region)
			require.Positive(t, differs, "expected some of Karpenter's prices to differ from the snapshot's, or the test shows nothing")
			require.Contains(t, note, "Karpenter "+Version)
			require.Contains(t, note, fmt.Sprintf("On-demand prices: %d instance types of %s", fromTable, region), "expected the note to count the types")
		})
	}
}

func TestOverlayLeavesAnUncoveredRegionToTheSnapshotAndSaysSo(t *testing.T) {
	cat, err := catalog.Load()
	require.NoError(t, err)
	laid, err := Overlay(cat, "eu-west-1")
	require.NoError(t, err)
	note := Note(laid, "eu-west-1")
	require.Same(t, cat, laid, "expected the snapshot's prices for a region Karpenter's tables do not cover")
	require.Contains(t, note, "On-demand prices of eu-west-1 are the 2025-05-28 snapshot's")
	require.Contains(t, note, "us-east-1", "expected the note to name the regions the tables cover")
}

func TestNoteIsSilentOnCurrentPrices(t *testing.T) {
	cat, err := catalog.Load()
	require.NoError(t, err)
	current, err := cat.WithPrices("eu-west-1", "AWS APIs", "2026-12-01", func(string) (catalog.Price, bool) { return catalog.Price{OnDemand: 1}, true })
	require.NoError(t, err)
	require.Empty(t, Note(current, "eu-west-1"), "expected no note about Karpenter's tables when current prices price the region")
}
