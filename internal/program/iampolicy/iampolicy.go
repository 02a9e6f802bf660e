// Package iampolicy is the IAM policy language as typed Go values: documents, statements, principals, conditions
// and the one-or-many value lists IAM accepts, marshalled the way IAM reads them. The stack builds every trust and
// permission policy from it and tests compare them as data, never as strings.
package iampolicy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// PolicyVersion is the IAM policy language version every document here declares.
const PolicyVersion = "2012-10-17"

// Effect is whether a statement allows or denies its actions.
type Effect string

// The two IAM effects.
const (
	Allow Effect = "Allow"
	Deny  Effect = "Deny"
)

// Document is an IAM policy document.
type Document struct {
	Version   string      `json:"Version,omitempty"`
	ID        string      `json:"Id,omitempty"`
	Statement []Statement `json:"Statement"`
}

// Statement is one statement of an IAM policy document.
type Statement struct {
	Sid       string     `json:"Sid,omitempty"`
	Effect    Effect     `json:"Effect"`
	Principal *Principal `json:"Principal,omitempty"`
	Action    Values     `json:"Action"`
	Resource  Values     `json:"Resource,omitempty"`
	Condition Condition  `json:"Condition,omitempty"`
}

// Condition maps a condition operator (e.g. "StringEquals") to the keys it tests and their allowed values.
type Condition map[string]map[string]Values

// JSON returns the document as IAM expects it.
func (d Document) JSON() (string, error) {
	b, err := json.Marshal(d)
	if err != nil {
		return "", fmt.Errorf("marshal policy document: %w", err)
	}
	return string(b), nil
}

// Values is IAM's "string or list of strings" element (Action, Resource, condition values, principals).
type Values []string

// MarshalJSON writes a single value as a bare string, as IAM's own examples do, and several as a list.
func (v Values) MarshalJSON() ([]byte, error) {
	if len(v) == 1 {
		return json.Marshal(v[0])
	}
	return json.Marshal([]string(v))
}

// UnmarshalJSON reads a string, a list of strings, or the booleans and numbers IAM accepts as condition
// values (it compares them as strings, so "false" and false mean the same).
func (v *Values) UnmarshalJSON(b []byte) error {
	var raw any
	if err := json.Unmarshal(b, &raw); err != nil {
		return fmt.Errorf("decode IAM value: %w", err)
	}
	items, ok := raw.([]any)
	if !ok {
		items = []any{raw}
	}
	out := make(Values, 0, len(items))
	for _, item := range items {
		s, err := scalarString(item)
		if err != nil {
			return err
		}
		out = append(out, s)
	}
	*v = out
	return nil
}

func scalarString(item any) (string, error) {
	switch x := item.(type) {
	case string:
		return x, nil
	case bool:
		return strconv.FormatBool(x), nil
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	default:
		return "", fmt.Errorf("IAM value %v: want a string, boolean or number, got %T", item, item)
	}
}

// Principal is who a resource policy or trust policy applies to: everyone ("*"), or named principals.
type Principal struct {
	Everyone bool
	Service  Values
	AWS      Values
}

type namedPrincipal struct {
	Service Values `json:"Service,omitempty"`
	AWS     Values `json:"AWS,omitempty"`
}

// MarshalJSON writes "*" for everyone and an object of principal kinds otherwise.
func (p Principal) MarshalJSON() ([]byte, error) {
	if p.Everyone {
		if len(p.Service) > 0 || len(p.AWS) > 0 {
			return nil, errors.New("principal: everyone (\"*\") cannot also name principals")
		}
		return json.Marshal("*")
	}
	return json.Marshal(namedPrincipal{Service: p.Service, AWS: p.AWS})
}

// UnmarshalJSON reads "*" or an object with Service and AWS principals.
func (p *Principal) UnmarshalJSON(b []byte) error {
	var star string
	if err := json.Unmarshal(b, &star); err == nil {
		if star != "*" {
			return fmt.Errorf("principal %q: the only string principal is \"*\"", star)
		}
		*p = Principal{Everyone: true}
		return nil
	}
	// Unknown kinds (Federated, CanonicalUser) are refused rather than silently dropped.
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var named namedPrincipal
	if err := dec.Decode(&named); err != nil {
		return fmt.Errorf("decode principal: %w", err)
	}
	*p = Principal{Service: named.Service, AWS: named.AWS}
	return nil
}
