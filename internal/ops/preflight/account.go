package preflight

import (
	"context"
	"errors"
	"fmt"

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

	"github.com/karpenter-savings/karpenter-savings/components/cluster"
	"github.com/karpenter-savings/karpenter-savings/internal/ops/costtags"
	"github.com/karpenter-savings/karpenter-savings/internal/program/config"
	"github.com/karpenter-savings/karpenter-savings/internal/program/karpenteriam"
)

// STSAPI is the STS call of the credentials check.
type STSAPI interface {
	GetCallerIdentity(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
}

// IAMAPI is the IAM call of the role checks.
type IAMAPI interface {
	GetRole(context.Context, *iam.GetRoleInput, ...func(*iam.Options)) (*iam.GetRoleOutput, error)
}

// SQSAPI is the SQS call of the queue check.
type SQSAPI interface {
	GetQueueUrl(context.Context, *sqs.GetQueueUrlInput, ...func(*sqs.Options)) (*sqs.GetQueueUrlOutput, error)
}

// KMSAPI is the KMS call of the alias check.
type KMSAPI interface {
	DescribeKey(context.Context, *kms.DescribeKeyInput, ...func(*kms.Options)) (*kms.DescribeKeyOutput, error)
}

// EKSAPI is the EKS calls of the cluster check and the access-entry checks.
type EKSAPI interface {
	DescribeCluster(context.Context, *eks.DescribeClusterInput, ...func(*eks.Options)) (*eks.DescribeClusterOutput, error)
	ListAccessEntries(context.Context, *eks.ListAccessEntriesInput, ...func(*eks.Options)) (*eks.ListAccessEntriesOutput, error)
	DescribeAccessEntry(context.Context, *eks.DescribeAccessEntryInput, ...func(*eks.Options)) (*eks.DescribeAccessEntryOutput, error)
}

// EventBridgeAPI is the EventBridge call of the rule checks.
type EventBridgeAPI interface {
	DescribeRule(context.Context, *eventbridge.DescribeRuleInput, ...func(*eventbridge.Options)) (*eventbridge.DescribeRuleOutput, error)
}

// Clients are the AWS APIs of the account checks, configured for the stack's region.
type Clients struct {
	STS         STSAPI
	IAM         IAMAPI
	SQS         SQSAPI
	KMS         KMSAPI
	EKS         EKSAPI
	EventBridge EventBridgeAPI
	// CostExplorer lists the cost allocation tags, which are the payer account's, not the region's.
	CostExplorer costtags.API
	// Fetch reads a URL over HTTPS (the sample-app manifest check; cmd/preflight sets HTTPFetch); nil skips that
	// check.
	Fetch Fetch
}

// NewClients builds the clients from an AWS configuration.
func NewClients(cfg aws.Config) Clients {
	return Clients{
		STS:          sts.NewFromConfig(cfg),
		IAM:          iam.NewFromConfig(cfg),
		SQS:          sqs.NewFromConfig(cfg),
		KMS:          kms.NewFromConfig(cfg),
		EKS:          eks.NewFromConfig(cfg),
		EventBridge:  eventbridge.NewFromConfig(cfg),
		CostExplorer: costexplorer.NewFromConfig(cfg),
	}
}

// Names are the fixed names the stack gives resources; one already taken in the account or region makes the first
// `pulumi up` fail halfway.
type Names struct {
	// Cluster is the EKS cluster's name (components/cluster passes cfg.ClusterName as eks.ClusterArgs.Name).
	Cluster string
	// NodeRole is the IAM role of Karpenter's nodes.
	NodeRole string
	// ControllerRole is the IAM role of the Karpenter controller.
	ControllerRole string
	// Queue is the SQS interruption queue.
	Queue string
	// KMSAlias is the alias of the key that encrypts the cluster's secrets.
	KMSAlias string
	// EventBridgeRules are the interruption rules' names on the default event bus (karpenteriam.Scope.RuleName).
	EventBridgeRules []string
}

// FixedNames returns the names the stack derives from its configuration.
func FixedNames(cfg *config.Config) Names {
	scope := karpenteriam.Scope{ClusterName: cfg.ClusterName}
	names := Names{
		Cluster:        cfg.ClusterName,
		NodeRole:       scope.NodeRoleName(),
		ControllerRole: scope.ControllerRoleName(),
		Queue:          scope.QueueName(),
		KMSAlias:       cluster.SecretsKeyAlias(cfg.ClusterName),
	}
	for _, r := range karpenteriam.InterruptionRules() {
		names.EventBridgeRules = append(names.EventBridgeRules, scope.RuleName(r))
	}
	return names
}

// Account checks the credentials (STS GetCallerIdentity), then the Spot service-linked role and that no resource
// already holds one of names; caller is the ARN of the identity the credentials are. Without working credentials
// every account check is skipped, and skipped says why.
func Account(ctx context.Context, c Clients, region string, names Names) (results []Result, caller, skipped string) {
	results = []Result{{Check: "AWS region", Status: StatusOK, Found: region + " (the stack's aws:region; the account checks run there)"}}
	lookups := collisionLookups(c, region, names)

	creds := Result{Check: "AWS credentials (STS GetCallerIdentity)"}
	id, err := c.STS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		skipped = fmt.Sprintf("no credentials (%v)", err)
		creds.Status, creds.Found = StatusSkipped, skipped
		results = append(results, creds, Result{Check: spotCheck, Status: StatusSkipped, Found: "no credentials"})
		for _, l := range lookups {
			results = append(results, Result{Check: l.check, Status: StatusSkipped, Found: "no credentials"})
		}
		return results, "", skipped
	}
	results = append(results, passed(creds, fmt.Sprintf("account %s as %s", aws.ToString(id.Account), aws.ToString(id.Arn))))
	results = append(results, checkSpotRole(ctx, c.IAM))
	for _, l := range lookups {
		results = append(results, l.run(ctx))
	}
	return results, aws.ToString(id.Arn), ""
}

const spotCheck = "EC2 Spot service-linked role " + karpenteriam.SpotServiceLinkedRoleName

// checkSpotRole reports the EC2 Spot service-linked role; either way is fine, as components/karpenter adopts the
// role when the account has it and creates it when not.
func checkSpotRole(ctx context.Context, api IAMAPI) Result {
	res := Result{Check: spotCheck}
	out, err := api.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(karpenteriam.SpotServiceLinkedRoleName)})
	switch {
	case notFound[*iamtypes.NoSuchEntityException](err):
		return passed(res, "absent; the stack creates it on the first `pulumi up`")
	case err != nil:
		return failed(res, fmt.Sprintf("could not check: %v", err), "fix the error; the check needs iam:GetRole")
	}
	return passed(res, fmt.Sprintf("present (%s); the stack adopts it", aws.ToString(out.Role.Arn)))
}

// lookup finds one fixed name in the account.
type lookup struct {
	check string
	// find returns what holds the name; exists is false when nothing does.
	find func(ctx context.Context) (found string, exists bool, err error)
	// permission is the IAM action find needs.
	permission string
	// remove is how to delete what find found.
	remove string
}

func (l lookup) run(ctx context.Context) Result {
	res := Result{Check: l.check}
	found, exists, err := l.find(ctx)
	switch {
	case err != nil:
		return failed(res, fmt.Sprintf("could not check: %v", err), "fix the error; the check needs "+l.permission)
	case exists:
		return failed(res, "exists: "+found, "delete it ("+l.remove+") or import it into the stack; it was likely left by "+
			"an earlier stack or an interrupted `pulumi destroy` (finish that destroy; `go run ./cmd/cleanup` removes "+
			"what Karpenter and Kubernetes left)")
	}
	return passed(res, "none")
}

// collisionLookups returns one lookup per fixed name.
func collisionLookups(c Clients, region string, names Names) []lookup {
	lookups := []lookup{
		roleLookup(c.IAM, names.NodeRole),
		roleLookup(c.IAM, names.ControllerRole),
		{
			check:      "no SQS queue " + names.Queue,
			permission: "sqs:GetQueueUrl",
			remove:     fmt.Sprintf("aws sqs delete-queue --region %s --queue-url <url>", region),
			find: func(ctx context.Context) (string, bool, error) {
				out, err := c.SQS.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(names.Queue)})
				if notFound[*sqstypes.QueueDoesNotExist](err) {
					return "", false, nil
				}
				if err != nil {
					return "", false, err
				}
				return aws.ToString(out.QueueUrl), true, nil
			},
		},
		{
			check:      "no KMS alias " + names.KMSAlias,
			permission: "kms:DescribeKey",
			remove:     fmt.Sprintf("aws kms delete-alias --region %s --alias-name %s", region, names.KMSAlias),
			find: func(ctx context.Context) (string, bool, error) {
				out, err := c.KMS.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(names.KMSAlias)})
				if notFound[*kmstypes.NotFoundException](err) {
					return "", false, nil
				}
				if err != nil {
					return "", false, err
				}
				return fmt.Sprintf("key %s, %s", aws.ToString(out.KeyMetadata.KeyId), out.KeyMetadata.KeyState), true, nil
			},
		},
		{
			check:      "no EKS cluster " + names.Cluster,
			permission: "eks:DescribeCluster",
			remove:     fmt.Sprintf("aws eks delete-cluster --region %s --name %s, after its node groups", region, names.Cluster),
			find: func(ctx context.Context) (string, bool, error) {
				out, err := c.EKS.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String(names.Cluster)})
				if notFound[*ekstypes.ResourceNotFoundException](err) {
					return "", false, nil
				}
				if err != nil {
					return "", false, err
				}
				return fmt.Sprintf("%s, %s", aws.ToString(out.Cluster.Arn), out.Cluster.Status), true, nil
			},
		},
	}
	for _, rule := range names.EventBridgeRules {
		lookups = append(lookups, lookup{
			check:      "no EventBridge rule " + rule,
			permission: "events:DescribeRule",
			remove:     fmt.Sprintf("aws events remove-targets, then aws events delete-rule --region %s --name %s", region, rule),
			find: func(ctx context.Context) (string, bool, error) {
				out, err := c.EventBridge.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String(rule)})
				if notFound[*ebtypes.ResourceNotFoundException](err) {
					return "", false, nil
				}
				if err != nil {
					return "", false, err
				}
				return aws.ToString(out.Arn), true, nil
			},
		})
	}
	return lookups
}

func roleLookup(api IAMAPI, name string) lookup {
	return lookup{
		check:      "no IAM role " + name,
		permission: "iam:GetRole",
		remove:     "detach its policies, then aws iam delete-role --role-name " + name,
		find: func(ctx context.Context) (string, bool, error) {
			out, err := api.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
			if notFound[*iamtypes.NoSuchEntityException](err) {
				return "", false, nil
			}
			if err != nil {
				return "", false, err
			}
			return aws.ToString(out.Role.Arn), true, nil
		},
	}
}

// notFound reports whether err is, or wraps, the API's not-found error T: nothing holds the name.
func notFound[T error](err error) bool {
	var target T
	return errors.As(err, &target)
}
