package policy

import (
	"net/netip"
	"slices"
	"strings"

	"github.com/karpenter-savings/karpenter-savings/internal/offline/mocks"
)

// RequiredLogTypes are the EKS control-plane log streams; together they record who called the API server, what it
// allowed and how the scheduler and controllers acted.
var RequiredLogTypes = []string{"api", "audit", "authenticator", "controllerManager", "scheduler"}

// ControlPlaneLogging reports EKS clusters that do not send all five control-plane log types to CloudWatch. It
// protects the ability to investigate: without audit and authenticator logs, nobody can tell afterwards which
// identity read a secret or changed an RBAC binding.
func ControlPlaneLogging(rec *mocks.Recording) []Violation {
	var out []Violation
	for _, c := range clusters(rec) {
		enabled, _ := stringList(c.logTypes)
		var missing []string
		for _, t := range RequiredLogTypes {
			if !slices.Contains(enabled, t) {
				missing = append(missing, t)
			}
		}
		if len(missing) > 0 {
			out = append(out, violation(RuleControlPlaneLogging, c.resource, "enabledClusterLogTypes lacks %s; enable all of %s", strings.Join(missing, ", "), strings.Join(RequiredLogTypes, ", ")))
		}
	}
	return out
}

// SecretsEncryption reports EKS clusters without envelope encryption of Kubernetes secrets under a customer-managed
// KMS key. It protects secrets at rest: the key's policy, rotation and CloudTrail record decide who can decrypt
// them, and disabling the key revokes every copy, including those in etcd backups.
func SecretsEncryption(rec *mocks.Recording) []Violation {
	var out []Violation
	for _, c := range clusters(rec) {
		arn, _ := c.keyArn.(string)
		if !strings.HasPrefix(arn, "arn:") || !strings.Contains(arn, ":kms:") {
			out = append(out, violation(RuleSecretsEncryption, c.resource, "%s is %s; want the ARN of a KMS key", c.keyField, describe(c.keyArn)))
			continue
		}
		if !c.encryptsSecrets {
			out = append(out, violation(RuleSecretsEncryption, c.resource, "encryptionConfig.resources does not list \"secrets\""))
		}
	}
	return out
}

// PublicEndpoint reports, when the configuration restricts the public API endpoint (allowed is not empty), clusters
// whose public endpoint accepts other networks than the configured ones or the whole internet (a /0 prefix). It
// protects the Kubernetes API from credential stuffing and from exploits of unpatched API-server flaws: only the
// listed networks can reach it. A cluster with its public endpoint disabled passes.
func PublicEndpoint(rec *mocks.Recording, allowed []string) []Violation {
	if len(allowed) == 0 {
		return nil
	}
	var out []Violation
	for _, c := range clusters(rec) {
		if c.publicAccess == false {
			continue
		}
		cidrs, ok := stringList(c.publicCidrs)
		if !ok || len(cidrs) == 0 {
			out = append(out, violation(RulePublicEndpoint, c.resource, "%s is %s, which EKS opens to 0.0.0.0/0; want %s", c.cidrsField, describe(c.publicCidrs), strings.Join(allowed, ", ")))
			continue
		}
		for _, cidr := range cidrs {
			if p, err := netip.ParsePrefix(cidr); err == nil && p.Bits() == 0 {
				out = append(out, violation(RulePublicEndpoint, c.resource, "%s contains %s, the whole internet", c.cidrsField, cidr))
			}
		}
		if !sameCidrs(cidrs, allowed) {
			out = append(out, violation(RulePublicEndpoint, c.resource, "%s is %s; the configuration allows %s", c.cidrsField, strings.Join(cidrs, ", "), strings.Join(allowed, ", ")))
		}
	}
	return out
}

// sameCidrs compares two CIDR lists as sets of prefixes: order and duplicates do not matter, and one prefix spelt two
// ways ("2001:db8::/32", "2001:0db8::/32") is the same.
func sameCidrs(a, b []string) bool {
	normalize := func(list []string) []string {
		out := make([]string, 0, len(list))
		for _, s := range list {
			if p, err := netip.ParsePrefix(s); err == nil {
				s = p.Masked().String()
			}
			out = append(out, s)
		}
		slices.Sort(out)
		return slices.Compact(out)
	}
	return slices.Equal(normalize(a), normalize(b))
}

// cluster is an EKS cluster's security-relevant inputs, from pulumi-eks's component or the AWS provider's resource.
type cluster struct {
	resource        mocks.Resource
	logTypes        any
	keyArn          any
	keyField        string
	encryptsSecrets bool
	publicAccess    any
	publicCidrs     any
	cidrsField      string
}

func clusters(rec *mocks.Recording) []cluster {
	var out []cluster
	for _, r := range rec.Resources {
		in := r.Inputs
		switch r.Type {
		case "eks:index:Cluster":
			// pulumi-eks always encrypts the "secrets" resource with encryptionConfigKeyArn.
			out = append(out, cluster{
				resource: r, logTypes: in["enabledClusterLogTypes"],
				keyArn: in["encryptionConfigKeyArn"], keyField: "encryptionConfigKeyArn", encryptsSecrets: true,
				publicAccess: in["endpointPublicAccess"], publicCidrs: in["publicAccessCidrs"], cidrsField: "publicAccessCidrs",
			})
		case "aws:eks/cluster:Cluster":
			keyArn := lookup(in, "encryptionConfig", "provider", "keyArn")
			resources := lookup(in, "encryptionConfig", "resources")
			encrypted, _ := stringList(resources)
			publicAccess := lookup(in, "vpcConfig", "endpointPublicAccess")
			cidrs := lookup(in, "vpcConfig", "publicAccessCidrs")
			out = append(out, cluster{
				resource: r, logTypes: in["enabledClusterLogTypes"],
				keyArn: keyArn, keyField: "encryptionConfig.provider.keyArn", encryptsSecrets: slices.Contains(encrypted, "secrets"),
				publicAccess: publicAccess, publicCidrs: cidrs, cidrsField: "vpcConfig.publicAccessCidrs",
			})
		}
	}
	return out
}
