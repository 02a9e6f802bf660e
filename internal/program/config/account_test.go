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
	c := &Config{ClusterName: "demo", Tags: map[string]string{"project": "karpenter-savings", "managed-by": "pulumi"}}
	for _, tc := range []struct {
		name string
		tags map[string]string
		want bool
	}{
		{"the entry EKS made for the creator has no tags", nil, false},
		{"the stack's fixed tag", map[string]string{AccessEntryTag: "demo"}, true},
		{"the fixed tag, after `tags` was replaced", map[string]string{AccessEntryTag: "demo", "team": "ops"}, true},
		{"the fixed tag of another cluster's stack", map[string]string{AccessEntryTag: "other", "project": "karpenter-savings"}, false},
		{"made before the fixed tag: every stack tag", map[string]string{"project": "karpenter-savings", "managed-by": "pulumi"}, true},
		{"made before the fixed tag and before a stack tag was added", map[string]string{"project": "karpenter-savings"}, true},
		{"a stack tag with another value only", map[string]string{"project": "other", "team": "ops"}, false},
		{"someone else's tags", map[string]string{"owner": "ops"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, c.OwnsAccessEntry(tc.tags))
		})
	}
	empty := &Config{ClusterName: "demo"}
	require.False(t, empty.OwnsAccessEntry(map[string]string{"project": "karpenter-savings"}), "a stack without tags owns no entry without the fixed tag")
	require.True(t, empty.OwnsAccessEntry(empty.AccessEntryTags()), "a stack without tags still knows its entries by the fixed tag")
}

func TestCheckAccessEntries(t *testing.T) {
	const (
		admin   = "arn:aws:iam::123456789012:role/platform-admin"
		creator = "arn:aws:iam::123456789012:role/ci-deploy"
		other   = "arn:aws:sts::123456789012:assumed-role/release-bot/s"
	)
	fixed := map[string]string{AccessEntryTag: "demo", "project": "karpenter-savings"}
	stackTags := map[string]string{"project": "karpenter-savings", "managed-by": "pulumi"}
	for _, tc := range []struct {
		name    string
		tags    map[string]string
		caller  string
		entries map[string]AccessEntry
		wantErr []string
		notErr  string
	}{
		{name: "no entries yet", tags: stackTags},
		{name: "the stack's own entries", tags: stackTags, entries: map[string]AccessEntry{
			admin:   {PrincipalArn: admin, Tags: fixed},
			creator: {PrincipalArn: creator, Tags: map[string]string{"project": "karpenter-savings"}},
		}},
		{name: "the stack's own entries, after `tags` was replaced", tags: map[string]string{"team": "ops"}, entries: map[string]AccessEntry{
			admin: {PrincipalArn: admin, Tags: fixed},
		}},
		{name: "the creator's untagged entry", tags: stackTags, caller: other, entries: map[string]AccessEntry{
			admin:   {PrincipalArn: admin, Tags: fixed},
			creator: {PrincipalArn: creator},
		}, wantErr: []string{
			`karpenter-savings:clusterAdminPrincipalArns: "arn:aws:iam::123456789012:role/ci-deploy" already has an access entry on cluster demo that the stack did not create (principal arn:aws:iam::123456789012:role/ci-deploy, no tags)`,
			"remove it from karpenter-savings:clusterAdminPrincipalArns (that identity is already a cluster admin, through the entry EKS made for the cluster's creator)",
			"aws eks delete-access-entry --region us-east-1 --cluster-name demo --principal-arn arn:aws:iam::123456789012:role/ci-deploy",
		}},
		{name: "an entry someone else tagged", tags: stackTags, caller: other, entries: map[string]AccessEntry{
			admin: {PrincipalArn: admin, Tags: map[string]string{"owner": "ops", "team": "platform"}},
		}, wantErr: []string{
			`"arn:aws:iam::123456789012:role/platform-admin" already has an access entry on cluster demo that the stack did not create (principal arn:aws:iam::123456789012:role/platform-admin, tags owner=ops,team=platform, neither karpenter-savings/access-entry=demo nor any of karpenter-savings:tags)`,
			"managed outside this stack",
		}},
		{name: "no stack tags: the creator's entry is still told apart", entries: map[string]AccessEntry{creator: {PrincipalArn: creator}},
			wantErr: []string{`"arn:aws:iam::123456789012:role/ci-deploy" already has an access entry on cluster demo that the stack did not create`}},
		{
			// The advice to the identity running the preview never deletes its own way into the cluster.
			name: "the caller's own untagged entry", tags: stackTags, caller: "arn:aws:sts::123456789012:assumed-role/ci-deploy/GitHubActions",
			entries: map[string]AccessEntry{creator: {PrincipalArn: creator}},
			wantErr: []string{
				"remove it from karpenter-savings:clusterAdminPrincipalArns (that identity is already a cluster admin, through the entry EKS made for the cluster's creator)",
				"it is the identity running this preview, so keep its entry: deleting it would lock this identity out of the cluster",
			},
			notErr: "delete-access-entry",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &Config{ClusterName: "demo", Region: "us-east-1", Tags: tc.tags, ClusterAdminPrincipalArns: []string{admin, creator}}
			err := c.CheckAccessEntries(tc.entries, tc.caller)
			if len(tc.wantErr) == 0 {
				require.NoError(t, err)
				return
			}
			for _, want := range tc.wantErr {
				require.ErrorContains(t, err, want)
			}
			if tc.notErr != "" {
				require.NotContains(t, err.Error(), tc.notErr)
			}
		})
	}
}

func TestCheckCallerKeepsAccess(t *testing.T) {
	const (
		admin  = "arn:aws:iam::123456789012:role/platform-admin"
		sso    = "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_01"
		caller = "arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin_01/alice@example.com"
	)
	stackEntry := &AccessEntry{PrincipalArn: sso, Tags: map[string]string{AccessEntryTag: "demo"}}
	for _, tc := range []struct {
		name    string
		admins  []string
		caller  string
		entry   *AccessEntry
		wantErr string
	}{
		{name: "still listed", admins: []string{admin, sso}, caller: caller, entry: stackEntry},
		{name: "still listed without its path", admins: []string{"arn:aws:iam::123456789012:role/AWSReservedSSO_Admin_01"}, caller: caller, entry: stackEntry},
		{name: "dropped, and the stack's entry was its access", admins: []string{admin}, caller: caller, entry: stackEntry,
			wantErr: `karpenter-savings:clusterAdminPrincipalArns: ` + caller + `, the identity running this, reaches cluster demo through the ` +
				`access entry this stack created for ` + sso + `, and this configuration no longer lists it: ` + "`pulumi up`" + ` would delete ` +
				`that entry and lock this identity out of the cluster, so that it could not run the stack's next update, refresh or destroy; ` +
				`keep "` + sso + `" in karpenter-savings:clusterAdminPrincipalArns, or make the change as another identity that stays a cluster admin`},
		{name: "the list emptied", admins: nil, caller: caller, entry: stackEntry, wantErr: "no longer lists it"},
		{name: "dropped, but its entry is the creator's, which the stack leaves", admins: []string{admin}, caller: caller,
			entry: &AccessEntry{PrincipalArn: sso}},
		{name: "dropped, but its entry was made outside the stack", admins: []string{admin}, caller: caller,
			entry: &AccessEntry{PrincipalArn: sso, Tags: map[string]string{"owner": "security"}}},
		{name: "no entry of its own", admins: []string{admin}, caller: caller},
		{name: "the account root", admins: []string{admin}, caller: "arn:aws:iam::123456789012:root", entry: stackEntry},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &Config{ClusterName: "demo", Region: "us-east-1", ClusterAdminPrincipalArns: tc.admins}
			err := c.CheckCallerKeepsAccess(tc.caller, tc.entry)
			if tc.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tc.wantErr)
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
