package tests

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/karpenter-savings/karpenter-savings/internal/offline/mocks"
	"github.com/karpenter-savings/karpenter-savings/internal/program/config"
	"github.com/karpenter-savings/karpenter-savings/internal/program/karpenteriam"
	"github.com/karpenter-savings/karpenter-savings/internal/program/pulumik8s"
)

func TestSpotServiceLinkedRoleIsCreatedOrAdopted(t *testing.T) {
	for _, tc := range []struct {
		name       string
		account    mocks.Account
		wantImport bool
	}{
		{"an account that never used spot gets the role", mocks.Account{}, false},
		{"an account that has it adopts it", mocks.Account{SpotRoleExists: true}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec, err := render(t, devConfig(t), mocks.WithAccount(tc.account))
			require.NoError(t, err)
			roles := rec.ByType(mocks.TypeServiceLinkedRole)
			require.Len(t, roles, 1)
			require.Equal(t, "spot.amazonaws.com", roles[0].Inputs["awsServiceName"])
			var looked bool
			for _, inv := range rec.Invokes {
				// The stack also lists its Karpenter controller role (TestARegionChangeUnderTheRunningStackIsRefused).
				if inv.Token == "aws:iam/getRoles:getRoles" && inv.Args["nameRegex"] == "^"+karpenteriam.SpotServiceLinkedRoleName+"$" {
					looked = true
					require.Equal(t, "/aws-service-role/spot.amazonaws.com/", inv.Args["pathPrefix"])
				}
			}
			require.True(t, looked, "the program looks the role up before declaring it")
		})
	}
}

// EKS makes the identity that creates a cluster its admin; an access entry for the same identity fails with 409
// once the cluster exists, after the VPC, IAM and the cluster itself were created. The mocked caller is
// arn:aws:iam::123456789012:user/platform.
func TestAdminListIncludingTheCreatorIsRejectedBeforeAnythingIsDeclared(t *testing.T) {
	values := with(devConfig(t), map[string]string{
		config.KeyClusterAdminPrincipals: `["arn:aws:iam::123456789012:role/platform-admin","arn:aws:iam::123456789012:user/platform"]`,
	})
	rec, err := render(t, values)
	require.ErrorContains(t, err, `karpenter-savings:clusterAdminPrincipalArns: "arn:aws:iam::123456789012:user/platform" is the identity creating the cluster`)
	require.Empty(t, rec.Resources, "nothing is declared")
	require.Empty(t, accessEntryLookups(rec), "no cluster, no access entries to look up")

	_, err = render(t, values, mocks.WithAccount(mocks.Account{Clusters: []string{"cluster-with-karpenter"}}))
	require.NoError(t, err, "once the cluster exists, the identity updating it may be listed: EKS holds no entry for it")
}

// Once the cluster exists, the one who created it has the untagged access entry EKS made; listing that identity later
// would make `pulumi up` create a second entry, which fails with 409 halfway through the update. The preview looks
// up each admin's entry and refuses one the stack did not create, before declaring anything.
func TestAdminWithAnEntryTheStackDidNotCreateIsRejectedOnceTheClusterExists(t *testing.T) {
	const (
		admin   = "arn:aws:iam::123456789012:role/platform-admin"
		creator = "arn:aws:iam::123456789012:role/ci-deploy"
	)
	values := with(devConfig(t), map[string]string{config.KeyClusterAdminPrincipals: `["` + admin + `","` + creator + `"]`})
	rec, err := render(t, values)
	require.NoError(t, err)
	require.Empty(t, accessEntryLookups(rec), "no cluster yet: no access entry to look up")

	for _, tc := range []struct {
		name    string
		entries map[string]map[string]string
		wantErr string
	}{
		{
			name:    "the creator's untagged entry",
			entries: map[string]map[string]string{creator: nil, admin: stackEntryTags},
			wantErr: `karpenter-savings:clusterAdminPrincipalArns: "` + creator + `" already has an access entry on cluster ` +
				`cluster-with-karpenter that the stack did not create (principal ` + creator + `, no tags)`,
		},
		{name: "the stack's own tagged entries", entries: map[string]map[string]string{creator: stackEntryTags, admin: stackEntryTags}},
		{name: "no entries yet", entries: nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec, err := render(t, values, mocks.WithAccount(mocks.Account{
				Clusters: []string{"cluster-with-karpenter"}, AccessEntries: tc.entries,
			}))
			if tc.wantErr == "" {
				require.NoError(t, err)
			} else {
				require.ErrorContains(t, err, tc.wantErr)
				require.ErrorContains(t, err, "aws eks delete-access-entry --region us-east-1 --cluster-name cluster-with-karpenter --principal-arn "+creator)
				require.Empty(t, rec.Resources, "nothing is declared")
			}
			require.ElementsMatch(t, []map[string]any{
				{"clusterName": "cluster-with-karpenter", "principalArn": admin},
				{"clusterName": "cluster-with-karpenter", "principalArn": creator},
				{"clusterName": "cluster-with-karpenter", "principalArn": mocks.DefaultCallerArn},
			}, accessEntryLookups(rec), "each admin's entry is looked up, and the entry of the identity running the preview, which is not listed")
		})
	}
}

// stackEntryTags are the tags of an access entry the stack made: its fixed tag, and Pulumi.yaml's default tags.
var stackEntryTags = map[string]string{
	config.AccessEntryTag: "cluster-with-karpenter", "project": "karpenter-savings", "managed-by": "pulumi",
}

// The stack marks its admin access entries with one fixed tag, whatever `tags` holds, on the entries pulumi-eks
// creates from the eks:index:Cluster's accessEntries.
func TestAdminAccessEntriesCarryTheStacksFixedTag(t *testing.T) {
	const admin = "arn:aws:iam::123456789012:role/platform-admin"
	for _, tags := range []string{`{"project":"karpenter-savings","managed-by":"pulumi"}`, `{}`, `{"team":"platform"}`} {
		t.Run(tags, func(t *testing.T) {
			rec, err := render(t, with(devConfig(t), map[string]string{config.KeyClusterAdminPrincipals: `["` + admin + `"]`, config.KeyTags: tags}))
			require.NoError(t, err)
			cluster, ok := rec.ByURN("urn:pulumi:dev::karpenter-savings::karpenter-savings:index:Cluster$eks:index:Cluster::cluster-with-karpenter-eks")
			require.True(t, ok, "the pulumi-eks cluster, by URN: %v", rec.ByType(mocks.TypeEKSCluster))
			entry := cluster.Inputs["accessEntries"].(map[string]any)["admin-123456789012-role-platform-admin"].(map[string]any)
			require.Equal(t, map[string]any{config.AccessEntryTag: "cluster-with-karpenter"}, entry["tags"])
		})
	}
}

// The stack knows its own entries by the fixed tag, so replacing the `tags` map does not make the preview take them
// for entries made outside the stack.
func TestReplacingTagsKeepsTheStacksOwnEntries(t *testing.T) {
	const admin = "arn:aws:iam::123456789012:role/platform-admin"
	values := with(devConfig(t), map[string]string{
		config.KeyClusterAdminPrincipals: `["` + admin + `"]`,
		config.KeyTags:                   `{"team":"platform","cost-center":"42"}`,
	})
	_, err := render(t, values, mocks.WithAccount(mocks.Account{
		Clusters: []string{"cluster-with-karpenter"}, AccessEntries: map[string]map[string]string{admin: stackEntryTags},
	}))
	require.NoError(t, err, "the entry carries the fixed tag, though none of the new tags")
}

// The identity running the preview reaches the cluster through the entry the stack made for it; a configuration that
// drops it from the list would have `pulumi up` delete that entry, and is refused before anything is declared, unless
// the identity keeps access another way (an entry the stack did not create, which `pulumi up` leaves).
func TestDroppingTheCallerFromTheAdminsIsRefusedUnlessItKeepsAccess(t *testing.T) {
	const (
		admin  = "arn:aws:iam::123456789012:role/platform-admin"
		sso    = "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_01"
		caller = "arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin_01/alice@example.com"
	)
	for _, tc := range []struct {
		name    string
		admins  string
		entry   map[string]string // the caller's entry's tags
		wantErr string
	}{
		{name: "dropped; its entry is the stack's", admins: `["` + admin + `"]`, entry: stackEntryTags,
			wantErr: `karpenter-savings:clusterAdminPrincipalArns: ` + caller + `, the identity running this, reaches cluster ` +
				`cluster-with-karpenter through the access entry this stack created for ` + sso + `, and this configuration no longer lists it`},
		{name: "the list emptied; its entry is the stack's", admins: `[]`, entry: stackEntryTags, wantErr: "no longer lists it"},
		{name: "still listed", admins: `["` + admin + `","` + sso + `"]`, entry: stackEntryTags},
		{name: "dropped; its entry is the creator's, which the stack leaves", admins: `["` + admin + `"]`, entry: nil},
		{name: "dropped; its entry was made outside the stack", admins: `["` + admin + `"]`, entry: map[string]string{"owner": "security"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec, err := render(t, with(devConfig(t), map[string]string{config.KeyClusterAdminPrincipals: tc.admins}),
				mocks.WithAccount(mocks.Account{
					Clusters: []string{"cluster-with-karpenter"}, CallerArn: caller, Roles: []string{sso, admin},
					AccessEntries: map[string]map[string]string{sso: tc.entry},
				}))
			if tc.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tc.wantErr)
			require.ErrorContains(t, err, `keep "`+sso+`" in karpenter-savings:clusterAdminPrincipalArns, or make the change as another identity that stays a cluster admin`)
			require.NotContains(t, err.Error(), "delete-access-entry", "the advice never removes the caller's own access")
			require.Empty(t, rec.Resources, "nothing is declared")
		})
	}
}

// EKS holds an entry under the ARN it was made with, and the creator's under the role's ARN with its path; an admin
// listed without the path is the same identity, found as internal/ops/preflight finds it (listing and comparing
// identities): the preview takes the path from IAM and looks up both forms.
func TestAnAdminListedWithoutItsPathIsFoundUnderItsPath(t *testing.T) {
	const (
		sso      = "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_01"
		pathless = "arn:aws:iam::123456789012:role/AWSReservedSSO_Admin_01"
	)
	values := with(devConfig(t), map[string]string{config.KeyClusterAdminPrincipals: `["` + pathless + `"]`})
	rec, err := render(t, values, mocks.WithAccount(mocks.Account{
		Clusters: []string{"cluster-with-karpenter"}, Roles: []string{sso},
		AccessEntries: map[string]map[string]string{sso: nil},
	}))
	require.ErrorContains(t, err, `karpenter-savings:clusterAdminPrincipalArns: "`+pathless+`" already has an access entry on cluster `+
		`cluster-with-karpenter that the stack did not create (principal `+sso+`, no tags)`)
	require.ErrorContains(t, err, "--principal-arn "+sso, "the entry is deleted under the ARN EKS holds")
	require.Empty(t, rec.Resources, "nothing is declared")
	require.Subset(t, accessEntryLookups(rec), []map[string]any{
		{"clusterName": "cluster-with-karpenter", "principalArn": pathless},
		{"clusterName": "cluster-with-karpenter", "principalArn": sso},
	})

	// The stack's own entry, made in the form listed, passes.
	_, err = render(t, values, mocks.WithAccount(mocks.Account{
		Clusters: []string{"cluster-with-karpenter"}, Roles: []string{sso},
		AccessEntries: map[string]map[string]string{pathless: stackEntryTags},
	}))
	require.NoError(t, err)

	// The stack's own entry, made when the admin was listed with its path: the new form would replace it, creating
	// the new entry first, which EKS refuses for the same identity.
	rec, err = render(t, values, mocks.WithAccount(mocks.Account{
		Clusters: []string{"cluster-with-karpenter"}, Roles: []string{sso},
		AccessEntries: map[string]map[string]string{sso: stackEntryTags},
	}))
	require.ErrorContains(t, err, `karpenter-savings:clusterAdminPrincipalArns: "`+pathless+`" names the identity whose access entry on cluster `+
		`cluster-with-karpenter the stack made as `+sso+`: `+"`pulumi up`"+` would replace the entry, creating the new one first, which fails `+
		`with 409 ResourceInUseException while the old one holds the identity; list it as "`+sso+`"`)
	require.Empty(t, rec.Resources, "nothing is declared")
}

// A lookup that fails for another reason than a missing entry stops the preview: it does not pass for "no entry".
func TestAccessEntryLookupFailureIsNotTakenForAMissingEntry(t *testing.T) {
	values := with(devConfig(t), map[string]string{config.KeyClusterAdminPrincipals: `["arn:aws:iam::123456789012:role/platform-admin"]`})
	_, err := render(t, values, mocks.WithAccount(mocks.Account{
		Clusters:       []string{"cluster-with-karpenter"},
		AccessEntryErr: errors.New("AccessDeniedException: not authorized to perform eks:DescribeAccessEntry"),
	}))
	require.ErrorContains(t, err, "looking up the access entry of arn:aws:iam::123456789012:role/platform-admin on EKS cluster cluster-with-karpenter")
	require.ErrorContains(t, err, "AccessDeniedException")
}

// accessEntryLookups returns the arguments of every aws:eks/getAccessEntry:getAccessEntry invoke.
func accessEntryLookups(rec *mocks.Recording) []map[string]any {
	var out []map[string]any
	for _, inv := range rec.Invokes {
		if inv.Token == "aws:eks/getAccessEntry:getAccessEntry" {
			out = append(out, inv.Args)
		}
	}
	return out
}

func TestDuplicateAdminPrincipalsAreRejected(t *testing.T) {
	_, err := render(t, with(devConfig(t), map[string]string{
		config.KeyClusterAdminPrincipals: `["arn:aws:iam::123456789012:role/platform-admin","arn:aws:iam::123456789012:role/ops/platform-admin"]`,
	}))
	require.ErrorContains(t, err, `karpenter-savings:clusterAdminPrincipalArns: "arn:aws:iam::123456789012:role/ops/platform-admin" is listed twice`)
}

func TestKarpenterNamespaceIsCreatedWhenNotBuiltIn(t *testing.T) {
	rec, err := render(t, with(devConfig(t), map[string]string{config.KeyKarpenterNamespace: "karpenter"}))
	require.NoError(t, err)
	ns := one(t, rec, mocks.TypeNamespace, "cluster-with-karpenter-karpenter-namespace")
	require.Equal(t, map[string]any{"name": "karpenter"}, ns.Inputs["metadata"])
	release := one(t, rec, pulumik8s.ReleaseType, "cluster-with-karpenter-karpenter-release")
	require.Equal(t, "karpenter", release.Inputs["namespace"])
	require.Contains(t, release.Dependencies, ns.URN, "the controller release waits for its namespace")
	crds := one(t, rec, pulumik8s.ReleaseType, "cluster-with-karpenter-karpenter-crd-release")
	require.Equal(t, "kube-system", crds.Inputs["namespace"], "the CRDs are cluster-scoped: their release stays in kube-system")
	pod := one(t, rec, mocks.TypePodIdentityAssociation, "cluster-with-karpenter-karpenter-pod-identity")
	require.Equal(t, "karpenter", pod.Inputs["namespace"])
}

// Changes EKS cannot make to the running cluster are refused at preview, before anything is declared: the program
// reads the cluster's version and its VPC's CIDR from the account (the mocks answer as a running cluster would).
func TestChangesTheRunningClusterCannotTakeAreRefusedBeforeAnythingIsDeclared(t *testing.T) {
	running := mocks.Account{Clusters: []string{clusterName}, ClusterVersion: "1.34", ClusterVpcCidr: "10.42.0.0/20"}
	cases := []struct {
		name      string
		overrides map[string]string
		account   mocks.Account
		want      string // empty: accepted
	}{
		{"the next minor", nil, running, ""},
		{"the same version", nil, mocks.Account{Clusters: []string{clusterName}}, ""},
		{"a downgrade", nil, mocks.Account{Clusters: []string{clusterName}, ClusterVersion: "1.36"},
			`karpenter-savings:kubernetesVersion: "1.35" is older than 1.36, the version EKS cluster cluster-with-karpenter runs: EKS never downgrades a cluster`},
		{"two minors up", nil, mocks.Account{Clusters: []string{clusterName}, ClusterVersion: "1.33"},
			`karpenter-savings:kubernetesVersion: "1.35" is more than one minor above 1.33, the version EKS cluster cluster-with-karpenter runs: EKS upgrades one minor at a time; set it to 1.34`},
		{"another VPC CIDR", map[string]string{"vpcCidr": "10.43.0.0/20"}, running,
			`karpenter-savings:vpcCidr: "10.43.0.0/20" differs from 10.42.0.0/20, the CIDR of ` + mocks.ClusterVpcID + `, where EKS cluster cluster-with-karpenter runs`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec, err := render(t, with(devConfig(t), tc.overrides), mocks.WithAccount(tc.account))
			var looked []string
			for _, inv := range rec.Invokes {
				looked = append(looked, inv.Token)
			}
			require.Contains(t, looked, "aws:eks/getCluster:getCluster", "the program reads the running cluster")
			require.Contains(t, looked, "aws:ec2/getVpc:getVpc", "and its VPC")
			if tc.want == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tc.want)
			require.Empty(t, rec.Resources, "a refused change declares nothing")
		})
	}
	// Before the cluster exists there is nothing to compare with, and nothing is looked up.
	rec, err := render(t, with(devConfig(t), map[string]string{"vpcCidr": "10.43.0.0/20"}))
	require.NoError(t, err)
	for _, inv := range rec.Invokes {
		require.NotEqual(t, "aws:ec2/getVpc:getVpc", inv.Token, "no cluster, no VPC to look up")
	}
}

// IAM is global: a stack deployed in one region leaves its fixed-name Karpenter role and policies visible from every
// region. With no cluster of the stack's name in the configured region, a controller policy scoped to another region
// means aws:region changed under the running stack (or an earlier stack of the same clusterName runs there): refused
// before anything is declared.
func TestARegionChangeUnderTheRunningStackIsRefused(t *testing.T) {
	cases := []struct {
		name    string
		account mocks.Account
		want    []string // empty: accepted
	}{
		{"a first deploy", mocks.Account{}, nil},
		{"an interrupted first deploy in this region", mocks.Account{Karpenter: mocks.KarpenterIAM{ClusterName: clusterName, Region: "us-east-1"}}, nil},
		{"another cluster's IAM in another region", mocks.Account{Karpenter: mocks.KarpenterIAM{ClusterName: "other-cluster", Region: "us-west-2"}}, nil},
		{"the stack's IAM in another region", mocks.Account{Karpenter: mocks.KarpenterIAM{ClusterName: clusterName, Region: "us-west-2"}}, []string{
			`aws:region: "us-east-1" has no EKS cluster cluster-with-karpenter, but IAM policy KarpenterControllerResourceDiscoveryPolicy-cluster-with-karpenter (a fixed name: IAM is global) scopes Karpenter to us-west-2`,
			"set it back to us-west-2",
		}},
		{"the stack's role without its policy", mocks.Account{Karpenter: mocks.KarpenterIAM{ClusterName: clusterName, Region: "us-west-2", NoPolicy: true}}, []string{
			"aws:region: role KarpenterControllerRole-cluster-with-karpenter exists but EKS cluster cluster-with-karpenter does not in us-east-1",
			"arn:aws:iam::123456789012:policy/KarpenterControllerResourceDiscoveryPolicy-cluster-with-karpenter",
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec, err := render(t, devConfig(t), mocks.WithAccount(tc.account))
			if len(tc.want) == 0 {
				require.NoError(t, err)
				return
			}
			for _, w := range tc.want {
				require.ErrorContains(t, err, w)
			}
			require.Empty(t, rec.Resources, "a refused region declares nothing")
		})
	}
}
