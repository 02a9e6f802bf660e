package karpenteriam

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/karpenter-savings/karpenter-savings/internal/program/iampolicy"
)

// RegionalReadPolicyID is the ID, in ControllerPolicies, of the policy whose AllowRegionalReadActions statement
// limits Karpenter's EC2 reads to the stack's region.
const RegionalReadPolicyID = "resource-discovery"

// regionalReadSid is the statement of that policy that names the region.
const regionalReadSid = "AllowRegionalReadActions"

// RegionalReadPolicyName is that policy's fixed name: IAM is global, so a stack deployed in one region holds it for
// every region of the account.
func RegionalReadPolicyName(s Scope) string {
	for _, p := range ControllerPolicies(s) {
		if p.ID == RegionalReadPolicyID {
			return p.Name
		}
	}
	panic("karpenteriam: ControllerPolicies lost the " + RegionalReadPolicyID + " policy")
}

// PolicyARN is the ARN of a customer-managed policy of the scope's account at path "/", as the stack creates them.
func (s Scope) PolicyARN(name string) string {
	return fmt.Sprintf("arn:%s:iam::%s:policy/%s", s.Partition, s.AccountID, name)
}

// RegionsOf returns the regions a regional-read policy document, as IAM returns it, scopes Karpenter to: the
// aws:RequestedRegion values of its AllowRegionalReadActions statement, sorted.
func RegionsOf(document string) ([]string, error) {
	var doc iampolicy.Document
	if err := json.Unmarshal([]byte(document), &doc); err != nil {
		return nil, fmt.Errorf("reading the policy document: %w", err)
	}
	for _, st := range doc.Statement {
		if st.Sid != regionalReadSid {
			continue
		}
		regions := slices.Clone(st.Condition["StringEquals"]["aws:RequestedRegion"])
		if len(regions) == 0 {
			return nil, fmt.Errorf("statement %s names no aws:RequestedRegion", regionalReadSid)
		}
		slices.Sort(regions)
		return regions, nil
	}
	return nil, fmt.Errorf("the policy document has no %s statement", regionalReadSid)
}
