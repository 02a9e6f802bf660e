package iampolicy_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/karpenter-savings/karpenter-savings/internal/program/iampolicy"
)

func TestValuesJSON(t *testing.T) {
	tests := []struct {
		name   string
		values iampolicy.Values
		json   string
	}{
		{"one value is a bare string", iampolicy.Values{"sqs:SendMessage"}, `"sqs:SendMessage"`},
		{"several values are a list", iampolicy.Values{"a", "b"}, `["a","b"]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.values)
			require.NoError(t, err, "marshal")
			require.JSONEq(t, tt.json, string(b), "marshalled values")
			var back iampolicy.Values
			require.NoError(t, json.Unmarshal(b, &back), "unmarshal")
			require.Equal(t, tt.values, back, "round trip")
		})
	}
}

func TestValuesUnmarshalScalars(t *testing.T) {
	tests := []struct {
		name string
		json string
		want iampolicy.Values
	}{
		{"boolean", `false`, iampolicy.Values{"false"}},
		{"number", `300`, iampolicy.Values{"300"}},
		{"mixed list", `["a", true]`, iampolicy.Values{"a", "true"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got iampolicy.Values
			require.NoError(t, json.Unmarshal([]byte(tt.json), &got), "unmarshal %s", tt.json)
			require.Equal(t, tt.want, got, "values of %s", tt.json)
		})
	}
}

func TestValuesUnmarshalRejectsObjects(t *testing.T) {
	var got iampolicy.Values
	require.Error(t, json.Unmarshal([]byte(`{"a": 1}`), &got), "an object is not an IAM value")
}

func TestPrincipalJSON(t *testing.T) {
	tests := []struct {
		name      string
		principal iampolicy.Principal
		json      string
	}{
		{"everyone", iampolicy.Principal{Everyone: true}, `"*"`},
		{"one service", iampolicy.Principal{Service: iampolicy.Values{"ec2.amazonaws.com"}}, `{"Service":"ec2.amazonaws.com"}`},
		{"account", iampolicy.Principal{AWS: iampolicy.Values{"arn:aws:iam::123456789012:root"}}, `{"AWS":"arn:aws:iam::123456789012:root"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.principal)
			require.NoError(t, err, "marshal")
			require.JSONEq(t, tt.json, string(b), "marshalled principal")
			var back iampolicy.Principal
			require.NoError(t, json.Unmarshal(b, &back), "unmarshal")
			require.Equal(t, tt.principal, back, "round trip")
		})
	}
}

func TestPrincipalRejects(t *testing.T) {
	tests := []struct {
		name string
		json string
	}{
		{"a string other than *", `"ec2.amazonaws.com"`},
		{"an unknown principal kind", `{"Federated": "cognito-identity.amazonaws.com"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p iampolicy.Principal
			require.Error(t, json.Unmarshal([]byte(tt.json), &p), "principal %s should be refused", tt.json)
		})
	}
}

func TestPrincipalEveryoneCannotNameOthers(t *testing.T) {
	_, err := json.Marshal(iampolicy.Principal{Everyone: true, Service: iampolicy.Values{"sqs.amazonaws.com"}})
	require.Error(t, err, "a principal that is both \"*\" and a service is ambiguous")
}
