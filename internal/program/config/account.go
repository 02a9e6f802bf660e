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

// AccessEntryTag is the tag key by which the stack knows the access entries it creates: components/cluster puts it on
// each, valued with the cluster's name (AccessEntryTags), whatever `tags` holds, and validateTags refuses it there,
// so replacing the `tags` map never changes it. The entry EKS makes for the cluster's creator (pulumi-eks v2.8.1
// sets bootstrapClusterCreatorAdminPermissions) has no tags at all.
const AccessEntryTag = "karpenter-savings/access-entry"

// AccessEntryTags are the tags the stack puts on every access entry it creates, beside the configured ones.
func (c *Config) AccessEntryTags() map[string]string {
	return map[string]string{AccessEntryTag: c.ClusterName}
}

// AccessEntry is an EKS access entry that exists for a configured admin principal or for the identity running the
// preview.
type AccessEntry struct {
	// PrincipalArn is the entry's principal, as EKS holds it.
	PrincipalArn string
	// Tags are the entry's tags; the entry EKS makes for the cluster's creator has none.
	Tags map[string]string
}

// OwnsAccessEntry reports whether an access entry with tags is one the stack created: it carries AccessEntryTag with
// the cluster's name. An entry made before the stack set that tag (it has no AccessEntryTag at all) is the stack's
// when it carries one of the configured tags with its value, as the stack then told its entries; the first
// `pulumi up` that sets AccessEntryTag ends that.
func (c *Config) OwnsAccessEntry(tags map[string]string) bool {
	if v, ok := tags[AccessEntryTag]; ok {
		return v == c.ClusterName
	}
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
// update; typically it is the identity that created the cluster, which EKS made an admin then. callerARN is the
// identity running the preview (sts:GetCallerIdentity), whose own entry the advice never tells to delete.
func (c *Config) CheckAccessEntries(entries map[string]AccessEntry, callerARN string) error {
	var errs problems
	for _, arn := range c.ClusterAdminPrincipalArns {
		entry, ok := entries[arn]
		if !ok {
			continue
		}
		if c.OwnsAccessEntry(entry.Tags) {
			// The stack's entry, made when the principal was listed in another form (with or without its path): the
			// entry's principal ARN forces a new entry (principal_arn is ForceNew, terraform-provider-aws
			// internal/service/eks/access_entry.go), which the engine creates before it deletes the old one, and
			// EKS refuses a second entry for one identity.
			if entry.PrincipalArn != arn {
				errs.add(KeyClusterAdminPrincipals, "%q names the identity whose access entry on cluster %s the stack made as %s: "+
					"`pulumi up` would replace the entry, creating the new one first, which fails with 409 ResourceInUseException "+
					"while the old one holds the identity; list it as %q", arn, c.ClusterName, entry.PrincipalArn, entry.PrincipalArn)
			}
			continue
		}
		found, fix := c.AccessEntryConflict(entry, callerARN)
		errs.add(KeyClusterAdminPrincipals, "%q already has an access entry on cluster %s that the stack did not create (%s), and a "+
			"second entry for the same identity fails with 409 ResourceInUseException: %s", arn, c.ClusterName, found, fix)
	}
	return errors.Join(errs...)
}

// AccessEntryConflict describes entry, an admin principal's access entry the stack did not create: what marks it as
// not the stack's, and what to do about it. When the entry is callerARN's, the identity running the check, the fix
// does not offer to delete it: that identity would lose the cluster (the stack's kubeconfig authenticates as the
// identity running Pulumi, so the preview itself could not reach the cluster any more).
func (c *Config) AccessEntryConflict(entry AccessEntry, callerARN string) (found, fix string) {
	found = fmt.Sprintf("principal %s, no tags", entry.PrincipalArn)
	// An untagged entry is the one EKS made for the cluster's creator, with cluster-admin access.
	why := "that identity is already a cluster admin, through the entry EKS made for the cluster's creator"
	if len(entry.Tags) > 0 {
		tags := make([]string, 0, len(entry.Tags))
		for k, v := range entry.Tags {
			tags = append(tags, k+"="+v)
		}
		slices.Sort(tags)
		found = fmt.Sprintf("principal %s, tags %s, neither %s=%s nor any of %s", entry.PrincipalArn, strings.Join(tags, ","),
			AccessEntryTag, c.ClusterName, qualify(KeyTags))
		why = "that identity already has the access this entry grants, managed outside this stack"
	}
	if isCaller(entry.PrincipalArn, callerARN) {
		fix = fmt.Sprintf("remove it from %s (%s); it is the identity running this preview, so keep its entry: deleting it "+
			"would lock this identity out of the cluster", qualify(KeyClusterAdminPrincipals), why)
		return found, fix
	}
	fix = fmt.Sprintf("remove it from %s (%s), or, if the stack should own the entry, delete it (aws eks delete-access-entry "+
		"--region %s --cluster-name %s --principal-arn %s) before `pulumi up`",
		qualify(KeyClusterAdminPrincipals), why, c.Region, c.ClusterName, entry.PrincipalArn)
	return found, fix
}

// CheckCallerKeepsAccess rejects, once the cluster exists, a configuration that no longer lists the identity running
// the preview (callerARN, from sts:GetCallerIdentity) while its access to the cluster is an entry the stack created
// (callerEntry; nil when EKS holds none for it): `pulumi up` would delete that entry, and with it the identity's
// access to the Kubernetes API, which every later `pulumi up`, refresh and destroy of the stack needs, since the
// stack's kubeconfig authenticates as the identity running Pulumi (pulumi-eks v2.8.1, generateKubeconfig in
// nodejs/eks/cluster.ts, runs `aws eks get-token` with no --role when no providerCredentialOpts are set, and the
// stack sets none). An entry the stack did not create (the one EKS
// made for the cluster's creator, or one made outside the stack) is not deleted, so the identity keeps its access
// that way. The aws-auth ConfigMap gives none: pulumi-eks writes it with the stack's mappings only, and the stack
// maps no identity there.
func (c *Config) CheckCallerKeepsAccess(callerARN string, callerEntry *AccessEntry) error {
	found, fix, locked := c.CallerLockout(callerARN, callerEntry)
	if !locked {
		return nil
	}
	var errs problems
	errs.add(KeyClusterAdminPrincipals, "%s, and this configuration no longer lists it: %s", found, fix)
	return errors.Join(errs...)
}

// CallerLockout says whether applying the configuration would delete the access entry through which callerARN
// reaches the cluster (see CheckCallerKeepsAccess), and if so what was found and what to do.
func (c *Config) CallerLockout(callerARN string, callerEntry *AccessEntry) (found, fix string, locked bool) {
	if callerEntry == nil || !c.OwnsAccessEntry(callerEntry.Tags) {
		return "", "", false
	}
	caller, err := principal.Parse(callerARN)
	if err != nil {
		return "", "", false
	}
	for _, arn := range c.ClusterAdminPrincipalArns {
		if p, err := principal.ParseIAM(arn); err == nil && p.Same(caller) {
			return "", "", false
		}
	}
	found = fmt.Sprintf("%s, the identity running this, reaches cluster %s through the access entry this stack created for %s",
		callerARN, c.ClusterName, callerEntry.PrincipalArn)
	fix = fmt.Sprintf("`pulumi up` would delete that entry and lock this identity out of the cluster, so that it could not run "+
		"the stack's next update, refresh or destroy; keep %q in %s, or make the change as another identity that stays a "+
		"cluster admin", callerEntry.PrincipalArn, qualify(KeyClusterAdminPrincipals))
	return found, fix, true
}

// isCaller reports whether arn, an access entry's principal, is the identity callerARN names.
func isCaller(arn, callerARN string) bool {
	p, err := principal.ParseIAM(arn)
	if err != nil {
		return false
	}
	caller, err := principal.Parse(callerARN)
	return err == nil && p.Same(caller)
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
