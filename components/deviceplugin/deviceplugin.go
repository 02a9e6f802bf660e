// Package deviceplugin installs NVIDIA's Kubernetes device plugin, without which a GPU node never advertises
// nvidia.com/gpu: the EKS AL2023 NVIDIA AMI ships the driver and container toolkit, not the plugin.
package deviceplugin

import (
	"errors"
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/karpenter-savings/karpenter-savings/internal/program/poolspec"
	"github.com/karpenter-savings/karpenter-savings/internal/program/pulumik8s"
)

// Chart coordinates of NVIDIA's device plugin.
const (
	Repository = "https://nvidia.github.io/k8s-device-plugin"
	Chart      = "nvidia-device-plugin"
)

// Args configures the device plugin.
type Args struct {
	// Version is the chart version, e.g. "0.17.1". Required.
	Version string
	// Namespace of the release. Optional; default "kube-system".
	Namespace string
	// Provider is the Kubernetes provider of the cluster. Required.
	Provider pulumi.ProviderResource
	// DependsOn are resources the release needs first. Optional.
	DependsOn []pulumi.Resource
}

// DevicePlugin is the component.
type DevicePlugin struct {
	pulumi.ResourceState

	// Release is the Helm release of the DaemonSet.
	Release *pulumik8s.Release
}

// Values are the chart values: the DaemonSet runs only on NVIDIA nodes, found by Karpenter's label because the
// chart's default affinity wants node-feature-discovery labels EKS nodes do not have, and tolerates the GPU pool's
// taint.
func Values() map[string]any {
	return map[string]any{
		"affinity": map[string]any{
			"nodeAffinity": map[string]any{
				"requiredDuringSchedulingIgnoredDuringExecution": map[string]any{
					"nodeSelectorTerms": []any{map[string]any{
						"matchExpressions": []any{map[string]any{
							"key": poolspec.LabelInstanceGPUManufacturer, "operator": "In", "values": []any{"nvidia"},
						}},
					}},
				},
			},
		},
		"tolerations": []any{
			map[string]any{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"},
		},
	}
}

// New declares the device plugin's Helm release.
func New(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*DevicePlugin, error) {
	switch {
	case args == nil:
		return nil, errors.New("deviceplugin: args are required")
	case args.Version == "":
		return nil, errors.New("deviceplugin: Args.Version is required")
	case args.Provider == nil:
		return nil, errors.New("deviceplugin: Args.Provider is required")
	}
	namespace := args.Namespace
	if namespace == "" {
		namespace = "kube-system"
	}
	c := &DevicePlugin{}
	if err := ctx.RegisterComponentResource("karpenter-savings:index:DevicePlugin", name, c, opts...); err != nil {
		return nil, fmt.Errorf("deviceplugin: register %q: %w", name, err)
	}
	var err error
	c.Release, err = pulumik8s.NewRelease(ctx, name+"-release", &pulumik8s.ReleaseArgs{
		Name:           pulumi.String(Chart),
		Chart:          pulumi.String(Chart),
		Version:        pulumi.String(args.Version),
		RepositoryOpts: &pulumik8s.RepositoryOptsArgs{Repo: pulumi.String(Repository)},
		Namespace:      pulumi.String(namespace),
		Values:         pulumi.ToMap(Values()),
	}, pulumi.Parent(c), pulumi.Provider(args.Provider), pulumi.DependsOn(args.DependsOn))
	if err != nil {
		return nil, fmt.Errorf("deviceplugin: release: %w", err)
	}
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{"version": c.Release.Version}); err != nil {
		return nil, fmt.Errorf("deviceplugin: register outputs of %q: %w", name, err)
	}
	return c, nil
}
