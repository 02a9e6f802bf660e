package policy

import (
	"slices"
	"strings"

	"github.com/karpenter-savings/karpenter-savings/internal/offline/mocks"
	"github.com/karpenter-savings/karpenter-savings/internal/program/awstags"
)

// taggable classifies every AWS type token the program declares (internal/program/awstags).
var taggable = awstags.Taggable

// accountOwned are taggable types whose resources belong to the account rather than the stack: the EC2 Spot
// service-linked role is imported when it exists and retained on destroy, so the stack's tags would claim it.
var accountOwned = map[string]bool{
	"aws:iam/serviceLinkedRole:ServiceLinkedRole": true,
}

// StackTags reports taggable AWS resources (and EC2NodeClasses, whose tags go on every instance, volume and network
// interface Karpenter launches) that lack one of the stack's tags or carry another value, and AWS types that are not
// classified as taggable or not. It protects cost allocation and ownership: the savings this project measures are read from cost reports
// grouped by these tags, and an untagged resource is a cost nobody can attribute or clean up.
func StackTags(rec *mocks.Recording, tags map[string]string) []Violation {
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	slices.Sort(keys)

	var out []Violation
	for _, r := range rec.Resources {
		var field string
		var got any
		switch {
		case isNodeClass(r.Type):
			field = "spec.tags"
			got = lookup(r.Inputs, "spec", "tags")
		case isAWSType(r.Type):
			isTaggable, known := taggable[r.Type]
			if !known && !r.Custom {
				// A component has no AWS tags of its own; its resources are checked.
				continue
			}
			if !known {
				out = append(out, violation(RuleStackTags, r, "type %s is not classified: classify it in internal/offline/policy/tags.go (taggable when its pulumi-aws Args has Tags)", r.Type))
				continue
			}
			if !isTaggable || accountOwned[r.Type] {
				continue
			}
			field = "tags"
			got = r.Inputs["tags"]
		default:
			continue
		}
		have, _ := got.(map[string]any)
		for _, k := range keys {
			switch v, ok := have[k]; {
			case !ok:
				out = append(out, violation(RuleStackTags, r, "%s lacks the stack tag %q (want %q)", field, k, tags[k]))
			case v != tags[k]:
				out = append(out, violation(RuleStackTags, r, "%s has %q = %s; the stack tag is %q", field, k, describe(v), tags[k]))
			}
		}
	}
	return out
}

// isAWSType matches the AWS provider's resources and pulumi-eks's components, which both create AWS resources.
func isAWSType(token string) bool {
	return strings.HasPrefix(token, "aws:") || strings.HasPrefix(token, "eks:")
}
