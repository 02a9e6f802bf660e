// Package policy checks what the stack declares, as recorded under mocks, against the project's security rules:
// least-privilege IAM, hardened Karpenter nodes, an audited and encrypted control plane, a restricted public API
// endpoint and complete tagging. `go run ./cmd/render --check` and the tests run it on every change, so a rule is
// broken in a pull request rather than in an AWS account.
package policy

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/karpenter-savings/karpenter-savings/internal/offline/mocks"
	"github.com/karpenter-savings/karpenter-savings/internal/program/config"
)

// Rule names, as violations report them.
const (
	RuleIAMWildcardAction      = "iam-wildcard-action"
	RuleIAMPassRoleWildcard    = "iam-passrole-wildcard" //nolint:gosec // G101: PassRole is an IAM action, not a password
	RuleNodeClassHardening     = "nodeclass-hardening"
	RuleNodeClassSelectorTerms = "nodeclass-selector-terms"
	RuleControlPlaneLogging    = "control-plane-logging"
	RuleSecretsEncryption      = "secrets-encryption"
	RulePublicEndpoint         = "public-endpoint"
	RuleStackTags              = "stack-tags"
	RuleNameLimits             = "name-limits"
	// Rules on the Kubernetes objects and pulumi-eks resources a deep render adds (cmd/render --deep); they also run
	// on whatever a plain render holds.
	RuleContainerRequests       = "container-requests"
	RulePinnedImages            = "pinned-images"
	RuleNotInDefault            = "not-in-default-namespace"
	RuleNodePoolsOutliveCluster = "nodepools-outlive-cluster"
	RuleNoInternetIngress       = "no-internet-ingress"
	// RuleKarpenterCRDs is the API server's validation of the NodePools and EC2NodeClasses.
	RuleKarpenterCRDs = "karpenter-crd-schema"
)

// Violation is one broken rule on one declared resource.
type Violation struct {
	// Rule is one of the Rule* names.
	Rule string
	// Resource is the resource's type token and logical name, as the render lists it.
	Resource string
	// Message says what is wrong and what is expected.
	Message string
}

// String is the violation on one line: rule, resource, message.
func (v Violation) String() string {
	return v.Rule + ": " + v.Resource + ": " + v.Message
}

// Options are the stack settings some rules compare the declared resources with.
type Options struct {
	// PublicAccessCidrs are the configured CIDRs of the public API endpoint; empty leaves the endpoint unchecked.
	PublicAccessCidrs []string
	// Tags must be on every taggable AWS resource, with these values.
	Tags map[string]string
}

// OptionsFor takes the rules' options from a validated stack configuration.
func OptionsFor(cfg *config.Config) Options {
	return Options{PublicAccessCidrs: cfg.EndpointPublicAccessCidrs, Tags: cfg.Tags}
}

// Check runs every rule on rec and returns the violations sorted by rule, resource and message.
func Check(rec *mocks.Recording, opts Options) []Violation {
	out := slices.Concat(
		IAMWildcardActions(rec),
		IAMPassRoleWildcards(rec),
		NodeClassHardening(rec),
		NodeClassSelectorTerms(rec),
		ControlPlaneLogging(rec),
		SecretsEncryption(rec),
		PublicEndpoint(rec, opts.PublicAccessCidrs),
		StackTags(rec, opts.Tags),
		ContainerRequests(rec),
		PinnedImages(rec),
		NotInDefault(rec),
		NodePoolsOutliveTheCluster(rec),
		NoIngressFromTheInternet(rec),
		KarpenterCRDs(rec),
		NameLimitsRule(rec),
	)
	slices.SortFunc(out, func(a, b Violation) int {
		return cmp.Or(cmp.Compare(a.Rule, b.Rule), cmp.Compare(a.Resource, b.Resource), cmp.Compare(a.Message, b.Message))
	})
	return out
}

func violation(rule string, r mocks.Resource, format string, args ...any) Violation {
	return Violation{Rule: rule, Resource: r.Type + " " + r.Name, Message: fmt.Sprintf(format, args...)}
}

// lookup walks nested objects of a recorded input, lookup(inputs, "spec", "metadataOptions"); nil when a step is missing.
func lookup(v any, path ...string) any {
	for _, key := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[key]
	}
	return v
}

// stringList returns a recorded list of strings; ok is false when v is not a list or holds anything but strings.
func stringList(v any) (out []string, ok bool) {
	list, ok := v.([]any)
	if !ok {
		return nil, false
	}
	for _, e := range list {
		s, ok := e.(string)
		if !ok {
			return nil, false
		}
		out = append(out, s)
	}
	return out, true
}

// number returns a recorded number: mocks and JSON both turn numbers into float64, hand-made recordings may hold ints.
func number(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	}
	return 0, false
}
