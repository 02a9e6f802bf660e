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
