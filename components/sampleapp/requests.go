package sampleapp

import (
	"context"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/karpenter-savings/karpenter-savings/internal/program/podspec"
)

// DefaultRequests is a resource transform that gives every container and init container of a workload object a CPU
// and a memory request where it has neither a request nor a limit for that resource (with a limit alone,
// Kubernetes takes the request from the limit, and a default above the limit would be rejected). Objects that hold
// no pod spec pass unchanged. Properties arrive as the Go SDK's transform callback gives them: a pulumi.Map of
// pulumi.Map, pulumi.Array and pulumi.String values.
func DefaultRequests(cpu, memory string) pulumi.ResourceTransform {
	return func(_ context.Context, args *pulumi.ResourceTransformArgs) *pulumi.ResourceTransformResult {
		kind, _ := args.Props["kind"].(pulumi.String)
		path, ok := podspec.Paths[string(kind)]
		if !ok {
			return nil
		}
		spec := mapAt(args.Props, path...)
		if spec == nil {
			return nil
		}
		changed := false
		for _, list := range podspec.ContainerLists {
			containers, _ := spec[list].(pulumi.Array)
			for _, c := range containers {
				container, ok := c.(pulumi.Map)
				if !ok {
					continue
				}
				changed = setDefault(container, "cpu", cpu) || changed
				changed = setDefault(container, "memory", memory) || changed
			}
		}
		if !changed {
			return nil
		}
		return &pulumi.ResourceTransformResult{Props: args.Props, Opts: args.Opts}
	}
}

// setDefault sets resources.requests[name] when the container has neither a request nor a limit for it.
func setDefault(container pulumi.Map, name, quantity string) bool {
	resources, _ := container["resources"].(pulumi.Map)
	if resources == nil {
		resources = pulumi.Map{}
		container["resources"] = resources
	}
	requests, _ := resources["requests"].(pulumi.Map)
	limits, _ := resources["limits"].(pulumi.Map)
	if requests[name] != nil || limits[name] != nil {
		return false
	}
	if requests == nil {
		requests = pulumi.Map{}
		resources["requests"] = requests
	}
	requests[name] = pulumi.String(quantity)
	return true
}

// mapAt walks nested pulumi.Maps; nil when a step is missing or not a map.
func mapAt(m pulumi.Map, path ...string) pulumi.Map {
	for _, key := range path {
		next, ok := m[key].(pulumi.Map)
		if !ok {
			return nil
		}
		m = next
	}
	return m
}
