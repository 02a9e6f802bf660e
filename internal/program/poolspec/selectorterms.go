package poolspec

import (
	"fmt"
	"maps"
	"slices"
)

// selectorTermErrors reports every empty selector term of nc: a subnet or security group term without tags, a tag
// with an empty key or value, an AMI term with neither alias nor id. Karpenter's CRD refuses most of these, but only
// when the stack is deployed, and it accepts a term whose tags are {}. karpenter-provider-aws up to v1.14.3 turns
// that into a Describe call with no filter at all (getFilterSets in pkg/providers/subnet and
// pkg/providers/securitygroup, DefaultProvider.DescribeImageQueries in pkg/providers/amifamily), which matches every
// subnet, security group or AMI the account can see; v1.14.4 skips such a term ("A term without filters would match
// every subnet", same functions), so a class whose only term it is resolves nothing and launches nothing.
// karpenterVersion allows every 1.14.x, so both outcomes are possible and both are refused here.
// internal/offline/policy's nodeclass-selector-terms rule checks the same on the rendered objects.
func (nc *EC2NodeClass) selectorTermErrors() []error {
	var errs []error
	bad := func(term, why string) {
		errs = append(errs, fmt.Errorf("nodepool: EC2NodeClass %q: spec.%s %s", nc.Name, term, why))
	}
	tagged := []struct {
		field string
		terms []SelectorTerm
	}{
		{"subnetSelectorTerms", nc.Spec.SubnetSelectorTerms},
		{"securityGroupSelectorTerms", nc.Spec.SecurityGroupSelectorTerms},
	}
	for _, list := range tagged {
		for i, term := range list.terms {
			name := fmt.Sprintf("%s[%d]", list.field, i)
			if len(term.Tags) == 0 {
				bad(name, "is empty: want tags, each with a non-empty key and value")
			}
			for _, k := range slices.Sorted(maps.Keys(term.Tags)) {
				switch {
				case k == "":
					bad(name, fmt.Sprintf("has a tag with an empty key (value %q)", term.Tags[k]))
				case term.Tags[k] == "":
					bad(name, fmt.Sprintf("has tag %q with an empty value", k))
				}
			}
		}
	}
	for i, term := range nc.Spec.AMISelectorTerms {
		if term.Alias == "" && term.ID == "" {
			bad(fmt.Sprintf("amiSelectorTerms[%d]", i), "is empty: want an alias or an id")
		}
	}
	return errs
}
