package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/karpenter-savings/karpenter-savings/internal/catalog"
	"github.com/karpenter-savings/karpenter-savings/internal/program/config"
	"github.com/karpenter-savings/karpenter-savings/internal/program/project"
	"github.com/karpenter-savings/karpenter-savings/internal/savings"
	"github.com/karpenter-savings/karpenter-savings/internal/savings/pricetable"
	"github.com/karpenter-savings/karpenter-savings/internal/savings/savingsdiff"
	"github.com/karpenter-savings/karpenter-savings/internal/savings/workload"
)

// errAboveThreshold marks a diff whose increase is over --fail-above: exit 3, not the 1 of an error.
var errAboveThreshold = errors.New("above threshold")

// diffCmd estimates the same workloads on the stack configuration of two directories (a pull request's base,
// checked out as a worktree, and its head) with the same prices, and reports what changed.
func diffCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("savings diff", flag.ContinueOnError)
	fs.SetOutput(stderr)
	baseDir := fs.String("base", "", "directory of the base revision (e.g. a `git worktree` of the pull request's base); required")
	var manifests files
	fs.Var(&manifests, "f", "workload manifests to price both revisions on, read as estimate -f reads them; repeatable (default: the head stack's savingsWorkloads)")
	var sf stackFlags
	sf.register(fs, false)
	asJSON := fs.Bool("json", false, `print one JSON object {"base", "head", "change", "nodes", "moved", "configChanges"}`)
	asMarkdown := fs.Bool("markdown", false, "print a pull-request comment (summary line, node table, folded details)")
	failAbove := fs.Float64("fail-above", -1, "exit 3 when the monthly estimate grows by more than this many percent (default: never)")
	var img imageFlags
	img.register(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := img.check(); err != nil {
		fmt.Fprintf(stderr, "savings diff: %v\n", err)
		return errUsage
	}
	if *baseDir == "" {
		fmt.Fprintln(stderr, "savings diff: --base BASEDIR is required")
		return errUsage
	}
	if *asJSON && *asMarkdown {
		fmt.Fprintln(stderr, "savings diff: --json and --markdown print different reports; choose one")
		return errUsage
	}

	head := sf
	base := sf
	base.dir = *baseDir
	defaults, err := project.Defaults(head.dir)
	if err != nil {
		return fmt.Errorf("head %s: %w", head.dir, err)
	}
	headCfg, headValues, err := loadSide("head", head, defaults)
	if err != nil {
		return err
	}
	baseCfg, baseValues, err := loadSide("base", base, defaults)
	if err != nil {
		return err
	}
	paths := []string(manifests)
	display := paths
	if len(paths) == 0 {
		display = headCfg.SavingsWorkloads
		for _, w := range headCfg.SavingsWorkloads {
			paths = append(paths, filepath.Join(head.dir, w))
		}
	}
	w, err := workload.ReadFiles(paths...)
	if err != nil {
		return fmt.Errorf("workloads: %w", err)
	}
	cat, err := catalog.Load()
	if err != nil {
		return err
	}
	// Both sides on the same prices: Karpenter's generated on-demand prices over the snapshot's, in either's region.
	for _, region := range []string{base.optionsFor(baseCfg).Region, head.optionsFor(headCfg).Region} {
		if cat, err = pricetable.Overlay(cat, region); err != nil {
			return err
		}
	}
	// Both sides run the same workload, so its images are read once and pin the same pods on both.
	imgs, err := img.resolve(ctx, w.Pods, w.DaemonSetPods)
	if err != nil {
		return err
	}
	baseOpts, headOpts := base.optionsFor(baseCfg), head.optionsFor(headCfg)
	baseOpts.Images, headOpts.Images = imgs, imgs
	baseReport, err := estimateSide(ctx, "base", base.dir, baseOpts, cat, w)
	if err != nil {
		return err
	}
	headReport, err := estimateSide(ctx, "head", head.dir, headOpts, cat, w)
	if err != nil {
		return err
	}
	d, err := savingsdiff.Compare(display, baseReport, headReport, baseValues, headValues)
	if err != nil {
		return err
	}
	switch {
	case *asJSON:
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(d)
	case *asMarkdown:
		err = d.WriteMarkdown(stdout)
	default:
		err = d.WriteTable(stdout)
	}
	if err != nil {
		return fmt.Errorf("writing the diff: %w", err)
	}
	if *failAbove >= 0 && d.Exceeds(*failAbove) {
		fmt.Fprintf(stderr, "savings diff: the monthly estimate grows by %.2f%%, more than --fail-above %g%%\n", d.Change.Percent, *failAbove)
		return errAboveThreshold
	}
	return nil
}

// loadSide reads one revision's stack values with this revision's code, naming the side and the path when it cannot.
// A key the revision's Pulumi.yaml does not declare (the base of the change that introduces it) takes this
// revision's default, which is what the change compares with.
func loadSide(side string, sf stackFlags, defaults project.Config) (*config.Config, project.Config, error) {
	if _, err := os.Stat(filepath.Join(sf.dir, "Pulumi.yaml")); err != nil {
		return nil, nil, fmt.Errorf("%s %s: no Pulumi.yaml there: %w", side, sf.dir, err)
	}
	values, err := project.Load(sf.dir, sf.stack)
	if err != nil {
		return nil, nil, fmt.Errorf("%s %s: %w", side, sf.dir, err)
	}
	for k, v := range defaults {
		if _, ok := values[k]; !ok {
			values[k] = v
		}
	}
	cfg, err := config.Load(values.Lookup)
	if err != nil {
		return nil, nil, fmt.Errorf("%s %s: invalid configuration of stack %s:\n%w", side, sf.dir, sf.stack, err)
	}
	return cfg, values, nil
}

// estimateSide estimates the workload on one revision's node pools.
func estimateSide(ctx context.Context, side, dir string, o savings.Options, cat *catalog.Catalog, w *workload.Workload) (*savings.Report, error) {
	r, err := savings.Estimate(ctx, cat, w, o)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", side, dir, err)
	}
	return r, nil
}
