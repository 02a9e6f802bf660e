package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/karpenter-savings/karpenter-savings/internal/catalog"
	"github.com/karpenter-savings/karpenter-savings/internal/savings"
	"github.com/karpenter-savings/karpenter-savings/internal/savings/pricetable"
	"github.com/karpenter-savings/karpenter-savings/internal/savings/workload"
)

// progressPods is the workload size above which an estimate takes long enough to show its progress.
const progressPods = 1000

// isTerminal says whether w is a terminal, where a progress line that rewrites itself reads well.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func estimate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("savings estimate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var manifests files
	fs.Var(&manifests, "f", "Kubernetes manifests as kubectl reads them: multi-document YAML or JSON, helm template output, or a kubectl get -o yaml List; "+
		"workloads, Pods, CronJobs, HPAs and PDBs are read, every other object is listed as ignored; repeatable")
	var sf stackFlags
	sf.register(fs, true)
	var out output
	out.register(fs)
	var img imageFlags
	img.register(fs)
	prices := fs.String("prices", pricesSnapshot, "snapshot: Karpenter's generated on-demand prices where it has the type, else the embedded snapshot's, and the snapshot's spot prices, all dated (reproducible); auto: current AWS prices when credentials work, else as snapshot")
	if err := parse(fs, args); err != nil {
		return err
	}
	if len(manifests) == 0 {
		fmt.Fprintln(stderr, "savings estimate: at least one -f WORKLOAD.yaml is required")
		return errUsage
	}
	if *prices != pricesAuto && *prices != pricesSnapshot {
		fmt.Fprintf(stderr, "savings estimate: --prices %q: want %s or %s\n", *prices, pricesAuto, pricesSnapshot)
		return errUsage
	}
	if err := img.check(); err != nil {
		fmt.Fprintf(stderr, "savings estimate: %v\n", err)
		return errUsage
	}
	o, err := sf.options()
	if err != nil {
		return err
	}
	w, err := workload.ReadFiles(manifests...)
	if err != nil {
		return err
	}
	if o.Images, err = img.resolve(ctx, w.Pods, w.DaemonSetPods); err != nil {
		return err
	}
	cat, fallbackReason, err := loadPrices(ctx, *prices, o)
	if err != nil {
		return err
	}
	if len(w.Pods) > progressPods && isTerminal(stderr) {
		o.Progress = func(done, total int) {
			fmt.Fprintf(stderr, "\rsavings estimate: %d pods, %d of %d stages done", len(w.Pods), done, total)
			if done == total {
				fmt.Fprintln(stderr)
			}
		}
	}
	r, err := savings.Estimate(ctx, cat, w, o)
	if err != nil {
		return err
	}
	if fallbackReason != "" {
		r.Notes = append(r.Notes, "Prices come from the embedded snapshot and Karpenter's generated on-demand prices because current AWS prices were unavailable: "+fallbackReason)
	}
	if err := out.write(stdout, r); err != nil {
		return errors.Join(errors.New("writing the report"), err)
	}
	return nil
}

// loadPrices loads the catalog and, with --prices auto, re-prices it with current AWS prices; without them, it lays
// Karpenter's generated on-demand prices over the snapshot's. fallbackReason says why current prices could not be had.
func loadPrices(ctx context.Context, prices string, o savings.Options) (cat *catalog.Catalog, fallbackReason string, err error) {
	cat, err = catalog.Load()
	if err != nil {
		return nil, "", fmt.Errorf("loading the price catalog: %w", err)
	}
	if prices == pricesAuto {
		current, reason := currentPrices(ctx, cat, o)
		if reason == "" {
			return current, "", nil
		}
		fallbackReason = reason
	}
	cat, err = pricetable.Overlay(cat, o.Region)
	if err != nil {
		return nil, "", err
	}
	return cat, fallbackReason, nil
}

// currentPrices re-prices the catalog's region with current AWS prices (the Price List API and EC2's spot price
// history, through Karpenter's pricing provider), or returns the snapshot and why it had to.
func currentPrices(ctx context.Context, cat *catalog.Catalog, o savings.Options) (*catalog.Catalog, string) {
	p, err := awsPricer(ctx, o.Region)
	if err != nil {
		return cat, err.Error()
	}
	current, err := p.Catalog(cat, o.Zones)
	if err != nil {
		return cat, err.Error()
	}
	return current, ""
}
