package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/costexplorer"

	"github.com/karpenter-savings/karpenter-savings/internal/catalog"
	"github.com/karpenter-savings/karpenter-savings/internal/ops/costtags"
	"github.com/karpenter-savings/karpenter-savings/internal/program/project"
	"github.com/karpenter-savings/karpenter-savings/internal/savings"
	"github.com/karpenter-savings/karpenter-savings/internal/savings/billed"
	"github.com/karpenter-savings/karpenter-savings/internal/savings/workload"
)

// billedPeriodDays is the default period: the last 30 complete days.
const billedPeriodDays = 30

// costExplorerRegion is where Cost Explorer's one endpoint lives.
const costExplorerRegion = "us-east-1"

func billedCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("savings billed", flag.ContinueOnError)
	fs.SetOutput(stderr)
	end := now().UTC().Truncate(24 * time.Hour)
	startFlag := fs.String("start", end.AddDate(0, 0, -billedPeriodDays).Format(time.DateOnly), "first day of the period, YYYY-MM-DD (default: 30 days before --end)")
	endFlag := fs.String("end", end.Format(time.DateOnly), "day after the period, YYYY-MM-DD, exclusive (default: today, UTC)")
	granularity := fs.String("granularity", "MONTHLY", "DAILY or MONTHLY (with --ce-json, the pages' periods say which)")
	var sf stackFlags
	fs.StringVar(&sf.stack, "stack", "dev", "stack whose clusterName and aws:region the report reads")
	fs.StringVar(&sf.dir, "dir", ".", "directory holding Pulumi.yaml")
	fs.StringVar(&sf.baseline, "baseline-type", savings.DefaultBaselineType, "instance type of the on-demand x86 baseline of instance types without GPUs")
	fs.StringVar(&sf.gpu, "baseline-gpu-type", savings.DefaultBaselineGPUType, "instance type of the on-demand baseline of instance types with GPUs (as estimate's GPU node group); bigger GPU types count as the smallest size of its family that holds them")
	prices := fs.String("prices", pricesSnapshot, "snapshot: the embedded, dated price snapshot; auto: current AWS prices when credentials work, else the snapshot")
	asJSON := fs.Bool("json", false, `print one JSON object {"costMetric", "pools", "karpenter", "untagged", "nodeGroup", "incomplete", ...} instead of a table`)
	ceJSON := fs.String("ce-json", "", "replay the `FILE` of saved responses of aws ce get-cost-and-usage --output json instead of calling AWS: one page or a JSON array of pages, "+
		"of Karpenter's query (--group-by TAG karpenter.sh/nodepool and DIMENSION INSTANCE_TYPE) and, to show the managed node group, of its query (--group-by TAG eks:cluster-name and DIMENSION INSTANCE_TYPE), "+
		"with the metrics UnblendedCost and UsageQuantity (Hrs) and, for the amortized cost of Savings Plans and Reserved Instances, AmortizedCost (without it the cost is UnblendedCost, and the report says so); "+
		"a last page that still has a NextPageToken is reported as incomplete")
	workloadFile := fs.String("workload", "", "also set what savings estimate predicts for the manifest `FILE` over the same hours beside the bill")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *prices != pricesAuto && *prices != pricesSnapshot {
		fmt.Fprintf(stderr, "savings billed: --prices %q: want %s or %s\n", *prices, pricesAuto, pricesSnapshot)
		return errUsage
	}
	if *granularity != "DAILY" && *granularity != "MONTHLY" {
		fmt.Fprintf(stderr, "savings billed: --granularity %q: want DAILY or MONTHLY\n", *granularity)
		return errUsage
	}
	start, err1 := time.Parse(time.DateOnly, *startFlag)
	stop, err2 := time.Parse(time.DateOnly, *endFlag)
	if err1 != nil || err2 != nil || !start.Before(stop) {
		fmt.Fprintf(stderr, "savings billed: --start %q --end %q: want two YYYY-MM-DD days, start before end\n", *startFlag, *endFlag)
		return errUsage
	}
	cfg, _, err := project.LoadConfig(sf.dir, sf.stack)
	if err != nil {
		return fmt.Errorf("stack %s: %w", sf.stack, err)
	}
	o := sf.optionsFor(cfg)
	cat, fallbackReason, err := loadPrices(ctx, *prices, o)
	if err != nil {
		return err
	}

	var pages []billed.Page
	var tagNotes []string
	requests := 0
	queried := *granularity
	if *ceJSON != "" {
		// The saved pages were asked for with a granularity of their own; Compute reads it from their periods.
		queried = ""
		f, err := os.Open(*ceJSON)
		if err != nil {
			return fmt.Errorf("--ce-json: %w", err)
		}
		pages, err = billed.Decode(f)
		if err := errors.Join(err, f.Close()); err != nil {
			return fmt.Errorf("--ce-json %s: %w", *ceJSON, err)
		}
	} else {
		awsCfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion(costExplorerRegion))
		if err != nil {
			return fmt.Errorf("AWS configuration: %w", err)
		}
		ce := &countingCE{Client: costexplorer.NewFromConfig(awsCfg)}
		tagNotes = warnTags(ctx, ce, stderr)
		q := billed.Query{ClusterName: cfg.ClusterName, Start: *startFlag, End: *endFlag, Granularity: *granularity}
		pages, err = billed.Fetch(ctx, ce, q)
		requests = ce.requests
		fmt.Fprintf(stderr, "savings billed: %d Cost Explorer requests, billed USD %.2f each (AWS's list price)\n", requests, billed.RequestPriceUSD)
		if err != nil {
			return err
		}
	}
	r, err := billed.Compute(pages, cat, billed.Options{
		Region: o.Region, BaselineType: sf.baseline, BaselineGPUType: sf.gpu, ClusterName: cfg.ClusterName, Granularity: queried, Requests: requests,
	})
	if err != nil {
		return err
	}
	r.Notes = append(r.Notes, tagNotes...)
	if *workloadFile != "" {
		if err := predict(ctx, r, cat, o, *workloadFile); err != nil {
			return err
		}
	}
	if fallbackReason != "" {
		r.Notes = append(r.Notes, "Prices come from the embedded snapshot because current AWS prices were unavailable: "+fallbackReason)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	return billed.WriteTable(stdout, r)
}

// countingCE counts the Cost Explorer requests, because AWS bills each one.
type countingCE struct {
	*costexplorer.Client
	requests int
}

func (c *countingCE) GetCostAndUsage(ctx context.Context, in *costexplorer.GetCostAndUsageInput, opts ...func(*costexplorer.Options)) (*costexplorer.GetCostAndUsageOutput, error) {
	c.requests++
	return c.Client.GetCostAndUsage(ctx, in, opts...)
}

func (c *countingCE) ListCostAllocationTags(ctx context.Context, in *costexplorer.ListCostAllocationTagsInput, opts ...func(*costexplorer.Options)) (*costexplorer.ListCostAllocationTagsOutput, error) {
	c.requests++
	return c.Client.ListCostAllocationTags(ctx, in, opts...)
}

// predict runs the estimate for a workload in-process, on the same prices, and sets it beside the bill.
func predict(ctx context.Context, r *billed.Report, cat *catalog.Catalog, o savings.Options, file string) error {
	w, err := workload.ReadFiles(file)
	if err != nil {
		return err
	}
	est, err := savings.Estimate(ctx, cat, w, o)
	if err != nil {
		return fmt.Errorf("--workload %s: %w", file, err)
	}
	hourly := map[string]float64{}
	for _, s := range est.Scenarios {
		hourly[s.Name] = s.HourlyUSD
	}
	return r.Predict(file, hourly["multiarch"], hourly["baseline"], est.Prices.Source)
}

// tagLoss is what the report lacks while a cost allocation tag is not active: Cost Explorer neither filters nor groups
// by it.
var tagLoss = map[string]string{
	costtags.NodePoolKey:         "Karpenter's hours show as untagged instead of by node pool",
	costtags.ClusterKey:          "Karpenter's hours are missing from this report",
	costtags.NodeGroupClusterKey: "the managed node group's hours are missing from this report",
}

// warnTags prints the fix of each cost allocation tag that is not active and returns, for the report's notes, what
// each such tag leaves out; the report still runs, since Cost Explorer answers without them, only without what they
// give.
func warnTags(ctx context.Context, api costtags.API, stderr io.Writer) []string {
	statuses, err := costtags.Check(ctx, api)
	if err != nil {
		fmt.Fprintf(stderr, "savings billed: could not check the cost allocation tags, continuing: %v\n", err)
		return []string{fmt.Sprintf("The cost allocation tags could not be checked (%v): if one is not active, what it filters or groups by is missing.", err)}
	}
	var notes []string
	for _, s := range statuses {
		if s.State != costtags.Active {
			fmt.Fprintf(stderr, "savings billed: cost allocation tag %s is %s: %s\n", s.Key, s.State, s.Fix)
			notes = append(notes, fmt.Sprintf("The cost allocation tag %s is %s: %s.", s.Key, s.State, tagLoss[s.Key]))
		}
	}
	if len(notes) > 0 {
		fmt.Fprintln(stderr, "savings billed: continuing; the report may show everything as untagged, or nothing of what an inactive tag filters by")
	}
	return notes
}
