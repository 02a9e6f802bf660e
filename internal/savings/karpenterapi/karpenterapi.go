// Package karpenterapi turns a poolspec.Set into Karpenter's own Go types, for the code that runs Karpenter's engines
// on it (the savings estimate's scheduler and instance-type resolver). It decodes strictly, so a field nodepool sets
// that Karpenter's types lack is an error here rather than a silent loss.
package karpenterapi

import (
	"bytes"
	"encoding/json"
	"fmt"

	awsv1 "github.com/aws/karpenter-provider-aws/pkg/apis/v1"
	karpv1 "sigs.k8s.io/karpenter/pkg/apis/v1"

	"github.com/karpenter-savings/karpenter-savings/internal/program/poolspec"
)

// Set is a poolspec.Set as Karpenter's types, in the same order.
type Set struct {
	NodeClasses []*awsv1.EC2NodeClass
	NodePools   []*karpv1.NodePool
}

// Convert decodes every object of set into Karpenter's type of its kind.
func Convert(set *poolspec.Set) (*Set, error) {
	out := &Set{}
	for _, nc := range set.NodeClasses {
		v := &awsv1.EC2NodeClass{}
		if err := decodeStrict(nc, v); err != nil {
			return nil, fmt.Errorf("karpenterapi: EC2NodeClass %q: %w", nc.Name, err)
		}
		out.NodeClasses = append(out.NodeClasses, v)
	}
	for _, np := range set.NodePools {
		v := &karpv1.NodePool{}
		if err := decodeStrict(np, v); err != nil {
			return nil, fmt.Errorf("karpenterapi: NodePool %q: %w", np.Name, err)
		}
		out.NodePools = append(out.NodePools, v)
	}
	return out, nil
}

// decodeStrict encodes from as JSON and decodes it into to, refusing fields to's type does not have.
func decodeStrict(from, to any) error {
	raw, err := json.Marshal(from)
	if err != nil {
		return fmt.Errorf("marshal: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(to); err != nil {
		return fmt.Errorf("decode into Karpenter's type: %w", err)
	}
	return nil
}
