package policy

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/karpenter-savings/karpenter-savings/internal/mockcloud"
)

// NodeClassHardening reports EC2NodeClasses whose nodes would not require IMDSv2 with a hop limit of 1, or would
// have an unencrypted (or no declared) EBS volume. IMDSv2 with one hop keeps pods, which sit one network hop
// behind the node, from reading the node role's credentials; pods use Pod Identity instead. Encrypted volumes keep
// images, logs and emptyDir data unreadable from a detached volume or snapshot. The settings must be explicit, not
// left to defaults that another Karpenter version or AMI family could change.
func NodeClassHardening(rec *mockcloud.Recording) []Violation {
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
