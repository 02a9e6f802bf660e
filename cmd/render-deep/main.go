// Command render-deep is `render --deep` and `render --check`: the offline render with the engines that show what
// the remote components and Helm releases create (pulumi-kubernetes' yaml/v2 code, Helm's Go SDK, pulumi-eks's npm
// package under Node mocks), and the policy rules that run on it (internal/offline/deep.Engines). cmd/render runs it; its
// flags are render's, and it always renders deep. Its tests are in tests/, with the other tests that link the
// engines and the whole stack, so that one test binary carries them.
package main

import (
	"os"

	"github.com/karpenter-savings/karpenter-savings/internal/offline/deep"
	"github.com/karpenter-savings/karpenter-savings/internal/offline/render"
)

func main() {
	os.Exit(render.Main(os.Args[1:], os.Stdout, os.Stderr, deep.Engines()))
}
