package preflight_test

import (
	"context"
	"errors"
	"testing"

	cetypes "github.com/aws/aws-sdk-go-v2/service/costexplorer/types"
	"github.com/stretchr/testify/require"

	"github.com/karpenter-savings/karpenter-savings/internal/ops/costtags"
	"github.com/karpenter-savings/karpenter-savings/internal/ops/preflight"
)

const (
	nodePoolTagCheck  = "cost allocation tag karpenter.sh/nodepool"
	clusterTagCheck   = "cost allocation tag eks:eks-cluster-name"
	nodeGroupTagCheck = "cost allocation tag eks:cluster-name"
	ceDenied          = "could not check: listing the cost allocation tags [karpenter.sh/nodepool eks:eks-cluster-name eks:cluster-name] " +
		"(ce:ListCostAllocationTags): operation error Cost Explorer: ListCostAllocationTags, " +
		"AccessDeniedException: not authorized to perform ce:ListCostAllocationTags"
	payerOnly = "the check needs ce:ListCostAllocationTags, with the payer (management) account's credentials: a member " +
		"account of an AWS Organization cannot read or activate cost allocation tags"
)

// fixFor is costtags' fix of a key in state s.
func fixFor(t *testing.T, key string, s costtags.State) string {
	t.Helper()
	tags := map[string]cetypes.CostAllocationTagStatus{}
	if s != costtags.Unseen {
		tags[key] = cetypes.CostAllocationTagStatus(s)
	}
	statuses, err := costtags.Check(context.Background(), &fakeAccount{costTags: tags})
	require.NoError(t, err)
	for _, st := range statuses {
		if st.Key == key {
			require.NotEmpty(t, st.Fix, "expected a fix for %s %s", key, s)
			return st.Fix
		}
	}
	t.Fatalf("expected a status for %s", key)
	return ""
}

func TestCostAllocationTags(t *testing.T) {
	nodePool, cluster, nodeGroup := costtags.NodePoolKey, costtags.ClusterKey, costtags.NodeGroupClusterKey
	tests := []struct {
		name     string
		account  *fakeAccount
		activate bool
		want     []preflight.Result
	}{
		{
			name: "active keys are ok",
			account: &fakeAccount{costTags: map[string]cetypes.CostAllocationTagStatus{
				nodePool: cetypes.CostAllocationTagStatusActive, cluster: cetypes.CostAllocationTagStatusActive, nodeGroup: cetypes.CostAllocationTagStatusActive,
			}},
			want: []preflight.Result{
				{Check: nodePoolTagCheck, Status: preflight.StatusOK, Found: "Active; Cost Explorer groups the bill by it"},
				{Check: clusterTagCheck, Status: preflight.StatusOK, Found: "Active; Cost Explorer groups the bill by it"},
				{Check: nodeGroupTagCheck, Status: preflight.StatusOK, Found: "Active; Cost Explorer groups the bill by it"},
			},
		},
		{
			name: "an inactive key is ok, with how to activate it",
			account: &fakeAccount{costTags: map[string]cetypes.CostAllocationTagStatus{
				nodePool: cetypes.CostAllocationTagStatusInactive, cluster: cetypes.CostAllocationTagStatusActive, nodeGroup: cetypes.CostAllocationTagStatusActive,
			}},
			want: []preflight.Result{
				{Check: nodePoolTagCheck, Status: preflight.StatusOK, Found: "Inactive", Fix: fixFor(t, nodePool, costtags.Inactive)},
				{Check: clusterTagCheck, Status: preflight.StatusOK, Found: "Active; Cost Explorer groups the bill by it"},
				{Check: nodeGroupTagCheck, Status: preflight.StatusOK, Found: "Active; Cost Explorer groups the bill by it"},
			},
		},
		{
			name: "an inactive key the stack activates is ok",
			account: &fakeAccount{costTags: map[string]cetypes.CostAllocationTagStatus{
				nodePool: cetypes.CostAllocationTagStatusInactive, cluster: cetypes.CostAllocationTagStatusInactive, nodeGroup: cetypes.CostAllocationTagStatusInactive,
			}},
			activate: true,
			want: []preflight.Result{
				{Check: nodePoolTagCheck, Status: preflight.StatusOK, Found: "Inactive; `pulumi up` activates it (activateCostAllocationTags is true)"},
				{Check: clusterTagCheck, Status: preflight.StatusOK, Found: "Inactive; `pulumi up` activates it (activateCostAllocationTags is true)"},
				{Check: nodeGroupTagCheck, Status: preflight.StatusOK, Found: "Inactive; `pulumi up` activates it (activateCostAllocationTags is true)"},
			},
		},
		{
			name:    "a key no bill has carried is ok before the first deploy",
			account: &fakeAccount{},
			want: []preflight.Result{
				{Check: nodePoolTagCheck, Status: preflight.StatusOK, Found: "not yet on a bill", Fix: fixFor(t, nodePool, costtags.Unseen)},
				{Check: clusterTagCheck, Status: preflight.StatusOK, Found: "not yet on a bill", Fix: fixFor(t, cluster, costtags.Unseen)},
				{Check: nodeGroupTagCheck, Status: preflight.StatusOK, Found: "not yet on a bill", Fix: fixFor(t, nodeGroup, costtags.Unseen)},
			},
		},
		{
			name:     "a key no bill has carried fails when the stack would activate it",
			account:  &fakeAccount{costTags: map[string]cetypes.CostAllocationTagStatus{cluster: cetypes.CostAllocationTagStatusActive, nodeGroup: cetypes.CostAllocationTagStatusActive}},
			activate: true,
			want: []preflight.Result{
				{Check: nodePoolTagCheck, Status: preflight.StatusFail, Found: "not yet on a bill",
					Fix: "set activateCostAllocationTags to false for now: Cost Explorer cannot activate a key before a bill has carried it, " +
						"so `pulumi up` would fail on it; " + fixFor(t, nodePool, costtags.Unseen)},
				{Check: clusterTagCheck, Status: preflight.StatusOK, Found: "Active; Cost Explorer groups the bill by it"},
				{Check: nodeGroupTagCheck, Status: preflight.StatusOK, Found: "Active; Cost Explorer groups the bill by it"},
			},
		},
		{
			name:    "an error is skipped, with the permission and the payer account",
			account: &fakeAccount{costTagsErr: errors.New("AccessDeniedException: not authorized to perform ce:ListCostAllocationTags")},
			want: []preflight.Result{
				{Check: nodePoolTagCheck, Status: preflight.StatusSkipped, Found: ceDenied, Fix: payerOnly},
				{Check: clusterTagCheck, Status: preflight.StatusSkipped, Found: ceDenied, Fix: payerOnly},
				{Check: nodeGroupTagCheck, Status: preflight.StatusSkipped, Found: ceDenied, Fix: payerOnly},
			},
		},
		{
			name:     "an error fails when the stack would activate the tags",
			account:  &fakeAccount{costTagsErr: errors.New("AccessDeniedException: not authorized to perform ce:ListCostAllocationTags")},
			activate: true,
			want: []preflight.Result{
				{Check: nodePoolTagCheck, Status: preflight.StatusFail, Found: ceDenied,
					Fix: payerOnly + "; activateCostAllocationTags activates the tags from the stack's credentials"},
				{Check: clusterTagCheck, Status: preflight.StatusFail, Found: ceDenied,
					Fix: payerOnly + "; activateCostAllocationTags activates the tags from the stack's credentials"},
				{Check: nodeGroupTagCheck, Status: preflight.StatusFail, Found: ceDenied,
					Fix: payerOnly + "; activateCostAllocationTags activates the tags from the stack's credentials"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, preflight.CostAllocationTags(context.Background(), tt.account, tt.activate))
		})
	}
}

func TestRunChecksCostAllocationTagsWithTheAccount(t *testing.T) {
	cfg := *demo
	cfg.ActivateCostAllocationTags = true
	report := preflight.Run(context.Background(), goodTools(), (&fakeAccount{}).clients(), &cfg)
	require.Equal(t, 3, report.Count(preflight.StatusFail), "every key: no bill has carried them, and the stack would activate them")

	report = preflight.Run(context.Background(), goodTools(), (&fakeAccount{identityErr: errors.New("expired token")}).clients(), &cfg)
	n := len(report.Results)
	require.Equal(t, []preflight.Result{
		{Check: nodePoolTagCheck, Status: preflight.StatusSkipped, Found: "no credentials"},
		{Check: clusterTagCheck, Status: preflight.StatusSkipped, Found: "no credentials"},
		{Check: nodeGroupTagCheck, Status: preflight.StatusSkipped, Found: "no credentials"},
	}, report.Results[n-3:])
}
