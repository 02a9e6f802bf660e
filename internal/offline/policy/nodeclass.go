package policy

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/karpenter-savings/karpenter-savings/internal/offline/mocks"
)

// NodeClassHardening reports EC2NodeClasses whose nodes would not require IMDSv2 with a hop limit of 1, or would
// have an unencrypted (or no declared) EBS volume. IMDSv2 with one hop keeps pods, which sit one network hop
// behind the node, from reading the node role's credentials; pods use Pod Identity instead. Encrypted volumes keep
// images, logs and emptyDir data unreadable from a detached volume or snapshot. The settings must be explicit, not
// left to defaults that another Karpenter version or AMI family could change.
func NodeClassHardening(rec *mocks.Recording) []Violation {
	var out []Violation
	for _, r := range rec.Resources {
		if !isNodeClass(r.Type) {
			continue
		}
		add := func(format string, args ...any) {
			out = append(out, violation(RuleNodeClassHardening, r, format, args...))
		}
		spec, ok := r.Inputs["spec"].(map[string]any)
		if !ok {
			add("has no spec to check")
			continue
		}
		if tokens := lookup(spec, "metadataOptions", "httpTokens"); tokens != "required" {
			add("spec.metadataOptions.httpTokens is %s; want \"required\" (IMDSv2 only)", describe(tokens))
		}
		if hops := lookup(spec, "metadataOptions", "httpPutResponseHopLimit"); !isOne(hops) {
			add("spec.metadataOptions.httpPutResponseHopLimit is %s; want 1, so that pods cannot reach the node's metadata", describe(hops))
		}
		mappings, _ := spec["blockDeviceMappings"].([]any)
		if len(mappings) == 0 {
			add("spec.blockDeviceMappings is empty; declare the root volume with ebs.encrypted: true")
		}
		for i, m := range mappings {
			if encrypted := lookup(m, "ebs", "encrypted"); encrypted != true {
				device := lookup(m, "deviceName")
				add("spec.blockDeviceMappings[%d] (device %s): ebs.encrypted is %s; want true", i, describe(device), describe(encrypted))
			}
		}
	}
	return out
}

// selectorLists are an EC2NodeClass's selector term lists and the fields of a term that select something, as
// Karpenter's CRD lists them in its "expected at least one, got none" rules; an AMI term's owner only narrows the
// others.
var selectorLists = []struct {
	list   string
	fields []string
}{
	{"subnetSelectorTerms", []string{"tags", "id"}},
	{"securityGroupSelectorTerms", []string{"tags", "id", "name"}},
	{"amiSelectorTerms", []string{"tags", "id", "name", "alias", "ssmParameter"}},
}

// NodeClassSelectorTerms reports EC2NodeClasses with an empty selector term: a subnet, security group or AMI term
// that sets none of its selecting fields, or a tag with an empty key or value, or a list with no term. Karpenter's
// CRD (the karpenter-crd-schema rule) refuses most of these, but accepts a term whose tags are {}, which
// karpenter-provider-aws up to v1.14.3 turns into a Describe call with no filter (every subnet, security group or
// AMI the account can see) and v1.14.4 skips (so a class with no other term resolves nothing); karpenterVersion
// allows either. poolspec.Build refuses the same terms before they are declared.
func NodeClassSelectorTerms(rec *mocks.Recording) []Violation {
	var out []Violation
	for _, r := range rec.Resources {
		if !isNodeClass(r.Type) {
			continue
		}
		class := "EC2NodeClass without metadata.name"
		if name, ok := lookup(r.Inputs, "metadata", "name").(string); ok {
			class = "EC2NodeClass " + strconv.Quote(name)
		}
		add := func(format string, args ...any) {
			out = append(out, violation(RuleNodeClassSelectorTerms, r, class+": "+format, args...))
		}
		spec, ok := r.Inputs["spec"].(map[string]any)
		if !ok {
			add("has no spec to check")
			continue
		}
		for _, sel := range selectorLists {
			terms, _ := spec[sel.list].([]any)
			if len(terms) == 0 {
				add("spec.%s has no term; want at least one", sel.list)
			}
			for i, term := range terms {
				name := fmt.Sprintf("spec.%s[%d]", sel.list, i)
				m, ok := term.(map[string]any)
				if !ok {
					add("%s is %s, not a selector term", name, describe(term))
					continue
				}
				if !slices.ContainsFunc(sel.fields, func(f string) bool { return isSet(m[f]) }) {
					add("%s is empty; want one of %s set", name, strings.Join(sel.fields, ", "))
				}
				tags, _ := m["tags"].(map[string]any)
				for _, k := range slices.Sorted(maps.Keys(tags)) {
					switch {
					case k == "":
						add("%s has a tag with an empty key (value %s)", name, describe(tags[k]))
					case tags[k] == nil || tags[k] == "":
						add("%s has tag %q with an empty value", name, k)
					}
				}
			}
		}
	}
	return out
}

// isSet reports whether a recorded selector field selects something: a non-empty string or a non-empty map.
func isSet(v any) bool {
	switch v := v.(type) {
	case nil:
		return false
	case string:
		return v != ""
	case map[string]any:
		return len(v) > 0
	default:
		return true
	}
}

// isNodeClass matches Karpenter's EC2NodeClass at any API version, e.g. kubernetes:karpenter.k8s.aws/v1:EC2NodeClass.
func isNodeClass(token string) bool {
	return strings.HasPrefix(token, "kubernetes:karpenter.k8s.aws/") && strings.HasSuffix(token, ":EC2NodeClass")
}

func isOne(v any) bool {
	n, ok := number(v)
	return ok && n == 1
}

// describe prints a recorded value for a message, "unset" when it is missing.
func describe(v any) string {
	if v == nil {
		return "unset"
	}
	if s, ok := v.(string); ok {
		return strconv.Quote(s)
	}
	return fmt.Sprint(v)
}
