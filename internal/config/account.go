package config

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/karpenter-savings/karpenter-savings/internal/principal"
)

// CheckCreator rejects, while the cluster does not exist yet, an admin principal that is the identity running the
// update (callerARN, from sts:GetCallerIdentity). EKS gives the cluster's creator admin access through an access
// entry of its own, so a second entry for the same identity fails with 409 ResourceInUseException after the
// cluster is up. Once the cluster exists its creator is whoever ran the first update, and listing the identity
// running a later update is legitimate.
func (c *Config) CheckCreator(callerARN string, clusterExists bool) error {
	if clusterExists {
		return nil
	}
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
