package deep

import (
	"fmt"
	"io"
	"path/filepath"

	"github.com/karpenter-savings/karpenter-savings/internal/offline/mocks"
	"github.com/karpenter-savings/karpenter-savings/internal/offline/mocks/yamlv2"
	"github.com/karpenter-savings/karpenter-savings/internal/offline/policy"
	rendercmd "github.com/karpenter-savings/karpenter-savings/internal/offline/render"
	"github.com/karpenter-savings/karpenter-savings/internal/program/config"
)

// Engines are the deep render's, which cmd/render-deep runs: the yaml/v2 ConfigFile's children from
// pulumi-kubernetes' code, the objects of the Helm releases whose charts are available offline, pulumi-eks's children
// from its npm package under Node mocks (tools/eks-harness), and the policy rules on all of it.
func Engines() *rendercmd.Engines {
	return &rendercmd.Engines{
		Options: []mocks.Option{yamlv2.Option()},
		Expand:  expand,
		Check: func(w io.Writer, rec *mocks.Recording, cfg *config.Config) int {
			return PrintCheck(w, rec, policy.Check(rec, policy.OptionsFor(cfg)))
		},
	}
}

// expand adds what the Helm releases install and what pulumi-eks creates; root is the module's directory.
func expand(rec *mocks.Recording, cfg *config.Config, root string) error {
	charts, err := ModuleCharts(root)
	if err != nil {
		return err
	}
	if err := Expand(rec, cfg.KubernetesVersion, charts); err != nil {
		return err
	}
	return ExpandEKS(rec, cfg.Region, filepath.Join(root, HarnessDir))
}

// PrintCheck prints one line per violation and a summary, and returns the exit code: 1 when a rule is broken.
func PrintCheck(w io.Writer, rec *mocks.Recording, violations []policy.Violation) int {
	for _, v := range violations {
		fmt.Fprintln(w, v)
	}
	fmt.Fprintf(w, "policy: %d resources checked, %d violations\n", len(rec.Resources), len(violations))
	if len(violations) > 0 {
		return 1
	}
	return 0
}
