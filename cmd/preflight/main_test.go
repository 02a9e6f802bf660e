package main

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/costexplorer"
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
	"github.com/stretchr/testify/require"

	"github.com/karpenter-savings/karpenter-savings/internal/ops/preflight"
	"github.com/karpenter-savings/karpenter-savings/internal/program/samplemanifest"
)

// repoRoot holds the real Pulumi.yaml and Pulumi.dev.yaml.
const repoRoot = "../.."

// tools answers the version commands; a missing one is not on PATH.
type tools map[string]string

func (t tools) Run(_ context.Context, name string, args ...string) (string, string, error) {
	out, ok := t[strings.Join(append([]string{name}, args...), " ")]
	if !ok {
		return "", "", &exec.Error{Name: name, Err: exec.ErrNotFound}
	}
	return out, "", nil
}

var goodTools = tools{
	"pulumi version":                   "v3.200.0\n",
	"aws --version":                    "aws-cli/2.15.0 Python/3.11.6 Linux/6.5.0 exe/x86_64\n",
	"kubectl version --client -o json": `{"clientVersion":{"major":"1","minor":"32","gitVersion":"v1.32.4"}}`,
}

// cleanAccount has the caller's identity and none of the stack's names; clusterLeft leaves an EKS cluster of every name,
// whose only access entry is the untagged one EKS made for its creator, creator.
type cleanAccount struct {
	clusterLeft bool
	creator     string
}

func (cleanAccount) GetCallerIdentity(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error) {
	return &sts.GetCallerIdentityOutput{Account: aws.String("111122223333"), Arn: aws.String("arn:aws:iam::111122223333:user/ops")}, nil
}

func (cleanAccount) GetRole(context.Context, *iam.GetRoleInput, ...func(*iam.Options)) (*iam.GetRoleOutput, error) {
	return nil, &iamtypes.NoSuchEntityException{}
}

func (cleanAccount) GetQueueUrl(context.Context, *sqs.GetQueueUrlInput, ...func(*sqs.Options)) (*sqs.GetQueueUrlOutput, error) { //nolint:revive // the SDK names it
	return nil, &sqstypes.QueueDoesNotExist{}
}

func (cleanAccount) DescribeKey(context.Context, *kms.DescribeKeyInput, ...func(*kms.Options)) (*kms.DescribeKeyOutput, error) {
	return nil, &kmstypes.NotFoundException{}
}

func (a cleanAccount) DescribeCluster(_ context.Context, in *eks.DescribeClusterInput, _ ...func(*eks.Options)) (*eks.DescribeClusterOutput, error) {
	if a.clusterLeft {
		return &eks.DescribeClusterOutput{Cluster: &ekstypes.Cluster{Arn: aws.String("arn:aws:eks:us-east-1:111122223333:cluster/" + aws.ToString(in.Name)), Status: ekstypes.ClusterStatusActive}}, nil
	}
	return nil, &ekstypes.ResourceNotFoundException{}
}

func (a cleanAccount) ListAccessEntries(context.Context, *eks.ListAccessEntriesInput, ...func(*eks.Options)) (*eks.ListAccessEntriesOutput, error) {
	if a.clusterLeft {
		return &eks.ListAccessEntriesOutput{AccessEntries: []string{a.creator}}, nil
	}
	return nil, &ekstypes.ResourceNotFoundException{}
}

func (a cleanAccount) DescribeAccessEntry(_ context.Context, in *eks.DescribeAccessEntryInput, _ ...func(*eks.Options)) (*eks.DescribeAccessEntryOutput, error) {
	if a.clusterLeft && aws.ToString(in.PrincipalArn) == a.creator {
		return &eks.DescribeAccessEntryOutput{AccessEntry: &ekstypes.AccessEntry{PrincipalArn: in.PrincipalArn}}, nil
	}
	return nil, &ekstypes.ResourceNotFoundException{}
}

func (cleanAccount) DescribeRule(context.Context, *eventbridge.DescribeRuleInput, ...func(*eventbridge.Options)) (*eventbridge.DescribeRuleOutput, error) {
	return nil, &ebtypes.ResourceNotFoundException{}
}

// ListCostAllocationTags lists no tag: no bill has carried them yet, as before a first deploy.
func (cleanAccount) ListCostAllocationTags(context.Context, *costexplorer.ListCostAllocationTagsInput, ...func(*costexplorer.Options)) (*costexplorer.ListCostAllocationTagsOutput, error) {
	return &costexplorer.ListCostAllocationTagsOutput{}, nil
}

func clientsOf(a cleanAccount) newClients {
	return func(context.Context, string) (preflight.Clients, error) {
		return preflight.Clients{STS: a, IAM: a, SQS: a, KMS: a, EKS: a, EventBridge: a, CostExplorer: a}, nil
	}
}

func TestRun(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		tools   tools
		clients newClients
		code    int
		stdout  []string
		stderr  string
	}{
		{
			name:    "everything ready",
			tools:   goodTools,
			clients: clientsOf(cleanAccount{}),
			stdout: []string{
				"Preflight of stack dev: cluster cluster-with-karpenter in us-east-1.",
				"ok no EKS cluster cluster-with-karpenter none",
				"ok sample-app manifest https://github.com/aws-containers/retail-store-sample-app/releases/download/v1.3.0/kubernetes.yaml serves the local copy's 33 objects and images",
				"ok cost allocation tag karpenter.sh/nodepool not yet on a bill -> no bill has carried it yet",
				"preflight: 20 ok, 0 failed, 0 skipped",
			},
		},
		{
			name:    "a leftover fails",
			args:    []string{"--stack", "dev", "--dir", repoRoot},
			tools:   goodTools,
			clients: clientsOf(cleanAccount{clusterLeft: true}),
			code:    1,
			stdout: []string{"FAIL no EKS cluster cluster-with-karpenter exists: arn:aws:eks:us-east-1:111122223333:cluster/cluster-with-karpenter, ACTIVE -> delete it", "ok the identity running this keeps its access to cluster cluster-with-karpenter no access entry for arn:aws:iam::111122223333:user/ops; the stack gives it none",
				"preflight: 20 ok, 1 failed, 0 skipped"},
		},
		{
			name:  "without an AWS configuration the account checks are skipped, not failed",
			tools: goodTools,
			clients: func(context.Context, string) (preflight.Clients, error) {
				return preflight.Clients{}, errors.New("loading the AWS configuration: failed to get shared config profile, nope")
			},
			stdout: []string{
				"skipped AWS credentials (STS GetCallerIdentity) no credentials (loading the AWS configuration: failed to get shared config profile, nope)",
				"preflight: 5 ok, 0 failed, 15 skipped",
				"account checks skipped: no credentials",
			},
		},
		{
			name:    "a missing tool fails",
			tools:   tools{"pulumi version": "v3.200.0\n", "aws --version": "aws-cli/2.15.0 Python/3.11.6\n"},
			clients: clientsOf(cleanAccount{}),
			code:    1,
			stdout:  []string{"FAIL kubectl >= 1.24 kubectl not found on PATH -> install kubectl"},
		},
		{
			name:   "an unknown stack",
			args:   []string{"--stack", "nope", "--dir", repoRoot},
			code:   1,
			stderr: `error: stack "nope"`,
		},
		{
			name:   "an unknown flag",
			args:   []string{"--deployed"},
			code:   2,
			stderr: "flag provided but not defined: -deployed",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := tt.args
			if args == nil {
				args = []string{"--dir", repoRoot}
			}
			var stdout, stderr bytes.Buffer
			// The release URL serves the local copy, through a real HTTP server: this machine has no internet.
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				_, _ = w.Write(samplemanifest.Copies()[samplemanifest.ReleaseURL])
			}))
			defer srv.Close()
			fetch := func(ctx context.Context, _ string) ([]byte, error) { return preflight.HTTPFetch(ctx, srv.URL) }
			code := runWith(context.Background(), args, &stdout, &stderr, tt.tools, tt.clients, fetch)

			require.Equal(t, tt.code, code, "stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
			// The report's columns are aligned with spaces; compare with single spaces.
			out := strings.Join(strings.FieldsFunc(stdout.String(), func(r rune) bool { return r == ' ' }), " ")
			for _, s := range tt.stdout {
				require.Contains(t, out, s)
			}
			require.Contains(t, stderr.String(), tt.stderr)
		})
	}
}

// A deployed stack whose admin list gained the cluster's creator: the preflight names the key, the ARN and the fix.
func TestRunFailsOnAnAdminEKSMadeAnAdminAlready(t *testing.T) {
	dir := t.TempDir()
	project, err := os.ReadFile(filepath.Join(repoRoot, "Pulumi.yaml"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Pulumi.yaml"), project, 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Pulumi.prod.yaml"), []byte(`config:
  aws:region: us-east-1
  karpenter-savings:sampleAppEnabled: false
  karpenter-savings:clusterAdminPrincipalArns:
    - arn:aws:iam::111122223333:role/platform-admin
    - arn:aws:iam::111122223333:role/ci-deploy
`), 0o600))

	var stdout, stderr bytes.Buffer
	account := cleanAccount{clusterLeft: true, creator: "arn:aws:iam::111122223333:role/ci-deploy"}
	code := runWith(context.Background(), []string{"--stack", "prod", "--dir", dir}, &stdout, &stderr, goodTools, clientsOf(account), nil)

	require.Equal(t, 1, code, "stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	out := strings.Join(strings.FieldsFunc(stdout.String(), func(r rune) bool { return r == ' ' }), " ")
	require.Contains(t, out, "ok no access entry outside the stack for admin arn:aws:iam::111122223333:role/platform-admin none; the stack creates it")
	require.Contains(t, out, "FAIL no access entry outside the stack for admin arn:aws:iam::111122223333:role/ci-deploy "+
		"exists: principal arn:aws:iam::111122223333:role/ci-deploy, no tags -> remove it from karpenter-savings:clusterAdminPrincipalArns "+
		"(that identity is already a cluster admin, through the entry EKS made for the cluster's creator), or, if the stack should "+
		"own the entry, delete it (aws eks delete-access-entry --region us-east-1 --cluster-name cluster-with-karpenter "+
		"--principal-arn arn:aws:iam::111122223333:role/ci-deploy) before `pulumi up`")
}
