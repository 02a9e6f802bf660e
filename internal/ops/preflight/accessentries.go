package preflight

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"

	"github.com/karpenter-savings/karpenter-savings/internal/program/config"
	"github.com/karpenter-savings/karpenter-savings/internal/program/principal"
)

// accessEntryCheck names the check of one configured admin principal.
func accessEntryCheck(arn string) string {
	return "no access entry outside the stack for admin " + arn
}

// callerAccessCheck names the check that the identity running the preflight keeps its access to the cluster.
func callerAccessCheck(cluster string) string {
	return "the identity running this keeps its access to cluster " + cluster
}

// AccessEntries checks, for each principal of clusterAdminPrincipalArns, that the cluster holds no access entry for
// that identity other than the stack's own. EKS made one for the cluster's creator (pulumi-eks v2.8.1 creates the
// cluster with bootstrapClusterCreatorAdminPermissions); listing that identity once the cluster exists makes
// `pulumi up` create a second entry, which fails with 409 ResourceInUseException halfway through the update. The
// stack's entries are told apart by config.AccessEntryTag (config.OwnsAccessEntry). Then, when the configuration
// does not list callerARN, the identity running the preflight, it checks that no entry of the stack's is what gives
// that identity access: `pulumi up` would delete it (config.CallerLockout). Without a cluster there is nothing to
// find.
func AccessEntries(ctx context.Context, api EKSAPI, cfg *config.Config, callerARN string) []Result {
	admins := cfg.ClusterAdminPrincipalArns
	caller, callerErr := principal.Parse(callerARN)
	callerListed := false
	for _, arn := range admins {
		if p, err := principal.ParseIAM(arn); err == nil && callerErr == nil && p.Same(caller) {
			callerListed = true
		}
	}
	checkCaller := callerErr == nil && !callerListed
	if len(admins) == 0 && !checkCaller {
		return nil
	}
	each := func(status Status, found, fix string) []Result {
		results := make([]Result, 0, len(admins)+1)
		for _, arn := range admins {
			results = append(results, Result{Check: accessEntryCheck(arn), Status: status, Found: found, Fix: fix})
		}
		if checkCaller {
			results = append(results, Result{Check: callerAccessCheck(cfg.ClusterName), Status: status, Found: found, Fix: fix})
		}
		return results
	}
	listed, err := listAccessEntries(ctx, api, cfg.ClusterName)
	switch {
	case notFound[*ekstypes.ResourceNotFoundException](err):
		if len(admins) == 0 {
			return nil
		}
		checkCaller = false
		return each(StatusOK, "no cluster "+cfg.ClusterName+" yet; the preview refuses the identity that will create it", "")
	case err != nil:
		return each(StatusFail, fmt.Sprintf("could not check: %v", err), "fix the error; the check needs eks:ListAccessEntries")
	}
	results := make([]Result, 0, len(admins)+1)
	for _, arn := range admins {
		results = append(results, checkAccessEntry(ctx, api, cfg, arn, listed, callerARN))
	}
	if checkCaller {
		results = append(results, checkCallerAccess(ctx, api, cfg, caller, callerARN, listed))
	}
	return results
}

// checkCallerAccess checks that the configuration keeps the identity running the preflight (caller, not among the
// configured admins) a way into the cluster: an entry the stack created for it would be deleted by `pulumi up`.
func checkCallerAccess(ctx context.Context, api EKSAPI, cfg *config.Config, caller principal.Principal, callerARN string, listed []string) Result {
	res := Result{Check: callerAccessCheck(cfg.ClusterName)}
	entry, err := describeEntryOf(ctx, api, cfg.ClusterName, caller, listed)
	if err != nil {
		return failed(res, "could not check: "+err.Error(), "fix the error; the check needs eks:DescribeAccessEntry")
	}
	if found, fix, locked := cfg.CallerLockout(callerARN, entry); locked {
		return failed(res, found+", and the configuration does not list it", fix)
	}
	if entry == nil {
		return passed(res, "no access entry for "+callerARN+"; the stack gives it none")
	}
	return passed(res, "its access entry ("+entry.PrincipalArn+") is not the stack's, so `pulumi up` leaves it")
}

// describeEntryOf returns the access entry the cluster holds for p among the listed principals, compared as IAM
// identities, or nil when there is none.
func describeEntryOf(ctx context.Context, api EKSAPI, cluster string, p principal.Principal, listed []string) (*config.AccessEntry, error) {
	var held string
	for _, l := range listed {
		if q, err := principal.ParseIAM(l); err == nil && q.Same(p) {
			held = l
			break
		}
	}
	if held == "" {
		return nil, nil
	}
	out, err := api.DescribeAccessEntry(ctx, &eks.DescribeAccessEntryInput{ClusterName: aws.String(cluster), PrincipalArn: aws.String(held)})
	switch {
	case notFound[*ekstypes.ResourceNotFoundException](err):
		// Deleted since it was listed.
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("describing the access entry of %s: %w", held, err)
	}
	entry := &config.AccessEntry{PrincipalArn: held}
	if out.AccessEntry != nil {
		entry.Tags = out.AccessEntry.Tags
	}
	return entry, nil
}

// listAccessEntries returns the principal ARNs of every access entry of the cluster.
func listAccessEntries(ctx context.Context, api EKSAPI, cluster string) ([]string, error) {
	var principals []string
	pages := eks.NewListAccessEntriesPaginator(api, &eks.ListAccessEntriesInput{ClusterName: aws.String(cluster)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing the access entries of cluster %s: %w", cluster, err)
		}
		principals = append(principals, page.AccessEntries...)
	}
	return principals, nil
}

// checkAccessEntry checks one admin principal against the principals of the cluster's access entries, compared as
// IAM identities: EKS may hold a role without the path the configuration gives it.
func checkAccessEntry(ctx context.Context, api EKSAPI, cfg *config.Config, arn string, listed []string, callerARN string) Result {
	res := Result{Check: accessEntryCheck(arn)}
	admin, err := principal.ParseIAM(arn)
	if err != nil {
		return failed(res, err.Error(), "fix "+config.Project+":"+config.KeyClusterAdminPrincipals)
	}
	entry, err := describeEntryOf(ctx, api, cfg.ClusterName, admin, listed)
	switch {
	case err != nil:
		return failed(res, "could not check: "+err.Error(), "fix the error; the check needs eks:DescribeAccessEntry")
	case entry == nil:
		return passed(res, "none; the stack creates it")
	case cfg.OwnsAccessEntry(entry.Tags) && entry.PrincipalArn != arn:
		// As config.CheckAccessEntries refuses it: a new form of the ARN replaces the entry, creating first.
		return failed(res, "the stack's own, made as "+entry.PrincipalArn+": `pulumi up` would replace it, creating the new "+
			"entry first, which fails with 409 ResourceInUseException", "list it as "+entry.PrincipalArn+" in "+
			config.Project+":"+config.KeyClusterAdminPrincipals)
	case cfg.OwnsAccessEntry(entry.Tags):
		return passed(res, "the stack's own ("+entry.PrincipalArn+")")
	}
	found, fix := cfg.AccessEntryConflict(*entry, callerARN)
	return failed(res, "exists: "+found, fix)
}
