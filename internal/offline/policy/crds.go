package policy

import (
	"github.com/karpenter-savings/karpenter-savings/internal/offline/crdvalidate"
	"github.com/karpenter-savings/karpenter-savings/internal/offline/mocks"
)

// ec2NodeClassType is the type of the EC2NodeClasses the node pools component declares (nodePoolType: graph.go).
const ec2NodeClassType = "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"

// KarpenterCRDs runs every NodePool and EC2NodeClass the render declares through the validation the cluster's API
// server runs on them: the OpenAPI schema and CEL rules of Karpenter's CRDs at the pinned version (internal/offline/crdvalidate).
// The program does not link that engine; config.Load refuses the configurations whose objects it would reject, and
// this rule is what shows, on every render, that it did.
func KarpenterCRDs(rec *mocks.Recording) []Violation {
	var out []Violation
	var validator *crdvalidate.Validator
	for _, r := range rec.Resources {
		if r.Type != nodePoolType && r.Type != ec2NodeClassType {
			continue
		}
		if validator == nil {
			var err error
			if validator, err = crdvalidate.New(); err != nil {
				return []Violation{violation(RuleKarpenterCRDs, r, "cannot load Karpenter's CRDs: %v", err)}
			}
		}
		// A CustomResource's inputs are the object: apiVersion, kind, metadata and its other fields.
		if _, err := validator.Validate(r.Inputs); err != nil {
			out = append(out, violation(RuleKarpenterCRDs, r, "the API server would reject it: %v", err))
		}
	}
	return out
}
