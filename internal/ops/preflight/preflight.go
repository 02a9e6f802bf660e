// Package preflight checks, before a first `pulumi up`, what the stack needs and cannot create itself: the local
// tools pulumi-eks runs, working AWS credentials, and an account free of leftovers that carry the fixed names the
// stack gives its resources (an earlier stack or an interrupted destroy leaves them, and the up then fails halfway).
// Once the cluster exists, it also checks that no configured cluster admin already has an access entry the stack did
// not create (the one EKS made for the cluster's creator): the up would fail halfway on that too. It reports the
// state of the cost allocation tags `savings billed` groups the bill by, which activateCostAllocationTags activates.
//
// Every check yields one Result. A check that could not run is skipped, not failed: without credentials the local
// checks still run and the account checks are reported as skipped, so that the exit status reflects only what was
// checked.
package preflight

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/karpenter-savings/karpenter-savings/internal/ops/costtags"
	"github.com/karpenter-savings/karpenter-savings/internal/program/config"
)

// Status is the outcome of one check.
type Status string

// The outcomes of a check.
const (
	StatusOK      Status = "ok"
	StatusFail    Status = "FAIL"
	StatusSkipped Status = "skipped"
)

// Result is one check's line of the report.
type Result struct {
	// Check says what was checked, e.g. "kubectl >= 1.24".
	Check string
	// Status is the outcome.
	Status Status
	// Found is what the check found, or why it was skipped.
	Found string
	// Fix says what to do; set when Status is StatusFail, and on a result that leaves a step for later (a cost
	// allocation tag that no bill has carried yet cannot be activated before one has).
	Fix string
}

// Report is the outcome of every check, in the order they ran.
type Report struct {
	Results []Result
	// AccountSkipped says why the account checks did not run; empty when they ran.
	AccountSkipped string
}

// Run runs the local tool checks through runner, the sample-app manifest check through clients.Fetch (when set and
// the app is enabled), then the account checks through clients, in the stack's region: the fixed names, the cost
// allocation tags, then the access entries of the configured cluster admins.
func Run(ctx context.Context, runner Runner, clients Clients, cfg *config.Config) Report {
	results := Tools(ctx, runner)
	if cfg.SampleApp.Enabled && clients.Fetch != nil {
		results = append(results, Manifest(ctx, clients.Fetch, cfg.SampleApp.ManifestURL))
	}
	account, caller, skipped := Account(ctx, clients, cfg.Region, FixedNames(cfg))
	results = append(results, account...)
	if skipped != "" {
		for _, key := range costtags.Keys {
			results = append(results, Result{Check: costTagCheck(key), Status: StatusSkipped, Found: "no credentials"})
		}
		for _, arn := range cfg.ClusterAdminPrincipalArns {
			results = append(results, Result{Check: accessEntryCheck(arn), Status: StatusSkipped, Found: "no credentials"})
		}
		return Report{Results: results, AccountSkipped: skipped}
	}
	results = append(results, CostAllocationTags(ctx, clients.CostExplorer, cfg.ActivateCostAllocationTags)...)
	return Report{Results: append(results, AccessEntries(ctx, clients.EKS, cfg, caller)...)}
}

// Count returns how many results have status s.
func (r Report) Count(s Status) int {
	n := 0
	for _, res := range r.Results {
		if res.Status == s {
			n++
		}
	}
	return n
}

// Write prints one line per check (status, check, what was found, and the fix of a failure), then a summary.
func (r Report) Write(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, res := range r.Results {
		line := fmt.Sprintf("%s\t%s\t%s", res.Status, res.Check, res.Found)
		if res.Fix != "" {
			line += " -> " + res.Fix
		}
		fmt.Fprintln(tw, line)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("writing the report: %w", err)
	}
	fmt.Fprintf(w, "\npreflight: %d ok, %d failed, %d skipped\n", r.Count(StatusOK), r.Count(StatusFail), r.Count(StatusSkipped))
	if r.AccountSkipped != "" {
		fmt.Fprintf(w, "account checks skipped: %s. Skipped checks do not fail the preflight; run it again with credentials before `pulumi up`.\n", r.AccountSkipped)
	}
	return nil
}
