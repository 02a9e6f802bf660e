// Package principal parses the IAM identities EKS access entries are made for, and tells when two ARNs name the
// same identity: IAM names are unique per account whatever the path, and STS reports an assumed role without it.
package principal

import (
	"fmt"
	"regexp"
	"strings"
)

// Principal is an IAM role or user.
type Principal struct {
	Partition string // "aws", "aws-cn", ...
	Account   string // 12 digits.
	Kind      string // "role" or "user".
	Path      string // "/" or "/aws-reserved/sso.amazonaws.com/" ...; empty when unknown (an STS ARN).
	Name      string // the role or user name.
}

var (
	iamARN = regexp.MustCompile(`^arn:(aws|aws-cn|aws-us-gov|aws-iso[a-z]?):iam::([0-9]{12}):(role|user)(/(?:[\w+=,.@-]+/)*)([\w+=,.@-]{1,64})$`)
	stsARN = regexp.MustCompile(`^arn:(aws|aws-cn|aws-us-gov|aws-iso[a-z]?):sts::([0-9]{12}):assumed-role/([\w+=,.@-]{1,64})/[\w+=,.@-]+$`)
)

// Parse reads an IAM role or user ARN (with or without a path), or the STS assumed-role ARN GetCallerIdentity
// returns for a role session.
func Parse(arn string) (Principal, error) {
	if m := stsARN.FindStringSubmatch(arn); m != nil {
		return Principal{Partition: m[1], Account: m[2], Kind: "role", Name: m[3]}, nil
	}
	return ParseIAM(arn)
}

// ParseIAM reads an IAM role or user ARN, with or without a path: the principals EKS access entries take. An STS
// session ARN is refused.
func ParseIAM(arn string) (Principal, error) {
	if m := iamARN.FindStringSubmatch(arn); m != nil {
		return Principal{Partition: m[1], Account: m[2], Kind: m[3], Path: m[4], Name: m[5]}, nil
	}
	return Principal{}, fmt.Errorf("%q is not an IAM role or user ARN (e.g. arn:aws:iam::123456789012:role/platform-admin)", arn)
}

// Same reports whether p and q are one identity: same partition, account, kind and name, whatever the paths.
func (p Principal) Same(q Principal) bool {
	return p.Partition == q.Partition && p.Account == q.Account && p.Kind == q.Kind && p.Name == q.Name
}

// Key names the identity in resource names: stable when other principals are added or removed, unique per
// identity, and free of the "::" URNs reserve.
func (p Principal) Key() string {
	return strings.Join([]string{p.Account, p.Kind, p.Name}, "-")
}

// PathKnown reports whether the ARN p was read from says where in IAM the identity sits: an ARN with a path does,
// while one without may name a principal at the root or one whose path was left out (and STS gives an assumed
// role without its path), which only IAM can tell.
func (p Principal) PathKnown() bool { return p.Path != "" && p.Path != "/" }

// ARN is p's IAM ARN with its path, or without one when the path is unknown.
func (p Principal) ARN() string {
	path := p.Path
	if path == "" {
		path = "/"
	}
	return "arn:" + p.Partition + ":iam::" + p.Account + ":" + p.Kind + path + p.Name
}

// PathlessARN is p's IAM ARN without its path: EKS accepts a role's ARN either way and holds the form it was given
// (https://docs.aws.amazon.com/eks/latest/userguide/creating-access-entries.html).
func (p Principal) PathlessARN() string {
	return "arn:" + p.Partition + ":iam::" + p.Account + ":" + p.Kind + "/" + p.Name
}

// EntryARNs are the principal ARNs under which EKS can hold an access entry for p: the ARN with its path, when
// known, and the ARN without it. canonical is the identity's ARN as IAM lists it (with its path), or "" when it is
// not known; it is used when p's own ARN has no path.
func (p Principal) EntryARNs(canonical string) []string {
	out := []string{p.ARN()}
	if c, err := ParseIAM(canonical); err == nil && c.Same(p) && c.ARN() != out[0] {
		out = append(out, c.ARN())
	}
	if pathless := p.PathlessARN(); pathless != out[0] {
		out = append(out, pathless)
	}
	return out
}
