package config

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCheckCreator(t *testing.T) {
	c := &Config{ClusterAdminPrincipalArns: []string{
		"arn:aws:iam::123456789012:role/platform-admin",
		"arn:aws:iam::123456789012:role/ci-deploy",
	}}
	for _, tc := range []struct {
		name, caller string
		wantErr      string
	}{
		{"the creator's role session is listed", "arn:aws:sts::123456789012:assumed-role/ci-deploy/GitHubActions",
			`karpenter-savings:clusterAdminPrincipalArns: "arn:aws:iam::123456789012:role/ci-deploy" is the identity creating the cluster`},
		{"another identity creates it", "arn:aws:iam::123456789012:user/alice", ""},
		{"same name in another account", "arn:aws:sts::210987654321:assumed-role/ci-deploy/s", ""},
		{"the account root creates it", "arn:aws:iam::123456789012:root", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := c.CheckCreator(tc.caller)
			if tc.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tc.wantErr)
		})
	}
}

func TestOwnsAccessEntry(t *testing.T) {
	c := &Config{Tags: map[string]string{"project": "karpenter-savings", "managed-by": "pulumi"}}
	for _, tc := range []struct {
		name string
		tags map[string]string
		want bool
	}{
		{"the entry EKS made for the creator has no tags", nil, false},
		{"every stack tag", map[string]string{"project": "karpenter-savings", "managed-by": "pulumi"}, true},
		{"made before a stack tag was added", map[string]string{"project": "karpenter-savings"}, true},
		{"a stack tag with another value only", map[string]string{"project": "other", "team": "ops"}, false},
		{"someone else's tags", map[string]string{"owner": "ops"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, c.OwnsAccessEntry(tc.tags))
		})
	}
	require.False(t, (&Config{}).OwnsAccessEntry(map[string]string{"project": "karpenter-savings"}), "a stack without tags owns nothing it can recognize")
}

func TestCheckAccessEntries(t *testing.T) {
	const (
		admin   = "arn:aws:iam::123456789012:role/platform-admin"
		creator = "arn:aws:iam::123456789012:role/ci-deploy"
	)
	stackTags := map[string]string{"project": "karpenter-savings", "managed-by": "pulumi"}
	for _, tc := range []struct {
		name    string
		tags    map[string]string
		entries map[string]AccessEntry
		wantErr []string
	}{
		{name: "no entries yet", tags: stackTags},
		{name: "the stack's own entries", tags: stackTags, entries: map[string]AccessEntry{
			admin:   {PrincipalArn: admin, Tags: stackTags},
			creator: {PrincipalArn: creator, Tags: map[string]string{"project": "karpenter-savings"}},
		}},
		{name: "the creator's untagged entry", tags: stackTags, entries: map[string]AccessEntry{
			admin:   {PrincipalArn: admin, Tags: stackTags},
			creator: {PrincipalArn: creator},
		}, wantErr: []string{
			`karpenter-savings:clusterAdminPrincipalArns: "arn:aws:iam::123456789012:role/ci-deploy" already has an access entry on cluster demo that the stack did not create (principal arn:aws:iam::123456789012:role/ci-deploy, no tags)`,
			"remove it from karpenter-savings:clusterAdminPrincipalArns (that identity is already a cluster admin, through the entry EKS made for the cluster's creator)",
			"aws eks delete-access-entry --region us-east-1 --cluster-name demo --principal-arn arn:aws:iam::123456789012:role/ci-deploy",
		}},
		{name: "an entry someone else tagged", tags: stackTags, entries: map[string]AccessEntry{
			admin: {PrincipalArn: admin, Tags: map[string]string{"owner": "ops", "team": "platform"}},
		}, wantErr: []string{
			`"arn:aws:iam::123456789012:role/platform-admin" already has an access entry on cluster demo that the stack did not create (principal arn:aws:iam::123456789012:role/platform-admin, tags owner=ops,team=platform, none of karpenter-savings:tags)`,
			"managed outside this stack",
		}},
		{name: "no stack tags: the entries cannot be told apart", entries: map[string]AccessEntry{creator: {PrincipalArn: creator}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &Config{ClusterName: "demo", Region: "us-east-1", Tags: tc.tags, ClusterAdminPrincipalArns: []string{admin, creator}}
			err := c.CheckAccessEntries(tc.entries)
			if len(tc.wantErr) == 0 {
				require.NoError(t, err)
				return
			}
			for _, want := range tc.wantErr {
				require.ErrorContains(t, err, want)
			}
		})
	}
}

func TestCheckZones(t *testing.T) {
	useast1 := []string{"us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d", "us-east-1e", "us-east-1f"}
	for _, tc := range []struct {
		name  string
		zones []string
		want  string
	}{
		{"zones the region has", []string{"us-east-1a", "us-east-1f"}, ""},
		{"a letter the region lacks", []string{"us-east-1a", "us-east-1g"},
			`karpenter-savings:availabilityZones: "us-east-1g" is not an available zone of us-east-1; the region offers us-east-1a, us-east-1b`},
		{"a zone of a region named alike", []string{"us-east-1a", "us-east-11a"}, `"us-east-11a" is not an available zone of us-east-1`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &Config{Region: "us-east-1", AvailabilityZones: tc.zones}
			err := c.CheckZones(useast1)
			if tc.want == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tc.want)
		})
	}
}
