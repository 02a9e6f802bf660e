package karpenteriam_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/karpenter-savings/karpenter-savings/internal/program/iampolicy"
	"github.com/karpenter-savings/karpenter-savings/internal/program/karpenteriam"
)

var scope = karpenteriam.Scope{Partition: "aws", Region: "us-east-1", AccountID: "123456789012", ClusterName: "cluster-with-karpenter"}

// allDocuments is every document the package builds for one scope, named for failure messages.
func allDocuments(s karpenteriam.Scope) map[string]iampolicy.Document {
	docs := map[string]iampolicy.Document{
		"controller trust": karpenteriam.ControllerTrustPolicy(),
		"node trust":       karpenteriam.NodeTrustPolicy(s),
		"queue":            karpenteriam.QueuePolicy(s),
	}
	for _, p := range karpenteriam.ControllerPolicies(s) {
		docs[p.Name] = p.Document
	}
	return docs
}

func TestNoStatementAllowsEveryAction(t *testing.T) {
	for name, doc := range allDocuments(scope) {
		t.Run(name, func(t *testing.T) {
			for _, st := range doc.Statement {
				require.NotContains(t, st.Action, "*", "statement %q: expected named actions, got \"*\"", st.Sid)
			}
		})
	}
}

func TestPassRoleNamesOnlyTheNodeRole(t *testing.T) {
	var passRole []iampolicy.Statement
	for _, p := range karpenteriam.ControllerPolicies(scope) {
		for _, st := range p.Document.Statement {
			for _, a := range st.Action {
				if strings.HasPrefix(a, "iam:Pass") || a == "iam:*" {
					passRole = append(passRole, st)
				}
			}
		}
	}
	require.Len(t, passRole, 1, "statements granting iam:PassRole")
	require.Equal(t, iampolicy.Values{"arn:aws:iam::123456789012:role/KarpenterNodeRole-cluster-with-karpenter"},
		passRole[0].Resource, "iam:PassRole resources: expected the node role ARN only")
}

func TestConditionsAreScopedToTheClusterAndRegion(t *testing.T) {
	const clusterARN = "arn:aws:eks:us-east-1:123456789012:cluster/cluster-with-karpenter"
	tests := []struct {
		name  string
		match func(key string) bool
		want  iampolicy.Values
	}{
		{
			name:  "cluster tag keys name the cluster",
			match: func(k string) bool { return strings.Contains(k, "kubernetes.io/cluster/") },
			want:  iampolicy.Values{"owned"},
		},
		{
			name:  "eks-cluster-name tags equal the cluster name",
			match: func(k string) bool { return strings.HasSuffix(k, "/eks:eks-cluster-name") },
			want:  iampolicy.Values{"cluster-with-karpenter"},
		},
		{
			name:  "region tags equal the region",
			match: func(k string) bool { return strings.HasSuffix(k, "/topology.kubernetes.io/region") },
			want:  iampolicy.Values{"us-east-1"},
		},
		{
			name:  "read actions are limited to the region",
			match: func(k string) bool { return k == "aws:RequestedRegion" },
			want:  iampolicy.Values{"us-east-1"},
		},
		{
			name:  "zonal shift reads only this cluster",
			match: func(k string) bool { return k == "arc-zonal-shift:ResourceIdentifier" },
			want:  iampolicy.Values{clusterARN},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hits := 0
			for _, p := range karpenteriam.ControllerPolicies(scope) {
				for _, st := range p.Document.Statement {
					for _, keys := range st.Condition {
						for key, values := range keys {
							if !tt.match(key) {
								continue
							}
							hits++
							if strings.Contains(key, "kubernetes.io/cluster/") {
								require.True(t, strings.HasSuffix(key, "kubernetes.io/cluster/cluster-with-karpenter"),
									"%s %s: expected the cluster's tag key, got %s", p.Name, st.Sid, key)
							}
							require.Equal(t, tt.want, values, "%s %s condition %s", p.Name, st.Sid, key)
						}
					}
				}
			}
			require.Positive(t, hits, "condition keys matched: expected some, got none")
		})
	}
}

func TestScopeDerivedNames(t *testing.T) {
	cn := karpenteriam.Scope{Partition: "aws-cn", Region: "cn-north-1", AccountID: "210987654321", ClusterName: "other"}
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"node role name", scope.NodeRoleName(), "KarpenterNodeRole-cluster-with-karpenter"},
		{"node role ARN", scope.NodeRoleARN(), "arn:aws:iam::123456789012:role/KarpenterNodeRole-cluster-with-karpenter"},
		{"controller role name", scope.ControllerRoleName(), "KarpenterControllerRole-cluster-with-karpenter"},
		{"queue name", scope.QueueName(), "cluster-with-karpenter"},
		{"queue ARN", scope.QueueARN(), "arn:aws:sqs:us-east-1:123456789012:cluster-with-karpenter"},
		{"cluster ARN", scope.ClusterARN(), "arn:aws:eks:us-east-1:123456789012:cluster/cluster-with-karpenter"},
		{"URL suffix", scope.URLSuffix(), "amazonaws.com"},
		{"China node role ARN", cn.NodeRoleARN(), "arn:aws-cn:iam::210987654321:role/KarpenterNodeRole-other"},
		{"China queue ARN", cn.QueueARN(), "arn:aws-cn:sqs:cn-north-1:210987654321:other"},
		{"China URL suffix", cn.URLSuffix(), "amazonaws.com.cn"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, tt.got, "%s: expected %q, got %q", tt.name, tt.want, tt.got)
		})
	}
}

func TestScopeValidate(t *testing.T) {
	tests := []struct {
		name    string
		scope   karpenteriam.Scope
		missing []string
	}{
		{name: "complete", scope: scope},
		{
			name:    "empty",
			scope:   karpenteriam.Scope{},
			missing: []string{"Scope.Partition", "Scope.Region", "Scope.AccountID", "Scope.ClusterName"},
		},
		{
			name:    "no region",
			scope:   karpenteriam.Scope{Partition: "aws", AccountID: "123456789012", ClusterName: "c"},
			missing: []string{"Scope.Region"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.scope.Validate()
			if len(tt.missing) == 0 {
				require.NoError(t, err, "valid scope")
				return
			}
			require.Error(t, err, "expected an error naming %v", tt.missing)
			for _, field := range tt.missing {
				require.Contains(t, err.Error(), field, "error should name %s", field)
			}
		})
	}
}

func TestDocumentJSONIsTheMarshalledDocument(t *testing.T) {
	doc := karpenteriam.QueuePolicy(scope)
	s, err := doc.JSON()
	require.NoError(t, err, "JSON")
	var back iampolicy.Document
	require.NoError(t, json.Unmarshal([]byte(s), &back), "decode JSON output")
	require.Equal(t, doc, back, "queue policy round trip through JSON")
}

func TestControllerPolicyIDsAreDistinct(t *testing.T) {
	seen := map[string]string{}
	for _, p := range karpenteriam.ControllerPolicies(scope) {
		require.NotEmpty(t, p.ID, "policy %s has no ID", p.Name)
		prev, dup := seen[p.ID]
		require.False(t, dup, "policy ID %q: expected unique, got it on %s and %s", p.ID, prev, p.Name)
		seen[p.ID] = p.Name
	}
}
