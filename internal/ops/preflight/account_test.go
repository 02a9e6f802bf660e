package preflight_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/costexplorer"
	cetypes "github.com/aws/aws-sdk-go-v2/service/costexplorer/types"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/require"

	"github.com/karpenter-savings/karpenter-savings/internal/ops/preflight"
	"github.com/karpenter-savings/karpenter-savings/internal/program/config"
)

// fakeAccount holds what exists by name; an API's err field, when set, fails every call of that API.
type fakeAccount struct {
	identityErr error
	roles       map[string]bool
	iamErr      error
	queues      map[string]bool
	sqsErr      error
	aliases     map[string]bool
	kmsErr      error
	clusters    map[string]bool
	eksErr      error
	rules       map[string]bool
	rulesErr    error
	// accessEntries are the access entries of every cluster in clusters: principal ARN to the entry's tags.
	accessEntries map[string]map[string]string
	pageSize      int // access entries per ListAccessEntries page; 0 is EKS's default, 100
	listErr       error
	describeErr   error
	// listTokens records the NextToken of each ListAccessEntries call ("" for the first page).
	listTokens []string
	// costTags are the cost allocation tags Cost Explorer lists, by key; a key not in it no bill has carried.
	costTags    map[string]cetypes.CostAllocationTagStatus
	costTagsErr error
}

func (f *fakeAccount) clients() preflight.Clients {
	return preflight.Clients{STS: f, IAM: f, SQS: f, KMS: f, EKS: f, EventBridge: f, CostExplorer: f}
}

// opErr wraps err the way the SDK returns it.
func opErr(service, op string, err error) error {
	return &smithy.OperationError{ServiceID: service, OperationName: op, Err: err}
}

func (f *fakeAccount) GetCallerIdentity(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error) {
	if f.identityErr != nil {
		return nil, f.identityErr
	}
	return &sts.GetCallerIdentityOutput{Account: aws.String("111122223333"), Arn: aws.String("arn:aws:iam::111122223333:user/ops")}, nil
}

func (f *fakeAccount) GetRole(_ context.Context, in *iam.GetRoleInput, _ ...func(*iam.Options)) (*iam.GetRoleOutput, error) {
	name := aws.ToString(in.RoleName)
	switch {
	case f.iamErr != nil:
		return nil, opErr("IAM", "GetRole", f.iamErr)
	case !f.roles[name]:
		return nil, opErr("IAM", "GetRole", &iamtypes.NoSuchEntityException{Message: aws.String("The role with name " + name + " cannot be found.")})
	}
	return &iam.GetRoleOutput{Role: &iamtypes.Role{Arn: aws.String("arn:aws:iam::111122223333:role/" + name)}}, nil
}

func (f *fakeAccount) GetQueueUrl(_ context.Context, in *sqs.GetQueueUrlInput, _ ...func(*sqs.Options)) (*sqs.GetQueueUrlOutput, error) { //nolint:revive // the SDK names it
	name := aws.ToString(in.QueueName)
	switch {
	case f.sqsErr != nil:
		return nil, opErr("SQS", "GetQueueUrl", f.sqsErr)
	case !f.queues[name]:
		return nil, opErr("SQS", "GetQueueUrl", &sqstypes.QueueDoesNotExist{Message: aws.String("The specified queue does not exist.")})
	}
	return &sqs.GetQueueUrlOutput{QueueUrl: aws.String("https://sqs.us-east-1.amazonaws.com/111122223333/" + name)}, nil
}

func (f *fakeAccount) DescribeKey(_ context.Context, in *kms.DescribeKeyInput, _ ...func(*kms.Options)) (*kms.DescribeKeyOutput, error) {
	switch {
	case f.kmsErr != nil:
		return nil, opErr("KMS", "DescribeKey", f.kmsErr)
	case !f.aliases[aws.ToString(in.KeyId)]:
		return nil, opErr("KMS", "DescribeKey", &kmstypes.NotFoundException{Message: aws.String("Alias is not found.")})
	}
	return &kms.DescribeKeyOutput{KeyMetadata: &kmstypes.KeyMetadata{KeyId: aws.String("1234abcd-12ab-34cd-56ef-1234567890ab"), KeyState: kmstypes.KeyStatePendingDeletion}}, nil
}

func (f *fakeAccount) DescribeCluster(_ context.Context, in *eks.DescribeClusterInput, _ ...func(*eks.Options)) (*eks.DescribeClusterOutput, error) {
	name := aws.ToString(in.Name)
	switch {
	case f.eksErr != nil:
		return nil, opErr("EKS", "DescribeCluster", f.eksErr)
	case !f.clusters[name]:
		return nil, opErr("EKS", "DescribeCluster", &ekstypes.ResourceNotFoundException{Message: aws.String("No cluster found for name: " + name + ".")})
	}
	return &eks.DescribeClusterOutput{Cluster: &ekstypes.Cluster{Arn: aws.String("arn:aws:eks:us-east-1:111122223333:cluster/" + name), Status: ekstypes.ClusterStatusDeleting}}, nil
}

func (f *fakeAccount) ListAccessEntries(_ context.Context, in *eks.ListAccessEntriesInput, _ ...func(*eks.Options)) (*eks.ListAccessEntriesOutput, error) {
	name := aws.ToString(in.ClusterName)
	f.listTokens = append(f.listTokens, aws.ToString(in.NextToken))
	switch {
	case f.listErr != nil:
		return nil, opErr("EKS", "ListAccessEntries", f.listErr)
	case !f.clusters[name]:
		return nil, opErr("EKS", "ListAccessEntries", &ekstypes.ResourceNotFoundException{Message: aws.String("No cluster found for name: " + name + ".")})
	}
	principals := slices.Sorted(maps.Keys(f.accessEntries))
	size := f.pageSize
	if size == 0 {
		size = 100
	}
	start := 0
	if in.NextToken != nil {
		n, err := strconv.Atoi(aws.ToString(in.NextToken))
		if err != nil {
			return nil, opErr("EKS", "ListAccessEntries", &ekstypes.InvalidParameterException{Message: aws.String("bad nextToken")})
		}
		start = n
	}
	end := min(start+size, len(principals))
	out := &eks.ListAccessEntriesOutput{AccessEntries: principals[start:end]}
	if end < len(principals) {
		out.NextToken = aws.String(strconv.Itoa(end))
	}
	return out, nil
}

func (f *fakeAccount) DescribeAccessEntry(_ context.Context, in *eks.DescribeAccessEntryInput, _ ...func(*eks.Options)) (*eks.DescribeAccessEntryOutput, error) {
	arn := aws.ToString(in.PrincipalArn)
	tags, ok := f.accessEntries[arn]
	switch {
	case f.describeErr != nil:
		return nil, opErr("EKS", "DescribeAccessEntry", f.describeErr)
	case !ok || !f.clusters[aws.ToString(in.ClusterName)]:
		return nil, opErr("EKS", "DescribeAccessEntry", &ekstypes.ResourceNotFoundException{Message: aws.String("The specified principalArn could not be found.")})
	}
	return &eks.DescribeAccessEntryOutput{AccessEntry: &ekstypes.AccessEntry{ClusterName: in.ClusterName, PrincipalArn: aws.String(arn), Tags: tags}}, nil
}

func (f *fakeAccount) DescribeRule(_ context.Context, in *eventbridge.DescribeRuleInput, _ ...func(*eventbridge.Options)) (*eventbridge.DescribeRuleOutput, error) {
	name := aws.ToString(in.Name)
	switch {
	case f.rulesErr != nil:
		return nil, opErr("EventBridge", "DescribeRule", f.rulesErr)
	case !f.rules[name]:
		return nil, opErr("EventBridge", "DescribeRule", &ebtypes.ResourceNotFoundException{Message: aws.String("Rule " + name + " does not exist.")})
	}
	return &eventbridge.DescribeRuleOutput{Arn: aws.String("arn:aws:events:us-east-1:111122223333:rule/" + name)}, nil
}

func (f *fakeAccount) ListCostAllocationTags(_ context.Context, in *costexplorer.ListCostAllocationTagsInput, _ ...func(*costexplorer.Options)) (*costexplorer.ListCostAllocationTagsOutput, error) {
	if f.costTagsErr != nil {
		return nil, opErr("Cost Explorer", "ListCostAllocationTags", f.costTagsErr)
	}
	out := &costexplorer.ListCostAllocationTagsOutput{}
	for _, key := range in.TagKeys {
		if status, ok := f.costTags[key]; ok {
			out.CostAllocationTags = append(out.CostAllocationTags, cetypes.CostAllocationTag{TagKey: aws.String(key), Status: status, Type: in.Type})
		}
	}
	return out, nil
}

var demo = &config.Config{ClusterName: "demo", Region: "us-east-1"}

func TestFixedNames(t *testing.T) {
	require.Equal(t, preflight.Names{
		Cluster:        "demo",
		NodeRole:       "KarpenterNodeRole-demo",
		ControllerRole: "KarpenterControllerRole-demo",
		Queue:          "demo",
		KMSAlias:       "alias/demo-eks-secrets",
		EventBridgeRules: []string{
			"demo-scheduled-change", "demo-spot-interruption", "demo-rebalance", "demo-instance-state-change",
			"demo-capacity-reservation",
		},
	}, preflight.FixedNames(demo))
}

const (
	regionCheck = "AWS region"
	credsCheck  = "AWS credentials (STS GetCallerIdentity)"
	spotCheck   = "EC2 Spot service-linked role AWSServiceRoleForEC2Spot"
	nodeRole    = "no IAM role KarpenterNodeRole-demo"
	ctrlRole    = "no IAM role KarpenterControllerRole-demo"
	queue       = "no SQS queue demo"
	alias       = "no KMS alias alias/demo-eks-secrets"
	cluster     = "no EKS cluster demo"
	ruleA       = "no EventBridge rule demo-spot-interruption"
	ruleB       = "no EventBridge rule demo-rebalance"
)

// accessDenied is an error that is neither success nor not-found.
var accessDenied = &smithy.GenericAPIError{Code: "AccessDenied", Message: "not authorized"}

func TestAccount(t *testing.T) {
	leftover := "delete it (%s) or import it into the stack; it was likely left by an earlier stack or an interrupted `pulumi destroy` (finish that destroy; `go run ./cmd/cleanup` removes what Karpenter and Kubernetes left)"
	tests := []struct {
		name    string
		account fakeAccount
		rules   []string
		// want maps a check to its status, found and fix; checks not listed must be ok with found "none".
		want    map[string]preflight.Result
		skipped string
	}{
		{
			name:    "a clean account that has the spot role",
			account: fakeAccount{roles: map[string]bool{"AWSServiceRoleForEC2Spot": true}},
			want: map[string]preflight.Result{
				spotCheck: {Status: preflight.StatusOK, Found: "present (arn:aws:iam::111122223333:role/AWSServiceRoleForEC2Spot); the stack adopts it"},
			},
		},
		{
			name: "a clean account without the spot role",
			want: map[string]preflight.Result{
				spotCheck: {Status: preflight.StatusOK, Found: "absent; the stack creates it on the first `pulumi up`"},
			},
		},
		{
			name: "leftovers of an earlier stack",
			account: fakeAccount{
				roles:    map[string]bool{"KarpenterNodeRole-demo": true, "KarpenterControllerRole-demo": true},
				queues:   map[string]bool{"demo": true},
				aliases:  map[string]bool{"alias/demo-eks-secrets": true},
				clusters: map[string]bool{"demo": true},
				rules:    map[string]bool{"demo-spot-interruption": true},
			},
			rules: []string{"demo-spot-interruption", "demo-rebalance"},
			want: map[string]preflight.Result{
				spotCheck: {Status: preflight.StatusOK, Found: "absent; the stack creates it on the first `pulumi up`"},
				nodeRole: {Status: preflight.StatusFail, Found: "exists: arn:aws:iam::111122223333:role/KarpenterNodeRole-demo",
					Fix: fmt.Sprintf(leftover, "detach its policies, then aws iam delete-role --role-name KarpenterNodeRole-demo")},
				ctrlRole: {Status: preflight.StatusFail, Found: "exists: arn:aws:iam::111122223333:role/KarpenterControllerRole-demo",
					Fix: fmt.Sprintf(leftover, "detach its policies, then aws iam delete-role --role-name KarpenterControllerRole-demo")},
				queue: {Status: preflight.StatusFail, Found: "exists: https://sqs.us-east-1.amazonaws.com/111122223333/demo",
					Fix: fmt.Sprintf(leftover, "aws sqs delete-queue --region us-east-1 --queue-url <url>")},
				alias: {Status: preflight.StatusFail, Found: "exists: key 1234abcd-12ab-34cd-56ef-1234567890ab, PendingDeletion",
					Fix: fmt.Sprintf(leftover, "aws kms delete-alias --region us-east-1 --alias-name alias/demo-eks-secrets")},
				cluster: {Status: preflight.StatusFail, Found: "exists: arn:aws:eks:us-east-1:111122223333:cluster/demo, DELETING",
					Fix: fmt.Sprintf(leftover, "aws eks delete-cluster --region us-east-1 --name demo, after its node groups")},
				ruleA: {Status: preflight.StatusFail, Found: "exists: arn:aws:events:us-east-1:111122223333:rule/demo-spot-interruption",
					Fix: fmt.Sprintf(leftover, "aws events remove-targets, then aws events delete-rule --region us-east-1 --name demo-spot-interruption")},
				ruleB: {Status: preflight.StatusOK, Found: "none"},
			},
		},
		{
			name:    "IAM refuses",
			account: fakeAccount{iamErr: accessDenied},
			want: map[string]preflight.Result{
				spotCheck: {Status: preflight.StatusFail, Found: "could not check: operation error IAM: GetRole, api error AccessDenied: not authorized", Fix: "fix the error; the check needs iam:GetRole"},
				nodeRole:  {Status: preflight.StatusFail, Found: "could not check: operation error IAM: GetRole, api error AccessDenied: not authorized", Fix: "fix the error; the check needs iam:GetRole"},
				ctrlRole:  {Status: preflight.StatusFail, Found: "could not check: operation error IAM: GetRole, api error AccessDenied: not authorized", Fix: "fix the error; the check needs iam:GetRole"},
			},
		},
		{
			name:    "SQS, KMS, EKS and EventBridge refuse",
			account: fakeAccount{sqsErr: accessDenied, kmsErr: accessDenied, eksErr: accessDenied, rulesErr: accessDenied},
			rules:   []string{"demo-rebalance"},
			want: map[string]preflight.Result{
				spotCheck: {Status: preflight.StatusOK, Found: "absent; the stack creates it on the first `pulumi up`"},
				queue:     {Status: preflight.StatusFail, Found: "could not check: operation error SQS: GetQueueUrl, api error AccessDenied: not authorized", Fix: "fix the error; the check needs sqs:GetQueueUrl"},
				alias:     {Status: preflight.StatusFail, Found: "could not check: operation error KMS: DescribeKey, api error AccessDenied: not authorized", Fix: "fix the error; the check needs kms:DescribeKey"},
				cluster:   {Status: preflight.StatusFail, Found: "could not check: operation error EKS: DescribeCluster, api error AccessDenied: not authorized", Fix: "fix the error; the check needs eks:DescribeCluster"},
				ruleB:     {Status: preflight.StatusFail, Found: "could not check: operation error EventBridge: DescribeRule, api error AccessDenied: not authorized", Fix: "fix the error; the check needs events:DescribeRule"},
			},
		},
		{
			name:    "no credentials skips every account check",
			account: fakeAccount{identityErr: errors.New("failed to retrieve credentials")},
			rules:   []string{"demo-rebalance"},
			skipped: "no credentials (failed to retrieve credentials)",
			want: map[string]preflight.Result{
				credsCheck: {Status: preflight.StatusSkipped, Found: "no credentials (failed to retrieve credentials)"},
				spotCheck:  {Status: preflight.StatusSkipped, Found: "no credentials"},
				nodeRole:   {Status: preflight.StatusSkipped, Found: "no credentials"},
				ctrlRole:   {Status: preflight.StatusSkipped, Found: "no credentials"},
				queue:      {Status: preflight.StatusSkipped, Found: "no credentials"},
				alias:      {Status: preflight.StatusSkipped, Found: "no credentials"},
				cluster:    {Status: preflight.StatusSkipped, Found: "no credentials"},
				ruleB:      {Status: preflight.StatusSkipped, Found: "no credentials"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			names := preflight.FixedNames(demo)
			names.EventBridgeRules = tt.rules
			results, caller, skipped := preflight.Account(context.Background(), tt.account.clients(), demo.Region, names)
			if skipped == "" {
				require.Equal(t, "arn:aws:iam::111122223333:user/ops", caller, "the identity the credentials are")
			} else {
				require.Empty(t, caller)
			}

			order := []string{regionCheck, credsCheck, spotCheck, nodeRole, ctrlRole, queue, alias, cluster}
			for _, r := range tt.rules {
				order = append(order, "no EventBridge rule "+r)
			}
			var checks []string
			for _, res := range results {
				checks = append(checks, res.Check)
			}
			require.Equal(t, order, checks)
			require.Equal(t, tt.skipped, skipped)

			defaults := map[string]preflight.Result{
				regionCheck: {Status: preflight.StatusOK, Found: "us-east-1 (the stack's aws:region; the account checks run there)"},
				credsCheck:  {Status: preflight.StatusOK, Found: "account 111122223333 as arn:aws:iam::111122223333:user/ops"},
			}
			for _, res := range results {
				want, ok := tt.want[res.Check]
				if !ok {
					want, ok = defaults[res.Check]
				}
				if !ok {
					want = preflight.Result{Status: preflight.StatusOK, Found: "none"}
				}
				want.Check = res.Check
				require.Equal(t, want, res)
			}
		})
	}
}
