package config

import (
	"maps"
	"strings"

	"github.com/karpenter-savings/karpenter-savings/internal/program/poolspec"
)

// AMIAlias is the EC2NodeClass alias for an AL2023 release version as SSM publishes it ("1.35.0-20251120") or as
// configured ("v20251120").
func AMIAlias(release string) string {
	if i := strings.LastIndex(release, "-"); i >= 0 {
		release = "v" + release[i+1:]
	}
	return "al2023@" + release
}

// NodePoolOptions maps the configuration onto the node pool builder shared by the stack and cmd/savings. amiAlias
// and gpuAMIID come from SSM (or the pinned nodeAmiVersion). A pool with maxMonthlyUSD gets the cpu and memory limits
// derived from it at the rates of c.Region; Validate has refused a budget they cannot be derived from, and a Config
// that skipped it gets empty limits, which poolspec.Build refuses.
func (c *Config) NodePoolOptions(amiAlias, gpuAMIID string) poolspec.Options {
	spec := func(name string, p Pool) poolspec.PoolSpec {
		s := poolspec.PoolSpec{
			Enabled:       p.Enabled,
			Weight:        p.Weight,
			CapacityTypes: p.CapacityTypes,
			CPULimit:      p.CPU,
			MemoryLimit:   p.Memory,
			GPULimit:      p.GPU,
			// A disabled pool's value too: Validate checks only enabled pools, and Build ignores disabled ones.
			TerminationGracePeriod: p.GracePeriod(),
		}
		if p.budgetSet() {
			s.CPULimit, s.MemoryLimit = "", ""
			if l, err := poolLimits(c.Region, name, p); err == nil {
				s.CPULimit, s.MemoryLimit = l.CPU.String(), l.Memory.String()
			}
		}
		return s
	}
	return poolspec.Options{
		ClusterName:     c.ClusterName,
		NodeRoleName:    c.NodeRoleName(),
		DiscoveryTagKey: c.DiscoveryTagKey(),
		AMIAlias:        amiAlias,
		GPUAMIID:        gpuAMIID,
		Tags:            maps.Clone(c.Tags),
		Default:         spec(poolspec.Default, c.NodePools.Default),
		Graviton:        spec(poolspec.Graviton, c.NodePools.Graviton),
		GPU:             spec(poolspec.GPU, c.NodePools.GPU),
	}
}
