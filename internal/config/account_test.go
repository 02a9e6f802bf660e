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
		exists       bool
		wantErr      string
	}{
		{"the creator's role session is listed", "arn:aws:sts::123456789012:assumed-role/ci-deploy/GitHubActions", false,
			`karpenter-savings:clusterAdminPrincipalArns: "arn:aws:iam::123456789012:role/ci-deploy" is the identity creating the cluster`},
		{"the cluster exists: a later updater may be listed", "arn:aws:sts::123456789012:assumed-role/ci-deploy/GitHubActions", true, ""},
		{"another identity creates it", "arn:aws:iam::123456789012:user/alice", false, ""},
		{"same name in another account", "arn:aws:sts::210987654321:assumed-role/ci-deploy/s", false, ""},
		{"the account root creates it", "arn:aws:iam::123456789012:root", false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := c.CheckCreator(tc.caller, tc.exists)
			if tc.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tc.wantErr)
		})
	}
}
