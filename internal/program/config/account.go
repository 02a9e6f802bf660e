package config

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/karpenter-savings/karpenter-savings/internal/program/principal"
)

// CheckCreator rejects an admin principal that is the identity about to create the cluster (callerARN, from
// sts:GetCallerIdentity); it applies while the cluster does not exist yet. EKS gives the cluster's creator admin
// access through an access entry of its own, so a second entry for the same identity fails with 409
// ResourceInUseException after the cluster is up. Once the cluster exists, CheckAccessEntries looks at the entries
// EKS holds instead.
func (c *Config) CheckCreator(callerARN string) error {
	caller, err := principal.Parse(callerARN)
	if err != nil {
		// The account root or a federated user: neither can be an entry of clusterAdminPrincipalArns.
		return nil
	}
	for _, arn := range c.ClusterAdminPrincipalArns {
		if p, err := principal.ParseIAM(arn); err == nil && p.Same(caller) {
			return fmt.Errorf("%s: %q is the identity creating the cluster (%s); EKS makes the creator a cluster admin itself, "+
				"and a second access entry for it fails with 409 ResourceInUseException: remove it from the list, or run the first "+
				"`pulumi up` as another identity", qualify(KeyClusterAdminPrincipals), arn, callerARN)
		}
	}
	return nil
}

// AccessEntry is an EKS access entry that exists for a configured admin principal.
type AccessEntry struct {
	// PrincipalArn is the entry's principal, as EKS holds it.
	PrincipalArn string
	// Tags are the entry's tags; the entry EKS makes for the cluster's creator has none.
	Tags map[string]string
}

// CanTellAccessEntries reports whether an access entry the stack created can be told from one it did not: only by
// the stack's tags, so not when none are configured.
func (c *Config) CanTellAccessEntries() bool { return len(c.Tags) > 0 }

// OwnsAccessEntry reports whether an access entry with tags is one the stack created. The stack tags its entries
// with Tags (components/cluster passes them to pulumi-eks, and awstags.Transform adds them to its children); the
// entry EKS makes for the cluster's creator (pulumi-eks v2.8.1 sets bootstrapClusterCreatorAdminPermissions) has
// none. One of the stack's tags with its value is enough: a change of Tags reaches the stack's entries only with the
// update that this check precedes, and requiring every tag would refuse the stack's own entries then.
func (c *Config) OwnsAccessEntry(tags map[string]string) bool {
	for k, v := range c.Tags {
		if got, ok := tags[k]; ok && got == v {
			return true
		}
	}
	return false
}

// CheckAccessEntries rejects, once the cluster exists, an admin principal that already has an access entry the
// stack did not create: entries maps a configured ARN to the entry EKS holds for that identity, for those that have
// one. Creating a second entry for the identity would fail with 409 ResourceInUseException halfway through the
// update; typically it is the identity that created the cluster, which EKS made an admin then.
func (c *Config) CheckAccessEntries(entries map[string]AccessEntry) error {
	if !c.CanTellAccessEntries() {
		return nil
	}
	var errs problems
	for _, arn := range c.ClusterAdminPrincipalArns {
		entry, ok := entries[arn]
		if !ok || c.OwnsAccessEntry(entry.Tags) {
			continue
		}
		found, fix := c.AccessEntryConflict(entry)
		errs.add(KeyClusterAdminPrincipals, "%q already has an access entry on cluster %s that the stack did not create (%s), and a "+
			"second entry for the same identity fails with 409 ResourceInUseException: %s", arn, c.ClusterName, found, fix)
	}
	return errors.Join(errs...)
}

// AccessEntryConflict describes entry, an admin principal's access entry the stack did not create: what marks it as
// not the stack's, and what to do about it.
func (c *Config) AccessEntryConflict(entry AccessEntry) (found, fix string) {
	found = fmt.Sprintf("principal %s, no tags", entry.PrincipalArn)
	// An untagged entry is the one EKS made for the cluster's creator, with cluster-admin access.
	why := "that identity is already a cluster admin, through the entry EKS made for the cluster's creator"
	if len(entry.Tags) > 0 {
		tags := make([]string, 0, len(entry.Tags))
		for k, v := range entry.Tags {
			tags = append(tags, k+"="+v)
		}
		slices.Sort(tags)
		found = fmt.Sprintf("principal %s, tags %s, none of %s", entry.PrincipalArn, strings.Join(tags, ","), qualify(KeyTags))
		why = "that identity already has the access this entry grants, managed outside this stack"
	}
	fix = fmt.Sprintf("remove it from %s (%s), or, if the stack should own the entry, delete it (aws eks delete-access-entry "+
		"--region %s --cluster-name %s --principal-arn %s) before `pulumi up`",
		qualify(KeyClusterAdminPrincipals), why, c.Region, c.ClusterName, entry.PrincipalArn)
	return found, fix
}

// CheckZones rejects configured availability zones the region does not offer (available, from the region's
// ec2:DescribeAvailabilityZones as aws.getAvailabilityZones returns it): a zone letter the region lacks, or a zone
// of another region whose name starts like this one, passes the name check but fails when the first subnet is
// created.
func (c *Config) CheckZones(available []string) error {
	var errs problems
	for _, z := range c.AvailabilityZones {
		if !slices.Contains(available, z) {
			errs.add(KeyAvailabilityZones, "%q is not an available zone of %s; the region offers %s", z, c.Region, strings.Join(available, ", "))
		}
	}
	return errors.Join(errs...)
}
