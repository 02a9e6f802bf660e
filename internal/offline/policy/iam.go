package policy

import (
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"regexp"
	"strings"

	"github.com/karpenter-savings/karpenter-savings/internal/offline/mocks"
)

// IAMWildcardActions reports Allow statements that grant every action ("*", "*:*"), every action of a service
// ("iam:*") or every action but a few (NotAction), and attachments of AWS managed policies that do the same
// (AdministratorAccess, PowerUserAccess, *FullAccess). It protects against a role that can do far more than its
// workload needs: a stolen Karpenter or node credential must not be an account takeover.
func IAMWildcardActions(rec *mocks.Recording) []Violation {
	var out []Violation
	for _, d := range policyDocuments(rec) {
		statements, err := parseStatements(d.value)
		if err != nil {
			out = append(out, violation(RuleIAMWildcardAction, d.resource, "%s cannot be checked: %v", d.where, err))
			continue
		}
		for i, s := range statements {
			if !s.allows() {
				continue
			}
			if s.NotAction != nil {
				out = append(out, violation(RuleIAMWildcardAction, d.resource, "%s: statement %s allows every action except %q (Allow with NotAction); list the allowed actions instead", d.where, s.label(i), []string(s.NotAction)))
			}
			for _, a := range s.Action {
				if broadAction(a) {
					out = append(out, violation(RuleIAMWildcardAction, d.resource, "%s: statement %s allows action %q; grant the actions the workload calls, by name", d.where, s.label(i), a))
				}
			}
		}
	}
	for _, a := range managedPolicyARNs(rec) {
		if broadManagedPolicy(a.arn) {
			out = append(out, violation(RuleIAMWildcardAction, a.resource, "attaches AWS managed policy %s, which allows every action of one or more services", a.arn))
		}
	}
	return out
}

// IAMPassRoleWildcards reports Allow statements that grant iam:PassRole on a wildcard resource (or through
// NotResource). It protects against privilege escalation: whoever may pass any role can launch an instance or a
// service with the account's most powerful role attached. Karpenter needs to pass exactly its node role.
func IAMPassRoleWildcards(rec *mocks.Recording) []Violation {
	var out []Violation
	for _, d := range policyDocuments(rec) {
		statements, err := parseStatements(d.value)
		if err != nil {
			out = append(out, violation(RuleIAMPassRoleWildcard, d.resource, "%s cannot be checked: %v", d.where, err))
			continue
		}
		for i, s := range statements {
			if !s.allows() || !s.grants("iam:PassRole") {
				continue
			}
			if s.NotResource != nil {
				out = append(out, violation(RuleIAMPassRoleWildcard, d.resource, "%s: statement %s allows iam:PassRole on every role except %q (NotResource); name the roles it may pass", d.where, s.label(i), []string(s.NotResource)))
			}
			for _, r := range s.Resource {
				if strings.ContainsAny(r, "*?") {
					out = append(out, violation(RuleIAMPassRoleWildcard, d.resource, "%s: statement %s allows iam:PassRole on %q; name the roles it may pass, without wildcards", d.where, s.label(i), r))
				}
			}
		}
	}
	return out
}

// document is one IAM policy document found in the recording, and where.
type document struct {
	resource mocks.Resource
	where    string
	value    any
}

// policyDocuments returns the identity-policy documents of managed policies, role policies and roles' inline policies.
func policyDocuments(rec *mocks.Recording) []document {
	var out []document
	for _, r := range rec.Resources {
		switch r.Type {
		case "aws:iam/policy:Policy", "aws:iam/rolePolicy:RolePolicy":
			out = append(out, document{resource: r, where: "policy", value: r.Inputs["policy"]})
		case "aws:iam/role:Role":
			inline, _ := r.Inputs["inlinePolicies"].([]any)
			for i, p := range inline {
				name := lookup(p, "name")
				value := lookup(p, "policy")
				out = append(out, document{resource: r, where: fmt.Sprintf("inline policy %d (%v)", i, name), value: value})
			}
		}
	}
	return out
}

// attachment is a managed policy ARN attached to a role.
type attachment struct {
	resource mocks.Resource
	arn      string
}

func managedPolicyARNs(rec *mocks.Recording) []attachment {
	var out []attachment
	for _, r := range rec.Resources {
		switch r.Type {
		case "aws:iam/rolePolicyAttachment:RolePolicyAttachment":
			if arn, ok := r.Inputs["policyArn"].(string); ok {
				out = append(out, attachment{resource: r, arn: arn})
			}
		case "aws:iam/role:Role":
			arns, _ := stringList(r.Inputs["managedPolicyArns"])
			for _, arn := range arns {
				out = append(out, attachment{resource: r, arn: arn})
			}
		}
	}
	return out
}

// broadManagedPolicy reports AWS managed policies (account "aws") whose names say they grant whole services.
func broadManagedPolicy(arn string) bool {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[2] != "iam" || parts[4] != "aws" || !strings.HasPrefix(parts[5], "policy/") {
		return false
	}
	name := path.Base(parts[5])
	return name == "AdministratorAccess" || name == "PowerUserAccess" || strings.HasSuffix(name, "FullAccess")
}

// broadAction reports "*", "*:*", "*:Get*" and "<service>:*": a wildcard in place of the service or of the
// whole action name. Narrow patterns such as "ec2:Describe*" pass; AWS's own read-only policies are written so.
func broadAction(action string) bool {
	service, name, found := strings.Cut(action, ":")
	if !found {
		return strings.Trim(action, "*") == ""
	}
	return strings.Trim(service, "*") == "" || strings.Trim(name, "*") == ""
}

// statement is the part of an IAM policy statement the rules read.
type statement struct {
	Sid         string
	Effect      string
	Action      oneOrMany
	NotAction   oneOrMany
	Resource    oneOrMany
	NotResource oneOrMany
}

// allows is true for every statement but an explicit Deny, so that a malformed Effect is checked, not skipped.
func (s statement) allows() bool { return s.Effect != "Deny" }

// grants reports whether the statement's actions include action, honouring IAM's * and ? wildcards and NotAction.
func (s statement) grants(action string) bool {
	if s.NotAction != nil {
		return !s.NotAction.matches(action)
	}
	return s.Action.matches(action)
}

func (s statement) label(i int) string {
	if s.Sid != "" {
		return fmt.Sprintf("%q", s.Sid)
	}
	return fmt.Sprintf("#%d", i)
}

// oneOrMany is an IAM field that holds either one string or a list of strings.
type oneOrMany []string

// UnmarshalJSON accepts "x" and ["x", "y"].
func (o *oneOrMany) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*o = oneOrMany{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("want a string or a list of strings, got %s", b)
	}
	*o = many
	return nil
}

// matches compares IAM action patterns with action, case-insensitively as IAM does.
func (o oneOrMany) matches(action string) bool {
	for _, pattern := range o {
		if wildcard(pattern).MatchString(action) {
			return true
		}
	}
	return false
}

func wildcard(pattern string) *regexp.Regexp {
	quoted := regexp.QuoteMeta(pattern)
	quoted = strings.ReplaceAll(quoted, `\*`, ".*")
	quoted = strings.ReplaceAll(quoted, `\?`, ".")
	return regexp.MustCompile("(?i)^" + quoted + "$")
}

// parseStatements reads a policy document recorded as a JSON string (or, from hand-made recordings, an object).
func parseStatements(v any) ([]statement, error) {
	var raw []byte
	switch doc := v.(type) {
	case string:
		raw = []byte(doc)
	case map[string]any:
		b, err := json.Marshal(doc)
		if err != nil {
			return nil, fmt.Errorf("encoding the document: %w", err)
		}
		raw = b
	default:
		return nil, fmt.Errorf("want a JSON policy document, got %T", v)
	}
	var doc struct {
		Statement json.RawMessage
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("not a JSON policy document: %w", err)
	}
	if len(doc.Statement) == 0 {
		return nil, errors.New("the document has no Statement")
	}
	var statements []statement
	if doc.Statement[0] == '{' {
		var one statement
		if err := json.Unmarshal(doc.Statement, &one); err != nil {
			return nil, fmt.Errorf("reading Statement: %w", err)
		}
		return []statement{one}, nil
	}
	if err := json.Unmarshal(doc.Statement, &statements); err != nil {
		return nil, fmt.Errorf("reading Statement: %w", err)
	}
	return statements, nil
}
