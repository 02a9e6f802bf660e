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

// AccessEntries checks, for each principal of clusterAdminPrincipalArns, that the cluster holds no access entry for
// that identity other than the stack's own. EKS made one for the cluster's creator (pulumi-eks v2.8.1 creates the
// cluster with bootstrapClusterCreatorAdminPermissions); listing that identity once the cluster exists makes
// `pulumi up` create a second entry, which fails with 409 ResourceInUseException halfway through the update. The
// stack's entries are told apart by its tags (config.OwnsAccessEntry). Without a cluster there is nothing to find.
func AccessEntries(ctx context.Context, api EKSAPI, cfg *config.Config) []Result {
	admins := cfg.ClusterAdminPrincipalArns
	each := func(status Status, found, fix string) []Result {
		results := make([]Result, 0, len(admins))
		for _, arn := range admins {
			results = append(results, Result{Check: accessEntryCheck(arn), Status: status, Found: found, Fix: fix})
		}
		return results
	}
	if len(admins) == 0 {
		return nil
	}
	if !cfg.CanTellAccessEntries() {
		return each(StatusSkipped, config.Project+":"+config.KeyTags+" is empty, so the stack's entries carry no tags and "+
			"cannot be told from the one EKS made for the cluster's creator", "")
	}
	listed, err := listAccessEntries(ctx, api, cfg.ClusterName)
	switch {
	case notFound[*ekstypes.ResourceNotFoundException](err):
		return each(StatusOK, "no cluster "+cfg.ClusterName+" yet; the preview refuses the identity that will create it", "")
	case err != nil:
		return each(StatusFail, fmt.Sprintf("could not check: %v", err), "fix the error; the check needs eks:ListAccessEntries")
	}
	results := make([]Result, 0, len(admins))
	for _, arn := range admins {
		results = append(results, checkAccessEntry(ctx, api, cfg, arn, listed))
	}
	return results
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
func checkAccessEntry(ctx context.Context, api EKSAPI, cfg *config.Config, arn string, listed []string) Result {
	res := Result{Check: accessEntryCheck(arn)}
	admin, err := principal.ParseIAM(arn)
	if err != nil {
		return failed(res, err.Error(), "fix "+config.Project+":"+config.KeyClusterAdminPrincipals)
	}
	var held string
	for _, l := range listed {
		if p, err := principal.ParseIAM(l); err == nil && p.Same(admin) {
			held = l
			break
		}
	}
	if held == "" {
		return passed(res, "none; the stack creates it")
	}
	out, err := api.DescribeAccessEntry(ctx, &eks.DescribeAccessEntryInput{ClusterName: aws.String(cfg.ClusterName), PrincipalArn: aws.String(held)})
	switch {
	case notFound[*ekstypes.ResourceNotFoundException](err):
		// Deleted since it was listed.
		return passed(res, "none; the stack creates it")
	case err != nil:
		return failed(res, fmt.Sprintf("could not check: describing the access entry of %s: %v", held, err),
			"fix the error; the check needs eks:DescribeAccessEntry")
	}
	entry := config.AccessEntry{PrincipalArn: held}
	if out.AccessEntry != nil {
		entry.Tags = out.AccessEntry.Tags
	}
	if cfg.OwnsAccessEntry(entry.Tags) {
		return passed(res, "the stack's own ("+held+")")
	}
	found, fix := cfg.AccessEntryConflict(entry)
	return failed(res, "exists: "+found, fix)
}
