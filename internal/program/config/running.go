package config

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// RunningCluster is what the account says of the stack's EKS cluster once it exists, read at preview before anything
// is declared.
type RunningCluster struct {
	// Version is the control plane's Kubernetes version, as EKS reports it ("1.35").
	Version string
	// VpcID is the VPC the cluster runs in, and VpcCidr that VPC's primary IPv4 CIDR.
	VpcID, VpcCidr string
}

// CheckRunningCluster refuses a configuration that EKS cannot apply to the running cluster, before anything is
// declared: `pulumi up` would otherwise build what it can first (a second VPC with its NAT gateways, for a new
// vpcCidr) and fail on the cluster halfway.
//   - vpcCidr: the network component builds the VPC from it, and a new CIDR replaces the VPC and its subnets; EKS
//     cannot move a cluster to another VPC (its VPC is fixed at creation; UpdateClusterConfig changes only the
//     endpoint access and security groups), so the cluster's update fails after the new VPC exists.
//   - kubernetesVersion: EKS upgrades a cluster one minor at a time and never downgrades it (UpdateClusterVersion
//     accepts only the next minor).
func (c *Config) CheckRunningCluster(r RunningCluster) error {
	var errs problems
	if r.VpcCidr != "" && r.VpcCidr != c.VpcCidr {
		errs.add(KeyVpcCidr, "%q differs from %s, the CIDR of %s, where EKS cluster %s runs: a new CIDR builds a second VPC (with its NAT gateways), "+
			"and EKS cannot move a running cluster to another VPC; set it back to %s (to move the cluster, destroy the stack and deploy it again, "+
			"or deploy a new stack with another %s)", c.VpcCidr, r.VpcCidr, r.VpcID, c.ClusterName, r.VpcCidr, qualify(KeyClusterName))
	}
	want, running := minor(c.KubernetesVersion), minor(r.Version)
	switch {
	case running < 0 || want < 0:
		// Validate has refused a configured version that does not parse; EKS's own answer is "1.<minor>".
		if running < 0 {
			errs = append(errs, fmt.Errorf("%s: EKS reports version %q for cluster %s, which is not a Kubernetes minor (1.<n>): cannot check the change", qualify(KeyKubernetesVersion), r.Version, c.ClusterName))
		}
	case want < running:
		errs.add(KeyKubernetesVersion, "%q is older than %s, the version EKS cluster %s runs: EKS never downgrades a cluster; set it back to %s "+
			"(an older version needs a new cluster: a new stack with another %s)", c.KubernetesVersion, r.Version, c.ClusterName, r.Version, qualify(KeyClusterName))
	case want > running+1:
		errs.add(KeyKubernetesVersion, "%q is more than one minor above %s, the version EKS cluster %s runs: EKS upgrades one minor at a time; "+
			"set it to 1.%d, run `pulumi up`, then go on one minor at a time", c.KubernetesVersion, r.Version, c.ClusterName, running+1)
	}
	return errors.Join(errs...)
}

// CheckKarpenterRegion refuses an aws:region other than the one the stack's Karpenter IAM is scoped to, when no
// cluster of the stack's name exists in the configured region: the stack (or an earlier stack of the same
// clusterName) runs in that other region. IAM is global and the stack gives its Karpenter roles and policies fixed
// names, so `pulumi up` in the new region would build a second VPC with its NAT gateways, then fail on names that
// already exist; an aws:region change is no move. policy names the IAM policy regions were read from.
func (c *Config) CheckKarpenterRegion(policy string, regions []string) error {
	if len(regions) == 0 || slices.Contains(regions, c.Region) {
		return nil
	}
	var errs problems
	errs.add(RegionKey, "%q has no EKS cluster %s, but IAM policy %s (a fixed name: IAM is global) scopes Karpenter to %s, "+
		"where the stack's cluster, or an earlier stack's of the same %s, runs: a new region builds a second VPC and cluster and fails on "+
		"the IAM names that exist; set it back to %s (to move the cluster to %s, destroy the stack first, or deploy a new stack with another %s)",
		c.Region, c.ClusterName, policy, strings.Join(regions, ", "), qualify(KeyClusterName), regions[0], c.Region, qualify(KeyClusterName))
	return errors.Join(errs...)
}
