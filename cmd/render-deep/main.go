// Command render-deep is `render --deep` and `render --check`: the offline render with the engines that show what
// the remote components and Helm releases create (pulumi-kubernetes' yaml/v2 code, Helm's Go SDK, pulumi-eks's npm
// package under Node mocks), and the policy rules that run on it. cmd/render runs it; its flags are render's, and
// it always renders deep.
package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/karpenter-savings/karpenter-savings/internal/config"
	"github.com/karpenter-savings/karpenter-savings/internal/deep"
	"github.com/karpenter-savings/karpenter-savings/internal/mockcloud"
	"github.com/karpenter-savings/karpenter-savings/internal/mockcloud/yamlv2"
	"github.com/karpenter-savings/karpenter-savings/internal/policy"
	"github.com/karpenter-savings/karpenter-savings/internal/render"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is main without the process: it returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	return render.Main(args, stdout, stderr, &render.Engines{
		Options: []mockcloud.Option{yamlv2.Option()},
		Expand:  expand,
		Check: func(w io.Writer, rec *mockcloud.Recording, cfg *config.Config) int {
			return printCheck(w, rec, policy.Check(rec, policy.OptionsFor(cfg)))
		},
	})
}

// expand adds what the remote components' own code creates (internal/deep): the objects of the Helm releases whose
// charts are available offline, and pulumi-eks's children from its npm package under Node mocks
// (tools/eks-harness). The yaml/v2 children come from the mocks' constructor (yamlv2.Option).
func expand(rec *mockcloud.Recording, cfg *config.Config, root string) error {
	charts, err := deep.ModuleCharts(root)
	if err != nil {
		return err
	}
	if err := deep.Expand(rec, cfg.KubernetesVersion, charts); err != nil {
		return err
	}
	return deep.ExpandEKS(rec, cfg.Region, filepath.Join(root, deep.HarnessDir))
}

// printCheck prints one line per violation and a summary, and returns the exit code: 1 when a rule is broken.
func printCheck(w io.Writer, rec *mockcloud.Recording, violations []policy.Violation) int {
	for _, v := range violations {
		fmt.Fprintln(w, v)
	}
	fmt.Fprintf(w, "policy: %d resources checked, %d violations\n", len(rec.Resources), len(violations))
	if len(violations) > 0 {
		return 1
	}
	return 0
}
