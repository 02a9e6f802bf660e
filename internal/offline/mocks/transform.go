package mocks

import (
	"context"
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// DefaultNamespace is where Kubernetes puts a namespaced object when neither the object nor the provider's
// configuration (or kubeconfig context) names a namespace.
const DefaultNamespace = "default"

// applyTransform calls a resource transform as the Go SDK's callback server does (sdk/go/pulumi/context.go,
// registerTransform): the properties arrive as a pulumi.Map of pulumi.String, Float64, Bool, Array and Map values.
// Only the properties of the result are used; options a transform returns are not applied here.
func applyTransform(t pulumi.ResourceTransform, token, name string, custom bool, props resource.PropertyMap) (resource.PropertyMap, error) {
	res := t(context.Background(), &pulumi.ResourceTransformArgs{Custom: custom, Type: token, Name: name, Props: toInputMap(props)})
	if res == nil {
		return props, nil
	}
	v, err := fromInput(res.Props)
	if err != nil {
		return nil, fmt.Errorf("transform of %s %s: %w", token, name, err)
	}
	m, _ := v.(map[string]any)
	return resource.NewPropertyMapFromMap(m), nil
}

// toInputMap is the Go SDK's unmarshalPropertyMap for the values a manifest holds.
func toInputMap(props resource.PropertyMap) pulumi.Map {
	var conv func(v resource.PropertyValue) pulumi.Input
	conv = func(v resource.PropertyValue) pulumi.Input {
		switch {
		case v.IsSecret():
			return conv(v.SecretValue().Element)
		case v.IsBool():
			return pulumi.Bool(v.BoolValue())
		case v.IsNumber():
			return pulumi.Float64(v.NumberValue())
		case v.IsString():
			return pulumi.String(v.StringValue())
		case v.IsArray():
			a := make(pulumi.Array, 0, len(v.ArrayValue()))
			for _, e := range v.ArrayValue() {
				a = append(a, conv(e))
			}
			return a
		case v.IsObject():
			return toInputMap(v.ObjectValue())
		}
		return nil
	}
	out := pulumi.Map{}
	for k, v := range props {
		out[string(k)] = conv(v)
	}
	return out
}

// fromInput turns what a transform returns back into plain values.
func fromInput(v any) (any, error) {
	switch v := v.(type) {
	case nil:
		return nil, nil
	case pulumi.String:
		return string(v), nil
	case pulumi.Float64:
		return float64(v), nil
	case pulumi.Int:
		return float64(v), nil
	case pulumi.Bool:
		return bool(v), nil
	case string, float64, bool:
		return v, nil
	case int:
		return float64(v), nil
	case pulumi.StringMap:
		out := map[string]any{}
		for k, e := range v {
			s, err := fromInput(e)
			if err != nil {
				return nil, err
			}
			out[k] = s
		}
		return out, nil
	case pulumi.Map:
		return fromMap(v)
	case map[string]any:
		return fromMap(v)
	case pulumi.Array:
		return fromSlice(v)
	case []any:
		return fromSlice(v)
	}
	return nil, fmt.Errorf("a transform returned %T, which the offline render cannot read", v)
}

func fromMap[V any](m map[string]V) (any, error) {
	out := make(map[string]any, len(m))
	for k, e := range m {
		v, err := fromInput(e)
		if err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, nil
}

func fromSlice[V any](s []V) (any, error) {
	out := make([]any, 0, len(s))
	for _, e := range s {
		v, err := fromInput(e)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}
