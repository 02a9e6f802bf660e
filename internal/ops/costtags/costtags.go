// Package costtags checks the cost allocation tags that let Cost Explorer split the cluster's EC2 bill by Karpenter
// node pool and find the managed node group's share: Karpenter tags every instance it launches with two keys, EKS the
// node group's with a third, but Cost Explorer filters and groups by a tag only once it is active, and a tag can be
// activated only after it has appeared on a bill. cmd/preflight and `savings billed` run the check.
package costtags

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/costexplorer"
	cetypes "github.com/aws/aws-sdk-go-v2/service/costexplorer/types"
)

// The tag keys Karpenter puts on every instance it launches that the billed report groups and filters by:
// karpenter.sh/nodepool on launch, and eks:eks-cluster-name (karpenter-provider-aws v1.14.4,
// pkg/controllers/nodeclaim/tagging/controller.go, v1.EKSClusterNameTagKey).
const (
	NodePoolKey = "karpenter.sh/nodepool"
	ClusterKey  = "eks:eks-cluster-name"
)

// NodeGroupClusterKey is the tag EKS puts on the instances of a managed node group, valued with the cluster's name;
// the billed report filters the node group's hours by it. It is not Karpenter's ClusterKey, so a query filtered on
// that one leaves the node group out. EKS's node group service-linked role may create Auto Scaling groups and EC2 tags
// only with eks:cluster-name, eks:nodegroup-name or eks among the keys (EKS User Guide, AWS managed policy
// AWSServiceRoleForAmazonEKSNodegroup, statements AllowASGCreationByEKS and PermissionsToManageEKSAndKubernetesTags),
// and a managed node group's instances carry eks:cluster-name and eks:nodegroup-name
// (github.com/eksctl-io/eksctl/issues/2607). Karpenter sets eks:eks-cluster-name and never eks:cluster-name
// (karpenter-provider-aws v1.14.4, pkg/utils/utils.go's launch tags, pkg/controllers/nodeclaim/tagging), so the two
// filters share no hour.
const NodeGroupClusterKey = "eks:cluster-name"

// Keys are the three tag keys, in the order the report uses them.
var Keys = []string{NodePoolKey, ClusterKey, NodeGroupClusterKey}

// ActivationKey is the stack's configuration key that activates the tags (aws.costexplorer.CostAllocationTag).
const ActivationKey = "karpenter-savings:activateCostAllocationTags"

// API is the Cost Explorer call of the check.
type API interface {
	ListCostAllocationTags(context.Context, *costexplorer.ListCostAllocationTagsInput, ...func(*costexplorer.Options)) (*costexplorer.ListCostAllocationTagsOutput, error)
}

// State is a tag key's standing as a cost allocation tag.
type State string

// The states: Cost Explorer's two, and a key it does not list because no bill has carried it yet.
const (
	Active   State = "Active"
	Inactive State = "Inactive"
	Unseen   State = "not yet on a bill"
)

// Status is one key's state and, unless it is active, what to do.
type Status struct {
	Key   string
	State State
	// Fix says what to do; empty when the key is active.
	Fix string
}

// Check lists the keys' states (ce:ListCostAllocationTags, every page).
func Check(ctx context.Context, api API) ([]Status, error) {
	found := map[string]State{}
	in := &costexplorer.ListCostAllocationTagsInput{TagKeys: Keys, Type: cetypes.CostAllocationTagTypeUserDefined}
	for {
		out, err := api.ListCostAllocationTags(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("listing the cost allocation tags %v (ce:ListCostAllocationTags): %w", Keys, err)
		}
		for _, t := range out.CostAllocationTags {
			found[aws.ToString(t.TagKey)] = State(t.Status)
		}
		if aws.ToString(out.NextToken) == "" {
			break
		}
		in.NextToken = out.NextToken
	}
	statuses := make([]Status, 0, len(Keys))
	for _, key := range Keys {
		s := Status{Key: key, State: Unseen}
		if st, ok := found[key]; ok {
			s.State = st
		}
		s.Fix = fix(key, s.State)
		statuses = append(statuses, s)
	}
	return statuses, nil
}

// fix says what to do about a key in state s.
func fix(key string, s State) string {
	activate := fmt.Sprintf("activate it from the payer account: set %s to true and run `pulumi up`, or run "+
		"`aws ce update-cost-allocation-tags-status --cost-allocation-tags-status TagKey=%s,Status=Active`; Cost Explorer "+
		"groups by it from activation on, not for earlier usage", ActivationKey, key)
	switch s {
	case Active:
		return ""
	case Inactive:
		return activate
	default:
		first := "Karpenter node"
		if key == NodeGroupClusterKey {
			first = "managed node group's node"
		}
		return fmt.Sprintf("no bill has carried it yet: it appears about 24 hours after the first %s runs; then %s", first, activate)
	}
}
