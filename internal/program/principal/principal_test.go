package principal_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/karpenter-savings/karpenter-savings/internal/program/principal"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		arn  string
		want principal.Principal
	}{
		{"arn:aws:iam::123456789012:role/platform-admin", principal.Principal{Partition: "aws", Account: "123456789012", Kind: "role", Path: "/", Name: "platform-admin"}},
		{"arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123456789abcdef", principal.Principal{Partition: "aws", Account: "123456789012", Kind: "role", Path: "/aws-reserved/sso.amazonaws.com/", Name: "AWSReservedSSO_Admin_0123456789abcdef"}},
		{"arn:aws-cn:iam::123456789012:user/ops/alice", principal.Principal{Partition: "aws-cn", Account: "123456789012", Kind: "user", Path: "/ops/", Name: "alice"}},
		{"arn:aws:sts::123456789012:assumed-role/ci-deploy/GitHubActions", principal.Principal{Partition: "aws", Account: "123456789012", Kind: "role", Name: "ci-deploy"}},
	} {
		t.Run(tc.arn, func(t *testing.T) {
			got, err := principal.Parse(tc.arn)
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestParseRejects(t *testing.T) {
	for _, arn := range []string{
		"", "platform-admin", "arn:aws:iam::123456789012:root", "arn:aws:iam::12345:role/x",
		"arn:aws:iam::123456789012:group/admins", "arn:aws:s3:::bucket",
	} {
		_, err := principal.Parse(arn)
		require.Errorf(t, err, "Parse(%q) should fail", arn)
	}
}

func TestSameIgnoresPathAndSession(t *testing.T) {
	withPath, err := principal.Parse("arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_01")
	require.NoError(t, err)
	session, err := principal.Parse("arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin_01/alice@example.com")
	require.NoError(t, err)
	other, err := principal.Parse("arn:aws:iam::123456789012:user/AWSReservedSSO_Admin_01")
	require.NoError(t, err)
	require.True(t, withPath.Same(session), "an SSO role and its session are one identity")
	require.False(t, withPath.Same(other), "a role and a user of the same name are two identities")
	require.Equal(t, withPath.Key(), session.Key())
	require.Equal(t, "123456789012-role-AWSReservedSSO_Admin_01", withPath.Key())
}

func TestParseIAMRefusesSessions(t *testing.T) {
	_, err := principal.ParseIAM("arn:aws:sts::123456789012:assumed-role/ci-deploy/GitHubActions")
	require.ErrorContains(t, err, "is not an IAM role or user ARN")
	p, err := principal.ParseIAM("arn:aws:iam::123456789012:role/ops/admin")
	require.NoError(t, err)
	require.Equal(t, "/ops/", p.Path)
}

// EKS holds an access entry under the ARN it was made with, a role's with or without its path; the forms to look an
// identity up by are both, the path taken from IAM when the ARN at hand has none.
func TestEntryARNs(t *testing.T) {
	const (
		sso      = "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_01"
		pathless = "arn:aws:iam::123456789012:role/AWSReservedSSO_Admin_01"
	)
	for _, tc := range []struct {
		name, arn, canonical string
		want                 []string
	}{
		{"listed with its path", sso, "", []string{sso, pathless}},
		{"listed without its path, which IAM gives", pathless, sso, []string{pathless, sso}},
		{"listed without a path, and IAM has none", "arn:aws:iam::123456789012:role/platform-admin", "arn:aws:iam::123456789012:role/platform-admin",
			[]string{"arn:aws:iam::123456789012:role/platform-admin"}},
		{"a role IAM does not list", pathless, "", []string{pathless}},
		{"an assumed role's session", "arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin_01/alice", sso, []string{pathless, sso}},
		{"IAM's answer for another identity is ignored", pathless, "arn:aws:iam::123456789012:user/sso/AWSReservedSSO_Admin_01", []string{pathless}},
		{"a user with a path", "arn:aws:iam::123456789012:user/ops/alice", "", []string{"arn:aws:iam::123456789012:user/ops/alice", "arn:aws:iam::123456789012:user/alice"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := principal.Parse(tc.arn)
			require.NoError(t, err)
			require.Equal(t, tc.want, p.EntryARNs(tc.canonical))
		})
	}
}
