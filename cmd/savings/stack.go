package main

import (
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/karpenter-savings/karpenter-savings/internal/program/config"
	"github.com/karpenter-savings/karpenter-savings/internal/program/project"
	"github.com/karpenter-savings/karpenter-savings/internal/savings"
)

// placeholderGPUAMI stands in for the NVIDIA AMI id the stack resolves from SSM at deploy time: an estimate needs
// only the AMI family, which the GPU EC2NodeClass pins to AL2023.
const placeholderGPUAMI = "ami-00000000000000000"

// now dates a report, which says how old its prices are; tests pin it so that their output does not change daily.
var now = time.Now

// stackFlags are the flags that choose the stack configuration and the baseline.
type stackFlags struct {
	dir, stack    string
	region, zones string
	baseline, gpu string
}

func (s *stackFlags) register(fs *flag.FlagSet, withRegion bool) {
	fs.StringVar(&s.stack, "stack", "dev", "stack whose node pools (Pulumi.yaml defaults + Pulumi.<stack>.yaml) are the multiarch scenario")
	fs.StringVar(&s.dir, "dir", ".", "directory holding Pulumi.yaml")
	fs.StringVar(&s.baseline, "baseline-type", savings.DefaultBaselineType, "instance type of the on-demand baseline node group")
	fs.StringVar(&s.gpu, "baseline-gpu-type", savings.DefaultBaselineGPUType, "instance type of the on-demand baseline GPU node group")
	if withRegion {
		fs.StringVar(&s.region, "region", "", "region whose prices to use (default: the stack's aws:region)")
		fs.StringVar(&s.zones, "zones", "", "comma-separated zones of the node subnets (default: the stack's availabilityZones, or <region>a,<region>b for another region)")
	}
}

// options reads the stack configuration the Pulumi program reads, so that the estimate runs the same node pools.
func (s *stackFlags) options() (savings.Options, error) {
	cfg, _, err := project.LoadConfig(s.dir, s.stack)
	if err != nil {
		return savings.Options{}, fmt.Errorf("stack %s: %w", s.stack, err)
	}
	return s.optionsFor(cfg), nil
}

// optionsFor builds the estimate's options from a loaded stack configuration and the flags.
func (s *stackFlags) optionsFor(cfg *config.Config) savings.Options {
	// The AMI release does not change capacity or overhead; "recommended" is resolved from SSM only at deploy time.
	alias := "al2023@latest"
	if cfg.NodeAMIVersion != config.NodeAMIRecommended {
		alias = config.AMIAlias(cfg.NodeAMIVersion)
	}
	o := savings.Options{
		Region:          cfg.Region,
		Zones:           cfg.AvailabilityZones,
		Pools:           cfg.NodePoolOptions(alias, placeholderGPUAMI),
		BaselineType:    s.baseline,
		BaselineGPUType: s.gpu,
		Now:             now(),
	}
	if s.region != "" && s.region != cfg.Region {
		o.Region = s.region
		o.Zones = []string{s.region + "a", s.region + "b"}
	}
	if s.zones != "" {
		o.Zones = strings.Split(s.zones, ",")
	}
	return o
}
