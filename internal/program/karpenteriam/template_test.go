package karpenteriam_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/karpenter-savings/karpenter-savings/internal/program/iampolicy"
	"github.com/karpenter-savings/karpenter-savings/internal/program/karpenteriam"
)

// templatePath is Karpenter's getting-started CloudFormation for the pinned minor (v1.14), kept verbatim; its header
// says why one copy serves every 1.14.x patch.
const templatePath = "testdata/cloudformation.yaml"

// cfnResource is one resource of a CloudFormation template, after intrinsic functions are resolved.
type cfnResource struct {
	Type       string
	Properties map[string]any
}

// cfnContext is what CloudFormation would substitute for one stack: pseudo parameters, the ClusterName
// parameter, and the attributes (!GetAtt, ${X.Arn}) and references (!Ref) of the template's resources.
type cfnContext struct {
	vars map[string]string
	refs map[string]string
}

// templateCase is a scope and the values CloudFormation would resolve for it, written out by hand so
// the test does not derive its expectations from the helpers it checks.
type templateCase struct {
	name  string
	scope karpenteriam.Scope
	cfn   cfnContext
}

func templateCases() []templateCase {
	return []templateCase{
		{
			name:  "aws partition",
			scope: karpenteriam.Scope{Partition: "aws", Region: "us-east-1", AccountID: "123456789012", ClusterName: "cluster-with-karpenter"},
			cfn: cfnContext{
				vars: map[string]string{
					"AWS::Partition":                 "aws",
					"AWS::Region":                    "us-east-1",
					"AWS::AccountId":                 "123456789012",
					"AWS::URLSuffix":                 "amazonaws.com",
					"ClusterName":                    "cluster-with-karpenter",
					"KarpenterNodeRole.Arn":          "arn:aws:iam::123456789012:role/KarpenterNodeRole-cluster-with-karpenter",
					"KarpenterInterruptionQueue.Arn": "arn:aws:sqs:us-east-1:123456789012:cluster-with-karpenter",
				},
				refs: map[string]string{
					"KarpenterInterruptionQueue": "https://sqs.us-east-1.amazonaws.com/123456789012/cluster-with-karpenter",
				},
			},
		},
		{
			name:  "aws-cn partition",
			scope: karpenteriam.Scope{Partition: "aws-cn", Region: "cn-north-1", AccountID: "210987654321", ClusterName: "other"},
			cfn: cfnContext{
				vars: map[string]string{
					"AWS::Partition":                 "aws-cn",
					"AWS::Region":                    "cn-north-1",
					"AWS::AccountId":                 "210987654321",
					"AWS::URLSuffix":                 "amazonaws.com.cn",
					"ClusterName":                    "other",
					"KarpenterNodeRole.Arn":          "arn:aws-cn:iam::210987654321:role/KarpenterNodeRole-other",
					"KarpenterInterruptionQueue.Arn": "arn:aws-cn:sqs:cn-north-1:210987654321:other",
				},
				refs: map[string]string{
					"KarpenterInterruptionQueue": "https://sqs.cn-north-1.amazonaws.com.cn/210987654321/other",
				},
			},
		},
	}
}

// loadTemplate reads the template and resolves !Sub, !GetAtt and !Ref for one stack.
func loadTemplate(t *testing.T, cfn cfnContext) map[string]cfnResource {
	t.Helper()
	raw, err := os.ReadFile(templatePath)
	require.NoError(t, err, "read %s", templatePath)
	var root yaml.Node
	require.NoError(t, yaml.Unmarshal(raw, &root), "parse %s", templatePath)
	plain, err := cfn.resolve(&root)
	require.NoError(t, err, "resolve intrinsic functions in %s", templatePath)

	// Round-trip through JSON to land the resolved tree in typed resources.
	b, err := json.Marshal(plain)
	require.NoError(t, err, "marshal resolved template")
	var tmpl struct{ Resources map[string]cfnResource }
	require.NoError(t, json.Unmarshal(b, &tmpl), "decode resolved template")
	require.NotEmpty(t, tmpl.Resources, "template has no resources")
	return tmpl.Resources
}

var subVariable = regexp.MustCompile(`\$\{([^}]+)\}`)

// resolve turns a YAML node into plain Go values, applying the CloudFormation short-form tags.
func (c cfnContext) resolve(n *yaml.Node) (any, error) {
	switch n.Kind {
	case yaml.DocumentNode:
		return c.resolve(n.Content[0])
	case yaml.MappingNode:
		out := make(map[string]any, len(n.Content)/2)
		for i := 0; i < len(n.Content); i += 2 {
			v, err := c.resolve(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			out[n.Content[i].Value] = v
		}
		return out, nil
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for _, item := range n.Content {
			v, err := c.resolve(item)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.ScalarNode:
		return c.resolveScalar(n)
	default:
		return nil, fmt.Errorf("line %d: unsupported YAML node kind %v", n.Line, n.Kind)
	}
}

func (c cfnContext) resolveScalar(n *yaml.Node) (any, error) {
	switch n.Tag {
	case "!Sub":
		var missing []string
		out := subVariable.ReplaceAllStringFunc(n.Value, func(m string) string {
			name := subVariable.FindStringSubmatch(m)[1]
			v, ok := c.vars[name]
			if !ok {
				missing = append(missing, name)
			}
			return v
		})
		if len(missing) > 0 {
			return nil, fmt.Errorf("line %d: !Sub variables with no value: %v", n.Line, missing)
		}
		return out, nil
	case "!GetAtt":
		return c.lookup(c.vars, "!GetAtt", n)
	case "!Ref":
		return c.lookup(c.refs, "!Ref", n)
	default:
		var v any
		if err := n.Decode(&v); err != nil {
			return nil, fmt.Errorf("line %d: decode scalar: %w", n.Line, err)
		}
		return v, nil
	}
}

func (cfnContext) lookup(values map[string]string, tag string, n *yaml.Node) (string, error) {
	v, ok := values[n.Value]
	if !ok {
		return "", fmt.Errorf("line %d: %s %s has no value", n.Line, tag, n.Value)
	}
	return v, nil
}

// decodeDocument decodes an IAM document strictly, so a field the Go types lack fails the test.
func decodeDocument(t *testing.T, raw []byte) iampolicy.Document {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var d iampolicy.Document
	require.NoError(t, dec.Decode(&d), "decode IAM document %s", raw)
	return d
}

// documentProperty decodes a template property holding a policy document, either the JSON string of a
// !Sub block or an inline YAML mapping.
func documentProperty(t *testing.T, r cfnResource, key string) iampolicy.Document {
	t.Helper()
	switch v := r.Properties[key].(type) {
	case string:
		return decodeDocument(t, []byte(v))
	case map[string]any:
		b, err := json.Marshal(v)
		require.NoError(t, err, "marshal %s", key)
		return decodeDocument(t, b)
	default:
		require.Failf(t, "unexpected policy document", "%s: want a JSON string or a mapping, got %T", key, v)
		return iampolicy.Document{}
	}
}

func resourcesOfType(resources map[string]cfnResource, typ string) map[string]cfnResource {
	out := map[string]cfnResource{}
	for id, r := range resources {
		if r.Type == typ {
			out[id] = r
		}
	}
	return out
}

func TestControllerPoliciesMatchTemplate(t *testing.T) {
	for _, tc := range templateCases() {
		t.Run(tc.name, func(t *testing.T) {
			want := map[string]iampolicy.Document{}
			for id, r := range resourcesOfType(loadTemplate(t, tc.cfn), "AWS::IAM::ManagedPolicy") {
				name, ok := r.Properties["ManagedPolicyName"].(string)
				require.True(t, ok, "%s: ManagedPolicyName is not a string", id)
				want[name] = documentProperty(t, r, "PolicyDocument")
			}
			got := map[string]iampolicy.Document{}
			for _, p := range karpenteriam.ControllerPolicies(tc.scope) {
				got[p.Name] = p.Document
			}
			require.Equal(t, want, got, "controller policies: expected the template's (first), got ours (second)")
		})
	}
}

func TestQueuePolicyMatchesTemplate(t *testing.T) {
	for _, tc := range templateCases() {
		t.Run(tc.name, func(t *testing.T) {
			r := loadTemplate(t, tc.cfn)["KarpenterInterruptionQueuePolicy"]
			want := documentProperty(t, r, "PolicyDocument")
			got := karpenteriam.QueuePolicy(tc.scope)
			require.Empty(t, want.Version, "the template's queue policy now declares a Version; drop the override below")
			require.Equal(t, iampolicy.PolicyVersion, got.Version, "queue policy Version")
			got.Version = ""
			require.Equal(t, want, got, "queue policy: expected the template's (first), got ours (second)")
			require.Equal(t, []any{tc.cfn.refs["KarpenterInterruptionQueue"]}, r.Properties["Queues"],
				"the template's queue policy should apply to the interruption queue")
		})
	}
}

func TestQueueMatchesTemplate(t *testing.T) {
	tc := templateCases()[0]
	queue := loadTemplate(t, tc.cfn)["KarpenterInterruptionQueue"].Properties
	tests := []struct {
		property string
		want     any
		got      any
	}{
		{"QueueName", queue["QueueName"], tc.scope.QueueName()},
		{"MessageRetentionPeriod", queue["MessageRetentionPeriod"], float64(karpenteriam.QueueRetentionSeconds)},
		{"SqsManagedSseEnabled", queue["SqsManagedSseEnabled"], true},
	}
	for _, tt := range tests {
		t.Run(tt.property, func(t *testing.T) {
			require.Equal(t, tt.want, tt.got, "queue %s: expected the template's (first), got ours (second)", tt.property)
		})
	}
}

func TestInterruptionRulesMatchTemplate(t *testing.T) {
	// The template's rules have no names of their own; these are its logical ids for our short names.
	logicalIDs := map[string]string{
		"scheduled-change":      "ScheduledChangeRule",
		"spot-interruption":     "SpotInterruptionRule",
		"rebalance":             "RebalanceRule",
		"instance-state-change": "InstanceStateChangeRule",
		"capacity-reservation":  "CapacityReservationInterruptionRule",
	}
	tc := templateCases()[0]
	templateRules := resourcesOfType(loadTemplate(t, tc.cfn), "AWS::Events::Rule")
	rules := karpenteriam.InterruptionRules()
	require.Len(t, rules, len(templateRules), "number of interruption rules: expected the template's count")

	for _, rule := range rules {
		t.Run(rule.Name, func(t *testing.T) {
			id, ok := logicalIDs[rule.Name]
			require.True(t, ok, "rule %q has no template counterpart", rule.Name)
			tr, ok := templateRules[id]
			require.True(t, ok, "template has no rule %s", id)

			b, err := json.Marshal(rule.EventPattern)
			require.NoError(t, err, "marshal event pattern")
			var got map[string]any
			require.NoError(t, json.Unmarshal(b, &got), "decode event pattern")
			require.Equal(t, tr.Properties["EventPattern"], got, "event pattern: expected the template's (first), got ours (second)")

			wantTarget := []any{map[string]any{
				"Id":  karpenteriam.QueueTargetID,
				"Arn": tc.cfn.vars["KarpenterInterruptionQueue.Arn"],
			}}
			require.Equal(t, wantTarget, tr.Properties["Targets"], "template target of %s", id)
		})
	}
}

func TestNodeRoleMatchesTemplate(t *testing.T) {
	for _, tc := range templateCases() {
		t.Run(tc.name, func(t *testing.T) {
			role := loadTemplate(t, tc.cfn)["KarpenterNodeRole"]

			require.Equal(t, role.Properties["RoleName"], tc.scope.NodeRoleName(), "node role name")

			var wantARNs []string
			for _, a := range role.Properties["ManagedPolicyArns"].([]any) {
				wantARNs = append(wantARNs, a.(string))
			}
			require.Equal(t, wantARNs, karpenteriam.NodeManagedPolicyARNs(tc.scope.Partition), "node managed policies")

			// The template's role also trusts pods.eks.amazonaws.com; nothing here associates a pod with the
			// node role, so our trust policy keeps only the EC2 statement.
			trust := documentProperty(t, role, "AssumeRolePolicyDocument")
			require.Len(t, trust.Statement, 2, "template node trust statements")
			require.Equal(t, iampolicy.Values{"pods.eks.amazonaws.com"}, trust.Statement[1].Principal.Service,
				"second template statement is the pod identity one we leave out")
			trust.Statement = trust.Statement[:1]
			require.Equal(t, trust, karpenteriam.NodeTrustPolicy(tc.scope), "node trust policy: expected the template's EC2 statement")
		})
	}
}
