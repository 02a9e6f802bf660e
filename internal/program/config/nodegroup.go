package config

import (
	"fmt"

	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/karpenter-savings/karpenter-savings/internal/catalog"
	"github.com/karpenter-savings/karpenter-savings/internal/program/nodegroupfit"
)

// fitNodeGroup checks the node group's instance types against the embedded catalog: each exists, is offered in the
// region, boots the AL2023 arm64 AMI, and holds one controller replica and the add-ons on one node, with its
// allocatable computed as Karpenter computes it. A type too small for the controller is reported at the controller
// key that outgrew it, since either change fixes it.
func (c *Config) fitNodeGroup(types []string) []error {
	if len(types) == 0 {
		return nil
	}
	cpu, cpuErr := resource.ParseQuantity(c.Karpenter.ControllerCPU)
	memory, memoryErr := resource.ParseQuantity(c.Karpenter.ControllerMemory)
	if cpuErr != nil || memoryErr != nil {
		// validateKarpenter reports the quantities; the fit cannot be computed without them.
		return nil
	}
	cat, err := catalog.Load() // decoded once per process
	if err != nil {
		return []error{fmt.Errorf("%s: cannot check the instance types: %w", qualify(KeyNodeGroupInstanceTypes), err)}
	}
	var errs problems
	for _, p := range nodegroupfit.Check(cat, c.Region, types, nodegroupfit.Requirement{ControllerCPU: cpu, ControllerMemory: memory}) {
		switch p.Kind {
		case nodegroupfit.InsufficientCPU:
			errs.add(KeyNodeGroupInstanceTypes, "%q %s (%s is %q)", p.InstanceType, p.Reason, qualify(KeyKarpenterControllerCPU), c.Karpenter.ControllerCPU)
		case nodegroupfit.InsufficientMemory:
			errs.add(KeyNodeGroupInstanceTypes, "%q %s (%s is %q)", p.InstanceType, p.Reason, qualify(KeyKarpenterControllerMemory), c.Karpenter.ControllerMemory)
		default:
			errs.add(KeyNodeGroupInstanceTypes, "%q %s", p.InstanceType, p.Reason)
		}
	}
	return errs
}
