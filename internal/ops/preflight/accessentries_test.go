package preflight_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/karpenter-savings/karpenter-savings/internal/ops/preflight"
	"github.com/karpenter-savings/karpenter-savings/internal/program/config"
)

const (
	adminRole   = "arn:aws:iam::111122223333:role/platform-admin"
	creatorRole = "arn:aws:iam::111122223333:role/ci-deploy"
	adminCheck  = "no access entry outside the stack for admin " + adminRole
	callerCheck = "the identity running this keeps its access to cluster demo"
	creatorFix  = "remove it from karpenter-savings:clusterAdminPrincipalArns (that identity is already a cluster admin, " +
		"through the entry EKS made for the cluster's creator), or, if the stack should own the entry, delete it (aws eks " +
		"delete-access-entry --region us-east-1 --cluster-name demo --principal-arn %s) before `pulumi up`"
)

// stackTags are the tags the stack gives its resources (Pulumi.yaml's default).
var stackTags = map[string]string{"project": "karpenter-savings", "managed-by": "pulumi"}

// entryTags are the tags of an access entry the stack created for the demo cluster: its fixed tag and the stack's.
var entryTags = map[string]string{config.AccessEntryTag: "demo", "project": "karpenter-savings", "managed-by": "pulumi"}

// withAdmins is the demo stack with tags and the given cluster admins.
func withAdmins(tags map[string]string, admins ...string) *config.Config {
	return &config.Config{ClusterName: "demo", Region: "us-east-1", Tags: tags, ClusterAdminPrincipalArns: admins}
}

func TestAccessEntries(t *testing.T) {
	demoCluster := map[string]bool{"demo": true}
	tests := []struct {
		name    string
		cfg     *config.Config
		caller  string // the identity running the preflight; "" runs none of the caller's checks
		account fakeAccount
		want    []preflight.Result
	}{
		{
			name:    "no admins configured: nothing to check",
			cfg:     withAdmins(stackTags),
			account: fakeAccount{clusters: demoCluster, accessEntries: map[string]map[string]string{creatorRole: nil}},
		},
		{
			name: "no cluster yet",
			cfg:  withAdmins(stackTags, adminRole),
			want: []preflight.Result{{Check: adminCheck, Status: preflight.StatusOK,
				Found: "no cluster demo yet; the preview refuses the identity that will create it"}},
		},
		{
			name:    "the admin has no entry yet",
			cfg:     withAdmins(stackTags, adminRole),
			account: fakeAccount{clusters: demoCluster, accessEntries: map[string]map[string]string{creatorRole: nil}},
			want:    []preflight.Result{{Check: adminCheck, Status: preflight.StatusOK, Found: "none; the stack creates it"}},
		},
		{
			name:    "the admin is the creator, whose entry EKS made without tags",
			cfg:     withAdmins(stackTags, adminRole),
			account: fakeAccount{clusters: demoCluster, accessEntries: map[string]map[string]string{adminRole: nil}},
			want: []preflight.Result{{Check: adminCheck, Status: preflight.StatusFail,
				Found: "exists: principal " + adminRole + ", no tags", Fix: fmt.Sprintf(creatorFix, adminRole)}},
		},
		{
			name:    "the stack's own tagged entry",
			cfg:     withAdmins(stackTags, adminRole),
			account: fakeAccount{clusters: demoCluster, accessEntries: map[string]map[string]string{adminRole: entryTags}},
			want:    []preflight.Result{{Check: adminCheck, Status: preflight.StatusOK, Found: "the stack's own (" + adminRole + ")"}},
		},
		{
			name:    "the stack's own entry, once `tags` was replaced",
			cfg:     withAdmins(map[string]string{"team": "platform"}, adminRole),
			account: fakeAccount{clusters: demoCluster, accessEntries: map[string]map[string]string{adminRole: entryTags}},
			want:    []preflight.Result{{Check: adminCheck, Status: preflight.StatusOK, Found: "the stack's own (" + adminRole + ")"}},
		},
		{
			name:    "an entry the stack made before it set its fixed tag",
			cfg:     withAdmins(stackTags, adminRole),
			account: fakeAccount{clusters: demoCluster, accessEntries: map[string]map[string]string{adminRole: stackTags}},
			want:    []preflight.Result{{Check: adminCheck, Status: preflight.StatusOK, Found: "the stack's own (" + adminRole + ")"}},
		},
		{
			name: "an entry someone else made and tagged",
			cfg:  withAdmins(stackTags, adminRole),
			account: fakeAccount{clusters: demoCluster, accessEntries: map[string]map[string]string{
				adminRole: {"owner": "security"},
			}},
			want: []preflight.Result{{Check: adminCheck, Status: preflight.StatusFail,
				Found: "exists: principal " + adminRole + ", tags owner=security, neither karpenter-savings/access-entry=demo nor any of karpenter-savings:tags",
				Fix: "remove it from karpenter-savings:clusterAdminPrincipalArns (that identity already has the access this entry " +
					"grants, managed outside this stack), or, if the stack should own the entry, delete it (aws eks delete-access-entry " +
					"--region us-east-1 --cluster-name demo --principal-arn " + adminRole + ") before `pulumi up`"}},
		},
		{
			// The configuration keeps an IAM Identity Center role's path; the creator's entry holds the role as EKS
			// named it from the session. One identity: the entry is found, and deleting it takes the ARN EKS holds.
			name: "the same identity under another path",
			cfg:  withAdmins(stackTags, "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_01"),
			account: fakeAccount{clusters: demoCluster, accessEntries: map[string]map[string]string{
				"arn:aws:iam::111122223333:role/AWSReservedSSO_Admin_01": nil,
			}},
			want: []preflight.Result{{
				Check:  "no access entry outside the stack for admin arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_01",
				Status: preflight.StatusFail, Found: "exists: principal arn:aws:iam::111122223333:role/AWSReservedSSO_Admin_01, no tags",
				Fix: fmt.Sprintf(creatorFix, "arn:aws:iam::111122223333:role/AWSReservedSSO_Admin_01"),
			}},
		},
		{
			// The configuration leaves an IAM Identity Center role's path out; the creator's entry holds the role with
			// it, as EKS named it. One identity, as the preview's lookup finds it too (tests/account_test.go).
			name: "the same identity, listed without its path",
			cfg:  withAdmins(stackTags, "arn:aws:iam::111122223333:role/AWSReservedSSO_Admin_01"),
			account: fakeAccount{clusters: demoCluster, accessEntries: map[string]map[string]string{
				"arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_01": nil,
			}},
			want: []preflight.Result{{
				Check:  "no access entry outside the stack for admin arn:aws:iam::111122223333:role/AWSReservedSSO_Admin_01",
				Status: preflight.StatusFail, Found: "exists: principal arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_01, no tags",
				Fix: fmt.Sprintf(creatorFix, "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_01"),
			}},
		},
		{
			name: "the stack's own entry, made when the admin was listed with its path",
			cfg:  withAdmins(stackTags, "arn:aws:iam::111122223333:role/AWSReservedSSO_Admin_01"),
			account: fakeAccount{clusters: demoCluster, accessEntries: map[string]map[string]string{
				"arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_01": entryTags,
			}},
			want: []preflight.Result{{
				Check:  "no access entry outside the stack for admin arn:aws:iam::111122223333:role/AWSReservedSSO_Admin_01",
				Status: preflight.StatusFail,
				Found: "the stack's own, made as arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_01: " +
					"`pulumi up` would replace it, creating the new entry first, which fails with 409 ResourceInUseException",
				Fix: "list it as arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_01 in karpenter-savings:clusterAdminPrincipalArns",
			}},
		},
		{
			// Its own entry is the creator's: the advice does not tell it to delete that.
			name:    "the identity running the preflight is the listed creator",
			cfg:     withAdmins(stackTags, creatorRole),
			caller:  "arn:aws:sts::111122223333:assumed-role/ci-deploy/GitHubActions",
			account: fakeAccount{clusters: demoCluster, accessEntries: map[string]map[string]string{creatorRole: nil}},
			want: []preflight.Result{{Check: "no access entry outside the stack for admin " + creatorRole, Status: preflight.StatusFail,
				Found: "exists: principal " + creatorRole + ", no tags",
				Fix: "remove it from karpenter-savings:clusterAdminPrincipalArns (that identity is already a cluster admin, through the " +
					"entry EKS made for the cluster's creator); it is the identity running this preview, so keep its entry: deleting " +
					"it would lock this identity out of the cluster"}},
		},
		{
			name:    "the identity running the preflight is dropped from the list, and the stack's entry is its access",
			cfg:     withAdmins(stackTags, adminRole),
			caller:  "arn:aws:sts::111122223333:assumed-role/ci-deploy/GitHubActions",
			account: fakeAccount{clusters: demoCluster, accessEntries: map[string]map[string]string{adminRole: entryTags, creatorRole: entryTags}},
			want: []preflight.Result{
				{Check: adminCheck, Status: preflight.StatusOK, Found: "the stack's own (" + adminRole + ")"},
				{Check: callerCheck, Status: preflight.StatusFail,
					Found: "arn:aws:sts::111122223333:assumed-role/ci-deploy/GitHubActions, the identity running this, reaches cluster demo " +
						"through the access entry this stack created for " + creatorRole + ", and the configuration does not list it",
					Fix: "`pulumi up` would delete that entry and lock this identity out of the cluster, so that it could not run the " +
						"stack's next update, refresh or destroy; keep \"" + creatorRole + "\" in karpenter-savings:clusterAdminPrincipalArns, " +
						"or make the change as another identity that stays a cluster admin"},
			},
		},
		{
			name:    "the list emptied by the identity it named",
			cfg:     withAdmins(stackTags),
			caller:  "arn:aws:sts::111122223333:assumed-role/ci-deploy/GitHubActions",
			account: fakeAccount{clusters: demoCluster, accessEntries: map[string]map[string]string{creatorRole: entryTags}},
			want: []preflight.Result{{Check: callerCheck, Status: preflight.StatusFail,
				Found: "arn:aws:sts::111122223333:assumed-role/ci-deploy/GitHubActions, the identity running this, reaches cluster demo " +
					"through the access entry this stack created for " + creatorRole + ", and the configuration does not list it",
				Fix: "`pulumi up` would delete that entry and lock this identity out of the cluster, so that it could not run the " +
					"stack's next update, refresh or destroy; keep \"" + creatorRole + "\" in karpenter-savings:clusterAdminPrincipalArns, " +
					"or make the change as another identity that stays a cluster admin"}},
		},
		{
			name:    "the identity running the preflight keeps the creator's entry",
			cfg:     withAdmins(stackTags, adminRole),
			caller:  "arn:aws:sts::111122223333:assumed-role/ci-deploy/GitHubActions",
			account: fakeAccount{clusters: demoCluster, accessEntries: map[string]map[string]string{creatorRole: nil}},
			want: []preflight.Result{
				{Check: adminCheck, Status: preflight.StatusOK, Found: "none; the stack creates it"},
				{Check: callerCheck, Status: preflight.StatusOK, Found: "its access entry (" + creatorRole + ") is not the stack's, so `pulumi up` leaves it"},
			},
		},
		{
			name:    "listing fails",
			cfg:     withAdmins(stackTags, adminRole),
			account: fakeAccount{clusters: demoCluster, listErr: accessDenied},
			want: []preflight.Result{{Check: adminCheck, Status: preflight.StatusFail,
				Found: "could not check: listing the access entries of cluster demo: operation error EKS: ListAccessEntries, api error AccessDenied: not authorized",
				Fix:   "fix the error; the check needs eks:ListAccessEntries"}},
		},
		{
			name:    "describing fails",
			cfg:     withAdmins(stackTags, adminRole),
			account: fakeAccount{clusters: demoCluster, accessEntries: map[string]map[string]string{adminRole: stackTags}, describeErr: accessDenied},
			want: []preflight.Result{{Check: adminCheck, Status: preflight.StatusFail,
				Found: "could not check: describing the access entry of " + adminRole + ": operation error EKS: DescribeAccessEntry, api error AccessDenied: not authorized",
				Fix:   "fix the error; the check needs eks:DescribeAccessEntry"}},
		},
		{
			name:    "a stack without tags still tells its entries from the creator's",
			cfg:     withAdmins(nil, adminRole, creatorRole),
			account: fakeAccount{clusters: demoCluster, accessEntries: map[string]map[string]string{adminRole: {config.AccessEntryTag: "demo"}, creatorRole: nil}},
			want: []preflight.Result{
				{Check: adminCheck, Status: preflight.StatusOK, Found: "the stack's own (" + adminRole + ")"},
				{Check: "no access entry outside the stack for admin " + creatorRole, Status: preflight.StatusFail,
					Found: "exists: principal " + creatorRole + ", no tags", Fix: fmt.Sprintf(creatorFix, creatorRole)},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := preflight.AccessEntries(context.Background(), &tt.account, tt.cfg, tt.caller)
			require.Equal(t, tt.want, got)
		})
	}
}

// EKS returns at most 100 entries a page; an entry on a later page is found all the same.
func TestAccessEntriesReadsEveryPage(t *testing.T) {
	account := fakeAccount{
		clusters: map[string]bool{"demo": true},
		pageSize: 2,
		accessEntries: map[string]map[string]string{
			"arn:aws:iam::111122223333:role/a-node-role":     stackTags,
			"arn:aws:iam::111122223333:role/b-platform-team": stackTags,
			"arn:aws:iam::111122223333:role/c-observability": stackTags,
			"arn:aws:iam::111122223333:role/d-security":      stackTags,
			"arn:aws:iam::111122223333:user/z-creator":       nil,
		},
	}
	got := preflight.AccessEntries(context.Background(), &account, withAdmins(stackTags, "arn:aws:iam::111122223333:user/z-creator"), "")

	require.Equal(t, []string{"", "2", "4"}, account.listTokens, "three pages, each asked for with the token of the one before")
	require.Len(t, got, 1)
	require.Equal(t, preflight.StatusFail, got[0].Status, "the creator's entry is on the last page: %+v", got[0])
	require.Equal(t, "exists: principal arn:aws:iam::111122223333:user/z-creator, no tags", got[0].Found)
}

func TestRunChecksAccessEntriesAfterTheNames(t *testing.T) {
	account := &fakeAccount{clusters: map[string]bool{"demo": true}, accessEntries: map[string]map[string]string{creatorRole: nil}}
	cfg := withAdmins(stackTags, adminRole, creatorRole)
	report := preflight.Run(context.Background(), goodTools(), account.clients(), cfg)

	n := len(report.Results)
	require.Equal(t, []preflight.Result{
		{Check: adminCheck, Status: preflight.StatusOK, Found: "none; the stack creates it"},
		{Check: "no access entry outside the stack for admin " + creatorRole, Status: preflight.StatusFail,
			Found: "exists: principal " + creatorRole + ", no tags", Fix: fmt.Sprintf(creatorFix, creatorRole)},
		{Check: callerCheck, Status: preflight.StatusOK, Found: "no access entry for arn:aws:iam::111122223333:user/ops; the stack gives it none"},
	}, report.Results[n-3:], "the caller is the credentials' identity, which the configuration does not list")
}

func TestRunWithoutCredentialsSkipsAccessEntries(t *testing.T) {
	account := &fakeAccount{identityErr: errors.New("no EC2 IMDS role found")}
	report := preflight.Run(context.Background(), goodTools(), account.clients(), withAdmins(stackTags, adminRole))

	require.Equal(t, preflight.Result{Check: adminCheck, Status: preflight.StatusSkipped, Found: "no credentials"},
		report.Results[len(report.Results)-1])
	require.Empty(t, account.listTokens, "no EKS call without credentials")
}
