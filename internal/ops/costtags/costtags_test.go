package costtags_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/costexplorer"
	cetypes "github.com/aws/aws-sdk-go-v2/service/costexplorer/types"
	"github.com/stretchr/testify/require"

	"github.com/karpenter-savings/karpenter-savings/internal/ops/costtags"
)

// pages answers ListCostAllocationTags one page per call, checking the token.
type pages struct {
	pages [][]cetypes.CostAllocationTag
	err   error
	calls int
}

func (p *pages) ListCostAllocationTags(_ context.Context, in *costexplorer.ListCostAllocationTagsInput, _ ...func(*costexplorer.Options)) (*costexplorer.ListCostAllocationTagsOutput, error) {
	if p.err != nil {
		return nil, p.err
	}
	if p.calls > 0 && aws.ToString(in.NextToken) != "page-"+string(rune('0'+p.calls)) {
		return nil, errors.New("unexpected token " + aws.ToString(in.NextToken))
	}
	out := &costexplorer.ListCostAllocationTagsOutput{CostAllocationTags: p.pages[p.calls]}
	p.calls++
	if p.calls < len(p.pages) {
		out.NextToken = aws.String("page-" + string(rune('0'+p.calls)))
	}
	return out, nil
}

func tag(key string, s cetypes.CostAllocationTagStatus) cetypes.CostAllocationTag {
	return cetypes.CostAllocationTag{TagKey: aws.String(key), Status: s, Type: cetypes.CostAllocationTagTypeUserDefined}
}

func TestCheck(t *testing.T) {
	api := &pages{pages: [][]cetypes.CostAllocationTag{
		{tag(costtags.ClusterKey, cetypes.CostAllocationTagStatusActive)},
		{tag(costtags.NodePoolKey, cetypes.CostAllocationTagStatusInactive)},
	}}
	got, err := costtags.Check(context.Background(), api)
	require.NoError(t, err)
	require.Equal(t, 2, api.calls, "every page is read")
	require.Len(t, got, 3)
	require.Equal(t, costtags.NodePoolKey, got[0].Key)
	require.Equal(t, costtags.Inactive, got[0].State)
	require.Contains(t, got[0].Fix, "karpenter-savings:activateCostAllocationTags")
	require.Contains(t, got[0].Fix, "TagKey=karpenter.sh/nodepool,Status=Active")
	require.Equal(t, costtags.Status{Key: costtags.ClusterKey, State: costtags.Active}, got[1])
	require.Equal(t, costtags.NodeGroupClusterKey, got[2].Key, "the managed node group's tag is checked too")
	require.Equal(t, costtags.Unseen, got[2].State)
}

func TestCheckNamesAKeyNoBillHasCarried(t *testing.T) {
	got, err := costtags.Check(context.Background(), &pages{pages: [][]cetypes.CostAllocationTag{{}}})
	require.NoError(t, err)
	for _, s := range got {
		require.Equal(t, costtags.Unseen, s.State)
		first := "about 24 hours after the first Karpenter node"
		if s.Key == costtags.NodeGroupClusterKey {
			first = "about 24 hours after the first managed node group's node"
		}
		require.Contains(t, s.Fix, first)
	}
}

func TestCheckWrapsTheAPIError(t *testing.T) {
	_, err := costtags.Check(context.Background(), &pages{err: errors.New("AccessDeniedException")})
	require.ErrorContains(t, err, "ce:ListCostAllocationTags): AccessDeniedException")
}
