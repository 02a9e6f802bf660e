// Command render-plan is `render --save-state FILE` and `render --plan --state FILE`: it runs the stack's program
// under Pulumi's own engine, in-process and offline (internal/offline/engine), to write the state an offline
// `pulumi up` leaves, or to plan the next `pulumi up` from a saved state or a real `pulumi stack export`. cmd/render
// runs it with `go run`, so that neither cmd/render nor the program links the engine.
package main

import (
	"os"

	"github.com/karpenter-savings/karpenter-savings/internal/offline/engine"
)

func main() {
	os.Exit(engine.Main(os.Args[1:], os.Stdout, os.Stderr))
}
