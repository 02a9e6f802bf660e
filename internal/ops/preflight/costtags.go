package preflight

import (
	"context"
	"fmt"

	"github.com/karpenter-savings/karpenter-savings/internal/ops/costtags"
	"github.com/karpenter-savings/karpenter-savings/internal/program/config"
)

// costTagCheck names the check of one cost allocation tag key.
func costTagCheck(key string) string { return "cost allocation tag " + key }

// costTagsPermission is what a failed listing needs: the call, from the account that can make it.
const costTagsPermission = "the check needs ce:ListCostAllocationTags, with the payer (management) account's credentials: " +
	"a member account of an AWS Organization cannot read or activate cost allocation tags"

// CostAllocationTags reports the state of the cost allocation tags `savings billed` groups the bill by. A key that is
// inactive, or that no bill has carried yet, is ok: no key can be active before the first bill that carries it, so a
// first deploy always finds them so; the result says what to do once the bill has come. It fails only what would
// make `pulumi up` fail: with activate (activateCostAllocationTags) set, a key no bill has carried, which Cost
// Explorer refuses to activate, or an error listing the tags, which the activation would meet too. Without activate,
// such an error skips the check, as only `savings billed` needs it.
func CostAllocationTags(ctx context.Context, api costtags.API, activate bool) []Result {
	statuses, err := costtags.Check(ctx, api)
	if err != nil {
		results := make([]Result, 0, len(costtags.Keys))
		for _, key := range costtags.Keys {
			res := Result{Check: costTagCheck(key), Status: StatusSkipped, Found: fmt.Sprintf("could not check: %v", err), Fix: costTagsPermission}
			if activate {
				res.Status = StatusFail
				res.Fix += fmt.Sprintf("; %s activates the tags from the stack's credentials", config.KeyActivateCostAllocationTags)
			}
			results = append(results, res)
		}
		return results
	}
	results := make([]Result, 0, len(statuses))
	for _, s := range statuses {
		res := Result{Check: costTagCheck(s.Key), Status: StatusOK, Found: string(s.State), Fix: s.Fix}
		switch {
		case s.State == costtags.Active:
			res.Found += "; Cost Explorer groups the bill by it"
		case s.State == costtags.Inactive && activate:
			res.Found += fmt.Sprintf("; `pulumi up` activates it (%s is true)", config.KeyActivateCostAllocationTags)
			res.Fix = ""
		case s.State == costtags.Unseen && activate:
			res.Status = StatusFail
			res.Fix = fmt.Sprintf("set %s to false for now: Cost Explorer cannot activate a key before a bill has carried it, "+
				"so `pulumi up` would fail on it; %s", config.KeyActivateCostAllocationTags, s.Fix)
		}
		results = append(results, res)
	}
	return results
}
