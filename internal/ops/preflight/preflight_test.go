package preflight_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/karpenter-savings/karpenter-savings/internal/ops/preflight"
)

func TestRunChecksToolsThenTheAccount(t *testing.T) {
	report := preflight.Run(context.Background(), goodTools(), (&fakeAccount{}).clients(), demo)

	var checks []string
	for _, res := range report.Results {
		checks = append(checks, res.Check)
	}
	require.Equal(t, []string{"Pulumi CLI v3", "AWS CLI v2", "kubectl >= 1.24", regionCheck, credsCheck, spotCheck,
		nodeRole, ctrlRole, queue, alias, cluster, "no EventBridge rule demo-scheduled-change", ruleA, ruleB,
		"no EventBridge rule demo-instance-state-change", "no EventBridge rule demo-capacity-reservation",
		"cost allocation tag karpenter.sh/nodepool", "cost allocation tag eks:eks-cluster-name", "cost allocation tag eks:cluster-name"}, checks)
	require.Equal(t, len(checks), report.Count(preflight.StatusOK))
	require.Empty(t, report.AccountSkipped)
}

func TestReportWrite(t *testing.T) {
	tests := []struct {
		name   string
		report preflight.Report
		want   string
	}{
		{
			name: "a failure carries its fix",
			report: preflight.Report{Results: []preflight.Result{
				{Check: "Pulumi CLI v3", Status: preflight.StatusOK, Found: "v3.200.0"},
				{Check: "AWS CLI v2", Status: preflight.StatusFail, Found: "aws-cli/1.45.11", Fix: "install AWS CLI v2"},
			}},
			want: "ok    Pulumi CLI v3  v3.200.0\n" +
				"FAIL  AWS CLI v2     aws-cli/1.45.11 -> install AWS CLI v2\n" +
				"\npreflight: 1 ok, 1 failed, 0 skipped\n",
		},
		{
			name: "skipped account checks are said so",
			report: preflight.Report{
				Results: []preflight.Result{
					{Check: "kubectl >= 1.24", Status: preflight.StatusOK, Found: "v1.32.4"},
					{Check: "AWS credentials", Status: preflight.StatusSkipped, Found: "no credentials (expired token)"},
				},
				AccountSkipped: "no credentials (expired token)",
			},
			want: "ok       kubectl >= 1.24  v1.32.4\n" +
				"skipped  AWS credentials  no credentials (expired token)\n" +
				"\npreflight: 1 ok, 0 failed, 1 skipped\n" +
				"account checks skipped: no credentials (expired token). Skipped checks do not fail the preflight; run it again with credentials before `pulumi up`.\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			require.NoError(t, tt.report.Write(&out))
			require.Equal(t, tt.want, out.String())
		})
	}
}

func TestRunWithoutCredentialsFailsOnlyOnLocalChecks(t *testing.T) {
	r := goodTools()
	delete(r, kubectlCmd)
	report := preflight.Run(context.Background(), r, (&fakeAccount{identityErr: errors.New("no EC2 IMDS role found")}).clients(), demo)

	require.Equal(t, 1, report.Count(preflight.StatusFail), "kubectl only")
	require.Equal(t, 15, report.Count(preflight.StatusSkipped), "credentials, spot role, the five names, the five rules and the three cost allocation tags")
	require.Equal(t, "no credentials (no EC2 IMDS role found)", report.AccountSkipped)
}
